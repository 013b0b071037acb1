"""Independent correct answers for exercise 02 (the neuron), in different styles."""

from tests.independent import with_own_helpers

# ruff: noqa: E501  (the sources are student-style solution cells, kept as written)

VARIANTS = {
    # scipy's expit and xlogy, numpy scalars, augmented design matrix [1, X] for the fit.
    "scipy": {
        "sigmoid": '''
            from scipy.special import expit


            def sigmoid(t):
                return expit(t)
            ''',
        "neuron": '''
            from scipy.special import expit as _expit


            def neuron(X, w, b):
                return _expit(np.dot(np.asarray(X, dtype=float), np.asarray(w, dtype=float)) + b)
            ''',
        "binary_cross_entropy": '''
            from scipy.special import xlogy


            def binary_cross_entropy(y, p):
                y = np.asarray(y, dtype=float)
                p = np.clip(np.asarray(p, dtype=float), 1e-7, 1 - 1e-7)   # Keras' epsilon
                return -np.mean(xlogy(y, p) + xlogy(1 - y, 1 - p))
            ''',
        "fit_neuron": '''
            from scipy.special import expit as _expit2


            def fit_neuron(X, y, lr, n_steps):
                X = np.asarray(X, dtype=float)
                A = np.hstack([np.ones((len(X), 1)), X])
                y = np.asarray(y, dtype=float)
                theta = np.zeros(A.shape[1])
                for _ in range(n_steps):
                    theta -= lr * A.T @ (_expit2(A @ theta) - y) / len(y)
                return theta[1:], theta[0]
            ''',
    },
    # Plain Python loops with math, Python floats, lists accepted and returned where allowed.
    "python_math": {
        "sigmoid": '''
            import math


            def _sigmoid_scalar(v):
                if v >= 0:
                    return 1.0 / (1.0 + math.exp(-v))
                e = math.exp(v)
                return e / (1.0 + e)


            def sigmoid(t):
                if np.ndim(t) == 0:
                    return _sigmoid_scalar(float(t))
                t = np.asarray(t, dtype=float)
                return np.array([_sigmoid_scalar(v) for v in t.ravel()]).reshape(t.shape)
            ''',
        "neuron": '''
            import math


            def neuron(X, w, b):
                out = []
                for row in np.asarray(X, dtype=float).tolist():
                    z = sum(x * wj for x, wj in zip(row, list(w))) + float(b)
                    out.append(1.0 / (1.0 + math.exp(-z)) if z >= 0 else math.exp(z) / (1.0 + math.exp(z)))
                return np.array(out)
            ''',
        "binary_cross_entropy": '''
            import math


            def binary_cross_entropy(y, p):
                eps = 1e-15
                total = 0.0
                labels, probs = list(y), list(p)
                for label, prob in zip(labels, probs):
                    prob = min(max(float(prob), eps), 1.0 - eps)
                    total -= math.log(prob) if label == 1 else math.log(1.0 - prob)
                return total / len(labels)
            ''',
        "fit_neuron": '''
            import math


            def fit_neuron(X, y, lr, n_steps):
                rows = np.asarray(X, dtype=float).tolist()
                y = [float(v) for v in y]
                n, d = len(rows), len(rows[0])
                w, b = [0.0] * d, 0.0
                for _ in range(n_steps):
                    errors = []
                    for row, label in zip(rows, y):
                        z = sum(a * c for a, c in zip(row, w)) + b
                        p = 1.0 / (1.0 + math.exp(-z)) if z >= 0 else math.exp(z) / (1.0 + math.exp(z))
                        errors.append(p - label)
                    w = [w[j] - lr * sum(e * r[j] for e, r in zip(errors, rows)) / n for j in range(d)]
                    b = b - lr * sum(errors) / n
                return np.array(w), b
            ''',
    },
    # tanh form of the sigmoid, einsum, BCE from the logit-free "where" form, 0-d results.
    "tanh_einsum": {
        "sigmoid": '''
            def sigmoid(t):
                return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(t, dtype=float)))
            ''',
        "neuron": '''
            def neuron(X, w, b):
                z = np.einsum("ij,j->i", np.asarray(X, dtype=float), np.asarray(w, dtype=float)) + b
                return 0.5 * (1.0 + np.tanh(0.5 * z))
            ''',
        "binary_cross_entropy": '''
            def binary_cross_entropy(y, p):
                y = np.asarray(y)
                p = np.asarray(p, dtype=float)
                chosen = np.where(y == 1, p, 1.0 - p)            # probability of the true label
                return np.mean(-np.log(np.maximum(chosen, np.finfo(float).tiny)))
            ''',
        "fit_neuron": '''
            def fit_neuron(X, y, lr, n_steps):
                X = np.asarray(X, dtype=float)
                y = np.asarray(y, dtype=float)
                w = np.zeros(X.shape[1])
                b = np.float64(0.0)
                for _ in range(n_steps):
                    p = 0.5 * (1.0 + np.tanh(0.5 * (np.einsum("ij,j->i", X, w) + b)))
                    w = w - lr * np.einsum("ij,i->j", X, p - y) / len(y)
                    b = b - lr * np.mean(p - y)
                return w, b
            ''',
    },
    # log-space: sigmoid = exp(-logaddexp(0, -t)); BCE via logs of the clipped probabilities.
    "logspace": {
        "sigmoid": '''
            def sigmoid(t):
                t = np.asarray(t, dtype=float)
                out = np.exp(-np.logaddexp(0.0, -t))
                return out if out.ndim else float(out)
            ''',
        "neuron": '''
            def neuron(X, w, b):
                z = np.asarray(X, dtype=float) @ np.asarray(w, dtype=float) + float(b)
                return np.exp(-np.logaddexp(0.0, -z))
            ''',
        "binary_cross_entropy": '''
            def binary_cross_entropy(y, p):
                y = np.asarray(y, dtype=float)
                p = np.asarray(p, dtype=float)
                log_p = np.log(np.clip(p, 1e-12, None))
                log_q = np.log(np.clip(1.0 - p, 1e-12, None))
                return float(-(y @ log_p + (1.0 - y) @ log_q) / y.size)
            ''',
        "fit_neuron": '''
            def fit_neuron(X, y, lr, n_steps):
                X = np.asarray(X, dtype=float)
                y = np.asarray(y, dtype=float).reshape(-1, 1)       # column layout
                w = np.zeros((X.shape[1], 1))
                b = 0.0
                for _ in range(n_steps):
                    p = np.exp(-np.logaddexp(0.0, -(X @ w + b)))
                    grad_z = (p - y) / len(y)
                    w -= lr * X.T @ grad_z
                    b -= lr * float(grad_z.sum())
                return w.ravel(), b
            ''',
    },
}


