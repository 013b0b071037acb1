"""Realistic mistakes in exercise 06_practical_example: each costs only its function's points."""

MISTAKES = [
    dict(
        function="make_xor",
        why="normal instead of uniform coordinates (rng.normal), so points leave the square",
        source=(
            "def make_xor(n_samples, rng=None):\n"
            "    rng = np.random.default_rng(rng)\n"
            "    X = rng.normal(size=(n_samples, 2))\n"
            "    return X, (X[:, 0] * X[:, 1] > 0).astype(int)\n"
        ),
    ),
    dict(
        function="make_xor",
        why="uniform on [0, 1] instead of [-1, 1]: every point in the first quadrant",
        source=(
            "def make_xor(n_samples, rng=None):\n"
            "    rng = np.random.default_rng(rng)\n"
            "    X = rng.random((n_samples, 2))\n"
            "    return X, (X[:, 0] * X[:, 1] > 0).astype(int)\n"
        ),
    ),
    dict(
        function="make_xor",
        why="labels swapped: 1 where x1 * x2 < 0",
        source=(
            "def make_xor(n_samples, rng=None):\n"
            "    rng = np.random.default_rng(rng)\n"
            "    X = rng.uniform(-1, 1, size=(n_samples, 2))\n"
            "    return X, (X[:, 0] * X[:, 1] < 0).astype(int)\n"
        ),
    ),
    dict(
        function="make_xor",
        why="ignores rng and draws from the global np.random state: not reproducible",
        source=(
            "def make_xor(n_samples, rng=None):\n"
            "    X = np.random.uniform(-1, 1, size=(n_samples, 2))\n"
            "    return X, (X[:, 0] * X[:, 1] > 0).astype(int)\n"
        ),
    ),
    dict(
        function="make_xor",
        why="seeds numpy's global state with an int seed and falls back to seed 0 otherwise: "
            "reproducible, but it ignores a generator and clobbers the caller's random stream",
        fails="hidden",
        source=(
            "def make_xor(n_samples, rng=None):\n"
            "    np.random.seed(rng if isinstance(rng, int) else 0)\n"
            "    X = np.random.uniform(-1, 1, size=(n_samples, 2))\n"
            "    return X, (X[:, 0] * X[:, 1] > 0).astype(int)\n"
        ),
    ),
    dict(
        function="make_xor",
        why="uses a generator it is given, but turns an int seed into np.random.seed + the "
            "global np.random functions (changes the caller's global random state)",
        fails="hidden",
        source=(
            "def make_xor(n_samples, rng=None):\n"
            "    if isinstance(rng, np.random.Generator):\n"
            "        X = rng.uniform(-1, 1, size=(n_samples, 2))\n"
            "    else:\n"
            "        np.random.seed(rng)\n"
            "        X = np.random.uniform(-1, 1, size=(n_samples, 2))\n"
            "    return X, (X[:, 0] * X[:, 1] > 0).astype(int)\n"
        ),
    ),
    dict(
        function="accuracy",
        why="returns the number of correct predictions instead of the fraction",
        source=(
            "def accuracy(y, y_hat):\n"
            "    return np.sum(np.asarray(y) == np.asarray(y_hat))\n"
        ),
    ),
    dict(
        function="accuracy",
        why="returns a percentage instead of a fraction",
        source=(
            "def accuracy(y, y_hat):\n"
            "    return 100 * np.mean(np.asarray(y) == np.asarray(y_hat))\n"
        ),
    ),
    dict(
        function="fit_mlp_classifier",
        why="scikit-learn's default configuration (adam): stops on a plateau well below 90 %",
        source=(
            "def fit_mlp_classifier(X_train, y_train, seed):\n"
            "    from sklearn.neural_network import MLPClassifier\n"
            "    return MLPClassifier(hidden_layer_sizes=(5,), activation='logistic',\n"
            "                         random_state=seed).fit(X_train, y_train)\n"
        ),
    ),
    dict(
        function="fit_mlp_classifier",
        why="no nonlinearity (activation='identity'): a linear model cannot separate XOR",
        source=(
            "def fit_mlp_classifier(X_train, y_train, seed):\n"
            "    from sklearn.neural_network import MLPClassifier\n"
            "    return MLPClassifier(hidden_layer_sizes=(8,), activation='identity',\n"
            "                         solver='lbfgs', random_state=seed).fit(X_train, y_train)\n"
        ),
    ),
    dict(
        function="fit_mlp_classifier",
        why="ignores the seed (random_state=0): reproducible, but each seed gives the same network",
        fails="hidden",
        source=(
            "def fit_mlp_classifier(X_train, y_train, seed):\n"
            "    import warnings\n"
            "\n"
            "    from sklearn.neural_network import MLPClassifier\n"
            "\n"
            "    model = MLPClassifier(hidden_layer_sizes=(8,), activation='tanh',\n"
            "                          solver='lbfgs', max_iter=300, random_state=0)\n"
            "    with warnings.catch_warnings():  # a warning on stderr would cost the points\n"
            "        warnings.simplefilter('ignore')\n"
            "        return model.fit(X_train, y_train)\n"
        ),
    ),
    dict(
        function="fit_mlp_classifier",
        why="forgets to fit: returns the untrained classifier",
        source=(
            "def fit_mlp_classifier(X_train, y_train, seed):\n"
            "    from sklearn.neural_network import MLPClassifier\n"
            "    return MLPClassifier(hidden_layer_sizes=(8,), activation='tanh', solver='lbfgs',\n"
            "                         random_state=seed)\n"
        ),
    ),
]

#: Where the package keeps its own implementation of each function (importing it earns 0).
#: accuracy and fit_mlp_classifier have no counterpart in the package.
PACKAGE_MODULES = {
    "make_xor": "dlcourse.data",
}
