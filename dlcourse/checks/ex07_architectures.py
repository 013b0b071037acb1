"""Visible checks of exercise 07_architectures (convolution, pooling and a recurrent layer).

Each ``check_<function>(func)`` calls only the student's ``func`` on small inputs and compares
with answers computed here by plain loops over the definition. When an answer is wrong, the
checks compare it with the usual mistakes (a flipped kernel, 'same' padding, overlapping or
average pooling, a recurrent layer that ignores ``h0`` ...) to say which one it is.
"""

from __future__ import annotations

import numpy as np

from dlcourse.testing import (
    assert_close,
    assert_own_implementation,
    assert_shape,
    call_in_place,
    same_values,
)

# The contract names no dtype, so an answer computed in float32 (as deep-learning libraries do)
# is correct: its rounding errors reach ~1e-6 after a few recurrent steps, while every mistake
# the diagnoses name is off by 0.1 or more.
_RTOL, _ATOL = 1e-5, 1e-5


def reference_conv2d(image, kernel):
    """Valid cross-correlation by its definition: out[i, j] = sum(window * kernel)."""
    image, kernel = np.asarray(image, dtype=float), np.asarray(kernel, dtype=float)
    kh, kw = kernel.shape
    out = np.zeros((image.shape[0] - kh + 1, image.shape[1] - kw + 1))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = np.sum(image[i:i + kh, j:j + kw] * kernel)
    return out


