"""One nbgrader batch per exercise, shared by tests/test_exercises.py and
tests/test_exercise_fairness.py ("grade once, assert many").

For an assignment, :meth:`Graded.grade` releases the source notebook into a temporary course
(one ``generate_assignment --force``) and autogrades every fake student in one
``nbgrader autograde`` call:

* ``solution``      the release with the source's solution cells;
* ``blank``         the untouched release;
* ``mistake_NN``    one per entry of ``tests/mistakes/ex<a>.py``;
* ``cheat_import``  / ``cheat_wrap``: the package's implementation imported or wrapped;
* ``indep_<name>``  one per independent correct answer of ``tests/independent/ex<a>.py``.

:meth:`Graded.regrade` grades the same submissions again in a copy of that course, with
``OPENBLAS_CORETYPE`` forced in the grader's (and so the kernels') environment: no new release,
only the second autograde differs. The tests assert on the scores and errors per student.
"""

from __future__ import annotations

import importlib
import os
import shutil
from pathlib import Path

import nbformat

from dlcourse.checks import ASSIGNMENTS, get_checks
from dlgrade.course import run_nbgrader
from tests.independent import variants
from tests.submissions.autograde import ROOT, grade_id, release, submit_and_autograde

#: ``OPENBLAS_CORETYPE`` changes only OpenBLAS's routines (matrix products, ``np.dot``,
#: ``np.linalg``); numpy's own loops (``exp``, ``tanh``, sums, comparisons) choose their SIMD
#: code from the real processor whatever it says. So a test tolerance that holds on one BLAS
#: kernel only can show only in an assignment whose graded values pass through OpenBLAS: every
#: assignment but 04 (activation functions and their derivatives, element by element), whose
#: solution, checks, independent answers, mistakes and package functions call none of it
#: (tests/test_exercises.py::test_no_blas_where_no_forced_kernel_regrade keeps that true).
#: Its re-grade under a forced kernel would compute every number exactly as the default one.
NO_BLAS_ASSIGNMENTS = ("04_activations",)
#: the assignments graded again under a forced BLAS kernel (every other one)
FORCED_KERNEL_ASSIGNMENTS = [a for a in ASSIGNMENTS if a not in NO_BLAS_ASSIGNMENTS]

#: the gradebook as ``generate_assignment`` left it: no grades yet (a re-grade starts from it)
RELEASED_GRADEBOOK = "gradebook.released.db"
#: a student of the re-grade only: prints the BLAS kernel its kernel runs, to prove the force
PROBE = "probe_blas_kernel"
PROBE_MARK = "BLAS-KERNEL:"


def source_path(assignment: str) -> Path:
    return ROOT / "solutions" / assignment / f"{assignment}.ipynb"


def mistakes_module(assignment: str):
    """``tests/mistakes/ex<assignment>.py``; a missing module is an error, not a skip."""
    name = f"tests.mistakes.ex{assignment}"
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as error:
        if error.name != name:
            raise
        raise AssertionError(f"tests/mistakes/ex{assignment}.py is missing: every assignment needs "
                             "realistic mistakes (see tests/mistakes/__init__.py)") from None


def solution_answers(source: nbformat.NotebookNode) -> dict[str, str]:
    return {grade_id(c): c.source for c in source.cells
            if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("solution")}


