"""The MLP estimator: a multilayer perceptron classifier with ``fit`` and ``predict``.

:class:`MLP` holds the parameters and composes the pure functions of
:mod:`dlcourse.backprop` (forward pass, backpropagation), :mod:`dlcourse.initialization`
(the starting weights) and :mod:`dlcourse.mlp_batchnorm`; its :meth:`MLP.fit` trains with the
fast in-place engine of :mod:`dlcourse.mlp_engine`, which computes exactly what those
functions compute, and shares its set-up with the other models (:mod:`dlcourse.estimator`).
:data:`DEFAULTS` and :data:`MULTICLASS_DEFAULTS` are its tuned learning rates and epochs.

The functions stay importable from here (``from dlcourse.mlp import mlp_forward,
init_params``), as the chapters have always imported them.
"""

from __future__ import annotations

import numpy as np

from ._validation import check_layer_sizes, check_weight_decay
from .activations import get_activation
from .backprop import (
    _check_params,
    _check_X,
    _check_Y,
    mlp_backward,
    mlp_forward,
    mlp_forward_cache,
    mlp_gradients,
    train,
)
from .data import as_rng
from .dropout import _check_p
from .estimator import Estimator
from .initialization import INITS, count_parameters, init_params
from .losses import binary_cross_entropy_with_logits, softmax_cross_entropy
from .mlp_batchnorm import (
    bn_mlp_forward,
    bn_mlp_gradients,
    bn_mlp_logits,
    check_bn_params,
    fit_bn_mlp,
    initial_stats,
    to_batch_norm_params,
)
from .mlp_engine import fit_mlp
from .optim import make_optimizer

__all__ = [
    "DEFAULTS",
    "INITS",
    "MLP",
    "MULTICLASS_DEFAULTS",
    "count_parameters",
    "init_params",
    "mlp_backward",
    "mlp_forward",
    "mlp_forward_cache",
    "mlp_gradients",
    "train",
]


#: Default ``(lr, n_epochs)`` of :meth:`MLP.fit`, by optimizer and hidden activation.
#:
#: Tuned for full-batch training on the lecture's example (``make_xor(1000)``, 70/30 split,
#: ``MLP([2, 5, 1], activation)``) over 20 seeds: the median test accuracy is 0.97 to 0.99 and
#: a fit takes a few hundred epochs (tens of milliseconds). With only 5 hidden units a few
#: seeds still stop in a poorer local minimum (about 0.75 to 0.85 for ReLU or sigmoid);
#: more hidden units remove that. Sigmoid units have a gradient of at most 1/4, hence the
#: larger learning rate. ``"identity"`` makes the network linear: it cannot solve XOR.
DEFAULTS = {
    "gd": {
        "sigmoid": (3.0, 500),
        "tanh": (2.0, 300),
        "relu": (1.0, 300),
        "leaky_relu": (1.0, 300),
        "identity": (1.0, 300),
    },
    "momentum": {
        "sigmoid": (1.0, 300),
        "tanh": (0.5, 300),
        "relu": (0.1, 300),
        "leaky_relu": (0.1, 300),
        "identity": (0.1, 300),
    },
    "adam": {
        "sigmoid": (0.05, 500),
        "tanh": (0.05, 500),
        "relu": (0.05, 500),
        "leaky_relu": (0.05, 500),
        "identity": (0.05, 500),
    },
}