def reference_max_pool2d(x, size):
    """Max over non-overlapping size x size windows; a remainder row or column is dropped."""
    x = np.asarray(x, dtype=float)
    out = np.zeros((x.shape[0] // size, x.shape[1] // size))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = np.max(x[i * size:(i + 1) * size, j * size:(j + 1) * size])
    return out


def reference_rnn_forward(xs, Wx, Wh, b, h0):
    """h_t = tanh(x_t @ Wx + h_{t-1} @ Wh + b) for t = 1..T, stacked into (T, n_hidden)."""
    h = np.asarray(h0, dtype=float)
    hs = []
    for x in np.asarray(xs, dtype=float):
        h = np.tanh(x @ Wx + h @ Wh + b)
        hs.append(h)
    return np.array(hs)


def _matches(value, expected):
    return same_values(value, expected, rtol=_RTOL, atol=_ATOL)


def diagnose_conv2d(out, image, kernel, what):
    """Check one conv2d result; name the usual mistake when it is wrong."""
    image, kernel = np.asarray(image, dtype=float), np.asarray(kernel, dtype=float)
    (H, W), (kh, kw) = image.shape, kernel.shape
    expected_shape = (H - kh + 1, W - kw + 1)
    shape = np.shape(out)
    if shape == (H, W) and shape != expected_shape:
        raise AssertionError(
            f"{what} has shape {shape}, the shape of the image: that is 'same' padding; the "
            f"contract asks for the 'valid' output of shape (H - kh + 1, W - kw + 1) = "
            f"{expected_shape}, where the kernel stays inside the image")
    if shape == (H - kh, W - kw):
        raise AssertionError(
            f"{what} has shape {shape}, expected {expected_shape}: off by one; a kernel of "
            f"height {kh} fits at H - kh + 1 = {H - kh + 1} positions (range(H - kh + 1))")
    assert_shape(out, expected_shape, what)
    if _matches(out, reference_conv2d(image, kernel[::-1, ::-1])) and not _matches(
            out, reference_conv2d(image, kernel)):
        raise AssertionError(
            f"{what} equals the convolution with the flipped kernel: deep-learning libraries "
            "compute the cross-correlation out[i, j] = sum(image[i:i+kh, j:j+kw] * kernel), "
            "without flipping the kernel")
    assert_close(out, reference_conv2d(image, kernel), what, rtol=_RTOL, atol=_ATOL,
                 hint="out[i, j] = sum(image[i:i+kh, j:j+kw] * kernel) (rows i, columns j)")


def check_conv2d(conv2d):
    """Check conv2d on a 4x5 image with a 2x3 kernel, a 1x1 kernel and a full-size kernel."""
    assert_own_implementation(conv2d, "conv2d")
    image = np.arange(20.0).reshape(4, 5)
    image[1, 2] = -4.0
    kernel = np.array([[1.0, 2.0, 0.0], [0.0, -1.0, 3.0]])
    given = image.copy()  # the student's copy: its in-place changes come back into it
    out = call_in_place(conv2d, given, kernel.copy())
    if not np.array_equal(image, given):
        raise AssertionError("conv2d changed the image in place: leave its arguments alone")
    diagnose_conv2d(out, image, kernel, "conv2d(4x5 image, 2x3 kernel)")
    diagnose_conv2d(conv2d(image, np.array([[2.0]])), image, np.array([[2.0]]),
                    "conv2d(4x5 image, 1x1 kernel [[2]])")
    full = np.arange(20.0).reshape(4, 5) / 10.0
    diagnose_conv2d(conv2d(image, full), image, full, "conv2d(4x5 image, 4x5 kernel)")


def diagnose_max_pool2d(out, x, size, what):
    """Check one max_pool2d result; name the usual mistake when it is wrong."""
    x = np.asarray(x, dtype=float)
    H, W = x.shape
    expected_shape = (H // size, W // size)
    shape = np.shape(out)
    if shape == (H - size + 1, W - size + 1) and shape != expected_shape:
        raise AssertionError(
            f"{what} has shape {shape}, expected {expected_shape}: the windows overlap; move "
            f"the window by size = {size} (i * size to (i + 1) * size), not by 1")
    if shape == (-(-H // size), -(-W // size)) and shape != expected_shape:
        raise AssertionError(
            f"{what} has shape {shape}, expected {expected_shape}: drop the last rows or columns "
            f"that do not fill a whole {size}x{size} window (use H // size windows)")
    assert_shape(out, expected_shape, what)
    expected = reference_max_pool2d(x, size)
    blocks = x[:expected_shape[0] * size, :expected_shape[1] * size].reshape(
        expected_shape[0], size, expected_shape[1], size)
    if _matches(out, blocks.mean(axis=(1, 3))) and not _matches(out, expected):
        raise AssertionError(f"{what} holds the mean of each window: max pooling takes the "
                             "largest value of each window")
    if _matches(out, np.maximum(expected, 0.0)) and not _matches(out, expected):
        raise AssertionError(
            f"{what} is 0 where every value of the window is negative: start the maximum from "
            "the window's first value (or use np.max), not from 0")
    assert_close(out, expected, what, rtol=_RTOL, atol=_ATOL,
                 hint=f"out[i, j] = max of x[i*{size}:(i+1)*{size}, j*{size}:(j+1)*{size}]")


def check_max_pool2d(max_pool2d):
    """Check max_pool2d on a 4x4 input, an odd-sized one (remainder dropped) and negatives."""
    assert_own_implementation(max_pool2d, "max_pool2d")
    x = np.array([[1.0, 3.0, 2.0, 0.0],
                  [4.0, -1.0, 5.0, 7.0],
                  [0.5, 2.5, -3.0, 6.0],
                  [9.0, 1.5, 8.0, -2.0]])
    given = x.copy()  # the student's copy: its in-place changes come back into it
    out = call_in_place(max_pool2d, given, 2)
    if not np.array_equal(x, given):
        raise AssertionError("max_pool2d changed x in place: leave its arguments alone")
    diagnose_max_pool2d(out, x, 2, "max_pool2d(4x4 x, 2)")
    odd = np.arange(35.0).reshape(5, 7) % 11
    diagnose_max_pool2d(max_pool2d(odd, 2), odd, 2, "max_pool2d(5x7 x, 2)")
    negative = -np.arange(1.0, 37.0).reshape(6, 6)
    diagnose_max_pool2d(max_pool2d(negative, 3), negative, 3, "max_pool2d(6x6 negative x, 3)")


def diagnose_rnn_forward(hs, xs, Wx, Wh, b, h0, what):
    """Check one rnn_forward result; name the usual mistake when it is wrong."""
    xs = np.asarray(xs, dtype=float)
    T, n_hidden = xs.shape[0], np.shape(Wh)[0]
    shape = np.shape(hs)
    expected = reference_rnn_forward(xs, Wx, Wh, b, h0)
    if shape == (T + 1, n_hidden):
        raise AssertionError(
            f"{what} has shape {shape}, expected {(T, n_hidden)}: return h_1, ..., h_T, one row "
            "per time step, without the initial state h0")
    assert_shape(hs, (T, n_hidden), what)
    if _matches(hs, expected):
        return
    shifted = np.vstack([np.asarray(h0, dtype=float)[None, :], expected[:-1]])
    diagnoses = [
        (reference_rnn_forward(xs, Wx, Wh, b, np.zeros(n_hidden)),
         "it matches a start from zeros: the first step must use the given h0"),
        (reference_rnn_forward(xs, Wx, np.asarray(Wh).T, b, h0),
         "it matches Wh transposed: with rows as samples the update is h_{t-1} @ Wh"),
        (shifted, "row t holds h_{t-1}: store each state after computing it, so hs[0] is h_1"),
    ]
    linear, h = [], np.asarray(h0, dtype=float)
    for x in xs:
        h = x @ Wx + h @ Wh + b
        linear.append(h)
    diagnoses.append((np.array(linear), "the tanh is missing: h_t = tanh(x_t @ Wx + h_{t-1} @ Wh "
                                        "+ b)"))
    for candidate, message in diagnoses:
        if _matches(hs, candidate):
            raise AssertionError(f"{what} is wrong: {message}")
    assert_close(hs, expected, what, rtol=_RTOL, atol=_ATOL,
                 hint="h_t = tanh(x_t @ Wx + h_{t-1} @ Wh + b), starting from h_0 = h0")


def check_rnn_forward(rnn_forward):
    """Check rnn_forward on a 3-step sequence with 2 inputs and 2 hidden units."""
    assert_own_implementation(rnn_forward, "rnn_forward")
    xs = np.array([[1.0, 0.0], [0.5, -1.0], [0.0, 2.0]])
    Wx = np.array([[0.5, -0.3], [0.8, 0.2]])
    Wh = np.array([[0.1, 0.9], [-0.6, 0.4]])
    b = np.array([0.05, -0.1])
    h0 = np.array([0.3, -0.7])
    arguments = [a.copy() for a in (xs, Wx, Wh, b, h0)]
    hs = call_in_place(rnn_forward, *arguments)
    if not all(np.array_equal(a, c) for a, c in zip(arguments, (xs, Wx, Wh, b, h0),
                                                     strict=True)):
        raise AssertionError("rnn_forward changed one of its arguments in place: keep the "
                             "current state in a new variable")
    diagnose_rnn_forward(hs, xs, Wx, Wh, b, h0, "hs for a 3-step sequence")
    Wx3 = np.array([[1.0, -1.0, 0.5], [0.0, 2.0, -0.5]])
    Wh3 = np.array([[0.2, 0.0, 0.5], [0.3, -0.4, 0.0], [0.0, 0.6, 0.1]])
    b3, h03 = np.array([0.0, 0.1, -0.2]), np.array([1.0, 0.0, -1.0])
    diagnose_rnn_forward(rnn_forward(xs, Wx3, Wh3, b3, h03), xs, Wx3, Wh3, b3, h03,
                         "hs with 2 inputs and 3 hidden units")


CHECKS = {
    "conv2d": check_conv2d,
    "max_pool2d": check_max_pool2d,
    "rnn_forward": check_rnn_forward,
}
