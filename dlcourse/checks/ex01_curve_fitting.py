"""Visible checks of exercise 01, curve fitting (chapter *Curve fitting*).

Small hand-made inputs with answers worked out by hand. Each check looks at one
student function only.
"""

import numpy as np

from dlcourse.testing import (
    assert_close,
    assert_own_implementation,
    assert_scalar,
    assert_shape,
)

__all__ = [
    "check_mse",
    "check_polynomial_features",
    "check_fit_least_squares",
    "check_predict_linear",
    "check_gradient_descent",
    "CHECKS",
]


def check_mse(mse):
    """``mse(y, y_hat)`` is the mean of the squared differences, a single number."""
    assert_own_implementation(mse)
    value = assert_scalar(mse(np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 6.0])), "mse")
    if np.isclose(value, 9.0):
        raise AssertionError("mse([1, 2, 3], [1, 2, 6]) is 9.0, expected 3.0: "
                             "did you sum instead of taking the mean?")
    assert_close(value, 3.0, "mse([1, 2, 3], [1, 2, 6])",
                 hint="the mean of the squared differences is (0 + 0 + 9) / 3")
    assert_close(assert_scalar(mse([0.0, 0.0], [1.0, -1.0]), "mse"), 1.0,
                 "mse([0, 0], [1, -1])", hint="square the differences before averaging")
    assert_close(assert_scalar(mse([2.5, -1.0], [2.5, -1.0]), "mse"), 0.0,
                 "mse(y, y) (a perfect prediction)")


def check_polynomial_features(polynomial_features):
    """Columns x, x**2, ..., x**degree, one row per sample, no constant column."""
    assert_own_implementation(polynomial_features)
    x = np.array([1.0, 2.0, 3.0])
    X = polynomial_features(x, 3)
    if np.shape(X) == (3, 4):
        raise AssertionError("polynomial_features(x, 3) has shape (3, 4), expected (3, 3): "
                             "leave out the constant column x**0 (the intercept is theta[0])")
    assert_shape(X, (3, 3), "polynomial_features([1, 2, 3], 3)")
    assert_close(X, [[1, 1, 1], [2, 4, 8], [3, 9, 27]], "polynomial_features([1, 2, 3], 3)",
                 hint="column j (counting from 0) holds x**(j + 1)")
    X1 = polynomial_features(np.array([0.5, -2.0]), 1)
    assert_shape(X1, (2, 1), "polynomial_features([0.5, -2], 1)")
    assert_close(X1, [[0.5], [-2.0]], "polynomial_features([0.5, -2], 1)")


def check_fit_least_squares(fit_least_squares):
    """Exact fit of a noiseless line: theta = [intercept, slope]."""
    assert_own_implementation(fit_least_squares)
    X = np.array([[0.0], [1.0], [2.0], [3.0]])
    y = 1.0 + 2.0 * X[:, 0]
    theta = fit_least_squares(X, y)
    if np.shape(theta) == (1,):
        raise AssertionError("fit_least_squares returned 1 parameter for 1 feature, expected 2: "
                             "add a column of ones to X for the intercept theta[0]")
    assert_shape(theta, (2,), "theta")
    assert_close(theta, [1.0, 2.0], "theta for y = 1 + 2 x", rtol=1e-6, atol=1e-6,
                 hint="theta[0] is the intercept, theta[1] the slope")
    X2 = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [2.0, 1.0]])
    y2 = 0.5 - 1.0 * X2[:, 0] + 3.0 * X2[:, 1]
    assert_close(fit_least_squares(X2, y2), [0.5, -1.0, 3.0], "theta for y = 0.5 - x1 + 3 x2",
                 rtol=1e-6, atol=1e-6)


def check_predict_linear(predict_linear):
    """y_hat = theta[0] + X @ theta[1:], one value per sample."""
    assert_own_implementation(predict_linear)
    X = np.array([[1.0, 2.0], [3.0, 4.0]])
    theta = np.array([1.0, 2.0, 3.0])
    y_hat = predict_linear(X, theta)
    if np.shape(y_hat) == (2,) and np.allclose(y_hat, [8.0, 18.0]):
        raise AssertionError("predict_linear forgot the intercept: add theta[0] to X @ theta[1:]")
    assert_shape(y_hat, (2,), "predict_linear(X, theta)")
    assert_close(y_hat, [9.0, 19.0], "predict_linear([[1, 2], [3, 4]], [1, 2, 3])",
                 hint="y_hat = theta[0] + X @ theta[1:]")


def _gd_reference(X, y, lr, n_steps):
    A = np.column_stack([np.ones(len(X)), X])
    theta = np.zeros(A.shape[1])
    losses = []
    for _ in range(n_steps):
        residual = A @ theta - y
        losses.append(np.mean(residual**2))
        theta = theta - lr * 2.0 / len(y) * A.T @ residual
    return theta, np.array(losses)


def check_gradient_descent(gradient_descent):
    """Iterates of full-batch gradient descent on the MSE, from theta = 0."""
    assert_own_implementation(gradient_descent)
    X = np.array([[0.0], [1.0], [2.0]])
    y = np.array([1.0, 3.0, 5.0])
    result = gradient_descent(X, y, 0.1, 1)
    if not (isinstance(result, (tuple, list)) and len(result) == 2):
        raise AssertionError("gradient_descent should return a pair (theta, losses)")
    theta, losses = result
    assert_shape(losses, (1,), "losses for n_steps=1")
    assert_close(losses[0], 35.0 / 3.0, "losses[0]",
                 hint="losses[0] is the MSE at theta = 0, before the first update")
    assert_shape(theta, (2,), "theta")
    if np.allclose(theta, [-0.6, -26.0 / 30.0]):
        raise AssertionError("theta after one step moves uphill: subtract lr * gradient, "
                             "do not add it")
    assert_close(theta, [0.6, 26.0 / 30.0], "theta after one step with lr=0.1",
                 hint="the MSE gradient is (2 / n_samples) * A.T @ (A @ theta - y), "
                      "where A is X with a column of ones in front")
    expected_theta, expected_losses = _gd_reference(X, y, 0.1, 20)
    theta, losses = gradient_descent(X, y, 0.1, 20)
    assert_shape(losses, (20,), "losses for n_steps=20")
    assert_close(losses, expected_losses, "losses", rtol=1e-6,
                 hint="losses[k] is the MSE before update k")
    assert_close(theta, expected_theta, "theta after 20 steps", rtol=1e-6)


CHECKS = {
    "mse": check_mse,
    "polynomial_features": check_polynomial_features,
    "fit_least_squares": check_fit_least_squares,
    "predict_linear": check_predict_linear,
    "gradient_descent": check_gradient_descent,
}
