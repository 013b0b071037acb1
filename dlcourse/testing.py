"""Assertion helpers for the exercise notebooks, with messages written for students.

Every test cell of an exercise notebook (visible or hidden) uses these helpers, so a
failing test says *what* is wrong in the student's terms ("dW has shape (3, 2),
expected (2, 3): did you transpose?") instead of a bare ``AssertionError``.
All helpers raise ``AssertionError`` on failure and return ``None`` (or the value
they checked) on success.

Exercises import everything from here. :func:`assert_own_implementation` and
:func:`assert_no_silenced_warnings` read the student's function from its bytecode and live in
:mod:`dlcourse.own_work`; :func:`self_check`, which the last cell of every exercise notebook
calls to print a pass/fail table of the visible checks, is the check runner of
:mod:`dlcourse.checks`. This module holds the value assertions, :func:`call_in_place` and
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

import types
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from .checks import CheckResult, run_checks, self_check
from .own_work import (  # the own-work and silenced-warning detectors, re-exported
    _SILENCERS,  # noqa: F401  (dlgrade's judge reads the same list)
    _find_package_use,  # noqa: F401  (the judge's agent calls it in the kernel)
    _find_silencing,  # noqa: F401
    assert_no_silenced_warnings,
    assert_own_implementation,
    register_own_implementation_check,  # noqa: F401  (a grading tool's stand-ins)
    register_silencing_check,  # noqa: F401
)

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
    "different_values",
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


def different_values(actual: Any, expected: Any, rtol: float = 0.0, atol: float = 0.0) -> bool:
    """Tell whether two arrays of numbers are readable, of the same shape, and differ.

    ``not same_values(a, b)`` is also true for values that cannot be compared at all (text,
    ``None``, arrays of two shapes), so a test that wants two results to differ ("another
    seed gives other weights") would pass on garbage; this one is true only for two real
    arrays of numbers of one shape with at least one entry apart (beyond ``rtol``/``atol``).

    Examples
    --------
    >>> different_values([1.0, 2.0], [1.0, 3.0]), different_values([1.0, 2.0], (1, 2))
    (True, False)
    >>> different_values("abc", [1.0]), different_values([1.0], [1.0, 2.0])
    (False, False)
    """
    pair = _same_shape_arrays(actual, expected)
    if pair is None or pair[0].size == 0:
        return False
    actual_array, expected_array = pair
    if not (_np.all(_np.isfinite(actual_array)) and _np.all(_np.isfinite(expected_array))):
        return False
    return not bool(_np.all(_np.isclose(actual_array, expected_array, rtol=rtol, atol=atol)))


def _same_shape_arrays(actual: Any, expected: Any):
    """``(actual, expected)`` as float arrays, or None if either cannot be read as numbers or
    their shapes differ (what :func:`same_values` and :func:`different_values` both need)."""
    try:
        actual_array = _np.asarray(actual, dtype=float)
        expected_array = _np.asarray(expected, dtype=float)
    except (TypeError, ValueError):
        return None
    if actual_array.shape != expected_array.shape:
        return None
    return actual_array, expected_array


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
    pair = _same_shape_arrays(actual, expected)
    if pair is None:
        return False
    return bool(_np.all(_np.isclose(*pair, rtol=rtol, atol=atol)))


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
