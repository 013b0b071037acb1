"""Visible checks of exercise 09_conv_rnn (CNNs and RNNs that learn: the backward passes).

Each ``check_<function>(func)`` calls only the student's ``func`` on small inputs. The correct
answer comes from the course package's layers (:mod:`dlcourse.layers`, itself tested against
central differences); when an answer is wrong, the ``diagnose_<function>`` helpers compare it
with models of the usual mistakes (a flipped kernel, the gradient sent to every element of a
pooling window, a kernel gradient that is not summed over the batch, back-propagation through
time without the recurrent path or the tanh derivative, ...) to name the mistake, and otherwise
with the central-difference gradient of ``L = sum(dOut * forward(...))`` to point at the entry
that is wrong. The hidden tests of the notebook call the same ``diagnose_<function>`` helpers on
random inputs of other shapes.

The loss gradient ``dOut`` (``dhs`` for the recurrent layer) is an input: for a loss ``L`` the
backward functions return ``dL/dX``, ``dL/dK``, ... given ``dL/dOut``; so
``L = sum(dOut * out)`` is the loss whose numerical gradient the answers must equal.
"""

from __future__ import annotations

import numpy as np

# The correct answers: the package's layers, tested against loops, scipy.signal, central
# differences and PyTorch in tests/test_layers.py. Bound here under private names at import
# (the notebook's setup cell), so the notebook's namespace never holds them.
from dlcourse.layers import conv2d_backward as _reference_conv2d_backward
from dlcourse.layers import conv2d_forward as _reference_conv2d_forward
from dlcourse.layers import max_pool2d_backward as _reference_max_pool2d_backward
from dlcourse.layers import max_pool2d_forward as _reference_max_pool2d
from dlcourse.layers import rnn_backward as _reference_rnn_backward
from dlcourse.layers import rnn_forward as _reference_rnn_forward
from dlcourse.testing import assert_close, assert_own_implementation, assert_shape

# helpers shared with exercise 10 (the notebook's hidden tests import call_unchanged from here)
from ._common import ATOL as _ATOL
from ._common import RTOL as _RTOL
from ._common import call_unchanged
from ._common import explain as _explain
from ._common import floats as _floats
from ._common import matches as _matches
from ._common import numerical as _numerical
from ._common import unpack as _unpack

# the notebook's setup cell star-imports this module: it gets the checks, nothing else
__all__ = ["check_conv2d_forward", "check_conv2d_backward", "check_max_pool2d_backward",
           "check_rnn_backward"]


# --------------------------------------------------------------------------- conv2d_forward


def diagnose_conv2d_forward(out, X, K, b, what):
    """Check one ``conv2d_forward(X, K, b)`` result; name the usual mistake when it is wrong."""
    X, K, b = _floats(X, K, b)
    n, c_in, H, W = X.shape
    c_out, _, kh, kw = K.shape
    expected_shape = (n, c_out, H - kh + 1, W - kw + 1)
    shape = tuple(np.shape(out))
    if shape == (n, c_out, H, W) and shape != expected_shape:
        raise AssertionError(
            f"{what} has shape {shape}, the image size of X: that is 'same' padding; the contract "
            f"asks for the 'valid' output of shape (n, c_out, H - kh + 1, W - kw + 1) = "
            f"{expected_shape}, where the kernel stays inside the image")
    if shape == (n, c_out, H - kh, W - kw):
        raise AssertionError(
            f"{what} has shape {shape}, expected {expected_shape}: off by one; a kernel of height "
            f"{kh} fits at H - kh + 1 = {H - kh + 1} positions (range(H - kh + 1))")
    if shape == (n, c_out, c_in, H - kh + 1, W - kw + 1):
        raise AssertionError(
            f"{what} has shape {shape}, expected {expected_shape}: one output channel adds up "
            "the cross-correlations of all input channels; sum over the input channel axis")
    assert_shape(out, expected_shape, what)
    expected = _reference_conv2d_forward(X, K, b)
    candidates = [
        (_reference_conv2d_forward(X, K[:, :, ::-1, ::-1], b),
         "it equals the true convolution, with the kernel flipped: deep-learning libraries "
         "compute the cross-correlation out[n, o, i, j] = sum(X[n, :, i:i+kh, j:j+kw] * K[o]) "
         "+ b[o], without flipping the kernel"),
        (_reference_conv2d_forward(X, K, np.zeros_like(b)),
         "the bias is missing: add b[o] to every position of output channel o"),
        (expected - b[None, :, None, None] + b[None, None, None, :] if W - kw + 1 == c_out
         else None,
         "b is added along the last axis (the columns): add b[o] to output channel o, "
         "b[None, :, None, None] broadcasts it over the samples and positions"),
        (_reference_conv2d_forward(X, K.transpose(1, 0, 2, 3), b) if c_in == c_out else None,
         "the two channel axes of K are swapped: K[o, c] is the kernel that takes input "
         "channel c to output channel o"),
    ]
    if _matches(out, expected):
        return
    for candidate, message in candidates:
        if candidate is not None and _matches(out, candidate) and not _matches(candidate, expected):
            raise AssertionError(f"{what} is wrong: {message}")
    assert_close(out, expected, what, rtol=0.0, atol=_RTOL * float(np.max(np.abs(expected)))
                 + _ATOL, hint="out[n, o, i, j] = sum(X[n, :, i:i+kh, j:j+kw] * K[o]) + b[o]")


