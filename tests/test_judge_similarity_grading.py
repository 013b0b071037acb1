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
import re

import nbformat
import pytest

from tests.submissions.attacks import autograde, dlcourse_grade, notebook, scores
from tests.submissions.crafted import REPO, make_course, project_config, sandbox_config, submit
from tests.submissions.pasted import VARIANTS, pasted_cells

pytestmark = pytest.mark.slow

ASSIGNMENTS = ["05_backprop", "10_attention"]
FINDING = re.compile(r"is a copy of dlcourse\.[\w.]+.*\(\d+ % of its text.* is the package's "
                     r"text\), the package's code handed in as the student's own text")


def _course(root, assignment: str, config: str):
    course = make_course(root, assignments=(), extra_config=config,
                         copy_from_repo=[assignment])
    for variant in VARIANTS:
        submit(course, assignment, f"pasted-{variant}",
               notebook(assignment, pasted_cells(assignment, variant)))
    submit(course, assignment, "honest", notebook(assignment))
    return course


def _points(assignment: str) -> dict[str, float]:
    """test cell -> its points, from the source notebook."""
    nb = nbformat.read(REPO / "solutions" / assignment / f"{assignment}.ipynb", 4)
    return {c.metadata["nbgrader"]["grade_id"]: float(c.metadata["nbgrader"]["points"])
            for c in nb.cells
            if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")}


def _said(course, assignment: str, student: str) -> dict[str, str]:
    """test cell -> the text of its outputs in the student's autograded notebook."""
    path = course / "autograded" / student / assignment / f"{assignment}.ipynb"
    nb = nbformat.read(path, 4)
    return {c.metadata["nbgrader"]["grade_id"]:
            " ".join(str(o.get("evalue", "")) + str(o.get("text", "")) for o in c.outputs)
            for c in nb.cells if c.get("metadata", {}).get("nbgrader", {}).get("grade")}


def _problems(course, assignment: str) -> list[str]:
    got = scores(course, assignment)
    points = _points(assignment)
    problems = []
    for variant in VARIANTS:
        student = f"pasted-{variant}"
        if student not in got:
            problems.append(f"{student}: not graded")
            continue
        earned = {test: score for test, score in got[student].items() if test in points}
        problems += [f"{student} earned {score} on {test}" for test, score in earned.items()
                     if score]
        said = _said(course, assignment, student)
        problems += [f"{student}: {test} does not name the copy: {said.get(test, '')[:300]}"
                     for test in points if not FINDING.search(said.get(test, ""))]
    honest = {test: score for test, score in got.get("honest", {}).items() if test in points}
    if honest != points:
        problems.append(f"honest earned {honest}, not every point of {points}")
    return problems


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_plain_nbgrader_autograde_gives_no_point_to_the_pasted_package(tmp_path, assignment):
    course = _course(tmp_path / "course", assignment, project_config())
    assert "install_judge(c)" in (course / "nbgrader_config.py").read_text()
    autograde(course, assignment)
    assert _problems(course, assignment) == []


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_dlcourse_grade_gives_no_point_to_the_pasted_package(tmp_path, assignment):
    course = _course(tmp_path / "course", assignment, sandbox_config()[0])
    dlcourse_grade(course, assignment, workers=2)
    assert _problems(course, assignment) == []
    statuses = {path.stem: json.loads(path.read_text())["status"]
                for path in (course / "grading" / assignment / "status").glob("*.json")}
    assert statuses == dict.fromkeys([*(f"pasted-{v}" for v in VARIANTS), "honest"], "graded")
