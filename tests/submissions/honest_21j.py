"""Honest answers written by hand by review 21j (02_neuron, 05_backprop, 08_multiclass): the
package-copy flag must flag none (tests/test_dlgrade_package_copy.py)."""
# ruff: noqa: E501 - answers kept as review 21j wrote them
H = {}
# ---------- student A: careful, ValueError checks, chapter names, plain formula
H["honA"] = {
"02_neuron": {
"sigmoid": '''
def sigmoid(t):
    """Logistic sigmoid, stable for large |t|."""
    t = np.asarray(t, dtype=float)
    e = np.exp(-np.abs(t))
    out = np.where(t >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    return out[()] if out.ndim == 0 else out
''',
"neuron": '''
def neuron(X, w, b):
    X = np.asarray(X, dtype=float)
    w = np.asarray(w, dtype=float)
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D (n_samples, n_features), got shape {X.shape}")
    if w.shape != (X.shape[1],):
        raise ValueError(f"w must have shape ({X.shape[1]},), got {w.shape}")
    z = X @ w + b
    return sigmoid(z)
''',
"binary_cross_entropy": '''
def binary_cross_entropy(y, p):
    y = np.asarray(y, dtype=float)
    p = np.asarray(p, dtype=float)
    if y.shape != p.shape:
        raise ValueError(f"y and p must have the same shape, got {y.shape} and {p.shape}")
    if np.any((p < 0) | (p > 1)):
        raise ValueError("p must hold probabilities in [0, 1]")
    eps = 1e-12
    p = np.clip(p, eps, 1.0 - eps)
    return float(-np.mean(y * np.log(p) + (1.0 - y) * np.log(1.0 - p)))
''',
"fit_neuron": '''
def fit_neuron(X, y, lr, n_steps):
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D, got shape {X.shape}")
    if y.shape != (X.shape[0],):
        raise ValueError(f"y must have shape ({X.shape[0]},), got {y.shape}")
    if lr <= 0:
        raise ValueError(f"lr must be positive, got {lr}")
    n = X.shape[0]
    w = np.zeros(X.shape[1])
    b = 0.0
    for step in range(n_steps):
        p = sigmoid(X @ w + b)
        delta = (p - y) / n
        w = w - lr * (X.T @ delta)
        b = b - lr * float(delta.sum())
    return w, b
''',
},
"08_multiclass": {
"one_hot": '''
def one_hot(y, n_classes):
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"y must be 1-D, got shape {y.shape}")
    if np.any((y < 0) | (y >= n_classes)):
        raise ValueError(f"labels must be in 0..{n_classes - 1}")
    Y = np.zeros((y.shape[0], n_classes))
    Y[np.arange(y.shape[0]), y.astype(int)] = 1.0
    return Y
''',
"softmax": '''
def softmax(Z):
    Z = np.asarray(Z, dtype=float)
    if Z.ndim != 2:
        raise ValueError(f"Z must be 2-D (n_samples, n_classes), got shape {Z.shape}")
    E = np.exp(Z - Z.max(axis=1, keepdims=True))
    return E / E.sum(axis=1, keepdims=True)
''',
"softmax_cross_entropy": '''
def softmax_cross_entropy(y, Z):
    y = np.asarray(y, dtype=int)
    Z = np.asarray(Z, dtype=float)
    if Z.ndim != 2 or y.shape != (Z.shape[0],):
        raise ValueError(f"expected y of shape ({Z.shape[0]},) and 2-D Z, got {y.shape}, {Z.shape}")
    m = Z.max(axis=1)
    log_sum = m + np.log(np.exp(Z - m[:, None]).sum(axis=1))
    return float(np.mean(log_sum - Z[np.arange(Z.shape[0]), y]))
''',
"softmax_cross_entropy_grad": '''
def softmax_cross_entropy_grad(y, Z):
    y = np.asarray(y, dtype=int)
    Z = np.asarray(Z, dtype=float)
    if Z.ndim != 2 or y.shape != (Z.shape[0],):
        raise ValueError(f"expected y of shape ({Z.shape[0]},) and 2-D Z, got {y.shape}, {Z.shape}")
    n = Z.shape[0]
    return (softmax(Z) - one_hot(y, Z.shape[1])) / n
''',
},
"05_backprop": {
"numerical_gradient": '''
def numerical_gradient(f, x, eps=1e-6):
    x = np.array(x, dtype=float)
    if eps <= 0:
        raise ValueError(f"eps must be positive, got {eps}")
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + eps
        f_plus = f(x)
        x[idx] = old - eps
        f_minus = f(x)
        x[idx] = old
        grad[idx] = (f_plus - f_minus) / (2 * eps)
    return grad
''',
"dense_backward": '''
def dense_backward(dZ, X, W):
    dZ = np.asarray(dZ, dtype=float)
    X = np.asarray(X, dtype=float)
    W = np.asarray(W, dtype=float)
    if dZ.shape != (X.shape[0], W.shape[1]):
        raise ValueError(f"dZ has shape {dZ.shape}, expected ({X.shape[0]}, {W.shape[1]})")
    dX = dZ @ W.T
    dW = X.T @ dZ
    db = dZ.sum(axis=0)
    return dX, dW, db
''',
},
}
# ---------- student B: read the package's docs/help() and mirrors its structure honestly (own check helpers)
_checks = '''
def as_float_array(a, name):
    try:
        arr = np.asarray(a, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{name} must be an array of numbers, got {type(a).__name__}") from err
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must hold finite numbers")
    return arr
'''
H["honB"] = {
"02_neuron": {
"sigmoid": _checks + '''
def sigmoid(t):
    t = np.asarray(t, dtype=np.float64)
    e = np.exp(-np.abs(t))
    s = np.where(t >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    return s[()] if s.ndim == 0 else s
''',
"neuron": '''
def check_2d(a, name):
    arr = as_float_array(a, name)
    if arr.ndim != 2:
        raise ValueError(f"{name} has shape {arr.shape}, expected a 2-D array (n_samples, n_features)")
    if arr.shape[0] == 0:
        raise ValueError(f"{name} is empty")
    return arr

def neuron(X, w, b):
    X = check_2d(X, "X")
    w = as_float_array(w, "w")
    if w.shape != (X.shape[1],):
        raise ValueError(f"w has shape {w.shape}, expected ({X.shape[1]},)")
    return sigmoid(X @ w + b)
''',
"binary_cross_entropy": '''
EPS = 1e-12

def binary_cross_entropy(y, p):
    y = as_float_array(y, "y")
    p = as_float_array(p, "p")
    if y.shape != p.shape:
        raise ValueError(f"y has shape {y.shape} but p has shape {p.shape}")
    if not np.all((y == 0) | (y == 1)):
        raise ValueError("y must hold binary labels 0 or 1")
    if np.any((p < 0) | (p > 1)):
        raise ValueError(f"p must hold probabilities in [0, 1], got values in [{p.min()}, {p.max()}]")
    p = np.clip(p, EPS, 1.0 - EPS)
    return float(-np.mean(y * np.log(p) + (1.0 - y) * np.log1p(-p)))
''',
"fit_neuron": '''
def fit_neuron(X, y, lr, n_steps):
    X = check_2d(X, "X")
    y = as_float_array(y, "y")
    if y.shape != (X.shape[0],):
        raise ValueError(f"y has shape {y.shape}, expected ({X.shape[0]},)")
    if not lr > 0:
        raise ValueError(f"lr must be positive, got {lr!r}")
    w = np.zeros(X.shape[1])
    b = 0.0
    for _ in range(n_steps):
        z = X @ w + b
        delta = (sigmoid(z) - y) / X.shape[0]
        w = w - lr * (X.T @ delta)
        b = b - lr * float(delta.sum())
    return w, b
''',
},
"08_multiclass": {
"one_hot": _checks + '''
def one_hot(y, n_classes):
    if int(n_classes) != n_classes or n_classes < 1:
        raise ValueError(f"n_classes must be a positive integer, got {n_classes!r}")
    labels = as_float_array(y, "y")
    if labels.ndim != 1:
        raise ValueError(f"y has shape {labels.shape}, expected a 1-D array")
    if np.any((labels < 0) | (labels >= n_classes)):
        raise ValueError(f"y must hold class labels 0 to {n_classes - 1}")
    labels = labels.astype(int)
    Y = np.zeros((labels.shape[0], n_classes))
    Y[np.arange(labels.shape[0]), labels] = 1.0
    return Y
''',
"softmax": '''
def softmax(Z):
    Z = as_float_array(Z, "Z")
    if Z.ndim == 0 or Z.shape[-1] == 0:
        raise ValueError(f"Z has shape {Z.shape}, expected at least one value along the last axis")
    E = np.exp(Z - Z.max(axis=-1, keepdims=True))
    return E / E.sum(axis=-1, keepdims=True)
''',
"softmax_cross_entropy": '''
def _labels_and_logits(y, Z):
    Z = as_float_array(Z, "Z")
    if Z.ndim != 2:
        raise ValueError(f"Z has shape {Z.shape}, expected (n_samples, n_classes)")
    labels = np.asarray(y)
    if labels.shape != (Z.shape[0],):
        raise ValueError(f"y has shape {labels.shape}, expected ({Z.shape[0]},)")
    if np.any((labels < 0) | (labels >= Z.shape[1])):
        raise ValueError("y must hold class labels 0 to n_classes - 1")
    return labels.astype(int), Z

def softmax_cross_entropy(y, Z):
    labels, Z = _labels_and_logits(y, Z)
    m = Z.max(axis=1)
    log_sum = m + np.log(np.exp(Z - m[:, None]).sum(axis=1))
    return float(np.mean(log_sum - Z[np.arange(Z.shape[0]), labels]))
''',
"softmax_cross_entropy_grad": '''
def softmax_cross_entropy_grad(y, Z):
    labels, Z = _labels_and_logits(y, Z)
    dZ = softmax(Z)
    dZ[np.arange(Z.shape[0]), labels] -= 1.0
    return dZ / Z.shape[0]
''',
},
"05_backprop": {
"numerical_gradient": '''
def numerical_gradient(f, x, eps=1e-6):
    x = np.array(x, dtype=np.float64)
    if not eps > 0:
        raise ValueError(f"eps must be a positive number, got {eps!r}")
    grad = np.zeros(x.shape)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        try:
            x[idx] = old + eps
            f_plus = float(f(x))
            x[idx] = old - eps
            f_minus = float(f(x))
        finally:
            x[idx] = old
        grad[idx] = (f_plus - f_minus) / (2.0 * eps)
    return grad
''',
"dense_backward": '''
def dense_backward(dZ, X, W):
    X = np.asarray(X, dtype=float)
    W = np.asarray(W, dtype=float)
    dZ = np.asarray(dZ, dtype=float)
    if X.ndim != 2 or W.ndim != 2 or X.shape[1] != W.shape[0]:
        raise ValueError(f"X has shape {X.shape} and W {W.shape}: expected (n, n_in) and (n_in, n_out)")
    if dZ.shape != (X.shape[0], W.shape[1]):
        raise ValueError(f"dZ has shape {dZ.shape}, expected ({X.shape[0]}, {W.shape[1]}) = (n_samples of X, n_out of W)")
    return dZ @ W.T, X.T @ dZ, dZ.sum(axis=0)
''',
},
}
