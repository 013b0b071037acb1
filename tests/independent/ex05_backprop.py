"""Independent correct answers for exercise 05 (back-propagation), in different styles."""

from tests.independent import with_own_helpers

# ruff: noqa: E501  (the sources are student-style solution cells, kept as written)

VARIANTS = {
    # einsum, deltas stored per layer, loss from clipped probabilities, Glorot-uniform init.
    "einsum_glorot": {
        "dense_backward": '''
            def dense_backward(dZ, X, W):
                dZ, X, W = (np.asarray(a, dtype=float) for a in (dZ, X, W))
                return (np.einsum("no,io->ni", dZ, W), np.einsum("ni,no->io", X, dZ),
                        np.einsum("no->o", dZ))
            ''',
        "mlp_gradients": '''
            from scipy.special import expit


            def mlp_gradients(X, y, params, hidden_activation="relu"):
                act = {"relu": (lambda z: np.maximum(z, 0), lambda z: (z > 0) * 1.0),
                       "sigmoid": (expit, lambda z: expit(z) * (1 - expit(z))),
                       "tanh": (np.tanh, lambda z: 1 / np.cosh(z) ** 2)}[hidden_activation]
                X = np.asarray(X, dtype=float)
                y = np.asarray(y, dtype=float)
                inputs, zs = [], []
                A = X
                for l, (W, b) in enumerate(params):
                    inputs.append(A)
                    z = np.einsum("ni,io->no", A, W) + b
                    zs.append(z)
                    A = expit(z) if l == len(params) - 1 else act[0](z)
                p = np.clip(A[:, 0], 1e-12, 1 - 1e-12)
                loss = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
                delta = ((A[:, 0] - y) / len(y))[:, None]
                grads = []
                for l in range(len(params) - 1, -1, -1):
                    W, _ = params[l]
                    grads.insert(0, (np.einsum("ni,no->io", inputs[l], delta), delta.sum(0)))
                    if l:
                        delta = np.einsum("no,io->ni", delta, W) * act[1](zs[l - 1])
                return loss, grads
            ''',
        "numerical_gradient": '''
            def numerical_gradient(f, x, eps=1e-6):
                grad = np.zeros(x.shape)
                for i in range(x.size):
                    idx = np.unravel_index(i, x.shape)
                    keep = x[idx]
                    x[idx] = keep + eps
                    up = f(x)
                    x[idx] = keep - eps
                    down = f(x)
                    x[idx] = keep
                    grad[idx] = (up - down) / (2 * eps)
                return grad
            ''',
        "train": '''
            from scipy.special import expit as _sig


            def train(X, y, layer_sizes, lr, n_epochs, rng=None):
                gen = np.random.default_rng(rng)
                params = []
                for n_in, n_out in zip(layer_sizes[:-1], layer_sizes[1:]):
                    limit = np.sqrt(6 / (n_in + n_out))
                    params.append((gen.uniform(-limit, limit, (n_in, n_out)), np.zeros(n_out)))
                X = np.asarray(X, dtype=float)
                y = np.asarray(y, dtype=float)
                losses = []
                for _ in range(n_epochs):
                    inputs, zs, A = [], [], X
                    for l, (W, b) in enumerate(params):
                        inputs.append(A)
                        zs.append(A @ W + b)
                        A = _sig(zs[-1]) if l == len(params) - 1 else np.maximum(zs[-1], 0)
                    p = np.clip(A[:, 0], 1e-12, 1 - 1e-12)
                    losses.append(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))
                    delta = ((A[:, 0] - y) / len(y))[:, None]
                    new = [None] * len(params)
                    for l in reversed(range(len(params))):
                        W, b = params[l]
                        new[l] = (W - lr * inputs[l].T @ delta, b - lr * delta.sum(0))
                        if l:
                            delta = (delta @ W.T) * (zs[l - 1] > 0)
                    params = new
                return params, losses
            ''',
    },
    # Python loops over samples for dense_backward; chain rule through activations A for the
    # derivative; numerical_gradient on a private copy; small-normal (0.1 scale) init; lists out.
    "loops_copy": {
        "dense_backward": '''
            def dense_backward(dZ, X, W):
                dZ, X, W = np.asarray(dZ, float), np.asarray(X, float), np.asarray(W, float)
                dX = np.zeros_like(X)
                dW = np.zeros_like(W)
                db = np.zeros(W.shape[1])
                for n in range(X.shape[0]):
                    dX[n] = W @ dZ[n]
                    dW += np.outer(X[n], dZ[n])
                    db += dZ[n]
                return [dX, dW, db]
            ''',
        "mlp_gradients": '''
            def mlp_gradients(X, y, params, hidden_activation="relu"):
                def sig(z):
                    return np.exp(-np.logaddexp(0, -z))

                X = np.asarray(X, dtype=float)
                y = np.asarray(y, dtype=float).reshape(-1, 1)
                n = len(X)
                A_list = [X]
                for l, (W, b) in enumerate(params):
                    Z = A_list[-1] @ W + b
                    if l == len(params) - 1 or hidden_activation == "sigmoid":
                        A_list.append(sig(Z))
                    elif hidden_activation == "tanh":
                        A_list.append(np.tanh(Z))
                    else:
                        A_list.append(np.maximum(0, Z))
                # BCE from the logit z of the output unit: log(1 + e^z) - y z
                z = A_list[-2] @ params[-1][0] + params[-1][1]
                loss = float(np.mean(np.logaddexp(0, z) - y * z))
                grads = []
                dA = None
                dZ = (A_list[-1] - y) / n
                for l in range(len(params) - 1, -1, -1):
                    W, b = params[l]
                    grads.append([A_list[l].T @ dZ, dZ.sum(axis=0)])
                    dA = dZ @ W.T
                    A = A_list[l]
                    if hidden_activation == "relu":
                        dZ = dA * (A > 0)
                    elif hidden_activation == "sigmoid":
                        dZ = dA * A * (1 - A)
                    else:
                        dZ = dA * (1 - A ** 2)
                return loss, grads[::-1]
            ''',
        "numerical_gradient": '''
            def numerical_gradient(f, x, eps=1e-6):
                grad = np.empty(x.shape)
                with np.nditer(x, flags=["multi_index"], op_flags=["readwrite"]) as entries:
                    for entry in entries:
                        keep = float(entry)
                        entry[...] = keep + eps
                        up = f(x)
                        entry[...] = keep - eps
                        down = f(x)
                        entry[...] = keep
                        grad[entries.multi_index] = (up - down) / (2 * eps)
                return grad
            ''',
        "train": '''
            def train(X, y, layer_sizes, lr, n_epochs, rng=None):
                gen = np.random.default_rng(rng)
                params = [[0.1 * gen.standard_normal((a, c)), np.zeros(c)]
                          for a, c in zip(layer_sizes[:-1], layer_sizes[1:])]
                X = np.asarray(X, dtype=float)
                y = np.asarray(y, dtype=float).reshape(-1, 1)
                losses = np.zeros(n_epochs)
                for epoch in range(n_epochs):
                    acts = [X]
                    for l, (W, b) in enumerate(params):
                        Z = acts[-1] @ W + b
                        acts.append(1 / (1 + np.exp(-Z)) if l == len(params) - 1 else np.maximum(Z, 0))
                    z = acts[-2] @ params[-1][0] + params[-1][1]
                    losses[epoch] = np.mean(np.logaddexp(0, z) - y * z)
                    dZ = (acts[-1] - y) / len(X)
                    for l in reversed(range(len(params))):
                        W, b = params[l]
                        dW, db = acts[l].T @ dZ, dZ.sum(axis=0)
                        dZ = (dZ @ W.T) * (acts[l] > 0)
                        params[l] = [W - lr * dW, b - lr * db]
                return [tuple(p) for p in params], losses
            ''',
    },
    # Matrices kept in column layout (units x samples) internally, He-uniform init, float losses.
    "column_layout": {
        "dense_backward": '''
            def dense_backward(dZ, X, W):
                dZt = np.asarray(dZ, float).T          # (n_out, n)
                return (W @ dZt).T, (dZt @ X).T, dZt @ np.ones(dZt.shape[1])
            ''',
        "mlp_gradients": '''
            def mlp_gradients(X, y, params, hidden_activation="relu"):
                g = {"relu": lambda z: np.where(z > 0, z, 0.0),
                     "sigmoid": lambda z: 0.5 * (1 + np.tanh(z / 2)),
                     "tanh": np.tanh}[hidden_activation]
                dg = {"relu": lambda z: np.where(z > 0, 1.0, 0.0),
                      "sigmoid": lambda z: 0.25 / np.cosh(z / 2) ** 2,
                      "tanh": lambda z: 1 - np.tanh(z) ** 2}[hidden_activation]
                A = [np.asarray(X, dtype=float).T]       # (n_features, n)
                Z = []
                for l, (W, b) in enumerate(params):
                    Z.append(W.T @ A[-1] + np.reshape(b, (-1, 1)))
                    A.append(0.5 * (1 + np.tanh(Z[-1] / 2)) if l == len(params) - 1 else g(Z[-1]))
                yr = np.asarray(y, dtype=float).reshape(1, -1)
                n = yr.shape[1]
                z = Z[-1]
                loss = np.sum(yr * np.logaddexp(0, -z) + (1 - yr) * np.logaddexp(0, z)) / n
                delta = (A[-1] - yr) / n
                grads = []
                for l in reversed(range(len(params))):
                    W, b = params[l]
                    grads.append(((delta @ A[l].T).T, delta.sum(axis=1)))
                    if l > 0:
                        delta = (W @ delta) * dg(Z[l - 1])
                grads.reverse()
                return loss, grads
            ''',
        "numerical_gradient": '''
            def numerical_gradient(f, x, eps=1e-6):
                grad = np.zeros_like(x, dtype=float)
                flat = x.reshape(-1)                    # a view: writes reach x
                gflat = grad.reshape(-1)
                for i in range(flat.size):
                    saved = float(flat[i])
                    flat[i] = saved + eps
                    plus = f(x)
                    flat[i] = saved - eps
                    minus = f(x)
                    flat[i] = saved
                    gflat[i] = (plus - minus) / (2 * eps)
                return grad
            ''',
        "train": '''
            def train(X, y, layer_sizes, lr, n_epochs, rng=None):
                gen = np.random.default_rng(rng)
                Ws, bs = [], []
                for n_in, n_out in zip(layer_sizes[:-1], layer_sizes[1:]):
                    limit = np.sqrt(6.0 / n_in)
                    Ws.append(gen.uniform(-limit, limit, size=(n_in, n_out)))
                    bs.append(np.full(n_out, 0.01))
                X = np.asarray(X, dtype=float)
                Y = np.asarray(y, dtype=float)[:, None]
                n = len(X)
                losses = []
                for _ in range(n_epochs):
                    outs, pre = [X], []
                    for l in range(len(Ws)):
                        pre.append(outs[-1] @ Ws[l] + bs[l])
                        last = l == len(Ws) - 1
                        outs.append(0.5 * (1 + np.tanh(pre[-1] / 2)) if last else np.maximum(pre[-1], 0))
                    z = pre[-1]
                    losses.append(float(np.mean(Y * np.logaddexp(0, -z) + (1 - Y) * np.logaddexp(0, z))))
                    delta = (outs[-1] - Y) / n
                    gW, gb = [None] * len(Ws), [None] * len(Ws)
                    for l in reversed(range(len(Ws))):
                        gW[l], gb[l] = outs[l].T @ delta, delta.sum(0)
                        if l:
                            delta = delta @ Ws[l].T * (pre[l - 1] > 0)
                    Ws = [W - lr * g for W, g in zip(Ws, gW)]
                    bs = [b - lr * g for b, g in zip(bs, gb)]
                return list(zip(Ws, bs)), np.array(losses)
            ''',
    },
}


