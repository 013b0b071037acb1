"""Tests for dlcourse.optim: each update rule against its textbook formula."""

import numpy as np
import pytest

from dlcourse.optim import Adam, AdamW, GradientDescent, Momentum, clip_grad_norm, make_optimizer

rng = np.random.default_rng(0)
PARAMS = [
    (rng.normal(size=(2, 3)), rng.normal(size=3)),
    (rng.normal(size=(3, 1)), rng.normal(size=1)),
]
GRADS = [
    (rng.normal(size=(2, 3)), rng.normal(size=3)),
    (rng.normal(size=(3, 1)), rng.normal(size=1)),
]


def _pairs(a, b):
    return zip([x for pair in a for x in pair], [x for pair in b for x in pair], strict=True)


def test_gradient_descent_step():
    new = GradientDescent(lr=0.3).step(PARAMS, GRADS)
    assert isinstance(new, list) and all(isinstance(p, tuple) for p in new)
    for p_new, (p, g) in zip([x for pair in new for x in pair], _pairs(PARAMS, GRADS), strict=True):
        np.testing.assert_allclose(p_new, p - 0.3 * g)


def test_step_returns_new_arrays_and_keeps_the_inputs():
    copies = [(W.copy(), b.copy()) for W, b in PARAMS]
    for opt in (GradientDescent(0.1), Momentum(0.1), Adam(0.1)):
        new = opt.step(PARAMS, GRADS)
        for (a, b), (c, d) in zip(PARAMS, copies, strict=True):
            np.testing.assert_array_equal(a, c)
            np.testing.assert_array_equal(b, d)
        assert new[0][0] is not PARAMS[0][0]


def test_plain_list_of_arrays_works():
    new = GradientDescent(lr=1.0).step([np.array([1.0, 2.0])], [np.array([0.5, 0.5])])
    np.testing.assert_allclose(new[0], [0.5, 1.5])


def test_momentum_matches_the_formula():
    opt = Momentum(lr=0.1, beta=0.9)
    w = [np.array([1.0, -1.0])]
    v = np.zeros(2)
    w_ref = w[0].copy()
    for k in range(4):
        g = np.array([0.5, 0.25]) * (k + 1)
        w = opt.step(w, [g])
        v = 0.9 * v - 0.1 * g
        w_ref = w_ref + v
        np.testing.assert_allclose(w[0], w_ref)


def test_adam_matches_the_textbook_formula():
    opt = Adam(lr=0.01, beta1=0.9, beta2=0.999, eps=1e-8)
    params = PARAMS
    ref = [x.copy() for pair in PARAMS for x in pair]
    m = [np.zeros_like(x) for x in ref]
    v = [np.zeros_like(x) for x in ref]
    for t in range(1, 6):
        grads = [(g[0] * t, g[1] - t) for g in GRADS]
        params = opt.step(params, grads)
        flat_g = [x for pair in grads for x in pair]
        for i, g in enumerate(flat_g):
            m[i] = 0.9 * m[i] + 0.1 * g
            v[i] = 0.999 * v[i] + 0.001 * g**2
            m_hat, v_hat = m[i] / (1 - 0.9**t), v[i] / (1 - 0.999**t)
            ref[i] = ref[i] - 0.01 * m_hat / (np.sqrt(v_hat) + 1e-8)
    for got, want in zip([x for pair in params for x in pair], ref, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name", ["gd", "momentum", "adam", "adamw"])
def test_each_optimizer_minimises_a_quadratic(name):
    opt = make_optimizer(name, 0.05)
    w = [np.array([3.0, -2.0])]
    for _ in range(500):
        w = opt.step(w, [2 * w[0]])  # gradient of ||w||^2
    assert np.linalg.norm(w[0]) < 0.05


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: make_optimizer("rmsprop", 0.1), r"unknown optimizer 'rmsprop'; expected one of"),
        (lambda: GradientDescent(lr=0), "lr must be a positive number, got 0"),
        (lambda: Momentum(lr=0.1, beta=1.0), r"beta must be a number in \[0, 1\)"),
        (lambda: Adam(beta2=-0.1), "beta2"),
        (
            lambda: GradientDescent(0.1).step([np.zeros(2)], [np.zeros(3)]),
            r"grads array 0 has shape \(3,\), expected \(2,\)",
        ),
        (
            lambda: GradientDescent(0.1).step([(np.zeros(2), np.zeros(1))], [np.zeros(2)]),
            "grads has structure",
        ),
        (lambda: GradientDescent(0.1).step(np.zeros(2), np.zeros(2)), "params must be a list"),
        (lambda: AdamW(0.1, weight_decay=-1.0), "weight_decay must be a number >= 0, got -1.0"),
        (lambda: AdamW(0.1, weight_decay=10.0), r"lr \* weight_decay is 0.1 \* 10.0 = 1: .*< 1"),
        (lambda: make_optimizer("adamw", 0.5, weight_decay=3.0), r"= 1.5: .*expected lr"),
        (lambda: make_optimizer("adam", 0.1, weight_decay=0.1), "takes no option 'weight_decay'"),
        (lambda: clip_grad_norm([np.ones(2)], 0.0), "max_norm must be a positive number, got 0.0"),
        (lambda: clip_grad_norm([np.array([np.nan])], 1.0), "grads contains NaN"),
        (lambda: clip_grad_norm(np.ones(2), 1.0), "grads must be a list"),
    ],
)
def test_bad_input_raises_clear_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ----------------------------------------------------------------------------- AdamW, clipping


