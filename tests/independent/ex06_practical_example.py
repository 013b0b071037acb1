"""Independent correct answers for exercise 06 (the practical XOR example), in different styles."""

from tests.independent import with_own_helpers

# ruff: noqa: E501  (the sources are student-style solution cells, kept as written)

VARIANTS = {
    # Coordinates drawn one column at a time, bool-to-int labels via sign, sklearn's accuracy_score,
    # logistic units with L-BFGS (the lecture's R nnet configuration).
    "columns_logistic": {
        "make_xor": '''
            def make_xor(n_samples, rng=None):
                gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
                x1 = gen.uniform(-1, 1, n_samples)
                x2 = gen.uniform(-1, 1, n_samples)
                y = (np.sign(x1) == np.sign(x2)).astype(int)
                return np.column_stack([x1, x2]), y
            ''',
        "accuracy": '''
            from sklearn.metrics import accuracy_score


            def accuracy(y, y_hat):
                return accuracy_score(np.asarray(y, dtype=float), np.asarray(y_hat, dtype=float))
            ''',
        "fit_mlp_classifier": '''
            from sklearn.neural_network import MLPClassifier


            def fit_mlp_classifier(X_train, y_train, seed):
                model = MLPClassifier(hidden_layer_sizes=(5,), activation="logistic", solver="lbfgs",
                                      tol=0.0, max_iter=1000, random_state=seed)
                import warnings
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    return model.fit(X_train, y_train)
            ''',
    },
    # random() scaled to [-1, 1), float labels, accuracy by counting in Python, ReLU units.
    "python_count_relu": {
        "make_xor": '''
            def make_xor(n_samples, rng=None):
                gen = np.random.default_rng(rng)
                X = 2.0 * gen.random((n_samples, 2)) - 1.0
                y = np.array([1.0 if a * b > 0 else 0.0 for a, b in X])
                return X, y
            ''',
        "accuracy": '''
            def accuracy(y, y_hat):
                pairs = list(zip(list(y), list(y_hat)))
                return sum(1 for a, b in pairs if float(a) == float(b)) / len(pairs)
            ''',
        "fit_mlp_classifier": '''
            import warnings

            from sklearn.exceptions import ConvergenceWarning
            from sklearn.neural_network import MLPClassifier


            def fit_mlp_classifier(X_train, y_train, seed):
                clf = MLPClassifier(hidden_layer_sizes=(16, 16), activation="relu", solver="lbfgs",
                                    alpha=1e-4, max_iter=500, random_state=seed)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", ConvergenceWarning)
                    clf.fit(np.asarray(X_train), np.asarray(y_train))
                return clf
            ''',
    },
    # Generator.uniform with low/high keywords, XOR of the quadrant booleans, Adam run long enough.
    "adam_long": {
        "make_xor": '''
            def make_xor(n_samples, rng=None):
                gen = np.random.default_rng(rng)
                X = gen.uniform(low=-1.0, high=1.0, size=(n_samples, 2))
                y = np.logical_not(np.logical_xor(X[:, 0] > 0, X[:, 1] > 0)).astype(np.int64)
                return X, y
            ''',
        "accuracy": '''
            def accuracy(y, y_hat):
                y, y_hat = np.asarray(y), np.asarray(y_hat)
                return np.count_nonzero(y == y_hat) / y.size
            ''',
        "fit_mlp_classifier": '''
            import warnings

            from sklearn.neural_network import MLPClassifier


            def fit_mlp_classifier(X_train, y_train, seed):
                model = MLPClassifier(hidden_layer_sizes=(16,), activation="tanh", solver="adam",
                                      learning_rate_init=0.03, max_iter=400, tol=1e-6,
                                      n_iter_no_change=50, random_state=seed)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    model.fit(X_train, y_train)
                return model
            ''',
    },
}


# A correct answer whose helpers share names with the test helpers (see tests.independent.OWN_HELPERS).
VARIANTS["own_helpers"] = with_own_helpers(VARIANTS["columns_logistic"], "make_xor")


# A correct fit_mlp_classifier that calls its own helper named like the checks' fit_and_score.
VARIANTS["own_helpers"]["fit_mlp_classifier"] = '''
import warnings

from sklearn.neural_network import MLPClassifier


def fit_and_score(model, X, y):
    """Fit the model and return its training accuracy (my helper)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X, y)
    return model.score(X, y)


def fit_mlp_classifier(X_train, y_train, seed):
    model = MLPClassifier(hidden_layer_sizes=(8,), activation="tanh", solver="lbfgs",
                          max_iter=300, random_state=seed)
    fit_and_score(model, X_train, y_train)
    return model
'''


# Another style of seeding: a PCG64 bit generator built from an int seed (a Generator is used as
# given), one point at a time; a classifier seeded with seed + 1, which is just as reproducible and
# seed-dependent as random_state=seed.
VARIANTS["offset_seed"] = {
    "make_xor": '''
        def make_xor(n_samples, rng=None):
            if not isinstance(rng, np.random.Generator):
                rng = np.random.Generator(np.random.PCG64(rng))
            X = np.zeros((n_samples, 2))
            for i in range(n_samples):
                X[i, 0] = rng.uniform(-1.0, 1.0)
                X[i, 1] = rng.uniform(-1.0, 1.0)
            y = np.array([1 if x1 * x2 > 0 else 0 for x1, x2 in X], dtype=int)
            return X, y
        ''',
    "accuracy": '''
        def accuracy(y, y_hat):
            matches = np.equal(np.asarray(y, dtype=float), np.asarray(y_hat, dtype=float))
            return float(np.sum(matches)) / len(matches)
        ''',
    "fit_mlp_classifier": '''
        import warnings

        from sklearn.neural_network import MLPClassifier


        def fit_mlp_classifier(X_train, y_train, seed):
            net = MLPClassifier(hidden_layer_sizes=(6,), activation="logistic", solver="lbfgs",
                                max_iter=2000, random_state=seed + 1)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                net.fit(X_train, y_train)
            return net
        ''',
}

# Most students never silence scikit-learn: this correct answer stops at max_iter and lets the
# ConvergenceWarning through. Graded kernels show warnings on stdout (nbgrader would give a
# test cell with stderr output 0 points, with no word of why).
VARIANTS["unsilenced_warning"] = dict(VARIANTS["adam_long"], fit_mlp_classifier='''
            from sklearn.neural_network import MLPClassifier


            def fit_mlp_classifier(X_train, y_train, seed):
                model = MLPClassifier(hidden_layer_sizes=(8,), activation="tanh", solver="lbfgs",
                                      max_iter=100, random_state=seed)
                return model.fit(X_train, y_train)
            ''')


# The course's style (argument checks raising ValueError as the package's check_* helpers do,
# the chapter's names, the formula written the obvious way): written for the advisory flag of
# dlgrade.package_copy, which must stay silent on it (benchmarks/package_copy.py).
VARIANTS["course_style"] = {
    **VARIANTS["columns_logistic"],
    "make_xor": '''
        def make_xor(n_samples, rng=None):
            if int(n_samples) != n_samples or n_samples < 1:
                raise ValueError(f"n_samples must be an integer >= 1, got {n_samples!r}")
            rng = np.random.default_rng(rng)
            X = rng.uniform(-1.0, 1.0, size=(int(n_samples), 2))
            y = (X[:, 0] * X[:, 1] > 0).astype(int)
            return X, y
        ''',
}
