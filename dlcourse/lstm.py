"""The LSTM layer (long short-term memory), forward and backward through time.

At every step the layer computes four gate blocks from the input and the previous
hidden state, in PyTorch's order (input, forget, cell candidate, output):

    z_t = x_t @ Wx + h_{t-1} @ Wh + b          (4 n_hidden columns)
    i = sigmoid(z_i),  f = sigmoid(z_f),  g = tanh(z_g),  o = sigmoid(z_o)
    c_t = f * c_{t-1} + i * g                  (the cell: an additive memory)
    h_t = o * tanh(c_t)

The cell is updated by *adding* ``i * g`` to a copy of itself scaled by the forget gate,
so going back one step multiplies the cell's gradient by ``f`` only (no weight matrix and
no squashing derivative on that path): with ``f`` near 1 the gradient reaches steps far
back, which a plain RNN's ``tanh(... + h @ Wh)`` loses.

Both functions take one sequence ``xs`` of shape ``(T, n_in)`` like
:func:`dlcourse.layers.rnn_forward`, or a batch of sequences stepped together,
``(T, n_batch, n_in)`` (then the states are ``(n_batch, n_hidden)``).
"""

from __future__ import annotations

import numpy as np

from ._validation import as_float_array

__all__ = ["lstm_backward", "lstm_forward"]


def _sigmoid(z):
    # tanh form: no overflow warning for large negative inputs
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def _gates(z, n_hidden):
    """Gate values ``i, f, g, o`` from the pre-activations ``z`` (..., 4 n_hidden)."""
    H = n_hidden
    return (
        _sigmoid(z[..., :H]),
        _sigmoid(z[..., H : 2 * H]),
        np.tanh(z[..., 2 * H : 3 * H]),
        _sigmoid(z[..., 3 * H :]),
    )


def _check_lstm(xs, Wx, Wh, b, h0, c0):
    xs, Wx, Wh, b = (
        as_float_array(a, name) for a, name in ((xs, "xs"), (Wx, "Wx"), (Wh, "Wh"), (b, "b"))
    )
    if xs.ndim not in (2, 3) or 0 in xs.shape:
        raise ValueError(
            f"xs has shape {xs.shape}, expected a non-empty (T, n_in) array (one sequence) "
            "or (T, n_batch, n_in) (a batch)"
        )
    n_in = xs.shape[-1]
    if Wx.ndim != 2 or Wx.shape[0] != n_in or Wx.shape[1] % 4 or Wx.shape[1] == 0:
        raise ValueError(
            f"Wx has shape {Wx.shape}, expected ({n_in}, 4 * n_hidden): the four gate blocks "
            f"(input, forget, cell, output) for xs with {n_in} inputs per step"
        )
    n_hidden = Wx.shape[1] // 4
    if Wh.shape != (n_hidden, 4 * n_hidden):
        raise ValueError(
            f"Wh has shape {Wh.shape}, expected ({n_hidden}, {4 * n_hidden}) = "
            "(n_hidden, 4 * n_hidden) to match Wx"
        )
    if b.shape != (4 * n_hidden,):
        raise ValueError(f"b has shape {b.shape}, expected ({4 * n_hidden},) = (4 * n_hidden,)")
    state_shape = (*xs.shape[1:-1], n_hidden)
    states = []
    for s, name in ((h0, "h0"), (c0, "c0")):
        s = np.zeros(state_shape) if s is None else as_float_array(s, name)
        if s.shape not in ((n_hidden,), state_shape):
            raise ValueError(f"{name} has shape {s.shape}, expected {state_shape}")
        states.append(np.broadcast_to(s, state_shape))
    return xs, Wx, Wh, b, *states


def _lstm_forward(xs, Wx, Wh, b, h, c):
    """Unchecked forward: ``hs, cs`` of shape (T, ..., n_hidden)."""
    n_hidden = Wh.shape[0]
    XW = xs @ Wx + b  # the input part of every step at once
    hs = np.empty((*xs.shape[:-1], n_hidden))
    cs = np.empty_like(hs)
    for t in range(xs.shape[0]):
        i, f, g, o = _gates(XW[t] + h @ Wh, n_hidden)
        c = f * c + i * g
        h = o * np.tanh(c)
        hs[t], cs[t] = h, c
    return hs, cs


