"""Tests for dlcourse.layers: dense forward/backward, conv2d, max pooling, the RNN layer.

The batched layers (conv2d_forward/backward, max_pool2d_forward/backward, rnn_backward)
are checked against scipy.signal.correlate or plain loops written independently here,
and every backward against central differences.
"""

import numpy as np
import pytest
from scipy.signal import correlate, correlate2d

from dlcourse.gradcheck import numerical_gradient, relative_error
from dlcourse.layers import (
    conv2d,
    conv2d_backward,
    conv2d_forward,
    conv2d_output_size,
    dense_backward,
    dense_forward,
    max_pool2d,
    max_pool2d_backward,
    max_pool2d_forward,
    rnn_backward,
    rnn_forward,
)

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
    images, K, kb = rng.normal(size=(2, 2, 5, 5)), rng.normal(size=(3, 2, 2, 2)), np.ones(3)
    xs, Wx, Wh = rng.normal(size=(4, 2)), rng.normal(size=(2, 3)), rng.normal(size=(3, 3))
    arrays = (images, K, kb, xs, Wx, Wh)
    copies = [a.copy() for a in arrays]
    conv2d_backward(conv2d_forward(images, K, kb), images, K)
    max_pool2d_backward(max_pool2d_forward(images, 2), images, 2)
    hs = rnn_forward(xs, Wx, Wh, np.zeros(3))
    rnn_backward(np.ones_like(hs), xs, hs, Wx, Wh)
    for a, c in zip(arrays, copies, strict=True):
        np.testing.assert_array_equal(a, c)


# ----------------------------------------------------------------------------- batched conv


def conv_by_loops(X, K, b):
    """Independent reference: the definition, one output entry at a time."""
    n, c_in, H, W = X.shape
    c_out, _, kh, kw = K.shape
    out = np.zeros((n, c_out, H - kh + 1, W - kw + 1))
    for s in range(n):
        for o in range(c_out):
            for i in range(H - kh + 1):
                for j in range(W - kw + 1):
                    out[s, o, i, j] = np.sum(X[s, :, i : i + kh, j : j + kw] * K[o]) + b[o]
    return out


CONV_SHAPES = [
    ((3, 1, 8, 8), (4, 1, 3, 3)),
    ((2, 3, 6, 7), (5, 3, 2, 4)),
    ((1, 2, 4, 4), (1, 2, 4, 4)),  # kernel as large as the image: one output position
    ((2, 2, 5, 3), (3, 2, 1, 1)),
]


@pytest.mark.parametrize(("xshape", "kshape"), CONV_SHAPES)
def test_conv2d_forward_equals_scipy_correlate_and_loops(xshape, kshape):
    X, K, b = rng.normal(size=xshape), rng.normal(size=kshape), rng.normal(size=kshape[0])
    out = conv2d_forward(X, K, b)
    n, c_in, H, W = xshape
    assert out.shape == (n, kshape[0], H - kshape[2] + 1, W - kshape[3] + 1)
    # scipy correlates over the channel axis too; with equal channel counts "valid" keeps one
    expected = np.array(
        [
            [correlate(X[s], K[o], mode="valid")[0] + b[o] for o in range(kshape[0])]
            for s in range(n)
        ]
    )
    np.testing.assert_allclose(out, expected, atol=1e-12)
    np.testing.assert_allclose(out, conv_by_loops(X, K, b), atol=1e-12)


def test_conv2d_forward_agrees_with_the_single_image_conv2d():
    image, kernel = rng.normal(size=(6, 5)), rng.normal(size=(3, 2))
    out = conv2d_forward(image[None, None], kernel[None, None], [0.0])
    np.testing.assert_allclose(out[0, 0], conv2d(image, kernel), atol=1e-12)


