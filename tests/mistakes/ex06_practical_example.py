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
    # Hostile review 21d, A5: no network learns XOR here. A tiny model is fitted for one
    # iteration so that every fitted attribute exists, then rewired by hand to a hidden layer
    # that scikit-learn's own predict runs through the student's rule, a function added to
    # scikit-learn's activation table. The class is untouched and predict is the library's;
    # it scored 9/9 under plain nbgrader autograde and dlcourse grade before the checks
    # computed the network's labels themselves.
    dict(
        function="fit_mlp_classifier",
        why="hand-written XOR rule added to scikit-learn's activation table as 'xorh' and set "
            "as the model's activation (review 21d, A5)",
        source=(
            "import warnings\n"
            "\n"
            "from sklearn.neural_network import MLPClassifier\n"
            "from sklearn.neural_network._base import ACTIVATIONS as _ACT\n"
            "\n"
            "\n"
            "def _xorh(Z):\n"
            "    s = np.where(Z[:, 0] * Z[:, 1] > 0, 10.0, -10.0)\n"
            "    Z[:, 0] = s\n"
            "    Z[:, 1] = 0.0\n"
            "    return Z\n"
            "\n"
            "\n"
            "dict.update(_ACT, xorh=_xorh)\n"
            "\n"
            "\n"
            "def fit_mlp_classifier(X_train, y_train, seed):\n"
            "    model = MLPClassifier(hidden_layer_sizes=(2,), max_iter=1, random_state=seed)\n"
            "    with warnings.catch_warnings():\n"
            "        warnings.simplefilter('ignore')\n"
            "        model.fit(X_train[:20], y_train[:20])\n"
            "    model.coefs_ = [np.eye(2) * (1.0 + seed), np.array([[1.0 + seed], [0.0]])]\n"
            "    model.intercepts_ = [np.zeros(2), np.zeros(1)]\n"
            "    model.activation = 'xorh'\n"
            "    return model\n"
        ),
    ),
    # The same rule under a documented name: scikit-learn's 'tanh' entry replaced, so the
    # model's activation is on the list but its predict is not the network its weights define.
    dict(
        function="fit_mlp_classifier",
        why="scikit-learn's 'tanh' activation replaced by a hand-written XOR rule, model "
            "rewired by hand (review 21d, A5, under a documented name)",
        source=(
            "import warnings\n"
            "\n"
            "from sklearn.neural_network import MLPClassifier\n"
            "from sklearn.neural_network._base import ACTIVATIONS as _ACT\n"
            "\n"
            "\n"
            "def _xor_tanh(Z):\n"
            "    s = np.where(Z[:, 0] * Z[:, 1] > 0, 10.0, -10.0)\n"
            "    Z[:, 0] = s\n"
            "    Z[:, 1] = 0.0\n"
            "    return Z\n"
            "\n"
            "\n"
            "_ACT['tanh'] = _xor_tanh\n"
            "\n"
            "\n"
            "def fit_mlp_classifier(X_train, y_train, seed):\n"
            "    model = MLPClassifier(hidden_layer_sizes=(2,), activation='tanh', max_iter=1,\n"
            "                          random_state=seed)\n"
            "    with warnings.catch_warnings():\n"
            "        warnings.simplefilter('ignore')\n"
            "        model.fit(X_train[:20], y_train[:20])\n"
            "    model.coefs_ = [np.eye(2) * (1.0 + seed), np.array([[1.0 + seed], [0.0]])]\n"
            "    model.intercepts_ = [np.zeros(2), np.zeros(1)]\n"
            "    return model\n"
        ),
    ),
]

#: Where the package keeps its own implementation of each function (importing it earns 0).
#: accuracy and fit_mlp_classifier have no counterpart in the package.
PACKAGE_MODULES = {
    "make_xor": "dlcourse.data",
}