class Graded:
    """The students of one assignment, autograded together; scores and errors per student."""

    def __init__(self, assignment: str, course: Path, release_nb: nbformat.NotebookNode,
                 students: dict[str, dict[str, str]], coretype: str | None = None):
        self.assignment = assignment
        self.course = course
        self.release = release_nb
        self.students = students
        self.coretype = coretype
        self.functions = list(get_checks(assignment))
        module = mistakes_module(assignment)
        self.mistakes = list(getattr(module, "MISTAKES", []))
        self.package_modules = dict(getattr(module, "PACKAGE_MODULES", {}))
        self.independent = {f"indep_{name}": answers
                            for name, answers in variants(assignment).items()}
        self.scores: dict[str, dict[str, tuple[float, float]]] = {}
        self.errors: dict[str, dict[str, list[str]]] = {}
        self.outputs: dict[str, str] = {}

    # -- building the batch ---------------------------------------------------------------
    @classmethod
    def grade(cls, assignment: str, course: Path) -> Graded:
        """Release ``assignment`` into ``course`` and autograde the whole set of students."""
        course.mkdir(parents=True, exist_ok=True)
        release_nb = release(assignment, course)
        shutil.copy2(course / "gradebook.db", course / RELEASED_GRADEBOOK)
        source = nbformat.read(source_path(assignment), as_version=4)
        solutions = solution_answers(source)
        run = cls(assignment, course, release_nb, {})
        students: dict[str, dict[str, str]] = {"solution": dict(solutions), "blank": {}}
        for number, mistake in enumerate(run.mistakes):
            answers = {**solutions, mistake["function"]: mistake["source"]}
            students[f"mistake_{number:02d}"] = answers
        cheat_import, cheat_wrap = dict(solutions), dict(solutions)
        for function, package_module in run.package_modules.items():
            cheat_import[function] = f"from {package_module} import {function}\n"
            cheat_wrap[function] = (
                f"from {package_module} import {function} as _package_{function}\n\n\n"
                f"def {function}(*args, **kwargs):\n"
                f"    return _package_{function}(*args, **kwargs)\n"
            )
        students["cheat_import"] = cheat_import
        students["cheat_wrap"] = cheat_wrap
        students.update(run.independent)
        run.students = students
        submit_and_autograde(course, assignment, release_nb, students)
        run._read()
        return run

    def regrade(self, course: Path, coretype: str) -> Graded:
        """The same submissions graded again in a copy of this course, with
        ``OPENBLAS_CORETYPE=coretype`` in the grader's environment (its kernels inherit it).

        The copy starts from the gradebook as released (no grade of the first run survives)
        and without the first run's autograded notebooks. One more student, :data:`PROBE`,
        is the solution with a first line that prints the kernel OpenBLAS runs."""
        shutil.copytree(self.course, course, symlinks=True,
                        ignore=shutil.ignore_patterns("autograded", "feedback", "gradebook.db"))
        shutil.copy2(course / RELEASED_GRADEBOOK, course / "gradebook.db")
        first = self.functions[0]
        solution = self.students["solution"]
        probe = {**solution, first: (
            "import numpy as _np\nfrom threadpoolctl import threadpool_info as _info\n"
            f"print({PROBE_MARK!r}, sorted({{i.get('architecture') for i in _info() "
            "if i.get('internal_api') == 'openblas'}))\n" + solution[first])}
        folder = course / "submitted" / PROBE / self.assignment
        notebook = nbformat.reads(nbformat.writes(self.release), as_version=4)
        for cell in notebook.cells:
            if cell.cell_type == "code" and grade_id(cell) in probe:
                cell.source = probe[grade_id(cell)]
        folder.mkdir(parents=True)
        nbformat.write(notebook, folder / f"{self.assignment}.ipynb")
        run = Graded(self.assignment, course, self.release, {**self.students, PROBE: probe},
                     coretype=coretype)
        env = {**os.environ, "OPENBLAS_CORETYPE": coretype}
        run_nbgrader(course, "autograde", self.assignment, "--force", "--log-level=WARN", env=env)
        run._read()
        return run

    # -- reading the results --------------------------------------------------------------
    def _read(self) -> None:
        from nbgrader.api import Gradebook

        name = f"{self.assignment}.ipynb"
        with Gradebook(f"sqlite:///{self.course / 'gradebook.db'}") as gradebook:
            for student in self.students:
                submission = gradebook.find_submission_notebook(self.assignment, self.assignment,
                                                                student)
                self.scores[student] = {
                    grade.name: (grade.score, grade.max_score)
                    for grade in submission.grades if grade.cell.cell_type == "code"
                }
        for student in self.students:
            graded = nbformat.read(self.course / "autograded" / student / self.assignment / name,
                                   as_version=4)
            self.errors[student] = {
                grade_id(cell) or f"cell {index}": [
                    f"{output.ename}: {output.evalue}"
                    for output in cell.get("outputs", []) if output.output_type == "error"
                ]
                for index, cell in enumerate(graded.cells) if cell.cell_type == "code"
            }
            self.outputs[student] = "".join(
                output.get("text", "") for cell in graded.cells if cell.cell_type == "code"
                for output in cell.get("outputs", []) if output.output_type == "stream")

    def lost(self, student: str) -> dict[str, tuple[float, float]]:
        """The test cells where ``student`` did not get full points."""
        return {cell: pair for cell, pair in self.scores[student].items() if pair[0] < pair[1]}


class GradedCache:
    """The graded batches of one test process (session-scoped fixture ``graded_exercise``).

    Under pytest-xdist every test of one assignment carries the ``xdist_group`` mark
    ``exercise-<assignment>`` (see tests/conftest.py), so one worker grades it once."""

    def __init__(self, base: Path):
        self.base = base
        self._runs: dict[tuple[str, str | None], Graded] = {}

    def get(self, assignment: str, coretype: str | None = None) -> Graded:
        key = (assignment, coretype)
        if key not in self._runs:
            if coretype is None:
                self._runs[key] = Graded.grade(assignment, self.base / f"course{assignment}")
            else:
                first = self.get(assignment)
                self._runs[key] = first.regrade(self.base / f"course{assignment}-{coretype}",
                                                coretype)
        return self._runs[key]
