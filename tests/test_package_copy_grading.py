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
import shutil
import subprocess
import sys

import nbformat
import pytest

from dlgrade.course import run_nbgrader, tools_env
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
from tests.test_term_messages import one_error_line

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


def _grade(course, *args):
    return dlcourse("grade", ASSIGNMENT, "--workers", "2", "--no-progress", *args, cwd=course)


def _status_column(course) -> dict[str, str]:
    with open(course / "grading" / ASSIGNMENT / "grades.csv", newline="") as handle:
        return {row["student"]: row["status"] for row in csv.DictReader(handle)}


def test_an_instructor_clears_a_flag_after_review_until_the_code_changes(tmp_path):
    """Issue 21: `dlcourse mark A S --reviewed` clears the flag (status graded, exit 0 on the
    next runs, --force, --student and a copied course folder included); --clear takes it
    back; a resubmission with other code is flagged again; mistakes are one-line errors."""
    course = make_course(tmp_path / "course", assignments=(), extra_config=sandbox_config()[0],
                         copy_from_repo=[ASSIGNMENT])
    cells = pasted_cells(ASSIGNMENT, "docs")
    submit(course, ASSIGNMENT, "pasted", notebook(ASSIGNMENT, cells))
    submit(course, ASSIGNMENT, "honest", notebook(ASSIGNMENT, variants(ASSIGNMENT)["course_style"]))
    dlcourse("release", cwd=course)
    run = _grade(course)
    assert run.returncode == 2 and "1 flagged for review" in run.stdout, run.stdout

    # mistakes: nothing changes, one line each (the command line itself: click's usage)
    def mark(*args):
        return dlcourse("mark", *args, cwd=course, check=False)

    one_error_line(mark(ASSIGNMENT, "pastd", "--reviewed"), "'pastd' is not on the roster",
           "did you mean 'pasted'?")
    one_error_line(mark("04_activation", "pasted", "--reviewed"), "04_activation")
    one_error_line(mark(ASSIGNMENT, "honest", "--reviewed"),
           f"honest's submission of {ASSIGNMENT} is not flagged for review (status: graded): "
           "nothing to review")
    one_error_line(mark(ASSIGNMENT, "pasted", "--reviewed", "--clear"),
           "no review of pasted's flag on 04_activations is recorded")
    for args in ([ASSIGNMENT, "pasted"], [ASSIGNMENT, "pasted", "test_softmax", "--reviewed"]):
        proc = mark(*args)
        assert proc.returncode == 2 and "Usage: dlcourse mark" in proc.stderr, proc.stderr
    assert not (course / "grading" / ASSIGNMENT / "flag_reviews").exists()
    assert _status_column(course)["pasted"].startswith(f"graded, flagged for review: {COMPARED}")

    # reviewed (any letter case, as mark): graded at once in every output
    proc = mark(ASSIGNMENT, "PASTED", "--reviewed")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(f"pasted: flag ({COMPARED}") and \
        proc.stdout.rstrip().endswith(f"; {ASSIGNMENT} graded") and " reviewed by " in \
        proc.stdout, proc.stdout
    out = course / "grading" / ASSIGNMENT
    assert _status_column(course) == {"pasted": "graded", "honest": "graded"}
    report = json.loads((out / "report.json").read_text())
    assert report["flagged_for_review"] == [], report["flagged_for_review"]
    assert [f["student"] for f in report["reviewed_flags"]] == ["pasted"]
    assert report["reviewed_flags"][0]["review"].startswith(COMPARED)
    assert "Flagged for review (0)" in (out / "report.html").read_text()
    assert "Flags reviewed (1)" in (out / "report.html").read_text()
    record = json.loads((out / "status" / "pasted.json").read_text())
    assert record["review"].startswith(COMPARED) and record["reviewed"]["by"], record
    again = mark(ASSIGNMENT, "pasted", "--reviewed")
    assert again.returncode == 0 and "already reviewed by" in again.stdout, again.stdout

    # kept by a run with nothing new, --force, --student and a copy of the course folder
    for args in ((), ("--force",), ("--student", "pasted")):
        run = _grade(course, *args)
        assert run.returncode == 0, (args, run.stdout, run.stderr)
        assert "flagged" not in run.stdout and "pasted:" not in run.stdout, run.stdout
        assert _status_column(course)["pasted"] == "graded"
    copy = tmp_path / "elsewhere"
    shutil.copytree(course, copy, symlinks=True)
    run = _grade(copy)
    assert run.returncode == 0 and "2 unchanged (skipped)" in run.stdout, run.stdout
    assert _status_column(copy)["pasted"] == "graded"

    # review 21l #1: a .py file beside the notebook too large for the check to read (a paste
    # padded past 2 MB) is said, and voids the review (its bytes are in the key)
    impl = course / "submitted" / "pasted" / ASSIGNMENT / "impl.py"
    impl.write_text("X = 1\n#" + "x" * 2_100_000 + "\n")
    run = _grade(course)
    assert run.returncode == 2, run.stdout + run.stderr
    assert "not compared: impl.py is too large for the copy check" in \
        _status_column(course)["pasted"], _status_column(course)
    impl.unlink()  # the code reviewed again: the review holds again
    run = _grade(course)
    assert run.returncode == 0 and _status_column(course)["pasted"] == "graded", run.stdout

    # taken back: flagged again, and the run says so
    proc = mark(ASSIGNMENT, "pasted", "--reviewed", "--clear")
    assert proc.returncode == 0 and "review taken back" in proc.stdout, proc.stdout
    assert f"{ASSIGNMENT} graded, flagged for review: {COMPARED}" in proc.stdout, proc.stdout
    run = _grade(course)
    assert run.returncode == 2 and "pasted: graded, flagged for review" in run.stdout, run.stdout
    assert mark(ASSIGNMENT, "pasted", "--reviewed").returncode == 0

    # a resubmission with other code (the same paste, one comment added): flagged again
    changed = dict(cells)
    first = next(iter(changed))
    changed[first] = "# my second try\n" + changed[first]
    submit(course, ASSIGNMENT, "pasted", notebook(ASSIGNMENT, changed))
    run = _grade(course)
    assert run.returncode == 2, run.stdout + run.stderr
    assert any(line.strip().startswith(f"pasted: graded, flagged for review: {COMPARED}")
               for line in run.stdout.splitlines()), run.stdout
    assert _status_column(course)["pasted"].startswith("graded, flagged for review: ")
    report = json.loads((out / "report.json").read_text())
    assert [f["student"] for f in report["flagged_for_review"]] == ["pasted"]
    assert report["reviewed_flags"] == []


