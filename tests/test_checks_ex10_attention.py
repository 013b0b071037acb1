"""The diagnoses of exercise 10_attention (dlcourse/checks/ex10_attention.py), without nbgrader.

The notebook's visible and hidden tests are calls of these helpers, so their logic is tested here
directly and fast: the mistake models at their defaults are the package's functions, the package's
answers and float32 roundings pass, every mistake model is named, an unnamed error is reported
against the numerical gradient; and the source notebook's own test cells, run in one process,
pass every independent correct answer and take from each seeded mistake exactly its function's
cells (the hidden one only, if it is marked so).
(tests/test_exercises.py and tests/test_exercise_fairness.py grade the same through real nbgrader.)
"""

from __future__ import annotations

import warnings
from pathlib import Path

import nbformat
import numpy as np
import pytest

from dlcourse import attention, normalization
from dlcourse.checks import ex10_attention as checks
from tests.assertions import fails_with
from tests.independent import variants
from tests.mistakes.ex10_attention import MISTAKES

_fails = fails_with


def _cases():
    return checks.random_attention_cases(7)


def _define(*sources: str) -> dict:
    namespace = {"np": np, "__name__": "__main__"}
    for source in sources:
        exec(source, namespace)  # noqa: S102  (a student-style solution cell)
    return namespace


def _lost_cells(answers: dict[str, str]) -> list[str]:
    """Run the source notebook's cells in one process, with ``answers`` (grade_id -> source) in
    place of the solution cells they name; return the graded cells that raise.

    The same cells nbgrader runs (tests/test_exercises.py), without a kernel: fast, and it
    catches a hidden test that rejects a correct answer before the slow tests do."""
    namespace = {"__name__": "__main__"}
    lost = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # graded kernels print warnings; they cost nothing
        for cell in _SOURCE.cells:
            meta = cell.metadata.get("nbgrader", {})
            if cell.cell_type != "code" or meta.get("grade_id") == "self_check":
                continue
            source = answers.get(meta.get("grade_id"), cell.source) if meta.get("solution") \
                else cell.source
            try:
                exec(source, namespace)  # noqa: S102  (the course's own notebook)
            except Exception:  # noqa: BLE001  (a failing test cell is the result)
                if meta.get("grade"):
                    lost.append(meta["grade_id"])
    return lost


_SOURCE = nbformat.read(Path(__file__).resolve().parent.parent / "solutions" / "10_attention"
                        / "10_attention.ipynb", as_version=4)


# --------------------------------------------------------------------------- the references


