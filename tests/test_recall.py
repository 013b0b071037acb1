"""The sign-recall task and its trainer (dlcourse.recall)."""

from __future__ import annotations

import numpy as np
import pytest

from dlcourse.recall import make_recall_task, train_recall


def test_the_task_puts_the_sign_first_and_noise_after():
    xs, labels = make_recall_task(400, 20, rng=3)
    assert xs.shape == (21, 400, 1) and labels.shape == (400,)
    assert set(np.unique(xs[0])) == {-1.0, 1.0}
    np.testing.assert_array_equal(labels, (xs[0, :, 0] > 0).astype(float))
    assert abs(xs[1:].std() - 0.5) < 0.02 and abs(xs[1:].mean()) < 0.02
    again, _ = make_recall_task(400, 20, rng=3)
    np.testing.assert_array_equal(xs, again)


def test_a_short_gap_is_learnt_by_both_kinds_and_the_labels_matter():
    rng = np.random.default_rng(0)
    X, labels = make_recall_task(300, 3, rng)
    X_test, labels_test = make_recall_task(200, 3, rng)
    for kind in ("lstm", "rnn"):
        assert (
            train_recall(kind, X, labels, X_test, labels_test, forget_bias=1.0, n_epochs=6) > 0.95
        )
    # with labels unrelated to the inputs nothing can be learnt: about a guess on the test set
    shuffled = rng.permutation(labels)
    shuffled_test = rng.permutation(labels_test)
    assert train_recall("lstm", X, shuffled, X_test, shuffled_test, n_epochs=3) < 0.65


def test_training_is_repeatable_for_a_seed():
    rng = np.random.default_rng(1)
    X, labels = make_recall_task(64, 5, rng)
    X_test, labels_test = make_recall_task(64, 5, rng)
    runs = [
        train_recall("rnn", X, labels, X_test, labels_test, seed=2, n_epochs=2) for _ in range(2)
    ]
    assert runs[0] == runs[1]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda X, y: train_recall("gru", X, y, X, y), "kind is 'gru'"),
        (lambda X, y: train_recall("rnn", X[..., 0], y, X, y), r"X has shape \(4, 8\)"),
        (lambda X, y: train_recall("rnn", X, y[:-1], X, y), r"labels has shape \(7,\)"),
        (lambda X, y: train_recall("rnn", X, y, X, y + 2), "labels_test"),
        (lambda X, y: train_recall("rnn", X, y, X, y, n_hidden=0), "n_hidden"),
        (lambda X, y: make_recall_task(0, 3), "n_samples"),
    ],
)
def test_bad_arguments_are_named(call, message):
    X, y = make_recall_task(8, 3, rng=0)
    with pytest.raises(ValueError, match=message):
        call(X, y)
