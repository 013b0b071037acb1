"""Independent correct answers for exercise 01 (curve fitting), in different styles."""

from tests.independent import with_own_helpers

# ruff: noqa: E501  (the sources are student-style solution cells, kept as written)

VARIANTS = {
    # Plain Python: loops, lists in and out, Python floats, normal equations by Gauss elimination.
    "python_loops": {
        "mse": '''
            def mse(y, y_hat):
                total = 0.0
                count = 0
                for a, b in zip(list(y), list(y_hat)):
                    total += (float(a) - float(b)) ** 2
                    count += 1
                return total / count
            ''',
        "polynomial_features": '''
            def polynomial_features(x, degree):
                rows = []
                for value in list(x):
                    row, power = [], 1.0
                    for _ in range(int(degree)):
                        power *= float(value)
                        row.append(power)
                    rows.append(row)
                return rows
            ''',
        "fit_least_squares": '''
            def _solve(A, b):
                # Gaussian elimination with partial pivoting on lists
                n = len(A)
                M = [list(map(float, A[i])) + [float(b[i])] for i in range(n)]
                for col in range(n):
                    pivot = max(range(col, n), key=lambda r: abs(M[r][col]))
                    M[col], M[pivot] = M[pivot], M[col]
                    for r in range(col + 1, n):
                        factor = M[r][col] / M[col][col]
                        for c in range(col, n + 1):
                            M[r][c] -= factor * M[col][c]
                x = [0.0] * n
                for r in reversed(range(n)):
                    x[r] = (M[r][n] - sum(M[r][c] * x[c] for c in range(r + 1, n))) / M[r][r]
                return x


            def fit_least_squares(X, y):
                rows = [[1.0] + [float(v) for v in row] for row in np.asarray(X).tolist()]
                targets = [float(v) for v in y]
                p = len(rows[0])
                AtA = [[sum(r[i] * r[j] for r in rows) for j in range(p)] for i in range(p)]
                Aty = [sum(r[i] * t for r, t in zip(rows, targets)) for i in range(p)]
                return _solve(AtA, Aty)
            ''',
        "predict_linear": '''
            def predict_linear(X, theta):
                theta = [float(t) for t in theta]
                out = []
                for row in np.asarray(X, dtype=float).tolist():
                    value = theta[0]
                    for j, x in enumerate(row):
                        value += theta[j + 1] * x
                    out.append(value)
                return out
            ''',
        "gradient_descent": '''
            def gradient_descent(X, y, lr, n_steps):
                rows = np.asarray(X, dtype=float).tolist()
                y = [float(v) for v in y]
                n, p = len(rows), len(rows[0])
                theta = [0.0] * (p + 1)
                losses = []
                for _ in range(n_steps):
                    errors = [theta[0] + sum(theta[j + 1] * r[j] for j in range(p)) - t
                              for r, t in zip(rows, y)]
                    losses.append(sum(e * e for e in errors) / n)
                    grad0 = 2.0 * sum(errors) / n
                    grads = [2.0 * sum(e * r[j] for e, r in zip(errors, rows)) / n for j in range(p)]
                    theta = [theta[0] - lr * grad0] + [theta[j + 1] - lr * grads[j] for j in range(p)]
                return theta, losses
            ''',
    },
    # einsum everywhere, numpy scalars, QR for least squares, intercept column appended LAST internally.
    "einsum_qr": {
        "mse": '''
            def mse(y, y_hat):
                d = np.subtract(y, y_hat, dtype=float)
                return np.einsum("i,i->", d, d) / d.size
            ''',
        "polynomial_features": '''
            def polynomial_features(x, degree):
                x = np.asarray(x, dtype=float)
                return np.cumprod(np.repeat(x[:, None], degree, axis=1), axis=1)
            ''',
        "fit_least_squares": '''
            def fit_least_squares(X, y):
                X = np.asarray(X, dtype=float)
                A = np.hstack([X, np.ones((X.shape[0], 1))])   # intercept last, reordered below
                Q, R = np.linalg.qr(A)
                coef = np.linalg.solve(R, Q.T @ np.asarray(y, dtype=float))
                return np.concatenate([coef[-1:], coef[:-1]])
            ''',
        "predict_linear": '''
            def predict_linear(X, theta):
                theta = np.asarray(theta, dtype=float)
                return np.einsum("ij,j->i", np.asarray(X, dtype=float), theta[1:]) + theta[0]
            ''',
        "gradient_descent": '''
            def gradient_descent(X, y, lr, n_steps):
                X = np.asarray(X, dtype=float)
                y = np.asarray(y, dtype=float)
                n = len(y)
                w = np.zeros(X.shape[1])
                b = 0.0
                losses = []
                for _ in range(n_steps):
                    r = np.einsum("ij,j->i", X, w) + b - y
                    losses.append(np.einsum("i,i->", r, r) / n)
                    w, b = w - lr * 2.0 * np.einsum("ij,i->j", X, r) / n, b - lr * 2.0 * r.mean()
                return np.concatenate([[b], w]), np.array(losses)
            ''',
    },
    # scipy and sklearn-like tools, 0-d arrays as scalars, vander, matrix form of the gradient.
    "scipy_vander": {
        "mse": '''
            def mse(y, y_hat):
                return np.asarray(np.average(np.square(np.asarray(y_hat) - np.asarray(y))))
            ''',
        "polynomial_features": '''
            def polynomial_features(x, degree):
                return np.vander(np.asarray(x, dtype=float), N=degree + 1, increasing=True)[:, 1:]
            ''',
        "fit_least_squares": '''
            import scipy.linalg


            def fit_least_squares(X, y):
                X = np.atleast_2d(np.asarray(X, dtype=float))
                A = np.c_[np.ones(X.shape[0]), X]
                theta, *_ = scipy.linalg.lstsq(A, np.asarray(y, dtype=float))
                return theta
            ''',
        "predict_linear": '''
            def predict_linear(X, theta):
                X = np.asarray(X, dtype=float)
                return np.c_[np.ones(len(X)), X].dot(np.asarray(theta, dtype=float))
            ''',
        "gradient_descent": '''
            def gradient_descent(X, y, lr, n_steps):
                X = np.asarray(X, dtype=float)
                A = np.c_[np.ones(len(X)), X]
                y = np.asarray(y, dtype=float).reshape(-1, 1)      # column vectors throughout
                theta = np.zeros((A.shape[1], 1))
                losses = np.zeros(n_steps)
                for k in range(n_steps):
                    residual = A @ theta - y
                    losses[k] = (np.linalg.norm(residual) ** 2) / len(y)
                    theta -= lr * (2.0 / len(y)) * A.T @ residual
                return theta.ravel(), losses
            ''',
    },
    # pinv / power.outer, int inputs welcome, tuple output, float32 polynomial features.
    "pinv_float32": {
        "mse": '''
            def mse(y, y_hat):
                y, y_hat = np.array(y, dtype=np.float64), np.array(y_hat, dtype=np.float64)
                return float(((y - y_hat) ** 2).sum() / len(y))
            ''',
        "polynomial_features": '''
            def polynomial_features(x, degree):
                return np.power.outer(np.asarray(x, dtype=float), np.arange(1, degree + 1))
            ''',
        "fit_least_squares": '''
            def fit_least_squares(X, y):
                X = np.asarray(X, dtype=float)
                A = np.column_stack((np.ones(X.shape[0]), X))
                return np.linalg.pinv(A) @ np.asarray(y, dtype=float)
            ''',
        "predict_linear": '''
            def predict_linear(X, theta):
                b, *w = list(theta)
                return np.asarray(X, dtype=float) @ np.array(w) + b
            ''',
        "gradient_descent": '''
            def gradient_descent(X, y, lr, n_steps):
                X = np.asarray(X, dtype=float)
                y = np.asarray(y, dtype=float)
                n, d = X.shape
                theta = np.zeros(d + 1)
                losses = np.zeros(n_steps)
                step = 0
                while step < n_steps:
                    pred = X @ theta[1:] + theta[0]
                    losses[step] = np.mean((y - pred) ** 2)
                    g = -2.0 * np.r_[np.sum(y - pred), (y - pred) @ X] / n
                    theta = theta - lr * g
                    step += 1
                return tuple(theta), losses
            ''',
    },
}


