"""Loss functions, each beside its gradient with respect to the prediction.

The losses are means over all entries, so the gradients carry a ``1 / n``. The
registries ``LOSSES`` and ``LOSS_GRADIENTS`` map a name to the loss and to its gradient
(:func:`get_loss` returns both), as :mod:`dlcourse.activations` does for activations.
``y`` and the prediction must have the same shape; the one exception allowed is
a label vector of shape ``(n,)`` with a prediction of shape ``(n, 1)`` (what a
network with one output returns), which is treated as the same column.
"""

from __future__ import annotations

import numpy as np

from ._validation import as_float_array, check_class_labels

__all__ = [
    "EPS",
    "LOSSES",
    "LOSS_GRADIENTS",
    "binary_cross_entropy",
    "binary_cross_entropy_grad",
    "binary_cross_entropy_with_logits",
    "get_loss",
    "mse",
    "mse_grad",
    "softmax_cross_entropy",
    "softmax_cross_entropy_grad",
]

#: Probabilities are clipped to ``[EPS, 1 - EPS]`` inside the logarithms of the
#: binary cross-entropy, so that ``p = 0`` or ``p = 1`` gives a large but finite loss.
EPS = 1e-12


def _pair(y, y_hat, name_y, name_hat):
    """Check ``y`` and ``y_hat``; return float arrays, ``y`` in the shape of ``y_hat``."""
    y = as_float_array(y, name_y)
    y_hat = as_float_array(y_hat, name_hat)
    if y.size == 0:
        raise ValueError(f"{name_y} is empty; expected at least one value")
    if y.shape != y_hat.shape:
        column = (y.ndim == 1 and y_hat.shape == (y.shape[0], 1)) or (
            y_hat.ndim == 1 and y.shape == (y_hat.shape[0], 1)
        )
        if not column:
            raise ValueError(
                f"{name_y} has shape {y.shape} but {name_hat} has shape {y_hat.shape}; "
                "expected the same shape"
            )
        y = y.reshape(y_hat.shape)
    return y, y_hat


def _check_binary(y, name="y"):
    if not np.all((y == 0) | (y == 1)):
        bad = np.unique(y[(y != 0) & (y != 1)])[:5]
        raise ValueError(
            f"{name} must hold binary labels 0 or 1, got values such as {bad.tolist()}"
        )


def mse(y, y_hat):
    """Mean squared error ``mean((y_hat - y)**2)``.

    Parameters
    ----------
    y, y_hat : array_like of shape (n_samples,) or (n_samples, n_outputs)

    Returns
    -------
    float

    Examples
    --------
    >>> mse([1.0, 2.0], [1.0, 4.0])
    2.0
    """
    y, y_hat = _pair(y, y_hat, "y", "y_hat")
    return float(np.mean((y_hat - y) ** 2))


def mse_grad(y, y_hat):
    """Gradient of ``mse`` with respect to ``y_hat``: ``2 (y_hat - y) / n``.

    ``n`` is the number of entries of ``y_hat``; the result has its shape.

    Examples
    --------
    >>> mse_grad([1.0, 2.0], [1.0, 4.0])
    array([0., 2.])
    """
    y, y_hat = _pair(y, y_hat, "y", "y_hat")
    return 2.0 * (y_hat - y) / y_hat.size


def binary_cross_entropy(y, p):
    """Mean binary cross-entropy ``-mean(y log p + (1 - y) log(1 - p))``.

    ``p`` is clipped to ``[EPS, 1 - EPS]`` first, so a confident wrong
    prediction (``p`` exactly 0 or 1) costs about ``-log(EPS) = 27.6`` instead of
    infinity.

    Parameters
    ----------
    y : array_like of 0/1 labels, shape (n_samples,) or like ``p``
    p : array_like of probabilities, shape (n_samples,) or (n_samples, 1)

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If ``y`` is not binary, ``p`` is outside ``[0, 1]`` or the shapes differ.

    Examples
    --------
    >>> round(binary_cross_entropy([1, 0], [0.5, 0.5]), 4)
    0.6931
    >>> bool(np.isfinite(binary_cross_entropy([1, 0], [0.0, 1.0])))
    True
    """
    y, p = _pair(y, p, "y", "p")
    _check_binary(y)
    if np.any((p < 0) | (p > 1)):
        raise ValueError(
            f"p must hold probabilities in [0, 1], got values in [{p.min()}, {p.max()}]"
        )
    p = np.clip(p, EPS, 1.0 - EPS)
    return float(-np.mean(y * np.log(p) + (1.0 - y) * np.log1p(-p)))


def binary_cross_entropy_grad(y, p):
    """Gradient of ``binary_cross_entropy`` with respect to ``p``.

    ``dL/dp = (p - y) / (p (1 - p)) / n`` with ``p`` clipped as in the loss;
    the result has the shape of ``p``.

    Examples
    --------
    >>> binary_cross_entropy_grad([1, 0], [0.5, 0.5])
    array([-1.,  1.])
    """
    y, p = _pair(y, p, "y", "p")
    _check_binary(y)
    if np.any((p < 0) | (p > 1)):
        raise ValueError(
            f"p must hold probabilities in [0, 1], got values in [{p.min()}, {p.max()}]"
        )
    p = np.clip(p, EPS, 1.0 - EPS)
    return (p - y) / (p * (1.0 - p)) / p.size