def test_the_mistake_models_at_their_defaults_are_the_package_functions():
    for Q, K, V, mask, _ in _cases():
        out, A = checks._attention_model(Q, K, V, mask)
        p_out, p_A = attention.scaled_dot_product_attention(Q, K, V, mask)
        np.testing.assert_allclose(A, p_A, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(out, p_out, rtol=1e-12, atol=1e-14)
        dOut = np.random.default_rng(0).normal(size=out.shape)
        for ours, package in zip(checks._attention_backward_model(dOut, Q, K, V, mask),
                                 attention.attention_backward(dOut, Q, K, V, mask), strict=True):
            np.testing.assert_allclose(ours, package, rtol=1e-10, atol=1e-12)
    X = np.random.default_rng(1).normal(size=(3, 4, 5))
    gamma, beta = np.arange(1.0, 6.0), np.linspace(-1.0, 1.0, 5)
    np.testing.assert_allclose(checks._layernorm_model(X, gamma, beta, 1e-5),
                               normalization.layernorm_forward(X, gamma, beta), rtol=1e-12)


def test_the_hidden_cases_cover_what_they_promise():
    cases = _cases()
    shapes = [(Q.shape, K.shape, V.shape) for Q, K, V, _, _ in cases]
    assert any(len(q) == 4 for q, _, _ in shapes), "two leading axes"
    assert any(q[-2] != k[-2] and v[-1] != q[-1] for q, k, v in shapes), "n_q != n_k, d_v != d_k"
    masks = [mask for *_, mask, _ in cases if mask is not None]
    assert {m.ndim for m in masks} >= {1, 2, 3}, "masks that broadcast"
    assert any(checks._empty_rows(mask, Q.shape[:-1] + K.shape[-2:-1]).any()
               for Q, K, _, mask, _ in cases if mask is not None), "a query with no key"
    assert max(checks._largest_score(Q, K) for Q, K, *_ in cases) > 745, "exp's range exceeded"


# --------------------------------------------------------------------------- correct answers


def test_the_package_answers_and_float32_roundings_pass():
    for Q, K, V, mask, what in _cases():
        out, A = attention.scaled_dot_product_attention(Q, K, V, mask)
        checks.diagnose_scaled_dot_product_attention((out, A), Q, K, V, mask, what)
        checks.diagnose_scaled_dot_product_attention(
            (out.astype(np.float32), A.astype(np.float32)), Q, K, V, mask, what)
        dOut = np.random.default_rng(2).normal(size=out.shape)
        grads = attention.attention_backward(dOut, Q, K, V, mask)
        checks.diagnose_attention_backward(grads, dOut, Q, K, V, mask, what)
        checks.diagnose_attention_backward([g.astype(np.float32) for g in grads], dOut, Q, K, V,
                                           mask, what)
    checks.diagnose_causal_mask(attention.causal_mask(5), 5, "case")
    checks.diagnose_causal_mask(attention.causal_mask(5).tolist(), 5, "a list of lists")
    X = np.random.default_rng(3).normal(size=(4, 6))
    gamma, beta = np.ones(6), np.zeros(6)
    out = normalization.layernorm_forward(X, gamma, beta, 0.1)
    checks.diagnose_layernorm_forward(out, X, gamma, beta, 0.1, "case")
    checks.diagnose_layernorm_forward(out.astype(np.float32), X, gamma, beta, 0.1, "case")


def test_the_solution_passes_every_test_cell_in_process():
    assert _lost_cells({}) == []


@pytest.mark.parametrize("name", list(variants("10_attention")))
def test_independent_answers_pass_the_visible_and_hidden_tests(name):
    assert _lost_cells(variants("10_attention")[name]) == []


# --------------------------------------------------------------------------- mistakes


@pytest.mark.parametrize("mistake", MISTAKES, ids=lambda m: f"{m['function']}: {m['why']}")
def test_each_mistake_loses_exactly_its_function_in_process(mistake):
    function = mistake["function"]
    own = [f"test_{function}", f"test_{function}_hidden"]
    expected = own[1:] if mistake.get("fails") == "hidden" else own
    assert _lost_cells({function: mistake["source"]}) == expected


@pytest.mark.parametrize("mistake", [m for m in MISTAKES if m.get("fails") != "hidden"],
                         ids=lambda m: f"{m['function']}: {m['why']}")
def test_each_visible_mistake_gets_a_message_about_its_values(mistake):
    function = mistake["function"]
    func = _define(mistake["source"])[function]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(AssertionError) as info:  # numpy's shape errors come with a hint
            checks.CHECKS[function](func)
    assert any(word in str(info.value) for word in (function, "weights", "out", "dQ", "dK",
                                                    "dV")), str(info.value)


@pytest.mark.parametrize("switches, fragment", [
    (dict(scale=1.0), "not divided by sqrt(d_k)"),
    (dict(scale=4.0), "divided by d_k = 4"),
    (dict(axis=-2), "wrong axis"),
    (dict(mask_use="block"), "wrong way round"),
    (dict(mask_use="ignore"), "no effect"),
    (dict(after=True), "after the softmax"),
    (dict(empty="uniform"), "spread evenly"),
])
def test_each_attention_mistake_is_named(switches, fragment):
    rng = np.random.default_rng(4)
    Q, K, V = rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 5, 4)), rng.normal(size=(2, 5, 2))
    mask = rng.random((3, 5)) < 0.6
    mask[0], mask[1, 1] = False, True
    wrong = checks._attention_model(Q, K, V, mask, **switches)
    _fails(lambda: checks.diagnose_scaled_dot_product_attention(wrong, Q, K, V, mask, "case"),
           "case", fragment)


@pytest.mark.parametrize("switches, fragment", [
    (dict(softmax="diagonal"), "diagonal of the softmax"),
    (dict(softmax="none"), "backward is missing"),
    (dict(scale=False), "1 / sqrt(d_k) is missing"),
    (dict(mask_used=False), "without the mask"),
    (dict(sum_axis=-2), "wrong axis"),
    (dict(A_transposed=False), "A^T @ dOut"),
    (dict(dK_transposed=False), "transpose dS"),
])
def test_each_backward_mistake_is_named(switches, fragment):
    rng = np.random.default_rng(5)
    Q, K, V = rng.normal(size=(2, 4, 3)), rng.normal(size=(2, 4, 3)), rng.normal(size=(2, 4, 2))
    dOut, mask = rng.normal(size=(2, 4, 2)), np.tri(4, dtype=bool)
    wrong = checks._attention_backward_model(dOut, Q, K, V, mask, **switches)
    _fails(lambda: checks.diagnose_attention_backward(wrong, dOut, Q, K, V, mask, "case"),
           "is wrong (case)", fragment)


