"""The multilayer perceptron as pure functions: forward pass, backpropagation, training.

Notation (the chapters use the same): layer ``l`` computes
``Z_l = A_{l-1} @ W_l + b_l`` (:func:`dlcourse.layers.dense_forward`) and
``A_l = f(Z_l)`` with ``A_0 = X``; hidden layers use the chosen activation ``f``.
``params`` is a plain list ``[(W1, b1), (W2, b2), ...]`` with ``W_l`` of shape
``(n_{l-1}, n_l)`` and ``b_l`` of shape ``(n_l,)``: the layout of scikit-learn's
``coefs_`` and ``intercepts_``.

The output layer depends on its width:

- **one unit** (binary classification, labels 0/1): a sigmoid, so ``A_L = y_hat`` is the
  probability of class 1, and the loss is the mean binary cross-entropy;
- **k >= 2 units** (k classes, labels ``0 .. k-1``): a softmax, so each row of ``A_L`` holds
  the probabilities of the k classes, and the loss is the mean categorical cross-entropy.

In both cases the gradient of the loss with respect to the output pre-activation
simplifies to ``dZ_L = (y_hat - Y) / n_samples`` (``Y`` the labels, one-hot for k
classes): the derivative of the output activation cancels against the loss's.
Backpropagation starts from there.

Weight decay (L2 regularisation) with strength ``weight_decay`` adds
``weight_decay / 2 * sum_l ||W_l||^2`` to the loss (the biases are not penalised), and so
``weight_decay * W_l`` to each ``dW_l``.

The estimator :class:`dlcourse.mlp.MLP` composes these functions; its fast in-place
training engine (:mod:`dlcourse.mlp_engine`) computes exactly what they compute. The
initial weights come from :func:`dlcourse.initialization.init_params`.
"""

from __future__ import annotations

import numpy as np

from ._validation import (
    check_2d,
    check_class_labels,
    check_labels,
    check_layer_sizes,
    check_positive_float,
    check_positive_int,
    check_weight_decay,
)
from .activations import get_activation, sigmoid, softmax
from .data import one_hot
from .initialization import init_params
from .layers import dense_backward, dense_forward
from .losses import softmax_cross_entropy

__all__ = [
    "mlp_backward",
    "mlp_forward",
    "mlp_forward_cache",
    "mlp_gradients",
    "train",
]


# ----------------------------------------------------------------------------- checks


def _check_params(params):
    """Check that ``params`` is a chain of ``(W, b)`` with matching shapes; return float arrays."""
    if not isinstance(params, (list, tuple)) or len(params) == 0:
        raise ValueError(
            f"params must be a non-empty list of (W, b) tuples, got {type(params).__name__}"
        )
    checked = []
    for layer, pair in enumerate(params, start=1):
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            raise ValueError(
                f"params[{layer - 1}] must be a (W{layer}, b{layer}) pair, "
                f"got {type(pair).__name__}"
            )
        W = np.asarray(pair[0], dtype=np.float64)
        b = np.asarray(pair[1], dtype=np.float64)
        if W.ndim != 2:
            raise ValueError(f"W{layer} has shape {W.shape}, expected a 2-D array (n_in, n_out)")
        if b.shape != (W.shape[1],):
            raise ValueError(
                f"b{layer} has shape {b.shape}, expected ({W.shape[1]},) to match "
                f"W{layer} of shape {W.shape}"
            )
        if checked and W.shape[0] != checked[-1][0].shape[1]:
            raise ValueError(
                f"W{layer} has shape {W.shape}, expected ({checked[-1][0].shape[1]}, n_out) "
                "to follow "
                f"W{layer - 1} of shape {checked[-1][0].shape}"
            )
        checked.append((W, b))
    return checked


def _check_X(X, params, name="X"):
    n_in = params[0][0].shape[0]
    X = check_2d(X, name)
    if X.shape[1] != n_in:
        raise ValueError(
            f"{name} has shape {X.shape}, expected (n_samples, {n_in}): the network's first "
            f"layer W1 has {n_in} inputs"
        )
    return X