@pytest.mark.parametrize(("xshape", "kshape"), CONV_SHAPES)
def test_conv2d_backward_matches_numerical_gradients(xshape, kshape):
    X, K, b = rng.normal(size=xshape), rng.normal(size=kshape), rng.normal(size=kshape[0])
    G = rng.normal(size=conv2d_forward(X, K, b).shape)  # dL/dOut of L = sum(Out * G)

    def loss():
        return np.sum(conv2d_forward(X, K, b) * G)

    dX, dK, db = conv2d_backward(G, X, K)
    for analytic, x in [(dX, X), (dK, K), (db, b)]:
        numeric = numerical_gradient(lambda _: loss(), x)
        assert analytic.shape == x.shape
        assert relative_error(analytic, numeric) < 1e-7


def test_conv2d_backward_dK_is_a_correlation_of_the_input_with_dOut():
    # the chapter's claim: every weight sees every position, so dK[o, c] correlates X with dOut
    X, K = rng.normal(size=(3, 2, 7, 6)), rng.normal(size=(4, 2, 3, 2))
    dOut = rng.normal(size=(3, 4, 5, 5))
    _, dK, _ = conv2d_backward(dOut, X, K)
    expected = np.zeros(K.shape)
    for s in range(3):
        for o in range(4):
            for c in range(2):
                expected[o, c] += correlate2d(X[s, c], dOut[s, o], mode="valid")
    np.testing.assert_allclose(dK, expected, atol=1e-12)


# ----------------------------------------------------------------------------- batched pooling


