"""Layers as pure functions: dense (forward and backward), 2-D convolution, max pooling, RNN.

Layout: rows are samples. A dense layer computes ``Z = X @ W + b`` with ``X`` of
shape ``(n_samples, n_in)``, ``W`` of shape ``(n_in, n_out)`` and ``b`` of shape
``(n_out,)``.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ._validation import as_float_array, check_positive_int

__all__ = ["conv2d", "dense_backward", "dense_forward", "max_pool2d", "rnn_forward"]


def _check_dense(X, W, b=None):
    X = as_float_array(X, "X")
    W = as_float_array(W, "W")
    if X.ndim != 2 or X.shape[0] == 0:
        raise ValueError(f"X has shape {X.shape}, expected a non-empty 2-D array (n_samples, n_in)")
    if W.ndim != 2 or W.shape[0] != X.shape[1]:
        raise ValueError(
            f"W has shape {W.shape}, expected ({X.shape[1]}, n_out) to match X with "
            f"{X.shape[1]} features"
        )
    if b is not None:
        b = as_float_array(b, "b")
        if b.shape != (W.shape[1],):
            raise ValueError(
                f"b has shape {b.shape}, expected ({W.shape[1]},): one bias per column of W"
            )
    return X, W, b


def dense_forward(X, W, b):
    """Dense (fully connected) layer ``Z = X @ W + b``.

    Parameters
    ----------
    X : array_like of shape (n_samples, n_in)
    W : array_like of shape (n_in, n_out)
    b : array_like of shape (n_out,)

    Returns
    -------
    Z : ndarray of shape (n_samples, n_out)

    Examples
    --------
    >>> dense_forward([[1.0, 2.0]], [[1.0], [1.0]], [0.5])
    array([[3.5]])
    """
    X, W, b = _check_dense(X, W, b)
    return X @ W + b


def dense_backward(dZ, X, W):
    """Backward pass of ``Z = X @ W + b``: gradients from the upstream ``dZ = dL/dZ``.

    Parameters
    ----------
    dZ : array_like of shape (n_samples, n_out)
    X : array_like of shape (n_samples, n_in), the layer's input in the forward pass
    W : array_like of shape (n_in, n_out)

    Returns
    -------
    dX : ndarray of shape (n_samples, n_in), ``dZ @ W.T``
    dW : ndarray of shape (n_in, n_out), ``X.T @ dZ``
    db : ndarray of shape (n_out,), ``dZ`` summed over the samples

    Examples
    --------
    >>> dX, dW, db = dense_backward([[1.0]], [[1.0, 2.0]], [[3.0], [4.0]])
    >>> dX, dW.ravel(), db
    (array([[3., 4.]]), array([1., 2.]), array([1.]))
    """
    X, W, _ = _check_dense(X, W)
    dZ = as_float_array(dZ, "dZ")
    if dZ.shape != (X.shape[0], W.shape[1]):
        raise ValueError(
            f"dZ has shape {dZ.shape}, expected ({X.shape[0]}, {W.shape[1]}) = "
            "(n_samples of X, n_out of W)"
        )
    return dZ @ W.T, X.T @ dZ, dZ.sum(axis=0)


def conv2d(image, kernel):
    """Valid 2-D cross-correlation (what deep learning calls convolution).

    ``out[i, j] = sum_{k, l} image[i + k, j + l] * kernel[k, l]``; the kernel is
    not flipped and only positions where it fits entirely are kept.

    Parameters
    ----------
    image : array_like of shape (H, W)
    kernel : array_like of shape (kh, kw), with kh <= H and kw <= W

    Returns
    -------
    ndarray of shape (H - kh + 1, W - kw + 1)

    Examples
    --------
    >>> conv2d(np.arange(9.0).reshape(3, 3), np.array([[1.0, 0.0], [0.0, -1.0]]))
    array([[-4., -4.],
           [-4., -4.]])
    """
    image = as_float_array(image, "image")
    kernel = as_float_array(kernel, "kernel")
    if image.ndim != 2 or 0 in image.shape:
        raise ValueError(f"image has shape {image.shape}, expected a non-empty 2-D array (H, W)")
    if kernel.ndim != 2 or 0 in kernel.shape:
        raise ValueError(
            f"kernel has shape {kernel.shape}, expected a non-empty 2-D array (kh, kw)"
        )
    if kernel.shape[0] > image.shape[0] or kernel.shape[1] > image.shape[1]:
        raise ValueError(
            f"kernel has shape {kernel.shape}, expected at most the image's shape {image.shape}"
        )
    windows = sliding_window_view(image, kernel.shape)  # (H-kh+1, W-kw+1, kh, kw)
    return np.einsum("ijkl,kl->ij", windows, kernel)


def max_pool2d(x, size):
    """Non-overlapping max pooling with a ``size x size`` window.

    Rows and columns left over when ``H`` or ``W`` is not a multiple of ``size``
    are dropped (as in PyTorch's default).

    Parameters
    ----------
    x : array_like of shape (H, W)
    size : int, 1 <= size <= min(H, W)

    Returns
    -------
    ndarray of shape (H // size, W // size)

    Examples
    --------
    >>> max_pool2d(np.arange(16.0).reshape(4, 4), 2)
    array([[ 5.,  7.],
           [13., 15.]])
    """
    x = as_float_array(x, "x")
    if x.ndim != 2 or 0 in x.shape:
        raise ValueError(f"x has shape {x.shape}, expected a non-empty 2-D array (H, W)")
    size = check_positive_int(size, "size")
    if size > min(x.shape):
        raise ValueError(
            f"size is {size}, expected at most min(H, W) = {min(x.shape)} for x of shape {x.shape}"
        )
    h, w = x.shape[0] // size, x.shape[1] // size
    return x[: h * size, : w * size].reshape(h, size, w, size).max(axis=(1, 3))


def rnn_forward(xs, Wx, Wh, b, h0=None):
    """Run a simple (Elman) recurrent layer over a sequence.

    ``h_t = tanh(x_t @ Wx + h_{t-1} @ Wh + b)`` for ``t = 1..T``, starting from ``h0``.

    Parameters
    ----------
    xs : array_like of shape (T, n_in), one input vector per time step
    Wx : array_like of shape (n_in, n_hidden)
    Wh : array_like of shape (n_hidden, n_hidden)
    b : array_like of shape (n_hidden,)
    h0 : array_like of shape (n_hidden,), optional
        Initial hidden state; zeros when None.

    Returns
    -------
    hs : ndarray of shape (T, n_hidden), the hidden state after each step

    Examples
    --------
    >>> rnn_forward([[1.0], [0.0]], [[1.0]], [[0.5]], [0.0], [0.0]).round(4)
    array([[0.7616],
           [0.3634]])
    """
    xs = as_float_array(xs, "xs")
    Wx = as_float_array(Wx, "Wx")
    Wh = as_float_array(Wh, "Wh")
    b = as_float_array(b, "b")
    if xs.ndim != 2 or xs.shape[0] == 0:
        raise ValueError(f"xs has shape {xs.shape}, expected a non-empty 2-D array (T, n_in)")
    if Wx.ndim != 2 or Wx.shape[0] != xs.shape[1]:
        raise ValueError(
            f"Wx has shape {Wx.shape}, expected ({xs.shape[1]}, n_hidden) to match xs with "
            f"{xs.shape[1]} inputs per step"
        )
    n_hidden = Wx.shape[1]
    if Wh.shape != (n_hidden, n_hidden):
        raise ValueError(f"Wh has shape {Wh.shape}, expected ({n_hidden}, {n_hidden})")
    if b.shape != (n_hidden,):
        raise ValueError(f"b has shape {b.shape}, expected ({n_hidden},)")
    h = np.zeros(n_hidden) if h0 is None else as_float_array(h0, "h0")
    if h.shape != (n_hidden,):
        raise ValueError(f"h0 has shape {h.shape}, expected ({n_hidden},)")
    XW = xs @ Wx + b  # the input part of every step at once
    hs = np.empty((xs.shape[0], n_hidden))
    for t in range(xs.shape[0]):
        h = np.tanh(XW[t] + h @ Wh)
        hs[t] = h
    return hs