def test_adamw_is_decay_then_the_adam_step_of_the_data_gradient():
    opt = AdamW(lr=0.01, weight_decay=0.3)
    params = PARAMS
    ref = [x.copy() for pair in PARAMS for x in pair]
    m = [np.zeros_like(x) for x in ref]
    v = [np.zeros_like(x) for x in ref]
    for t in range(1, 6):
        grads = [(g[0] * t, g[1] - t) for g in GRADS]
        params = opt.step(params, grads)
        for i, g in enumerate(x for pair in grads for x in pair):
            m[i] = 0.9 * m[i] + 0.1 * g
            v[i] = 0.999 * v[i] + 0.001 * g**2
            m_hat, v_hat = m[i] / (1 - 0.9**t), v[i] / (1 - 0.999**t)
            ref[i] = ref[i] * (1 - 0.01 * 0.3) - 0.01 * m_hat / (np.sqrt(v_hat) + 1e-8)
    for got, want in zip([x for pair in params for x in pair], ref, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)


def test_adamw_decay_is_not_rescaled_like_l2_in_adam():
    # a weight whose only gradient is the penalty: decoupled decay shrinks it by exactly
    # (1 - lr * lam) per step, while lam * w in Adam's gradient is normalised away
    lr, steps = 0.002, 100
    for lam in (0.01, 0.3):
        decoupled, l2 = AdamW(lr, weight_decay=lam), Adam(lr)
        w_d, w_l = [np.array([1.0])], [np.array([1.0])]
        for _ in range(steps):
            w_d = decoupled.step(w_d, [np.zeros(1)])
            w_l = l2.step(w_l, [lam * w_l[0]])
        np.testing.assert_allclose(w_d[0], (1 - lr * lam) ** steps, rtol=1e-12)
        assert abs(w_l[0][0] - (1 - lr * steps)) < 0.01  # about lr per step, whatever lam


def test_make_optimizer_passes_options():
    opt = make_optimizer("adamw", 0.01, weight_decay=0.25)
    assert isinstance(opt, AdamW) and opt.weight_decay == 0.25 and opt.lr == 0.01
    assert make_optimizer("momentum", 0.1, beta=0.5).beta == 0.5


def test_clip_grad_norm_scales_to_max_norm_and_keeps_direction():
    grads = [(np.array([[3.0, 0.0]]), np.array([0.0])), np.array([4.0, 0.0, 0.0])]
    copies = [grads[0][0].copy(), grads[0][1].copy(), grads[1].copy()]
    clipped, total = clip_grad_norm(grads, max_norm=2.0)
    assert total == pytest.approx(5.0)
    assert isinstance(clipped[0], tuple) and not isinstance(clipped[1], tuple)
    flat = [clipped[0][0], clipped[0][1], clipped[1]]
    norm = np.sqrt(sum(np.sum(g * g) for g in flat))
    assert norm == pytest.approx(2.0, rel=1e-6)
    np.testing.assert_allclose(flat[0], copies[0] * 2.0 / (5.0 + 1e-6))
    np.testing.assert_allclose(flat[2], copies[2] * 2.0 / (5.0 + 1e-6))
    for original, copy in zip([grads[0][0], grads[0][1], grads[1]], copies, strict=True):
        np.testing.assert_array_equal(original, copy)  # not mutated
    assert flat[2] is not grads[1]


def test_clip_grad_norm_leaves_small_gradients_alone():
    grads = [np.array([0.3, -0.4])]
    clipped, total = clip_grad_norm(grads, max_norm=1.0)
    assert total == pytest.approx(0.5)
    np.testing.assert_array_equal(clipped[0], grads[0])
    assert clipped[0] is not grads[0]


@pytest.mark.torch
def test_clip_grad_norm_agrees_with_pytorch():
    torch = pytest.importorskip("torch")
    for max_norm in (0.5, 3.0, 100.0):
        grads = [rng.normal(size=(3, 4)), rng.normal(size=4), rng.normal(size=(4, 1))]
        tensors = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads]
        for t, g in zip(tensors, grads, strict=True):
            t.grad = torch.tensor(g)
        total = torch.nn.utils.clip_grad_norm_(tensors, max_norm)
        clipped, ours = clip_grad_norm(grads, max_norm)
        assert ours == pytest.approx(float(total), rel=1e-13)
        for mine, t in zip(clipped, tensors, strict=True):
            np.testing.assert_allclose(mine, t.grad.numpy(), rtol=1e-13, atol=1e-15)


@pytest.mark.torch
@pytest.mark.parametrize("weight_decay", [0.0, 0.01, 0.5])
def test_adamw_agrees_with_pytorch_step_by_step(weight_decay):
    torch = pytest.importorskip("torch")
    start = [rng.normal(size=(3, 2)), rng.normal(size=2)]
    tensors = [torch.tensor(a, requires_grad=True) for a in start]
    theirs = torch.optim.AdamW(tensors, lr=0.01, weight_decay=weight_decay)
    ours_opt = make_optimizer("adamw", 0.01, weight_decay=weight_decay)
    ours = [a.copy() for a in start]
    for step in range(20):
        grads = [rng.normal(size=a.shape) * (step + 1) for a in start]
        for t, g in zip(tensors, grads, strict=True):
            t.grad = torch.tensor(g)
        theirs.step()
        ours = ours_opt.step(ours, grads)
        for mine, t in zip(ours, tensors, strict=True):
            np.testing.assert_allclose(mine, t.detach().numpy(), rtol=1e-12, atol=1e-14)
