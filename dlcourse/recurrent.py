"""The simple (Elman) recurrent layer: ``rnn_forward`` and its backward through time.

One sequence ``xs`` of shape ``(T, n_in)``, or a batch of sequences stepped together,
``(T, n_batch, n_in)``; ``h_t = tanh(x_t @ Wx + h_{t-1} @ Wh + b)``.
``rnn_backward`` walks the steps backwards (back-propagation through time) and returns the
gradients of a scalar loss given ``dL/dh_t`` for every step. The LSTM cell is
:mod:`dlcourse.lstm`; training a small RNN on a sequence is :mod:`dlcourse.rnn`.
:mod:`dlcourse.layers` re-exports both functions.
"""

from __future__ import annotations

import numpy as np

from ._validation import as_float_array


def _check_rnn(xs, Wx, Wh, h0):
    """Check the arrays shared by ``rnn_forward`` and ``rnn_backward``; ``h0`` None -> zeros.

    ``xs`` is one sequence ``(T, n_in)`` or a batch stepped together ``(T, n_batch, n_in)``;
    ``h0`` comes back broadcast to the state's shape, ``(n_hidden,)`` or ``(n_batch, n_hidden)``.
    """
    xs = as_float_array(xs, "xs")
    Wx = as_float_array(Wx, "Wx")
    Wh = as_float_array(Wh, "Wh")
    if xs.ndim not in (2, 3) or 0 in xs.shape:
        raise ValueError(
            f"xs has shape {xs.shape}, expected a non-empty 2-D array (T, n_in) (one sequence) "
            "or 3-D (T, n_batch, n_in) (a batch)"
        )
    n_in = xs.shape[-1]
    if Wx.ndim != 2 or Wx.shape[0] != n_in:
        raise ValueError(
            f"Wx has shape {Wx.shape}, expected ({n_in}, n_hidden) to match xs with "
            f"{n_in} inputs per step"
        )
    n_hidden = Wx.shape[1]
    if Wh.shape != (n_hidden, n_hidden):
        raise ValueError(f"Wh has shape {Wh.shape}, expected ({n_hidden}, {n_hidden})")
    state_shape = (*xs.shape[1:-1], n_hidden)
    h0 = np.zeros(n_hidden) if h0 is None else as_float_array(h0, "h0")
    if h0.shape not in ((n_hidden,), state_shape):
        raise ValueError(
            f"h0 has shape {h0.shape}, expected ({n_hidden},)"
            + (f" or {state_shape}" if xs.ndim == 3 else "")
        )
    return xs, Wx, Wh, np.broadcast_to(h0, state_shape)


def rnn_forward(xs, Wx, Wh, b, h0=None):
    """Run a simple (Elman) recurrent layer over a sequence.

    ``h_t = tanh(x_t @ Wx + h_{t-1} @ Wh + b)`` for ``t = 1..T``, starting from ``h0``.

    Parameters
    ----------
    xs : array_like of shape (T, n_in), one input vector per time step, or
        (T, n_batch, n_in), a batch of sequences stepped together
    Wx : array_like of shape (n_in, n_hidden)
    Wh : array_like of shape (n_hidden, n_hidden)
    b : array_like of shape (n_hidden,)
    h0 : array_like of shape (n_hidden,) or (n_batch, n_hidden), optional
        Initial hidden state; zeros when None.

    Returns
    -------
    hs : ndarray of shape (T, n_hidden) or (T, n_batch, n_hidden), the hidden state
        after each step

    Examples
    --------
    >>> rnn_forward([[1.0], [0.0]], [[1.0]], [[0.5]], [0.0], [0.0]).round(4)
    array([[0.7616],
           [0.3634]])
    """
    xs, Wx, Wh, h = _check_rnn(xs, Wx, Wh, h0)
    n_hidden = Wx.shape[1]
    b = as_float_array(b, "b")
    if b.shape != (n_hidden,):
        raise ValueError(f"b has shape {b.shape}, expected ({n_hidden},)")
    XW = xs @ Wx + b  # the input part of every step at once
    hs = np.empty((*xs.shape[:-1], n_hidden))
    for t in range(xs.shape[0]):
        h = np.tanh(XW[t] + h @ Wh)
        hs[t] = h
    return hs


