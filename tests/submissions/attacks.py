"""The steps every hostile-notebook test of the judge takes (tests/test_judge_*.py): a
repository assignment's solution with some answers replaced, graded by plain ``nbgrader
autograde`` with the course's own config (N) or by ``dlcourse grade`` (G), and the scores read
back from the gradebook.

Each of those files wrote these steps again; they differ only in which answers they replace,
so the steps live here once.
"""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import nbformat

from dlgrade.course import run_nbgrader
from tests.submissions.crafted import REPO, dlcourse, solved


def notebook(assignment: str, cells: dict[str, str] | None = None) -> str:
    """The instructor's solution of ``assignment`` as a student hands it in, as JSON text.

    Parameters
    ----------
    assignment : str
        A repository assignment (``exercises/<assignment>`` and ``solutions/<assignment>``).
    cells : dict, optional
        ``{grade_id: source}``: the answer cells to replace; each source is dedented, stripped
        and ends in one newline. None or empty: the solution unchanged.
    """
    release = nbformat.read(REPO / "exercises" / assignment / f"{assignment}.ipynb", 4)
    source = nbformat.read(REPO / "solutions" / assignment / f"{assignment}.ipynb", 4)
    nb = solved(release, source)
    for cell in nb.cells:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if cells and grade_id in cells:
            cell.source = textwrap.dedent(cells[grade_id]).strip() + "\n"
    return nbformat.writes(nb)


def autograde(course: Path, assignment: str, *, kernel_build: bool = True,
              check: bool = True) -> None:
    """``nbgrader generate_assignment`` then ``nbgrader autograde`` of ``assignment`` in
    ``course``: plain nbgrader, the judge installed by the course's ``nbgrader_config.py``.

    ``DLCOURSE_JUDGE`` is taken out of the environment for the two runs (and put back), so a
    value the test run was started with cannot switch the course's judge off.
    ``kernel_build=False`` runs the autograde with ``DLCOURSE_KERNEL_BUILD=0`` (the real
    package in the kernel). ``check=False`` lets the autograde exit non-zero (a notebook that
    stops with an error: nbgrader reports it and goes on).
    """
    old = os.environ.pop("DLCOURSE_JUDGE", None)
    try:
        run_nbgrader(course, "generate_assignment", assignment, "--force", "--log-level=WARN")
        env = None if kernel_build else {**os.environ, "DLCOURSE_KERNEL_BUILD": "0"}
        run_nbgrader(course, "autograde", assignment, "--force", "--log-level=WARN", env=env,
                     check=check)
    finally:
        if old is not None:
            os.environ["DLCOURSE_JUDGE"] = old


def dlcourse_grade(course: Path, *assignments: str, workers: int, check: bool = True,
                   kernel_build: bool = True) -> None:
    """``dlcourse release`` of ``course``, then ``dlcourse grade`` of each assignment in turn
    with ``workers`` workers and no progress bar (``dlcourse grade`` installs the judge itself).

    ``check=False`` accepts any exit code (a batch in which some students fail or need manual
    grading); ``kernel_build=False`` grades with ``DLCOURSE_KERNEL_BUILD=0`` (the real package
    in the kernel).
    """
    dlcourse("release", cwd=course)
    env = None if kernel_build else {"DLCOURSE_KERNEL_BUILD": "0"}
    for assignment in assignments:
        dlcourse("grade", assignment, "--workers", str(workers), "--no-progress", cwd=course,
                 check=check, env=env)


def scores(course: Path, assignment: str) -> dict[str, dict[str, float]]:
    """``{student: {grade name: score}}`` of ``assignment`` in the course's gradebook (a score
    not given counts 0)."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        return {sub.student.id: {grade.name: float(grade.score or 0)
                                 for notebook in sub.notebooks for grade in notebook.grades}
                for sub in gb.assignment_submissions(assignment)}


def honest_and_earned(course: Path, assignment: str, attackers) -> tuple[dict, dict]:
    """(the grades of the student ``honest``, ``{attacker: points on the test cells}``) of
    ``assignment``: what a batch of attackers and one honest control came out with."""
    got = scores(course, assignment)
    earned = {student: sum(score for test, score in got[student].items()
                           if test.startswith("test_"))
              for student in attackers}
    return got["honest"], earned
