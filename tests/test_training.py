"""Tests for dlcourse.training: mini-batch indices, the fit options and early stopping."""

import math

import numpy as np
import pytest

from dlcourse.training import EarlyStopping, check_fit_options, minibatch_indices


@pytest.mark.parametrize(("n", "batch_size"), [(10, 3), (10, 10), (7, 20), (32, 8)])
def test_minibatches_cover_every_sample_once_and_are_seeded(n, batch_size):
    batches = minibatch_indices(n, batch_size, np.random.default_rng(5))
    assert sorted(np.concatenate(batches).tolist()) == list(range(n))
    assert all(len(b) == batch_size for b in batches[:-1]) and 0 < len(batches[-1]) <= batch_size
    again = minibatch_indices(n, batch_size, np.random.default_rng(5))
    assert all(np.array_equal(a, b) for a, b in zip(batches, again, strict=True))
    order = np.random.default_rng(5).permutation(n)
    np.testing.assert_array_equal(np.concatenate(batches), order)


def test_early_stopping_counts_epochs_since_the_best():
    stopper = EarlyStopping(patience=3)
    for loss in [5.0, 4.0, 4.5, 4.0, 3.9, 4.2, 4.1]:
        assert not stopper.should_stop
        stopper.record(loss)
    assert (stopper.best_epoch, stopper.best_loss) == (4, 3.9)
    assert not stopper.should_stop  # two epochs since the best
    stopper.record(3.95)
    assert stopper.should_stop
    assert stopper.history == [5.0, 4.0, 4.5, 4.0, 3.9, 4.2, 4.1, 3.95]


def test_without_patience_the_losses_are_only_recorded():
    stopper = EarlyStopping()
    for loss in [1.0, 2.0, 3.0, 4.0, float("nan")]:
        stopper.record(loss)
    assert not stopper.should_stop and stopper.best_epoch == 0


def test_nan_losses_never_count_as_better():
    stopper = EarlyStopping(patience=2)
    assert not stopper.record(math.nan)
    assert stopper.best_epoch is None and not stopper.should_stop
    stopper.record(math.nan)
    assert stopper.should_stop


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"batch_size": 0}, "batch_size must be an integer >= 1"),
        ({"validation_data": [1, 2, 3]}, "validation_data must be a pair .* list of length 3"),
        ({"validation_data": np.zeros((2, 2))}, "validation_data must be a pair .* ndarray"),
        ({"validation_data": (1, 2), "patience": 0}, "patience must be an integer >= 1"),
        ({"validation_data": (1, 2), "patience": 1.5}, "patience must be an integer >= 1"),
        ({"patience": 2}, "validation_data is None"),
    ],
)
def test_bad_fit_options_raise_clear_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        check_fit_options(**kwargs)


def test_good_fit_options_pass_through():
    assert check_fit_options(8, [1, 2], 3) == (8, (1, 2), 3)