def binary_cross_entropy_with_logits(y, z):
    """Mean binary cross-entropy of ``p = sigmoid(z)``, computed from the logits ``z``.

    Uses ``log(1 + exp(z)) - y z`` (with ``np.logaddexp``), which is exact for
    every ``z``: no clipping is needed. Its gradient with respect to ``z`` is
    ``(sigmoid(z) - y) / n``.

    Examples
    --------
    >>> round(binary_cross_entropy_with_logits([1, 0], [0.0, 0.0]), 4)
    0.6931
    """
    y, z = _pair(y, z, "y", "z")
    _check_binary(y)
    return float(np.mean(np.logaddexp(0.0, z) - y * z))


def _logits_and_labels(y, Z):
    Z = as_float_array(Z, "Z")
    if Z.ndim != 2 or Z.shape[0] == 0 or Z.shape[1] < 2:
        raise ValueError(
            f"Z has shape {Z.shape}, expected logits of shape (n_samples, n_classes) "
            "with at least one sample and two classes"
        )
    return check_class_labels(y, "y", Z.shape[1], n=Z.shape[0]), Z


def softmax_cross_entropy(y, Z):
    """Mean categorical cross-entropy of ``softmax(Z)``, computed from the logits ``Z``.

    For sample ``i`` the loss is ``-log softmax(Z_i)[y_i] = logsumexp(Z_i) - Z_i[y_i]``;
    the row maximum is subtracted inside the log-sum-exp, so any finite ``Z``
    gives a finite loss (no overflow, no ``log(0)``).

    Parameters
    ----------
    y : array_like of shape (n_samples,)
        Integer labels in ``0 .. k - 1``.
    Z : array_like of shape (n_samples, k)
        Logits (pre-activations of the output layer).

    Returns
    -------
    float

    Examples
    --------
    >>> round(softmax_cross_entropy([0, 1], np.zeros((2, 4))), 4)  # log 4: a uniform guess
    1.3863
    >>> softmax_cross_entropy([0], [[1000.0, 0.0]])
    0.0
    """
    labels, Z = _logits_and_labels(y, Z)
    m = Z.max(axis=1)
    log_sum = m + np.log(np.exp(Z - m[:, None]).sum(axis=1))
    return float(np.mean(log_sum - Z[np.arange(Z.shape[0]), labels]))


def softmax_cross_entropy_grad(y, Z):
    """Gradient of ``softmax_cross_entropy`` with respect to ``Z``: ``(softmax(Z) - Y) / n``.

    ``Y`` is ``one_hot(y, k)``; the result has the shape of ``Z``.

    Examples
    --------
    >>> softmax_cross_entropy_grad([1], [[0.0, 0.0]])
    array([[ 0.5, -0.5]])
    """
    labels, Z = _logits_and_labels(y, Z)
    return _softmax_cross_entropy_and_grad(labels, Z)[1]


def _softmax_cross_entropy_and_grad(labels, Z):
    """Loss and gradient together, from one ``exp``; no checks (``labels`` int, ``Z`` float).

    The training loops of the models call this once per batch, after checking ``y`` once.
    """
    n = Z.shape[0]
    rows = np.arange(n)
    shifted = Z - Z.max(axis=1, keepdims=True)
    E = np.exp(shifted)
    sums = E.sum(axis=1)
    loss = float(np.mean(np.log(sums) - shifted[rows, labels]))
    G = E / (sums[:, None] * n)
    G[rows, labels] -= 1.0 / n
    return loss, G


#: Loss functions by name: ``loss(y, prediction) -> float``, the mean over the samples.
#: The prediction is ``y_hat`` for ``"mse"``, the probabilities ``p`` for
#: ``"binary_cross_entropy"`` and the logits ``Z`` for ``"softmax_cross_entropy"``.
LOSSES = {
    "mse": mse,
    "binary_cross_entropy": binary_cross_entropy,
    "softmax_cross_entropy": softmax_cross_entropy,
}

#: The gradient of each loss of :data:`LOSSES` with respect to its prediction, by name:
#: ``grad(y, prediction)``, an array of the prediction's shape.
LOSS_GRADIENTS = {
    "mse": mse_grad,
    "binary_cross_entropy": binary_cross_entropy_grad,
    "softmax_cross_entropy": softmax_cross_entropy_grad,
}


def get_loss(name):
    """Look up a loss and its gradient by name.

    Parameters
    ----------
    name : str
        A key of :data:`LOSSES`: ``"mse"``, ``"binary_cross_entropy"`` or
        ``"softmax_cross_entropy"``.

    Returns
    -------
    loss, grad : callables ``(y, prediction)``

    Examples
    --------
    >>> loss, grad = get_loss("mse")
    >>> loss([1.0, 2.0], [1.0, 4.0]), grad([1.0, 2.0], [1.0, 4.0])
    (2.0, array([0., 2.]))
    """
    if not isinstance(name, str) or name not in LOSSES:
        raise ValueError(f"unknown loss {name!r}; expected one of {sorted(LOSSES)}")
    return LOSSES[name], LOSS_GRADIENTS[name]
