"""Tests for dlcourse.activations: values, derivatives against central differences, stability."""

import warnings

import numpy as np
import pytest

from dlcourse.activations import (
    ACTIVATIONS,
    DERIVATIVES,
    get_activation,
    leaky_relu,
    leaky_relu_grad,
    relu,
    sigmoid,
    softmax,
    softmax_jacobian,
    tanh,
)
from dlcourse.gradcheck import numerical_gradient, relative_error

NAMES = ["sigmoid", "relu", "tanh", "leaky_relu", "identity"]


def _points(rng):
    t = rng.normal(0.0, 2.0, size=50)
    return t[np.abs(t) > 1e-3]  # keep away from the kink of (leaky) ReLU


def test_registries_hold_the_same_names():
    assert sorted(ACTIVATIONS) == sorted(DERIVATIVES) == sorted(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_derivative_matches_numerical_gradient(name):
    f, f_grad = get_activation(name)
    t = _points(np.random.default_rng(0))
    numeric = numerical_gradient(lambda v: np.sum(f(v)), t)
    assert relative_error(f_grad(t), numeric) < 1e-7


@pytest.mark.parametrize("name", NAMES)
def test_functions_keep_shape_and_do_not_mutate(name):
    f, f_grad = get_activation(name)
    t = np.random.default_rng(1).normal(size=(3, 4))
    t_copy = t.copy()
    assert f(t).shape == f_grad(t).shape == (3, 4)
    np.testing.assert_array_equal(t, t_copy)


def test_known_values():
    np.testing.assert_allclose(sigmoid(np.array([0.0, np.log(3.0)])), [0.5, 0.75])
    np.testing.assert_array_equal(relu(np.array([-1.0, 0.0, 2.0])), [0.0, 0.0, 2.0])
    np.testing.assert_allclose(tanh(np.array([0.5])), np.tanh([0.5]))
    np.testing.assert_allclose(leaky_relu(np.array([-2.0, 2.0])), [-0.02, 2.0])
    np.testing.assert_allclose(leaky_relu_grad(np.array([-2.0, 2.0]), alpha=0.2), [0.2, 1.0])
    assert float(sigmoid(3)) == pytest.approx(1 / (1 + np.exp(-3)))


def test_leaky_relu_derivative_with_other_alpha():
    t = _points(np.random.default_rng(2))
    numeric = numerical_gradient(lambda v: np.sum(leaky_relu(v, alpha=0.3)), t)
    assert relative_error(leaky_relu_grad(t, alpha=0.3), numeric) < 1e-7


def test_sigmoid_is_stable_for_every_float():
    t = np.array(
        [-np.finfo(float).max, -1e5, -800.0, -40.0, 0.0, 40.0, 800.0, 1e5, np.finfo(float).max]
    )
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        s = sigmoid(t)
        ds = DERIVATIVES["sigmoid"](t)
    assert np.all(np.isfinite(s)) and np.all(np.isfinite(ds))
    assert s[0] == 0.0 and s[-1] == 1.0 and s[4] == 0.5
    assert np.all(np.diff(s) >= 0)
    np.testing.assert_allclose(s + sigmoid(-t), 1.0)


def test_softmax_rows_sum_to_one_and_ignore_shifts():
    Z = np.random.default_rng(3).normal(size=(4, 5))
    S = softmax(Z)
    np.testing.assert_allclose(S.sum(axis=1), 1.0)
    np.testing.assert_allclose(softmax(Z + 1000.0), S)
    assert np.all(np.isfinite(softmax(np.array([1e308, 0.0]))))


def test_softmax_jacobian_matches_numerical_gradient():
    z = np.random.default_rng(4).normal(size=4)
    J = softmax_jacobian(z)
    numeric = np.stack([numerical_gradient(lambda v, i=i: softmax(v)[i], z) for i in range(4)])
    assert relative_error(J, numeric) < 1e-7
    np.testing.assert_allclose(J.sum(axis=1), 0.0, atol=1e-15)


def test_unknown_activation_is_named_in_the_error():
    with pytest.raises(ValueError, match=r"unknown activation 'swish'; expected one of \["):
        get_activation("swish")


def test_bad_softmax_input():
    with pytest.raises(ValueError, match="z has shape"):
        softmax_jacobian(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="Z has shape"):
        softmax(np.float64(1.0))
    with pytest.raises(ValueError, match="NaN"):
        softmax([np.nan, 1.0])
