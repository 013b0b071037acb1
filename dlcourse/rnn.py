"""A recurrent network that learns to predict the next value of a sequence.

The model (chapter "An RNN that learns") reads a sequence ``x_1 .. x_T`` with the
recurrent layer of :func:`dlcourse.layers.rnn_forward`,
``h_t = tanh(x_t @ Wx + h_{t-1} @ Wh + b)``, and a dense readout turns every hidden
state into a prediction of the next value, ``y_hat_t = h_t @ Wy + by``. The loss is
the mean squared error between ``y_hat_t`` and ``x_{t+1}``; its gradient reaches the
recurrent weights by backpropagation through time
(:func:`dlcourse.layers.rnn_backward`).

The LSTM layer, :func:`lstm_forward` and :func:`lstm_backward`, lives in
:mod:`dlcourse.lstm` and is re-exported here.

``params`` is the list ``[Wx, Wh, b, Wy, by]`` with shapes ``(n_in, n_hidden)``,
``(n_hidden, n_hidden)``, ``(n_hidden,)``, ``(n_hidden, n_out)`` and ``(n_out,)``.
"""

from __future__ import annotations

import numpy as np

from ._validation import as_float_array, check_positive_float, check_positive_int
from .data import as_rng
from .layers import dense_backward, dense_forward
from .losses import mse, mse_grad
from .lstm import lstm_backward, lstm_forward
from .optim import make_optimizer
from .recurrent import _backprop_through_time, _check_rnn_backward, rnn_backward, rnn_forward

__all__ = [
    "hidden_state_gradients",
    "init_rnn_params",
    "lstm_backward",
    "lstm_forward",
    "next_value_pairs",
    "rnn_gradients",
    "rnn_predict",
    "train_rnn",
]


def next_value_pairs(sequence):
    """Inputs and targets for next-value prediction: ``x_t`` and ``x_{t+1}``.

    Parameters
    ----------
    sequence : array_like of shape (T + 1,) or (T + 1, n_in)

    Returns
    -------
    xs : ndarray of shape (T, n_in), every value but the last
    targets : ndarray of shape (T, n_in), every value but the first

    Examples
    --------
    >>> xs, targets = next_value_pairs([1.0, 2.0, 3.0])
    >>> xs.ravel(), targets.ravel()
    (array([1., 2.]), array([2., 3.]))
    """
    seq = as_float_array(sequence, "sequence")
    if seq.ndim == 1:
        seq = seq[:, None]
    if seq.ndim != 2 or seq.shape[0] < 2:
        raise ValueError(
            f"sequence has shape {seq.shape}, expected at least two steps, shape (T + 1,) "
            "or (T + 1, n_in)"
        )
    return seq[:-1], seq[1:]


def init_rnn_params(n_in=1, n_hidden=16, n_out=1, rng=None):
    """Initial weights ``[Wx, Wh, b, Wy, by]``: Glorot-uniform matrices, zero biases.

    Glorot's rule suits the tanh units (and the linear readout); ``Wh`` of a
    square layer gets ``U(-r, r)`` with ``r = sqrt(6 / (2 n_hidden)) = sqrt(3 / n_hidden)``.

    Examples
    --------
    >>> [p.shape for p in init_rnn_params(1, 4, 1)]
    [(1, 4), (4, 4), (4,), (4, 1), (1,)]
    """
    n_in = check_positive_int(n_in, "n_in")
    n_hidden = check_positive_int(n_hidden, "n_hidden")
    n_out = check_positive_int(n_out, "n_out")
    gen = as_rng(rng)

    def glorot(n_a, n_b):
        r = np.sqrt(6.0 / (n_a + n_b))
        return gen.uniform(-r, r, size=(n_a, n_b))

    return [
        glorot(n_in, n_hidden),
        glorot(n_hidden, n_hidden),
        np.zeros(n_hidden),
        glorot(n_hidden, n_out),
        np.zeros(n_out),
    ]


def rnn_predict(xs, params, h0=None):
    """The readout's prediction at every step, and the hidden states.

    Parameters
    ----------
    xs : array_like of shape (T, n_in)
    params : list ``[Wx, Wh, b, Wy, by]``
    h0 : array_like of shape (n_hidden,), optional

    Returns
    -------
    y_hat : ndarray of shape (T, n_out), ``h_t @ Wy + by``
    hs : ndarray of shape (T, n_hidden)
    """
    Wx, Wh, b, Wy, by = params
    hs = rnn_forward(xs, Wx, Wh, b, h0)
    return dense_forward(hs, Wy, by), hs


