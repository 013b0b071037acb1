"""Tests for dlcourse.backprop: the MLP's forward pass and backpropagation as pure functions.

The hand-worked network of the lecture, and whole gradient vectors against central differences
for every hidden activation and depth. The estimator built on these functions is tested in
test_mlp.py.
"""

import numpy as np
import pytest

from dlcourse.backprop import mlp_forward, mlp_forward_cache, mlp_gradients
from dlcourse.gradcheck import numerical_gradient, relative_error
from dlcourse.hand_example import HAND_PARAMS, HAND_X, HAND_y
from dlcourse.initialization import init_params
from dlcourse.losses import binary_cross_entropy

HIDDEN = ["sigmoid", "tanh", "relu", "leaky_relu", "identity"]


def _flat(params):
    return np.concatenate([a.ravel() for pair in params for a in pair])


def _unflat(theta, layer_sizes):
    params, i = [], 0
    for n_in, n_out in zip(layer_sizes[:-1], layer_sizes[1:], strict=False):
        W = theta[i : i + n_in * n_out].reshape(n_in, n_out)
        i += n_in * n_out
        b = theta[i : i + n_out]
        i += n_out
        params.append((W, b))
    return params


# ---------------------------------------------------------------------------------------------
# The hand-worked 2-2-1 network: constants and the numbers worked by hand live in
# dlcourse/hand_example.py (the backpropagation chapter shows the same numbers).


def test_hand_worked_network_forward():
    A, cache = mlp_forward_cache(HAND_X, HAND_PARAMS, "sigmoid")
    (X_in, Z1), (A1, Z2) = cache
    np.testing.assert_allclose(Z1, [[1.0, 0.5]], atol=1e-6)
    np.testing.assert_allclose(A1, [[0.731059, 0.622459]], atol=1e-6)
    np.testing.assert_allclose(Z2, [[0.108599]], atol=1e-6)
    np.testing.assert_allclose(A, [[0.527123]], atol=1e-6)


def test_hand_worked_network_backward():
    loss, grads = mlp_gradients(HAND_X, HAND_y, HAND_PARAMS, "sigmoid")
    (dW1, db1), (dW2, db2) = grads
    assert loss == pytest.approx(0.640321, abs=1e-6)
    np.testing.assert_allclose(dW2, [[-0.345701], [-0.294347]], atol=1e-6)
    np.testing.assert_allclose(db2, [-0.472877], atol=1e-6)
    np.testing.assert_allclose(dW1, [[-0.092973, 0.111128], [-0.185946, 0.222256]], atol=1e-6)
    np.testing.assert_allclose(db1, [-0.092973, 0.111128], atol=1e-6)



@pytest.mark.parametrize("activation", HIDDEN)
@pytest.mark.parametrize("layer_sizes", [[2, 1], [2, 3, 1], [3, 4, 3, 1], [2, 5, 4, 3, 1]])
def test_mlp_gradients_match_numerical_gradient(layer_sizes, activation):
    rng = np.random.default_rng(len(layer_sizes))
    X = rng.normal(size=(7, layer_sizes[0]))
    y = np.array([0, 1, 1, 0, 1, 0, 1])
    params = init_params(layer_sizes, rng, activation)
    params = [(W, b + rng.normal(0, 0.1, size=b.shape)) for W, b in params]  # nonzero biases
    loss, grads = mlp_gradients(X, y, params, activation)

    def loss_of(theta):
        return mlp_gradients(X, y, _unflat(theta, layer_sizes), activation)[0]

    numeric = numerical_gradient(loss_of, _flat(params))
    assert loss == pytest.approx(loss_of(_flat(params)))
    assert relative_error(_flat(grads), numeric) < 1e-7


def test_loss_equals_binary_cross_entropy_of_forward():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(20, 3))
    y = rng.integers(0, 2, size=20)
    params = init_params([3, 6, 1], rng)
    loss, _ = mlp_gradients(X, y, params)
    assert loss == pytest.approx(binary_cross_entropy(y, mlp_forward(X, params)[:, 0]), rel=1e-12)
