"""The exercise notebooks, graded by real nbgrader in a temporary course.

For every assignment whose source ``solutions/<a>/<a>.ipynb`` exists, one
``generate_assignment --force`` and one ``autograde`` call grade several fake students at once
(tests/submissions/exercises.py; the independent answers of tests/test_exercise_fairness.py are
graded in the same batch):

* ``solution``      the release with the source's solution cells: must score 100 %;
* ``blank``         the untouched release: must score 0, failing only with NotImplementedError;
* ``mistake_NN``    one per entry of ``tests/mistakes/ex<a>.py``: loses points of its function only;
* ``cheat_import``  every function replaced by ``from dlcourse.<module> import <function>``;
* ``cheat_wrap``    every function wrapping the package's implementation: both earn 0 for it.

The same students are graded once more under a forced BLAS kernel (``OPENBLAS_CORETYPE``,
default Prescott) in a copy of the released course.

Also: the committed release equals a fresh one (no drift), the notebooks follow the conventions of
``solutions/README.md``, and ``pytest --nbval-lax`` runs every source notebook (in a subprocess:
the main run collects only ``tests`` and ``dlcourse``, never notebooks, so nothing runs twice).
"""

from __future__ import annotations

import importlib
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from dlcourse.checks import ASSIGNMENTS  # the assignments, listed once
from dlgrade.course import tools_env
from tests.submissions.autograde import grade_id as _grade_id
from tests.submissions.exercises import (
    FORCED_KERNEL_ASSIGNMENTS,
    NO_BLAS_ASSIGNMENTS,
    PROBE,
    PROBE_MARK,
    mistakes_module,
    source_path,
)

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow


def _source(assignment: str) -> Path:
    return ROOT / "solutions" / assignment / f"{assignment}.ipynb"


def _require_source(assignment: str) -> None:
    if _source(assignment).exists():
        return
    pytest.fail(f"solutions/{assignment}/{assignment}.ipynb is missing: every assignment in "
                "dlcourse.checks.ASSIGNMENTS needs a source notebook")


def _functions(assignment: str) -> list[str]:
    from dlcourse.checks import get_checks

    return list(get_checks(assignment))


@pytest.fixture
def graded(graded_exercise):
    """``graded(assignment) -> Graded``: the assignment's batch, graded once per test process
    (tests/submissions/exercises.py; the session fixture lives in tests/conftest.py)."""
    def get(assignment: str, coretype: str | None = None):
        _require_source(assignment)
        return graded_exercise.get(assignment, coretype)

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


def _assert_solution_scores_full_points(run):
    assert run.scores["solution"], "no autograded cells found"
    assert run.lost("solution") == {}, run.errors["solution"]
    assert not any(run.errors["solution"].values()), run.errors["solution"]


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_solutions_score_full_points(assignment, graded):
    _assert_solution_scores_full_points(graded(assignment))


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_untouched_release_scores_zero_with_only_not_implemented(assignment, graded):
    run = graded(assignment)
    earned = {cell: score for cell, (score, _) in run.scores["blank"].items() if score}
    assert earned == {}, f"the untouched release earns points: {earned}"
    errors = [e for cell_errors in run.errors["blank"].values() for e in cell_errors]
    assert errors, "the release should fail its tests"
    others = [e for e in errors if not e.startswith("NotImplementedError")]
    assert others == [], f"the untouched release fails with other errors: {others}"


def _assert_each_mistake_costs_exactly_its_function(run):
    assert len(run.mistakes) >= 3, f"tests/mistakes/ex{run.assignment}.py needs >= 3 MISTAKES"
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
def test_each_mistake_costs_exactly_its_function(assignment, graded):
    _assert_each_mistake_costs_exactly_its_function(graded(assignment))


def _assert_the_package_implementation_earns_nothing(run):
    assert run.package_modules, f"tests/mistakes/ex{run.assignment}.py needs PACKAGE_MODULES"
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


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_using_the_package_implementation_earns_nothing(assignment, graded):
    _assert_the_package_implementation_earns_nothing(graded(assignment))


# --- the same submissions graded again under another BLAS kernel -------------------------------
# The solution's full points, each mistake's exact loss and the package import's zero must not
# depend on the CPU. The re-grade reuses the course released above (a copy with the released
# gradebook) and runs only `nbgrader autograde` again, with OPENBLAS_CORETYPE forced in the
# grader's environment, which its kernels inherit (`make test-kernel` runs only these tests).
FORCED_KERNEL = os.environ.get("DLCOURSE_FORCED_KERNEL", "Prescott")


