"""Late penalties on the whole score, hand grades included (review 23c, F1), through the real
``dlcourse`` command on a real scratch course: ``grade`` (nbgrader's autograde, whose
``AssignLatePenalties`` sees the automatic points only), ``mark``, a ``--force`` regrade that
puts the hand grade back, a hand grade set in the gradebook as formgrader sets it followed by
``report``, and the export. The exported score is always the policy applied to the
total (5 automatic points plus the written answer's hand points)."""

from __future__ import annotations

import csv
from pathlib import Path

import nbformat
import pytest

from dlgrade.course import make_course as make_dlgrade_course
from tests.submissions.crafted import TINY_CONFIG, dlcourse, submit
from tests.test_term import WRITTEN, answered, course_notebook, grade, rows

pytestmark = pytest.mark.slow


def exported_score(course: Path, student: str) -> str:
    """The student's score in ``dlcourse export --format csv`` (no LMS roster needed; the
    Canvas and Moodle plugins read the same gradebook score less penalty)."""
    out = course / "export.csv"
    proc = dlcourse("export", "tiny", "--format", "csv", "-o", out, cwd=course)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    with open(out, newline="") as f:
        return next(r["score"] for r in csv.DictReader(f) if r["student"] == student)


def set_by_formgrader(course: Path, score: float) -> None:
    """What nbgrader's formgrader does when a score is typed in: the manual score, and the
    cell no longer waits."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "tiny-course") as gb:
        grade_ = gb.find_grade(WRITTEN, "tiny", "tiny", "ann")
        grade_.manual_score, grade_.needs_manual_grade = score, False
        gb.db.commit()


def late_course(course_dir, name: str) -> Path:
    """ann hands in 9.5 h after the due date; her functions are right (5 points) and her
    written answer (1 point) waits for a hand grade."""
    course = make_dlgrade_course(Path(course_dir) / name, TINY_CONFIG.format(
        timeout=20, extra=""), {"tiny": course_notebook()})
    dlcourse("release", "tiny", "--due", "2026-12-01 12:00", "--timezone", "UTC", cwd=course)
    release = nbformat.read(course / "exercises/tiny/tiny.ipynb", as_version=4)
    path = submit(course, "tiny", "ann", answered(release, "Where w.x + b = 0."))
    (path.parent / "timestamp.txt").write_text("2026-12-01 21:30:00.000000 UTC")
    return course


def check(course: Path, score: str, penalty: str) -> None:
    """grades.csv, the export, and the gradebook the LMS exporters (and nbgrader's own
    export) read: score less penalty, with the penalty on the whole score."""
    from nbgrader.api import Gradebook

    row = rows(course)["ann"]
    assert (row["score"], row["penalty"]) == (score, penalty), row
    assert exported_score(course, "ann") == score
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "tiny-course") as gb:
        sub = gb.find_submission("tiny", "ann")
        assert float(sub.late_submission_penalty) == pytest.approx(float(penalty))
        assert float(sub.score) - float(sub.late_submission_penalty) == pytest.approx(
            float(score))


def test_zero_means_zero_with_a_hand_grade(course_dir):
    course = late_course(course_dir, "zero")
    policy = ("--late-policy", "zero")
    grade(course, *policy)
    check(course, "0", "5")
    proc = dlcourse("mark", "tiny", "ann", WRITTEN, "1", cwd=course)
    # was "ann: ... 1; tiny 1/6 after a late penalty of 5": the written point escaped
    assert f"ann: {WRITTEN} 1; tiny 0/6 after a late penalty of 6, graded" in proc.stdout, \
        proc.stdout
    check(course, "0", "6")
    grade(course, "--force", *policy)  # the hand grade is put back, and penalised
    check(course, "0", "6")


def test_a_per_hour_policy_takes_its_share_of_the_whole_score(course_dir):
    course = late_course(course_dir, "perhour")
    policy = ("--late-policy", "10%/h:50%")  # 10 started hours: capped at 50 %
    grade(course, *policy)
    check(course, "2.5", "2.5")
    proc = dlcourse("mark", "tiny", "ann", WRITTEN, "1", cwd=course)
    assert "tiny 3/6 after a late penalty of 3, graded" in proc.stdout, proc.stdout
    check(course, "3", "3")
    grade(course, "--force", *policy)
    check(course, "3", "3")
    # a hand grade changed in formgrader: the next report charges the penalty on the total
    set_by_formgrader(course, 0.5)
    dlcourse("report", "tiny", cwd=course)
    check(course, "2.75", "2.75")
