"""Tests for dlcourse.mlp_engine: the in-place registries against dlcourse.activations, the
output layers against dlcourse.losses, and the engine's loop against the plain functions."""

import numpy as np
import pytest

from dlcourse.activations import ACTIVATIONS, DERIVATIVES, softmax
from dlcourse.losses import binary_cross_entropy_with_logits, softmax_cross_entropy
from dlcourse.mlp import init_params, mlp_gradients
from dlcourse.mlp_engine import (
    INPLACE_ACTIVATIONS,
    INPLACE_DERIVATIVES,
    OUTPUT_LAYERS,
    SCRATCH_DTYPES,
    fit_mlp,
)
from dlcourse.optim import Adam, GradientDescent


def test_registries_cover_every_activation():
    assert set(INPLACE_ACTIVATIONS) == set(INPLACE_DERIVATIVES) == set(ACTIVATIONS)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_inplace_activation_and_derivative_match_the_plain_functions(name):
    Z = np.random.default_rng(0).normal(0, 3, size=(7, 5))
    Z[0, :3] = [-800.0, 800.0, 0.0]  # saturation and the kink
    A = np.asfortranarray(Z.copy())
    with np.errstate(over="ignore"):
        INPLACE_ACTIVATIONS[name](A)
    np.testing.assert_allclose(A, ACTIVATIONS[name](Z), rtol=1e-12, atol=1e-300)
    dA = np.random.default_rng(1).normal(size=Z.shape)
    dZ = dA.copy()
    tmp = np.empty(Z.shape, dtype=SCRATCH_DTYPES.get(name, float))
    INPLACE_DERIVATIVES[name](A, dZ, tmp)
    np.testing.assert_allclose(dZ, dA * DERIVATIVES[name](Z), rtol=1e-10, atol=1e-300)


@pytest.mark.parametrize("n_out", [1, 4])
def test_output_layers_give_the_loss_and_delta_of_dlcourse_losses(n_out):
    rng = np.random.default_rng(2)
    Z = rng.normal(0, 4, size=(9, n_out))
    labels = rng.integers(0, max(2, n_out), size=9)
    kind = "sigmoid" if n_out == 1 else "softmax"
    head_cls = OUTPUT_LAYERS[kind]
    head = head_cls(9, n_out)
    head.load(head_cls.encode(labels, n_out), None)
    loss = head.loss(np.asfortranarray(Z.copy()))
    dZ = np.empty((9, n_out), order="F")
    head.delta(dZ, 1.0 / 9)
    if n_out == 1:
        assert loss == pytest.approx(binary_cross_entropy_with_logits(labels, Z[:, 0]), rel=1e-12)
        expected = (1 / (1 + np.exp(-Z)) - labels[:, None]) / 9
    else:
        assert loss == pytest.approx(softmax_cross_entropy(labels, Z), rel=1e-12)
        expected = (softmax(Z) - np.eye(n_out)[labels]) / 9
    np.testing.assert_allclose(dZ, expected, rtol=1e-12, atol=1e-17)


def test_plain_gradient_step_is_folded_and_others_use_update():
    # GradientDescent promises update == "w -= lr * g": the engine folds lr into dZ_L;
    # a subclass that breaks the promise is called through update instead
    class Halved(GradientDescent):
        plain_gradient_step = False

        def update(self, arrays, grads):
            for p, g in zip(arrays, grads, strict=True):
                p -= 0.5 * self.lr * g

    rng = np.random.default_rng(3)
    X = rng.normal(size=(12, 2))
    labels = rng.integers(0, 3, size=12)
    params = init_params([2, 4, 3], rng=1)
    _, grads = mlp_gradients(X, labels, params, "relu")
    for opt, factor in [(GradientDescent(0.2), 0.2), (Halved(0.2), 0.1)]:
        new, losses, stopper = fit_mlp(X, labels, params, "relu", opt, 1)
        assert stopper is None and losses.shape == (1,)
        for (W, b), (W0, b0), (dW, db) in zip(new, params, grads, strict=True):
            np.testing.assert_allclose(W, W0 - factor * dW, rtol=1e-12, atol=1e-15)
            np.testing.assert_allclose(b, b0 - factor * db, rtol=1e-12, atol=1e-15)


def test_engine_leaves_its_arguments_alone():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(10, 3))
    labels = rng.integers(0, 2, size=10)
    params = init_params([3, 5, 1], rng=2)
    copies = [(W.copy(), b.copy()) for W, b in params]
    X_copy = X.copy()
    fit_mlp(X, labels, params, "tanh", Adam(0.1), 3, batch_size=4, rng=rng, weight_decay=0.1)
    np.testing.assert_array_equal(X, X_copy)
    for (W, b), (W0, b0) in zip(params, copies, strict=True):
        np.testing.assert_array_equal(W, W0)
        np.testing.assert_array_equal(b, b0)
