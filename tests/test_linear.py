"""Tests for dlcourse.linear: least squares, gradient descent on MSE, logistic regression."""

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from dlcourse.data import make_curve
from dlcourse.linear import (
    fit_least_squares,
    fit_logistic_regression,
    gradient_descent,
    polynomial_features,
    predict_linear,
    predict_logistic,
)

rng = np.random.default_rng(0)


def test_polynomial_features():
    x = np.array([2.0, -1.0, 0.5])
    X = polynomial_features(x, 4)
    assert X.shape == (3, 4)
    np.testing.assert_allclose(X, np.column_stack([x, x**2, x**3, x**4]))
    np.testing.assert_allclose(polynomial_features(x[:, None], 1), x[:, None])


def test_least_squares_equals_numpy_lstsq():
    for n, d in [(30, 1), (50, 4), (5, 8)]:
        X, y = rng.normal(size=(n, d)), rng.normal(size=n)
        theta = fit_least_squares(X, y)
        reference, *_ = np.linalg.lstsq(np.column_stack([np.ones(n), X]), y, rcond=None)
        assert theta.shape == (d + 1,)
        np.testing.assert_allclose(theta, reference, atol=1e-10)


def test_polynomial_least_squares_fits_the_curve():
    x, y = make_curve(200, noise=0.05, rng=1)
    theta = fit_least_squares(polynomial_features(x, 5), y)
    y_hat = predict_linear(polynomial_features(x, 5), theta)
    assert np.mean((y_hat - np.sin(2 * np.pi * x)) ** 2) < 0.005


def test_predict_linear_uses_intercept_first():
    np.testing.assert_allclose(predict_linear([[1.0, 2.0]], [0.5, 1.0, -1.0]), [0.5 + 1.0 - 2.0])
    np.testing.assert_allclose(predict_linear([1.0, 2.0], [1.0, 3.0]), [4.0, 7.0])  # 1-D x


def test_gradient_descent_reaches_least_squares():
    X, y = rng.normal(size=(40, 3)), rng.normal(size=40)
    theta, losses = gradient_descent(X, y, lr=0.1, n_steps=2000)
    np.testing.assert_allclose(theta, fit_least_squares(X, y), atol=1e-8)
    assert losses.shape == (2000,)
    assert losses[0] == pytest.approx(np.mean(y**2))  # theta = 0 before the first update
    assert np.all(np.diff(losses) <= 1e-15)


def test_logistic_regression_reaches_sklearns_unregularised_solution():
    n = 400
    X = rng.normal(size=(n, 2))
    p_true = 1 / (1 + np.exp(-(1.5 * X[:, 0] - 2.0 * X[:, 1] + 0.5)))
    y = (rng.uniform(size=n) < p_true).astype(int)
    w, b = fit_logistic_regression(X, y, lr=1.0, n_steps=5000)
    # unregularised: C=np.inf (scikit-learn 1.8 deprecates the older spelling penalty=None)
    ref = LogisticRegression(C=np.inf, tol=1e-12, max_iter=10_000).fit(X, y)
    np.testing.assert_allclose(w, ref.coef_[0], atol=1e-6)
    assert b == pytest.approx(ref.intercept_[0], abs=1e-6)
    np.testing.assert_allclose(predict_logistic(X, w, b), ref.predict_proba(X)[:, 1], atol=1e-6)


def test_arguments_are_not_changed():
    X, y = rng.normal(size=(10, 2)), rng.integers(0, 2, size=10)
    X_copy, y_copy = X.copy(), y.copy()
    fit_least_squares(X, y)
    gradient_descent(X, y, 0.1, 3)
    fit_logistic_regression(X, y, n_steps=3)
    np.testing.assert_array_equal(X, X_copy)
    np.testing.assert_array_equal(y, y_copy)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: polynomial_features([1.0, 2.0], 0), "degree must be an integer >= 1, got 0"),
        (lambda: polynomial_features(np.zeros((3, 2)), 2), r"x has shape \(3, 2\)"),
        (lambda: fit_least_squares(np.zeros((5, 2)), np.zeros(4)), "y has length 4, expected 5"),
        (lambda: fit_least_squares(np.zeros((0, 2)), np.zeros(0)), "X is empty"),
        (
            lambda: predict_linear(np.zeros((5, 2)), np.zeros(2)),
            r"theta has shape \(2,\), expected \(3,\)",
        ),
        (
            lambda: gradient_descent(np.zeros((5, 2)), np.zeros(5), lr=0, n_steps=3),
            "lr must be a positive",
        ),
        (lambda: gradient_descent(np.zeros((5, 2)), np.zeros(5), lr=0.1, n_steps=0), "n_steps"),
        (lambda: fit_logistic_regression(np.zeros((3, 2)), [0, 1, 3]), "binary labels"),
        (
            lambda: predict_logistic(np.zeros((3, 2)), np.zeros(3), 0.0),
            r"w has shape \(3,\), expected \(2,\)",
        ),
    ],
)
def test_bad_input_raises_clear_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()
