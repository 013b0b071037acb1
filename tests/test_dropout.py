"""Tests for dlcourse.dropout (re-exported by dlcourse.layers): inverted dropout."""

import numpy as np
import pytest

from dlcourse import layers
from dlcourse.gradcheck import numerical_gradient, relative_error

rng = np.random.default_rng(0)


def test_the_contract_names_work_as_layers_functions():
    assert layers.dropout_forward.__module__ == "dlcourse.dropout"
    assert layers.dropout_backward.__module__ == "dlcourse.dropout"


def test_kept_entries_are_scaled_and_dropped_ones_are_zero():
    X = rng.normal(size=(200, 50))
    out, mask = layers.dropout_forward(X, 0.3, rng=np.random.default_rng(1))
    assert mask.dtype == bool and mask.shape == X.shape
    np.testing.assert_allclose(out[mask], X[mask] / 0.7)
    assert np.all(out[~mask] == 0)
    # about 70 % kept: 10 000 Bernoulli(0.7) draws have a standard deviation of ~0.005
    assert abs(mask.mean() - 0.7) < 0.02


def test_the_expected_output_is_the_input():
    X = np.full((400, 400), 2.0)
    out, _ = layers.dropout_forward(X, 0.5, rng=np.random.default_rng(2))
    assert abs(out.mean() - 2.0) < 0.02  # 160 000 draws


def test_evaluation_mode_changes_nothing():
    X = rng.normal(size=(3, 4))
    out, mask = layers.dropout_forward(X, 0.9, training=False)
    assert mask is None
    np.testing.assert_array_equal(out, X)


def test_p_zero_keeps_everything():
    X = rng.normal(size=(3, 4))
    out, mask = layers.dropout_forward(X, 0.0, rng=3)
    assert mask.all()
    np.testing.assert_array_equal(out, X)


def test_same_seed_same_mask_and_a_generator_moves_on():
    X = np.ones((5, 5))
    _, m1 = layers.dropout_forward(X, 0.5, rng=7)
    _, m2 = layers.dropout_forward(X, 0.5, rng=7)
    np.testing.assert_array_equal(m1, m2)
    gen = np.random.default_rng(7)
    _, m3 = layers.dropout_forward(X, 0.5, rng=gen)
    _, m4 = layers.dropout_forward(X, 0.5, rng=gen)
    assert not np.array_equal(m3, m4)


def test_backward_matches_numerical_gradients():
    X, G = rng.normal(size=(4, 6)), rng.normal(size=(4, 6))
    _, mask = layers.dropout_forward(X, 0.4, rng=5)

    def loss(x):  # the mask is fixed: the layer is then linear in X
        return np.sum(x * mask / 0.6 * G)

    numeric = numerical_gradient(loss, X.copy())
    assert relative_error(layers.dropout_backward(G, mask, 0.4), numeric) < 1e-8


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: layers.dropout_forward(np.ones(3), 1.0), "p must be"),
        (lambda: layers.dropout_forward(np.ones(3), -0.1), "p must be"),
        (lambda: layers.dropout_forward(np.ones(3), True), "p must be"),
        (lambda: layers.dropout_forward([np.nan], 0.5), "X contains NaN"),
        (lambda: layers.dropout_forward(np.ones(3), 0.5, training="yes"), "training must be"),
        (lambda: layers.dropout_forward(np.ones(3), 0.5, rng="seed"), "rng must be"),
        (lambda: layers.dropout_backward(np.ones(3), np.ones(3), 0.5), "mask has dtype"),
        (lambda: layers.dropout_backward(np.ones(3), np.ones(2, bool), 0.5), "mask has shape"),
        (lambda: layers.dropout_backward(np.ones(3), np.ones(3, bool), 2), "p must be"),
    ],
)
def test_bad_input_gets_a_clear_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()
