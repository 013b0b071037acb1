"""The multilayer perceptron with batch normalisation, behind ``MLP(..., batch_norm=True)``.

Every hidden layer normalises its pre-activation over the batch before the activation:

    Z_l = A_{l-1} @ W_l                       (no bias: the mean subtraction would remove it)
    N_l = gamma_l * (Z_l - mean) / sqrt(var + eps) + beta_l      (batch norm, per unit)
    A_l = f(N_l)

and the output layer is the plain ``Z_L = A_{L-1} @ W_L + b_L`` with a sigmoid or softmax,
as in :mod:`dlcourse.mlp`. A hidden layer's parameters are ``(W_l, gamma_l, beta_l)``;
``beta_l`` plays the bias's part. ``params`` is ``[(W1, gamma1, beta1), ..., (W_L, b_L)]``.

**Training and prediction differ.** In training (:func:`bn_mlp_gradients`,
:func:`fit_bn_mlp`) ``mean`` and ``var`` are the batch's own (biased variance), and the
gradient flows through them (:func:`dlcourse.normalization.batchnorm_backward`). Each
training step also updates running averages, as PyTorch's ``BatchNorm1d`` does:
``running := (1 - MOMENTUM) running + MOMENTUM batch``, with the unbiased variance
(``n / (n - 1)`` times the biased one) for ``running_var``; they start at mean 0 and
variance 1. Prediction (:func:`bn_mlp_forward` with ``stats``) standardises with those
running averages (:func:`dlcourse.normalization.batchnorm_inference`), so a sample's
prediction does not depend on the other samples it comes with. After few training steps
the running averages still lag behind the weights (they remember the start's mean 0 and
variance 1, and the batch statistics of weights that have since moved), so the predictions
can be worse than the training loss suggests; PyTorch's ``model.eval()`` behaves the same.

These functions compose the package's pure functions and are not tuned for speed (the fast
engine :mod:`dlcourse.mlp_engine` has no batch norm); the labels are checked by the caller.
"""

from __future__ import annotations

import numpy as np

from .activations import get_activation, sigmoid, softmax
from .dropout import dropout_backward, dropout_forward
from .layers import dense_backward, dense_forward
from .losses import _softmax_cross_entropy_and_grad
from .normalization import batchnorm_backward, batchnorm_forward, batchnorm_inference
from .training import EarlyStopping, minibatch_indices

__all__ = [
    "EPS",
    "MOMENTUM",
    "bn_mlp_forward",
    "bn_mlp_gradients",
    "bn_mlp_logits",
    "check_bn_params",
    "fit_bn_mlp",
    "initial_stats",
    "to_batch_norm_params",
]

#: ``eps`` of every batch-norm layer (PyTorch's default).
EPS = 1e-5
#: Weight of the newest batch in the running averages (PyTorch's default).
MOMENTUM = 0.1


def check_bn_params(params, layer_sizes):
    """``params`` in the batch-norm layout, checked against ``layer_sizes``; float arrays.

    ``(W_l, gamma_l, beta_l)`` for every hidden layer, then ``(W_L, b_L)``.
    """
    expected = list(zip(layer_sizes[:-1], layer_sizes[1:], strict=False))
    if not isinstance(params, (list, tuple)) or len(params) != len(expected):
        raise ValueError(
            f"params must be a list of {len(expected)} layers for layer_sizes "
            f"{layer_sizes}: (W, gamma, beta) per hidden layer, then (W, b)"
        )
    checked = []
    for layer, (item, (n_in, n_out)) in enumerate(zip(params, expected, strict=True), 1):
        names = ("W", "b") if layer == len(expected) else ("W", "gamma", "beta")
        if not isinstance(item, (list, tuple)) or len(item) != len(names):
            got = type(item).__name__
            if isinstance(item, (list, tuple)):
                got += f" of length {len(item)}"
            raise ValueError(
                f"params[{layer - 1}] must be ({', '.join(f'{n}{layer}' for n in names)}), "
                f"got {got}"
            )
        arrays = []
        for name, value in zip(names, item, strict=True):
            a = np.asarray(value, dtype=np.float64)
            shape = (n_in, n_out) if name == "W" else (n_out,)
            if a.shape != shape:
                raise ValueError(f"{name}{layer} has shape {a.shape}, expected {shape}")
            arrays.append(a)
        checked.append(tuple(arrays))
    return checked