def check_conv2d_forward(conv2d_forward):
    """Check conv2d_forward on a batch of two 2-channel images, a 1x1 kernel and a full-size one."""
    assert_own_implementation(conv2d_forward, "conv2d_forward")
    X = np.arange(40.0).reshape(2, 2, 2, 5) / 4.0 - 3.0
    X = np.concatenate([X, X[:, :, ::-1] * 0.5], axis=2)  # (2, 2, 4, 5)
    K = np.array([[[[1.0, 2.0, 0.0], [0.0, -1.0, 3.0]], [[0.5, 0.0, 0.0], [0.0, 0.0, -2.0]]],
                  [[[0.0, 0.0, 1.0], [0.0, 0.0, 0.0]], [[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]],
                  [[[-1.0, 0.0, 0.0], [0.0, 0.0, 0.0]], [[0.0, 0.0, 0.0], [0.0, 0.0, 4.0]]]])
    b = np.array([0.5, -1.0, 2.0])
    out = call_unchanged(conv2d_forward, (X, K, b), "conv2d_forward")
    diagnose_conv2d_forward(out, X, K, b, "conv2d_forward(X (2, 2, 4, 5), K (3, 2, 2, 3), b)")
    # a 1x1 kernel mixes the channels at each pixel: out = 2 * X[:, 0] - X[:, 1] + 1
    K1, b1 = np.array([[[[2.0]], [[-1.0]]]]), np.array([1.0])
    out1 = conv2d_forward(X, K1, b1)
    diagnose_conv2d_forward(out1, X, K1, b1, "conv2d_forward(X, 1x1 kernel, b)")
    assert_close(out1, (2 * X[:, 0] - X[:, 1] + 1)[:, None], "conv2d_forward with a 1x1 kernel")
    # as many input as output channels, a kernel as large as the image: one number per channel
    Kfull = np.stack([np.ones((2, 4, 5)), np.stack([np.eye(4, 5), -np.eye(4, 5)])])
    bfull = np.zeros(2)
    diagnose_conv2d_forward(conv2d_forward(X, Kfull, bfull), X, Kfull, bfull,
                            "conv2d_forward(X, 4x5 kernel as large as the image)")


# --------------------------------------------------------------------------- conv2d_backward


def _conv_loss(dOut, X, K, b):
    return float(np.sum(dOut * _reference_conv2d_forward(X, K, b)))


def diagnose_conv2d_backward(grads, dOut, X, K, what):
    """Check one ``conv2d_backward(dOut, X, K)`` result ``(dX, dK, db)``."""
    dOut, X, K = _floats(dOut, X, K)
    dX, dK, db = _unpack(grads, ("dX", "dK", "db"), what)
    n, c_in, H, W = X.shape
    c_out, _, kh, kw = K.shape
    Ho, Wo = dOut.shape[2:]
    b = np.zeros(c_out)
    eX, eK, eb = _reference_conv2d_backward(dOut, X, K)

    # db: one number per output channel, the sum of dOut over the samples and the positions
    shape = tuple(np.shape(db))
    if shape == (n, c_out):
        raise AssertionError(f"db ({what}) has shape {shape}, expected ({c_out},): the bias is "
                             "shared by all samples, so sum dOut over the samples too "
                             "(axes 0, 2 and 3)")
    if shape == (c_out, Ho, Wo):
        raise AssertionError(f"db ({what}) has shape {shape}, expected ({c_out},): the bias is "
                             "added at every position, so sum dOut over the positions too "
                             "(axes 0, 2 and 3)")
    if shape != (c_out,) and np.size(db) != c_out:
        raise AssertionError(f"db ({what}) has shape {shape}, expected ({c_out},): one entry per "
                             "output channel; sum dOut over axes 0, 2 and 3 and keep axis 1")
    assert_shape(db, (c_out,), f"db ({what})")
    _explain(db, eb, [
        (eb / n, "it is the mean over the samples: the gradient of a sum is a sum, so add up "
                 "dOut over the samples (any 1/n of the loss is already inside dOut)"),
        (dOut[0].sum(axis=(1, 2)), "it holds only the first sample: sum over every sample"),
        (dOut[-1].sum(axis=(1, 2)), "it holds only the last sample: add (+=) the contribution "
                                    "of every sample instead of overwriting it"),
        (dOut.mean(axis=(0, 2, 3)), "it is a mean: db is the sum of dOut over the samples and "
                                    "the positions"),
    ], "db", what, lambda: _numerical(lambda: _conv_loss(dOut, X, K, b), b),
        "db[o] = dOut[:, o].sum()")

    # dK: the same shape as K, a sum over the samples and the output positions
    shape = tuple(np.shape(dK))
    if shape == (n, c_out, c_in, kh, kw):
        raise AssertionError(f"dK ({what}) has shape {shape}, expected {K.shape}: the kernel is "
                             "shared by all samples, so sum their contributions over the batch")
    if shape == (c_in, c_out, kh, kw) and c_in != c_out:
        raise AssertionError(f"dK ({what}) has shape {shape}, expected {K.shape}: the channel "
                             "axes are swapped; dK[o, c] belongs to K[o, c] (output channel o, "
                             "input channel c)")
    assert_shape(dK, K.shape, f"dK ({what})")
    _explain(dK, eK, [
        (_reference_conv2d_backward(dOut[-1:], X[-1:], K)[1],
         "it holds only the last sample's contribution: the kernel is shared by all samples, so "
         "add (+=) the contributions of every sample instead of overwriting dK"),
        (_reference_conv2d_backward(dOut[:1], X[:1], K)[1],
         "it holds only the first sample's contribution: sum over the whole batch"),
        (eK / n, "it is the mean over the samples: sum the contributions of the samples "
                 "(any 1/n of the loss is already inside dOut)"),
        (eK[:, :, ::-1, ::-1], "it is flipped: dK[o, c, u, v] = sum over n, i, j of "
                               "dOut[n, o, i, j] * X[n, c, i + u, j + v]"),
        (eK.transpose(1, 0, 2, 3) if c_in == c_out else None,
         "the channel axes are swapped: dK[o, c] belongs to K[o, c] (output o, input c)"),
    ], "dK", what, lambda: _numerical(lambda: _conv_loss(dOut, X, K, b), K),
        "dK[o, c, u, v] = sum over n, i, j of dOut[n, o, i, j] * X[n, c, i + u, j + v]")

    # dX: the same shape as X; every X[n, c, i + u, j + v] met K[o, c, u, v] in the forward pass
    shape = tuple(np.shape(dX))
    if shape == (n, c_out, H, W) and c_in != c_out:
        raise AssertionError(f"dX ({what}) has shape {shape}, expected {X.shape}: sum over the "
                             "output channels o; dX has one channel per input channel")
    assert_shape(dX, X.shape, f"dX ({what})")
    _explain(dX, eX, [
        (_reference_conv2d_backward(dOut, X, K[:, :, ::-1, ::-1])[0],
         "it uses the kernel the wrong way round: X[n, c, i + u, j + v] was multiplied by "
         "K[o, c, u, v], so dX[n, c, i + u, j + v] += dOut[n, o, i, j] * K[o, c, u, v] (as one "
         "operation: a 'full' convolution of dOut with the flipped kernel)"),
        (_reference_conv2d_backward(dOut, X, K.transpose(1, 0, 2, 3))[0] if c_in == c_out
         else None, "the channel axes of K are swapped: K[o, c] takes input channel c to "
                    "output channel o"),
    ], "dX", what, lambda: _numerical(lambda: _conv_loss(dOut, X, K, b), X),
        "dX[n, c, i + u, j + v] += dOut[n, o, i, j] * K[o, c, u, v] for every o, i, j, u, v")


def check_conv2d_backward(conv2d_backward):
    """Check conv2d_backward on a batch of two 2-channel images and on a single 1-channel one."""
    assert_own_implementation(conv2d_backward, "conv2d_backward")
    # one image, one channel, dOut of ones: db = number of positions, dK[u, v] = sum of the
    # pixels that K[u, v] touched, dX[i, j] = sum of the kernel entries that touched X[i, j]
    X1 = np.arange(12.0).reshape(1, 1, 3, 4)
    K1 = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    dOut1 = np.ones((1, 1, 2, 3))
    grads = call_unchanged(conv2d_backward, (dOut1, X1, K1), "conv2d_backward")
    diagnose_conv2d_backward(grads, dOut1, X1, K1, "one 3x4 image, 2x2 kernel, dOut of ones")
    rng = np.random.default_rng(909)
    X = np.round(rng.normal(size=(2, 2, 5, 4)), 1)
    K = np.round(rng.normal(size=(3, 2, 3, 2)), 1)
    dOut = np.round(rng.normal(size=(2, 3, 3, 3)), 1)
    diagnose_conv2d_backward(conv2d_backward(dOut, X, K), dOut, X, K,
                             "X (2, 2, 5, 4), K (3, 2, 3, 2)")


# --------------------------------------------------------------------------- max_pool2d_backward


def diagnose_max_pool2d_backward(dX, dOut, X, size, what):
    """Check one ``max_pool2d_backward(dOut, X, size)`` result (inputs without ties)."""
    dOut, X = _floats(dOut, X)
    n, c, H, W = X.shape
    Ho, Wo = H // size, W // size
    shape = tuple(np.shape(dX))
    if shape == (n, c, Ho * size, Wo * size) and shape != X.shape:
        raise AssertionError(
            f"dX ({what}) has shape {shape}, expected {X.shape}: dX has the shape of X; the "
            "rows and columns that pooling dropped did not change the loss, so their gradient "
            "is 0")
    if shape == dOut.shape and shape != X.shape:
        raise AssertionError(
            f"dX ({what}) has shape {shape}, the shape of dOut, expected {X.shape}: send each "
            "entry of dOut back to the position in X that held its window's maximum")
    assert_shape(dX, X.shape, f"dX ({what})")
    expected = _reference_max_pool2d_backward(dOut, X, size)
    everywhere = np.zeros_like(X)
    everywhere[:, :, :Ho * size, :Wo * size] = dOut.repeat(size, axis=2).repeat(size, axis=3)

    def loss():
        return float(np.sum(dOut * _reference_max_pool2d(X, size)))

    _explain(dX, expected, [
        (everywhere, "every element of a window gets the window's dOut; only the maximum "
                     "reached the output, so only its position gets dOut, the others 0"),
        (everywhere / size ** 2, "that is the backward pass of average pooling (dOut / size**2 "
                                 "everywhere); max pooling sends dOut to the maximum only"),
        (expected * size ** 2, "the maximum gets size**2 * dOut; it gets dOut once"),
    ], "dX", what, lambda: _numerical(loss, X),
        "dX is 0 except at the maximum of each window, which gets that window's dOut")


def diagnose_tied_max_pool2d_backward(dX, dOut, X, size, what):
    """Check ``dX`` on windows whose maximum appears more than once.

    The derivative is not defined there; the contract accepts any subgradient: each window's
    ``dOut`` split among its tied maxima in shares of at least 0 that add up to 1 (the package
    and PyTorch give it all to the first maximum in reading order, an even split is fine too),
    and 0 everywhere else. Copying the whole ``dOut`` to every tied maximum is not one: the
    window would pass on more gradient than it received.
    """
    dOut, X = _floats(dOut, X)
    assert_shape(dX, X.shape, f"dX ({what})")
    dX = np.asarray(dX, dtype=float)
    n, c, H, W = X.shape
    for a, ch, i, j in np.ndindex(n, c, H // size, W // size):
        rows, cols = slice(i * size, (i + 1) * size), slice(j * size, (j + 1) * size)
        window, grad, given = X[a, ch, rows, cols], dX[a, ch, rows, cols], dOut[a, ch, i, j]
        tied = window == window.max()
        where = f"window ({i}, {j}) of {what}"
        if not np.allclose(grad[~tied], 0.0, atol=1e-9):
            raise AssertionError(f"dX is not 0 away from the maximum in {where}: only a position "
                                 "holding the window's maximum can change the output")
        shares = grad[tied] / given
        if np.isclose(shares.sum(), tied.sum()) and tied.sum() > 1:
            raise AssertionError(
                f"in {where} the maximum appears {int(tied.sum())} times and every one of them "
                f"got the window's whole dOut ({given:g}), so the window passes on "
                f"{int(tied.sum())} times the gradient it received. Give dOut to one of the tied "
                "positions (np.argmax picks the first, as the package does) or split it among "
                "them")
        if not (np.all(shares >= -1e-9) and np.isclose(shares.sum(), 1.0, atol=1e-9)):
            raise AssertionError(
                f"in {where} the tied maxima got {grad[tied].round(6).tolist()} of the window's "
                f"dOut {given:g}: together they should get exactly dOut (all of it to one of "
                "them, or shares of it)")


def check_max_pool2d_backward(max_pool2d_backward):
    """Check max_pool2d_backward on a 2-channel 4x5 input (a column dropped) and a batch of 2."""
    assert_own_implementation(max_pool2d_backward, "max_pool2d_backward")
    X = np.array([[[[1.0, 3.0, 2.0, 0.0, 9.0],
                    [4.0, -1.0, 5.0, 7.0, 8.0],
                    [0.5, 2.5, -3.0, 6.0, 7.5],
                    [9.0, 1.5, 8.0, -2.0, 1.0]],
                   [[-1.0, -2.0, -3.0, -4.0, 5.0],
                    [-5.0, -6.0, -7.0, -8.0, 6.0],
                    [-0.5, -0.2, -0.9, -0.1, 7.0],
                    [-0.3, -0.4, -0.6, -0.7, 8.0]]]])
    dOut = np.array([[[[1.0, 2.0], [3.0, -4.0]], [[0.5, -1.5], [2.5, 1.0]]]])
    dX = call_unchanged(max_pool2d_backward, (dOut, X, 2), "max_pool2d_backward")
    diagnose_max_pool2d_backward(dX, dOut, X, 2, "X (1, 2, 4, 5), size 2")
    rng = np.random.default_rng(9092)
    X2 = rng.permutation(72).reshape(2, 1, 6, 6) / 8.0 - 4.0  # distinct values: no ties
    dOut2 = np.arange(1.0, 9.0).reshape(2, 1, 2, 2)
    diagnose_max_pool2d_backward(max_pool2d_backward(dOut2, X2, 3), dOut2, X2, 3,
                                 "X (2, 1, 6, 6), size 3")
    # ties: two 4s in the first window, three 0s in the second (any subgradient passes)
    X3 = np.array([[[[1.0, 4.0, 0.0, 0.0], [4.0, 2.0, 0.0, -1.0]]]])
    dOut3 = np.array([[[[10.0, -3.0]]]])
    diagnose_tied_max_pool2d_backward(max_pool2d_backward(dOut3, X3.copy(), 2), dOut3, X3, 2,
                                      "X (1, 1, 2, 4) with tied maxima, size 2")


#: Shape of X in the case too large for finite differences: about 410 000 inputs, so central
#: differences need some 820 000 forward passes (minutes on any CPU, beyond a test cell's time
#: limit), where routing dOut to the maxima is one pass over the windows
LARGE_POOL_SHAPE = (8, 8, 80, 80)


def check_max_pool2d_backward_at_scale(max_pool2d_backward, seed=9093):
    """Check max_pool2d_backward with windows of 2 on an X of :data:`LARGE_POOL_SHAPE`
    (distinct values: no ties) against the package's: an answer that differentiates
    numerically runs out of time (hostile review 21b, hole 10), a loop over the windows
    takes about a second."""
    rng = np.random.default_rng(seed)
    n, c, H, W = LARGE_POOL_SHAPE
    X = rng.permutation(n * c * H * W).reshape(LARGE_POOL_SHAPE) / 7.0 - 1000.0
    dOut = rng.normal(size=(n, c, H // 2, W // 2))
    what = f"X {LARGE_POOL_SHAPE}, size 2"
    dX = call_unchanged(max_pool2d_backward, (dOut, X, 2), "max_pool2d_backward")
    expected = _reference_max_pool2d_backward(dOut, X, 2)
    assert_shape(dX, expected.shape, f"dX ({what})")
    assert_close(dX, expected, f"dX ({what})", rtol=_RTOL, atol=_ATOL,
                 hint="dX is dOut at the position of each window's maximum, 0 elsewhere")


# --------------------------------------------------------------------------- rnn_backward


def _bptt_model(dhs, xs, hs, Wx, Wh, h0, *, recurrent=True, derivative="1 - h**2",
                previous=True, h0_in_dWh=True, Wh_transposed=True, dh0_after_step=True):
    """Back-propagation through time, and models of its usual mistakes (keyword switches).

    The correct gradients come from :func:`dlcourse.layers.rnn_backward`; this loop exists for
    its switches, each of which models one mistake that the diagnoses name (with every switch
    at its default it equals the package's function: tests/test_checks_ex09_conv_rnn.py).
    """
    T, n_hidden = hs.shape
    h0 = np.zeros(n_hidden) if h0 is None else h0
    dxs, dWx, dWh, db = (np.zeros_like(xs), np.zeros_like(Wx), np.zeros_like(Wh),
                         np.zeros(n_hidden))
    dh_next = np.zeros(n_hidden)       # dL/dh_t through step t + 1 (zero after the last step)
    for t in reversed(range(T)):
        dh = dhs[t] + dh_next if recurrent else dhs[t]
        local = {"1 - h**2": 1.0 - hs[t] ** 2, "none": 1.0,
                 "tanh(h)": 1.0 - np.tanh(hs[t]) ** 2}[derivative]
        da = dh * local                # dL/da_t, a_t = x_t Wx + h_{t-1} Wh + b
        h_prev = hs[t - 1] if t > 0 else (h0 if h0_in_dWh else np.zeros(n_hidden))
        dxs[t] = da @ Wx.T
        dWx += np.outer(xs[t], da)
        dWh += np.outer(h_prev if previous else hs[t], da)
        db += da
        dh_next = da @ (Wh.T if Wh_transposed else Wh)
        if t == 0 and not dh0_after_step:
            dh_next = dh
    return dxs, dWx, dWh, db, dh_next


_RNN_MISTAKES = [
    (dict(recurrent=False), ("it matches back-propagation through time without the recurrent "
                             "path: h_t also feeds step t + 1, so the gradient reaching h_t is "
                             "dhs[t] plus (dL/da_{t+1}) @ Wh.T from the step after it")),
    (dict(derivative="none"), ("the tanh derivative is missing: dL/da_t = dL/dh_t * "
                               "(1 - h_t**2) with h_t = hs[t]")),
    (dict(derivative="tanh(h)"), ("hs already holds tanh(a_t): the derivative is "
                                  "1 - hs[t]**2, not 1 - tanh(hs[t])**2")),
    (dict(previous=False), ("dWh pairs dL/da_t with h_t; step t multiplied Wh by the previous "
                            "state h_{t-1} (hs[t - 1], and h0 for the first step)")),
    (dict(h0_in_dWh=False), ("the first step multiplied Wh by h0, so dWh gets "
                             "outer(h0, dL/da_1) too (zeros only when h0 is None)")),
    (dict(Wh_transposed=False), ("the gradient goes back to h_{t-1} through Wh.T: "
                                 "(dL/da_t) @ Wh.T, not @ Wh")),
    (dict(dh0_after_step=False), ("dh0 is the gradient reaching h0 through the first step: "
                                  "(dL/da_1) @ Wh.T, not dL/dh_1")),
]


def rnn_states(xs, Wx, Wh, b, h0=None):
    """The hidden states ``hs`` of the recurrent layer (inputs for the hidden tests)."""
    return _reference_rnn_forward(xs, Wx, Wh, b, h0)


def _rnn_loss(dhs, xs, Wx, Wh, b, h0):
    return float(np.sum(dhs * _reference_rnn_forward(xs, Wx, Wh, b, h0)))


def diagnose_rnn_backward(grads, dhs, xs, hs, Wx, Wh, b, h0, what):
    """Check one ``rnn_backward(dhs, xs, hs, Wx, Wh, h0)`` result ``(dxs, dWx, dWh, db, dh0)``.

    ``b`` is not an argument of ``rnn_backward`` (the gradients do not depend on it) but is
    needed for the numerical gradient; ``hs`` must be ``rnn_forward(xs, Wx, Wh, b, h0)``.
    """
    dhs, xs, hs, Wx, Wh, b = _floats(dhs, xs, hs, Wx, Wh, b)
    h0_given = h0 is not None
    h0 = np.zeros(Wh.shape[0]) if h0 is None else np.array(h0, dtype=float)
    names = ("dxs", "dWx", "dWh", "db", "dh0")
    answer = _unpack(grads, names, what)
    expected = _reference_rnn_backward(dhs, xs, hs, Wx, Wh, h0)
    models = [(_bptt_model(dhs, xs, hs, Wx, Wh, h0, **switch), message)
              for switch, message in _RNN_MISTAKES
              if h0_given or "h0_in_dWh" not in switch]
    weights = {"dxs": xs, "dWx": Wx, "dWh": Wh, "db": b, "dh0": h0}
    hints = {
        "dxs": "dxs[t] = (dL/da_t) @ Wx.T with dL/da_t = (dhs[t] + dL/dh_t from step t + 1) "
               "* (1 - hs[t]**2)",
        "dWx": "dWx = sum over t of outer(xs[t], dL/da_t)",
        "dWh": "dWh = sum over t of outer(h_{t-1}, dL/da_t), with h_0 = h0",
        "db": "db = sum over t of dL/da_t",
        "dh0": "dh0 = (dL/da_1) @ Wh.T",
    }
    for index, name in enumerate(names):
        label = f"{name} ({what})"
        if name == "dWh" and np.shape(answer[index]) == Wh.shape and not _matches(
                answer[index], expected[index]) and _matches(answer[index], expected[index].T):
            raise AssertionError(f"{label} is transposed: dWh[i, j] belongs to Wh[i, j], "
                                 "which takes h_{t-1}[i] to a_t[j], so dWh = sum of "
                                 "outer(h_{t-1}, dL/da_t)")
        assert_shape(answer[index], expected[index].shape, label)

        def numeric(name=name):
            return _numerical(lambda: _rnn_loss(dhs, xs, Wx, Wh, b, h0), weights[name])

        _explain(answer[index], expected[index],
                 [(model[index], message) for model, message in models],
                 name, what, numeric, hints[name])


def check_rnn_backward(rnn_backward):
    """Check rnn_backward on a 3-step sequence, and with a loss on the last state only."""
    assert_own_implementation(rnn_backward, "rnn_backward")
    xs = np.array([[1.0, 0.0], [0.5, -1.0], [0.0, 2.0]])
    Wx = np.array([[0.5, -0.3, 0.2], [0.8, 0.2, -0.4]])
    Wh = np.array([[0.1, 0.9, 0.0], [-0.6, 0.4, 0.3], [0.2, 0.0, -0.5]])
    b = np.array([0.05, -0.1, 0.2])
    h0 = np.array([0.3, -0.7, 0.5])
    hs = _reference_rnn_forward(xs, Wx, Wh, b, h0)
    dhs = np.array([[0.5, -1.0, 0.2], [1.0, 0.3, -0.4], [-0.2, 0.8, 1.0]])
    grads = call_unchanged(rnn_backward, (dhs, xs, hs, Wx, Wh, h0), "rnn_backward")
    diagnose_rnn_backward(grads, dhs, xs, hs, Wx, Wh, b, h0, "a 3-step sequence")
    # a loss on the last state only: every earlier gradient comes through the recurrent path
    last = np.zeros_like(dhs)
    last[-1] = [1.0, -1.0, 0.5]
    diagnose_rnn_backward(rnn_backward(last, xs, hs, Wx, Wh, h0), last, xs, hs, Wx, Wh, b, h0,
                          "a loss on the last state only")


CHECKS = {
    "conv2d_forward": check_conv2d_forward,
    "conv2d_backward": check_conv2d_backward,
    "max_pool2d_backward": check_max_pool2d_backward,
    "rnn_backward": check_rnn_backward,
}
