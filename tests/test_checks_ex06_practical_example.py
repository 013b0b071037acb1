"""Fast, in-process tests of the classifier check of dlcourse/checks/ex06_practical_example.py
(the nbgrader runs of tests/test_exercises.py and tests/test_exercise_fairness.py are slow).

The check computes the test accuracy from the returned model's weights with its own
arithmetic, not through scikit-learn's ``predict``: a rule the notebook adds to (or swaps into)
scikit-learn's activation table passed for a trained network (hostile review 21d, A5). Every
independent correct answer still passes; both spellings of A5 in tests/mistakes/ reach 90 %
through scikit-learn's own predict (the hole) and are refused with a reason.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.neural_network import MLPClassifier
from sklearn.neural_network._base import ACTIVATIONS

from dlcourse.checks import ex06_practical_example as checks
from tests.independent import variants
from tests.mistakes.ex06_practical_example import MISTAKES

HOSTILE = [m for m in MISTAKES if "A5" in m["why"]]


@pytest.fixture
def sklearn_table():
    """scikit-learn's activation table, put back as it was after the test (a hostile answer
    changes it in this process)."""
    saved = dict(ACTIVATIONS)
    yield ACTIVATIONS
    ACTIVATIONS.clear()
    ACTIVATIONS.update(saved)


def _define(source: str):
    namespace = {"np": np}
    exec(source, namespace)  # noqa: S102  (a student-style solution cell)
    return namespace["fit_mlp_classifier"]


def _fitted(activation: str, seed: int = 0, hidden=(6,)):
    X, y = checks.xor_data(300, np.random.default_rng(seed))
    model = MLPClassifier(hidden_layer_sizes=hidden, activation=activation, solver="lbfgs",
                          max_iter=150, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return model.fit(X, y)


@pytest.mark.parametrize("activation", checks.HIDDEN_ACTIVATIONS)
@pytest.mark.parametrize("hidden", [(6,), (5, 3)])
def test_the_checks_own_forward_pass_agrees_with_scikit_learn(activation, hidden):
    model = _fitted(activation, hidden=hidden)
    X = checks.xor_data(500, np.random.default_rng(9))[0] * 3.0  # also outside the training square
    predicted = model.predict(X)
    labels = checks.network_predictions(model, X, predicted)
    assert np.array_equal(labels, predicted)


# one variant lets scikit-learn's ConvergenceWarning through on purpose (most students do)
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("name", list(variants("06_practical_example")))
def test_every_independent_answer_passes_the_visible_check(name):
    fit = _define(variants("06_practical_example")[name]["fit_mlp_classifier"])
    checks.check_fit_mlp_classifier(fit)


@pytest.mark.parametrize("mistake", HOSTILE, ids=lambda m: m["source"].split("\n")[-2].strip())
def test_a_rule_in_scikit_learns_activation_table_earns_no_accuracy(mistake, sklearn_table):
    assert len(HOSTILE) == 2
    fit = _define(mistake["source"])
    X, y = checks.xor_data(1000, np.random.default_rng(1000))
    model = fit(X[:700], y[:700], 0)
    # the hole: scikit-learn's own predict, class untouched, reaches the accuracy asked for
    assert type(model) is MLPClassifier and "predict" not in vars(model)
    assert np.mean(model.predict(X[700:]) == y[700:]) >= 0.9
    with pytest.raises(AssertionError, match="activation is 'xorh'|predict disagrees"):
        checks.fit_and_score(fit, seed=0)
    with pytest.raises(AssertionError):
        checks.check_fit_mlp_classifier(fit)


def _tampered(change: str):
    def fit(X, y, seed):
        model = MLPClassifier(hidden_layer_sizes=(6,), activation="tanh", solver="lbfgs",
                              max_iter=200, random_state=seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.fit(X, y)
        if change == "out-activation":
            model.out_activation_ = "xorh"
        elif change == "activation-subclass":
            model.activation = type("Name", (str,), {})("tanh")
        elif change == "coefs-array-subclass":
            model.coefs_ = [W.view(type("Weights", (np.ndarray,), {})) for W in model.coefs_]
        elif change == "coefs-nan":
            model.coefs_[0][0, 0] = np.nan
        elif change == "bias-as-row":
            model.intercepts_[0] = model.intercepts_[0][None, :]
        elif change == "classes":
            model.classes_ = np.array([1, 0])
        return model
    return fit


@pytest.mark.parametrize("change, reason", [
    ("out-activation", "out_activation_ is 'xorh'"),
    ("activation-subclass", "activation is 'tanh', not one of"),
    ("coefs-array-subclass", r"coefs_\[0\] of the classifier is not an array"),
    ("coefs-nan", "finite numbers"),
    ("bias-as-row", r"biases of shape \(1, 6\)"),
    ("classes", r"classes are \[1, 0\]"),
])
def test_a_model_changed_after_fit_is_refused_with_its_reason(change, reason, sklearn_table):
    """Each change leaves a model scikit-learn's predict still runs (an output activation
    'xorh' is added to its table as the logistic function), so the check itself refuses it."""
    sklearn_table["xorh"] = sklearn_table["logistic"]
    with pytest.raises(AssertionError, match=reason):
        checks.fit_and_score(_tampered(change), seed=0)


def test_an_honest_model_scores_what_its_predict_scores():
    fit = _define(variants("06_practical_example")["adam_long"]["fit_mlp_classifier"])
    model, score = checks.fit_and_score(fit, seed=5)
    X, y = checks.xor_data(1000, np.random.default_rng(1005))
    assert score == np.mean(model.predict(X[700:]) == y[700:]) >= 0.9
