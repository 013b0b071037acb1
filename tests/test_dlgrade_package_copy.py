"""dlgrade.package_copy: the advisory flag on answers that look like the package pasted in.

Fairness (no honest answer of tests/independent, tests/mistakes or the solutions is flagged)
and the catch (every paste variant of tests/submissions/pasted.py is) on the texts alone; the
real grading paths are in tests/test_package_copy_grading.py, the rates per assignment in
benchmarks/package_copy.py.
"""

from __future__ import annotations

import importlib
import textwrap

import pytest

from dlcourse.checks import ASSIGNMENTS
from dlgrade import package_copy as pc
from tests.independent import variants
from tests.submissions.pasted import VARIANTS, graded_functions, pasted_cells, solution_cells

SOFTMAX = '''
def softmax(Z):
    Z = as_float_array(Z, 'Z')
    if Z.ndim == 0 or Z.shape[-1] == 0:
        raise ValueError(f'Z has shape {Z.shape}, expected at least one value along the last axis')
    E = np.exp(Z - Z.max(axis=-1, keepdims=True))
    return E / E.sum(axis=-1, keepdims=True)
'''
AS_FLOAT = textwrap.dedent(__import__("inspect").getsource(
    importlib.import_module("dlcourse._validation").as_float_array))


def _flagged(*cells: str, asked=("softmax",)) -> list[str]:
    return [c.name for c in pc.find_copies([textwrap.dedent(c) for c in cells], list(asked))]


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_no_honest_answer_is_flagged(assignment):
    asked = graded_functions(assignment)
    texts = {f"independent {name}": list(answers.values())
             for name, answers in variants(assignment).items()}
    mistakes = importlib.import_module(f"tests.mistakes.ex{assignment}").MISTAKES
    texts.update({f"mistake {m['function']}: {m['why'][:40]}": [m["source"]] for m in mistakes})
    texts["solution"] = list(solution_cells(assignment).values())
    flagged = {who: pc.describe(found) for who, cells in texts.items()
               if (found := pc.find_copies(cells, asked))}
    assert flagged == {}


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("assignment", ["04_activations", "10_attention"])
def test_every_paste_variant_is_flagged_on_every_function_large_enough(assignment, variant):
    asked = graded_functions(assignment)
    package = pc.package_functions()
    large = [name for name in asked if name in package and
             max(sum(g.values()) for _, g in package[name]) >= pc.MIN_GRAMS]
    found = pc.find_copies(list(pasted_cells(assignment, variant).values()), asked)
    assert [c.name for c in found] == large
    assert all(c.share >= pc.THRESHOLD for c in found)


def test_dead_statements_identity_wrappers_and_names_change_nothing():
    pasted = '''
    def _keep(value, *rest):
        """Nothing."""
        unused = 3
        return value

    same = lambda x: x

    def _twice(x):
        return _keep(same(x))

    def softmax(scores):
        "My own softmax!"
        if False:
            print("never")
        _k = 0
        while 0:
            pass
        scores = as_float_array(_twice(scores), 'scores')
        "a note"
        if scores.ndim == 0 or _keep(scores).shape[-1] == 0:
            raise ValueError(f'wrong: {scores.shape}')
        exps = np.exp(scores - same(scores).max(axis=-1, keepdims=True))
        junk = exps + 1
        more = junk * 2
        return exps / exps.sum(axis=-1, keepdims=True)
    '''
    assert _flagged(AS_FLOAT, pasted) == ["softmax"]
    found = pc.find_copies([AS_FLOAT, textwrap.dedent(pasted)], ["softmax"])
    assert found[0].package == "dlcourse.activations.softmax" and found[0].share == 1.0


def test_the_obvious_formula_without_the_package_helpers_is_not_flagged():
    honest = '''
    def softmax(Z):
        Z = np.asarray(Z, dtype=float)
        if Z.ndim == 0 or Z.shape[-1] == 0:
            raise ValueError(f"Z has shape {Z.shape}, expected at least one score")
        E = np.exp(Z - np.max(Z, axis=-1, keepdims=True))
        return E / np.sum(E, axis=-1, keepdims=True)
    '''
    assert _flagged(honest) == []
    assert pc.scores([textwrap.dedent(honest)], ["softmax"])["softmax"][0] < pc.THRESHOLD


def test_small_functions_and_names_the_assignment_does_not_ask_for_say_nothing():
    relu = "def relu(t):\n    _k = 0\n    return np.maximum(t, 0.0)\n"
    assert _flagged(relu, asked=["relu"]) == []  # a one-liner cannot be told from honest work
    assert _flagged(AS_FLOAT, SOFTMAX, asked=["relu"]) == []  # softmax is not asked for
    assert _flagged(AS_FLOAT, SOFTMAX) == ["softmax"]


def test_unreadable_cells_add_nothing_and_magics_are_ignored():
    assert _flagged("def softmax(:\n", "%timeit 1\n" + AS_FLOAT, SOFTMAX) == ["softmax"]
    assert _flagged("def softmax(:\n") == []


def test_describe_groups_by_module_in_plain_words():
    found = [pc.Copy("sigmoid_grad", "dlcourse.activations.sigmoid_grad", 0.999),
             pc.Copy("softmax", "dlcourse.activations.softmax", 0.91),
             pc.Copy("layernorm_forward", "dlcourse.normalization.layernorm_forward", 0.85)]
    assert pc.describe(found) == (
        "sigmoid_grad, softmax look like copies of dlcourse.activations (99 %, 91 %); "
        "layernorm_forward looks like a copy of dlcourse.normalization (85 %)")
    assert pc.describe([]) == ""
