"""Tests for dlcourse.attention: masks, scaled dot-product attention, multi-head attention.

The forward passes are compared with a plain loop over queries written here, every
backward with central differences, and both with PyTorch where it is installed.
"""

import numpy as np
import pytest

from dlcourse.attention import (
    attention_backward,
    causal_mask,
    multi_head_attention_backward,
    multi_head_attention_forward,
    scaled_dot_product_attention,
)
from dlcourse.gradcheck import numerical_gradient, relative_error

rng = np.random.default_rng(0)


def attention_by_loops(Q, K, V, mask):
    """Independent reference for 2-D inputs: one query at a time, masked keys left out."""
    n_q, d_k = Q.shape
    out, weights = np.zeros((n_q, V.shape[1])), np.zeros((n_q, K.shape[0]))
    for i in range(n_q):
        allowed = np.flatnonzero(mask[i]) if mask is not None else np.arange(K.shape[0])
        if allowed.size == 0:
            continue
        scores = np.array([Q[i] @ K[j] / np.sqrt(d_k) for j in allowed])
        w = np.exp(scores - scores.max())
        weights[i, allowed] = w / w.sum()
        out[i] = weights[i] @ V
    return out, weights


def test_causal_mask():
    m = causal_mask(4)
    assert m.dtype == bool and m.shape == (4, 4)
    assert all(m[i, j] == (j <= i) for i in range(4) for j in range(4))


@pytest.mark.parametrize("masked", [False, True])
def test_forward_matches_a_loop_over_queries(masked):
    Q, K, V = rng.normal(size=(5, 3)), rng.normal(size=(6, 3)), rng.normal(size=(6, 2))
    mask = rng.random((5, 6)) < 0.6 if masked else None
    if masked:
        mask[2] = False  # one query may attend to nothing
    out, weights = scaled_dot_product_attention(Q, K, V, mask)
    ref_out, ref_weights = attention_by_loops(Q, K, V, mask)
    np.testing.assert_allclose(weights, ref_weights, atol=1e-14)
    np.testing.assert_allclose(out, ref_out, atol=1e-14)
    if masked:
        assert np.all(weights[~mask] == 0)
        assert np.all(out[2] == 0) and np.all(weights[2] == 0)


def test_leading_axes_and_a_broadcast_mask():
    Q, K, V = rng.normal(size=(2, 3, 4, 5)), rng.normal(size=(2, 3, 4, 5)), rng.normal(
        size=(2, 3, 4, 2)
    )
    out, weights = scaled_dot_product_attention(Q, K, V, causal_mask(4))
    assert out.shape == (2, 3, 4, 2) and weights.shape == (2, 3, 4, 4)
    ref = attention_by_loops(Q[1, 2], K[1, 2], V[1, 2], causal_mask(4))[0]
    np.testing.assert_allclose(out[1, 2], ref, atol=1e-14)
    np.testing.assert_allclose(weights.sum(axis=-1), 1.0)


def test_scaling_keeps_the_softmax_from_saturating():
    d_k = 256
    Q, K = rng.normal(size=(20, d_k)), rng.normal(size=(20, d_k))
    _, weights = scaled_dot_product_attention(Q, K, np.eye(20))
    # unscaled, the scores would have a spread of sqrt(256) = 16 and one weight near 1
    assert weights.max() < 0.9


def test_backward_matches_numerical_gradients():
    Q, K, V = rng.normal(size=(2, 4, 3)), rng.normal(size=(2, 5, 3)), rng.normal(size=(2, 5, 2))
    mask = rng.random((4, 5)) < 0.7
    mask[1] = False
    G = rng.normal(size=(2, 4, 2))
    dQ, dK, dV = attention_backward(G, Q, K, V, mask)
    for analytic, x in ((dQ, Q), (dK, K), (dV, V)):
        numeric = numerical_gradient(
            lambda _: np.sum(scaled_dot_product_attention(Q, K, V, mask)[0] * G), x
        )
        assert analytic.shape == x.shape
        assert relative_error(analytic, numeric) < 1e-7
    assert np.all(dQ[:, 1] == 0)  # the query that attends to nothing passes nothing back


def mha_by_heads(X, Wq, Wk, Wv, Wo, n_heads, mask):
    """Independent reference: each sample and head with its own column slice, concatenated."""
    d_head = X.shape[-1] // n_heads
    out = []
    for x in X:
        heads = []
        for h in range(n_heads):
            cols = slice(h * d_head, (h + 1) * d_head)
            heads.append(
                attention_by_loops(x @ Wq[:, cols], x @ Wk[:, cols], x @ Wv[:, cols], mask)[0]
            )
        out.append(np.concatenate(heads, axis=1) @ Wo)
    return np.array(out)


def mha_args(n=2, T=5, d=6):
    return rng.normal(size=(n, T, d)), *(rng.normal(0, 0.5, size=(d, d)) for _ in range(4))


def test_multi_head_forward_matches_head_by_head_loops():
    X, Wq, Wk, Wv, Wo = mha_args()
    out, weights = multi_head_attention_forward(X, Wq, Wk, Wv, Wo, 3, causal_mask(5))
    assert weights.shape == (2, 3, 5, 5)
    np.testing.assert_allclose(
        out, mha_by_heads(X, Wq, Wk, Wv, Wo, 3, causal_mask(5)), atol=1e-13
    )