def _check_Y(y, n_samples, n_out, name="y"):
    """Labels checked against the output width.

    One output unit: 0/1 labels as a float column (n_samples, 1). ``k >= 2`` units: integer
    class labels ``0 .. k-1`` of shape (n_samples,).
    """
    y_arr = np.asarray(y)
    if n_out > 1:
        if y_arr.ndim != 1:
            raise ValueError(
                f"{name} has shape {y_arr.shape}, expected ({n_samples},): one class label "
                f"0 to {n_out - 1} per sample"
            )
        return check_class_labels(y_arr, name, n_out, n_samples)
    if y_arr.ndim == 1:
        return check_labels(y_arr, name, n_samples)[:, None]
    if y_arr.shape == (n_samples, 1):
        return check_labels(y_arr.ravel(), name).reshape(n_samples, 1)
    raise ValueError(
        f"{name} has shape {y_arr.shape}, expected ({n_samples},): one 0/1 label per sample"
    )


# ----------------------------------------------------------------------------- the network


def mlp_forward_cache(X, params, hidden_activation="relu"):
    """Forward pass that also keeps what backpropagation needs.

    Parameters
    ----------
    X : array_like of shape (n_samples, n_features)
    params : list of (W, b)
    hidden_activation : str, default "relu"

    Returns
    -------
    A : ndarray of shape (n_samples, n_out), the output probabilities ``y_hat``
        A sigmoid for one output unit, a softmax over the units for two or more.
    cache : list of (A_prev, Z), one per layer
        ``A_prev`` is the layer's input (``X`` for the first layer) and ``Z`` its
        pre-activation.
    """
    params = _check_params(params)
    X = _check_X(X, params)
    f, _ = get_activation(hidden_activation)
    output = sigmoid if params[-1][0].shape[1] == 1 else softmax
    A = X
    cache = []
    for layer, (W, b) in enumerate(params, start=1):
        Z = dense_forward(A, W, b)
        cache.append((A, Z))
        A = output(Z) if layer == len(params) else f(Z)
    return A, cache


def mlp_forward(X, params, hidden_activation="relu"):
    """Output probabilities of the network, ``y_hat = A_L``.

    Parameters
    ----------
    X : array_like of shape (n_samples, n_features)
    params : list of (W, b)
    hidden_activation : str, default "relu"

    Returns
    -------
    A : ndarray of shape (n_samples, n_out)

    Examples
    --------
    >>> params = [(np.ones((2, 2)), np.zeros(2)), (np.ones((2, 1)), np.array([-2.0]))]
    >>> mlp_forward([[1.0, 0.0]], params)  # A1 = relu([1, 1]), Z2 = 1 + 1 - 2
    array([[0.5]])
    """
    return mlp_forward_cache(X, params, hidden_activation)[0]


def mlp_backward(y, A, cache, params, hidden_activation="relu"):
    """Backpropagation: gradients of the mean loss from a forward pass's output and cache.

    Parameters
    ----------
    y : array_like of shape (n_samples,)
        Labels 0/1 for one output unit, class labels ``0 .. k-1`` for ``k`` units.
    A : ndarray of shape (n_samples, n_out), the output of the forward pass
    cache : list of (A_prev, Z) from :func:`mlp_forward_cache`
    params : list of (W, b)
    hidden_activation : str, default "relu"

    Returns
    -------
    grads : list of (dW, db), shaped like ``params``
    """
    params = _check_params(params)
    _, f_grad = get_activation(hidden_activation)
    n_samples, n_out = A.shape
    Y = _check_Y(y, n_samples, n_out)
    if n_out > 1:
        Y = one_hot(Y, n_out)
    # sigmoid + BCE or softmax + cross-entropy: dL/dZ_L = (y_hat - Y) / n
    dZ = (A - Y) / n_samples
    grads = [None] * len(params)
    # Python counts the layers from 0: params[layer] is the chapter's layer l = layer + 1,
    # (W_l, b_l), and cache[layer] holds its input A_{l-1} and its Z_l.
    for layer in range(len(params) - 1, -1, -1):
        A_prev, _ = cache[layer]
        dA_prev, dW, db = dense_backward(dZ, A_prev, params[layer][0])
        grads[layer] = (dW, db)
        if layer > 0:
            dZ = dA_prev * f_grad(cache[layer - 1][1])  # back through the hidden activation
    return grads