def test_overflow_and_empty_rows_are_explained():
    Q = np.array([[30.0, 20.0], [-25.0, -25.0]])
    K = np.array([[30.0, 21.0], [29.0, 20.0], [28.0, 22.0]])
    V = np.eye(3)[:, :2]
    with np.errstate(all="ignore"):
        E = np.exp(Q @ K.T / np.sqrt(2))
        A = E / E.sum(axis=1, keepdims=True)
    _fails(lambda: checks.diagnose_scaled_dot_product_attention((A @ V, A), Q, K, V, None, "big"),
           "overflows", "each row's own maximum")
    mask = np.array([[True, False, True], [False, False, False]])
    out, A = attention.scaled_dot_product_attention(Q / 50, K / 50, V, mask)
    A, out = A.copy(), out.copy()
    A[1], out[1] = np.nan, np.nan
    _fails(lambda: checks.diagnose_scaled_dot_product_attention((out, A), Q / 50, K / 50, V, mask,
                                                                "empty"),
           "no key at all", "all-zero weights")


def test_a_shape_error_in_the_answer_comes_with_the_usual_causes():
    def batch_unaware(Q, K, V, mask=None):  # right for 2-D inputs; K.T breaks on a batch
        S = Q @ K.T / np.sqrt(Q.shape[-1])
        if mask is not None:
            S = np.where(mask, S, -np.inf)
        top = S.max(axis=-1, keepdims=True)
        E = np.exp(S - np.where(np.isfinite(top), top, 0.0))
        total = E.sum(axis=-1, keepdims=True)
        weights = E / np.where(total > 0, total, 1.0)
        return weights @ V, weights

    _fails(lambda: checks.check_scaled_dot_product_attention(batch_unaware),
           "raised ValueError for a batch", "np.swapaxes(K, -1, -2)", "np.where(mask, S, -np.inf)")


def test_an_unnamed_error_is_reported_against_the_numerical_gradient():
    rng = np.random.default_rng(6)
    Q, K, V, dOut = (rng.normal(size=s) for s in ((3, 4), (5, 4), (5, 2), (3, 2)))
    dQ, dK, dV = attention.attention_backward(dOut, Q, K, V)
    dK = dK.copy()
    dK[2, 1] += 0.3
    _fails(lambda: checks.diagnose_attention_backward((dQ, dK, dV), dOut, Q, K, V, None, "case"),
           "case: dK[2, 1] differs from the numerical gradient")


def test_layernorm_mistakes_are_named():
    X = np.array([[1.0, 2.0, 3.0, 4.0], [0.001, -0.002, 0.003, 0.0]])
    gamma, beta = np.array([1.0, 2.0, 0.5, -1.0]), np.array([0.0, 1.0, -1.0, 0.5])
    for switches, fragment in ((dict(ddof=1), "unbiased"), (dict(eps_inside=False), "outside"),
                               (dict(axis=0), "first axis"), (dict(affine="none"), "not applied"),
                               (dict(root=False), "standard deviation")):
        wrong = checks._layernorm_model(X, gamma, beta, 1e-5, **switches)
        _fails(lambda wrong=wrong: checks.diagnose_layernorm_forward(wrong, X, gamma, beta, 1e-5,
                                                                     "case"), fragment)
    wrong = checks._layernorm_model(X, gamma, beta, 1e-5)
    _fails(lambda: checks.diagnose_layernorm_forward(wrong, X, gamma, beta, 0.3, "case"),
           "not the eps = 0.3")


# --------------------------------------------------------------------------- own work


@pytest.mark.parametrize("function", list(checks.CHECKS))
def test_the_package_functions_are_refused_as_answers(function):
    package = {"causal_mask": attention.causal_mask,
               "scaled_dot_product_attention": attention.scaled_dot_product_attention,
               "attention_backward": attention.attention_backward,
               "layernorm_forward": normalization.layernorm_forward}
    with pytest.raises(AssertionError, match="own implementation"):
        checks.CHECKS[function](package[function])


def test_star_import_binds_only_the_checks():
    namespace: dict = {}
    exec("from dlcourse.checks.ex10_attention import *", namespace)  # noqa: S102
    assert {n for n in namespace if not n.startswith("__")} == {
        f"check_{f}" for f in checks.CHECKS}
