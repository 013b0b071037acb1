"""Layers as pure functions: the dense layer here, and one import place for every layer.

Layout: rows are samples. A dense layer computes ``Z = X @ W + b`` with ``X`` of
shape ``(n_samples, n_in)``, ``W`` of shape ``(n_in, n_out)`` and ``b`` of shape
``(n_out,)``. Batches of images are ``(n_samples, channels, height, width)``
(PyTorch's layout), a kernel bank ``K`` is ``(c_out, c_in, kh, kw)``.

The dense layer is written here; the others each have their module and are re-exported
here, so ``from dlcourse.layers import ...`` reaches every layer: convolution and pooling
(one image and batched) in :mod:`dlcourse.conv`, the recurrent layer and its backward through
time in :mod:`dlcourse.recurrent`, dropout in :mod:`dlcourse.dropout`, batch and layer
normalisation in :mod:`dlcourse.normalization`. Every backward returns
the gradients of a scalar loss ``L`` given the upstream gradient ``dOut = dL/dOut``.
"""

from __future__ import annotations

from ._validation import as_float_array
from .conv import (
    conv2d,
    conv2d_backward,
    conv2d_forward,
    conv2d_output_size,
    max_pool2d,
    max_pool2d_backward,
    max_pool2d_forward,
)
from .dropout import dropout_backward, dropout_forward
from .normalization import (
    batchnorm_backward,
    batchnorm_forward,
    layernorm_backward,
    layernorm_forward,
)
from .recurrent import rnn_backward, rnn_forward

__all__ = [
    "batchnorm_backward",
    "batchnorm_forward",
    "conv2d",
    "conv2d_backward",
    "conv2d_forward",
    "conv2d_output_size",
    "dense_backward",
    "dense_forward",
    "dropout_backward",
    "dropout_forward",
    "layernorm_backward",
    "layernorm_forward",
    "max_pool2d",
    "max_pool2d_backward",
    "max_pool2d_forward",
    "rnn_backward",
    "rnn_forward",
]



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
    return _dense_forward(X, W, b)


def _dense_forward(X, W, b):
    """:func:`dense_forward` without the checks (for models that check once per fit)."""
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
    return _dense_backward(dZ, X, W)


def _dense_backward(dZ, X, W):
    """:func:`dense_backward` without the checks."""
    return dZ @ W.T, X.T @ dZ, dZ.sum(axis=0)
