"""The steps every hostile-notebook test of the judge takes (tests/test_judge_*.py): a
repository assignment's solution with some answers replaced, graded by plain ``nbgrader
autograde`` with the course's own config, and the scores read back from the gradebook.

Each of those files wrote these steps again; they differ only in which answers they replace,
so the steps live here once.
"""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import nbformat

from dlgrade.course import run_nbgrader
from tests.submissions.crafted import REPO, solved


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


def scores(course: Path, assignment: str) -> dict[str, dict[str, float]]:
    """``{student: {grade name: score}}`` of ``assignment`` in the course's gradebook (a score
    not given counts 0)."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        return {sub.student.id: {grade.name: float(grade.score or 0)
                                 for notebook in sub.notebooks for grade in notebook.grades}
                for sub in gb.assignment_submissions(assignment)}
