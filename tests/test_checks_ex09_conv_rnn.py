"""The diagnoses of exercise 09_conv_rnn (dlcourse/checks/ex09_conv_rnn.py), without nbgrader.

The notebook's visible and hidden tests are calls of these helpers, so their logic is tested here
directly and fast: the package's correct answers pass, float32 rounding passes, every mistake
model is told apart from the correct answer and named, and an unnamed error is reported against
the numerical gradient. (tests/test_exercises.py grades the same through real nbgrader.)
"""

from __future__ import annotations

import numpy as np
import pytest

from dlcourse import layers
from dlcourse.checks import ex09_conv_rnn as checks
from tests.assertions import fails_with

_fails = fails_with


@pytest.fixture
def conv_case():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(3, 2, 6, 5))
    K = rng.normal(size=(4, 2, 3, 2))
    dOut = rng.normal(size=(3, 4, 4, 4))
    return dOut, X, K


@pytest.fixture
def rnn_case():
    rng = np.random.default_rng(2)
    xs, Wx = rng.normal(size=(5, 3)), rng.normal(scale=0.7, size=(3, 4))
    Wh, b = rng.normal(scale=0.7, size=(4, 4)), rng.normal(scale=0.2, size=4)
    h0 = rng.normal(scale=0.5, size=4)
    hs = layers.rnn_forward(xs, Wx, Wh, b, h0)
    return rng.normal(size=hs.shape), xs, hs, Wx, Wh, b, h0


def test_the_package_answers_and_float32_roundings_pass(conv_case, rnn_case):
    dOut, X, K = conv_case
    b = np.arange(4.0)
    out = layers.conv2d_forward(X, K, b)
    checks.diagnose_conv2d_forward(out, X, K, b, "case")
    checks.diagnose_conv2d_forward(out.astype(np.float32), X, K, b, "case")
    grads = layers.conv2d_backward(dOut, X, K)
    checks.diagnose_conv2d_backward(grads, dOut, X, K, "case")
    checks.diagnose_conv2d_backward([g.astype(np.float32) for g in grads], dOut, X, K, "case")
    dP = dOut[:, :2, :3, :2]  # the pooled shape of X (3, 2, 6, 5) with size 2
    checks.diagnose_max_pool2d_backward(layers.max_pool2d_backward(dP, X, 2), dP, X, 2, "case")
    dhs, xs, hs, Wx, Wh, b, h0 = rnn_case
    checks.diagnose_rnn_backward(layers.rnn_backward(dhs, xs, hs, Wx, Wh, h0),
                                 dhs, xs, hs, Wx, Wh, b, h0, "case")


def test_the_bptt_model_without_mistakes_is_the_package_rnn_backward(rnn_case):
    dhs, xs, hs, Wx, Wh, _, h0 = rnn_case
    for ours, package in zip(checks._bptt_model(dhs, xs, hs, Wx, Wh, h0),
                             layers.rnn_backward(dhs, xs, hs, Wx, Wh, h0), strict=True):
        np.testing.assert_allclose(ours, package, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("switch, fragment", [
    (dict(recurrent=False), "without the recurrent path"),
    (dict(derivative="none"), "tanh derivative is missing"),
    (dict(derivative="tanh(h)"), "not 1 - tanh(hs[t])**2"),
    (dict(previous=False), "previous state"),
    (dict(h0_in_dWh=False), "outer(h0"),
    (dict(Wh_transposed=False), "not @ Wh"),
    (dict(dh0_after_step=False), "not dL/dh_1"),
])
def test_each_bptt_mistake_is_named(rnn_case, switch, fragment):
    dhs, xs, hs, Wx, Wh, b, h0 = rnn_case
    wrong = checks._bptt_model(dhs, xs, hs, Wx, Wh, h0, **switch)
    _fails(lambda: checks.diagnose_rnn_backward(wrong, dhs, xs, hs, Wx, Wh, b, h0, "case"),
           "is wrong (case)", fragment)


def test_conv_and_pool_mistakes_are_named(conv_case):
    dOut, X, K = conv_case
    dX, dK, db = layers.conv2d_backward(dOut, X, K)
    flipped = layers.conv2d_backward(dOut, X, K[:, :, ::-1, ::-1])[0]
    _fails(lambda: checks.diagnose_conv2d_backward((flipped, dK, db), dOut, X, K, "case"),
           "dX is wrong", "'full' convolution")
    last = layers.conv2d_backward(dOut[-1:], X[-1:], K)[1]
    _fails(lambda: checks.diagnose_conv2d_backward((dX, last, db), dOut, X, K, "case"),
           "dK is wrong", "last sample")
    _fails(lambda: checks.diagnose_conv2d_backward((dX, dK, dOut.sum(axis=(2, 3))), dOut, X, K,
                                                   "case"), "sum dOut over the samples too")
    _fails(lambda: checks.diagnose_conv2d_backward((dX, dK, dOut.sum(axis=(0, 2))), dOut, X, K,
                                                   "case"), "db (case) has shape (4, 4)")
    b = np.arange(4.0)
    out = layers.conv2d_forward(X, K[:, :, ::-1, ::-1], b)
    _fails(lambda: checks.diagnose_conv2d_forward(out, X, K, b, "case"), "without flipping")
    dP = dOut[:, :2, :3, :2]  # the pooled shape of X (3, 2, 6, 5) with size 2
    everywhere = np.zeros_like(X)
    everywhere[:, :, :6, :4] = dP.repeat(2, axis=2).repeat(2, axis=3)
    _fails(lambda: checks.diagnose_max_pool2d_backward(everywhere, dP, X, 2, "case"),
           "every element of a window")


def test_an_unnamed_error_is_reported_against_the_numerical_gradient(conv_case, rnn_case):
    dOut, X, K = conv_case
    dX, dK, db = layers.conv2d_backward(dOut, X, K)
    dK = dK.copy()
    dK[1, 0, 2, 1] += 0.5
    _fails(lambda: checks.diagnose_conv2d_backward((dX, dK, db), dOut, X, K, "case"),
           "case: dK[1, 0, 2, 1] differs from the numerical gradient")
    dhs, xs, hs, Wx, Wh, b, h0 = rnn_case
    grads = list(layers.rnn_backward(dhs, xs, hs, Wx, Wh, h0))
    grads[4] = grads[4] * 1.01
    _fails(lambda: checks.diagnose_rnn_backward(grads, dhs, xs, hs, Wx, Wh, b, h0, "case"),
           "dh0[", "numerical gradient")


def test_arguments_changed_in_place_are_caught():
    def scales_in_place(dOut, X, K):
        X *= 2.0
        return layers.conv2d_backward(dOut, X, K)

    rng = np.random.default_rng(3)
    X, K = rng.normal(size=(1, 1, 3, 3)), rng.normal(size=(1, 1, 2, 2))
    _fails(lambda: checks.call_unchanged(scales_in_place, (np.ones((1, 1, 2, 2)), X, K), "f"),
           "changed its argument X in place")


def test_scalar_arguments_reach_the_answer_unchanged():
    """The pooling size arrives as the int the test passed (an answer may check isinstance)."""
    seen = []

    def pool_backward(dOut, X, size):
        seen.append(type(size))
        return layers.max_pool2d_backward(dOut, X, size)

    X = np.random.default_rng(4).normal(size=(1, 1, 4, 4))
    checks.call_unchanged(pool_backward, (np.ones((1, 1, 2, 2)), X, 2), "f")
    assert seen == [int]
