"""Reading a student's function from its bytecode: own work, and warnings left on.

Two questions a test cell asks of the function itself rather than of its results:

- :func:`assert_own_implementation`: does the function reach the course package's finished
  implementation (or a deep-learning framework) through its names, globals, closures,
  default values or the helper functions of the notebook it calls? An answer that imports
  ``dlcourse.activations.relu`` returns the right numbers and earns no points.
- :func:`assert_no_silenced_warnings`: does it switch numpy's or Python's warnings off
  (``np.errstate``, ``warnings.catch_warnings``), hiding an overflow instead of avoiding it?

A grading tool that runs the student's code in another process registers checks for its
stand-in objects (:func:`register_own_implementation_check`,
:func:`register_silencing_check`). :mod:`dlcourse.testing` re-exports every name here, the
exercises' import place.
"""

from __future__ import annotations

import inspect
import types
from collections.abc import Callable
from typing import Any

__all__ = [
    "assert_no_silenced_warnings",
    "assert_own_implementation",
    "register_own_implementation_check",
    "register_silencing_check",
]


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
    found = _code_and_helpers(func)
    if found is None:
        return None
    _, code, global_names, helpers = found
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


def _code_and_helpers(func: Any):
    """``(function, code, globals, closure values)`` of the Python function behind ``func``
    (through decorators' ``__wrapped__`` and bound methods), or None for anything without
    code (a built-in, a class, a value): what both readings of a function walk."""
    function = inspect.unwrap(func) if callable(func) else func
    function = getattr(function, "__func__", function)
    code = getattr(function, "__code__", None)
    if code is None:
        return None
    closure = [cell.cell_contents for cell in (getattr(function, "__closure__", None) or ())
               if _filled(cell)]
    return function, code, getattr(function, "__globals__", {}), closure


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
#: The grader's reading of the submitted text (dlgrade.judge_source) uses this set too.
FRAMEWORKS = _FRAMEWORKS = frozenset({"torch", "tensorflow", "keras", "jax", "flax"})


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
    found = _code_and_helpers(func)
    if found is None:
        return None
    function, code, global_names, closure_values = found
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