def pool_by_loops(X, size):
    n, c, H, W = X.shape
    out = np.empty((n, c, H // size, W // size))
    for s, ch, i, j in np.ndindex(out.shape):
        out[s, ch, i, j] = X[s, ch, i * size : (i + 1) * size, j * size : (j + 1) * size].max()
    return out


def pool_backward_by_loops(dOut, X, size):
    """Reference of the documented tie rule: the first maximum in row-major order wins."""
    dX = np.zeros_like(X)
    for s, ch, i, j in np.ndindex(dOut.shape):
        window = X[s, ch, i * size : (i + 1) * size, j * size : (j + 1) * size]
        best = None
        for k in range(size):
            for m in range(size):
                if best is None or window[k, m] > window[best]:
                    best = (k, m)
        dX[s, ch, i * size + best[0], j * size + best[1]] += dOut[s, ch, i, j]
    return dX


@pytest.mark.parametrize(
    ("shape", "size"), [((2, 3, 6, 6), 2), ((1, 2, 7, 5), 2), ((2, 1, 8, 9), 3)]
)
def test_max_pool2d_forward_equals_loops_and_drops_leftovers(shape, size):
    X = rng.normal(size=shape)
    out = max_pool2d_forward(X, size)
    assert out.shape == (shape[0], shape[1], shape[2] // size, shape[3] // size)
    np.testing.assert_array_equal(out, pool_by_loops(X, size))
    np.testing.assert_array_equal(out[1 % shape[0], 0], max_pool2d(X[1 % shape[0], 0], size))


@pytest.mark.parametrize(
    ("shape", "size"), [((2, 2, 6, 6), 2), ((1, 2, 7, 5), 2), ((2, 1, 8, 9), 3)]
)
def test_max_pool2d_backward_matches_numerical_gradients(shape, size):
    # distinct values (no ties), so the max is differentiable and the numbers must agree
    X = rng.permutation(np.prod(shape)).reshape(shape) / 10.0
    G = rng.normal(size=max_pool2d_forward(X, size).shape)

    def loss():
        return np.sum(max_pool2d_forward(X, size) * G)

    dX = max_pool2d_backward(G, X, size)
    numeric = numerical_gradient(lambda _: loss(), X, eps=1e-4)
    assert relative_error(dX, numeric) < 1e-8
    # leftover rows and columns were not used: zero gradient
    h, w = shape[2] // size * size, shape[3] // size * size
    assert np.all(dX[:, :, h:, :] == 0) and np.all(dX[:, :, :, w:] == 0)


def test_max_pool2d_backward_tie_rule_first_maximum_in_row_major_order():
    # one 2x2 window per case; the gradient 5.0 must land on the first maximum only
    cases = {
        "all equal: top-left": ([[1.0, 1.0], [1.0, 1.0]], (0, 0)),
        "top row tie: left": ([[2.0, 2.0], [0.0, 1.0]], (0, 1 - 1)),
        "tie across rows: upper": ([[0.0, 3.0], [3.0, 1.0]], (0, 1)),
        "bottom row tie: left": ([[0.0, -1.0], [4.0, 4.0]], (1, 0)),
        "all negative, equal": ([[-2.0, -3.0], [-2.0, -2.0]], (0, 0)),
    }
    for name, (window, winner) in cases.items():
        X = np.array(window)[None, None]
        dX = max_pool2d_backward([[[[5.0]]]], X, 2)
        expected = np.zeros((2, 2))
        expected[winner] = 5.0
        np.testing.assert_array_equal(dX[0, 0], expected, err_msg=name)
    # many ties at random (small integers): the same as the loop reference, and each
    # window passes on exactly its own gradient
    X = rng.integers(0, 3, size=(3, 2, 8, 7)).astype(float)
    dOut = rng.normal(size=(3, 2, 4, 3))
    dX = max_pool2d_backward(dOut, X, 2)
    np.testing.assert_array_equal(dX, pool_backward_by_loops(dOut, X, 2))
    np.testing.assert_allclose(dX.sum(), dOut.sum())


@pytest.mark.torch
def test_batched_layers_agree_with_pytorch():
    torch = pytest.importorskip("torch")
    X, K, b = rng.normal(size=(3, 2, 7, 6)), rng.normal(size=(4, 2, 3, 2)), rng.normal(size=4)
    G = rng.normal(size=(3, 4, 5, 5))
    tX, tK, tb = (torch.tensor(a, requires_grad=True) for a in (X, K, b))
    out = torch.nn.functional.conv2d(tX, tK, tb)
    (out * torch.tensor(G)).sum().backward()
    np.testing.assert_allclose(conv2d_forward(X, K, b), out.detach().numpy(), atol=1e-12)
    for ours, theirs in zip(conv2d_backward(G, X, K), (tX, tK, tb), strict=True):
        np.testing.assert_allclose(ours, theirs.grad.numpy(), atol=1e-12)
    # pooling, ties included: PyTorch's CPU kernel also sends the gradient to the first maximum
    P = rng.integers(0, 3, size=(2, 3, 6, 7)).astype(float)
    dP = rng.normal(size=(2, 3, 3, 3))
    tP = torch.tensor(P, requires_grad=True)
    pooled = torch.nn.functional.max_pool2d(tP, 2)
    (pooled * torch.tensor(dP)).sum().backward()
    np.testing.assert_array_equal(max_pool2d_forward(P, 2), pooled.detach().numpy())
    np.testing.assert_array_equal(max_pool2d_backward(dP, P, 2), tP.grad.numpy())


# ----------------------------------------------------------------------------- BPTT


@pytest.mark.parametrize("with_h0", [True, False])
def test_rnn_backward_matches_numerical_gradients(with_h0):
    T, n_in, n_hidden = 7, 3, 4
    xs = rng.normal(size=(T, n_in))
    Wx, Wh = (
        rng.normal(0, 0.7, size=(n_in, n_hidden)),
        rng.normal(0, 0.5, size=(n_hidden, n_hidden)),
    )
    b = rng.normal(size=n_hidden)
    h0 = rng.normal(0, 0.5, size=n_hidden) if with_h0 else np.zeros(n_hidden)
    G = rng.normal(size=(T, n_hidden))  # dL/dh_t of L = sum(hs * G)

    def loss():
        return np.sum(rnn_forward(xs, Wx, Wh, b, h0) * G)

    hs = rnn_forward(xs, Wx, Wh, b, h0)
    grads = rnn_backward(G, xs, hs, Wx, Wh, h0 if with_h0 else None)
    for analytic, x in zip(grads, (xs, Wx, Wh, b, h0), strict=True):
        numeric = numerical_gradient(lambda _: loss(), x)
        assert analytic.shape == x.shape
        assert relative_error(analytic, numeric) < 1e-7


def test_rnn_takes_a_batch_of_sequences_stepped_together():
    """(T, n_batch, n_in): each sequence as if run alone; the weight gradients summed."""
    rng = np.random.default_rng(7)
    xs, Wx, Wh, b = (
        rng.normal(size=(6, 3, 2)),
        rng.normal(size=(2, 4)),
        rng.normal(size=(4, 4)),
        rng.normal(size=4),
    )
    h0 = rng.normal(size=(3, 4)) * 0.3
    hs = rnn_forward(xs, Wx, Wh, b, h0)
    dhs = rng.normal(size=hs.shape)
    dxs, dWx, dWh, db, dh0 = rnn_backward(dhs, xs, hs, Wx, Wh, h0)
    alone = [rnn_backward(dhs[:, s], xs[:, s], hs[:, s], Wx, Wh, h0[s]) for s in range(3)]
    for s in range(3):
        np.testing.assert_allclose(hs[:, s], rnn_forward(xs[:, s], Wx, Wh, b, h0[s]), atol=1e-14)
        np.testing.assert_allclose(dxs[:, s], alone[s][0], atol=1e-12)
        np.testing.assert_allclose(dh0[s], alone[s][4], atol=1e-12)
    for k, grad in ((1, dWx), (2, dWh), (3, db)):
        np.testing.assert_allclose(grad, sum(a[k] for a in alone), atol=1e-12)
    # one h0 for the whole batch is broadcast to every sequence
    np.testing.assert_allclose(
        rnn_forward(xs, Wx, Wh, b, h0[0])[:, 2], rnn_forward(xs[:, 2], Wx, Wh, b, h0[0])
    )


def test_rnn_backward_only_the_last_state_matters():
    # a loss on h_T alone still reaches the first input, through every step in between
    xs, Wx, Wh = rng.normal(size=(5, 2)), rng.normal(size=(2, 3)), rng.normal(size=(3, 3))
    hs = rnn_forward(xs, Wx, Wh, np.zeros(3))
    dhs = np.zeros((5, 3))
    dhs[-1] = 1.0
    dxs, *_ = rnn_backward(dhs, xs, hs, Wx, Wh)
    assert np.all(np.abs(dxs[0]) > 0)
    # cutting the recurrence (Wh = 0) leaves the gradient only at the last input
    hs0 = rnn_forward(xs, Wx, np.zeros((3, 3)), np.zeros(3))
    dxs0, _, _, _, dh0 = rnn_backward(dhs, xs, hs0, Wx, np.zeros((3, 3)))
    assert np.all(dxs0[:-1] == 0) and np.all(dh0 == 0) and np.any(dxs0[-1] != 0)


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


X4, K4 = np.zeros((2, 3, 6, 6)), np.zeros((4, 3, 3, 3))


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: conv2d_forward(np.zeros((3, 6, 6)), K4, np.zeros(4)), r"X has shape \(3, 6, 6\)"),
        (
            lambda: conv2d_forward(X4, np.zeros((4, 2, 3, 3)), np.zeros(4)),
            r"K has shape \(4, 2, 3, 3\), expected \(c_out, 3, kh, kw\)",
        ),
        (
            lambda: conv2d_forward(X4, np.zeros((4, 3, 7, 3)), np.zeros(4)),
            r"K has shape \(4, 3, 7, 3\), expected kernels of at most",
        ),
        (lambda: conv2d_forward(X4, K4, np.zeros(3)), r"b has shape \(3,\), expected \(4,\)"),
        (lambda: conv2d_forward(X4, np.zeros((3, 3)), np.zeros(4)), r"K has shape \(3, 3\)"),
        (
            lambda: conv2d_backward(np.zeros((2, 4, 6, 6)), X4, K4),
            r"dOut has shape \(2, 4, 6, 6\), expected \(2, 4, 4, 4\)",
        ),
        (lambda: conv2d_forward(X4 + np.nan, K4, np.zeros(4)), "X contains NaN"),
        (lambda: max_pool2d_forward(np.zeros((6, 6)), 2), r"X has shape \(6, 6\)"),
        (lambda: max_pool2d_forward(X4, 7), "size is 7, expected at most"),
        (lambda: max_pool2d_forward(X4, 2.0), "size must be an integer"),
        (
            lambda: max_pool2d_backward(np.zeros((2, 3, 2, 2)), X4, 2),
            r"dOut has shape \(2, 3, 2, 2\), expected \(2, 3, 3, 3\)",
        ),
        (
            lambda: rnn_backward(
                np.zeros((4, 3)),
                np.zeros((4, 2)),
                np.zeros((4, 4)),
                np.zeros((2, 4)),
                np.zeros((4, 4)),
            ),
            r"dhs has shape \(4, 3\), expected \(4, 4\)",
        ),
        (
            lambda: rnn_backward(
                np.zeros((4, 4)),
                np.zeros((4, 2)),
                np.zeros((3, 4)),
                np.zeros((2, 4)),
                np.zeros((4, 4)),
            ),
            r"hs has shape \(3, 4\), expected \(4, 4\)",
        ),
        (
            lambda: rnn_backward(
                np.zeros((4, 4)),
                np.zeros((4, 2)),
                np.full((4, 4), 2.0),
                np.zeros((2, 4)),
                np.zeros((4, 4)),
            ),
            r"hs has values outside \[-1, 1\]",
        ),
        (
            lambda: rnn_backward(
                np.zeros((4, 4)),
                np.zeros((4, 2)),
                np.zeros((4, 4)),
                np.zeros((2, 4)),
                np.zeros((4, 4)),
                np.zeros(2),
            ),
            r"h0 has shape \(2,\), expected \(4,\)",
        ),
    ],
)
def test_batched_layers_bad_input_raises_clear_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ----------------------------------------------------------------------------- stride and padding


