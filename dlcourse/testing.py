"""Assertion helpers for the exercise notebooks, with messages written for students.

Every test cell of an exercise notebook (visible or hidden) uses these helpers, so a
failing test says *what* is wrong in the student's terms ("dW has shape (3, 2),
expected (2, 3): did you transpose?") instead of a bare ``AssertionError``.
All helpers raise ``AssertionError`` on failure and return ``None`` (or the value
they checked) on success.

The module also holds :func:`self_check`, which the last cell of every exercise
notebook calls to print a pass/fail table of the visible checks, and
:func:`reference_numerical_gradient`, an independent central-difference gradient
used by hidden tests (it deliberately does not import :mod:`dlcourse.gradcheck`,
which students re-implement in an exercise).

Examples
--------
>>> import numpy as np
>>> assert_close(np.array([1.0, 2.0]), [1.0, 2.0], "y_hat")
>>> assert_shape(np.zeros((3, 2)), (2, 3), "dW")
Traceback (most recent call last):
...
AssertionError: dW has shape (3, 2), expected (2, 3): did you transpose?
"""

from __future__ import annotations

import dataclasses
import inspect
import types
import warnings
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

__all__ = [
    "assert_shape",
    "assert_close",
    "assert_gradient_close",
    "assert_finite",
    "assert_no_warnings",
    "assert_no_silenced_warnings",
    "assert_own_implementation",
    "assert_scalar",
    "call_in_place",
    "same_values",
    "reference_numerical_gradient",
    "CheckResult",
    "run_checks",
    "self_check",
]


# The numpy functions the helpers call, bound once at import: a solution cell that
# patches numpy (``np.isclose = lambda *a, **k: True``) cannot blind the checks.
_np = types.SimpleNamespace(
    inf=np.inf,
    **{
        name: getattr(np, name)
        for name in (
            "abs", "all", "argmax", "asarray", "errstate", "isclose", "isfinite",
            "isnan", "max", "ndim", "ndindex", "shape", "size", "unravel_index",
            "where", "zeros_like",
        )
    },
)


def _as_array(value: Any, name: str) -> np.ndarray:
    """Convert ``value`` to a float array, failing with a student-facing message."""
    if value is None:
        raise AssertionError(f"{name} is None: did you forget a `return` statement?")
    try:
        return _np.asarray(value, dtype=float)
    except (TypeError, ValueError) as error:
        raise AssertionError(
            f"{name} could not be read as an array of numbers "
            f"(got {type(value).__name__}): {error}"
        ) from None


def assert_shape(value: Any, expected: tuple[int, ...], name: str) -> None:
    """Check that ``np.shape(value) == expected``.

    The message points at the usual causes: a transposed matrix, a column vector
    of shape ``(n, 1)`` where ``(n,)`` was expected, or a missing return.

    Parameters
    ----------
    value : array_like
        The array (or list, or scalar) to check.
    expected : tuple of int
        The expected shape, e.g. ``(n_samples,)``.
    name : str
        How to call the value in the message, e.g. ``"dW"``.
    """
    if value is None:
        raise AssertionError(f"{name} is None: did you forget a `return` statement?")
    shape = tuple(_np.shape(value))
    expected = tuple(expected)
    if shape == expected:
        return
    message = f"{name} has shape {shape}, expected {expected}"
    if expected == () and _np.size(value) == 1:
        message += ": return a plain number (e.g. float(...)), not an array"
    elif len(shape) == 2 and shape[::-1] == expected:
        message += ": did you transpose?"
    elif shape == expected + (1,) or shape == (1,) + expected:
        message += ": flatten the extra axis of length 1 (e.g. with .ravel())"
    raise AssertionError(message)


