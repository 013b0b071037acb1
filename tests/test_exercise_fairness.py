"""Fairness of the exercise tests: independent correct answers score 100 % under real nbgrader.

The course's hidden tests and visible checks must accept *any* correct implementation of the
contract of issue 4, not only the one in ``solutions/``. ``tests/independent/ex<a>.py`` holds
several correct answers per assignment written independently, in deliberately different styles
(loops and lists, einsum, scipy, other stable formulas, other initialisations and learning
dynamics where the contract leaves freedom). For every assignment whose source notebook is real
(it has solution cells), ``nbgrader generate_assignment`` releases it into a temporary course and
one ``nbgrader autograde`` call grades one fake student per variant, in the same batch as the
solution, blank, mistake and cheat students of tests/test_exercises.py
(tests/submissions/exercises.py); every variant must earn every point of every autograded cell.
"""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest

from dlcourse.checks import ASSIGNMENTS
from tests.independent import variants
from tests.submissions.autograde import grade_id as _grade_id
from tests.submissions.exercises import FORCED_KERNEL_ASSIGNMENTS

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow


def _real_source(assignment: str) -> nbformat.NotebookNode | None:
    """The source notebook, or None while it is missing or still a placeholder."""
    path = ROOT / "solutions" / assignment / f"{assignment}.ipynb"
    if not path.exists():
        return None
    notebook = nbformat.read(path, as_version=4)
    has_solutions = any(c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("solution")
                        for c in notebook.cells)
    return notebook if has_solutions else None


def _functions(source: nbformat.NotebookNode) -> list[str]:
    return [_grade_id(c) for c in source.cells
            if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("solution")]


def _variants_checked(assignment: str) -> dict[str, dict[str, str]]:
    """The independent variants of ``assignment``, each checked to answer every function (a
    placeholder source or a missing/empty variants module fails)."""
    source = _real_source(assignment)
    if source is None:
        pytest.fail(f"solutions/{assignment} has no solution cells (a placeholder?)")
    answers_by_variant = variants(assignment)
    assert answers_by_variant, f"tests/independent/ex{assignment}.py has no VARIANTS"
    functions = _functions(source)
    for name, answers in answers_by_variant.items():
        unknown = set(answers) - set(functions)
        assert not unknown, f"variant {name} answers unknown functions {sorted(unknown)}"
        missing = sorted(set(functions) - set(answers))
        assert not missing, f"variant {name} must answer every function; missing {missing}"
    return answers_by_variant


def _assert_every_variant_scores_full_points(run, answers_by_variant) -> None:
    assert set(run.independent) == {f"indep_{name}" for name in answers_by_variant}
    problems = []
    for student in run.independent:
        lost = run.lost(student)
        if lost:
            errors = {cell: [error[:400] for error in run.errors[student].get(cell, [])]
                      for cell in lost}
            problems.append(f"{student} (a correct answer) lost {lost}: {errors}")
    assert problems == [], "unfair tests:\n" + "\n".join(problems)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_independent_correct_answers_score_full_points(assignment, graded_exercise):
    answers_by_variant = _variants_checked(assignment)
    _assert_every_variant_scores_full_points(graded_exercise.get(assignment), answers_by_variant)


@pytest.mark.parametrize("assignment", FORCED_KERNEL_ASSIGNMENTS)
def test_independent_correct_answers_score_full_points_under_a_forced_kernel(
        assignment, graded_exercise):
    """The same variants in the re-grade under a forced BLAS kernel (tests/test_exercises.py's
    forced-kernel tests check that the kernel really ran it; tests/submissions/exercises.py
    says which assignments it leaves out and why)."""
    answers_by_variant = _variants_checked(assignment)
    run = graded_exercise.get(assignment, os.environ.get("DLCOURSE_FORCED_KERNEL", "Prescott"))
    _assert_every_variant_scores_full_points(run, answers_by_variant)
