"""Tests for dlcourse.estimator: the fit set-up the models share and the flat mini-batch loop."""

import numpy as np
import pytest

from dlcourse.cnn import CNN
from dlcourse.estimator import Estimator, FitSetup, train_minibatches
from dlcourse.mlp import MLP
from dlcourse.optim import make_optimizer
from dlcourse.training import minibatch_indices
from dlcourse.transformer import Transformer


class _Tiny(Estimator):
    DEFAULTS = {"gd": (0.5, 7), "adam": (0.01, 3)}


def test_fit_setup_takes_the_models_defaults_only_for_what_is_none():
    setup = _Tiny()._fit_setup("gd", None, None, None, None, None)
    assert setup == FitSetup("gd", 0.5, 7, None, None, None)
    setup = _Tiny()._fit_setup("adam", 0.2, None, 16, ([[0.0]], [0]), 2)
    assert (setup.lr, setup.n_epochs, setup.batch_size, setup.patience) == (0.2, 3, 16, 2)
    assert isinstance(setup.validation_data, tuple)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(optimizer="sgd"), r"unknown optimizer 'sgd'; expected one of \['adam', 'gd'\]"),
        (dict(lr=-1.0), "lr"),
        (dict(n_epochs=0), "n_epochs"),
        (dict(batch_size=0), "batch_size"),
        (dict(patience=2), "validation_data"),
    ],
)
def test_fit_setup_rejects_bad_options_naming_them(kwargs, match):
    options = dict(optimizer="gd", lr=None, n_epochs=None, batch_size=None,
                   validation_data=None, patience=None) | kwargs
    with pytest.raises(ValueError, match=match):
        _Tiny()._fit_setup(**options)


def test_each_model_accepts_its_own_optimizers():
    assert MLP([2, 3, 1])._fit_setup("adamw", None, None, None, None, None).lr == 0.05
    with pytest.raises(ValueError, match="unknown optimizer 'adamw'"):
        CNN(n_filters=2, n_hidden=4)._fit_setup("adamw", None, None, None, None, None)
    model = Transformer(vocab_size=3, max_len=2, d_model=4, n_heads=2, d_ff=4)
    assert model._fit_setup("adamw", None, None, None, None, None).n_epochs == 10


def test_record_fit_clears_a_previous_runs_validation_record():
    model = _Tiny()
    model._record_fit([1.0, 0.5], None)
    assert model.loss_history_.tolist() == [1.0, 0.5]
    assert model.val_loss_history_ is None and model.best_epoch_ is None


def _least_squares(n=40, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    return X, X @ np.array([1.0, -2.0, 0.5]) + 0.3


def _mean_squared(X, t, w, b):
    r = X @ w + b - t
    return float(np.mean(r * r)), [2 * X.T @ r / len(t), np.array(2 * np.mean(r))]


def test_the_loop_matches_a_plain_loop_written_out_by_hand():
    X, t = _least_squares()
    setup = FitSetup("momentum", 0.05, 4, 16, None, None)
    start = [np.zeros(3), np.array(0.0)]
    arrays, losses, stopper = train_minibatches(
        start, tuple, lambda p, batch: _mean_squared(X[batch], t[batch], *p), len(t), setup,
        np.random.default_rng(7))
    # the same schedule with separate arrays and the optimizer on each
    rng, opt = np.random.default_rng(7), make_optimizer("momentum", 0.05)
    w, b, expected = np.zeros(3), np.zeros(1), []
    for _ in range(4):
        total = 0.0
        for batch in minibatch_indices(len(t), 16, rng):
            loss, (dw, db) = _mean_squared(X[batch], t[batch], w, b[0])
            total += loss * len(batch)
            opt.update([w, b], [dw, np.atleast_1d(db)])
        expected.append(total / len(t))
    assert stopper is None
    np.testing.assert_allclose(losses, expected, rtol=1e-12)
    np.testing.assert_allclose(arrays[0], w, rtol=1e-12)
    np.testing.assert_allclose(arrays[1], b[0], rtol=1e-12)
    assert start[0].tolist() == [0.0, 0.0, 0.0]  # the starting values are not changed


def test_early_stopping_keeps_the_best_epochs_parameters():
    X, t = _least_squares()
    seen = []

    def validation_loss(p):
        seen.append(p[0].copy())
        return [3.0, 1.0, 2.0, 2.5][len(seen) - 1]  # best after epoch 1, then worse twice

    setup = FitSetup("gd", 0.01, 10, None, ([], []), 2)
    arrays, losses, stopper = train_minibatches(
        [np.zeros(3), np.array(0.0)], tuple,
        lambda p, batch: _mean_squared(X[batch], t[batch], *p), len(t), setup,
        np.random.default_rng(0), validation_loss)
    assert len(losses) == 4 and stopper.best_epoch == 1
    np.testing.assert_array_equal(arrays[0], seen[1])
