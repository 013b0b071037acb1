"""What the estimators' ``fit`` methods share: the set-up of a run and the epoch loop.

:class:`~dlcourse.mlp.MLP`, :class:`~dlcourse.cnn.CNN` and
:class:`~dlcourse.transformer.Transformer` each own their arithmetic (forward, backward) and
their data checks; what is the same for the three lives here, so they read their options,
choose their defaults and record a run in exactly the same way:

- :class:`Estimator`, the base class: :meth:`Estimator._fit_setup` checks the optimizer's
  name, takes ``lr`` and ``n_epochs`` from the model's tuning table when they are None and
  checks ``batch_size``, ``validation_data`` and ``patience``
  (:func:`dlcourse.training.check_fit_options`); :meth:`Estimator._record_fit` stores
  ``loss_history_``, ``val_loss_history_`` and ``best_epoch_``;
- :func:`train_minibatches`, the loop of the CNN and the transformer: shuffled mini-batches,
  one optimizer step per batch on a single flat parameter vector, the validation loss after
  each epoch and early stopping (:class:`dlcourse.training.EarlyStopping`). The MLP runs
  the same schedule in its fast in-place engine (:mod:`dlcourse.mlp_engine`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._validation import check_positive_float, check_positive_int
from .optim import make_optimizer
from .training import EarlyStopping, check_fit_options, minibatch_indices

__all__ = ["Estimator", "FitSetup", "train_minibatches"]


@dataclass(frozen=True)
class FitSetup:
    """The checked options of one ``fit`` call.

    ``lr`` and ``n_epochs`` are the caller's or the model's defaults; ``validation_data`` is
    None or a pair whose arrays the model still has to check against its own shapes.
    """

    optimizer: str
    lr: float
    n_epochs: int
    batch_size: int | None
    validation_data: tuple | None
    patience: int | None


class Estimator:
    """Base class of the course's models: the set-up and the record of a ``fit``.

    A subclass sets :attr:`DEFAULTS` (optimizer name -> ``(lr, n_epochs)``), or sets
    :attr:`OPTIMIZERS` and overrides :meth:`_default_schedule` when its table has another
    shape (the MLP's depends on the output width and the hidden activation).
    """

    #: optimizer name -> default ``(lr, n_epochs)`` of ``fit``
    DEFAULTS: dict = {}
    #: the optimizers ``fit`` accepts; None: the keys of :attr:`DEFAULTS`
    OPTIMIZERS: tuple | None = None

    def _default_schedule(self, optimizer):
        """The ``(lr, n_epochs)`` that ``fit`` uses for ``optimizer`` when they are None."""
        return self.DEFAULTS[optimizer]

    def _fit_setup(self, optimizer, lr, n_epochs, batch_size, validation_data, patience):
        """Check ``fit``'s options and fill in the defaults; return a :class:`FitSetup`."""
        allowed = self.DEFAULTS if self.OPTIMIZERS is None else self.OPTIMIZERS
        if not isinstance(optimizer, str) or optimizer not in allowed:
            raise ValueError(f"unknown optimizer {optimizer!r}; expected one of {sorted(allowed)}")
        default_lr, default_epochs = self._default_schedule(optimizer)
        lr = default_lr if lr is None else check_positive_float(lr, "lr")
        n_epochs = default_epochs if n_epochs is None else check_positive_int(n_epochs, "n_epochs")
        batch_size, validation_data, patience = check_fit_options(
            batch_size, validation_data, patience
        )
        return FitSetup(optimizer, lr, n_epochs, batch_size, validation_data, patience)

    def _record_fit(self, losses, stopper):
        """Store a run's training losses and, with validation data, its validation record."""
        self.loss_history_ = np.asarray(losses, dtype=np.float64)
        self.val_loss_history_ = None if stopper is None else np.array(stopper.history)
        self.best_epoch_ = None if stopper is None else stopper.best_epoch


def train_minibatches(
    arrays,
    pack,
    loss_and_grads,
    n_samples,
    setup,
    rng,
    validation_loss=None,
):
    """Train parameters held in one flat vector with shuffled mini-batches.

    All parameters live in one flat vector (and all gradients in another), the model's
    arrays being views into it: the optimizer then updates one array per step, however many
    parameter arrays the model has.

    Parameters
    ----------
    arrays : list of ndarray
        The starting values, in a fixed order (not changed).
    pack : callable ``pack(views) -> structure``
        Arranges views of the flat vector (one per array, in the same order) the way the
        model's functions take their parameters (a list of pairs, a dict); called once.
    loss_and_grads : callable ``loss_and_grads(structure, batch) -> (loss, grads)``
        The mean loss on the samples ``batch`` (an index array) and its gradients, one
        array per entry of ``arrays``, in the same order.
    n_samples : int
    setup : FitSetup
        ``batch_size`` None takes every sample in each update.
    rng : numpy.random.Generator
        Shuffles the samples, one ``rng.permutation(n_samples)`` per epoch.
    validation_loss : callable ``validation_loss(structure) -> float``, optional
        Called after each epoch's updates; needed when ``setup.patience`` is set.

    Returns
    -------
    arrays : list of ndarray, new arrays
        The last epoch's values, or with ``patience`` the best epoch's.
    losses : ndarray of shape (n_epochs_run,)
        Each epoch's mean of the batch losses weighted by batch size, each batch's loss
        taken before its update.
    stopper : EarlyStopping or None
        None without ``validation_loss``.
    """
    batch_size = n_samples if setup.batch_size is None else min(setup.batch_size, n_samples)
    theta = np.concatenate([a.ravel() for a in arrays])
    grad = np.empty_like(theta)
    starts = np.cumsum([0] + [a.size for a in arrays])
    bounds = list(zip(starts[:-1], starts[1:], strict=True))
    theta_views = [theta[a:b].reshape(x.shape) for x, (a, b) in zip(arrays, bounds, strict=True)]
    grad_views = [grad[a:b].reshape(x.shape) for x, (a, b) in zip(arrays, bounds, strict=True)]
    structure = pack(theta_views)
    optimizer = make_optimizer(setup.optimizer, setup.lr)
    stopper = None if validation_loss is None else EarlyStopping(setup.patience)
    best_theta = theta.copy() if setup.patience is not None else None
    losses = []
    for _ in range(setup.n_epochs):
        total = 0.0
        for batch in minibatch_indices(n_samples, batch_size, rng):
            loss, grads = loss_and_grads(structure, batch)
            total += loss * len(batch)
            for view, g in zip(grad_views, grads, strict=True):
                view[...] = g
            optimizer.update([theta], [grad])
        losses.append(total / n_samples)
        if stopper is not None:
            if stopper.record(validation_loss(structure)) and best_theta is not None:
                np.copyto(best_theta, theta)
            if stopper.should_stop:
                break
    if best_theta is not None and stopper.best_epoch is not None:
        np.copyto(theta, best_theta)
    return [v.copy() for v in theta_views], np.array(losses), stopper
