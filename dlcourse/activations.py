"""Activation functions, each beside its derivative.

Every ``*_grad`` takes the same input ``t`` as the function (the pre-activation
``Z``, not the output) and returns the element-wise derivative ``f'(t)``. The
registries ``ACTIVATIONS`` and ``DERIVATIVES`` map a name to the function and to
its derivative, so a network can be configured by name (``"relu"``).
"""

from __future__ import annotations

import numpy as np

from ._validation import as_float_array

__all__ = [
    "ACTIVATIONS",
    "DERIVATIVES",
    "get_activation",
    "identity",
    "identity_grad",
    "leaky_relu",
    "leaky_relu_grad",
    "relu",
    "relu_grad",
    "sigmoid",
    "sigmoid_grad",
    "softmax",
    "softmax_jacobian",
    "tanh",
    "tanh_grad",
]


def _out(values):
    """Return a 0-d array as a NumPy scalar, anything else unchanged."""
    return values[()] if values.ndim == 0 else values


def sigmoid(t):
    """Logistic sigmoid ``1 / (1 + exp(-t))``, safe for every float input.

    ``exp`` is only ever applied to ``-|t|`` (at most 1), so no overflow can
    happen: for ``t >= 0`` the usual form is used, for ``t < 0`` the equal form
    ``exp(t) / (1 + exp(t))``.

    Parameters
    ----------
    t : array_like of any shape

    Returns
    -------
    ndarray of the same shape, values in ``[0, 1]``

    Examples
    --------
    >>> sigmoid(0.0)
    np.float64(0.5)
    >>> sigmoid(np.array([-1000.0, 1000.0]))
    array([0., 1.])
    """
    t = np.asarray(t, dtype=np.float64)
    e = np.exp(-np.abs(t))
    return _out(np.where(t >= 0, 1.0 / (1.0 + e), e / (1.0 + e)))


def sigmoid_grad(t):
    """Derivative of the sigmoid: ``sigmoid(t) * (1 - sigmoid(t))``.

    Examples
    --------
    >>> sigmoid_grad(0.0)
    np.float64(0.25)
    """
    s = sigmoid(t)
    return s * (1.0 - s)


def relu(t):
    """Rectified linear unit ``max(0, t)``.

    Examples
    --------
    >>> relu(np.array([-2.0, 0.0, 3.0]))
    array([0., 0., 3.])
    """
    return _out(np.maximum(np.asarray(t, dtype=np.float64), 0.0))


def relu_grad(t):
    """Derivative of ReLU: 1 where ``t > 0``, else 0 (0 is used at the kink ``t = 0``).

    Examples
    --------
    >>> relu_grad(np.array([-2.0, 0.0, 3.0]))
    array([0., 0., 1.])
    """
    return _out((np.asarray(t, dtype=np.float64) > 0).astype(np.float64))


def tanh(t):
    """Hyperbolic tangent, values in ``(-1, 1)``.

    Examples
    --------
    >>> tanh(0.0)
    np.float64(0.0)
    """
    return _out(np.tanh(np.asarray(t, dtype=np.float64)))


def tanh_grad(t):
    """Derivative of tanh: ``1 - tanh(t)**2``.

    Examples
    --------
    >>> tanh_grad(0.0)
    np.float64(1.0)
    """
    return 1.0 - np.tanh(np.asarray(t, dtype=np.float64)) ** 2


def leaky_relu(t, alpha=0.01):
    """Leaky ReLU: ``t`` where ``t > 0``, ``alpha * t`` elsewhere.

    Examples
    --------
    >>> leaky_relu(np.array([-2.0, 3.0]), alpha=0.1)
    array([-0.2,  3. ])
    """
    t = np.asarray(t, dtype=np.float64)
    return _out(np.where(t > 0, t, alpha * t))


def leaky_relu_grad(t, alpha=0.01):
    """Derivative of leaky ReLU: 1 where ``t > 0``, ``alpha`` elsewhere.

    Examples
    --------
    >>> leaky_relu_grad(np.array([-2.0, 3.0]), alpha=0.1)
    array([0.1, 1. ])
    """
    t = np.asarray(t, dtype=np.float64)
    return _out(np.where(t > 0, 1.0, alpha))


def identity(t):
    """The identity ``f(t) = t`` (a linear unit), as a float array."""
    return _out(np.array(t, dtype=np.float64))


def identity_grad(t):
    """Derivative of the identity: ones of the shape of ``t``."""
    return _out(np.ones_like(np.asarray(t, dtype=np.float64)))


def softmax(Z):
    """Softmax over the last axis: ``exp(z_k) / sum_j exp(z_j)`` for each row.

    The row maximum is subtracted first, which leaves the result unchanged and
    keeps ``exp`` from overflowing.

    Parameters
    ----------
    Z : array_like of shape (..., k)

    Returns
    -------
    ndarray of the same shape; every row is positive and sums to 1

    Examples
    --------
    >>> softmax(np.array([0.0, np.log(3.0)]))
    array([0.25, 0.75])
    """
    Z = as_float_array(Z, "Z")
    if Z.ndim == 0 or Z.shape[-1] == 0:
        raise ValueError(f"Z has shape {Z.shape}, expected at least one value along the last axis")
    E = np.exp(Z - Z.max(axis=-1, keepdims=True))
    return E / E.sum(axis=-1, keepdims=True)


def softmax_jacobian(z):
    """Jacobian of softmax at a single vector ``z``: ``J[i, j] = s_i (delta_ij - s_j)``.

    Parameters
    ----------
    z : array_like of shape (k,)

    Returns
    -------
    J : ndarray of shape (k, k), symmetric, rows summing to 0

    Examples
    --------
    >>> softmax_jacobian(np.zeros(2))
    array([[ 0.25, -0.25],
           [-0.25,  0.25]])
    """
    z = as_float_array(z, "z")
    if z.ndim != 1 or z.shape[0] == 0:
        raise ValueError(f"z has shape {z.shape}, expected a non-empty 1-D vector (k,)")
    s = softmax(z)
    return np.diag(s) - np.outer(s, s)


#: Activation functions by name.
ACTIVATIONS = {
    "sigmoid": sigmoid,
    "relu": relu,
    "tanh": tanh,
    "leaky_relu": leaky_relu,
    "identity": identity,
}

#: Derivative of each activation, by the same name; each takes the pre-activation ``t``.
DERIVATIVES = {
    "sigmoid": sigmoid_grad,
    "relu": relu_grad,
    "tanh": tanh_grad,
    "leaky_relu": leaky_relu_grad,
    "identity": identity_grad,
}


def get_activation(name):
    """Look up an activation and its derivative by name.

    Parameters
    ----------
    name : str
        One of ``"sigmoid"``, ``"relu"``, ``"tanh"``, ``"leaky_relu"``, ``"identity"``.

    Returns
    -------
    f, f_grad : callables

    Raises
    ------
    ValueError
        For an unknown name.

    Examples
    --------
    >>> f, f_grad = get_activation("relu")
    >>> f(-1.0), f_grad(2.0)
    (np.float64(0.0), np.float64(1.0))
    """
    if not isinstance(name, str) or name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; expected one of {sorted(ACTIVATIONS)}")
    return ACTIVATIONS[name], DERIVATIVES[name]