def mlp_gradients(X, y, params, hidden_activation="relu", weight_decay=0.0):
    """Mean loss of the network on ``(X, y)`` and its gradients.

    Parameters
    ----------
    X : array_like of shape (n_samples, n_features)
    y : array_like of shape (n_samples,)
        Labels 0/1 for one output unit (binary cross-entropy), class labels
        ``0 .. k-1`` for ``k`` output units (categorical cross-entropy).
    params : list of (W, b)
    hidden_activation : str, default "relu"
    weight_decay : float >= 0, default 0
        Adds ``weight_decay / 2 * sum ||W_l||^2`` to the loss and ``weight_decay * W_l``
        to each ``dW_l`` (biases are not penalised).

    Returns
    -------
    loss : float
        Computed from the output pre-activation ``Z_L`` (``log(1 + exp(Z)) - y Z`` for
        one unit, ``logsumexp(Z_i) - Z_i[y_i]`` for k), so it stays exact when
        ``y_hat`` rounds to 0 or 1.
    grads : list of (dW, db)
        ``dW_l = dL/dW_l`` of the shape of ``W_l``, ``db_l`` of the shape of ``b_l``.

    Examples
    --------
    >>> params = [(np.zeros((2, 3)), np.zeros(3)), (np.zeros((3, 1)), np.zeros(1))]
    >>> loss, grads = mlp_gradients([[1.0, 2.0]], [1], params)
    >>> round(loss, 4), grads[1][1]  # y_hat = 0.5: db2 = 0.5 - 1
    (0.6931, array([-0.5]))
    """
    weight_decay = check_weight_decay(weight_decay)
    A, cache = mlp_forward_cache(X, params, hidden_activation)
    Y = _check_Y(y, A.shape[0], A.shape[1])
    Z_out = cache[-1][1]
    if A.shape[1] == 1:
        loss = float(np.mean(np.logaddexp(0.0, Z_out) - Y * Z_out))
    else:
        loss = softmax_cross_entropy(Y, Z_out)
    grads = mlp_backward(Y[:, 0] if A.shape[1] == 1 else Y, A, cache, params, hidden_activation)
    if weight_decay:
        params = _check_params(params)
        loss += 0.5 * weight_decay * sum(float(np.sum(W * W)) for W, _ in params)
        grads = [
            (dW + weight_decay * W, db) for (dW, db), (W, _) in zip(grads, params, strict=True)
        ]
    return loss, grads


def train(X, y, layer_sizes, lr, n_epochs, rng=None):
    """The lecture's training loop: a ReLU network trained by full-batch gradient descent.

    For each epoch: forward pass, loss, backpropagation, update
    ``W := W - lr * dW`` (and the same for ``b``).

    Parameters
    ----------
    X : array_like of shape (n_samples, n_features)
    y : array_like of shape (n_samples,), labels 0/1
    layer_sizes : list of int, ``layer_sizes[0] == n_features``
    lr : float > 0
    n_epochs : int >= 1
    rng : None, int or numpy.random.Generator, for the initial weights

    Returns
    -------
    params : list of (W, b), the trained weights
    losses : ndarray of shape (n_epochs,), the loss before each update

    Examples
    --------
    >>> from dlcourse.data import make_xor
    >>> X, y = make_xor(200)
    >>> params, losses = train(X, y, [2, 8, 1], lr=1.0, n_epochs=300)
    >>> bool(losses[-1] < losses[0])
    True
    """
    sizes = check_layer_sizes(layer_sizes)
    lr = check_positive_float(lr, "lr")
    n_epochs = check_positive_int(n_epochs, "n_epochs")
    params = init_params(sizes, rng, "relu")
    _check_X(X, params)
    losses = np.empty(n_epochs)
    for epoch in range(n_epochs):
        losses[epoch], grads = mlp_gradients(X, y, params, "relu")
        params = [
            (W - lr * dW, b - lr * db) for (W, b), (dW, db) in zip(params, grads, strict=True)
        ]
    return params, losses
