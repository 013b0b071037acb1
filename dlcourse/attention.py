"""Attention: scaled dot-product attention, masks and multi-head self-attention.

Attention is a soft dictionary look-up. Each query ``q`` (a row of ``Q``) is compared
with every key ``k`` (a row of ``K``) by the score ``s = q . k / sqrt(d_k)``; a softmax
over the keys turns the scores into weights that sum to 1, and the output is the
weighted mean of the values (rows of ``V``):

    S = Q @ K.T / sqrt(d_k),   A = softmax(S) (along each row),   out = A @ V

Dividing by ``sqrt(d_k)`` keeps the scores' spread about 1 whatever the width ``d_k``
(the dot product of two random unit-variance vectors has variance ``d_k``), so the
softmax does not saturate. A boolean ``mask`` says which keys each query may use
(True = may attend, as in PyTorch's ``scaled_dot_product_attention``); a masked score
becomes ``-inf`` and gets weight 0. A query that may attend to no key at all gets
all-zero weights and a zero output (what PyTorch's math kernel gives), and passes no
gradient back.

Backward, with ``dOut = dL/dout``: ``dV = A.T @ dOut`` and ``dA = dOut @ V.T``; through
the softmax of each row ``dS = A * (dA - sum(dA * A))`` (the sum along the row); then
``dQ = dS @ K / sqrt(d_k)`` and ``dK = dS.T @ Q / sqrt(d_k)``.

Multi-head attention (:func:`multi_head_attention_forward`) projects ``X`` to queries,
keys and values, ``Q = X @ Wq`` etc., splits their ``d_model`` columns into ``n_heads``
contiguous slices, runs attention on each slice separately, puts the heads' outputs
side by side again (in head order) and mixes them with ``Wo``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ._validation import as_float_array, check_positive_int

__all__ = [
    "MHACache",
    "attention_backward",
    "causal_mask",
    "multi_head_attention_backward",
    "multi_head_attention_forward",
    "scaled_dot_product_attention",
]


def causal_mask(n):
    """The mask of a decoder: position ``i`` may attend to positions ``0 .. i``.

    Parameters
    ----------
    n : int >= 1, the sequence length

    Returns
    -------
    mask : ndarray of bool, shape (n, n); ``mask[i, j]`` is True when ``j <= i``

    Examples
    --------
    >>> causal_mask(3).astype(int)
    array([[1, 0, 0],
           [1, 1, 0],
           [1, 1, 1]])
    """
    n = check_positive_int(n, "n")
    return np.tri(n, dtype=bool)


# ----------------------------------------------------------------------------- unchecked kernels


# Speed: attention rows are short (one entry per key), and numpy's reductions along a
# short last axis cost far more than the arithmetic. Row maxima are taken by a loop of
# whole-array maxima over the keys, row sums by a matrix-vector product with ones.


def _row_max(S):
    """``S.max(axis=-1, keepdims=True)``, one ``np.maximum`` per key."""
    m = S[..., 0].copy()
    for j in range(1, S.shape[-1]):
        np.maximum(m, S[..., j], out=m)
    return m[..., None]


def _row_sum(S):
    """``S.sum(axis=-1, keepdims=True)`` for a C-contiguous ``S``, as ``S @ ones``."""
    n = S.shape[-1]
    return (S.reshape(-1, n) @ np.ones(n)).reshape(*S.shape[:-1], 1)


def _softmax_rows(S, mask):
    """Softmax along the last axis, with ``mask`` False entries given weight exactly 0.

    Rows where every entry is masked get all-zero weights (not NaN). ``S`` (C-contiguous)
    is overwritten.
    """
    if mask is not None:
        S = np.where(mask, S, -np.inf)
    row_max = _row_max(S)
    np.maximum(row_max, np.finfo(np.float64).min, out=row_max)  # fully masked rows: finite
    S -= row_max
    np.exp(S, out=S)
    total = _row_sum(S)
    total[total == 0.0] = 1.0  # a fully masked row: its weights stay 0
    S /= total
    return S


def _attention(Q, K, V, mask):
    """``out, weights`` of scaled dot-product attention, no checks."""
    S = Q @ K.swapaxes(-1, -2)
    S *= 1.0 / np.sqrt(Q.shape[-1])
    A = _softmax_rows(S, mask)
    return A @ V, A


def _attention_backward(dOut, Q, K, V, A):
    """``dQ, dK, dV`` from the weights ``A`` of the forward pass, no checks."""
    dV = A.swapaxes(-1, -2) @ dOut
    dA = dOut @ V.swapaxes(-1, -2)
    dS = dA - _row_sum(dA * A)
    dS *= A
    dS *= 1.0 / np.sqrt(Q.shape[-1])
    return dS @ K, dS.swapaxes(-1, -2) @ Q, dV


# ----------------------------------------------------------------------------- checks


def _check_qkv(Q, K, V, mask):
    Q, K, V = (as_float_array(a, name) for a, name in ((Q, "Q"), (K, "K"), (V, "V")))
    if Q.ndim < 2 or 0 in Q.shape:
        raise ValueError(f"Q has shape {Q.shape}, expected a non-empty array (..., n_q, d_k)")
    lead, d_k = Q.shape[:-2], Q.shape[-1]
    if K.ndim != Q.ndim or K.shape[:-2] != lead or K.shape[-1] != d_k or K.shape[-2] == 0:
        raise ValueError(
            f"K has shape {K.shape}, expected {(*lead, 'n_k', d_k)}: the leading axes and "
            f"the width d_k = {d_k} of Q"
        )
    n_k = K.shape[-2]
    if V.ndim != Q.ndim or V.shape[:-2] != lead or V.shape[-2] != n_k or V.shape[-1] == 0:
        raise ValueError(
            f"V has shape {V.shape}, expected {(*lead, n_k, 'd_v')}: one value per key of K"
        )
    return Q, K, V, _check_mask(mask, (*lead, Q.shape[-2], n_k))


def _check_mask(mask, scores_shape):
    if mask is None:
        return None
    mask = np.asarray(mask)
    if mask.dtype != bool:
        raise ValueError(
            f"mask has dtype {mask.dtype}, expected a boolean array (True = may attend)"
        )
    try:
        np.broadcast_shapes(mask.shape, scores_shape)
    except ValueError:
        mask_ok = False
    else:
        mask_ok = np.broadcast_shapes(mask.shape, scores_shape) == tuple(scores_shape)
    if not mask_ok:
        raise ValueError(
            f"mask has shape {mask.shape}, expected a shape that broadcasts to the scores' "
            f"shape {tuple(scores_shape)} (..., n_q, n_k)"
        )
    return mask


def _check_out_grad(dOut, expected):
    dOut = as_float_array(dOut, "dOut")
    if dOut.shape != tuple(expected):
        raise ValueError(
            f"dOut has shape {dOut.shape}, expected {tuple(expected)}, the shape of the output"
        )
    return dOut


# ----------------------------------------------------------------------------- scaled dot-product


def scaled_dot_product_attention(Q, K, V, mask=None):
    """``softmax(Q @ K.T / sqrt(d_k)) @ V``, row by row, on any leading axes.

    Parameters
    ----------
    Q : array_like of shape (..., n_q, d_k), the queries
    K : array_like of shape (..., n_k, d_k), the keys
    V : array_like of shape (..., n_k, d_v), the values
    mask : array_like of bool, optional
        Broadcastable to ``(..., n_q, n_k)``; True where query ``i`` may attend to key
        ``j``. A query with no True entry gets zero weights and a zero output.

    Returns
    -------
    out : ndarray of shape (..., n_q, d_v)
    weights : ndarray of shape (..., n_q, n_k), each row sums to 1 (or is all 0)

    Examples
    --------
    >>> Q = K = np.array([[10.0, 0.0], [0.0, 10.0]])
    >>> out, weights = scaled_dot_product_attention(Q, K, [[1.0], [2.0]])
    >>> weights.round(3)  # each query finds the key that matches it
    array([[1., 0.],
           [0., 1.]])
    >>> scaled_dot_product_attention(Q, K, [[1.0], [2.0]], mask=causal_mask(2))[0].round(3)
    array([[1.],
           [2.]])
    """
    Q, K, V, mask = _check_qkv(Q, K, V, mask)
    return _attention(Q, K, V, mask)


def attention_backward(dOut, Q, K, V, mask=None):
    """Backward pass of :func:`scaled_dot_product_attention`.

    Parameters
    ----------
    dOut : array_like of shape (..., n_q, d_v), the upstream gradient
    Q, K, V, mask : the arguments of the forward pass

    Returns
    -------
    dQ : ndarray of the shape of ``Q``
    dK : ndarray of the shape of ``K``
    dV : ndarray of the shape of ``V``

    Examples
    --------
    >>> Q, K, V = np.zeros((1, 1)), np.zeros((2, 1)), np.array([[1.0], [3.0]])
    >>> dQ, dK, dV = attention_backward([[1.0]], Q, K, V)
    >>> dV.ravel()  # equal scores: each value gets half of the output's gradient
    array([0.5, 0.5])
    """
    Q, K, V, mask = _check_qkv(Q, K, V, mask)
    dOut = _check_out_grad(dOut, (*Q.shape[:-1], V.shape[-1]))
    _, A = _attention(Q, K, V, mask)
    return _attention_backward(dOut, Q, K, V, A)


# ----------------------------------------------------------------------------- multi-head


def _split_heads(M, n_heads):
    """(n, T, d_model) -> (n, n_heads, T, d_head): head ``h`` is columns ``h*d_head ..``."""
    n, T, d_model = M.shape
    return M.reshape(n, T, n_heads, d_model // n_heads).transpose(0, 2, 1, 3)


def _merge_heads(M):
    """(n, n_heads, T, d_head) -> (n, T, n_heads * d_head), heads side by side in order."""
    n, n_heads, T, d_head = M.shape
    return M.transpose(0, 2, 1, 3).reshape(n, T, n_heads * d_head)


class MHACache(NamedTuple):
    """What the backward pass of multi-head attention keeps from the forward pass.

    ``Q``, ``K``, ``V`` have shape (n, n_heads, T, d_head), ``A`` (n, n_heads, T, T) holds
    every head's attention weights, ``C`` (n * T, d_model) the heads' outputs side by side,
    ``X2`` (n * T, d_model) the input and ``W_qkv`` (d_model, 3 d_model) ``[Wq, Wk, Wv]``.
    """

    Q: np.ndarray
    K: np.ndarray
    V: np.ndarray
    A: np.ndarray
    C: np.ndarray
    X2: np.ndarray
    W_qkv: np.ndarray


def _mha_forward(X, Wq, Wk, Wv, Wo, n_heads, mask):
    """Unchecked multi-head attention: ``out``, ``weights`` and an :class:`MHACache`.

    The three projections are one product with ``[Wq, Wk, Wv]`` side by side, on ``X``
    as a 2-D ``(n * T, d_model)`` matrix (numpy multiplies a 2-D matrix faster than a
    stack of them).
    """
    n, T, d_model = X.shape
    X2 = X.reshape(n * T, d_model)  # a row per token
    W_qkv = np.concatenate([Wq, Wk, Wv], axis=1)  # (d_model, 3 d_model)
    QKV = X2 @ W_qkv  # (n * T, 3 d_model): the rows of X @ Wq, X @ Wk, X @ Wv side by side
    Q, K, V = (  # each (n, n_heads, T, d_head): head h is columns h*d_head .. of its third
        _split_heads(M.reshape(n, T, d_model), n_heads) for M in np.split(QKV, 3, axis=1)
    )
    heads, A = _attention(Q, K, V, mask)  # (n, n_heads, T, d_head) and (n, n_heads, T, T)
    C = _merge_heads(heads).reshape(n * T, d_model)  # the heads side by side again
    out = (C @ Wo).reshape(n, T, d_model)  # mixed by Wo
    return out, A, MHACache(Q, K, V, A, C, X2, W_qkv)


def _mha_backward(dOut, Wo, cache):
    """Unchecked backward of :func:`_mha_forward`: ``(dX, dWq, dWk, dWv, dWo)``."""
    Q, K, V, A, C, X2, W_qkv = cache
    n, n_heads, T, d_head = Q.shape
    d_model = n_heads * d_head
    dOut2 = dOut.reshape(-1, d_model)
    dWo = C.T @ dOut2  # out = C @ Wo
    dC = _split_heads((dOut2 @ Wo.T).reshape(n, T, d_model), n_heads)  # cut like the forward
    dQ, dK, dV = _attention_backward(dC, Q, K, V, A)  # every head on its own
    # heads side by side again, then dQ | dK | dV as the columns of d(X2 @ W_qkv)
    dQKV = np.concatenate([_merge_heads(M) for M in (dQ, dK, dV)], axis=-1).reshape(n * T, -1)
    dW_qkv = X2.T @ dQKV
    dX = (dQKV @ W_qkv.T).reshape(n, T, d_model)  # X fed all three projections: a sum
    dWq, dWk, dWv = np.split(dW_qkv, 3, axis=1)
    return dX, dWq, dWk, dWv, dWo


def _check_mha(X, Wq, Wk, Wv, Wo, n_heads, mask):
    X = as_float_array(X, "X")
    if X.ndim != 3 or 0 in X.shape:
        raise ValueError(
            f"X has shape {X.shape}, expected a non-empty 3-D array (n_samples, T, d_model)"
        )
    n, T, d_model = X.shape
    weights = []
    for W, name in ((Wq, "Wq"), (Wk, "Wk"), (Wv, "Wv"), (Wo, "Wo")):
        W = as_float_array(W, name)
        if W.shape != (d_model, d_model):
            raise ValueError(
                f"{name} has shape {W.shape}, expected ({d_model}, {d_model}) = "
                "(d_model, d_model) to match X"
            )
        weights.append(W)
    n_heads = check_positive_int(n_heads, "n_heads")
    if d_model % n_heads:
        raise ValueError(
            f"n_heads is {n_heads}, expected a divisor of d_model = {d_model}: every head "
            "gets d_model // n_heads columns"
        )
    return (X, *weights, n_heads, _check_mask(mask, (n, n_heads, T, T)))


def multi_head_attention_forward(X, Wq, Wk, Wv, Wo, n_heads, mask=None):
    """Multi-head self-attention of a batch of sequences (no biases).

    ``Q = X @ Wq``, ``K = X @ Wk``, ``V = X @ Wv``; head ``h`` attends with the columns
    ``h * d_head .. (h + 1) * d_head - 1`` of each (``d_head = d_model // n_heads``);
    the heads' outputs are concatenated in head order and multiplied by ``Wo``.

    Parameters
    ----------
    X : array_like of shape (n_samples, T, d_model)
    Wq, Wk, Wv, Wo : array_like of shape (d_model, d_model)
    n_heads : int, a divisor of d_model
    mask : array_like of bool, optional
        Broadcastable to ``(n_samples, n_heads, T, T)``, e.g. ``causal_mask(T)``.

    Returns
    -------
    out : ndarray of shape (n_samples, T, d_model)
    weights : ndarray of shape (n_samples, n_heads, T, T), each head's attention weights

    Examples
    --------
    >>> X = np.ones((2, 3, 4))
    >>> out, weights = multi_head_attention_forward(X, *[np.eye(4)] * 4, n_heads=2,
    ...                                             mask=causal_mask(3))
    >>> out.shape, weights.shape, weights[0, 0, 1].tolist()
    ((2, 3, 4), (2, 2, 3, 3), [0.5, 0.5, 0.0])
    """
    X, Wq, Wk, Wv, Wo, n_heads, mask = _check_mha(X, Wq, Wk, Wv, Wo, n_heads, mask)
    out, A, _ = _mha_forward(X, Wq, Wk, Wv, Wo, n_heads, mask)
    return out, A


def multi_head_attention_backward(dOut, X, Wq, Wk, Wv, Wo, n_heads, mask=None):
    """Backward pass of :func:`multi_head_attention_forward`.

    Parameters
    ----------
    dOut : array_like of shape (n_samples, T, d_model)
    X, Wq, Wk, Wv, Wo, n_heads, mask : the arguments of the forward pass

    Returns
    -------
    dX : ndarray of shape (n_samples, T, d_model)
    dWq, dWk, dWv, dWo : ndarray of shape (d_model, d_model)
    """
    X, Wq, Wk, Wv, Wo, n_heads, mask = _check_mha(X, Wq, Wk, Wv, Wo, n_heads, mask)
    dOut = _check_out_grad(dOut, X.shape)
    _, _, cache = _mha_forward(X, Wq, Wk, Wv, Wo, n_heads, mask)
    return _mha_backward(dOut, Wo, cache)
