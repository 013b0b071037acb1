"""Batch normalisation and layer normalisation, forward and backward.

Both standardise their input, ``x_hat = (x - mean) / sqrt(var + eps)`` with the
biased variance, and then scale and shift it by learned ``gamma`` and ``beta``:
``out = gamma * x_hat + beta``. They differ in *what* they average over:

- **batch norm** averages each feature over the samples of the batch (axis 0 of an
  ``(n, d)`` array; for images ``(n, c, h, w)``, each channel over samples and
  positions, axes ``(0, 2, 3)``). :func:`batchnorm_forward` is the training-mode
  computation with the batch's statistics; :func:`batchnorm_inference` standardises
  with fixed statistics instead (a trained network's running averages), so a
  prediction for one sample does not depend on the others.
- **layer norm** averages each sample over its own features (the last axis), so it does
  not depend on the other samples of the batch; transformers use it.

The backward pass is the same for both along the averaged axes. With ``m`` values in a
group, ``g = dOut * gamma`` the gradient reaching ``x_hat`` and ``inv = 1 / sqrt(var + eps)``:

    dX = inv * (g - mean(g) - x_hat * mean(g * x_hat))

(the two means over the group remove what the mean and the variance pass on), and
``dgamma = sum(dOut * x_hat)``, ``dbeta = sum(dOut)`` over every axis but the features'.
"""

from __future__ import annotations

import numpy as np

from ._validation import as_float_array, check_positive_float

__all__ = [
    "batchnorm_backward",
    "batchnorm_forward",
    "batchnorm_inference",
    "layernorm_backward",
    "layernorm_forward",
]


def _standardise(X, axes, eps):
    """``x_hat`` and ``inv = 1 / sqrt(var + eps)`` (kept dims) over ``axes``."""
    mean = X.mean(axis=axes, keepdims=True)
    centred = X - mean
    var = np.mean(centred * centred, axis=axes, keepdims=True)
    inv = 1.0 / np.sqrt(var + eps)
    return centred * inv, inv


def _standardise_backward(g, x_hat, inv, axes):
    """``dX`` from ``g = dL/dx_hat``: ``inv * (g - mean(g) - x_hat * mean(g * x_hat))``."""
    return inv * (
        g - g.mean(axis=axes, keepdims=True) - x_hat * np.mean(g * x_hat, axis=axes, keepdims=True)
    )


# ----------------------------------------------------------------------------- checks


def _check_norm(X, gamma, eps, kind):
    X = as_float_array(X, "X")
    gamma = as_float_array(gamma, "gamma")
    eps = check_positive_float(eps, "eps")
    if kind == "batch":
        if X.ndim not in (2, 4) or 0 in X.shape:
            raise ValueError(
                f"X has shape {X.shape}, expected a non-empty (n_samples, n_features) or "
                "(n_samples, channels, height, width) array"
            )
        axes = (0,) if X.ndim == 2 else (0, 2, 3)
        n_features = X.shape[1]
        if np.prod([X.shape[a] for a in axes]) < 2:
            raise ValueError(
                f"X has shape {X.shape}: one value per feature, expected at least two to "
                "compute batch statistics (more than one sample, or images larger than 1 x 1)"
            )
        what = "feature" if X.ndim == 2 else "channel"
    else:
        if X.ndim < 1 or 0 in X.shape:
            raise ValueError(f"X has shape {X.shape}, expected a non-empty array (..., n_features)")
        axes = (-1,)
        n_features = X.shape[-1]
        what = "feature (last axis of X)"
    if gamma.shape != (n_features,):
        raise ValueError(f"gamma has shape {gamma.shape}, expected ({n_features},): one per {what}")
    return X, gamma, eps, axes


def _per_feature(a, X):
    """``a`` of shape (d,) shaped to broadcast over ``X`` along axis 1 (images) or last."""
    return a.reshape(1, -1, 1, 1) if X.ndim == 4 else a


