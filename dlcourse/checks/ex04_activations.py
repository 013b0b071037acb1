"""Visible checks of exercise 04_activations (activation functions and their derivatives).

Each ``check_<function>(func)`` calls only the student's ``func`` on small, hand-picked
inputs whose answers are written out below, and fails with a message in the
student's terms. The hidden tests of the notebook use other (random) inputs.
"""

from __future__ import annotations

import numpy as np

from dlcourse.testing import (
    assert_close,
    assert_finite,
    assert_own_implementation,
    assert_shape,
    call_in_place,
)

#: A few points on both sides of the kink at 0, and 0 itself.
T = np.array([-2.0, -0.5, 0.0, 0.5, 3.0])


def _call_unchanged(func, t, name, *args, **kwargs):
    """Call ``func`` on a copy of ``t`` (asking for its in-place changes) and fail if it
    modified that copy; ``t`` itself, from which the expected values come, is never touched."""
    before = np.array(t, copy=True)
    given = np.array(t, copy=True)
    result = call_in_place(func, given, *args, **kwargs)
    if not np.array_equal(before, given):
        raise AssertionError(
            f"{name} changed its input t in place (t was {before.tolist()}, "
            f"afterwards {given.tolist()}): return a new array, e.g. with "
            "np.maximum or np.where, instead of assigning into t"
        )
    return result


def check_relu(relu):
    """Check relu on a few values, a 2-D array, and that t is left unchanged."""
    assert_own_implementation(relu, "relu")
    t = T.copy()
    got = _call_unchanged(relu, t, "relu")
    assert_close(got, [0.0, 0.0, 0.0, 0.5, 3.0], "relu([-2, -0.5, 0, 0.5, 3])",
                 hint="ReLU keeps positive values and replaces negative ones by 0")
    matrix = np.array([[-1.0, 2.0, -3.0], [4.0, -5.0, 6.0]])
    assert_close(relu(matrix), [[0.0, 2.0, 0.0], [4.0, 0.0, 6.0]], "relu of a 2x3 matrix",
                 hint="apply max(0, t) to every entry, keeping the shape")


def check_relu_grad(relu_grad):
    """Check relu_grad on both sides of 0 and at t = 0 (where the contract says 0)."""
    assert_own_implementation(relu_grad, "relu_grad")
    got = _call_unchanged(relu_grad, T.copy(), "relu_grad")
    assert_shape(got, T.shape, "relu_grad([-2, -0.5, 0, 0.5, 3])")
    value_at_zero = float(np.asarray(got, dtype=float)[2])
    if value_at_zero != 0.0:
        raise AssertionError(
            f"relu_grad(0) returned {value_at_zero:g}: the contract says 0 at t = 0 "
            "(use t > 0, not t >= 0)"
        )
    assert_close(got, [0.0, 0.0, 0.0, 1.0, 1.0], "relu_grad([-2, -0.5, 0, 0.5, 3])",
                 hint="the slope of ReLU is 1 where t > 0 and 0 elsewhere")


def check_sigmoid_grad(sigmoid_grad):
    """Check sigmoid_grad at 0 (1/4), its symmetry, and a few values."""
    assert_own_implementation(sigmoid_grad, "sigmoid_grad")
    t = np.array([0.0, 1.0, -1.0, 2.0, -4.0])
    # sigma(t) * (1 - sigma(t)) written out for these points.
    expected = [0.25, 0.19661193324148185, 0.19661193324148185,
                0.10499358540350662, 0.017662706213291107]
    got = _call_unchanged(sigmoid_grad, t, "sigmoid_grad")
    assert_close(got, expected, "sigmoid_grad([0, 1, -1, 2, -4])",
                 hint="the derivative is sigma(t) * (1 - sigma(t)), with sigma the sigmoid")
    far = np.array([-50.0, 50.0])
    assert_finite(sigmoid_grad(far), "sigmoid_grad([-50, 50])",
                  hint="compute sigma(t) first, then sigma(t) * (1 - sigma(t))")
    assert_close(sigmoid_grad(far), [0.0, 0.0], "sigmoid_grad([-50, 50])", atol=1e-12,
                 hint="far from 0 the sigmoid is flat, so its slope is almost 0")


def check_tanh_grad(tanh_grad):
    """Check tanh_grad at 0 (1) and a few values."""
    assert_own_implementation(tanh_grad, "tanh_grad")
    t = np.array([0.0, 0.5, -0.5, 2.0])
    expected = [1.0, 0.7864477329659274, 0.7864477329659274, 0.07065082485316443]
    got = _call_unchanged(tanh_grad, t, "tanh_grad")
    assert_close(got, expected, "tanh_grad([0, 0.5, -0.5, 2])",
                 hint="the derivative of tanh is 1 - tanh(t)**2")


