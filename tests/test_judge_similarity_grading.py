"""Review 21f's P graded for real: the package's source pasted with small changes earns nothing.

The judged kernel holds no implementation of ``dlcourse``, so a student pastes the package's
modules into the answer cells with one dead statement per function (docstrings kept or
dropped, locals renamed, independent statements swapped: tests/submissions/pasted.py). Before
the text comparison (dlgrade.judge_similarity) this earned 18/18 on exercise 10 and 22/22 on
05 under plain ``nbgrader autograde`` with the project's config and under ``dlcourse grade``.
Here every such student is graded both ways with an honest control: the pasted students earn
no point of any test and each test says which package function the answer's text is, with
the share; the honest student keeps every point.
"""

from __future__ import annotations

import json
import os
import re
import textwrap

import nbformat
import pytest

from dlgrade.course import run_nbgrader
from tests.submissions.crafted import (
    REPO,
    dlcourse,
    make_course,
    project_config,
    sandbox_config,
    solved,
    submit,
)
from tests.submissions.pasted import VARIANTS, pasted_cells

pytestmark = pytest.mark.slow

ASSIGNMENTS = ["05_backprop", "10_attention"]
FINDING = re.compile(r"is a copy of dlcourse\.[\w.]+.*\(\d+ % of its text.* is the package's "
                     r"text\), the package's code handed in as the student's own text")


def _notebook(assignment: str, cells: dict[str, str] | None) -> str:
    release = nbformat.read(REPO / "exercises" / assignment / f"{assignment}.ipynb", 4)
    source = nbformat.read(REPO / "solutions" / assignment / f"{assignment}.ipynb", 4)
    nb = solved(release, source)
    for cell in nb.cells:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if cells and grade_id in cells:
            cell.source = textwrap.dedent(cells[grade_id]).strip() + "\n"
    return nbformat.writes(nb)


def _course(root, assignment: str, config: str):
    course = make_course(root, assignments=(), extra_config=config,
                         copy_from_repo=[assignment])
    for variant in VARIANTS:
        submit(course, assignment, f"pasted-{variant}",
               _notebook(assignment, pasted_cells(assignment, variant)))
    submit(course, assignment, "honest", _notebook(assignment, None))
    return course


def _grades(course, assignment: str) -> dict[str, dict[str, tuple[float, float]]]:
    """student -> test cell -> (score, maximum) from the gradebook."""
    from nbgrader.api import Gradebook

    grades = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for submission in gb.assignment_submissions(assignment):
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    if grade.name.startswith("test_"):
                        grades.setdefault(submission.student.id, {})[grade.name] = \
                            (float(grade.score or 0), float(grade.max_score))
    return grades


def _said(course, assignment: str, student: str) -> dict[str, str]:
    """test cell -> the text of its outputs in the student's autograded notebook."""
    path = course / "autograded" / student / assignment / f"{assignment}.ipynb"
    nb = nbformat.read(path, 4)
    return {c.metadata["nbgrader"]["grade_id"]:
            " ".join(str(o.get("evalue", "")) + str(o.get("text", "")) for o in c.outputs)
            for c in nb.cells if c.get("metadata", {}).get("nbgrader", {}).get("grade")}


def _problems(course, assignment: str) -> list[str]:
    grades = _grades(course, assignment)
    tests = _test_cells(assignment)
    problems = []
    for variant in VARIANTS:
        student = f"pasted-{variant}"
        got = grades.get(student)
        if not got:
            problems.append(f"{student}: not graded")
            continue
        problems += [f"{student} earned {score} on {test}" for test, (score, _) in got.items()
                     if score]
        said = _said(course, assignment, student)
        problems += [f"{student}: {test} does not name the copy: {said.get(test, '')[:300]}"
                     for test in got if not FINDING.search(said.get(test, ""))]
    honest = grades.get("honest")
    if not honest or set(honest) != tests:
        problems.append(f"honest: not graded ({honest})")
    else:
        problems += [f"honest lost points on {test}" for test, (score, top) in honest.items()
                     if score != top]
    return problems


def _test_cells(assignment: str) -> set[str]:
    nb = nbformat.read(REPO / "solutions" / assignment / f"{assignment}.ipynb", 4)
    return {c.metadata["nbgrader"]["grade_id"] for c in nb.cells
            if c.metadata.get("nbgrader", {}).get("grade") and c.cell_type == "code"}


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_plain_nbgrader_autograde_gives_no_point_to_the_pasted_package(tmp_path, assignment):
    course = _course(tmp_path / "course", assignment, project_config())
    assert "install_judge(c)" in (course / "nbgrader_config.py").read_text()
    old = os.environ.pop("DLCOURSE_JUDGE", None)
    try:
        run_nbgrader(course, "generate_assignment", assignment, "--force", "--log-level=WARN")
        run_nbgrader(course, "autograde", assignment, "--force", "--log-level=WARN")
    finally:
        if old is not None:
            os.environ["DLCOURSE_JUDGE"] = old
    assert _problems(course, assignment) == []


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_dlcourse_grade_gives_no_point_to_the_pasted_package(tmp_path, assignment):
    sandbox, _ = sandbox_config()
    # dlcourse grade installs the judge itself
    course = _course(tmp_path / "course", assignment, sandbox)
    dlcourse("release", cwd=course)
    dlcourse("grade", assignment, "--workers", "2", "--no-progress", cwd=course)
    assert _problems(course, assignment) == []
    statuses = {path.stem: json.loads(path.read_text())["status"]
                for path in (course / "grading" / assignment / "status").glob("*.json")}
    assert statuses == dict.fromkeys([*(f"pasted-{v}" for v in VARIANTS), "honest"], "graded")