def conv_by_loops_strided(X, K, b, stride, padding):
    """Independent reference with stride and zero padding, one output entry at a time."""
    Xp = np.pad(X, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    n, _, H, W = Xp.shape
    c_out, _, kh, kw = K.shape
    Ho, Wo = (H - kh) // stride + 1, (W - kw) // stride + 1
    out = np.zeros((n, c_out, Ho, Wo))
    for s in range(n):
        for o in range(c_out):
            for i in range(Ho):
                for j in range(Wo):
                    window = Xp[s, :, i * stride : i * stride + kh, j * stride : j * stride + kw]
                    out[s, o, i, j] = np.sum(window * K[o]) + b[o]
    return out


STRIDED = [
    # (X shape, K shape, stride, padding)
    ((2, 1, 8, 8), (3, 1, 3, 3), 2, 0),
    ((2, 2, 7, 6), (3, 2, 3, 2), 2, 1),  # odd sizes: the last row/column is never read
    ((1, 3, 5, 5), (2, 3, 3, 3), 1, 1),  # "same" padding
    ((2, 1, 9, 7), (2, 1, 2, 3), 3, 2),
    ((1, 1, 2, 2), (1, 1, 4, 4), 1, 1),  # kernel larger than the image, fits after padding
]


@pytest.mark.parametrize(("xshape", "kshape", "stride", "padding"), STRIDED)
def test_conv2d_forward_with_stride_and_padding_equals_loops(xshape, kshape, stride, padding):
    X, K, b = rng.normal(size=xshape), rng.normal(size=kshape), rng.normal(size=kshape[0])
    out = conv2d_forward(X, K, b, stride=stride, padding=padding)
    np.testing.assert_allclose(out, conv_by_loops_strided(X, K, b, stride, padding), atol=1e-12)
    assert out.shape[2:] == (
        conv2d_output_size(xshape[2], kshape[2], stride, padding),
        conv2d_output_size(xshape[3], kshape[3], stride, padding),
    )


@pytest.mark.parametrize(("xshape", "kshape", "stride", "padding"), STRIDED)
def test_conv2d_backward_with_stride_and_padding_matches_numerical_gradients(
    xshape, kshape, stride, padding
):
    X, K, b = rng.normal(size=xshape), rng.normal(size=kshape), rng.normal(size=kshape[0])
    G = rng.normal(size=conv2d_forward(X, K, b, stride, padding).shape)

    def loss():
        return np.sum(conv2d_forward(X, K, b, stride, padding) * G)

    dX, dK, db = conv2d_backward(G, X, K, stride, padding)
    for analytic, x in [(dX, X), (dK, K), (db, b)]:
        numeric = numerical_gradient(lambda _: loss(), x)
        assert analytic.shape == x.shape
        assert relative_error(analytic, numeric) < 1e-7


def test_conv2d_defaults_are_the_old_valid_stride_1_layer():
    X, K, b = rng.normal(size=(2, 2, 6, 5)), rng.normal(size=(3, 2, 3, 2)), rng.normal(size=3)
    G = rng.normal(size=(2, 3, 4, 4))
    np.testing.assert_array_equal(conv2d_forward(X, K, b), conv2d_forward(X, K, b, 1, 0))
    for a, c in zip(conv2d_backward(G, X, K), conv2d_backward(G, X, K, 1, 0), strict=True):
        np.testing.assert_array_equal(a, c)


def test_conv2d_output_size_formula_by_hand():
    assert conv2d_output_size(8, 3) == 6
    assert conv2d_output_size(8, 3, padding=1) == 8  # "same" padding for a 3 x 3 kernel
    assert conv2d_output_size(8, 3, stride=2) == 3  # corners at 0, 2, 4; 6 would overrun
    assert conv2d_output_size(256, 5, stride=2, padding=2) == 128


@pytest.mark.torch
@pytest.mark.parametrize(("xshape", "kshape", "stride", "padding"), STRIDED)
def test_strided_padded_conv2d_agrees_with_pytorch(xshape, kshape, stride, padding):
    torch = pytest.importorskip("torch")
    X, K, b = rng.normal(size=xshape), rng.normal(size=kshape), rng.normal(size=kshape[0])
    tX, tK, tb = (torch.tensor(a, requires_grad=True) for a in (X, K, b))
    out = torch.nn.functional.conv2d(tX, tK, tb, stride=stride, padding=padding)
    G = rng.normal(size=tuple(out.shape))
    (out * torch.tensor(G)).sum().backward()
    np.testing.assert_allclose(
        conv2d_forward(X, K, b, stride=stride, padding=padding), out.detach().numpy(), atol=1e-12
    )
    ours = conv2d_backward(G, X, K, stride=stride, padding=padding)
    for mine, theirs in zip(ours, (tX, tK, tb), strict=True):
        np.testing.assert_allclose(mine, theirs.grad.numpy(), atol=1e-12)


X5, K3 = np.zeros((1, 1, 5, 5)), np.zeros((2, 1, 3, 3))


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (
            lambda: conv2d_forward(X5, K3, np.zeros(2), stride=0),
            "stride must be an integer >= 1, got 0",
        ),
        (lambda: conv2d_forward(X5, K3, np.zeros(2), stride=1.5), "stride must be an integer"),
        (
            lambda: conv2d_forward(X5, K3, np.zeros(2), padding=-1),
            "padding must be an integer >= 0",
        ),
        (lambda: conv2d_forward(X5, K3, np.zeros(2), padding=True), "padding must be an integer"),
        (
            lambda: conv2d_forward(X5, np.zeros((2, 1, 8, 8)), np.zeros(2), padding=1),
            r"K has shape \(2, 1, 8, 8\), expected kernels of at most the images' size \(7, 7\) "
            "after padding 1",
        ),
        (
            lambda: conv2d_backward(np.zeros((1, 2, 3, 3)), X5, K3, stride=2),
            r"dOut has shape \(1, 2, 3, 3\), expected \(1, 2, 2, 2\)",
        ),
        (lambda: conv2d_backward(np.zeros((1, 2, 3, 3)), X5, K3, stride=-2), "stride must be"),
        (lambda: conv2d_output_size(4, 7, padding=1), "kernel_size is 7, expected at most"),
    ],
)
def test_stride_and_padding_bad_input_raises_clear_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()