def _blas_kernel_of_a_process(coretype: str) -> str:
    """What OpenBLAS reports as its kernel in a plain interpreter under ``coretype`` (the name
    may differ from the forced one: Prescott reports itself as Katmai)."""
    code = ("import numpy; from threadpoolctl import threadpool_info as info; print(sorted({"
            "i.get('architecture') for i in info() if i.get('internal_api') == 'openblas'}))")
    env = {**os.environ, "OPENBLAS_CORETYPE": coretype}
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          check=True).stdout.strip()


def _forced(graded, assignment):
    run = graded(assignment, FORCED_KERNEL)
    kernels = [line.removeprefix(PROBE_MARK).strip()
               for line in run.outputs[PROBE].splitlines() if line.startswith(PROBE_MARK)]
    expected = _blas_kernel_of_a_process(FORCED_KERNEL)
    assert kernels == [expected], (
        f"OPENBLAS_CORETYPE={FORCED_KERNEL} did not reach the grading kernel: it reports "
        f"{kernels}, a plain interpreter under that kernel {expected}")
    return run


#: what calls OpenBLAS from Python: matrix products, np.dot and kin, np.linalg, and the numpy
#: functions built on them (a decorator line is no matrix product)
BLAS_CALL = re.compile(r"(?<=[\w)\]])\s*@\s*[\w(\[]|\b(dot|vdot|inner|matmul|tensordot|einsum|"
                       r"linalg|lstsq|polyfit|cov|corrcoef|solve|inv|pinv|norm)\b")


def _blas_calls(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines()
            if not line.lstrip().startswith(("@", "#")) and BLAS_CALL.search(line)]


@pytest.mark.parametrize("assignment", NO_BLAS_ASSIGNMENTS)
def test_no_blas_where_no_forced_kernel_regrade(assignment):
    """An assignment left out of the forced-kernel re-grade computes nothing through OpenBLAS:
    not its solution, its checks, the testing helpers, its independent answers, its mistakes,
    nor the package functions its cheats import (tests/submissions/exercises.py says why)."""
    source = nbformat.read(source_path(assignment), as_version=4)
    texts = {f"solutions/{assignment}": "\n".join(
        c.source for c in source.cells if c.cell_type == "code")}
    mistakes = mistakes_module(assignment)
    modules = ["dlcourse.testing", "dlcourse.checks._common", f"dlcourse.checks.ex{assignment}",
               f"tests.independent.ex{assignment}", mistakes.__name__,
               *sorted(set(getattr(mistakes, "PACKAGE_MODULES", {}).values()))]
    for name in modules:
        texts[name] = Path(importlib.import_module(name).__file__).read_text(encoding="utf-8")
    found = {name: calls for name, text in texts.items() if (calls := _blas_calls(text))}
    assert found == {}, (f"{assignment} now calls OpenBLAS; grade it again under a forced "
                         f"kernel (remove it from NO_BLAS_ASSIGNMENTS): {found}")


@pytest.mark.parametrize("assignment", FORCED_KERNEL_ASSIGNMENTS)
def test_solutions_score_full_points_under_a_forced_kernel(assignment, graded):
    _assert_solution_scores_full_points(_forced(graded, assignment))


@pytest.mark.parametrize("assignment", FORCED_KERNEL_ASSIGNMENTS)
def test_each_mistake_costs_exactly_its_function_under_a_forced_kernel(assignment, graded):
    _assert_each_mistake_costs_exactly_its_function(_forced(graded, assignment))


@pytest.mark.parametrize("assignment", FORCED_KERNEL_ASSIGNMENTS)
def test_using_the_package_implementation_earns_nothing_under_a_forced_kernel(assignment, graded):
    _assert_the_package_implementation_earns_nothing(_forced(graded, assignment))


def test_solution_notebooks_run_top_to_bottom_under_nbval():
    notebooks = [str(_source(a)) for a in ASSIGNMENTS if _source(a).exists()]
    assert notebooks
    result = subprocess.run(
        # -p no:randomly: the project's addopts are dropped here, and pytest-randomly would
        # shuffle the cells of a notebook (nbval runs them in the order collected)
        [sys.executable, "-m", "pytest", "--nbval-lax", "-q", "-p", "no:cacheprovider",
         "-p", "no:randomly", "-o", "addopts=", *notebooks],
        cwd=ROOT, env=tools_env(), capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stdout[-5000:]
