"""Visible checks of exercise 06_practical_example (the lecture's XOR example with scikit-learn).

Each ``check_<function>(func)`` calls only the student's ``func``. ``make_xor`` is judged by
the properties of its output (shapes, range, labels, spread, reproducibility), never by
particular random draws; the classifier is judged by its test accuracy on XOR data made here.
"""

from __future__ import annotations

import numpy as np
from threadpoolctl import threadpool_limits

from dlcourse.testing import assert_close, assert_own_implementation, assert_scalar, assert_shape


def xor_data(n_samples, rng):
    """XOR data made independently of the student's ``make_xor`` (for the checks)."""
    X = rng.uniform(-1.0, 1.0, size=(n_samples, 2))
    return X, (X[:, 0] * X[:, 1] > 0).astype(int)


def check_xor_sample(X, y, n_samples, what):
    """Check shapes, range, labels and spread of one XOR sample."""
    assert_shape(X, (n_samples, 2), f"X of {what}")
    assert_shape(y, (n_samples,), f"y of {what}")
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    if not np.all(np.isfinite(X)) or X.min() < -1.0 or X.max() > 1.0:
        raise AssertionError(
            f"X of {what} has values from {X.min():.3g} to {X.max():.3g}, expected the square "
            "[-1, 1] x [-1, 1]: draw uniform numbers, e.g. rng.uniform(-1, 1, size=(n_samples, 2))")
    if not np.all(np.isin(y, (0.0, 1.0))):
        raise AssertionError(f"y of {what} should hold the labels 0 and 1, got the values "
                             f"{np.unique(y)[:5].tolist()}")
    expected = (X[:, 0] * X[:, 1] > 0).astype(float)
    wrong = int(np.sum(y != expected))
    if wrong:
        hint = ("the labels are swapped: y = 1 where x1 * x2 > 0 (first and third quadrants)"
                if wrong == n_samples else "y must be 1 exactly where x1 * x2 > 0")
        raise AssertionError(f"{wrong} of {n_samples} labels of {what} are wrong: {hint}")
    if n_samples >= 1000:
        means = X.mean(axis=0)
        if np.any(np.abs(means) > 0.1):
            raise AssertionError(
                f"the columns of X of {what} have means {np.round(means, 3).tolist()}, expected "
                "about 0: draw from the whole square [-1, 1]^2, not from [0, 1]")
        outer = float(np.mean(np.abs(X) > 0.5))
        if not 0.42 < outer < 0.58:
            raise AssertionError(
                f"{outer:.0%} of the coordinates of X of {what} lie beyond +-0.5, expected about "
                "50% for uniform numbers on [-1, 1]: use rng.uniform, not rng.normal")
        right, up = X[:, 0] > 0, X[:, 1] > 0
        quadrants = np.array([np.mean((right == a) & (up == c))
                              for a in (False, True) for c in (False, True)])
        if np.any(np.abs(quadrants - 0.25) > 0.06):
            raise AssertionError(
                f"the four quadrants hold {np.round(quadrants, 3).tolist()} of the points of "
                f"{what}, expected about a quarter each: draw x1 and x2 independently")


def _same(first, second):
    return all(np.array_equal(np.asarray(a), np.asarray(b)) for a, b in zip(first, second,
                                                                            strict=True))


def check_make_xor(make_xor):
    """Check make_xor's shapes, range, labels, spread and reproducibility."""
    assert_own_implementation(make_xor, "make_xor")
    X, y = make_xor(1000, 0)
    check_xor_sample(X, y, 1000, "make_xor(1000, 0)")
    X, y = make_xor(5, 1)
    check_xor_sample(X, y, 5, "make_xor(5, 1)")
    if not _same(make_xor(50, 7), make_xor(50, 7)):
        raise AssertionError(
            "make_xor(50, 7) returned different data on two calls: draw the numbers from "
            "np.random.default_rng(rng), never from np.random, so the same seed gives the same "
            "data")
    if _same(make_xor(50, 7), make_xor(50, 8)):
        raise AssertionError("make_xor(50, 7) and make_xor(50, 8) returned the same data: "
                             "use the seed rng to create the generator")
    first = make_xor(50, np.random.default_rng(3))
    check_xor_sample(*first, 50, "make_xor(50, np.random.default_rng(3))")
    if not _same(first, make_xor(50, np.random.default_rng(3))):
        raise AssertionError("make_xor with two generators seeded alike returned different data: "
                             "draw the numbers from the generator you are given")


