"""A single neuron: a weighted sum followed by a sigmoid, trained on binary cross-entropy.

This is logistic regression seen as the smallest network, ``p = sigmoid(X @ w + b)``.
"""

from __future__ import annotations

from ._validation import check_2d, check_labels
from .activations import sigmoid
from .linear import check_weights_and_bias, fit_logistic_regression
from .losses import binary_cross_entropy_with_logits

__all__ = ["fit_neuron", "neuron", "neuron_gradients"]


def _check(X, w, b):
    X = check_2d(X, "X")
    return (X, *check_weights_and_bias(X, w, b))


def neuron(X, w, b):
    """Output of one sigmoid neuron, ``p = sigmoid(X @ w + b)``.

    Parameters
    ----------
    X : array_like of shape (n_samples, n_features)
    w : array_like of shape (n_features,)
    b : float

    Returns
    -------
    p : ndarray of shape (n_samples,)

    Examples
    --------
    >>> neuron([[1.0, 1.0]], [2.0, -2.0], 0.0)
    array([0.5])
    """
    X, w, b = _check(X, w, b)
    return sigmoid(X @ w + b)


def neuron_gradients(X, y, w, b):
    """Mean binary cross-entropy of a neuron and its gradient.

    With ``z = X @ w + b`` and ``p = sigmoid(z)``, the chain rule through the
    sigmoid and the loss collapses to ``dL/dz = (p - y) / n``, hence
    ``dw = X.T @ (p - y) / n`` and ``db = mean(p - y)``.

    Returns
    -------
    loss : float
    dw : ndarray of shape (n_features,)
    db : float

    Examples
    --------
    >>> loss, dw, db = neuron_gradients([[1.0], [-1.0]], [1, 0], [0.0], 0.0)
    >>> round(loss, 4), dw, db
    (0.6931, array([-0.5]), 0.0)
    """
    X, w, b = _check(X, w, b)
    y = check_labels(y, "y", X.shape[0])
    z = X @ w + b
    delta = (sigmoid(z) - y) / X.shape[0]
    return binary_cross_entropy_with_logits(y, z), X.T @ delta, float(delta.sum())


def fit_neuron(X, y, lr, n_steps):
    """Train one sigmoid neuron by gradient descent on mean BCE, from ``w = 0, b = 0``.

    The same computation as :func:`dlcourse.linear.fit_logistic_regression`.

    Parameters
    ----------
    X : array_like of shape (n_samples, n_features)
    y : array_like of shape (n_samples,), labels 0/1
    lr : float > 0
    n_steps : int >= 1

    Returns
    -------
    w : ndarray of shape (n_features,)
    b : float
    """
    X = check_2d(X, "X")
    return fit_logistic_regression(X, y, lr=lr, n_steps=n_steps)
