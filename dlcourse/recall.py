"""The sign-recall task: a test of long-range memory for recurrent layers.

Each sequence starts with a sign, +1 or -1, followed by ``n_steps`` inputs of Gaussian
noise (standard deviation 0.5). After the last step a model must say which sign came
first, so everything it needs lies ``n_steps`` steps back; a model that cannot carry it
guesses, with accuracy 0.5.

:func:`train_recall` trains a recurrent layer (a plain tanh RNN from
:mod:`dlcourse.recurrent` or an LSTM from :mod:`dlcourse.lstm`) with a logistic read-out of
its last hidden state, ``p = sigmoid(h_T @ w + c)``, on the mean cross-entropy, with Adam
on mini-batches stepped together; chapter "LSTM and gating" and
``benchmarks/transformer.py --part lstm`` use it to compare the two layers.
"""

from __future__ import annotations

import numpy as np

from ._validation import check_positive_float, check_positive_int
from .activations import sigmoid
from .data import as_rng
from .lstm import lstm_backward, lstm_forward
from .optim import Adam
from .recurrent import rnn_backward, rnn_forward
from .training import minibatch_indices

__all__ = ["make_recall_task", "train_recall"]

KINDS = ("lstm", "rnn")


def make_recall_task(n_samples, n_steps, rng=None):
    """Sequences of a sign followed by noise, and whether the sign was +.

    Parameters
    ----------
    n_samples : int >= 1, the number of sequences
    n_steps : int >= 1, the number of noise steps after the sign
    rng : None, int or numpy.random.Generator

    Returns
    -------
    xs : ndarray of shape (n_steps + 1, n_samples, 1), time first (the layout of
        :func:`dlcourse.lstm.lstm_forward` for a batch); ``xs[0]`` holds the signs
    labels : ndarray of shape (n_samples,), 1.0 where the sign is +1, else 0.0

    Examples
    --------
    >>> xs, labels = make_recall_task(4, 3, rng=0)
    >>> xs.shape, bool(np.all(np.abs(xs[0]) == 1)), bool(np.all(labels == (xs[0, :, 0] > 0)))
    ((4, 4, 1), True, True)
    """
    n_samples = check_positive_int(n_samples, "n_samples")
    n_steps = check_positive_int(n_steps, "n_steps")
    gen = as_rng(rng)
    signs = gen.choice([-1.0, 1.0], size=n_samples)
    xs = gen.normal(0.0, 0.5, size=(n_steps + 1, n_samples, 1))
    xs[0, :, 0] = signs
    return xs, (signs > 0).astype(float)


def _check_task(xs, labels, names):
    xs, labels = np.asarray(xs, dtype=float), np.asarray(labels, dtype=float)
    if xs.ndim != 3 or xs.shape[-1] != 1 or 0 in xs.shape:
        raise ValueError(
            f"{names[0]} has shape {xs.shape}, expected (T, n_samples, 1) as made by "
            "make_recall_task"
        )
    if labels.shape != (xs.shape[1],) or not np.all((labels == 0) | (labels == 1)):
        raise ValueError(
            f"{names[1]} has shape {labels.shape}, expected ({xs.shape[1]},) labels of 0 and 1, "
            f"one per sequence of {names[0]}"
        )
    return xs, labels


def train_recall(
    kind, X, labels, X_test, labels_test, seed=0, forget_bias=0.0, n_hidden=16, n_epochs=8,
    lr=0.01, batch_size=32,
):  # fmt: skip
    """Train a recurrent layer with a logistic read-out on the task; the test accuracy.

    The weights start uniform in ``[-r, r]``, ``r = 1 / sqrt(n_hidden)`` (PyTorch's
    recurrent layers), the biases at 0 except the LSTM's forget block at
    ``forget_bias``, the read-out ``w`` normal with standard deviation ``r``.

    Parameters
    ----------
    kind : {"lstm", "rnn"}
    X : ndarray of shape (T, n_samples, 1), labels : ndarray of shape (n_samples,)
        The training set, from :func:`make_recall_task`.
    X_test, labels_test : the same for the test set
    seed : int, seeds the initial weights and the order of the mini-batches
    forget_bias : float, the LSTM's initial forget-gate bias (ignored for "rnn")
    n_hidden, n_epochs, batch_size : int >= 1
    lr : float > 0, Adam's learning rate

    Returns
    -------
    accuracy : float, the fraction of test sequences whose sign the model gets right
    """
    if kind not in KINDS:
        raise ValueError(f"kind is {kind!r}, expected one of {KINDS}")
    X, labels = _check_task(X, labels, ("X", "labels"))
    X_test, labels_test = _check_task(X_test, labels_test, ("X_test", "labels_test"))
    n_hidden = check_positive_int(n_hidden, "n_hidden")
    n_epochs = check_positive_int(n_epochs, "n_epochs")
    batch_size = check_positive_int(batch_size, "batch_size")
    lr = check_positive_float(lr, "lr")
    gen = np.random.default_rng(seed)
    n_blocks = 4 if kind == "lstm" else 1  # the LSTM's four gate blocks side by side
    r = np.sqrt(1.0 / n_hidden)
    Wx = gen.uniform(-r, r, size=(1, n_blocks * n_hidden))
    Wh = gen.uniform(-r, r, size=(n_hidden, n_blocks * n_hidden))
    b = np.zeros(n_blocks * n_hidden)
    if kind == "lstm":
        b[n_hidden : 2 * n_hidden] = forget_bias  # > 0: the cell starts by remembering
    w, c = gen.normal(0.0, r, size=n_hidden), np.zeros(1)
    params, opt = [Wx, Wh, b, w, c], Adam(lr=lr)

    # Adam.update changes the arrays in params in place, so forward() always reads the
    # current weights.
    def forward(xs):
        if kind == "lstm":
            return lstm_forward(xs, Wx, Wh, b)
        return rnn_forward(xs, Wx, Wh, b), None

    for _ in range(n_epochs):
        for batch in minibatch_indices(X.shape[1], batch_size, gen):
            xs, t = X[:, batch], labels[batch]
            hs, cs = forward(xs)
            p = sigmoid(hs[-1] @ w + c[0])  # P(the sign is +)
            dz = (p - t) / len(batch)  # mean cross-entropy through the sigmoid
            dhs = np.zeros_like(hs)
            dhs[-1] = np.outer(dz, w)  # only the last state is read
            if kind == "lstm":
                grads = list(lstm_backward(dhs, xs, hs, cs, Wx, Wh, b)[1:4])
            else:
                grads = list(rnn_backward(dhs, xs, hs, Wx, Wh)[1:4])
            opt.update(params, grads + [hs[-1].T @ dz, np.array([dz.sum()])])
    hs, _ = forward(X_test)
    return float(np.mean((hs[-1] @ w + c[0] > 0) == (labels_test > 0.5)))
