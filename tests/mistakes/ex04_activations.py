"""Realistic mistakes in exercise 04_activations; each must cost the points of its function only."""

MISTAKES = [
    dict(
        function="relu",
        why="modifies the argument in place (t[t < 0] = 0) instead of returning a new array",
        source=(
            "def relu(t):\n"
            "    t[t < 0] = 0.0\n"
            "    return t\n"
        ),
    ),
    dict(
        function="relu",
        why="hostile: blinds numpy's comparisons in its own cell (np.array_equal, np.allclose) "
            "and changes its input in place; the tests run in the judge with the real numpy "
            "(with DLCOURSE_JUDGE=0 only the hidden test, which binds numpy by import, sees it)",
        source=(
            "np.array_equal = lambda *args, **kwargs: True\n"
            "np.allclose = lambda *args, **kwargs: True\n"
            "\n"
            "\n"
            "def relu(t):\n"
            "    t[t < 0] = 0.0\n"
            "    return t\n"
        ),
    ),
    dict(
        function="relu_grad",
        why="uses t >= 0, so the slope at t = 0 is 1 instead of the contract's 0",
        source=(
            "def relu_grad(t):\n"
            "    return (t >= 0).astype(float)\n"
        ),
    ),
    dict(
        function="tanh_grad",
        why="forgets the square: 1 - tanh(t) instead of 1 - tanh(t)**2",
        source=(
            "def tanh_grad(t):\n"
            "    return 1.0 - np.tanh(t)\n"
        ),
    ),
    dict(
        function="leaky_relu",
        why="ignores the alpha argument and always uses 0.01",
        source=(
            "def leaky_relu(t, alpha=0.01):\n"
            "    return np.where(t > 0, t, 0.01 * t)\n"
        ),
    ),
    dict(
        function="leaky_relu_grad",
        why="uses t < 0 for the alpha branch, so the slope at t = 0 is 1 instead of alpha",
        source=(
            "def leaky_relu_grad(t, alpha=0.01):\n"
            "    return np.where(t < 0, alpha, 1.0)\n"
        ),
    ),
    dict(
        function="softmax",
        why="no max subtraction: np.exp overflows and large scores give nan",
        source=(
            "def softmax(Z):\n"
            "    E = np.exp(Z)\n"
            "    return E / np.sum(E, axis=-1, keepdims=True)\n"
        ),
    ),
    dict(
        function="softmax",
        why="normalises over the whole array instead of row by row",
        source=(
            "def softmax(Z):\n"
            "    E = np.exp(Z - np.max(Z))\n"
            "    return E / np.sum(E)\n"
        ),
    ),
    dict(
        function="sigmoid_grad",
        why="returns the sigmoid itself instead of its derivative",
        source=(
            "def sigmoid_grad(t):\n"
            "    return 1.0 / (1.0 + np.exp(-t))\n"
        ),
    ),
]

#: Where the package keeps its own implementation of each function (importing it earns 0).
PACKAGE_MODULES = {
    "relu": "dlcourse.activations",
    "relu_grad": "dlcourse.activations",
    "sigmoid_grad": "dlcourse.activations",
    "tanh_grad": "dlcourse.activations",
    "leaky_relu": "dlcourse.activations",
    "leaky_relu_grad": "dlcourse.activations",
    "softmax": "dlcourse.activations",
}