def to_batch_norm_params(params):
    """Turn ``[(W1, b1), ..., (W_L, b_L)]`` into the batch-norm layout.

    Hidden layers keep their ``W`` and get ``gamma = 1``, ``beta = 0`` (the batch-norm
    layer starts as a plain standardisation); their biases are dropped. The output layer
    is kept as it is.

    Examples
    --------
    >>> params = [(np.ones((2, 3)), np.zeros(3)), (np.ones((3, 1)), np.zeros(1))]
    >>> [tuple(a.shape for a in layer) for layer in to_batch_norm_params(params)]
    [((2, 3), (3,), (3,)), ((3, 1), (1,))]
    """
    hidden = [(np.array(W, dtype=float), np.ones(np.shape(W)[1]), np.zeros(np.shape(W)[1]))
              for W, _ in params[:-1]]
    W, b = params[-1]
    return hidden + [(np.array(W, dtype=float), np.array(b, dtype=float))]


def initial_stats(params):
    """Running statistics before any training: mean 0 and variance 1 for every hidden unit."""
    return [(np.zeros(W.shape[1]), np.ones(W.shape[1])) for W, *_ in params[:-1]]


def _forward(X, params, hidden_activation, stats=None, dropout=0.0, rng=None):
    """Forward pass; ``stats`` None = batch statistics. Returns output, logits and cache."""
    f, _ = get_activation(hidden_activation)
    A, cache = X, []
    for layer, (W, gamma, beta) in enumerate(params[:-1]):
        Z = A @ W
        if stats is None:
            N = batchnorm_forward(Z, gamma, beta, EPS)
        else:
            N = batchnorm_inference(Z, gamma, beta, *stats[layer], EPS)
        A_next, mask = f(N), None
        if dropout and rng is not None:
            A_next, mask = dropout_forward(A_next, dropout, rng)
        cache.append((A, Z, N, mask))
        A = A_next
    W, b = params[-1]
    Z_out = dense_forward(A, W, b)
    out = sigmoid(Z_out) if W.shape[1] == 1 else softmax(Z_out)
    return out, Z_out, (A, cache)


def bn_mlp_forward(X, params, hidden_activation="relu", stats=None):
    """Output probabilities ``(n_samples, n_out)`` of the batch-norm network.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    params : list ``[(W1, gamma1, beta1), ..., (W_L, b_L)]``
    hidden_activation : str, default "relu"
    stats : None or list of (mean, var), one pair of shape (n_l,) per hidden layer
        None standardises with the statistics of ``X`` itself (training mode); the
        running statistics give the prediction.
    """
    return _forward(X, params, hidden_activation, stats)[0]


def bn_mlp_logits(X, params, hidden_activation="relu", stats=None):
    """The output layer's pre-activation ``Z_L``, shape ``(n_samples, n_out)``; the
    arguments as for :func:`bn_mlp_forward`."""
    return _forward(X, params, hidden_activation, stats)[1]


def _loss_and_delta(Z_out, y):
    """Mean cross-entropy from the logits and ``dZ_L = (y_hat - Y) / n``."""
    n = Z_out.shape[0]
    if Z_out.shape[1] == 1:
        z = Z_out[:, 0]
        loss = float(np.mean(np.logaddexp(0.0, z) - y * z))
        return loss, ((sigmoid(z) - y) / n)[:, None]
    return _softmax_cross_entropy_and_grad(np.asarray(y, dtype=int), Z_out)


def _gradients(X, y, params, hidden_activation, weight_decay=0.0, dropout=0.0, rng=None):
    """Loss, gradients and the cache of one training-mode pass."""
    _, f_grad = get_activation(hidden_activation)
    _, Z_out, (A_last, cache) = _forward(X, params, hidden_activation, None, dropout, rng)
    loss, dZ = _loss_and_delta(Z_out, y)
    W_out = params[-1][0]
    dA, dW, db = dense_backward(dZ, A_last, W_out)
    grads = [None] * len(params)
    grads[-1] = (dW, db)
    for layer in range(len(params) - 2, -1, -1):
        W, gamma, _ = params[layer]
        A_prev, Z, N, mask = cache[layer]
        if mask is not None:
            dA = dropout_backward(dA, mask, dropout)
        dN = dA * f_grad(N)
        dZ, dgamma, dbeta = batchnorm_backward(dN, Z, gamma, EPS)
        dA, dW = dZ @ W.T, A_prev.T @ dZ
        grads[layer] = (dW, dgamma, dbeta)
    if weight_decay:
        loss += 0.5 * weight_decay * sum(float(np.sum(p[0] * p[0])) for p in params)
        grads = [(g[0] + weight_decay * p[0], *g[1:]) for g, p in zip(grads, params, strict=True)]
    return loss, grads, cache


