"""Tests for dlcourse.transformer: gradients, causality, generation, a short training run.

The gradients are checked against central differences on a tiny model and against
PyTorch autograd (a model built here from torch's own layers with the same weights);
the trained-sorter target (>= 99 % whole answers) is benchmarks/transformer.py's job.
"""

import numpy as np
import pytest

import dlcourse
from dlcourse.data import make_sort_task
from dlcourse.gradcheck import numerical_gradient, relative_error
from dlcourse.transformer import Transformer

rng = np.random.default_rng(0)


def tiny(**kwargs):
    args = {"vocab_size": 7, "max_len": 6, "d_model": 8, "n_heads": 2, "n_layers": 2,
            "d_ff": 12, "seed": 1}
    return Transformer(**{**args, **kwargs})


def tokens(n, T, vocab=7):
    return rng.integers(0, vocab, size=(n, T)), rng.integers(0, vocab, size=(n, T))


def test_exported_like_mlp_and_cnn():
    assert dlcourse.Transformer is Transformer


def test_gradients_match_numerical_gradients():
    model = tiny(d_model=4, d_ff=6)  # two blocks, two heads of width 2: ~400 numbers
    # move every parameter off its initial value (unit scales, zero biases) first
    model.params = {k: v + rng.normal(0, 0.1, size=v.shape) for k, v in model.params.items()}
    X, y = tokens(3, 5)
    loss, grads = model.gradients(X, y)
    assert set(grads) == set(model.params)
    analytic = np.concatenate([grads[k].ravel() for k in model.params])
    numeric = np.concatenate([
        numerical_gradient(lambda _: model.gradients(X, y)[0], v).ravel()
        for v in model.params.values()
    ])
    assert relative_error(analytic, numeric) < 1e-7
    # positions beyond T = 5 and tokens that never occur get no gradient
    assert np.all(grads["P"][5:] == 0)
    unused = np.setdiff1d(np.arange(7), X)
    assert np.all(grads["E"][unused] == 0)


def test_predictions_are_causal():
    model = tiny()
    X, _ = tokens(4, 6)
    changed = X.copy()
    changed[:, 3] = (changed[:, 3] + 1) % 7
    p, q = model.predict_proba(X), model.predict_proba(changed)
    np.testing.assert_allclose(p[:, :3], q[:, :3], atol=1e-14)  # earlier positions: same
    assert not np.allclose(p[:, 3:], q[:, 3:])
    # a shorter sequence gives the same predictions as its prefix inside a longer one
    np.testing.assert_allclose(model.predict_proba(X[:, :4]), p[:, :4], atol=1e-13)


def test_predict_proba_rows_sum_to_one_and_predict_is_their_argmax():
    model = tiny()
    X, _ = tokens(5, 6)
    proba = model.predict_proba(X)
    assert proba.shape == (5, 6, 7)
    np.testing.assert_allclose(proba.sum(axis=-1), 1.0)
    np.testing.assert_array_equal(model.predict(X), proba.argmax(axis=-1))


def test_loss_is_the_cross_entropy_of_predict_proba():
    model = tiny()
    X, y = tokens(4, 6)
    proba = model.predict_proba(X)
    expected = -np.mean(np.log(np.take_along_axis(proba, y[..., None], axis=-1)))
    assert abs(model.loss(X, y) - expected) < 1e-12
    assert abs(model.gradients(X, y)[0] - expected) < 1e-12


def test_greedy_generation_feeds_back_the_argmax():
    model = tiny()
    prompt = np.array([1, 2, 3])
    out = model.generate(prompt, 3, temperature=0)
    assert out.shape == (6,) and out.dtype.kind == "i"
    np.testing.assert_array_equal(out[:3], prompt)
    for t in range(3, 6):
        assert out[t] == model.predict(out[None, :t])[0, -1]
    batch = model.generate(np.stack([prompt, [4, 4, 0]]), 3, temperature=0)
    np.testing.assert_array_equal(batch[0], out)