#: one real grade of one student in a grading process of its own (as dlgrade.worker's
#: worker_main sets it up), with every call of the package-copy comparison counted
_COUNT_CALLS = """
import json, os, sys
from pathlib import Path

from dlgrade import package_copy
from dlgrade.course import Course
from dlgrade.worker import Grader

root = Path(sys.argv[1])
os.environ.setdefault("DLCOURSE_COURSE_ROOT", str(root))
calls = []
compare = package_copy._check  # the comparison itself, under find_copies and review alike


def counted(sources, asked):
    calls.append(len(sources))
    return compare(sources, asked)


package_copy._check = counted
result = Grader(Course(root), sys.argv[2]).grade(sys.argv[3])
print(json.dumps({"calls": len(calls), "status": result["status"],
                  "review": result.get("review"), "score": result.get("score"),
                  "max_score": result.get("max_score")}))
"""


def test_dlcourse_grade_compares_each_submission_once(tmp_path):
    """Issue 21: under `dlcourse grade` the grading process puts the flag into the status;
    the judge's preprocessor (whose log line is for plain nbgrader) must not compute it a
    second time. Counted through a real grade of a pasted submission (one notebook)."""
    course = make_course(tmp_path / "course", assignments=(), extra_config=sandbox_config()[0],
                         copy_from_repo=[ASSIGNMENT])
    submit(course, ASSIGNMENT, "pasted", notebook(ASSIGNMENT, pasted_cells(ASSIGNMENT, "docs")))
    dlcourse("release", cwd=course)
    proc = subprocess.run([sys.executable, "-c", _COUNT_CALLS, str(course), ASSIGNMENT,
                           "pasted"], cwd=course, capture_output=True, text=True, timeout=600,
                          env=tools_env(None))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["status"] == "graded" and result["score"] == result["max_score"], result
    assert result["review"].startswith(COMPARED), result
    assert result["calls"] == 1, result