#: Default ``(lr, n_epochs)`` of :meth:`MLP.fit` for a softmax output (``k >= 2`` classes), by
#: optimizer, whatever the hidden activation.
#:
#: Chosen by a small search on the digits (``MLP([64, 64, 10], "relu")``, mini-batches of 32,
#: 30 epochs, stratified one-third test split, seeds 0 to 4; ``python benchmarks/mlp.py
#: --tune`` reruns it). Lowest / mean test accuracy over the seeds:
#:
#: - adam: lr 0.001: 0.970 / 0.972, 0.002: 0.975 / 0.978, 0.003: 0.977 / 0.978,
#:   0.005: 0.968 / 0.977, **0.01: 0.977 / 0.980**, 0.02: 0.977 / 0.980;
#: - gd: lr 0.03: 0.942 / 0.950, 0.1: 0.965 / 0.968, 0.3: 0.968 / 0.974, **1.0: 0.977 / 0.979**;
#: - momentum (beta 0.9): lr 0.003: 0.942 / 0.949, 0.01: 0.967 / 0.970, 0.03: 0.970 / 0.974,
#:   **0.1: 0.972 / 0.978**.
#:
#: With full batches (``batch_size=None``) 30 epochs are only 30 steps: pass more epochs.
MULTICLASS_DEFAULTS = {"gd": (1.0, 30), "momentum": (0.1, 30), "adam": (0.01, 30)}