def test_sampling_is_seeded_and_temperature_sharpens():
    model = tiny()
    a = model.generate([1, 2], 4, temperature=1.0, rng=5)
    np.testing.assert_array_equal(a, model.generate([1, 2], 4, temperature=1.0, rng=5))
    prompts = np.tile([1, 2], (400, 1))
    greedy = model.generate(prompts[:1], 1, temperature=0)[0, -1]
    cold = model.generate(prompts, 1, temperature=0.05, rng=1)[:, -1]
    hot = model.generate(prompts, 1, temperature=5.0, rng=1)[:, -1]
    assert np.mean(cold == greedy) > np.mean(hot == greedy)
    assert len(np.unique(hot)) > len(np.unique(cold))


def test_a_short_training_run_learns_the_sort_task():
    X, y = make_sort_task(600, length=3, n_symbols=4, seed=0)
    X_val, y_val = make_sort_task(200, length=3, n_symbols=4, seed=1)
    model = Transformer(5, 6, d_model=16, n_heads=2, n_layers=1, d_ff=32, seed=0)
    before = model.loss(X_val, y_val)
    model.fit(X, y, n_epochs=15, validation_data=(X_val, y_val))
    assert model.loss_history_.shape == (15,) and model.val_loss_history_.shape == (15,)
    assert model.val_loss_history_[-1] < 0.4 * before  # 0.20 here
    # the answer positions (after SEP) are learnt: a guess gets 1 in 4 (0.997 here)
    assert np.mean(model.predict(X_val)[:, -3:] == y_val[:, -3:]) > 0.95


def test_fit_is_seeded_and_continues_from_the_current_params():
    X, y = tokens(40, 6)
    a = tiny().fit(X, y, n_epochs=2, batch_size=16)
    b = tiny().fit(X, y, n_epochs=2, batch_size=16)
    np.testing.assert_array_equal(a.loss_history_, b.loss_history_)
    start = {k: v.copy() for k, v in a.params.items()}
    a.fit(X, y, n_epochs=1, optimizer="gd", lr=0.1, batch_size=None)
    loss, grads = Transformer.gradients(b, X, y)  # b holds the same params as `start`
    for k in start:
        np.testing.assert_allclose(a.params[k], start[k] - 0.1 * grads[k], atol=1e-13)


def test_early_stopping_keeps_the_best_epoch():
    X, y = tokens(60, 6)
    X_val, y_val = tokens(30, 6)
    model = tiny().fit(X, y, n_epochs=40, lr=0.05, validation_data=(X_val, y_val), patience=2)
    assert len(model.val_loss_history_) == model.best_epoch_ + 3
    assert abs(model.loss(X_val, y_val) - model.val_loss_history_[model.best_epoch_]) < 1e-12