def check_accuracy(accuracy):
    """Check accuracy on lists and arrays with known answers."""
    assert_own_implementation(accuracy, "accuracy")
    value = assert_scalar(accuracy([1, 0, 1, 1], [1, 1, 1, 0]),
                          "accuracy([1, 0, 1, 1], [1, 1, 1, 0])")
    if np.isclose(value, 2.0):
        raise AssertionError("accuracy([1, 0, 1, 1], [1, 1, 1, 0]) is 2, the number of correct "
                             "predictions: divide by the number of samples (it should be 0.5)")
    if np.isclose(value, 50.0):
        raise AssertionError("accuracy([1, 0, 1, 1], [1, 1, 1, 0]) is 50, a percentage: return a "
                             "fraction between 0 and 1 (0.5)")
    assert_close(value, 0.5, "accuracy([1, 0, 1, 1], [1, 1, 1, 0])",
                 hint="the fraction of samples whose prediction equals the label")
    y = np.array([0, 1, 1, 0, 1])
    assert_close(assert_scalar(accuracy(y, y.copy()), "accuracy(y, y)"), 1.0, "accuracy(y, y)")
    assert_close(assert_scalar(accuracy(y, 1 - y), "accuracy(y, 1 - y)"), 0.0, "accuracy(y, 1 - y)")
    value = accuracy(np.array([1, 0, 0]), np.array([1.0, 0.0, 1.0]))
    assert_close(assert_scalar(value, "accuracy of int labels and float predictions"), 2 / 3,
                 "accuracy([1, 0, 0], [1.0, 0.0, 1.0])",
                 hint="compare labels and predictions element by element, e.g. np.mean(y == y_hat)")


def fit_and_score(fit_mlp_classifier, seed, n_train=700, n_test=300, data_seed=None):
    """Fit on fresh XOR data and return (model, test accuracy) after checking the model.

    The data set is drawn with ``1000 + data_seed`` (default: ``seed``), so that two seeds can
    be fitted to the same data.
    """
    from sklearn.exceptions import NotFittedError
    from sklearn.neural_network import MLPClassifier

    data_seed = seed if data_seed is None else data_seed
    X, y = xor_data(n_train + n_test, np.random.default_rng(1000 + data_seed))
    X_train, y_train, X_test, y_test = X[:n_train], y[:n_train], X[n_train:], y[n_train:]
    with threadpool_limits(limits=1):  # tiny matrices: threads only add overhead
        model = fit_mlp_classifier(X_train, y_train, seed)
        if model is None:
            raise AssertionError("fit_mlp_classifier returned None: return the fitted classifier")
        if not isinstance(model, MLPClassifier):
            raise AssertionError(
                f"fit_mlp_classifier returned a {type(model).__name__}, expected a fitted "
                "sklearn.neural_network.MLPClassifier")
        # the class's own predict: an instance attribute `model.predict = ...` would stand in
        # for the network (hostile review 21b, hole 5); the grader's judge refuses it too
        own = getattr(model, "__dict__", None)
        if type(model) is model.__class__ and isinstance(own, dict) and "predict" in own:
            raise AssertionError("fit_mlp_classifier replaced the classifier's predict method "
                                 "on the model: return the fitted MLPClassifier unchanged")
        try:
            predicted = model.predict(X_test)
        except NotFittedError:
            raise AssertionError("the classifier is not fitted: call model.fit(X_train, y_train) "
                                 "and return the fitted model") from None
    return model, float(np.mean(np.asarray(predicted) == y_test))


def check_fit_mlp_classifier(fit_mlp_classifier):
    """Check that the classifier reaches 90 % test accuracy on XOR and is reproducible."""
    assert_own_implementation(fit_mlp_classifier, "fit_mlp_classifier")
    model, score = fit_and_score(fit_mlp_classifier, seed=0)
    if not score >= 0.9:
        raise AssertionError(
            f"test accuracy {score:.1%} on XOR data (700 training, 300 test samples), expected at "
            "least 90%: scikit-learn's default solver (adam) stops early on a plateau here; try "
            "solver='lbfgs' and a nonlinear activation such as 'tanh' or 'logistic'")
    again, _ = fit_and_score(fit_mlp_classifier, seed=0, n_train=200, n_test=50)
    once_more, _ = fit_and_score(fit_mlp_classifier, seed=0, n_train=200, n_test=50)
    if not all(np.array_equal(a, b) for a, b in zip(again.coefs_, once_more.coefs_, strict=True)):
        raise AssertionError(
            "two fits with the same seed on the same data gave different weights: pass "
            "random_state=seed to MLPClassifier")


CHECKS = {
    "make_xor": check_make_xor,
    "accuracy": check_accuracy,
    "fit_mlp_classifier": check_fit_mlp_classifier,
}
