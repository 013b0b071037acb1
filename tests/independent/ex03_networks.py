"""Independent correct answers for exercise 03 (networks), in different styles."""

from tests.independent import with_own_helpers

# ruff: noqa: E501  (the sources are student-style solution cells, kept as written)

VARIANTS = {
    # Glorot-uniform weights, small random biases, einsum, if/elif activations, scipy's expit.
    "glorot_einsum": {
        "init_params": '''
            def init_params(layer_sizes, rng):
                generator = np.random.default_rng(rng)
                params = []
                for n_in, n_out in zip(layer_sizes, layer_sizes[1:]):
                    limit = np.sqrt(6.0 / (n_in + n_out))
                    W = generator.uniform(-limit, limit, size=(n_in, n_out))
                    b = generator.uniform(-0.01, 0.01, size=n_out)
                    params.append((W, b))
                return params
            ''',
        "count_parameters": '''
            def count_parameters(layer_sizes):
                sizes = np.asarray(layer_sizes)
                return int(np.sum(sizes[:-1] * sizes[1:]) + np.sum(sizes[1:]))
            ''',
        "dense_forward": '''
            def dense_forward(X, W, b):
                return np.einsum("ni,io->no", np.asarray(X, dtype=float), np.asarray(W, dtype=float)) + b
            ''',
        "mlp_forward": '''
            from scipy.special import expit


            def mlp_forward(X, params, hidden_activation="relu"):
                A = np.asarray(X, dtype=float)
                for l, (W, b) in enumerate(params):
                    Z = np.einsum("ni,io->no", A, W) + b
                    if l == len(params) - 1:
                        A = expit(Z)
                    elif hidden_activation == "relu":
                        A = Z * (Z > 0)
                    elif hidden_activation == "sigmoid":
                        A = expit(Z)
                    elif hidden_activation == "tanh":
                        A = 2.0 * expit(2.0 * Z) - 1.0
                    else:
                        raise ValueError(f"hidden_activation must be relu, sigmoid or tanh, got {hidden_activation!r}")
                return A
            ''',
    },
    # Python's own random module seeded per call, lists of lists converted at the end, loops.
    "python_random": {
        "init_params": '''
            import random


            def init_params(layer_sizes, rng):
                generator = random.Random(rng)
                params = []
                for n_in, n_out in zip(layer_sizes[:-1], layer_sizes[1:]):
                    scale = (1.0 / n_in) ** 0.5
                    W = [[generator.gauss(0.0, scale) for _ in range(n_out)] for _ in range(n_in)]
                    params.append((np.array(W), np.zeros(n_out)))
                return params
            ''',
        "count_parameters": '''
            def count_parameters(layer_sizes):
                total = 0
                for i in range(1, len(layer_sizes)):
                    total += layer_sizes[i - 1] * layer_sizes[i]   # weights
                    total += layer_sizes[i]                        # biases
                return total
            ''',
        "dense_forward": '''
            def dense_forward(X, W, b):
                X, W, b = np.asarray(X, dtype=float), np.asarray(W, dtype=float), np.asarray(b, dtype=float)
                Z = np.empty((X.shape[0], W.shape[1]))
                for i in range(X.shape[0]):
                    for k in range(W.shape[1]):
                        Z[i, k] = sum(X[i, j] * W[j, k] for j in range(X.shape[1])) + b[k]
                return Z
            ''',
        "mlp_forward": '''
            import math


            def _sig(v):
                return 1.0 / (1.0 + math.exp(-v)) if v >= 0 else math.exp(v) / (1.0 + math.exp(v))


            def mlp_forward(X, params, hidden_activation="relu"):
                funcs = {"relu": lambda v: max(v, 0.0), "sigmoid": _sig, "tanh": math.tanh}
                g = funcs[hidden_activation]
                A = np.asarray(X, dtype=float)
                for l, (W, b) in enumerate(params):
                    Z = A @ np.asarray(W) + np.asarray(b)
                    f = _sig if l == len(params) - 1 else g
                    A = np.vectorize(f, otypes=[float])(Z)
                return A
            ''',
    },
    # Legacy (but seeded, not global) RandomState with a truncated normal, He scale; float32 weights.
    "randomstate_float32": {
        "init_params": '''
            def init_params(layer_sizes, rng):
                state = np.random.RandomState(rng)
                params = []
                for n_in, n_out in zip(layer_sizes[:-1], layer_sizes[1:]):
                    W = state.randn(n_in, n_out)
                    W = np.clip(W, -2.0, 2.0) * np.sqrt(2.0 / n_in)
                    params.append((W.astype(np.float32), np.zeros(n_out, dtype=np.float32)))
                return params
            ''',
        "count_parameters": '''
            from math import prod


            def count_parameters(layer_sizes):
                pairs = list(zip(layer_sizes, layer_sizes[1:]))
                return sum(prod(pair) for pair in pairs) + sum(n_out for _, n_out in pairs)
            ''',
        "dense_forward": '''
            def dense_forward(X, W, b):
                return np.dot(X, W) + np.reshape(b, (1, -1))
            ''',
        "mlp_forward": '''
            def mlp_forward(X, params, hidden_activation="relu"):
                def sigmoid(z):
                    return np.exp(-np.logaddexp(0.0, -z))

                hidden = {"relu": lambda z: np.clip(z, 0.0, None), "sigmoid": sigmoid,
                          "tanh": lambda z: np.sinh(z) / np.cosh(z) if np.all(np.abs(z) < 300) else np.tanh(z)}[hidden_activation]
                *hidden_layers, (W_out, b_out) = params
                A = np.asarray(X, dtype=float)
                for W, b in hidden_layers:
                    A = hidden(A @ np.asarray(W, dtype=float) + b)
                return sigmoid(A @ np.asarray(W_out, dtype=float) + b_out)
            ''',
    },
    # Small-scale normal (CS231n style, 0.1) from a SeedSequence-spawned generator per layer.
    "spawned_small_normal": {
        "init_params": '''
            def init_params(layer_sizes, rng):
                children = np.random.SeedSequence(rng).spawn(len(layer_sizes) - 1)
                return [(np.random.default_rng(child).standard_normal((n_in, n_out)) * 0.1,
                         np.zeros(n_out))
                        for child, n_in, n_out in zip(children, layer_sizes[:-1], layer_sizes[1:])]
            ''',
        "count_parameters": '''
            def count_parameters(layer_sizes):
                return sum((a + 1) * c for a, c in zip(layer_sizes[:-1], layer_sizes[1:]))
            ''',
        "dense_forward": '''
            def dense_forward(X, W, b):
                Xa = np.hstack([np.asarray(X, dtype=float), np.ones((np.shape(X)[0], 1))])
                return Xa @ np.vstack([W, np.reshape(b, (1, -1))])
            ''',
        "mlp_forward": '''
            def mlp_forward(X, params, hidden_activation="relu"):
                A = np.array(X, dtype=float)
                L = len(params)
                for l in range(L):
                    W, b = params[l]
                    Z = np.tensordot(A, W, axes=1) + b
                    if l < L - 1 and hidden_activation == "relu":
                        A = np.where(Z > 0, Z, 0.0)
                    elif l < L - 1 and hidden_activation == "tanh":
                        A = np.tanh(Z)
                    else:  # sigmoid hidden units and the output unit
                        A = np.where(Z >= 0, 1 / (1 + np.exp(-np.abs(Z))), np.exp(-np.abs(Z)) / (1 + np.exp(-np.abs(Z))))
                return A
            ''',
    },
}