def _check_beta(beta, gamma):
    beta = as_float_array(beta, "beta")
    if beta.shape != gamma.shape:
        raise ValueError(f"beta has shape {beta.shape}, expected {gamma.shape} like gamma")
    return beta


def _check_dOut(dOut, X):
    dOut = as_float_array(dOut, "dOut")
    if dOut.shape != X.shape:
        raise ValueError(f"dOut has shape {dOut.shape}, expected {X.shape}, the shape of X")
    return dOut


# ----------------------------------------------------------------------------- batch norm


def batchnorm_forward(X, gamma, beta, eps=1e-5):
    """Batch normalisation with the batch's own statistics (training mode).

    Parameters
    ----------
    X : array_like of shape (n_samples, n_features) or (n_samples, channels, h, w)
    gamma, beta : array_like of shape (n_features,) or (channels,)
    eps : float > 0, default 1e-5

    Returns
    -------
    out : ndarray of the shape of ``X``, ``gamma * x_hat + beta``

    Examples
    --------
    >>> batchnorm_forward([[1.0], [3.0]], [1.0], [0.0], eps=1e-12).round(6)
    array([[-1.],
           [ 1.]])
    """
    X, gamma, eps, axes = _check_norm(X, gamma, eps, "batch")
    beta = _check_beta(beta, gamma)
    x_hat, _ = _standardise(X, axes, eps)
    return _per_feature(gamma, X) * x_hat + _per_feature(beta, X)


def batchnorm_backward(dOut, X, gamma, eps=1e-5):
    """Backward pass of :func:`batchnorm_forward`.

    Parameters
    ----------
    dOut : array_like, shaped like ``X``
    X : array_like, the input of the forward pass
    gamma : array_like of shape (n_features,) or (channels,)
    eps : float > 0, default 1e-5

    Returns
    -------
    dX : ndarray shaped like ``X``
    dgamma, dbeta : ndarray of the shape of ``gamma``

    Examples
    --------
    >>> dX, dgamma, dbeta = batchnorm_backward([[1.0], [1.0]], [[1.0], [3.0]], [2.0])
    >>> dX.ravel(), dbeta  # a uniform gradient is removed by the mean: dX is 0
    (array([0., 0.]), array([2.]))
    """
    X, gamma, eps, axes = _check_norm(X, gamma, eps, "batch")
    dOut = _check_dOut(dOut, X)
    x_hat, inv = _standardise(X, axes, eps)
    dX = _standardise_backward(dOut * _per_feature(gamma, X), x_hat, inv, axes)
    return dX, np.sum(dOut * x_hat, axis=axes).ravel(), np.sum(dOut, axis=axes).ravel()


def batchnorm_inference(X, gamma, beta, mean, var, eps=1e-5):
    """Batch normalisation with fixed statistics (prediction mode).

    ``out = gamma * (X - mean) / sqrt(var + eps) + beta``, with ``mean`` and ``var``
    given (usually running averages of the batch statistics seen in training) instead
    of computed from ``X``: each sample's output depends on that sample alone.

    Parameters
    ----------
    X : array_like of shape (n_samples, n_features) or (n_samples, channels, h, w)
    gamma, beta, mean, var : array_like of shape (n_features,) or (channels,)
    eps : float > 0, default 1e-5

    Returns
    -------
    out : ndarray of the shape of ``X``

    Examples
    --------
    >>> batchnorm_inference([[3.0]], [2.0], [1.0], mean=[1.0], var=[4.0], eps=1e-12).round(6)
    array([[3.]])
    """
    X = as_float_array(X, "X")
    if X.ndim not in (2, 4) or 0 in X.shape:
        raise ValueError(
            f"X has shape {X.shape}, expected a non-empty (n_samples, n_features) or "
            "(n_samples, channels, height, width) array"
        )
    gamma = as_float_array(gamma, "gamma")
    if gamma.shape != (X.shape[1],):
        raise ValueError(f"gamma has shape {gamma.shape}, expected ({X.shape[1]},): one per "
                         + ("feature" if X.ndim == 2 else "channel"))
    beta = _check_beta(beta, gamma)
    mean = as_float_array(mean, "mean")
    var = as_float_array(var, "var")
    for name, value in (("mean", mean), ("var", var)):
        if value.shape != gamma.shape:
            raise ValueError(f"{name} has shape {value.shape}, expected {gamma.shape} like gamma")
    if np.any(var < 0):
        raise ValueError(f"var has a negative entry ({var.min()}), expected variances >= 0")
    eps = check_positive_float(eps, "eps")
    scale = gamma / np.sqrt(var + eps)
    return X * _per_feature(scale, X) + _per_feature(beta - mean * scale, X)


