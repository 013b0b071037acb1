"""Realistic mistakes in exercise 02 (the neuron); see tests/mistakes/__init__.py."""

PACKAGE_MODULES = {
    "sigmoid": "dlcourse.activations",
    "neuron": "dlcourse.neuron",
    "binary_cross_entropy": "dlcourse.losses",
    "fit_neuron": "dlcourse.neuron",
}

_SIGMOID = "1.0 / (1.0 + np.exp(-np.clip({}, -500, 500)))"

MISTAKES = [
    dict(function="sigmoid", why="the literal formula, which overflows for large negative t",
         source="""\
def sigmoid(t):
    return 1.0 / (1.0 + np.exp(-np.asarray(t, dtype=float)))
"""),
    dict(function="sigmoid", why="'stable' np.where form that still evaluates exp(-t) everywhere",
         source="""\
def sigmoid(t):
    t = np.asarray(t, dtype=float)
    return np.where(t >= 0, 1.0 / (1.0 + np.exp(-t)), np.exp(t) / (1.0 + np.exp(t)))
"""),
    dict(function="neuron", why="forgets the bias", source=f"""\
def neuron(X, w, b):
    return {_SIGMOID.format("np.asarray(X) @ np.asarray(w)")}
"""),
    dict(function="neuron", why="hard-codes the answer of the visible check", fails="hidden",
         source="""\
def neuron(X, w, b):
    return np.array([0.6224593312018546, 0.6224593312018546, 0.2689414213699951])
"""),
    dict(function="neuron", why="returns the pre-activation X @ w + b", source="""\
def neuron(X, w, b):
    return np.asarray(X) @ np.asarray(w) + b
"""),
    dict(function="binary_cross_entropy", why="sum instead of mean", source="""\
def binary_cross_entropy(y, p):
    y = np.asarray(y, dtype=float)
    p = np.clip(np.asarray(p, dtype=float), 1e-12, 1 - 1e-12)
    return float(-np.sum(y * np.log(p) + (1 - y) * np.log(1 - p)))
"""),
    dict(function="binary_cross_entropy", why="no clipping: log(0) for p in {0, 1}", source="""\
def binary_cross_entropy(y, p):
    y = np.asarray(y, dtype=float)
    p = np.asarray(p, dtype=float)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))
"""),
    dict(function="fit_neuron", why="flipped gradient sign (steps uphill)", source=f"""\
def fit_neuron(X, y, lr, n_steps):
    w, b = np.zeros(X.shape[1]), 0.0
    for _ in range(n_steps):
        error = {_SIGMOID.format("X @ w + b")} - y
        w = w + lr * X.T @ error / len(y)
        b = b + lr * np.mean(error)
    return w, b
"""),
    dict(function="fit_neuron", why="never updates the bias", source=f"""\
def fit_neuron(X, y, lr, n_steps):
    w, b = np.zeros(X.shape[1]), 0.0
    for _ in range(n_steps):
        error = {_SIGMOID.format("X @ w + b")} - y
        w = w - lr * X.T @ error / len(y)
    return w, b
"""),
    dict(function="fit_neuron", why="extra sigmoid derivative factor (MSE-style gradient)",
         source=f"""\
def fit_neuron(X, y, lr, n_steps):
    w, b = np.zeros(X.shape[1]), 0.0
    for _ in range(n_steps):
        p = {_SIGMOID.format("X @ w + b")}
        error = (p - y) * p * (1 - p)
        w = w - lr * X.T @ error / len(y)
        b = b - lr * np.mean(error)
    return w, b
"""),
    dict(function="fit_neuron", why="one update short (range(n_steps - 1)): trains less than asked",
         fails="hidden", source=f"""\
def fit_neuron(X, y, lr, n_steps):
    w, b = np.zeros(X.shape[1]), 0.0
    for _ in range(n_steps - 1):
        error = {_SIGMOID.format("X @ w + b")} - y
        w = w - lr * X.T @ error / len(y)
        b = b - lr * np.mean(error)
    return w, b
"""),
    dict(function="fit_neuron",
         why="stray factor 2 in the step (2 * lr), which still lowers the loss",
         fails="hidden", source=f"""\
def fit_neuron(X, y, lr, n_steps):
    w, b = np.zeros(X.shape[1]), 0.0
    for _ in range(n_steps):
        error = {_SIGMOID.format("X @ w + b")} - y
        w = w - 2 * lr * X.T @ error / len(y)
        b = b - 2 * lr * np.mean(error)
    return w, b
"""),
]
