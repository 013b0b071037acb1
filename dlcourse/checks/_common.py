"""Comparison helpers shared by the checks of the backward-pass exercises (09, 10).

A diagnosis compares a student's answer with the package's correct one and, when they differ,
with models of the usual mistakes, to name the mistake; otherwise it compares the answer with a
central-difference gradient and points at the worst entry. These helpers hold the parts that do
not depend on the exercise.

The contracts name no dtype, so an answer computed in float32 is correct: its rounding errors
stay below ~1e-6 of the largest entry at the exercises' sizes, while every mistake the diagnoses
name is off by far more. Arrays are compared as a whole, relative to their largest entry.
"""

from __future__ import annotations

import inspect

import numpy as np

from dlcourse.testing import (
    assert_gradient_close,
    call_in_place,
    reference_numerical_gradient,
    same_values,
)

RTOL, ATOL = 1e-5, 1e-7


def floats(*arrays):
    """Float64 copies of ``arrays`` (the references never see the student's arrays)."""
    return [np.array(a, dtype=float) for a in arrays]


def matches(value, expected):
    """Whole-array agreement, relative to the largest entry of ``expected``."""
    expected = np.asarray(expected, dtype=float)
    scale = float(np.max(np.abs(expected), initial=0.0))
    return same_values(value, expected, rtol=0.0, atol=RTOL * scale + ATOL)


def unpack(result, names, what):
    """``result`` as a tuple of ``len(names)`` values, or a message saying what came instead."""
    if not isinstance(result, (tuple, list)) or len(result) != len(names):
        got = (f"a {type(result).__name__} of length {len(result)}"
               if isinstance(result, (tuple, list)) else type(result).__name__)
        raise AssertionError(f"{what} returned {got}; expected a tuple ({', '.join(names)})")
    return tuple(result)


def call_unchanged(func, arguments, what):
    """Call ``func(*arguments)`` on copies of the arrays and check that it left them alone.

    Other arguments (the pooling ``size``, ``h0=None``, ``mask=None``) are passed as they are:
    an ``int`` stays an ``int``, so ``[0.0] * size`` or ``isinstance(size, int)`` work as in
    the text.
    """
    copies = [np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in arguments]
    result = call_in_place(func, *copies)  # the changes come back into the copies
    try:
        names = list(inspect.signature(func).parameters)
    except (TypeError, ValueError):
        names = []
    for position, (original, copy) in enumerate(zip(arguments, copies, strict=True)):
        if isinstance(original, np.ndarray) and not same_values(copy, original):
            name = names[position] if position < len(names) else f"number {position + 1}"
            raise AssertionError(
                f"{what} changed its argument {name} in place (with +=, -= or an assignment "
                f"into {name}[...]): the caller's array changes too; compute the result in new "
                "arrays or on a copy")
    return result


def numerical(loss, array):
    """Central-difference gradient of ``loss()`` with respect to ``array`` (changed in place)."""
    return reference_numerical_gradient(lambda _: loss(), array)


def explain(value, expected, candidates, name, what, numeric, hint):
    """Pass when ``value`` (called ``name``) matches ``expected``; else name the first matching
    mistake of ``candidates`` (pairs of a wrong answer and its message), else compare with the
    numerical gradient ``numeric()`` and report the worst entry."""
    if matches(value, expected):
        return
    for candidate, message in candidates:
        if candidate is not None and np.shape(candidate) == np.shape(expected) and matches(
                value, candidate) and not matches(candidate, expected):
            raise AssertionError(f"{name} is wrong ({what}): {message}")
    try:
        assert_gradient_close(value, numeric(), name, rtol=RTOL, atol=ATOL, hint=hint)
    except AssertionError as error:
        raise AssertionError(f"{what}: {error}") from None