def rnn_gradients(xs, targets, params, h0=None):
    """Mean squared error of the next-value predictions and its gradients (BPTT).

    Parameters
    ----------
    xs : array_like of shape (T, n_in)
    targets : array_like of shape (T, n_out)
    params : list ``[Wx, Wh, b, Wy, by]``
    h0 : array_like of shape (n_hidden,), optional
        The state the sequence starts from (zeros when None). Truncated
        backpropagation through time passes the last state of the previous chunk
        here: the gradient then stops at the chunk's start.

    Returns
    -------
    loss : float
    grads : list ``[dWx, dWh, db, dWy, dby]``, shaped like ``params``
    """
    Wx, Wh, b, Wy, by = params
    y_hat, hs = rnn_predict(xs, params, h0)
    targets = as_float_array(targets, "targets")
    if targets.shape != y_hat.shape:
        raise ValueError(
            f"targets has shape {targets.shape}, expected {y_hat.shape} = (T, n_out), one "
            "target per step"
        )
    dY = mse_grad(targets, y_hat)  # dL/dy_hat_t for every step
    dhs, dWy, dby = dense_backward(dY, hs, Wy)  # the readout's share of dL/dh_t
    _, dWx, dWh, db, _ = rnn_backward(dhs, xs, hs, Wx, Wh, h0)
    return mse(targets, y_hat), [dWx, dWh, db, dWy, dby]


def train_rnn(xs, targets, n_hidden=16, lr=0.01, n_epochs=300, optimizer="adam", rng=None):
    """Train an RNN with a dense readout on one sequence (full backpropagation through time).

    Every epoch is one forward pass over the whole sequence, one backward pass
    through all its steps and one update.

    Parameters
    ----------
    xs : array_like of shape (T, n_in)
    targets : array_like of shape (T, n_out)
    n_hidden : int, default 16
    lr : float, default 0.01
    n_epochs : int, default 300
    optimizer : {"adam", "momentum", "gd"}, default "adam"
    rng : None, int or numpy.random.Generator
        Seeds the initial weights.

    Returns
    -------
    params : list ``[Wx, Wh, b, Wy, by]``
    losses : ndarray of shape (n_epochs,), the loss before each update

    Examples
    --------
    >>> t = np.arange(41)
    >>> xs, targets = next_value_pairs(np.sin(2 * np.pi * t / 20))
    >>> params, losses = train_rnn(xs, targets, n_hidden=4, n_epochs=50)
    >>> bool(losses[-1] < 0.2 * losses[0])
    True
    """
    xs = as_float_array(xs, "xs")
    targets = as_float_array(targets, "targets")
    if xs.ndim != 2 or xs.shape[0] == 0:
        raise ValueError(f"xs has shape {xs.shape}, expected a non-empty 2-D array (T, n_in)")
    if targets.ndim != 2 or targets.shape[0] != xs.shape[0]:
        raise ValueError(
            f"targets has shape {targets.shape}, expected ({xs.shape[0]}, n_out): one "
            "target per step of xs"
        )
    lr = check_positive_float(lr, "lr")
    n_epochs = check_positive_int(n_epochs, "n_epochs")
    params = init_rnn_params(xs.shape[1], n_hidden, targets.shape[1], rng)
    opt = make_optimizer(optimizer, lr)
    losses = np.empty(n_epochs)
    for epoch in range(n_epochs):
        losses[epoch], grads = rnn_gradients(xs, targets, params)
        opt.update(params, grads)  # params are this function's own arrays: update in place
    return params, losses


def hidden_state_gradients(dhs, xs, hs, Wx, Wh, h0=None):
    """The total gradient ``dL/dh_t`` of every hidden state, as backpropagation through
    time accumulates it (the arguments are those of :func:`dlcourse.layers.rnn_backward`).

    ``dL/dh_t = dhs[t] + (dL/dh_{t+1} * (1 - h_{t+1}**2)) @ Wh.T``: each step back
    multiplies by tanh's derivative and by ``Wh.T``. With a loss on the last step only
    (``dhs`` zero but its last row), the norms of these rows show how much of the
    error signal reaches each earlier step.

    Returns
    -------
    ndarray of shape (T, n_hidden)

    Examples
    --------
    >>> hs = rnn_forward([[1.0], [1.0]], [[1.0]], [[0.5]], [0.0])
    >>> g = hidden_state_gradients([[0.0], [1.0]], [[1.0], [1.0]], hs, [[1.0]], [[0.5]])
    >>> g[1, 0], bool(0 < g[0, 0] < 0.5)  # one step back: times (1 - h_2^2) * 0.5
    (np.float64(1.0), True)
    """
    dhs, xs, hs, Wx, Wh, h0 = _check_rnn_backward(dhs, xs, hs, Wx, Wh, h0)
    return _backprop_through_time(dhs, hs, Wh)[0]