def bn_mlp_gradients(X, y, params, hidden_activation="relu", weight_decay=0.0):
    """Mean loss and its gradients, with the batch statistics of ``X`` (training mode).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), at least two samples
    y : ndarray of shape (n_samples,)
        0/1 for one output unit, class labels for ``k`` units (already checked).
    params : list ``[(W1, gamma1, beta1), ..., (W_L, b_L)]``
    hidden_activation : str, default "relu"
    weight_decay : float >= 0, default 0
        Adds ``weight_decay / 2 * sum ||W_l||^2`` (weights only) to the loss.

    Returns
    -------
    loss : float
    grads : list shaped like ``params``: ``(dW, dgamma, dbeta)`` per hidden layer,
        ``(dW, db)`` for the output layer
    """
    loss, grads, _ = _gradients(X, y, params, hidden_activation, weight_decay)
    return loss, grads


def _update_stats(stats, cache):
    """Running averages moved towards this batch's mean and unbiased variance."""
    new = []
    for (mean, var), (_, Z, _, _) in zip(stats, cache, strict=True):
        batch_var = Z.var(axis=0, ddof=1)
        new.append(((1 - MOMENTUM) * mean + MOMENTUM * Z.mean(axis=0),
                    (1 - MOMENTUM) * var + MOMENTUM * batch_var))
    return new


def fit_bn_mlp(X, y, params, stats, hidden_activation, optimizer, n_epochs, batch_size=None,
               rng=None, weight_decay=0.0, decoupled_decay=0.0, validation_data=None,
               patience=None, dropout=0.0):
    """Train the batch-norm network; the arguments are checked by the caller.

    ``weight_decay`` is the L2 penalty in the loss; ``decoupled_decay`` instead shrinks
    every weight matrix by ``1 - lr * decoupled_decay`` before each step (AdamW's rule,
    weights only). Batches of one sample are skipped (no batch statistics).

    Returns
    -------
    params, stats, losses, stopper
        As :func:`dlcourse.mlp_engine.fit_mlp`, plus the running statistics.
    """
    n = X.shape[0]
    flat = [a for layer in params for a in layer]
    structure = [len(layer) for layer in params]
    flat = [a.copy() for a in flat]

    def unflat(arrays):
        out, i = [], 0
        for k in structure:
            out.append(tuple(arrays[i:i + k]))
            i += k
        return out

    weights = [flat[sum(structure[:k])] for k in range(len(structure))]
    stopper = EarlyStopping(patience) if validation_data is not None else None
    best = None
    losses = []
    full = batch_size is None or batch_size >= n
    for _ in range(n_epochs):
        batches = [None] if full else minibatch_indices(n, batch_size, rng)
        total, counted = 0.0, 0
        for rows in batches:
            Xb, yb = (X, y) if rows is None else (X[rows], y[rows])
            if Xb.shape[0] < 2:
                continue
            current = unflat(flat)
            loss, grads, cache = _gradients(Xb, yb, current, hidden_activation,
                                            weight_decay, dropout, rng)
            stats = _update_stats(stats, cache)
            total += loss * Xb.shape[0]
            counted += Xb.shape[0]
            if decoupled_decay:
                for W in weights:
                    W *= 1.0 - optimizer.lr * decoupled_decay
            optimizer.update(flat, [g for layer in grads for g in layer])
        losses.append(total / max(counted, 1))
        if stopper is not None:
            X_val, y_val = validation_data
            _, Z_out, _ = _forward(X_val, unflat(flat), hidden_activation, stats)
            val_loss = _loss_and_delta(Z_out, y_val)[0]
            if weight_decay:
                val_loss += 0.5 * weight_decay * sum(float(np.sum(W * W)) for W in weights)
            if stopper.record(val_loss) and patience is not None:
                best = ([a.copy() for a in flat], stats)
            if stopper.should_stop:
                break
    if best is not None:
        flat, stats = best
    return unflat(flat), stats, np.array(losses), stopper
