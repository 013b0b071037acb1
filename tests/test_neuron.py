"""Tests for dlcourse.neuron: one sigmoid neuron, its gradient and its training."""

import numpy as np
import pytest

from dlcourse.activations import sigmoid
from dlcourse.data import make_separable
from dlcourse.gradcheck import numerical_gradient, relative_error
from dlcourse.linear import fit_logistic_regression
from dlcourse.losses import binary_cross_entropy
from dlcourse.neuron import fit_neuron, neuron, neuron_gradients

rng = np.random.default_rng(0)


def test_neuron_is_sigmoid_of_weighted_sum():
    X, w, b = rng.normal(size=(6, 3)), rng.normal(size=3), 0.3
    np.testing.assert_allclose(neuron(X, w, b), sigmoid(X @ w + b))


def test_a_neuron_is_chapter_3s_logistic_regression_and_rejects_what_it_rejects():
    """Chapter 3 shows predict_logistic and chapter 4 neuron, each as its own one line: they
    stay the same function of a 2-D X (predict_logistic also reads a 1-D x as one feature)."""
    from dlcourse.linear import predict_logistic

    X, w, b = rng.normal(size=(5, 2)), rng.normal(size=2), -0.4
    np.testing.assert_array_equal(neuron(X, w, b), predict_logistic(X, w, b))
    for bad in [(X, np.zeros(3), 0.0), (X, w, np.zeros(2))]:
        with pytest.raises(ValueError) as from_neuron:
            neuron(*bad)
        with pytest.raises(ValueError) as from_linear:
            predict_logistic(*bad)
        assert str(from_neuron.value) == str(from_linear.value)


def test_neuron_gradients_match_numerical_gradient():
    X, y = rng.normal(size=(8, 3)), rng.integers(0, 2, size=8)
    w, b = rng.normal(size=3), -0.2
    loss, dw, db = neuron_gradients(X, y, w, b)
    assert loss == pytest.approx(binary_cross_entropy(y, neuron(X, w, b)))
    theta = np.append(w, b)
    numeric = numerical_gradient(lambda t: neuron_gradients(X, y, t[:3], t[3])[0], theta)
    assert relative_error(np.append(dw, db), numeric) < 1e-7


def test_fit_neuron_is_logistic_regression_and_separates_blobs():
    X, y = make_separable(100)
    w, b = fit_neuron(X, y, lr=0.5, n_steps=300)
    w_ref, b_ref = fit_logistic_regression(X, y, lr=0.5, n_steps=300)
    np.testing.assert_array_equal(w, w_ref)
    assert b == b_ref
    assert np.mean((neuron(X, w, b) > 0.5) == y) == 1.0


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (
            lambda: neuron(np.zeros((3, 2)), np.zeros(3), 0.0),
            r"w has shape \(3,\), expected \(2,\)",
        ),
        (lambda: neuron(np.zeros((3, 2)), np.zeros(2), np.zeros(2)), "b must be a finite number"),
        (
            lambda: neuron_gradients(np.zeros((3, 2)), [0, 1], np.zeros(2), 0.0),
            "y has length 2, expected 3",
        ),
        (lambda: fit_neuron(np.zeros(3), [0, 1, 0], 0.1, 10), r"X has shape \(3,\)"),
    ],
)
def test_bad_input_raises_clear_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()
