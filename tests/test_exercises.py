"""The exercise notebooks, graded by real nbgrader in a temporary course.

For every assignment whose source ``solutions/<a>/<a>.ipynb`` exists, one
``generate_assignment --force`` and one ``autograde`` call grade several fake students at once:

* ``solution``      the release with the source's solution cells: must score 100 %;
* ``blank``         the untouched release: must score 0, failing only with NotImplementedError;
* ``mistake_NN``    one per entry of ``tests/mistakes/ex<a>.py``: loses points of its function only;
* ``cheat_import``  every function replaced by ``from dlcourse.<module> import <function>``;
* ``cheat_wrap``    every function wrapping the package's implementation: both earn 0 for it.

Also: the committed release equals a fresh one (no drift), the notebooks follow the conventions of
``solutions/README.md``, and ``pytest --nbval-lax`` runs every source notebook (in a subprocess:
the main run collects only ``tests`` and ``dlcourse``, never notebooks, so nothing runs twice).
"""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from dlcourse.checks import ASSIGNMENTS  # the assignments, listed once
from dlgrade.course import tools_env
from tests.submissions.autograde import grade_id as _grade_id
from tests.submissions.autograde import release as _release
from tests.submissions.autograde import submit_and_autograde as _submit_and_autograde

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow


def _source(assignment: str) -> Path:
    return ROOT / "solutions" / assignment / f"{assignment}.ipynb"


def _require_source(assignment: str) -> None:
    if _source(assignment).exists():
        return
    pytest.fail(f"solutions/{assignment}/{assignment}.ipynb is missing: every assignment in "
                "dlcourse.checks.ASSIGNMENTS needs a source notebook")


def _mistakes(assignment: str):
    try:
        return importlib.import_module(f"tests.mistakes.ex{assignment}")
    except ModuleNotFoundError:
        return None


def _functions(assignment: str) -> list[str]:
    from dlcourse.checks import get_checks

    return list(get_checks(assignment))


class Graded:
    """One assignment generated and autograded in a temporary course."""

    def __init__(self, assignment: str, course: Path):
        self.assignment = assignment
        self.course = course
        self.functions = _functions(assignment)
        name = f"{assignment}.ipynb"
        self.release = _release(assignment, course)
        self.source = nbformat.read(_source(assignment), as_version=4)
        solutions = {_grade_id(c): c.source for c in self.source.cells
                     if c.metadata.get("nbgrader", {}).get("solution") and c.cell_type == "code"}
        module = _mistakes(assignment)
        self.mistakes = list(getattr(module, "MISTAKES", []))
        self.package_modules = dict(getattr(module, "PACKAGE_MODULES", {}))

        students: dict[str, dict[str, str]] = {"solution": dict(solutions), "blank": {}}
        for number, mistake in enumerate(self.mistakes):
            answers = {**solutions, mistake["function"]: mistake["source"]}
            students[f"mistake_{number:02d}"] = answers
        cheat_import, cheat_wrap = dict(solutions), dict(solutions)
        for function, package_module in self.package_modules.items():
            cheat_import[function] = f"from {package_module} import {function}\n"
            cheat_wrap[function] = (
                f"from {package_module} import {function} as _package_{function}\n\n\n"
                f"def {function}(*args, **kwargs):\n"
                f"    return _package_{function}(*args, **kwargs)\n"
            )
        students["cheat_import"] = cheat_import
        students["cheat_wrap"] = cheat_wrap
        _submit_and_autograde(course, assignment, self.release, students)

        from nbgrader.api import Gradebook

        self.scores: dict[str, dict[str, tuple[float, float]]] = {}
        self.errors: dict[str, dict[str, list[str]]] = {}
        with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
            for student in students:
                submission = gradebook.find_submission_notebook(assignment, assignment, student)
                self.scores[student] = {
                    grade.name: (grade.score, grade.max_score)
                    for grade in submission.grades if grade.cell.cell_type == "code"
                }
        for student in students:
            graded_path = course / "autograded" / student / assignment / name
            graded = nbformat.read(graded_path, as_version=4)
            self.errors[student] = {
                _grade_id(cell) or f"cell {index}": [
                    f"{output.ename}: {output.evalue}"
                    for output in cell.get("outputs", []) if output.output_type == "error"
                ]
                for index, cell in enumerate(graded.cells) if cell.cell_type == "code"
            }

    def lost(self, student: str) -> dict[str, tuple[float, float]]:
        """The test cells where ``student`` did not get full points."""
        return {cell: pair for cell, pair in self.scores[student].items() if pair[0] < pair[1]}


