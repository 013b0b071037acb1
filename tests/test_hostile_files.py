"""Submission folders with links, hard links, pipes and oversized files through
``dlcourse grade`` (issue 21, item 1): nothing is followed, nothing leaks, each student's
status names the refused file.

One batch (tests/submissions/hostile_files.py) of the tiny assignment, graded once with
``dlcourse grade --workers 2`` under the repository's nbgrader_config.py; the tests read its
statuses, gradebook, autograded notebooks and feedback folders.
"""

from __future__ import annotations

import json
import os

import pytest

from tests.submissions.crafted import dlcourse, make_course, project_config
from tests.submissions.hostile_files import (
    DATA_TEXT,
    MANY_FILES,
    REFUSED,
    SECRET_ENV,
    SECRET_VALUE,
    STUDENTS,
    file_names,
    hand_in,
    leaks_in,
    printed,
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    course = make_course(tmp_path_factory.mktemp("hostile-files") / "course",
                         extra_config=project_config())
    env = {SECRET_ENV: SECRET_VALUE, "DLCOURSE_SANDBOX_MEMORY": "1G"}
    dlcourse("release", cwd=course, env=env)
    hand_in(course)
    run = dlcourse("grade", "tiny", "--workers", "2", "--no-progress", cwd=course, env=env)
    assert (course / "grading" / "tiny" / "status").is_dir(), run.stdout + run.stderr
    statuses = {s: json.loads((course / "grading" / "tiny" / "status" / f"{s}.json")
                              .read_text()) for s in STUDENTS}
    return {"course": course, "run": run, "status": statuses}


def test_every_student_of_the_batch_has_a_status(graded):
    assert graded["run"].returncode in (0, 2), graded["run"].stderr[-2000:]
    assert sorted(graded["status"]) == sorted(STUDENTS)


@pytest.mark.parametrize("student", sorted(REFUSED))
def test_status_names_the_refused_file_and_why(graded, student):
    name, why = REFUSED[student]
    record = graded["status"][student]
    # a refused notebook leaves nothing to grade: failed, with the same reason
    expected = "failed" if student == "links-notebook" else "needs manual grading"
    assert record["status"] == expected, record
    assert f"{name}: " in record["reason"] and why in record["reason"], record["reason"]
    assert any(f.startswith(f"{name}: ") for f in record["refused_files"])


@pytest.mark.parametrize("student", [
    s for s in ("links-solutions", "links-environ", "hard-link", "fifo", "oversized")
    if s in STUDENTS])
def test_the_rest_of_the_submission_is_graded_without_the_refused_file(graded, student):
    course = graded["course"]
    record = graded["status"][student]
    assert record["score"] == 5.0, record
    folder = course / "autograded" / student / "tiny"
    assert sorted(p.name for p in folder.iterdir()) == ["tiny.ipynb"]
    assert file_names(printed(folder / "tiny.ipynb")) == set()


def test_a_linked_notebook_is_not_graded_as_the_students(graded):
    course = graded["course"]
    record = graded["status"]["links-notebook"]
    assert record["status"] == "failed" and not record.get("score"), record
    assert not (course / "autograded" / "links-notebook").exists()
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "intro-deep-learning") as gb:
        scores = {s.student.id: s.score for s in gb.assignment_submissions("tiny")}
    assert "links-notebook" not in scores and scores["honest-data"] == 5.0


def test_many_files_beside_the_notebook_never_crowd_out_the_notebook(graded):
    """Review 21b, hole 9: 80 files whose names sort before tiny.ipynb. The notebook is taken
    first and graded; the files over the cap are a finding with a short reason (the first 20
    named, the rest counted), not the grader's "internal error"."""
    record = graded["status"]["many-files"]
    assert (record["status"], record["score"]) == ("needs manual grading", 5.0), record
    over = MANY_FILES + 1 - 50  # the notebook and 49 files are taken
    assert f"and {over - 20} more files" in record["reason"], record["reason"]
    assert "over the limit of 50 files" in record["reason"]
    assert "internal error" not in record["reason"] and len(record["reason"]) < 1000
    assert len(record["refused_files"]) <= 21


def test_allowed_data_files_still_reach_the_kernel(graded):
    course = graded["course"]
    record = graded["status"]["honest-data"]
    assert (record["status"], record["score"]) == ("graded", 5.0), record
    text = printed(course / "autograded" / "honest-data" / "tiny" / "tiny.ipynb")
    assert file_names(text) == {"data.csv"} and DATA_TEXT in text


def test_no_secret_and_no_solution_in_anything_the_grader_wrote(graded):
    course = graded["course"]
    for folder in ("autograded", "feedback", "grading"):
        assert leaks_in(course / folder) == [], folder
    assert SECRET_VALUE not in (course / "grading" / "tiny" / "grades.csv").read_text()


def test_feedback_folders_hold_the_rendered_page_only(graded):
    course = graded["course"]
    for student in STUDENTS:
        folder = course / "feedback" / student / "tiny"
        if folder.exists():
            assert sorted(p.name for p in folder.iterdir()) == ["tiny.html"], student
    assert (course / "feedback" / "honest-data" / "tiny" / "tiny.html").is_file()


def test_the_instructors_files_are_untouched(graded):
    course = graded["course"]
    source = course / "solutions" / "tiny" / "tiny.ipynb"
    # the student's hard link (where one is handed in) is left in submitted/
    assert os.lstat(source).st_nlink == 1 + ("hard-link" in STUDENTS)
    assert (course / "submitted" / "links-solutions" / "tiny" / "notes.txt").is_symlink()


def test_a_regrade_of_one_student_reads_the_folder_as_safely(graded):
    """``--student`` grades a batch of one in the engine's own process (no Dask): the same
    refusal, the same reason, the same score, and still nothing of the solutions leaks."""
    course = graded["course"]
    env = {SECRET_ENV: SECRET_VALUE, "DLCOURSE_SANDBOX_MEMORY": "1G"}
    run = dlcourse("grade", "tiny", "--student", "links-solutions", "--force", "--no-progress",
                   cwd=course, env=env)
    assert run.returncode in (0, 2), run.stdout + run.stderr
    record = json.loads((course / "grading" / "tiny" / "status" / "links-solutions.json")
                        .read_text())
    name, why = REFUSED["links-solutions"]
    assert record["status"] == "needs manual grading" and record["score"] == 5.0, record
    assert f"{name}: " in record["reason"] and why in record["reason"], record["reason"]
    folder = course / "autograded" / "links-solutions" / "tiny"
    assert sorted(p.name for p in folder.iterdir()) == ["tiny.ipynb"]
    assert file_names(printed(folder / "tiny.ipynb")) == set()
