"""Tests for dlcourse.optim: each update rule against its textbook formula."""

import numpy as np
import pytest

from dlcourse.optim import Adam, GradientDescent, Momentum, make_optimizer

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


@pytest.mark.parametrize("name", ["gd", "momentum", "adam"])
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
    ],
)
def test_bad_input_raises_clear_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()