def assert_scalar(value: Any, name: str) -> float:
    """Check that ``value`` is a single finite real number and return it as a float."""
    if value is None:
        raise AssertionError(f"{name} is None: did you forget a `return` statement?")
    if _np.ndim(value) != 0:
        raise AssertionError(
            f"{name} should be a single number, got an array of shape {_np.shape(value)}: "
            "did you forget to average (np.mean) over the samples?"
        )
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise AssertionError(
            f"{name} should be a number, got {type(value).__name__}"
        ) from None
    if not _np.isfinite(number):
        raise AssertionError(f"{name} is {number}, expected a finite number")
    return number


def assert_finite(value: Any, name: str, hint: str | None = None) -> None:
    """Check that every entry of ``value`` is finite (no nan, no inf)."""
    array = _as_array(value, name)
    bad = ~_np.isfinite(array)
    if not bad.any():
        return
    index = _np.unravel_index(int(_np.argmax(bad)), array.shape) if array.ndim else ()
    where = f"{name}[{', '.join(map(str, index))}]" if array.ndim else name
    message = f"{where} is {array[index] if array.ndim else array}: expected a finite number"
    if hint:
        message += f": {hint}"
    raise AssertionError(message)


def _format_index(name: str, index: tuple[int, ...]) -> str:
    return f"{name}[{', '.join(str(int(i)) for i in index)}]" if index else name


def _format_pair(actual: float, expected: float) -> tuple[str, str]:
    """Format two numbers that differ with as few digits as show the difference.

    Six significant digits are enough for most mistakes; a small rounding difference
    (e.g. an answer computed in float32) would print as two equal numbers, so more
    digits are used until the two strings differ.
    """
    for digits in (6, 10, 17):
        shown, wanted = f"{actual:.{digits}g}", f"{expected:.{digits}g}"
        if shown != wanted:
            break
    return shown, wanted


def same_values(actual: Any, expected: Any, rtol: float = 0.0, atol: float = 0.0) -> bool:
    """Tell whether two arrays have the same shape and agree entry by entry.

    With the default tolerances the comparison is exact, like :func:`numpy.array_equal`;
    with ``rtol``/``atol`` it is :func:`numpy.allclose` plus a shape check. Unlike
    :func:`assert_close` it never raises: for tests that need a yes/no answer ("is the
    input unchanged?", "do two seeds give different weights?"). Values that cannot be
    read as arrays of numbers count as different. The numpy functions are the ones
    bound at import, so a solution cell that patches ``np.array_equal`` cannot change
    the answer.

    Examples
    --------
    >>> same_values([1.0, 2.0], (1, 2))
    True
    >>> same_values([1.0, 2.0], [1.0, 2.0 + 1e-9]), same_values([1.0], [1.0, 1.0])
    (False, False)
    """
    try:
        actual_array = _np.asarray(actual, dtype=float)
        expected_array = _np.asarray(expected, dtype=float)
    except (TypeError, ValueError):
        return False
    if actual_array.shape != expected_array.shape:
        return False
    return bool(_np.all(_np.isclose(actual_array, expected_array, rtol=rtol, atol=atol)))


def assert_close(
    actual: Any,
    expected: Any,
    name: str,
    rtol: float = 1e-6,
    atol: float = 1e-8,
    hint: str | None = None,
) -> None:
    """Check that ``actual`` equals ``expected`` within tolerances, entry by entry.

    Lists, tuples and numpy arrays are all accepted. Shapes must match
    (see :func:`assert_shape`), then the worst entry is reported.

    Parameters
    ----------
    actual : array_like
        The student's value.
    expected : array_like
        The reference value.
    name : str
        How to call the value in the message, e.g. ``"mse(y, y_hat)"``.
    rtol, atol : float
        Relative and absolute tolerance, as in :func:`numpy.allclose`.
    hint : str, optional
        A sentence appended to the message, e.g. ``"did you forget the intercept?"``.
    """
    expected_array = _np.asarray(expected, dtype=float)
    actual_array = _as_array(actual, name)
    assert_shape(actual_array, expected_array.shape, name)
    ok = _np.isclose(actual_array, expected_array, rtol=rtol, atol=atol)
    if _np.all(ok):
        return
    if actual_array.ndim == 0:
        shown, wanted = _format_pair(actual_array.item(), expected_array.item())
        message = f"{name} is {shown}, expected {wanted}"
    else:
        error = _np.abs(actual_array - expected_array)
        error = _np.where(_np.isnan(error), _np.inf, error)
        index = _np.unravel_index(int(_np.argmax(error)), error.shape)
        shown, wanted = _format_pair(actual_array[index], expected_array[index])
        message = (
            f"{_format_index(name, index)} is {shown}, expected {wanted} "
            f"({int((~ok).sum())} of {ok.size} entries differ)"
        )
    if hint:
        message += f": {hint}"
    raise AssertionError(message)