@pytest.mark.torch
def test_gradients_agree_with_pytorch_autograd():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    model = tiny()
    model.params = {k: v + rng.normal(0, 0.1, size=v.shape) for k, v in model.params.items()}
    X, y = tokens(3, 6)
    t = {k: torch.tensor(v, requires_grad=True) for k, v in model.params.items()}
    T = X.shape[1]
    allowed = torch.tensor(np.tri(T, dtype=bool))

    def heads(M):  # (n, T, d) -> (n, h, T, d_head)
        return M.view(3, T, 2, 4).transpose(1, 2)

    H = t["E"][torch.tensor(X)] + t["P"][:T]
    for layer in range(2):
        p = {k.split(".")[1]: v for k, v in t.items() if k.startswith(f"block{layer}.")}
        A = F.layer_norm(H, (8,), p["ln1_gamma"], p["ln1_beta"])
        att = F.scaled_dot_product_attention(heads(A @ p["Wq"]), heads(A @ p["Wk"]),
                                             heads(A @ p["Wv"]), attn_mask=allowed)
        H = H + att.transpose(1, 2).reshape(3, T, 8) @ p["Wo"]
        M = F.layer_norm(H, (8,), p["ln2_gamma"], p["ln2_beta"])
        H = H + F.relu(M @ p["W1"] + p["b1"]) @ p["W2"] + p["b2"]
    U = F.layer_norm(H, (8,), t["ln_gamma"], t["ln_beta"])
    logits = U @ t["W_out"] + t["b_out"]
    t_loss = F.cross_entropy(logits.reshape(-1, 7), torch.tensor(y).reshape(-1))
    t_loss.backward()
    loss, grads = model.gradients(X, y)
    assert abs(loss - t_loss.item()) < 1e-12
    for k in model.params:
        assert relative_error(grads[k], t[k].grad.numpy()) < 1e-10, k


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: Transformer(1, 5), "vocab_size must be"),
        (lambda: Transformer(5, 0), "max_len must be"),
        (lambda: Transformer(5, 5, d_model=10, n_heads=4), "n_heads is 4"),
        (lambda: tiny().predict(np.array([1, 2])), "X has shape"),
        (lambda: tiny().predict(np.zeros((2, 7), int)), "at most max_len = 6"),
        (lambda: tiny().predict(np.array([[1, 7]])), "token ids 0 to 6"),
        (lambda: tiny().predict(np.array([[1.5, 2.0]])), "integer token ids"),
        (lambda: tiny().predict(np.array([["a", "b"]])), "integer token ids"),
        (lambda: tiny().predict(np.array([[np.nan, 2.0]])), "integer token ids"),
        (lambda: tiny().gradients(np.zeros((2, 3), int), np.zeros((2, 4), int)),
         "y has shape"),
        (lambda: tiny().fit(np.zeros((2, 3), int), np.zeros((2, 3), int), optimizer="sgd"),
         "unknown optimizer"),
        (lambda: tiny().fit(np.zeros((2, 3), int), np.zeros((2, 3), int), lr=-1), "lr must be"),
        (lambda: tiny().generate([1, 2], 6), "n_tokens is 6"),
        (lambda: tiny().generate([1, 2], 2, temperature=-1), "temperature must be"),
        (lambda: tiny().generate([[[1]]], 2), "prompt has shape"),
    ],
)
def test_bad_input_gets_a_clear_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_assigned_params_are_checked():
    model = tiny()
    model.params = {**model.params, "Wq": None}
    with pytest.raises(ValueError, match="params must be a dict with the keys"):
        model.predict(np.zeros((1, 2), int))
    model = tiny()
    model.params["block0.Wq"] = np.zeros((3, 3))
    with pytest.raises(ValueError, match=r"params\['block0.Wq'\] has shape \(3, 3\)"):
        model.predict(np.zeros((1, 2), int))


def test_attention_caches_hold_each_blocks_weights():
    """The first block's cached weights are those of multi-head attention on LN1(E[X] + P)."""
    from dlcourse.attention import causal_mask, multi_head_attention_forward
    from dlcourse.normalization import layernorm_forward
    from dlcourse.transformer import attention_caches, transformer_forward

    model = Transformer(vocab_size=7, max_len=5, d_model=8, n_heads=2, n_layers=3, seed=4)
    X = np.array([[1, 4, 0, 6, 2], [3, 3, 5, 1, 0]])
    _, cache = transformer_forward(X, model.params, model.n_heads, model.n_layers)
    caches = attention_caches(cache)
    assert len(caches) == 3 and all(c.A.shape == (2, 2, 5, 5) for c in caches)
    p = model.params
    H = layernorm_forward(p["E"][X] + p["P"][:5], p["block0.ln1_gamma"], p["block0.ln1_beta"])
    Ws = [p[f"block0.{name}"] for name in ("Wq", "Wk", "Wv", "Wo")]
    _, A = multi_head_attention_forward(H, *Ws, n_heads=2, mask=causal_mask(5))
    np.testing.assert_allclose(caches[0].A, A, atol=1e-12)
    assert not np.allclose(caches[1].A, caches[0].A)
