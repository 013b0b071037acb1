"""Tests for dlcourse.normalization (re-exported by dlcourse.layers): batch and layer norm."""

import numpy as np
import pytest

from dlcourse import layers
from dlcourse.gradcheck import numerical_gradient, relative_error

rng = np.random.default_rng(0)

SHAPES = {
    "batch": [((6, 4), 4), ((3, 2, 4, 5), 2)],
    "layer": [((6, 4), 4), ((2, 3, 5), 5), ((7,), 7)],
}
FUNCS = {
    "batch": (layers.batchnorm_forward, layers.batchnorm_backward),
    "layer": (layers.layernorm_forward, layers.layernorm_backward),
}


def reference(kind, X, gamma, beta, eps):
    """Independent reference: the definition with explicit axes and a loop over features."""
    if kind == "layer":
        mean = X.mean(axis=-1, keepdims=True)
        var = X.var(axis=-1, keepdims=True)
        return gamma * (X - mean) / np.sqrt(var + eps) + beta
    out = np.empty_like(X)
    for k in range(X.shape[1]):
        values = X[:, k]
        out[:, k] = gamma[k] * (values - values.mean()) / np.sqrt(values.var() + eps) + beta[k]
    return out


@pytest.mark.parametrize("kind", ["batch", "layer"])
def test_forward_matches_the_definition(kind):
    forward, _ = FUNCS[kind]
    for shape, d in SHAPES[kind]:
        X = rng.normal(3.0, 2.0, size=shape)
        gamma, beta = rng.normal(size=d), rng.normal(size=d)
        out = forward(X, gamma, beta, eps=1e-3)
        np.testing.assert_allclose(out, reference(kind, X, gamma, beta, 1e-3), atol=1e-12)


def test_batchnorm_output_has_zero_mean_unit_variance_per_feature():
    X = rng.normal(5.0, 3.0, size=(50, 3))
    out = layers.batchnorm_forward(X, np.ones(3), np.zeros(3), eps=1e-12)
    np.testing.assert_allclose(out.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(out.std(axis=0), 1, atol=1e-9)


def test_layernorm_does_not_mix_samples():
    X = rng.normal(size=(4, 6))
    gamma, beta = rng.normal(size=6), rng.normal(size=6)
    whole = layers.layernorm_forward(X, gamma, beta)
    alone = np.stack([layers.layernorm_forward(row, gamma, beta) for row in X])
    np.testing.assert_allclose(whole, alone, atol=1e-14)


@pytest.mark.parametrize("kind", ["batch", "layer"])
def test_backward_matches_numerical_gradients(kind):
    forward, backward = FUNCS[kind]
    for shape, d in SHAPES[kind]:
        X = rng.normal(size=shape)
        gamma, beta = rng.normal(size=d), rng.normal(size=d)
        G = rng.normal(size=shape)

        def loss(_):
            return np.sum(forward(X, gamma, beta) * G)  # noqa: B023 (used at once)

        dX, dgamma, dbeta = backward(G, X, gamma)
        for analytic, x in ((dX, X), (dgamma, gamma), (dbeta, beta)):
            assert analytic.shape == x.shape
            assert relative_error(analytic, numerical_gradient(loss, x)) < 1e-7


def test_arguments_are_not_changed():
    X, gamma, beta = rng.normal(size=(4, 3)), rng.normal(size=3), rng.normal(size=3)
    copies = [a.copy() for a in (X, gamma, beta)]
    for forward, backward in FUNCS.values():
        forward(X, gamma, beta)
        backward(np.ones_like(X), X, gamma)
    for a, c in zip((X, gamma, beta), copies, strict=True):
        np.testing.assert_array_equal(a, c)


@pytest.mark.torch
@pytest.mark.parametrize("kind", ["batch", "layer"])
def test_agrees_with_pytorch_autograd(kind):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    forward, backward = FUNCS[kind]
    for shape, d in SHAPES[kind]:
        X = rng.normal(size=shape)
        gamma, beta, G = rng.normal(size=d), rng.normal(size=d), rng.normal(size=shape)
        tX, tg, tb = (torch.tensor(a, requires_grad=True) for a in (X, gamma, beta))
        if kind == "batch":
            out = F.batch_norm(tX, None, None, tg, tb, training=True, eps=1e-5)
        else:
            out = F.layer_norm(tX, (d,), tg, tb, eps=1e-5)
        (out * torch.tensor(G)).sum().backward()
        np.testing.assert_allclose(forward(X, gamma, beta), out.detach().numpy(), atol=1e-10)
        for mine, theirs in zip(backward(G, X, gamma), (tX, tg, tb), strict=True):
            assert relative_error(mine, theirs.grad.numpy()) < 1e-10


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: layers.batchnorm_forward(np.ones((2, 3, 4)), np.ones(3), np.zeros(3)),
         "X has shape"),
        (lambda: layers.batchnorm_forward(np.ones((1, 3)), np.ones(3), np.zeros(3)),
         "at least two"),
        (lambda: layers.batchnorm_forward(np.ones((2, 3)), np.ones(2), np.zeros(2)),
         "gamma has shape"),
        (lambda: layers.batchnorm_forward(np.ones((2, 3)), np.ones(3), np.zeros(4)),
         "beta has shape"),
        (lambda: layers.batchnorm_forward(np.ones((2, 3)), np.ones(3), np.zeros(3), eps=0),
         "eps must be"),
        (lambda: layers.batchnorm_backward(np.ones((2, 2)), np.ones((2, 3)), np.ones(3)),
         "dOut has shape"),
        (lambda: layers.layernorm_forward(np.ones((2, 3)), np.ones(2), np.zeros(2)),
         "gamma has shape"),
        (lambda: layers.layernorm_forward(np.zeros((2, 0)), np.ones(0), np.zeros(0)),
         "X has shape"),
        (lambda: layers.layernorm_backward(np.ones((3, 3)), np.ones((2, 3)), np.ones(3)),
         "dOut has shape"),
    ],
)
def test_bad_input_gets_a_clear_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()
