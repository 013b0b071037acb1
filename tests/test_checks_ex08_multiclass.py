"""Fast, in-process tests of dlcourse/checks/ex08_multiclass.py (the nbgrader runs are slow).

The references the hidden tests compare with agree with the package's own implementations and
with central differences; every seeded mistake that should fail a visible check does, with a
message naming it; every independent correct answer passes every visible check.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from dlcourse.activations import softmax
from dlcourse.checks import ex08_multiclass as checks
from dlcourse.data import one_hot
from dlcourse.losses import softmax_cross_entropy, softmax_cross_entropy_grad
from dlcourse.testing import reference_numerical_gradient
from tests.independent import variants
from tests.mistakes.ex08_multiclass import MISTAKES


def test_references_agree_with_the_package_and_with_central_differences():
    rng = np.random.default_rng(0)
    Z = rng.normal(scale=3.0, size=(7, 5))
    y = rng.integers(0, 5, size=7)
    assert checks.reference_softmax_cross_entropy(y, Z) == pytest.approx(
        softmax_cross_entropy(y, Z), rel=1e-12)
    np.testing.assert_allclose(checks.reference_softmax_cross_entropy_grad(y, Z),
                               softmax_cross_entropy_grad(y, Z), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(np.exp(checks.reference_log_softmax(Z)), softmax(Z), rtol=1e-12)
    np.testing.assert_allclose((softmax(Z) - one_hot(y, 5)) / 7,
                               checks.reference_softmax_cross_entropy_grad(y, Z), atol=1e-15)
    params = [(rng.normal(size=(3, 4)), rng.normal(size=4)), (rng.normal(size=(4, 2)),
                                                              rng.normal(size=2))]
    for (dW, db), (W, b) in zip(checks.l2_penalty_grad(params, 0.3), params, strict=True):
        numeric = reference_numerical_gradient(lambda _: checks.l2_penalty(params, 0.3), W)
        np.testing.assert_allclose(dW, numeric, rtol=1e-6)
        assert np.array_equal(db, np.zeros_like(b))
    # huge logits: finite, and the true class far below the others costs its logit gap
    big = np.array([[0.0, -1000.0], [1000.0, 999.0]])
    assert checks.reference_softmax_cross_entropy([1, 1], big) == pytest.approx(
        (1000.0 + 1.0 + np.log1p(np.exp(-1.0))) / 2)


@pytest.mark.parametrize("losses, patience, expected", [
    ([], 1, False), ([0.3], 1, False), ([1.0, 0.8, 0.9], 2, False),
    ([1.0, 0.8, 0.9, 0.95], 2, True), ([1.0, 0.8, 0.8, 0.8], 2, True),
    ([1.0, 0.8, 0.8, 0.8], 3, False), (np.array([0.5, 0.6, 0.7]), 2, True),
])
def test_the_reference_early_stopping_rule(losses, patience, expected):
    assert checks.should_stop(losses, patience) is expected


def _define(source: str) -> dict:
    namespace = {"np": np, "__name__": "__main__"}
    exec(source, namespace)  # noqa: S102  (a student-style solution cell)
    return namespace


@pytest.mark.parametrize("mistake", [m for m in MISTAKES if m.get("fails") != "hidden"],
                         ids=lambda m: f"{m['function']}: {m['why']}")
def test_each_visible_mistake_fails_its_visible_check(mistake):
    function = _define(mistake["source"])[mistake["function"]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(AssertionError) as info:
            checks.CHECKS[mistake["function"]](function)
    assert mistake["function"] in str(info.value)  # the message names the function


@pytest.mark.parametrize("name", list(variants("08_multiclass")))
def test_independent_answers_pass_every_visible_check(name):
    namespace = {"np": np, "__name__": "__main__"}
    for source in variants("08_multiclass")[name].values():
        exec(source, namespace)  # noqa: S102
    for function, check in checks.CHECKS.items():
        check(namespace[function])


@pytest.mark.parametrize("function", list(checks.CHECKS))
def test_the_references_themselves_are_refused_as_answers(function):
    """An answer that imports the course's implementation earns nothing."""
    package = {"one_hot": one_hot, "softmax": softmax,
               "softmax_cross_entropy": softmax_cross_entropy,
               "softmax_cross_entropy_grad": softmax_cross_entropy_grad}
    answer = package.get(function) or getattr(checks, function)
    with pytest.raises(AssertionError, match="own implementation"):
        checks.CHECKS[function](answer)


def test_star_import_binds_only_the_checks():
    namespace: dict = {}
    exec("from dlcourse.checks.ex08_multiclass import *", namespace)  # noqa: S102
    names = {n for n in namespace if not n.startswith("__")}
    assert names == {f"check_{f}" for f in checks.CHECKS} | {"CHECKS"}
