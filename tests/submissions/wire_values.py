"""Values for the judge's wire format (tests/test_dlgrade_judge_wire.py sends them through
encode/decode; tests/test_dlgrade_judge.py through a real kernel) and the strict equality
they must come back with: same type, dtype, shape, sign of zero and NaNs where they were."""

from __future__ import annotations

import base64
import io

import numpy as np

#: one value of every type the wire carries
ROUND_TRIP = [
    None, True, False, 0, -7, 2**80, 1.5, float("inf"), -0.0, 1 + 2j, "", "text ü",
    [1, [2.0, "x"]], (1, (None,)), {"a": 1, 2: [3], (1, 2): "tuple key"},
    np.float64(0.25), np.int32(-3), np.bool_(True), np.complex128(1 - 1j),
    np.arange(6).reshape(2, 3), np.array([[0.5, np.nan], [np.inf, -1.0]]),
    np.array([True, False]), np.array(["a", "bc"]), np.zeros((0, 3)), np.uint8(255),
    np.asfortranarray(np.arange(6.0).reshape(2, 3)), np.arange(10.0)[::3],
]


def same(a, b) -> bool:
    """Whether ``b`` is ``a`` again, type for type (``1 == 1.0 == True`` is not enough)."""
    if isinstance(a, np.ndarray):
        return type(b) is np.ndarray and a.dtype == b.dtype and a.shape == b.shape and \
            np.array_equal(a, b, equal_nan=a.dtype.kind in "fc")
    if isinstance(a, np.generic):
        return type(a) is type(b) and (a == b or (a != a and b != b))
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(map(same, a, b))
    if isinstance(a, dict):
        return type(b) is dict and a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, float):
        return type(b) is float and (a == b or (a != a and b != b)) and \
            np.copysign(1, a) == np.copysign(1, b)
    return type(a) is type(b) and a == b


def npy(array, allow_pickle: bool = False) -> str:
    """The ``v`` of an ``nd`` tag for ``array``, written here rather than by the wire module (so
    a forged payload, e.g. a pickled object array, can be built)."""
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=allow_pickle)
    return base64.b64encode(buffer.getvalue()).decode()
