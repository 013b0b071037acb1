"""Independent correct answers for exercise 04 (activations), in different styles."""

from tests.independent import with_own_helpers

# ruff: noqa: E501  (the sources are student-style solution cells, kept as written)

VARIANTS = {
    # Boolean masks and copies, scipy's expit, logsumexp-based softmax.
    "masks_scipy": {
        "relu": '''
            def relu(t):
                out = np.array(t, dtype=float, copy=True)
                out[out < 0] = 0.0
                return out
            ''',
        "relu_grad": '''
            def relu_grad(t):
                return np.heaviside(np.asarray(t, dtype=float), 0.0)
            ''',
        "sigmoid_grad": '''
            from scipy.special import expit


            def sigmoid_grad(t):
                s = expit(t)
                return s * (1 - s)
            ''',
        "tanh_grad": '''
            def tanh_grad(t):
                return 1.0 / np.cosh(np.clip(t, -350, 350)) ** 2
            ''',
        "leaky_relu": '''
            def leaky_relu(t, alpha=0.01):
                t = np.asarray(t, dtype=float)
                return np.maximum(t, 0.0) + alpha * np.minimum(t, 0.0)
            ''',
        "leaky_relu_grad": '''
            def leaky_relu_grad(t, alpha=0.01):
                grad = np.full(np.shape(t), float(alpha))
                grad[np.asarray(t) > 0] = 1.0
                return grad
            ''',
        "softmax": '''
            from scipy.special import logsumexp


            def softmax(Z):
                Z = np.asarray(Z, dtype=float)
                return np.exp(Z - logsumexp(Z, axis=-1, keepdims=True))
            ''',
    },
    # Arithmetic forms: (t + |t|) / 2, sign-based gradients, sigmoid' as e^-|t| / (1 + e^-|t|)^2.
    "arithmetic": {
        "relu": '''
            def relu(t):
                t = np.asarray(t, dtype=float)
                return (t + np.abs(t)) / 2
            ''',
        "relu_grad": '''
            def relu_grad(t):
                return np.where(np.sign(t) > 0, 1.0, 0.0)
            ''',
        "sigmoid_grad": '''
            def sigmoid_grad(t):
                e = np.exp(-np.abs(np.asarray(t, dtype=float)))
                return e / (1 + e) ** 2
            ''',
        "tanh_grad": '''
            def tanh_grad(t):
                th = np.tanh(t)
                return (1 - th) * (1 + th)
            ''',
        "leaky_relu": '''
            def leaky_relu(t, alpha=0.01):
                t = np.asarray(t, dtype=float)
                return t * np.where(t > 0, 1.0, alpha)
            ''',
        "leaky_relu_grad": '''
            def leaky_relu_grad(t, alpha=0.01):
                positive = (np.asarray(t) > 0).astype(float)
                return positive + alpha * (1.0 - positive)
            ''',
        "softmax": '''
            def softmax(Z):
                Z = np.asarray(Z, dtype=float)
                shifted = Z - Z.max(axis=-1, keepdims=True)
                log_probs = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
                return np.exp(log_probs)
            ''',
    },
    # Python loops over the flattened input (np.vectorize / math), reshape back at the end.
    "python_loops": {
        "relu": '''
            def relu(t):
                arr = np.asarray(t, dtype=float)
                return np.array([v if v > 0 else 0.0 for v in arr.ravel()]).reshape(arr.shape)
            ''',
        "relu_grad": '''
            def relu_grad(t):
                arr = np.asarray(t, dtype=float)
                return np.array([1.0 if v > 0 else 0.0 for v in arr.ravel()]).reshape(arr.shape)
            ''',
        "sigmoid_grad": '''
            import math


            def _one(v):
                e = math.exp(-abs(v))
                s = 1.0 / (1.0 + e) if v >= 0 else e / (1.0 + e)
                return s * (1.0 - s)


            def sigmoid_grad(t):
                arr = np.asarray(t, dtype=float)
                return np.array([_one(v) for v in arr.ravel()]).reshape(arr.shape)
            ''',
        "tanh_grad": '''
            import math


            def tanh_grad(t):
                arr = np.asarray(t, dtype=float)
                return np.array([1.0 - math.tanh(v) ** 2 for v in arr.ravel()]).reshape(arr.shape)
            ''',
        "leaky_relu": '''
            def leaky_relu(t, alpha=0.01):
                arr = np.asarray(t, dtype=float)
                return np.array([v if v > 0 else alpha * v for v in arr.ravel()]).reshape(arr.shape)
            ''',
        "leaky_relu_grad": '''
            def leaky_relu_grad(t, alpha=0.01):
                arr = np.asarray(t, dtype=float)
                return np.array([1.0 if v > 0 else alpha for v in arr.ravel()]).reshape(arr.shape)
            ''',
        "softmax": '''
            import math


            def _softmax_row(row):
                top = max(row)
                exps = [math.exp(v - top) for v in row]
                total = sum(exps)
                return [e / total for e in exps]


            def softmax(Z):
                Z = np.asarray(Z, dtype=float)
                if Z.ndim == 1:
                    return np.array(_softmax_row(Z.tolist()))
                rows = Z.reshape(-1, Z.shape[-1]).tolist()
                return np.array([_softmax_row(r) for r in rows]).reshape(Z.shape)
            ''',
    },
    # float32 where the values allow it, apply_along_axis for softmax, sigmoid via tanh.
    "float32_tanh": {
        "relu": '''
            def relu(t):
                return np.maximum(np.asarray(t, dtype=np.float32), np.float32(0))
            ''',
        "relu_grad": '''
            def relu_grad(t):
                return np.greater(t, 0).astype(np.float32)
            ''',
        "sigmoid_grad": '''
            def sigmoid_grad(t):
                s = 0.5 * (1.0 + np.tanh(0.5 * np.asarray(t, dtype=float)))
                # for large |t| use the symmetric tail form e^-|t| to keep relative accuracy
                e = np.exp(-np.abs(np.asarray(t, dtype=float)))
                return np.where(np.abs(t) < 20, s * (1.0 - s), e / (1 + e) ** 2)
            ''',
        "tanh_grad": '''
            def tanh_grad(t):
                t = np.asarray(t, dtype=float)
                e = np.exp(-2.0 * np.abs(t))
                return 4.0 * e / (1.0 + e) ** 2
            ''',
        "leaky_relu": '''
            def leaky_relu(t, alpha=0.01):
                t = np.asarray(t, dtype=float)
                return np.where(t > 0, t, t * alpha)
            ''',
        "leaky_relu_grad": '''
            def leaky_relu_grad(t, alpha=0.01):
                return np.select([np.asarray(t) > 0], [1.0], default=alpha)
            ''',
        "softmax": '''
            def _row(z):
                e = np.exp(z - z.max())
                return e / e.sum()


            def softmax(Z):
                return np.apply_along_axis(_row, -1, np.asarray(Z, dtype=float))
            ''',
    },
}


# A correct answer whose helpers share names with the test helpers (see tests.independent.OWN_HELPERS).
VARIANTS["own_helpers"] = with_own_helpers(VARIANTS["arithmetic"], "relu")


# The course's style (argument checks raising ValueError as the package's check_* helpers do,
# the chapter's names, the formula written the obvious way): written for the advisory flag of
# dlgrade.package_copy, which must stay silent on it (benchmarks/package_copy.py).
VARIANTS["course_style"] = {
    **VARIANTS["arithmetic"],
    "leaky_relu": '''
        def leaky_relu(t, alpha=0.01):
            t = np.asarray(t, dtype=float)
            return np.where(t > 0, t, alpha * t)
        ''',
    "softmax": '''
        def softmax(Z):
            Z = np.asarray(Z, dtype=float)
            if Z.ndim == 0 or Z.shape[-1] == 0:
                raise ValueError(f"Z has shape {Z.shape}, expected at least one score per row")
            E = np.exp(Z - np.max(Z, axis=-1, keepdims=True))
            return E / np.sum(E, axis=-1, keepdims=True)
        ''',
}
