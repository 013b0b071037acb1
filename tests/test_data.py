"""Tests for dlcourse.data: the generators, their seeding and their checks."""

import numpy as np
import pytest
import sklearn.datasets
import sklearn.model_selection
from sklearn.svm import LinearSVC

from dlcourse import data
from dlcourse.data import as_rng, make_circles, make_curve, make_moons, make_separable, make_xor


def test_as_rng_accepts_none_int_and_generator():
    g = np.random.default_rng(5)
    assert as_rng(g) is g
    assert as_rng(None).random() == np.random.default_rng(0).random()
    assert as_rng(7).random() == np.random.default_rng(7).random()


@pytest.mark.parametrize("bad", [-1, 1.5, "0", np.random.RandomState(0), True])
def test_as_rng_rejects_other_things(bad):
    with pytest.raises(ValueError, match="rng"):
        as_rng(bad)


def test_make_xor_is_the_lecture_example():
    X, y = make_xor()
    assert X.shape == (1000, 2) and y.shape == (1000,)
    assert X.min() >= -1 and X.max() <= 1
    np.testing.assert_array_equal(y, (X[:, 0] * X[:, 1] > 0).astype(int))
    assert 0.4 < y.mean() < 0.6
    assert y.dtype.kind == "i"


@pytest.mark.parametrize("make", [make_xor, make_curve, make_moons, make_circles, make_separable])
def test_generators_are_seeded(make):
    a, b, c = make(rng=None), make(rng=0), make(rng=1)
    np.testing.assert_array_equal(a[0], b[0])
    assert not np.array_equal(a[0], c[0])
    d, e = make(rng=np.random.default_rng(3)), make(rng=np.random.default_rng(3))
    np.testing.assert_array_equal(d[0], e[0])


def test_make_curve():
    x, y = make_curve(40, noise=0.1, rng=2)
    assert x.shape == y.shape == (40,)
    assert np.all(np.diff(x) >= 0) and x.min() >= 0 and x.max() <= 1
    residual = y - np.sin(2 * np.pi * x)
    assert 0.05 < residual.std() < 0.2


def test_moons_and_circles_are_scikit_learns():
    X, y = make_moons(50, noise=0.1, rng=4)
    X_ref, y_ref = sklearn.datasets.make_moons(n_samples=50, noise=0.1, random_state=4)
    np.testing.assert_array_equal(X, X_ref)
    np.testing.assert_array_equal(y, y_ref)
    X, y = make_circles(60, rng=4)
    X_ref, y_ref = sklearn.datasets.make_circles(
        n_samples=60, noise=0.1, factor=0.5, random_state=4
    )
    np.testing.assert_array_equal(X, X_ref)


def test_make_separable_is_linearly_separable():
    for seed in range(5):
        X, y = make_separable(300, rng=seed)
        assert X.shape == (300, 2) and set(np.unique(y)) == {0, 1}
        assert LinearSVC(C=1e4, max_iter=100_000).fit(X, y).score(X, y) == 1.0


def test_train_test_split_is_scikit_learns():
    assert data.train_test_split is sklearn.model_selection.train_test_split


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: make_xor(0), "n_samples must be an integer >= 1, got 0"),
        (lambda: make_xor(10.5), "n_samples must be an integer"),
        (lambda: make_curve(10, noise=-1.0), "noise must be a number >= 0"),
        (lambda: make_separable(-3), "n_samples"),
        (lambda: data.make_sort_task(0), "n must be an integer >= 1"),
        (lambda: data.make_sort_task(5, length=0), "length must be"),
        (lambda: data.make_sort_task(5, n_symbols=1), "n_symbols must be an integer >= 2"),
        (lambda: data.make_sort_task(5, seed=-1), "seed must be"),
    ],
)
def test_bad_input_raises_clear_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_load_digits_is_scikit_learns_scaled_to_unit_range():
    from sklearn.datasets import load_digits as sk_load_digits

    from dlcourse.data import load_digits

    X, y = load_digits()
    sk = sk_load_digits()
    assert X.shape == (1797, 64) and y.shape == (1797,)
    np.testing.assert_array_equal(X * 16, sk.data)
    np.testing.assert_array_equal(y, sk.target)
    images, y2 = load_digits(as_images=True)
    assert images.shape == (1797, 1, 8, 8)
    np.testing.assert_array_equal(images[5, 0], sk.images[5] / 16)
    np.testing.assert_array_equal(y2, y)
    with pytest.raises(ValueError, match="as_images must be True or False"):
        load_digits(as_images="yes")


def test_one_hot():
    from dlcourse.data import one_hot

    Y = one_hot(np.array([1, 0, 2, 1]), 3)
    np.testing.assert_array_equal(Y.argmax(axis=1), [1, 0, 2, 1])
    np.testing.assert_array_equal(Y.sum(axis=1), np.ones(4))
    with pytest.raises(ValueError, match=r"y must hold class labels 0 to 1 \(2 classes\)"):
        one_hot([0, 2], 2)
    with pytest.raises(ValueError, match="n_classes must be an integer"):
        one_hot([0], 0)


def test_make_sort_task_sequences_are_the_list_sep_and_the_sorted_list():
    X, y = data.make_sort_task(500, length=4, n_symbols=7, seed=3)
    assert X.shape == y.shape == (500, 8) and X.dtype.kind == y.dtype.kind == "i"
    np.testing.assert_array_equal(X[:, 1:], y[:, :-1])  # y is X moved on by one token
    sequences = np.concatenate([X, y[:, -1:]], axis=1)
    a, sep, s = sequences[:, :4], sequences[:, 4], sequences[:, 5:]
    assert np.all(sep == 7)
    assert a.min() == 0 and a.max() == 6  # every symbol occurs, SEP never inside a list
    for row_a, row_s in zip(a, s, strict=True):
        assert sorted(row_a.tolist()) == row_s.tolist()
    np.testing.assert_array_equal(y[:, -4:], s)  # the answer
    X2, _ = data.make_sort_task(500, length=4, n_symbols=7, seed=3)
    X3, _ = data.make_sort_task(500, length=4, n_symbols=7, seed=4)
    np.testing.assert_array_equal(X, X2)
    assert not np.array_equal(X, X3)