# A correct answer whose helpers share names with the test helpers (see tests.independent.OWN_HELPERS).
VARIANTS["own_helpers"] = with_own_helpers(VARIANTS["einsum_glorot"], "dense_backward")


# A correct mlp_gradients that calls its own helper named like the checks' mlp_loss.
_OWN_MLP_LOSS = '''
def mlp_loss(p, y):
    """Mean binary cross-entropy of probabilities p (n, 1) for labels y (n, 1)."""
    p = np.clip(p, 1e-12, 1 - 1e-12)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def mlp_gradients(X, y, params, hidden_activation="relu"):
    g = {"relu": lambda z: np.maximum(z, 0), "sigmoid": lambda z: 1 / (1 + np.exp(-z)),
         "tanh": np.tanh}[hidden_activation]
    dg = {"relu": lambda a: (a > 0) * 1.0, "sigmoid": lambda a: a * (1 - a),
          "tanh": lambda a: 1 - a ** 2}[hidden_activation]
    X = np.asarray(X, float)
    y = np.asarray(y, float).reshape(-1, 1)
    A = [X]
    for l, (W, b) in enumerate(params):
        Z = A[-1] @ W + b
        A.append(1 / (1 + np.exp(-Z)) if l == len(params) - 1 else g(Z))
    loss = mlp_loss(A[-1], y)
    dZ = (A[-1] - y) / len(X)
    grads = [None] * len(params)
    for l in reversed(range(len(params))):
        W, b = params[l]
        grads[l] = (A[l].T @ dZ, dZ.sum(0))
        if l:
            dZ = (dZ @ W.T) * dg(A[l])
    return loss, grads
'''
VARIANTS["own_helpers"]["mlp_gradients"] = _OWN_MLP_LOSS


# The course's style (argument checks raising ValueError as the package's check_* helpers do,
# the chapter's names, the formula written the obvious way): written for the advisory flag of
# dlgrade.package_copy, which must stay silent on it (benchmarks/package_copy.py).
VARIANTS["course_style"] = {
    **VARIANTS["einsum_glorot"],
    "dense_backward": '''
        def dense_backward(dZ, X, W):
            dZ, X, W = np.asarray(dZ, dtype=float), np.asarray(X, dtype=float), np.asarray(W, dtype=float)
            if dZ.shape != (X.shape[0], W.shape[1]):
                raise ValueError(f"dZ has shape {dZ.shape}, expected {(X.shape[0], W.shape[1])}")
            dX = dZ @ W.T
            dW = X.T @ dZ
            db = dZ.sum(axis=0)
            return dX, dW, db
        ''',
}
