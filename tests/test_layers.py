"""Tests for dlcourse.layers: dense forward/backward, conv2d, max pooling, the RNN layer."""

import numpy as np
import pytest
from scipy.signal import correlate2d

from dlcourse.gradcheck import numerical_gradient, relative_error
from dlcourse.layers import conv2d, dense_backward, dense_forward, max_pool2d, rnn_forward

rng = np.random.default_rng(0)


def test_dense_forward_is_matmul_plus_bias():
    X, W, b = rng.normal(size=(5, 3)), rng.normal(size=(3, 4)), rng.normal(size=4)
    Z = dense_forward(X, W, b)
    assert Z.shape == (5, 4)
    np.testing.assert_allclose(Z, np.einsum("ni,io->no", X, W) + b[None, :])


def test_dense_backward_matches_numerical_gradients():
    X, W, b = rng.normal(size=(5, 3)), rng.normal(size=(3, 4)), rng.normal(size=4)
    G = rng.normal(size=(5, 4))  # the upstream gradient dL/dZ of L = sum(Z * G)

    def loss():
        return np.sum(dense_forward(X, W, b) * G)

    dX, dW, db = dense_backward(G, X, W)
    for analytic, x in [(dX, X), (dW, W), (db, b)]:
        numeric = numerical_gradient(lambda _: loss(), x)  # x nudged in place, read by loss()
        assert analytic.shape == x.shape
        assert relative_error(analytic, numeric) < 1e-7


def test_conv2d_equals_scipy_correlate2d_valid():
    for shape, kshape in [((6, 7), (3, 3)), ((5, 5), (1, 4)), ((4, 4), (4, 4)), ((8, 3), (2, 3))]:
        image, kernel = rng.normal(size=shape), rng.normal(size=kshape)
        out = conv2d(image, kernel)
        assert out.shape == (shape[0] - kshape[0] + 1, shape[1] - kshape[1] + 1)
        np.testing.assert_allclose(out, correlate2d(image, kernel, mode="valid"), atol=1e-12)


def test_conv2d_edge_detector_by_hand():
    image = np.array([[0, 0, 1, 1], [0, 0, 1, 1], [0, 0, 1, 1]], dtype=float)
    kernel = np.array([[-1.0, 1.0]])  # responds where the intensity steps up to the right
    np.testing.assert_array_equal(conv2d(image, kernel), [[0, 1, 0], [0, 1, 0], [0, 1, 0]])


def test_max_pool2d_hand_examples():
    x = np.array([[1, 2, 5, 0], [3, 4, 1, 1], [0, 0, 9, 8], [7, 1, 6, 5]], dtype=float)
    np.testing.assert_array_equal(max_pool2d(x, 2), [[4, 5], [7, 9]])
    # 5 x 5 with size 2: the last row and column are dropped
    y = np.arange(25.0).reshape(5, 5)
    np.testing.assert_array_equal(max_pool2d(y, 2), [[6, 8], [16, 18]])
    np.testing.assert_array_equal(max_pool2d(y, 3), [[12]])
    np.testing.assert_array_equal(max_pool2d(y, 1), y)


def test_rnn_forward_equals_an_explicit_loop():
    T, n_in, n_hidden = 6, 3, 4
    xs = rng.normal(size=(T, n_in))
    Wx, Wh = rng.normal(size=(n_in, n_hidden)), rng.normal(0, 0.5, size=(n_hidden, n_hidden))
    b, h0 = rng.normal(size=n_hidden), rng.normal(size=n_hidden)
    expected, h = [], h0
    for t in range(T):
        h = np.tanh(xs[t] @ Wx + h @ Wh + b)
        expected.append(h)
    np.testing.assert_allclose(rnn_forward(xs, Wx, Wh, b, h0), np.array(expected), atol=1e-14)
    zeros_start = rnn_forward(xs, Wx, Wh, b)
    np.testing.assert_allclose(zeros_start, rnn_forward(xs, Wx, Wh, b, np.zeros(n_hidden)))


def test_arguments_are_not_changed():
    X, W, b = rng.normal(size=(2, 3)), rng.normal(size=(3, 1)), np.zeros(1)
    copies = [a.copy() for a in (X, W, b)]
    dense_forward(X, W, b)
    dense_backward(np.ones((2, 1)), X, W)
    for a, c in zip((X, W, b), copies, strict=True):
        np.testing.assert_array_equal(a, c)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (
            lambda: dense_forward(np.zeros((4, 2)), np.zeros((3, 2)), np.zeros(2)),
            r"W has shape \(3, 2\), expected \(2, n_out\) to match X with 2 features",
        ),
        (
            lambda: dense_forward(np.zeros((4, 2)), np.zeros((2, 3)), np.zeros(2)),
            r"b has shape \(2,\), expected \(3,\)",
        ),
        (lambda: dense_forward(np.zeros(2), np.zeros((2, 3)), np.zeros(3)), r"X has shape \(2,\)"),
        (
            lambda: dense_backward(np.zeros((4, 2)), np.zeros((4, 2)), np.zeros((2, 3))),
            r"dZ has shape \(4, 2\), expected \(4, 3\)",
        ),
        (
            lambda: conv2d(np.zeros((3, 3)), np.zeros((4, 1))),
            r"kernel has shape \(4, 1\), expected at most",
        ),
        (lambda: conv2d(np.zeros(3), np.zeros((1, 1))), r"image has shape \(3,\)"),
        (lambda: max_pool2d(np.zeros((3, 3)), 4), "size is 4, expected at most"),
        (lambda: max_pool2d(np.zeros((3, 3)), 0), "size must be an integer >= 1"),
        (
            lambda: rnn_forward(np.zeros((3, 2)), np.zeros((3, 4)), np.zeros((4, 4)), np.zeros(4)),
            r"Wx has shape \(3, 4\)",
        ),
        (
            lambda: rnn_forward(np.zeros((3, 2)), np.zeros((2, 4)), np.zeros((4, 3)), np.zeros(4)),
            r"Wh has shape \(4, 3\), expected \(4, 4\)",
        ),
        (
            lambda: rnn_forward(
                np.zeros((3, 2)), np.zeros((2, 4)), np.zeros((4, 4)), np.zeros(4), np.zeros(3)
            ),
            r"h0 has shape \(3,\)",
        ),
    ],
)
def test_bad_input_raises_clear_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()
