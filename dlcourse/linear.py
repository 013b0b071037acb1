"""Linear models: least squares with polynomial features, gradient descent on MSE,
and logistic regression by gradient descent.

``theta`` holds the intercept first: ``y_hat = theta[0] + X @ theta[1:]``.
"""

from __future__ import annotations

import numpy as np

from ._validation import check_1d, check_2d, check_labels, check_positive_float, check_positive_int
from .activations import sigmoid

__all__ = [
    "fit_least_squares",
    "fit_logistic_regression",
    "gradient_descent",
    "polynomial_features",
    "predict_linear",
    "predict_logistic",
]


def _design(X, name="X"):
    """``X`` as a 2-D float array; a 1-D ``x`` counts as one feature."""
    X = np.asarray(X, dtype=np.float64) if not isinstance(X, np.ndarray) else X
    if np.ndim(X) == 1:
        X = np.reshape(X, (-1, 1))
    return check_2d(X, name)


def polynomial_features(x, degree):
    """Columns ``x, x**2, ..., x**degree`` of a 1-D input (no constant column).

    Parameters
    ----------
    x : array_like of shape (n_samples,) or (n_samples, 1)
    degree : int >= 1

    Returns
    -------
    X : ndarray of shape (n_samples, degree)

    Examples
    --------
    >>> polynomial_features([1.0, 2.0], 3)
    array([[1., 1., 1.],
           [2., 4., 8.]])
    """
    degree = check_positive_int(degree, "degree")
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 2 and x.shape[1] == 1:
        x = x[:, 0]
    x = check_1d(x, "x")
    return x[:, None] ** np.arange(1, degree + 1)


def fit_least_squares(X, y):
    """Least-squares fit of ``y ~ theta[0] + X @ theta[1:]``.

    Solves the normal equations in the stable way (``numpy.linalg.lstsq`` on
    ``[1, X]``), which also copes with more features than samples.

    Parameters
    ----------
    X : array_like of shape (n_samples, n_features), or (n_samples,) for one feature
    y : array_like of shape (n_samples,)

    Returns
    -------
    theta : ndarray of shape (n_features + 1,), intercept first

    Examples
    --------
    >>> fit_least_squares([[0.0], [1.0], [2.0]], [1.0, 3.0, 5.0]).round(6)
    array([1., 2.])
    """
    X = _design(X)
    y = check_1d(y, "y", X.shape[0])
    A = np.column_stack([np.ones(X.shape[0]), X])
    theta, *_ = np.linalg.lstsq(A, y, rcond=None)
    return theta


def predict_linear(X, theta):
    """Linear prediction ``theta[0] + X @ theta[1:]``.

    Parameters
    ----------
    X : array_like of shape (n_samples, n_features), or (n_samples,) for one feature
    theta : array_like of shape (n_features + 1,)

    Returns
    -------
    y_hat : ndarray of shape (n_samples,)

    Examples
    --------
    >>> predict_linear([[0.0], [1.0]], [1.0, 2.0])
    array([1., 3.])
    """
    X = _design(X)
    theta = check_1d(theta, "theta")
    if theta.shape[0] != X.shape[1] + 1:
        raise ValueError(
            f"theta has shape {theta.shape}, expected ({X.shape[1] + 1},): an intercept plus "
            f"one weight for each of the {X.shape[1]} features of X"
        )
    return theta[0] + X @ theta[1:]


def gradient_descent(X, y, lr, n_steps):
    """Fit ``theta`` (intercept first) by gradient descent on the mean squared error.

    Starts from ``theta = 0``; each step is
    ``theta := theta - lr * 2 / n * A.T @ (A @ theta - y)`` with ``A = [1, X]``.

    Parameters
    ----------
    X : array_like of shape (n_samples, n_features), or (n_samples,) for one feature
    y : array_like of shape (n_samples,)
    lr : float > 0, the learning rate
    n_steps : int >= 1

    Returns
    -------
    theta : ndarray of shape (n_features + 1,)
    losses : ndarray of shape (n_steps,)
        ``losses[k]`` is the MSE before update ``k`` (so ``losses[0]`` is that of ``theta = 0``).

    Examples
    --------
    >>> theta, losses = gradient_descent([[0.0], [1.0]], [1.0, 3.0], lr=0.5, n_steps=200)
    >>> theta.round(3), bool(losses[-1] < losses[0])
    (array([1., 2.]), True)
    """
    X = _design(X)
    y = check_1d(y, "y", X.shape[0])
    lr = check_positive_float(lr, "lr")
    n_steps = check_positive_int(n_steps, "n_steps")
    A = np.column_stack([np.ones(X.shape[0]), X])
    theta = np.zeros(A.shape[1])
    losses = np.empty(n_steps)
    scale = 2.0 / X.shape[0]
    for k in range(n_steps):
        residual = A @ theta - y
        losses[k] = residual @ residual / X.shape[0]
        theta = theta - lr * scale * (A.T @ residual)
    return theta, losses


def fit_logistic_regression(X, y, lr=0.5, n_steps=2000):
    """Logistic regression ``p = sigmoid(X @ w + b)`` fitted by gradient descent on mean BCE.

    Starts from ``w = 0, b = 0``. The gradient of the mean binary
    cross-entropy is ``dw = X.T @ (p - y) / n`` and ``db = mean(p - y)``. No
    regularisation: on linearly separable data the weights keep growing with
    ``n_steps``.

    Parameters
    ----------
    X : array_like of shape (n_samples, n_features)
    y : array_like of shape (n_samples,), labels 0/1
    lr : float, default 0.5
    n_steps : int, default 2000

    Returns
    -------
    w : ndarray of shape (n_features,)
    b : float

    Examples
    --------
    >>> w, b = fit_logistic_regression([[-1.0], [0.5], [1.0], [-0.5]], [0, 0, 1, 1], n_steps=500)
    >>> predict_logistic([[-1.0], [1.0]], w, b).round(2)
    array([0.3, 0.7])
    """
    X = _design(X)
    y = check_labels(y, "y", X.shape[0])
    lr = check_positive_float(lr, "lr")
    n_steps = check_positive_int(n_steps, "n_steps")
    w = np.zeros(X.shape[1])
    b = 0.0
    n = X.shape[0]
    for _ in range(n_steps):
        delta = (sigmoid(X @ w + b) - y) / n  # dL/dz for mean BCE after a sigmoid
        w = w - lr * (X.T @ delta)
        b = b - lr * float(delta.sum())
    return w, b


def predict_logistic(X, w, b):
    """Probabilities ``sigmoid(X @ w + b)`` of a logistic regression.

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
    >>> predict_logistic([[0.0], [2.0]], [1.0], -2.0).round(3)
    array([0.119, 0.5  ])
    """
    X = _design(X)
    w, b = check_weights_and_bias(X, w, b)
    return sigmoid(X @ w + b)


def check_weights_and_bias(X, w, b):
    """Check ``w`` (n_features,) and scalar ``b`` against a 2-D ``X``; return ``(w, float(b))``."""
    w = check_1d(w, "w")
    if w.shape[0] != X.shape[1]:
        raise ValueError(
            f"w has shape {w.shape}, expected ({X.shape[1]},) to match X with {X.shape[1]} features"
        )
    if np.ndim(b) != 0 or not np.isfinite(b):
        raise ValueError(f"b must be a finite number (a scalar bias), got {b!r}")
    return w, float(b)