def check_leaky_relu(leaky_relu):
    """Check leaky_relu with the default alpha and with alpha=0.2."""
    assert_own_implementation(leaky_relu, "leaky_relu")
    got = _call_unchanged(leaky_relu, T.copy(), "leaky_relu")
    assert_close(got, [-0.02, -0.005, 0.0, 0.5, 3.0], "leaky_relu([-2, -0.5, 0, 0.5, 3])",
                 hint="keep positive values, multiply the others by alpha (default 0.01)")
    got = leaky_relu(T.copy(), alpha=0.2)
    assert_close(got, [-0.4, -0.1, 0.0, 0.5, 3.0],
                 "leaky_relu([-2, -0.5, 0, 0.5, 3], alpha=0.2)",
                 hint="use the alpha argument, not a fixed 0.01")


def check_leaky_relu_grad(leaky_relu_grad):
    """Check leaky_relu_grad with the default alpha and alpha=0.2, including t = 0."""
    assert_own_implementation(leaky_relu_grad, "leaky_relu_grad")
    got = _call_unchanged(leaky_relu_grad, T.copy(), "leaky_relu_grad")
    assert_shape(got, T.shape, "leaky_relu_grad([-2, -0.5, 0, 0.5, 3])")
    value_at_zero = float(np.asarray(got, dtype=float)[2])
    if not np.isclose(value_at_zero, 0.01):
        raise AssertionError(
            f"leaky_relu_grad(0) returned {value_at_zero:g}: the contract says alpha "
            "(0.01 by default) for t <= 0"
        )
    assert_close(got, [0.01, 0.01, 0.01, 1.0, 1.0], "leaky_relu_grad([-2, -0.5, 0, 0.5, 3])",
                 hint="the slope is 1 where t > 0 and alpha where t <= 0")
    got = leaky_relu_grad(T.copy(), alpha=0.2)
    assert_close(got, [0.2, 0.2, 0.2, 1.0, 1.0],
                 "leaky_relu_grad([-2, -0.5, 0, 0.5, 3], alpha=0.2)",
                 hint="use the alpha argument, not a fixed 0.01")


def check_softmax(softmax):
    """Check softmax on one row, on a batch (row by row), and on large inputs."""
    assert_own_implementation(softmax, "softmax")
    z = np.array([1.0, 2.0, 3.0])
    expected = [0.09003057317038046, 0.24472847105479764, 0.6652409557748219]
    assert_close(_call_unchanged(softmax, z, "softmax"), expected, "softmax([1, 2, 3])",
                 hint="softmax(z)_j = exp(z_j) / sum_k exp(z_k)")
    Z = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
    got = softmax(Z)
    assert_shape(got, (2, 3), "softmax of a (2, 3) batch")
    sums = np.asarray(got, dtype=float).sum(axis=-1)
    if not np.allclose(sums, 1.0):
        raise AssertionError(
            f"the rows of softmax([[1, 2, 3], [0, 0, 0]]) sum to {sums.round(4).tolist()}, "
            "expected 1 each: normalise over the last axis (axis=-1, keepdims=True), "
            "one row per sample"
        )
    assert_close(got, [expected, [1 / 3, 1 / 3, 1 / 3]], "softmax([[1, 2, 3], [0, 0, 0]])",
                 hint="normalise each row on its own")
    big = np.array([[1000.0, 1000.0], [-1000.0, 0.0]])
    got = np.asarray(softmax(big), dtype=float)
    if not np.all(np.isfinite(got)):
        raise AssertionError(
            "softmax of [[1000, 1000], [-1000, 0]] returned nan or inf: subtract the row "
            "maximum before np.exp (softmax(z) = softmax(z - max(z)))"
        )
    assert_close(got, [[0.5, 0.5], [0.0, 1.0]], "softmax([[1000, 1000], [-1000, 0]])",
                 hint="subtract the maximum of each row, not of the whole array")


CHECKS = {
    "relu": check_relu,
    "relu_grad": check_relu_grad,
    "sigmoid_grad": check_sigmoid_grad,
    "tanh_grad": check_tanh_grad,
    "leaky_relu": check_leaky_relu,
    "leaky_relu_grad": check_leaky_relu_grad,
    "softmax": check_softmax,
}