def test_multi_head_backward_matches_numerical_gradients():
    X, Wq, Wk, Wv, Wo = mha_args(T=4)
    G = rng.normal(size=X.shape)
    mask = causal_mask(4)
    grads = multi_head_attention_backward(G, X, Wq, Wk, Wv, Wo, 2, mask)

    def loss(_):
        return np.sum(multi_head_attention_forward(X, Wq, Wk, Wv, Wo, 2, mask)[0] * G)

    for analytic, x in zip(grads, (X, Wq, Wk, Wv, Wo), strict=True):
        assert analytic.shape == x.shape
        assert relative_error(analytic, numerical_gradient(loss, x)) < 1e-7


def test_arguments_are_not_changed():
    X, Wq, Wk, Wv, Wo = mha_args()
    arrays = (X, Wq, Wk, Wv, Wo)
    copies = [a.copy() for a in arrays]
    multi_head_attention_backward(np.ones_like(X), X, Wq, Wk, Wv, Wo, 2, causal_mask(5))
    attention_backward(np.ones((2, 5, 6)), X, X, X)
    for a, c in zip(arrays, copies, strict=True):
        np.testing.assert_array_equal(a, c)


@pytest.mark.torch
def test_agrees_with_pytorch():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    Q, K, V = rng.normal(size=(2, 3, 4, 5)), rng.normal(size=(2, 3, 6, 5)), rng.normal(
        size=(2, 3, 6, 4)
    )
    mask = rng.random((4, 6)) < 0.6
    mask[0] = False  # PyTorch's math kernel: a fully masked query gives zeros
    G = rng.normal(size=(2, 3, 4, 4))
    tQ, tK, tV = (torch.tensor(a, requires_grad=True) for a in (Q, K, V))
    t_out = F.scaled_dot_product_attention(tQ, tK, tV, attn_mask=torch.tensor(mask))
    (t_out * torch.tensor(G)).sum().backward()
    np.testing.assert_allclose(
        scaled_dot_product_attention(Q, K, V, mask)[0], t_out.detach().numpy(), atol=1e-12
    )
    for mine, theirs in zip(attention_backward(G, Q, K, V, mask), (tQ, tK, tV), strict=True):
        assert relative_error(mine, theirs.grad.numpy()) < 1e-10

    # multi-head: torch's MultiheadAttention without biases computes x @ W.T with its
    # (out, in) weights, so ours are their transposes; it stacks Wq, Wk, Wv in in_proj
    X, Wq, Wk, Wv, Wo = mha_args(n=2, T=5, d=8)
    mha = torch.nn.MultiheadAttention(8, 2, bias=False, batch_first=True, dtype=torch.float64)
    with torch.no_grad():
        mha.in_proj_weight.copy_(torch.tensor(np.concatenate([Wq.T, Wk.T, Wv.T])))
        mha.out_proj.weight.copy_(torch.tensor(Wo.T))
    tX = torch.tensor(X, requires_grad=True)
    # torch's attn_mask marks with True what may NOT be attended
    t_out, _ = mha(tX, tX, tX, attn_mask=torch.tensor(~causal_mask(5)), need_weights=False)
    G = rng.normal(size=X.shape)
    (t_out * torch.tensor(G)).sum().backward()
    out, _ = multi_head_attention_forward(X, Wq, Wk, Wv, Wo, 2, causal_mask(5))
    np.testing.assert_allclose(out, t_out.detach().numpy(), atol=1e-12)
    dX, dWq, dWk, dWv, dWo = multi_head_attention_backward(G, X, Wq, Wk, Wv, Wo, 2,
                                                           causal_mask(5))
    assert relative_error(dX, tX.grad.numpy()) < 1e-10
    t_dWqkv = mha.in_proj_weight.grad.numpy()
    assert relative_error(np.concatenate([dWq.T, dWk.T, dWv.T]), t_dWqkv) < 1e-10
    assert relative_error(dWo.T, mha.out_proj.weight.grad.numpy()) < 1e-10


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: causal_mask(0), "n must be"),
        (lambda: scaled_dot_product_attention(np.ones(3), np.ones(3), np.ones(3)), "Q has shape"),
        (lambda: scaled_dot_product_attention(np.ones((2, 3)), np.ones((2, 4)), np.ones((2, 1))),
         "K has shape"),
        (lambda: scaled_dot_product_attention(np.ones((2, 3)), np.ones((4, 3)), np.ones((3, 1))),
         "V has shape"),
        (lambda: scaled_dot_product_attention(np.ones((2, 3)), np.ones((4, 3)), np.ones((4, 1)),
                                              mask=np.ones((2, 4))), "mask has dtype"),
        (lambda: scaled_dot_product_attention(np.ones((2, 3)), np.ones((4, 3)), np.ones((4, 1)),
                                              mask=np.ones((3, 4), bool)), "mask has shape"),
        (lambda: attention_backward(np.ones((2, 2)), np.ones((2, 3)), np.ones((4, 3)),
                                    np.ones((4, 1))), "dOut has shape"),
        (lambda: multi_head_attention_forward(np.ones((2, 4)), *[np.eye(4)] * 4, 2),
         "X has shape"),
        (lambda: multi_head_attention_forward(np.ones((1, 2, 4)), np.eye(3), *[np.eye(4)] * 3, 2),
         "Wq has shape"),
        (lambda: multi_head_attention_forward(np.ones((1, 2, 4)), *[np.eye(4)] * 4, 3),
         "n_heads is 3"),
        (lambda: multi_head_attention_backward(np.ones((1, 2, 3)), np.ones((1, 2, 4)),
                                               *[np.eye(4)] * 4, 2), "dOut has shape"),
    ],
)
def test_bad_input_gets_a_clear_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()