# A correct answer whose helpers share names with the test helpers (see tests.independent.OWN_HELPERS).
VARIANTS["own_helpers"] = with_own_helpers(VARIANTS["glorot_einsum"], "init_params")

# Each unit's incoming weights drawn as a vector of its own (LeCun normal) and stacked as columns,
# small positive biases (a common ReLU habit): the tests must see the columns as different units.
VARIANTS["unit_by_unit"] = {
    **VARIANTS["spawned_small_normal"],
    "init_params": '''
        def init_params(layer_sizes, rng):
            gen = np.random.default_rng(rng)
            params = []
            for n_in, n_out in zip(layer_sizes[:-1], layer_sizes[1:]):
                units = [gen.normal(0.0, 1.0 / np.sqrt(n_in), size=n_in) for _ in range(n_out)]
                params.append((np.column_stack(units), np.full(n_out, 0.01)))
            return params
        ''',
}


# The course's style (argument checks raising ValueError as the package's check_* helpers do,
# the chapter's names, the formula written the obvious way): written for the advisory flag of
# dlgrade.package_copy, which must stay silent on it (benchmarks/package_copy.py).
VARIANTS["course_style"] = {
    **VARIANTS["glorot_einsum"],
    "count_parameters": '''
        def count_parameters(layer_sizes):
            if len(layer_sizes) < 2:
                raise ValueError(f"layer_sizes has {len(layer_sizes)} entries, expected at "
                                 "least 2 (inputs and outputs)")
            total = 0
            for n_in, n_out in zip(layer_sizes[:-1], layer_sizes[1:]):
                total += n_in * n_out + n_out
            return int(total)
        ''',
    "dense_forward": '''
        def dense_forward(X, W, b):
            X, W, b = np.asarray(X, dtype=float), np.asarray(W, dtype=float), np.asarray(b, dtype=float)
            if X.ndim != 2 or W.ndim != 2 or X.shape[1] != W.shape[0]:
                raise ValueError(f"X has shape {X.shape} and W {W.shape}: expected "
                                 "(n_samples, n_in) and (n_in, n_out)")
            return X @ W + b
        ''',
}