# A correct answer whose helpers share names with the test helpers (see tests.independent.OWN_HELPERS).
VARIANTS["own_helpers"] = with_own_helpers(VARIANTS["scipy"], "sigmoid")

# The contract's pair returned as a list [w, b]: the checks unpack it like a tuple.
VARIANTS["list_pair"] = {
    **VARIANTS["tanh_einsum"],
    "fit_neuron": '''
        def fit_neuron(X, y, lr, n_steps):
            X = np.asarray(X, dtype=float)
            y = np.asarray(y, dtype=float)
            w, b = np.zeros(X.shape[1]), 0.0
            for _ in range(n_steps):
                error = 0.5 * (1.0 + np.tanh(0.5 * (X @ w + b))) - y
                w, b = w - lr * X.T @ error / len(y), b - lr * float(error.mean())
            return [w, b]
        ''',
}

# The common guard against log(0): log(p + 1e-7) instead of clipping. It shifts the loss by about
# 1e-7 / p, far below any real mistake, so the tests must accept it.
VARIANTS["eps_smoothing"] = {
    **VARIANTS["python_math"],
    "binary_cross_entropy": '''
        def binary_cross_entropy(y, p):
            eps = 1e-7
            y, p = np.asarray(y, dtype=float), np.asarray(p, dtype=float)
            return -np.mean(y * np.log(p + eps) + (1 - y) * np.log(1 - p + eps))
        ''',
}


# The course's style (argument checks raising ValueError as the package's check_* helpers do,
# the chapter's names, the formula written the obvious way): written for the advisory flag of
# dlgrade.package_copy, which must stay silent on it (benchmarks/package_copy.py).
VARIANTS["course_style"] = {
    **VARIANTS["scipy"],
    "sigmoid": '''
        def sigmoid(t):
            t = np.asarray(t, dtype=float)
            out = np.empty_like(t)
            positive = t >= 0
            out[positive] = 1.0 / (1.0 + np.exp(-t[positive]))
            e = np.exp(t[~positive])
            out[~positive] = e / (1.0 + e)
            return out if out.ndim else float(out)
        ''',
    "binary_cross_entropy": '''
        def binary_cross_entropy(y, p):
            y = np.asarray(y, dtype=float)
            p = np.asarray(p, dtype=float)
            if y.shape != p.shape:
                raise ValueError(f"y has shape {y.shape} but p has shape {p.shape}: "
                                 "expected the same shape")
            eps = 1e-12
            p = np.clip(p, eps, 1 - eps)
            return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))
        ''',
}