# A correct answer whose helpers share names with the test helpers (see tests.independent.OWN_HELPERS).
VARIANTS["own_helpers"] = with_own_helpers(VARIANTS["python_loops"], "mse")

# The contract's pair returned as a list [theta, losses]: the checks unpack it like a tuple.
VARIANTS["list_pair"] = {
    **VARIANTS["einsum_qr"],
    "gradient_descent": '''
        def gradient_descent(X, y, lr, n_steps):
            A = np.column_stack([np.ones(len(X)), np.asarray(X, dtype=float)])
            y = np.asarray(y, dtype=float)
            theta = np.zeros(A.shape[1])
            losses = []
            for _ in range(n_steps):
                residual = A @ theta - y
                losses.append(float(residual @ residual) / len(y))
                theta = theta - lr * 2.0 * (A.T @ residual) / len(y)
            return [theta, losses]
        ''',
}


# The course's style (argument checks raising ValueError as the package's check_* helpers do,
# the chapter's names, the formula written the obvious way): written for the advisory flag of
# dlgrade.package_copy, which must stay silent on it (benchmarks/package_copy.py).
VARIANTS["course_style"] = {
    **VARIANTS["python_loops"],
    "mse": '''
        def mse(y, y_hat):
            y = np.asarray(y, dtype=float)
            y_hat = np.asarray(y_hat, dtype=float)
            if y.shape != y_hat.shape:
                raise ValueError(f"y has shape {y.shape} but y_hat has shape {y_hat.shape}: "
                                 "expected the same shape")
            if y.size == 0:
                raise ValueError("y is empty: expected at least one sample")
            return float(np.mean((y - y_hat) ** 2))
        ''',
    "polynomial_features": '''
        def polynomial_features(x, degree):
            x = np.asarray(x, dtype=float)
            if x.ndim != 1:
                raise ValueError(f"x has shape {x.shape}, expected (n_samples,)")
            if int(degree) != degree or degree < 1:
                raise ValueError(f"degree must be an integer >= 1, got {degree!r}")
            powers = np.arange(1, int(degree) + 1)
            return x[:, None] ** powers[None, :]
        ''',
}
