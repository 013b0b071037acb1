"""Tests for dlcourse.initialization: seeded starting weights and the INITS schemes' spreads."""

import numpy as np
import pytest

from dlcourse import MLP
from dlcourse.initialization import INITS, init_params

HIDDEN = ["sigmoid", "tanh", "relu", "leaky_relu", "identity"]


def test_init_params_is_seeded():
    a = init_params([2, 5, 1], rng=3)
    b = init_params([2, 5, 1], rng=np.random.default_rng(3))
    c = init_params([2, 5, 1], rng=4)
    np.testing.assert_array_equal(a[0][0], b[0][0])
    assert not np.array_equal(a[0][0], c[0][0])
    np.testing.assert_array_equal(init_params([2, 5, 1])[0][0], init_params([2, 5, 1], 0)[0][0])


# ---------------------------------------------------------------------------------------------
# Initialisation schemes


@pytest.mark.parametrize(
    ("init", "std"),
    [
        ("he", lambda n_in, n_out: np.sqrt(2 / n_in)),
        ("glorot", lambda n_in, n_out: np.sqrt(2 / (n_in + n_out))),
        ("normal", lambda n_in, n_out: 1.0),
        ("small", lambda n_in, n_out: 0.01),
        ("zeros", lambda n_in, n_out: 0.0),
    ],
)
def test_init_schemes_have_their_documented_spread(init, std):
    params = init_params([300, 200, 100], rng=0, init=init)
    for W, b in params:
        n_in, n_out = W.shape
        assert W.std() == pytest.approx(std(n_in, n_out), rel=0.02, abs=1e-12)
        assert abs(W.mean()) <= 0.02 * std(n_in, n_out) + 1e-12
        np.testing.assert_array_equal(b, 0.0)
    assert init in INITS


def test_init_none_is_the_per_activation_choice():
    for activation in HIDDEN:
        a = init_params([4, 6, 3], rng=2, hidden_activation=activation)
        b = init_params([4, 6, 3], rng=2, hidden_activation=activation, init=None)
        np.testing.assert_array_equal(a[0][0], b[0][0])
    np.testing.assert_array_equal(
        init_params([4, 6, 1], rng=2, hidden_activation="relu", init="he")[0][0],
        init_params([4, 6, 1], rng=2, hidden_activation="relu")[0][0],
    )
    model = MLP([4, 6, 3], "tanh", seed=3, init="zeros")
    assert all(not W.any() for W, _ in model.params) and "init='zeros'" in repr(model)