def assert_gradient_close(
    analytic: Any,
    numeric: Any,
    name: str,
    rtol: float = 1e-5,
    atol: float = 1e-7,
    hint: str = "check the derivative of each step (activation, loss, transposes)",
) -> None:
    """Compare an analytic gradient with a numerical one and report the worst entry.

    The comparison is made on the whole array: the relative error
    ``max|a - n| / max(max|n|, atol)`` must stay below ``rtol``; element-wise
    relative errors are too noisy for tiny entries.

    Parameters
    ----------
    analytic : array_like
        The gradient computed by the student, e.g. ``dW1``.
    numeric : array_like
        The central-difference gradient, same shape.
    name : str
        The gradient's name, e.g. ``"dW1"``.
    rtol, atol : float
        Allowed relative error of the whole array and the absolute floor.
    hint : str
        What to check when the gradients differ.
    """
    numeric_array = _np.asarray(numeric, dtype=float)
    analytic_array = _as_array(analytic, name)
    assert_shape(analytic_array, numeric_array.shape, name)
    assert_finite(analytic_array, name)
    difference = _np.abs(analytic_array - numeric_array)
    scale = max(float(_np.max(_np.abs(numeric_array), initial=0.0)), atol)
    if float(_np.max(difference, initial=0.0)) <= rtol * scale + atol:
        return
    index = _np.unravel_index(int(_np.argmax(difference)), difference.shape)
    raise AssertionError(
        f"{_format_index(name, index)} differs from the numerical gradient by "
        f"{difference[index]:.1e} (yours {analytic_array[index]:.6g}, numerical "
        f"{numeric_array[index]:.6g}): {hint}"
    )


def assert_no_warnings(
    func: Callable[..., Any],
    *args: Any,
    name: str | None = None,
    hint: str = "use a numerically stable form",
    **kwargs: Any,
) -> Any:
    """Call ``func(*args, **kwargs)``; fail if it warns (overflow, divide by zero, ...).

    The result is also checked to be finite. Returns the result.

    Examples
    --------
    >>> import numpy as np
    >>> assert_no_warnings(np.exp, 1000.0, name="exp(1000)", hint="rewrite it")
    Traceback (most recent call last):
    ...
    AssertionError: exp(1000) overflowed (RuntimeWarning: overflow encountered in exp): rewrite it
    """
    label = name or f"{getattr(func, '__name__', 'function')}{args!r}"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with _np.errstate(over="warn", invalid="warn", divide="warn", under="ignore"):
            result = func(*args, **kwargs)
    problems = [w for w in caught if issubclass(w.category, (RuntimeWarning, FloatingPointError))]
    if problems:
        first = problems[0]
        raise AssertionError(
            f"{label} overflowed ({first.category.__name__}: {first.message}): {hint}"
        )
    if result is None:
        raise AssertionError(f"{label} returned None: did you forget a `return` statement?")
    array = _as_array(result, label)
    if not _np.all(_np.isfinite(array)):
        raise AssertionError(f"{label} returned nan/inf: {hint}")
    return result


#: What turns numpy's floating-point warnings (or Python's warnings) off inside a function.
_SILENCERS = frozenset({"errstate", "seterr", "seterrcall", "catch_warnings", "filterwarnings",
                        "simplefilter", "resetwarnings", "suppress_warnings"})