def lstm_forward(xs, Wx, Wh, b, h0=None, c0=None):
    """Run an LSTM layer over a sequence (or a batch of sequences).

    Parameters
    ----------
    xs : array_like of shape (T, n_in) or (T, n_batch, n_in)
    Wx : array_like of shape (n_in, 4 * n_hidden), gate blocks in the order i, f, g, o
    Wh : array_like of shape (n_hidden, 4 * n_hidden)
    b : array_like of shape (4 * n_hidden,)
    h0, c0 : array_like of shape (n_hidden,) or (n_batch, n_hidden), optional
        The initial hidden state and cell; zeros when None.

    Returns
    -------
    hs : ndarray of shape (T, n_hidden) or (T, n_batch, n_hidden), ``h_1 .. h_T``
    cs : ndarray of the same shape, the cells ``c_1 .. c_T``

    Examples
    --------
    >>> Wx = np.array([[0.0, 0.0, 1.0, 0.0]])  # gates at sigmoid(0) = 0.5, g = tanh(x)
    >>> hs, cs = lstm_forward([[2.0], [0.0]], Wx, np.zeros((1, 4)), np.zeros(4))
    >>> cs.ravel().round(4)  # c_1 = 0.5 tanh(2), then the forget gate halves it
    array([0.482, 0.241])
    """
    return _lstm_forward(*_check_lstm(xs, Wx, Wh, b, h0, c0))


def lstm_backward(dhs, xs, hs, cs, Wx, Wh, b, h0=None, c0=None):
    """Backpropagation through time for :func:`lstm_forward`.

    Going back from the last step, with ``dh`` the total gradient of ``h_t`` (its own
    ``dhs[t]`` plus what ``h_t`` passed to step ``t + 1``) and ``dc`` that of ``c_t``:

    - ``dc += dh * o * (1 - tanh(c_t)**2)`` (through ``h_t = o * tanh(c_t)``),
    - the gates: ``do = dh * tanh(c_t)``, ``di = dc * g``, ``dg = dc * i``,
      ``df = dc * c_{t-1}``, then through each gate's sigmoid or tanh to ``dz_t``,
    - back one step: ``dc_{t-1} = dc * f`` and ``dh_{t-1} = dz_t @ Wh.T``.

    The weights are shared by every step, so their gradients sum over the steps.

    Parameters
    ----------
    dhs : array_like of the shape of ``hs``, the loss's direct gradient for every ``h_t``
    xs, hs, cs : the input and the outputs of the forward pass
    Wx, Wh, b, h0, c0 : the arguments of the forward pass

    Returns
    -------
    dxs : ndarray of the shape of ``xs``
    dWx, dWh, db : ndarrays of the shapes of ``Wx``, ``Wh``, ``b``
    dh0, dc0 : ndarrays of shape (n_hidden,) or (n_batch, n_hidden)
    """
    xs, Wx, Wh, b, h0, c0 = _check_lstm(xs, Wx, Wh, b, h0, c0)
    n_hidden = Wh.shape[0]
    expected = (*xs.shape[:-1], n_hidden)
    arrays = []
    for a, name in ((dhs, "dhs"), (hs, "hs"), (cs, "cs")):
        a = as_float_array(a, name)
        if a.shape != expected:
            raise ValueError(
                f"{name} has shape {a.shape}, expected {expected} = (T, ..., n_hidden), "
                "like the output of lstm_forward"
            )
        arrays.append(a)
    dhs, hs, cs = arrays
    T = xs.shape[0]
    h_prev = np.concatenate([h0[None], hs[:-1]])  # the state each step started from
    c_prev = np.concatenate([c0[None], cs[:-1]])
    i, f, g, o = _gates(xs @ Wx + h_prev @ Wh + b, n_hidden)  # recomputed for every step
    tanh_c = np.tanh(cs)
    dzs = np.empty((*xs.shape[:-1], 4 * n_hidden))  # dL/dz_t for every step
    H = n_hidden
    dh_next = np.zeros(expected[1:])
    dc_next = np.zeros(expected[1:])
    for t in range(T - 1, -1, -1):
        dh = dhs[t] + dh_next
        dc = dc_next + dh * o[t] * (1.0 - tanh_c[t] ** 2)
        dzs[t, ..., :H] = dc * g[t] * i[t] * (1.0 - i[t])
        dzs[t, ..., H : 2 * H] = dc * c_prev[t] * f[t] * (1.0 - f[t])
        dzs[t, ..., 2 * H : 3 * H] = dc * i[t] * (1.0 - g[t] ** 2)
        dzs[t, ..., 3 * H :] = dh * tanh_c[t] * o[t] * (1.0 - o[t])
        dc_next = dc * f[t]
        dh_next = dzs[t] @ Wh.T
    flat_x, flat_h = xs.reshape(-1, xs.shape[-1]), h_prev.reshape(-1, n_hidden)
    flat_dz = dzs.reshape(-1, 4 * n_hidden)
    return (
        dzs @ Wx.T,
        flat_x.T @ flat_dz,
        flat_h.T @ flat_dz,
        flat_dz.sum(axis=0),
        dh_next,
        dc_next,
    )