class MLP(Estimator):
    """A multilayer perceptron classifier: sigmoid output for 2 classes, softmax for more.

    Parameters
    ----------
    layer_sizes : list of int
        Widths from the inputs to the output, e.g. ``[2, 5, 1]``. A last width of 1 gives
        one sigmoid output unit (binary labels 0/1, mean binary cross-entropy); a last
        width ``k >= 2`` gives a softmax over ``k`` units (class labels ``0 .. k-1``, mean
        categorical cross-entropy).
    hidden_activation : str, default "relu"
        ``"sigmoid"``, ``"tanh"``, ``"relu"``, ``"leaky_relu"`` or ``"identity"``.
    seed : int, default 0
        Seeds the initial weights (:func:`init_params`) and the mini-batch shuffling.
    weight_decay : float >= 0, default 0
        L2 penalty: the loss gets ``weight_decay / 2 * sum ||W_l||^2`` over the weight
        matrices (not the biases). scikit-learn's ``alpha`` penalises
        ``alpha / (2 n_samples) * sum ||W_l||^2`` instead, so ``alpha = weight_decay * n_samples``
        gives the same loss.
    init : None or str, default None
        Weight initialisation, see :func:`init_params` (None: by hidden activation).
    dropout : float in [0, 1), default 0
        Inverted dropout (:func:`dlcourse.dropout.dropout_forward`) on the output of every
        hidden layer during :meth:`fit` only: each hidden unit is dropped with probability
        ``dropout`` in every update, the kept ones scaled by ``1 / (1 - dropout)``. The
        masks come from the model's random generator (seeded by ``seed``).
        :meth:`predict`, :meth:`gradients` and the validation loss use the whole network.
    batch_norm : bool, default False
        Batch normalisation between every hidden layer's affine map and its activation
        (:mod:`dlcourse.mlp_batchnorm`): ``N_l = gamma_l * standardise(A_{l-1} @ W_l) +
        beta_l``, ``A_l = f(N_l)``. A hidden layer's parameters are then ``(W_l, gamma_l,
        beta_l)`` (no bias: ``beta_l`` takes its part); the output layer keeps ``(W_L, b_L)``.
        :meth:`fit` and :meth:`gradients` standardise with each batch's own mean and
        variance; :meth:`predict` and :meth:`predict_proba` with ``running_stats``, the
        running averages kept during :meth:`fit` (PyTorch's rule, see
        :mod:`dlcourse.mlp_batchnorm`), so a prediction does not depend on the other
        samples passed with it. Trained with the package's plain functions, not the fast
        engine: slower.

    Attributes
    ----------
    params : list of (W, b)
        The weights; assign a new list to set them (e.g. copied from scikit-learn's
        ``coefs_`` and ``intercepts_``). With ``batch_norm``, ``(W, gamma, beta)`` for the
        hidden layers.
    running_stats : list of (mean, var) or None
        With ``batch_norm``: per hidden layer, the running mean and (unbiased) variance of
        ``Z_l = A_{l-1} @ W_l`` that prediction standardises with (0 and 1 before any
        training). None without batch norm.
    decoupled_decay_ : bool
        True after a :meth:`fit` with ``optimizer="adamw"``: ``weight_decay`` then acted as
        decoupled decay, and :meth:`gradients` leaves the L2 penalty out of the loss.
    loss_history_ : ndarray of shape (n_epochs_run,)
        After :meth:`fit`: the training loss (the L2 penalty included, none with
        ``"adamw"``) of each epoch. Full-batch:
        the loss at the parameters before that epoch's update. Mini-batch: the mean of the
        batch losses weighted by batch size, each taken before its batch's update. With
        dropout, the loss of the thinned networks that were trained.
    val_loss_history_ : ndarray of shape (n_epochs_run,) or None
        After :meth:`fit` with ``validation_data``: the loss (the same function as
        :meth:`gradients` returns, so the L2 penalty included, none with ``"adamw"``) on
        the validation data at the parameters *after* each epoch's updates.
    best_epoch_ : int or None
        After :meth:`fit` with ``validation_data``: the epoch (from 0) of the lowest
        validation loss; with ``patience`` the model keeps that epoch's parameters, so it
        has been trained for ``best_epoch_ + 1`` epochs.

    Notes
    -----
    Backpropagation starts from ``dZ_L = (y_hat - Y) / n_samples``, the gradient of the
    mean loss with respect to the output pre-activation once the output activation's
    derivative has cancelled against the loss's. :meth:`fit` continues from the current
    ``params``; its learning rate and number of epochs default to :data:`DEFAULTS` (one
    output unit, tuned per optimizer and activation on the lecture's example) or
    :data:`MULTICLASS_DEFAULTS` (a softmax output, tuned on the digits).

    Examples
    --------
    >>> from dlcourse.data import make_xor
    >>> X, y = make_xor(300)
    >>> model = MLP([2, 8, 1], "tanh").fit(X, y)
    >>> bool(model.score(X, y) > 0.9)
    True
    """

    OPTIMIZERS = ("gd", "momentum", "adam", "adamw")

    def __init__(
        self,
        layer_sizes,
        hidden_activation="relu",
        seed=0,
        weight_decay=0.0,
        init=None,
        dropout=0.0,
        batch_norm=False,
    ):
        self.layer_sizes = check_layer_sizes(layer_sizes)
        get_activation(hidden_activation)
        self.hidden_activation = hidden_activation
        self.seed = seed
        self.weight_decay = check_weight_decay(weight_decay)
        self.init = init
        self.dropout = _check_p(dropout, "dropout")
        self._rng = as_rng(seed)
        if not isinstance(batch_norm, bool):
            raise ValueError(f"batch_norm must be True or False, got {batch_norm!r}")
        if batch_norm and len(self.layer_sizes) < 3:
            raise ValueError(
                f"batch_norm is True but layer_sizes {self.layer_sizes} has no hidden layer "
                "to normalise; expected at least three entries, e.g. [2, 8, 1]"
            )
        self.batch_norm = batch_norm
        self.params = init_params(self.layer_sizes, self._rng, hidden_activation, init)
        self.running_stats = None
        self.decoupled_decay_ = False
        if batch_norm:
            self.params = to_batch_norm_params(self.params)
            self.running_stats = initial_stats(self.params)

    def __repr__(self):
        extra = ""
        if self.weight_decay:
            extra += f", weight_decay={self.weight_decay}"
        if self.init is not None:
            extra += f", init={self.init!r}"
        if self.dropout:
            extra += f", dropout={self.dropout}"
        if self.batch_norm:
            extra += ", batch_norm=True"
        return (
            f"MLP({self.layer_sizes}, hidden_activation={self.hidden_activation!r}, "
            f"seed={self.seed}{extra})"
        )

    def _default_schedule(self, optimizer):
        base = "adam" if optimizer == "adamw" else optimizer  # AdamW starts from Adam's
        if self.layer_sizes[-1] == 1:
            return DEFAULTS[base][self.hidden_activation]
        return MULTICLASS_DEFAULTS[base]

    @property
    def n_classes(self):
        """Number of classes: 2 for one sigmoid output unit, else the output width."""
        return max(2, self.layer_sizes[-1])

    def _checked_params(self):
        if self.batch_norm:
            return check_bn_params(self.params, self.layer_sizes)
        params = _check_params(self.params)
        shapes = [W.shape for W, _ in params]
        expected = list(zip(self.layer_sizes[:-1], self.layer_sizes[1:], strict=False))
        if shapes != expected:
            raise ValueError(
                f"params has weight shapes {shapes}, expected {expected} for layer_sizes "
                f"{self.layer_sizes}"
            )
        return params

    def _labels(self, y, n_samples, name="y"):
        """Labels as a 1-D array: float 0/1 (one output unit) or int classes."""
        Y = _check_Y(y, n_samples, self.layer_sizes[-1], name)
        return Y[:, 0] if self.layer_sizes[-1] == 1 else Y

    def forward(self, X):
        """Output probabilities, shape (n_samples, n_out): a column for one output unit.

        With ``batch_norm``, standardised with ``running_stats`` (prediction mode).
        """
        if self.batch_norm:
            params = self._checked_params()
            X = _check_X(X, params)
            return bn_mlp_forward(X, params, self.hidden_activation, self.running_stats)
        return mlp_forward(X, self._checked_params(), self.hidden_activation)

    def predict_proba(self, X):
        """Class probabilities.

        Returns
        -------
        ndarray of shape (n_samples,) for one output unit (the probability of class 1),
        or (n_samples, k) for k output units (each row sums to 1).
        """
        A = self.forward(X)
        return A[:, 0] if A.shape[1] == 1 else A

    def predict(self, X):
        """Class labels, shape (n_samples,), int: probability above 0.5 for one output unit,
        the most probable class for k units."""
        proba = self.predict_proba(X)
        if proba.ndim == 1:
            return (proba > 0.5).astype(int)
        return np.argmax(proba, axis=1)

    def score(self, X, y):
        """Accuracy: the fraction of samples whose predicted label equals ``y``."""
        y_hat = self.predict(X)
        y = self._labels(y, y_hat.shape[0])
        return float(np.mean(y_hat == y))

    def gradients(self, X, y):
        """Mean loss on ``(X, y)`` (weight penalty included) and its gradients.

        The penalty is the L2 one of ``weight_decay``, except after :meth:`fit` with
        ``optimizer="adamw"``: that fit decays the weights outside the loss, so the loss and
        gradients here are then, like its ``loss_history_``, the data term alone.

        See :func:`mlp_gradients`. With ``batch_norm``, in training mode (the batch
        statistics of ``X``) and with ``(dW, dgamma, dbeta)`` for the hidden layers
        (:func:`dlcourse.mlp_batchnorm.bn_mlp_gradients`).

        Returns
        -------
        loss : float
        grads : list of (dW, db), shaped like ``params``
        """
        penalty = 0.0 if self.decoupled_decay_ else self.weight_decay
        if self.batch_norm:
            params = self._checked_params()
            X = _check_X(X, params)
            if X.shape[0] < 2:
                raise ValueError(
                    f"X has shape {X.shape}: batch norm needs at least two samples for the "
                    "batch statistics"
                )
            y = self._labels(y, X.shape[0])
            return bn_mlp_gradients(X, y, params, self.hidden_activation, penalty)
        return mlp_gradients(X, y, self._checked_params(), self.hidden_activation, penalty)

    def loss(self, X, y):
        """Mean cross-entropy on ``(X, y)`` as :meth:`predict` sees the data: no weight
        penalty, and with ``batch_norm`` standardised with ``running_stats``.

        Computed from the output layer's logits
        (:func:`~dlcourse.losses.binary_cross_entropy_with_logits`,
        :func:`~dlcourse.losses.softmax_cross_entropy`), so it stays exact where
        :meth:`predict_proba` rounds a probability to 0 or 1 and a loss computed from the
        probabilities would have to clip it.

        Returns
        -------
        float
        """
        params = self._checked_params()
        X = _check_X(X, params)
        y = self._labels(y, X.shape[0])
        if self.batch_norm:
            Z = bn_mlp_logits(X, params, self.hidden_activation, self.running_stats)
        else:
            Z = mlp_forward_cache(X, params, self.hidden_activation)[1][-1][1]
        if Z.shape[1] == 1:
            return binary_cross_entropy_with_logits(y, Z[:, 0])
        return softmax_cross_entropy(y, Z)

    def fit(
        self,
        X,
        y,
        lr=None,
        n_epochs=None,
        optimizer="gd",
        batch_size=None,
        validation_data=None,
        patience=None,
    ):
        """Train from the current ``params`` (call again to continue training).

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
        y : array_like of shape (n_samples,)
            Labels 0/1 for one output unit, ``0 .. k-1`` for ``k`` output units.
        lr : float, optional
            Learning rate; None takes it from :data:`DEFAULTS` (one output unit, by
            optimizer and hidden activation) or :data:`MULTICLASS_DEFAULTS` (by optimizer).
        n_epochs : int, optional
            Passes over the data (at most, with ``patience``); None takes it from the same
            table as ``lr``.
        optimizer : {"gd", "momentum", "adam", "adamw"}, default "gd"
            ``"adamw"`` is Adam with decoupled weight decay (:class:`dlcourse.optim.AdamW`)
            of strength ``weight_decay``: before each step every weight matrix shrinks by
            ``1 - lr * weight_decay`` (the biases are not decayed) and no penalty is added
            to the loss; with the other optimizers ``weight_decay`` is the L2 penalty in
            the loss. Its default ``lr`` and ``n_epochs`` are Adam's.
        batch_size : int, optional
            None (the default) uses all samples in each update (full-batch);
            otherwise the samples are shuffled each epoch and split into batches.
        validation_data : (X_val, y_val), optional
            Data whose loss is recorded after every epoch in ``val_loss_history_``.
        patience : int >= 1, optional
            Early stopping (needs ``validation_data``): stop once ``patience`` epochs in a
            row have not lowered the validation loss, then restore the parameters of the
            best epoch (``best_epoch_``).

        Returns
        -------
        self
        """
        params = self._checked_params()
        X = _check_X(X, params)
        y = self._labels(y, X.shape[0])
        setup = self._fit_setup(optimizer, lr, n_epochs, batch_size, validation_data, patience)
        decoupled = setup.optimizer == "adamw"
        base = "adam" if decoupled else setup.optimizer  # AdamW = Adam's step + the decay below
        lr, n_epochs = setup.lr, setup.n_epochs
        if decoupled and lr * self.weight_decay >= 1:
            raise ValueError(
                f"lr * weight_decay is {lr} * {self.weight_decay} = {lr * self.weight_decay:g}: "
                "with optimizer='adamw' every step multiplies the weights by "
                "1 - lr * weight_decay, so expected lr * weight_decay < 1"
            )
        validation_data = setup.validation_data
        if validation_data is not None:
            X_val = _check_X(validation_data[0], params, "validation_data[0]")
            y_val = self._labels(validation_data[1], X_val.shape[0], "validation_data[1]")
            validation_data = (X_val, y_val)
        l2 = 0.0 if decoupled else self.weight_decay
        decay = self.weight_decay if decoupled else 0.0
        # the same options reach either loop: the fast engine, or batch norm's plain loop
        options = dict(batch_size=setup.batch_size, rng=self._rng, weight_decay=l2,
                       decoupled_decay=decay, validation_data=validation_data,
                       patience=setup.patience, dropout=self.dropout)
        optimizer = make_optimizer(base, lr)
        if self.batch_norm:
            new_params, self.running_stats, losses, stopper = fit_bn_mlp(
                X, y, params, self.running_stats, self.hidden_activation, optimizer, n_epochs,
                **options)
        else:
            new_params, losses, stopper = fit_mlp(
                X, y, params, self.hidden_activation, optimizer, n_epochs, **options)
        self.params = new_params
        self.decoupled_decay_ = decoupled
        self._record_fit(losses, stopper)
        return self
