"""Realistic mistakes in exercise 01 (curve fitting); see tests/mistakes/__init__.py."""

PACKAGE_MODULES = {
    "mse": "dlcourse.losses",
    "polynomial_features": "dlcourse.linear",
    "fit_least_squares": "dlcourse.linear",
    "predict_linear": "dlcourse.linear",
    "gradient_descent": "dlcourse.linear",
}

MISTAKES = [
    dict(function="mse", why="sum instead of mean", source="""\
def mse(y, y_hat):
    return float(np.sum((np.asarray(y) - np.asarray(y_hat)) ** 2))
"""),
    dict(function="mse", why="absolute instead of squared error", source="""\
def mse(y, y_hat):
    return float(np.mean(np.abs(np.asarray(y) - np.asarray(y_hat))))
"""),
    dict(function="mse", why="hard-codes the answers of the visible checks", fails="hidden",
         source="""\
def mse(y, y_hat):
    known = {(1.0, 2.0, 3.0, 1.0, 2.0, 6.0): 3.0, (0.0, 0.0, 1.0, -1.0): 1.0}
    return known.get(tuple(np.ravel(y).tolist() + np.ravel(y_hat).tolist()), 0.0)
"""),
    dict(function="polynomial_features", why="includes the constant column x**0", source="""\
def polynomial_features(x, degree):
    return np.vander(np.asarray(x, dtype=float), degree + 1, increasing=True)
"""),
    dict(function="polynomial_features", why="powers 0..degree-1 (off by one)", source="""\
def polynomial_features(x, degree):
    x = np.asarray(x, dtype=float)
    return np.column_stack([x ** j for j in range(degree)])
"""),
    dict(function="fit_least_squares", why="missing intercept", source="""\
def fit_least_squares(X, y):
    theta, *_ = np.linalg.lstsq(np.asarray(X, dtype=float), y, rcond=None)
    return theta
"""),
    dict(function="predict_linear", why="ignores the intercept theta[0]", source="""\
def predict_linear(X, theta):
    return np.asarray(X) @ np.asarray(theta)[1:]
"""),
    dict(function="gradient_descent", why="flipped gradient sign", source="""\
def gradient_descent(X, y, lr, n_steps):
    A = np.column_stack([np.ones(len(X)), X])
    theta = np.zeros(A.shape[1])
    losses = []
    for _ in range(n_steps):
        residual = A @ theta - y
        losses.append(np.mean(residual ** 2))
        theta = theta + lr * 2 / len(y) * A.T @ residual
    return theta, np.array(losses)
"""),
    dict(function="gradient_descent", why="records the loss after the update", source="""\
def gradient_descent(X, y, lr, n_steps):
    A = np.column_stack([np.ones(len(X)), X])
    theta = np.zeros(A.shape[1])
    losses = []
    for _ in range(n_steps):
        theta = theta - lr * 2 / len(y) * A.T @ (A @ theta - y)
        losses.append(np.mean((A @ theta - y) ** 2))
    return theta, np.array(losses)
"""),
    dict(function="gradient_descent", why="gradient without the factor 2", source="""\
def gradient_descent(X, y, lr, n_steps):
    A = np.column_stack([np.ones(len(X)), X])
    theta = np.zeros(A.shape[1])
    losses = []
    for _ in range(n_steps):
        residual = A @ theta - y
        losses.append(np.mean(residual ** 2))
        theta = theta - lr / len(y) * A.T @ residual
    return theta, np.array(losses)
"""),
]
