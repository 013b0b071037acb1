"""Bookkeeping shared by the models' training loops: mini-batches, validation data, early stopping.

A model's ``fit`` owns its arithmetic (forward, backward, update); what is the
same for every model lives here, so the MLP, the CNN and the transformer count epochs,
shuffle batches and stop early in exactly the same way (:mod:`dlcourse.estimator` builds
their shared ``fit`` set-up and loop from these pieces):

- :func:`check_fit_options` checks ``batch_size``, ``validation_data`` and ``patience``;
- :func:`minibatch_indices` splits one epoch into shuffled batches;
- :class:`EarlyStopping` records the validation loss of each epoch, remembers the best
  one and says when to stop.

Convention (used by both models): epoch ``e`` (counted from 0) records
``val_loss_history_[e]``, the validation loss at the parameters *after* that epoch's
updates; ``best_epoch_`` is the epoch with the lowest value, so the model that stops early
keeps the parameters it had after ``best_epoch_ + 1`` epochs of training.
"""

from __future__ import annotations

import math

from ._validation import check_positive_int

__all__ = ["EarlyStopping", "check_fit_options", "minibatch_indices"]


def check_fit_options(batch_size=None, validation_data=None, patience=None):
    """Check the options every ``fit`` shares; return them cleaned.

    Parameters
    ----------
    batch_size : None or int >= 1
    validation_data : None or a pair ``(X_val, y_val)``
        Only its form is checked here; the model checks the arrays' shapes.
    patience : None or int >= 1
        Needs ``validation_data``.

    Returns
    -------
    batch_size, validation_data, patience
        ``validation_data`` as a tuple ``(X_val, y_val)`` or None.

    Examples
    --------
    >>> check_fit_options(32, None, None)
    (32, None, None)
    """
    if batch_size is not None:
        batch_size = check_positive_int(batch_size, "batch_size")
    if validation_data is not None:
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
            got = (
                f"a {type(validation_data).__name__} of length {len(validation_data)}"
                if isinstance(validation_data, (tuple, list))
                else type(validation_data).__name__
            )
            raise ValueError(f"validation_data must be a pair (X_val, y_val), got {got}")
        validation_data = tuple(validation_data)
    if patience is not None:
        patience = check_positive_int(patience, "patience")
        if validation_data is None:
            raise ValueError(
                f"patience is {patience} but validation_data is None; early stopping "
                "watches the validation loss, so pass validation_data=(X_val, y_val)"
            )
    return batch_size, validation_data, patience


def minibatch_indices(n_samples, batch_size, rng):
    """Shuffle the sample indices once and cut them into batches: one epoch.

    Parameters
    ----------
    n_samples : int
    batch_size : int
        The last batch is smaller when ``batch_size`` does not divide ``n_samples``.
    rng : numpy.random.Generator
        Draws the permutation (one ``rng.permutation(n_samples)`` per epoch).

    Returns
    -------
    list of ndarray of int
        Disjoint index arrays that together hold every sample once.

    Examples
    --------
    >>> import numpy as np
    >>> [len(b) for b in minibatch_indices(10, 4, np.random.default_rng(0))]
    [4, 4, 2]
    """
    order = rng.permutation(n_samples)
    return [order[start : start + batch_size] for start in range(0, n_samples, batch_size)]


class EarlyStopping:
    """Validation losses of a training run, the best epoch, and when to stop.

    Parameters
    ----------
    patience : None or int >= 1
        Stop once ``patience`` epochs in a row have not lowered the best validation
        loss; None records the losses and never stops.

    Attributes
    ----------
    history : list of float
        The validation loss of each epoch so far.
    best_epoch : int or None
        Index into ``history`` of the lowest loss (the first one on ties).
    best_loss : float

    Examples
    --------
    >>> stopper = EarlyStopping(patience=2)
    >>> [stopper.record(loss) for loss in [3.0, 2.0, 2.5, 2.0]]  # True: a new best
    [True, True, False, False]
    >>> stopper.should_stop, stopper.best_epoch
    (True, 1)
    """

    def __init__(self, patience=None):
        self.patience = patience
        self.history = []
        self.best_epoch = None
        self.best_loss = math.inf

    def record(self, val_loss):
        """Add one epoch's validation loss; return True when it is a new best (strictly lower)."""
        val_loss = float(val_loss)
        self.history.append(val_loss)
        if val_loss < self.best_loss:  # NaN never counts as better
            self.best_loss = val_loss
            self.best_epoch = len(self.history) - 1
            return True
        return False

    @property
    def should_stop(self):
        """True once ``patience`` epochs have passed since the best one."""
        if self.patience is None or not self.history:
            return False
        last_best = -1 if self.best_epoch is None else self.best_epoch
        return len(self.history) - 1 - last_best >= self.patience