# ----------------------------------------------------------------------------- layer norm


# Layer norm's means run along short rows (one entry per feature), where numpy's reductions
# cost far more than the arithmetic: they are taken as products with a vector of 1/d
# (and the sums over the samples as products with ones), the same numbers up to rounding.


def _layernorm_forward(X, gamma, beta, eps=1e-5):
    """Unchecked layer norm over the last axis: ``out`` and the cache ``(x_hat, inv)``."""
    average = np.full(X.shape[-1], 1.0 / X.shape[-1])
    centred = X - (X @ average)[..., None]
    inv = 1.0 / np.sqrt((centred * centred) @ average + eps)[..., None]
    x_hat = centred * inv
    return x_hat * gamma + beta, (x_hat, inv)


def _layernorm_backward(dOut, cache, gamma):
    """Unchecked backward of :func:`_layernorm_forward`: ``(dX, dgamma, dbeta)``.

    ``dX = inv * (g - mean(g) - x_hat * mean(g * x_hat))`` with ``g = dOut * gamma``.
    """
    x_hat, inv = cache
    d = x_hat.shape[-1]
    average = np.full(d, 1.0 / d)
    g = dOut * gamma
    dX = g - (g @ average)[..., None]
    dX -= x_hat * ((g * x_hat) @ average)[..., None]
    dX *= inv
    flat_d, flat_x = dOut.reshape(-1, d), x_hat.reshape(-1, d)
    ones = np.ones(flat_d.shape[0])
    return dX, ones @ (flat_d * flat_x), ones @ flat_d


def layernorm_forward(X, gamma, beta, eps=1e-5):
    """Layer normalisation: each sample standardised over its last axis, then scaled.

    Parameters
    ----------
    X : array_like of shape (..., n_features)
    gamma, beta : array_like of shape (n_features,)
    eps : float > 0, default 1e-5

    Returns
    -------
    out : ndarray of the shape of ``X``

    Examples
    --------
    >>> layernorm_forward([[1.0, 3.0], [10.0, 30.0]], [1.0, 1.0], [0.0, 0.5], eps=1e-12).round(6)
    array([[-1. ,  1.5],
           [-1. ,  1.5]])
    """
    X, gamma, eps, _ = _check_norm(X, gamma, eps, "layer")
    beta = _check_beta(beta, gamma)
    return _layernorm_forward(X, gamma, beta, eps)[0]


def layernorm_backward(dOut, X, gamma, eps=1e-5):
    """Backward pass of :func:`layernorm_forward`.

    Parameters
    ----------
    dOut : array_like, shaped like ``X``
    X : array_like of shape (..., n_features), the input of the forward pass
    gamma : array_like of shape (n_features,)
    eps : float > 0, default 1e-5

    Returns
    -------
    dX : ndarray shaped like ``X``
    dgamma, dbeta : ndarray of shape (n_features,), summed over every leading axis
    """
    X, gamma, eps, _ = _check_norm(X, gamma, eps, "layer")
    dOut = _check_dOut(dOut, X)
    _, cache = _layernorm_forward(X, gamma, np.zeros_like(gamma), eps)
    return _layernorm_backward(dOut, cache, gamma)