_GRADED: dict[str, Graded] = {}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    def get(assignment: str) -> Graded:
        _require_source(assignment)
        if assignment not in _GRADED:
            _GRADED[assignment] = Graded(assignment, tmp_path_factory.mktemp(f"course{assignment}"))
        return _GRADED[assignment]

    return get


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_notebook_follows_the_conventions(assignment):
    _require_source(assignment)
    notebook = nbformat.read(_source(assignment), as_version=4)
    nbformat.validate(notebook)
    functions = _functions(assignment)
    cells = {_grade_id(c): c for c in notebook.cells if _grade_id(c)}
    first = notebook.cells[0]
    assert first.cell_type == "markdown" and first.source.startswith("# "), (
        "the first cell must be a markdown title ('# Exercise N: ...'): it is the page title")
    for function in functions:
        solution = cells.get(function)
        assert solution is not None, f"no solution cell with grade_id {function!r}"
        meta = solution.metadata["nbgrader"]
        assert meta["solution"] and not meta["grade"] and meta["schema_version"] == 3
        assert f"def {function}(" in solution.source and "### BEGIN SOLUTION" in solution.source
        visible, hidden = cells.get(f"test_{function}"), cells.get(f"test_{function}_hidden")
        assert visible is not None and hidden is not None, f"{function} needs two test cells"
        assert f"check_{function}({function})" in visible.source
        assert "### BEGIN HIDDEN TESTS" in hidden.source and "### END HIDDEN TESTS" in hidden.source
        # numpy's comparisons may be patched by a solution cell (np.array_equal = lambda *a: True);
        # hidden tests compare through dlcourse.testing, which binds numpy's functions at import
        for call in ("np.allclose(", "np.array_equal(", "np.isclose(", "np.testing."):
            assert call not in hidden.source, (
                f"test_{function}_hidden calls {call.rstrip('(')}: use dlcourse.testing's "
                "same_values / assert_close (imported as _grader_*) instead")
        for cell in (visible, hidden):
            meta = cell.metadata["nbgrader"]
            assert meta["grade"] and meta["locked"] and not meta["solution"] and meta["points"] > 0
        points = visible.metadata["nbgrader"]["points"] + hidden.metadata["nbgrader"]["points"]
        assert points >= 2, f"{function} is worth {points} point(s); every function needs >= 2"
    graded_code = {c.metadata["nbgrader"]["grade_id"] for c in notebook.cells
                   if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")}
    expected = {f"test_{f}" for f in functions} | {f"test_{f}_hidden" for f in functions}
    assert graded_code == expected, "autograded points come only from the contract's functions"
    manual = [c for c in notebook.cells
              if c.cell_type == "markdown" and c.metadata.get("nbgrader", {}).get("grade")]
    assert len(manual) <= 1, "at most one manually graded answer per notebook"
    last = notebook.cells[-1]
    assert last.cell_type == "code" and f'self_check(globals(), "{assignment}")' in last.source
    assert last.metadata["nbgrader"]["locked"]
    assert all(not c.get("outputs") for c in notebook.cells if c.cell_type == "code"), (
        "clear the outputs of the source notebook")


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_matches_a_fresh_generate_assignment(assignment, graded):
    run = graded(assignment)
    committed = ROOT / "exercises" / assignment / f"{assignment}.ipynb"
    assert committed.exists(), f"exercises/{assignment} missing: run scripts/release_exercises.py"
    committed_cells = nbformat.read(committed, as_version=4).cells
    fresh = [(c.cell_type, c.source) for c in run.release.cells]
    old = [(c.cell_type, c.source) for c in committed_cells]
    assert old == fresh, (f"exercises/{assignment} drifted from solutions/{assignment}: run "
                          f"`.venv/bin/python scripts/release_exercises.py {assignment}`")


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_solutions_score_full_points(assignment, graded):
    run = graded(assignment)
    assert run.scores["solution"], "no autograded cells found"
    assert run.lost("solution") == {}, run.errors["solution"]
    assert not any(run.errors["solution"].values()), run.errors["solution"]


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_untouched_release_scores_zero_with_only_not_implemented(assignment, graded):
    run = graded(assignment)
    earned = {cell: score for cell, (score, _) in run.scores["blank"].items() if score}
    assert earned == {}, f"the untouched release earns points: {earned}"
    errors = [e for cell_errors in run.errors["blank"].values() for e in cell_errors]
    assert errors, "the release should fail its tests"
    others = [e for e in errors if not e.startswith("NotImplementedError")]
    assert others == [], f"the untouched release fails with other errors: {others}"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_each_mistake_costs_exactly_its_function(assignment, graded):
    run = graded(assignment)
    assert len(run.mistakes) >= 3, f"tests/mistakes/ex{assignment}.py needs >= 3 MISTAKES"
    problems = []
    for number, mistake in enumerate(run.mistakes):
        function = mistake["function"]
        assert function in run.functions, f"mistake for unknown function {function!r}"
        lost = run.lost(f"mistake_{number:02d}")
        own = {f"test_{function}", f"test_{function}_hidden"}
        if not set(lost) & own:
            problems.append(f"{function} ({mistake['why']}) passes every test")
        if set(lost) - own:
            problems.append(f"{function} ({mistake['why']}) also costs {sorted(set(lost) - own)}")
        if mistake.get("fails") == "hidden" and set(lost) & own != {f"test_{function}_hidden"}:
            problems.append(f"{function} ({mistake['why']}) should pass the visible test and fail "
                            f"only the hidden one; it loses {sorted(set(lost) & own)}")
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_using_the_package_implementation_earns_nothing(assignment, graded):
    run = graded(assignment)
    assert run.package_modules, f"tests/mistakes/ex{assignment}.py needs PACKAGE_MODULES"
    for function, module in run.package_modules.items():
        package = importlib.import_module(module)
        assert hasattr(package, function), f"{module} has no {function}: fix PACKAGE_MODULES"
    for student in ("cheat_import", "cheat_wrap"):
        for function in run.package_modules:
            for cell in (f"test_{function}", f"test_{function}_hidden"):
                score, _ = run.scores[student][cell]
                assert score == 0, f"{student}: {cell} earns {score} with the package's {function}"
                messages = " ".join(run.errors[student][cell])
                assert "own implementation" in messages, (
                    f"{student}: {cell} should say the package's own implementation is not "
                    f"allowed, got {messages!r}")
        others = set(run.functions) - set(run.package_modules)
        for function in others:
            assert f"test_{function}" not in run.lost(student)


def test_solution_notebooks_run_top_to_bottom_under_nbval():
    notebooks = [str(_source(a)) for a in ASSIGNMENTS if _source(a).exists()]
    assert notebooks
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--nbval-lax", "-q", "-p", "no:cacheprovider",
         "-o", "addopts=", *notebooks],
        cwd=ROOT, env=tools_env(), capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stdout[-5000:]