#: Checks for stand-ins of functions living elsewhere (see :func:`assert_no_silenced_warnings`)
_SILENCING_CHECKS: dict[type, Callable[[Any, str], str | None]] = {}


def register_silencing_check(cls: type, check: Callable[[Any, str], str | None]) -> None:
    """Make :func:`assert_no_silenced_warnings` ask ``check(func, label)`` for ``cls`` objects
    (it returns how the function silences warnings, or None)."""
    _SILENCING_CHECKS[cls] = check


def _find_silencing(func: Any, seen: set[int]) -> str | None:
    """How ``func`` (or a helper function of the notebook it calls) turns warnings off."""
    if id(func) in seen:
        return None
    seen.add(id(func))
    function = inspect.unwrap(func) if callable(func) else func
    function = getattr(function, "__func__", function)
    code = getattr(function, "__code__", None)
    if code is None:
        return None
    global_names = getattr(function, "__globals__", {})
    helpers = [cell.cell_contents for cell in (function.__closure__ or ()) if _filled(cell)]
    for part in _code_objects(code):
        for name in part.co_names:
            if name in _SILENCERS:
                return f"it calls {name}"
            if name in global_names:
                helpers.append(global_names[name])
    for value in helpers:
        if isinstance(value, (types.FunctionType, types.MethodType)) and \
                not _library_file(_code_file(getattr(value, "__func__", value))):
            found = _find_silencing(value, seen)
            if found:
                return found
    return None


def _library_file(filename: str | None) -> bool:
    """Whether code compiled from ``filename`` belongs to an installed library (the standard
    library, site-packages), not to the student's notebook or files handed in beside it."""
    import os
    import sysconfig

    if not filename or filename.startswith("<"):
        return False
    path = os.path.realpath(filename)
    roots = {os.path.realpath(sysconfig.get_paths()[key]) for key in ("stdlib", "purelib",
                                                                     "platlib")}
    return any(path.startswith(root + os.sep) for root in roots)


def assert_no_silenced_warnings(func: Callable[..., Any], name: str | None = None) -> None:
    """Fail if ``func`` (or a helper of the notebook it calls) switches warnings off.

    "No overflow warning" means the computation does not overflow, not that its warning is
    hidden: a function wrapped in ``np.errstate(all="ignore")`` or
    ``warnings.catch_warnings()`` returns the same values as a stable one wherever the
    overflow happens to round to the right answer, so the warning is the only sign of it.

    Examples
    --------
    >>> import numpy as np
    >>> def hushed(t):
    ...     with np.errstate(over="ignore"):
    ...         return 1 / (1 + np.exp(-t))
    >>> assert_no_silenced_warnings(hushed, "sigmoid")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    AssertionError: sigmoid switches warnings off (it calls errstate): ...
    """
    label = name or getattr(func, "__name__", "your function")
    check = _SILENCING_CHECKS.get(type(func))
    how = check(func, label) if check is not None else _find_silencing(func, set())
    if how:
        raise AssertionError(
            f"{label} switches warnings off ({how}): the requirement is a computation that "
            "does not overflow, not a hidden warning; rewrite it in a stable form (only ever "
            "exponentiate numbers <= 0) and remove np.errstate / warnings.catch_warnings")


# --------------------------------------------------------------------------- own work


def _package_origin(obj: Any) -> str | None:
    """Return the dlcourse module ``obj`` comes from, if it is a finished implementation."""
    if isinstance(obj, types.ModuleType):
        module = obj.__name__
    else:
        target = obj
        # Look through functools.partial, bound methods, classes' instances, ...
        for attribute in ("func", "__func__", "__wrapped__"):
            inner = getattr(target, attribute, None)
            if inner is not None and callable(inner):
                target = inner
        module = getattr(target, "__module__", None)
        if module is None and not isinstance(target, type):
            module = getattr(type(target), "__module__", None)
    filename = _code_file(target) if not isinstance(obj, types.ModuleType) else \
        getattr(obj, "__file__", None)
    inside = _package_file(filename)
    if inside is not None:
        # compiled from the package's files, whatever __module__ says: a function unpickled,
        # unmarshalled or rebuilt from the package's code object
        return inside
    if not isinstance(module, str):
        return None
    # Every dlcourse module counts, the test helpers too: dlcourse.checks and
    # dlcourse.testing ship reference implementations (reference_conv2d, xor_data,
    # reference_numerical_gradient, ...) that an answer must not call either.
    if module == "dlcourse" or module.startswith("dlcourse.") or _is_framework(module):
        return module
    return None