def _backprop_through_time(dhs, hs, Wh):
    """Walk back through the steps: ``dL/dh_t`` (total), ``dL/da_t`` and ``dL/dh_0``.

    ``a_t = x_t @ Wx + h_{t-1} @ Wh + b`` is the pre-activation of step ``t``. The
    total gradient of ``h_t`` is its own ``dhs[t]`` plus what flows back from step
    ``t + 1`` through ``Wh``: ``dh_t = dhs[t] + da_{t+1} @ Wh.T``, and
    ``da_t = dh_t * (1 - h_t**2)`` (the derivative of tanh).
    """
    T = hs.shape[0]
    dh_total = np.empty(hs.shape)
    das = np.empty(hs.shape)
    from_later = np.zeros(hs.shape[1:])  # da_{t+1} @ Wh.T, zero after the last step
    for t in range(T - 1, -1, -1):
        dh_total[t] = dhs[t] + from_later
        das[t] = dh_total[t] * (1.0 - hs[t] ** 2)
        from_later = das[t] @ Wh.T
    return dh_total, das, from_later


def _check_rnn_backward(dhs, xs, hs, Wx, Wh, h0):
    xs, Wx, Wh, h0 = _check_rnn(xs, Wx, Wh, h0)
    expected = (*xs.shape[:-1], Wx.shape[1])
    hs = as_float_array(hs, "hs")
    if hs.shape != expected:
        raise ValueError(
            f"hs has shape {hs.shape}, expected {expected} = (T, ..., n_hidden), the output of "
            "rnn_forward"
        )
    if np.any(np.abs(hs) > 1.0):
        raise ValueError(
            "hs has values outside [-1, 1], expected the tanh hidden states returned by rnn_forward"
        )
    dhs = as_float_array(dhs, "dhs")
    if dhs.shape != expected:
        raise ValueError(
            f"dhs has shape {dhs.shape}, expected {expected} = (T, ..., n_hidden): dL/dh_t "
            "for every step"
        )
    return dhs, xs, hs, Wx, Wh, h0


def rnn_backward(dhs, xs, hs, Wx, Wh, h0=None):
    """Backpropagation through time for :func:`rnn_forward`.

    ``dhs[t]`` is the loss's direct gradient with respect to ``h_t`` (for example
    from a readout at every step, or zeros but the last). Going back from the
    last step, ``h_t`` also receives what it passed on to ``h_{t+1}``; every step
    shares ``Wx``, ``Wh`` and ``b``, so their gradients are sums over the steps (and,
    for a batch, over its sequences).

    Parameters
    ----------
    dhs : array_like of the shape of ``hs``
    xs : array_like of shape (T, n_in) or (T, n_batch, n_in), the inputs of the forward pass
    hs : array_like of shape (T, n_hidden) or (T, n_batch, n_hidden), the output of
        ``rnn_forward``
    Wx : array_like of shape (n_in, n_hidden)
    Wh : array_like of shape (n_hidden, n_hidden)
    h0 : array_like of shape (n_hidden,) or (n_batch, n_hidden), optional
        The initial state used in the forward pass; zeros when None.

    Returns
    -------
    dxs : ndarray of the shape of ``xs``
    dWx : ndarray of shape (n_in, n_hidden)
    dWh : ndarray of shape (n_hidden, n_hidden)
    db : ndarray of shape (n_hidden,)
    dh0 : ndarray of shape (n_hidden,) or (n_batch, n_hidden)

    Examples
    --------
    >>> xs, Wx, Wh, b = [[1.0], [0.0]], [[1.0]], [[0.5]], [0.0]
    >>> hs = rnn_forward(xs, Wx, Wh, b)
    >>> dxs, dWx, dWh, db, dh0 = rnn_backward([[0.0], [1.0]], xs, hs, Wx, Wh)
    >>> round(float(dWh[0, 0]), 4)  # dL/dWh = (1 - h_2^2) h_1 when L = h_2
    0.661
    """
    dhs, xs, hs, Wx, Wh, h0 = _check_rnn_backward(dhs, xs, hs, Wx, Wh, h0)
    _, das, dh0 = _backprop_through_time(dhs, hs, Wh)
    h_prev = np.concatenate([h0[None], hs[:-1]])  # the state each step started from
    n_hidden = Wh.shape[0]
    flat_da = das.reshape(-1, n_hidden)  # every step (and sequence) is a row
    dWx = xs.reshape(-1, xs.shape[-1]).T @ flat_da
    dWh = h_prev.reshape(-1, n_hidden).T @ flat_da
    return das @ Wx.T, dWx, dWh, flat_da.sum(axis=0), dh0
