"""The advisory package-copy flag through the real CLI on a real scratch course.

Review 21f's P: the package's source pasted into the answer cells with one dead line per
function, renamed locals or every third name wrapped in an identity function earns full points
(the judge sees code compiled in the student's cell: own code). A check that took points away
cost honest students theirs (h21-sim, reverted), so :mod:`dlgrade.package_copy` only flags:
the pasted students keep every point, their status says "graded, flagged for review: ... look
like copies of dlcourse.activations (...)" in the status JSON, grades.csv, the class report
and the per-student line, and ``dlcourse grade`` exits 2, also on a re-run that grades nothing
again. An honest student in the course's style is not flagged. Under plain ``nbgrader
autograde`` with the project's config the flag is a warning in nbgrader's log.
"""

from __future__ import annotations

import ast
import csv
import json
import os

import nbformat
import pytest

from dlgrade.course import run_nbgrader
from tests.independent import variants
from tests.submissions.attacks import notebook, scores
from tests.submissions.crafted import (
    REPO,
    dlcourse,
    make_course,
    project_config,
    sandbox_config,
    submit,
)
from tests.submissions.pasted import pasted_cells

pytestmark = pytest.mark.slow

ASSIGNMENT = "04_activations"
#: pastes that the judge's exact checks do not see (``_k = 0`` in every function): full points
PASTED = ("wrapped", "docs")
#: the graded functions of 04 large enough to compare (dlgrade.package_copy.MIN_GRAMS)
COMPARED = "sigmoid_grad, softmax look like copies of dlcourse.activations"
#: the same, found under other names (review 21k #2)
REBOUND = ("sigmoid_grad (in def _sigmoid_grad_impl), softmax (in def _softmax_impl) look like "
           "copies of dlcourse.activations")


def _course(root, config: str):
    course = make_course(root, assignments=(), extra_config=config,
                         copy_from_repo=[ASSIGNMENT])
    for variant in PASTED:
        submit(course, ASSIGNMENT, f"pasted-{variant}",
               notebook(ASSIGNMENT, pasted_cells(ASSIGNMENT, variant)))
    submit(course, ASSIGNMENT, "honest",
           notebook(ASSIGNMENT, variants(ASSIGNMENT)["course_style"]))
    submit(course, ASSIGNMENT, "pasted-tuple", notebook(ASSIGNMENT, _renamed_and_rebound()))
    return course


def _renamed_and_rebound() -> dict[str, str]:
    """Review 21k's j_tuple: the paste kept under ``_<name>_impl``, bound by ``name, = (...)``:
    the judge accepts it as the student's function, the flag must still see the paste."""
    asked = ("sigmoid_grad", "softmax")
    cells = {}
    for grade_id, source in pasted_cells(ASSIGNMENT, "wrapped").items():
        tree = ast.parse(source)
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name in asked:
                node.name = f"_{node.name}_impl"
        cells[grade_id] = ast.unparse(tree)
    for name in asked:
        cells[name] += f"\n{name}, = (_{name}_impl,)\n"
    return cells


def _full_points(course) -> dict[str, bool]:
    """student -> whether every test cell earned all its points (gradebook)."""
    nb = nbformat.read(REPO / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", 4)
    points = {c.metadata["nbgrader"]["grade_id"]: float(c.metadata["nbgrader"]["points"])
              for c in nb.cells if c.cell_type == "code" and
              c.metadata.get("nbgrader", {}).get("grade") and
              not c.metadata["nbgrader"].get("solution")}
    return {student: {test: cells.get(test) for test in points} == points
            for student, cells in scores(course, ASSIGNMENT).items()}


def test_dlcourse_grade_flags_the_pasted_package_and_keeps_its_points(tmp_path):
    course = _course(tmp_path / "course", sandbox_config()[0])
    dlcourse("release", cwd=course)
    first = dlcourse("grade", ASSIGNMENT, "--workers", "2", "--no-progress", cwd=course)
    assert first.returncode == 2, first.stdout + first.stderr
    assert _full_points(course) == {"pasted-wrapped": True, "pasted-docs": True,
                                    "honest": True, "pasted-tuple": True}
    out = course / "grading" / ASSIGNMENT
    records = {p.stem: json.loads(p.read_text()) for p in (out / "status").glob("*.json")}
    for variant in PASTED:
        record = records[f"pasted-{variant}"]
        assert record["status"] == "graded", record
        assert record["score"] == record["max_score"], record
        assert record["review"].startswith(COMPARED), record
    assert not records["honest"].get("review"), records["honest"]
    assert records["pasted-tuple"]["review"].startswith(REBOUND), records["pasted-tuple"]
    with open(out / "grades.csv", newline="") as handle:
        rows = {row["student"]: row for row in csv.DictReader(handle)}
    assert rows["pasted-wrapped"]["status"].startswith(
        f"graded, flagged for review: {COMPARED}"), rows["pasted-wrapped"]
    assert rows["honest"]["status"] == "graded", rows["honest"]
    report = json.loads((out / "report.json").read_text())
    assert sorted(f["student"] for f in report["flagged_for_review"]) == \
        ["pasted-docs", "pasted-tuple", "pasted-wrapped"]
    assert "Flagged for review (3)" in (out / "report.html").read_text()
    for run in (first, dlcourse("grade", ASSIGNMENT, "--workers", "2", "--no-progress",
                                cwd=course)):
        lines = run.stdout.splitlines()
        for variant in PASTED:
            assert any(line.strip().startswith(f"pasted-{variant}: graded, flagged for review: "
                                               f"{COMPARED}") for line in lines), run.stdout
        assert not any(line.strip().startswith("honest:") for line in lines), run.stdout
        assert run.returncode == 2, run.stdout + run.stderr
    assert "4 unchanged (skipped)" in run.stdout, run.stdout  # the flag comes from the record


def test_plain_nbgrader_autograde_logs_the_flag_and_keeps_the_points(tmp_path):
    course = _course(tmp_path / "course", project_config())
    old = os.environ.pop("DLCOURSE_JUDGE", None)
    try:
        run_nbgrader(course, "generate_assignment", ASSIGNMENT, "--force", "--log-level=WARN")
        proc = run_nbgrader(course, "autograde", ASSIGNMENT, "--force", "--log-level=WARN")
    finally:
        if old is not None:
            os.environ["DLCOURSE_JUDGE"] = old
    log = proc.stdout + proc.stderr
    for variant in PASTED:
        assert f"pasted-{variant}: flagged for review (points kept): {COMPARED}" in log, log
    assert "honest: flagged" not in log, log
    assert f"pasted-tuple: flagged for review (points kept): {REBOUND}" in log, log
    assert _full_points(course) == {"pasted-wrapped": True, "pasted-docs": True,
                                    "honest": True, "pasted-tuple": True}