def _code_file(obj: Any) -> str | None:
    """The file the code object of a function (or method, or callable's ``__call__``) was
    compiled from, if any."""
    code = getattr(obj, "__code__", None)
    if code is None and not isinstance(obj, type):
        code = getattr(inspect.getattr_static(type(obj), "__call__", None), "__code__", None)
    filename = getattr(code, "co_filename", None)
    return filename if isinstance(filename, str) else None


def _package_root() -> str:
    import os

    return os.path.dirname(os.path.abspath(__file__))


def _package_file(filename: str | None) -> str | None:
    """The dlcourse module a source file of the installed package stands for, or None."""
    import os

    if not filename:
        return None
    root = _package_root()
    try:
        path = os.path.realpath(filename)
        inside = os.path.commonpath([path, os.path.realpath(root)]) == os.path.realpath(root)
    except (ValueError, OSError):
        return None
    if not inside:
        return None
    relative = os.path.relpath(os.path.splitext(path)[0], os.path.realpath(root))
    parts = [part for part in relative.split(os.sep) if part not in ("", ".", "__init__")]
    return ".".join(["dlcourse", *parts])


#: Deep-learning frameworks: their layers and automatic differentiation are finished
#: implementations of what the exercises ask for (scipy and scikit-learn are not on the list).
_FRAMEWORKS = frozenset({"torch", "tensorflow", "keras", "jax", "flax"})


def _is_framework(module: str) -> bool:
    return module.split(".", 1)[0] in _FRAMEWORKS


def _code_objects(code: types.CodeType):
    yield code
    for constant in code.co_consts:
        if isinstance(constant, types.CodeType):
            yield from _code_objects(constant)


def _find_package_use(func: Any, seen: set[int], from_own_code: bool = True) -> str | None:
    """Describe how ``func`` reaches a finished dlcourse implementation, or None.

    Deep-learning frameworks count only where the notebook's own code (module ``__main__``)
    reaches them: a library such as scipy may mention or hold them for its own dispatch.
    """
    if id(func) in seen:
        return None
    seen.add(id(func))
    origin = _package_origin(func)
    if origin is not None and (from_own_code or not _is_framework(origin)):
        return f"it is {origin}.{getattr(func, '__name__', '')}".rstrip(".")
    function = inspect.unwrap(func) if callable(func) else func
    function = getattr(function, "__func__", function)
    code = getattr(function, "__code__", None)
    if code is None:
        return None
    global_names = getattr(function, "__globals__", {})
    closure_values = [cell.cell_contents for cell in (function.__closure__ or ()) if _filled(cell)]
    # default values hide functions too: def sigmoid(t, _f=reference): return _f(t)
    closure_values += list(getattr(function, "__defaults__", None) or ())
    closure_values += list((getattr(function, "__kwdefaults__", None) or {}).values())
    own_code = from_own_code and getattr(function, "__module__", None) in (None, "__main__")
    for part in _code_objects(code):
        for name in part.co_names:
            if name == "dlcourse" or name.startswith("dlcourse.") or (
                    own_code and name in _FRAMEWORKS):
                return f"it imports {name}"
            if name in global_names:
                found = _describe_object(name, global_names[name], seen, own_code)
                if found:
                    return found
    for value in closure_values:
        found = _describe_object(getattr(value, "__name__", "a closure variable"), value, seen,
                                 own_code)
        if found:
            return found
    return None


def _filled(cell: types.CellType) -> bool:
    try:
        cell.cell_contents  # noqa: B018  (raises ValueError when empty)
    except ValueError:
        return False
    return True


