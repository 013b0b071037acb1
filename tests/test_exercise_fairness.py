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

from pathlib import Path

import nbformat
import pytest

from dlcourse.checks import ASSIGNMENTS
from tests.independent import variants
from tests.submissions.autograde import grade_id as _grade_id

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


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_independent_correct_answers_score_full_points(assignment, graded_exercise):
    source = _real_source(assignment)
    if source is None:
        pytest.skip(f"solutions/{assignment} is still a placeholder")
    answers_by_variant = variants(assignment)
    if not answers_by_variant:
        pytest.skip(f"tests/independent/ex{assignment}.py has no variants yet")
    functions = _functions(source)
    for name, answers in answers_by_variant.items():
        unknown = set(answers) - set(functions)
        assert not unknown, f"variant {name} answers unknown functions {sorted(unknown)}"
        missing = sorted(set(functions) - set(answers))
        assert not missing, f"variant {name} must answer every function; missing {missing}"

    run = graded_exercise.get(assignment)
    assert set(run.independent) == {f"indep_{name}" for name in answers_by_variant}
    problems = []
    for student in run.independent:
        lost = run.lost(student)
        if lost:
            errors = {cell: [error[:400] for error in run.errors[student].get(cell, [])]
                      for cell in lost}
            problems.append(f"{student} (a correct answer) lost {lost}: {errors}")
    assert problems == [], "unfair tests:\n" + "\n".join(problems)
