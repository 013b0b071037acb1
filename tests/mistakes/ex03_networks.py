"""Realistic mistakes in exercise 03 (networks); see tests/mistakes/__init__.py."""

PACKAGE_MODULES = {
    "init_params": "dlcourse.mlp",
    "count_parameters": "dlcourse.mlp",
    "dense_forward": "dlcourse.layers",
    "mlp_forward": "dlcourse.mlp",
}

MISTAKES = [
    dict(function="init_params", why="all-zero weights (symmetry is never broken)", source="""\
def init_params(layer_sizes, rng):
    return [(np.zeros((m, n)), np.zeros(n)) for m, n in zip(layer_sizes[:-1], layer_sizes[1:])]
"""),
    dict(function="init_params", why="transposed weights, shape (n_out, n_in)", source="""\
def init_params(layer_sizes, rng):
    g = np.random.default_rng(rng)
    return [(g.normal(0, 0.5, size=(n, m)), np.zeros(n))
            for m, n in zip(layer_sizes[:-1], layer_sizes[1:])]
"""),
    dict(function="init_params", why="ignores the seed (fresh unseeded generator)", source="""\
def init_params(layer_sizes, rng):
    g = np.random.default_rng()
    return [(g.normal(0, 0.5, size=(m, n)), np.zeros(n))
            for m, n in zip(layer_sizes[:-1], layer_sizes[1:])]
"""),
    dict(function="init_params", why="seeds numpy's global state (np.random.seed + randn), "
         "clobbering the caller's random stream", fails="hidden", source="""\
def init_params(layer_sizes, rng):
    np.random.seed(rng)
    return [(np.random.randn(m, n) * 0.1, np.zeros(n))
            for m, n in zip(layer_sizes[:-1], layer_sizes[1:])]
"""),
    dict(function="init_params", why="one random column tiled over all units (np.tile): every "
         "hidden unit gets the same weights, so the symmetry is never broken", source="""\
def init_params(layer_sizes, rng):
    g = np.random.default_rng(rng)
    params = []
    for n_in, n_out in zip(layer_sizes[:-1], layer_sizes[1:]):
        column = g.normal(0.0, np.sqrt(2.0 / n_in), size=(n_in, 1))
        params.append((np.tile(column, (1, n_out)), np.zeros(n_out)))
    return params
"""),
    dict(function="count_parameters", why="forgets the biases", source="""\
def count_parameters(layer_sizes):
    return sum(m * n for m, n in zip(layer_sizes[:-1], layer_sizes[1:]))
"""),
    dict(function="count_parameters", why="hard-codes the answers of the visible check",
         fails="hidden", source="""\
def count_parameters(layer_sizes):
    return {(2, 3, 1): 13, (4, 1): 5, (784, 128, 10): 101770}[tuple(layer_sizes)]
"""),
    dict(function="dense_forward", why="forgets the bias", source="""\
def dense_forward(X, W, b):
    return np.asarray(X) @ np.asarray(W)
"""),
    dict(function="dense_forward", why="computes the transposed product W.T @ X.T", source="""\
def dense_forward(X, W, b):
    return np.asarray(W).T @ np.asarray(X).T + np.asarray(b)[:, None]
"""),
    dict(function="mlp_forward", why="ReLU on the output layer instead of the sigmoid", source="""\
def mlp_forward(X, params, hidden_activation="relu"):
    g = {"relu": lambda z: np.maximum(z, 0), "sigmoid": lambda z: 1 / (1 + np.exp(-z)),
         "tanh": np.tanh}[hidden_activation]
    A = X
    for W, b in params:
        A = g(A @ W + b)
    return A
"""),
    dict(function="mlp_forward", why="always ReLU, ignoring hidden_activation", source="""\
def mlp_forward(X, params, hidden_activation="relu"):
    A = X
    for W, b in params[:-1]:
        A = np.maximum(A @ W + b, 0)
    W, b = params[-1]
    return 1 / (1 + np.exp(-(A @ W + b)))
"""),
    dict(function="mlp_forward", why="skips the last layer's bias", source="""\
def mlp_forward(X, params, hidden_activation="relu"):
    g = {"relu": lambda z: np.maximum(z, 0), "sigmoid": lambda z: 1 / (1 + np.exp(-z)),
         "tanh": np.tanh}[hidden_activation]
    A = X
    for W, b in params[:-1]:
        A = g(A @ W + b)
    return 1 / (1 + np.exp(-(A @ params[-1][0])))
"""),
]