def _describe_object(name: str, value: Any, seen: set[int], own_code: bool) -> str | None:
    origin = _package_origin(value)
    if origin is not None and (own_code or not _is_framework(origin)):
        return f"it uses `{name}` from {origin}"
    # Follow the student's own helper functions (defined in the notebook).
    if isinstance(value, (types.FunctionType, types.MethodType)):
        return _find_package_use(value, seen, own_code)
    return None


#: Checks for objects that stand for a function living elsewhere, by their type: a grading
#: tool that runs tests outside the student's process registers one for its stand-ins (it
#: checks the submitted source instead of the live function).
_OWN_IMPLEMENTATION_CHECKS: dict[type, Callable[[Any, str], None]] = {}


def register_own_implementation_check(cls: type, check: Callable[[Any, str], None]) -> None:
    """Make :func:`assert_own_implementation` call ``check(func, label)`` for ``cls`` objects."""
    _OWN_IMPLEMENTATION_CHECKS[cls] = check


def assert_own_implementation(func: Callable[..., Any], name: str | None = None) -> None:
    """Fail if ``func`` is, wraps or calls the course package's finished implementation.

    Students may use numpy, scikit-learn and their own helper functions, but an
    answer such as ``from dlcourse.activations import relu`` (or a function that
    calls it) earns no points. The same holds for everything else in the package,
    the reference implementations inside ``dlcourse.checks`` and
    ``dlcourse.testing`` included: an answer may reach no ``dlcourse`` function or
    module through its globals or closures (its own helper functions are followed).
    Nor may it reach a deep-learning framework (PyTorch, TensorFlow, Keras, JAX): its
    layers and automatic differentiation would do the exercise's work.

    Examples
    --------
    >>> from dlcourse.activations import relu
    >>> assert_own_implementation(relu)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    AssertionError: relu uses the course package's own implementation ...
    """
    label = name or getattr(func, "__name__", "your function")
    check = _OWN_IMPLEMENTATION_CHECKS.get(type(func))
    if check is not None:
        check(func, label)
        return
    if func is None:
        raise AssertionError(f"{label} is None: define it with `def {label}(...)`")
    if not callable(func):
        raise AssertionError(
            f"{label} should be a function, got {type(func).__name__}"
        )
    how = _find_package_use(func, set())
    if how and _is_framework(how.split()[-1]):
        raise AssertionError(
            f"{label} hands the work to a deep-learning framework ({how}): write your own "
            "implementation with numpy; answers built on a framework's layers or automatic "
            "differentiation earn no points"
        )
    if how:
        raise AssertionError(
            f"{label} uses the course package's own implementation ({how}): "
            "write the function yourself with numpy; answers that import the "
            "package's implementation earn no points"
        )


# --------------------------------------------------------------------------- in-place calls


#: How to call objects that stand for a function living elsewhere so that their in-place
#: changes reach the caller's arguments (see :func:`call_in_place`), by type.
_IN_PLACE_CALLS: dict[type, Callable[..., Any]] = {}


def register_in_place_call(cls: type, call: Callable[..., Any]) -> None:
    """Make :func:`call_in_place` use ``call(func, *args, **kwargs)`` for ``cls`` objects."""
    _IN_PLACE_CALLS[cls] = call


