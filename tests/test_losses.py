"""Tests for dlcourse.losses: values, gradients against central differences, edge cases."""

import warnings

import numpy as np
import pytest
from sklearn.metrics import log_loss, mean_squared_error

from dlcourse.activations import sigmoid
from dlcourse.gradcheck import numerical_gradient, relative_error
from dlcourse.losses import (
    EPS,
    binary_cross_entropy,
    binary_cross_entropy_grad,
    binary_cross_entropy_with_logits,
    mse,
    mse_grad,
)

rng = np.random.default_rng(0)
Y = rng.integers(0, 2, size=12)
P = rng.uniform(0.05, 0.95, size=12)


def test_mse_equals_sklearn_and_its_gradient_is_right():
    y = rng.normal(size=10)
    y_hat = rng.normal(size=10)
    assert mse(y, y_hat) == pytest.approx(mean_squared_error(y, y_hat))
    numeric = numerical_gradient(lambda v: mse(y, v), y_hat)
    assert relative_error(mse_grad(y, y_hat), numeric) < 1e-7


def test_bce_equals_sklearn_log_loss_and_its_gradient_is_right():
    assert binary_cross_entropy(Y, P) == pytest.approx(log_loss(Y, P))
    numeric = numerical_gradient(lambda v: binary_cross_entropy(Y, v), P)
    assert relative_error(binary_cross_entropy_grad(Y, P), numeric) < 1e-7


def test_bce_is_finite_at_zero_and_one():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = binary_cross_entropy([1, 0, 1, 0], [0.0, 1.0, 1.0, 0.0])
        grad = binary_cross_entropy_grad([1, 0], [0.0, 1.0])
    assert np.isfinite(loss)
    assert loss == pytest.approx(-np.log(EPS) / 2, rel=1e-6)
    assert np.all(np.isfinite(grad))


def test_bce_with_logits_equals_bce_of_sigmoid():
    z = rng.normal(0, 3, size=12)
    assert binary_cross_entropy_with_logits(Y, z) == pytest.approx(
        binary_cross_entropy(Y, sigmoid(z))
    )
    # exact where the clipped version saturates
    assert binary_cross_entropy_with_logits([1], [-100.0]) == pytest.approx(100.0)


def test_column_prediction_is_accepted_for_vector_labels():
    assert binary_cross_entropy(Y, P[:, None]) == pytest.approx(binary_cross_entropy(Y, P))
    assert binary_cross_entropy_grad(Y, P[:, None]).shape == (12, 1)
    assert mse_grad(np.ones(3), np.zeros((3, 1))).shape == (3, 1)


def test_arguments_are_not_changed():
    p = np.array([0.0, 1.0, 0.5])
    binary_cross_entropy([0, 1, 1], p)
    np.testing.assert_array_equal(p, [0.0, 1.0, 0.5])


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (
            lambda: binary_cross_entropy([0, 2], [0.5, 0.5]),
            r"y must hold binary labels 0 or 1, got values such as \[2.0\]",
        ),
        (
            lambda: binary_cross_entropy([0, 1], [0.5, 1.5]),
            r"p must hold probabilities in \[0, 1\]",
        ),
        (lambda: binary_cross_entropy_grad([0, 0.5], [0.5, 0.5]), "binary labels"),
        (
            lambda: binary_cross_entropy([0, 1, 1], [0.5, 0.5]),
            r"y has shape \(3,\) but p has shape \(2,\)",
        ),
        (
            lambda: mse(np.zeros(3), np.zeros((3, 3))),
            r"y has shape \(3,\) but y_hat has shape \(3, 3\)",
        ),
        (lambda: mse([], []), "empty"),
        (lambda: mse([1.0, np.nan], [1.0, 2.0]), "NaN"),
    ],
)
def test_bad_input_raises_clear_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_softmax_cross_entropy_equals_sklearn_log_loss_and_its_gradient_is_right():
    from dlcourse.activations import softmax
    from dlcourse.data import one_hot
    from dlcourse.losses import softmax_cross_entropy, softmax_cross_entropy_grad

    gen = np.random.default_rng(3)
    Z = gen.normal(size=(9, 4))
    y = gen.integers(0, 4, size=9)
    assert softmax_cross_entropy(y, Z) == pytest.approx(log_loss(y, softmax(Z), labels=range(4)))
    numeric = numerical_gradient(lambda v: softmax_cross_entropy(y, v), Z)
    assert relative_error(softmax_cross_entropy_grad(y, Z), numeric) < 1e-7
    np.testing.assert_allclose(softmax_cross_entropy_grad(y, Z), (softmax(Z) - one_hot(y, 4)) / 9)


def test_softmax_cross_entropy_is_stable_for_huge_logits():
    from dlcourse.losses import softmax_cross_entropy, softmax_cross_entropy_grad

    Z = np.array([[1e300, -1e300, 0.0], [-1e300, 1e300, 1e300]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = softmax_cross_entropy([2, 1], Z)
        grad = softmax_cross_entropy_grad([2, 1], Z)
    assert np.isfinite(loss) and loss > 1e299
    assert np.all(np.isfinite(grad))


@pytest.mark.parametrize(
    "y, Z, match",
    [
        ([0, 3], np.zeros((2, 3)), r"y must hold class labels 0 to 2"),
        ([0, 0.5], np.zeros((2, 3)), r"integer class labels"),
        ([0], np.zeros((2, 3)), r"y has length 1, expected 2"),
        ([0, 1], np.zeros(3), r"Z has shape \(3,\)"),
        ([0, 1], np.zeros((2, 1)), r"two classes"),
    ],
)
def test_softmax_cross_entropy_bad_input(y, Z, match):
    from dlcourse.losses import softmax_cross_entropy, softmax_cross_entropy_grad

    for f in (softmax_cross_entropy, softmax_cross_entropy_grad):
        with pytest.raises(ValueError, match=match):
            f(y, Z)


# ----------------------------------------------------------------------------- the registry

_REGISTRY_CASES = {
    "mse": (rng.normal(size=(6, 2)), rng.normal(size=(6, 2))),
    "binary_cross_entropy": (rng.integers(0, 2, size=8), rng.uniform(0.1, 0.9, size=8)),
    "softmax_cross_entropy": (rng.integers(0, 3, size=5), rng.normal(size=(5, 3))),
}


def test_the_registry_names_the_same_losses_as_their_gradients_and_as_the_cases_here():
    from dlcourse.losses import LOSS_GRADIENTS, LOSSES

    assert set(LOSSES) == set(LOSS_GRADIENTS) == set(_REGISTRY_CASES)


@pytest.mark.parametrize("name", sorted(_REGISTRY_CASES))
def test_every_registered_gradient_matches_central_differences_of_its_loss(name):
    from dlcourse.losses import get_loss

    loss, grad = get_loss(name)
    y, prediction = _REGISTRY_CASES[name]
    analytic = grad(y, prediction)
    assert analytic.shape == np.shape(prediction)
    numeric = numerical_gradient(lambda v: loss(y, v), prediction.copy())
    assert relative_error(analytic, numeric) < 1e-6


@pytest.mark.parametrize("name", ["cross_entropy", None, 3])
def test_get_loss_names_the_known_losses_for_an_unknown_one(name):
    from dlcourse.losses import get_loss

    with pytest.raises(ValueError, match=r"unknown loss .*expected one of \['binary_cross"):
        get_loss(name)