def call_in_place(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call ``func(*args, **kwargs)`` so that what it changes in its arguments reaches them.

    In one Python process that is every call. A grading tool that runs the student's
    function elsewhere sends it copies and keeps its own arguments untouched (so a function
    cannot rewrite a test's inputs, or the expected values computed from them); a test that
    *needs* the changes, to check that an argument was left alone or that
    ``numerical_gradient`` perturbs ``x`` itself and restores it, asks for them with this
    helper. Pass copies of the test's data: the changes land in what you pass.

    Examples
    --------
    >>> import numpy as np
    >>> def halve(a):
    ...     a /= 2
    >>> a = np.array([2.0, 4.0])
    >>> call_in_place(halve, a); a
    array([1., 2.])
    """
    call = _IN_PLACE_CALLS.get(type(func))
    if call is not None:
        return call(func, *args, **kwargs)
    return func(*args, **kwargs)


# --------------------------------------------------------------------------- references


def reference_numerical_gradient(
    f: Callable[[np.ndarray], float], x: np.ndarray, eps: float = 1e-6
) -> np.ndarray:
    """Central-difference gradient of a scalar function, for hidden tests.

    Independent of :mod:`dlcourse.gradcheck` (which students re-implement).
    ``x`` is restored after each evaluation.

    Parameters
    ----------
    f : callable
        Scalar function of the array ``x`` (it may read ``x`` through a closure).
    x : ndarray of float, any shape
        The point; perturbed in place entry by entry and restored.
    eps : float
        Half the step of the central difference.

    Returns
    -------
    grad : ndarray, same shape as ``x``

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([1.0, 2.0])
    >>> np.round(reference_numerical_gradient(lambda v: float(np.sum(v ** 2)), x), 6)
    array([2., 4.])
    """
    grad = _np.zeros_like(x, dtype=float)
    for index in _np.ndindex(x.shape):
        original = x[index]
        x[index] = original + eps
        plus = float(f(x))
        x[index] = original - eps
        minus = float(f(x))
        x[index] = original
        grad[index] = (plus - minus) / (2 * eps)
    return grad


# --------------------------------------------------------------------------- self-check


@dataclasses.dataclass
class CheckResult:
    """Outcome of one function's visible checks.

    ``status`` is one of ``"pass"``, ``"fail"``, ``"not implemented"``,
    ``"not defined"``, ``"error"``, ``"problem"`` (``dlcourse check``: the function's test
    cell was modified, so it was not checked).
    """

    function: str
    status: str
    message: str = ""

    @property
    def passed(self) -> bool:
        return self.status == "pass"


def _checks_for(assignment: str) -> Mapping[str, Callable[[Callable[..., Any]], None]]:
    from dlcourse.checks import get_checks

    return get_checks(assignment)


def run_checks(namespace: Mapping[str, Any], assignment: str) -> list[CheckResult]:
    """Run every visible check of ``assignment`` on the functions in ``namespace``.

    Never raises for a failing check; each outcome is a :class:`CheckResult`.
    """
    results = []
    for function, check in _checks_for(assignment).items():
        if function not in namespace:
            results.append(CheckResult(function, "not defined", f"`{function}` is not defined: "
                                       "run its cell first"))
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                check(namespace[function])
        except NotImplementedError:
            results.append(CheckResult(function, "not implemented", "still raises "
                                       "NotImplementedError: replace it with your code"))
        except AssertionError as error:
            results.append(CheckResult(function, "fail", str(error) or "a check failed"))
        except Exception as error:  # a student's bug: report, never raise
            results.append(CheckResult(function, "error", f"{type(error).__name__}: {error}"))
        else:
            results.append(CheckResult(function, "pass"))
    return results


def self_check(namespace: Mapping[str, Any], assignment: str) -> None:
    """Print which functions of ``assignment`` pass their visible checks.

    The last cell of each exercise notebook calls ``self_check(globals(), "<assignment>")``.
    Hidden tests run only when the notebook is graded, so passing here is
    necessary, not sufficient, for full points.
    """
    results = run_checks(namespace, assignment)
    width = max(len(r.function) for r in results) if results else 10
    symbols = {"pass": "PASS", "fail": "FAIL", "error": "ERROR"}
    print(f"Self-check for {assignment} (visible tests only):\n")
    for result in results:
        label = symbols.get(result.status, "TODO")
        line = f"  {label:<5}  {result.function:<{width}}"
        if result.message:
            line += f"  {result.message}"
        print(line.rstrip())
    passed = sum(r.passed for r in results)
    print(f"\n{passed} of {len(results)} functions pass their visible tests.")
    if passed == len(results):
        print("Well done. Hidden tests with other inputs run when your notebook is graded.")

