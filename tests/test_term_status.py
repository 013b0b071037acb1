"""Statuses that stay true after hand grading (issue 23; review 23c N1, F7, F8), through the
real ``dlcourse`` command on a real scratch course.

One student hands in a notebook the scan flags (``import importlib``: every test is zeroed
and the feedback page is held back), a symbolic link to ``/etc/passwd`` and more data files
than a submission may hold beside it. The refused files flag no cell, so they must not be
forgotten once the flagged cells are graded by hand; the held page must be made once they
are; ``status/<student>.json`` must say what ``grades.csv`` says after every ``mark``.
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import nbformat
import pytest

from dlgrade.course import make_course as make_dlgrade_course
from tests.submissions.crafted import TINY_CONFIG, dlcourse, submit
from tests.test_term import WRITTEN, answered, course_notebook

pytestmark = pytest.mark.slow

FILES = "files handed in were not copied: "


def state(course: Path, student: str) -> tuple[dict, dict, dict]:
    """The student's row of grades.csv, entry of report.json and status record."""
    out = course / "grading/tiny"
    with open(out / "grades.csv", newline="") as f:
        row = {r["student"]: r for r in csv.DictReader(f)}[student]
    entry = {s["student"]: s for s in json.loads((out / "report.json").read_text())["students"]}
    record = json.loads((out / f"status/{student}.json").read_text())
    return row, entry[student], record


def assert_one_story(course: Path, student: str, status: str) -> dict:
    """grades.csv, report.json and the status record agree (F8); returns the record."""
    row, entry, record = state(course, student)
    assert row["status"] == entry["status"] == record["status"] == status, (row, record)
    assert row["reason"] == entry["reason"] == record["reason"], (row, record)
    assert float(row["score"]) == float(entry["score"]) == float(record["score"])
    return record


def test_findings_without_a_cell_stay_and_a_cleared_flag_gets_its_page(course_dir):
    course = make_dlgrade_course(Path(course_dir) / "st", TINY_CONFIG.format(timeout=20,
                                                                             extra=""),
                                 {"tiny": course_notebook()})
    dlcourse("release", "tiny", cwd=course)
    release = nbformat.read(course / "exercises/tiny/tiny.ipynb", as_version=4)
    text = answered(release, "Where w.x + b = 0.").replace(
        "def sigmoid(t):", "import importlib\\ndef sigmoid(t):")
    folder = submit(course, "tiny", "dan", text).parent
    (folder / "timestamp.txt").write_text("2026-12-01 12:00:00.000000 UTC\n")  # collect's
    os.symlink("/etc/passwd", folder / "notes.txt")
    for i in range(50):  # with the notebook, one more than the 50 files a submission may hold
        (folder / f"00_data_{i:02d}.csv").write_text(f"{i}\n")

    proc = dlcourse("grade", "tiny", "--no-progress", "--student", "dan", cwd=course)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    line = next(ln for ln in proc.stdout.splitlines() if ln.startswith("  dan: "))
    assert line.startswith("  dan: needs manual grading (" + FILES), line
    assert "notes.txt: a symbolic link (to /etc/passwd)" in line and \
        "00_data_49.csv: over the limit of 50 files" in line, line
    assert "imports importlib" in line and "feedback held for review" in line, line
    assert "timestamp.txt" not in line  # nbgrader's, not the student's (N1)
    record = assert_one_story(course, "dan", "needs manual grading")
    assert record["feedback"] == [] and not (course / "grading/tiny/feedback/dan.html").exists()
    flagged = record["flagged_cells"]
    assert flagged and all(record["cells"][g][0] == 0 for g in flagged), record

    # the instructor looks, finds the import harmless and gives the points back by hand
    for cell in flagged:
        proc = dlcourse("mark", "tiny", "dan", cell, f"{record['cells'][cell][1]:g}",
                        cwd=course)
        assert proc.returncode == 0, proc.stderr
    proc = dlcourse("mark", "tiny", "dan", WRITTEN, "1", cwd=course)
    # the refused files flag no cell: they stay, on the mark's line too (N1)
    assert proc.stdout.startswith("dan: answer_decision_boundary 1; tiny 6/6, needs manual "
                                  "grading (" + FILES), proc.stdout
    record = assert_one_story(course, "dan", "needs manual grading")  # F8: not stale
    assert record["reason"].startswith(FILES) and "notes.txt" in record["reason"]
    assert "00_data_49.csv: over the limit of 50 files" in record["reason"], record
    assert "importlib" not in record["reason"] and "held" not in record["reason"]
    # F7: every flagged cell has been looked at, so the held page is made (and checked)
    assert record["feedback"] == ["feedback/dan.html"], record
    page = (course / "grading/tiny/feedback/dan.html").read_text(encoding="utf-8")
    assert "Score: 6.0 / 6.0" in page and "secret-mse-check" not in page

    # a regrade keeps the hand grades, the page and the finding
    proc = dlcourse("grade", "tiny", "--no-progress", "--student", "dan", "--force",
                    cwd=course)
    assert proc.returncode == 2 and "  dan: needs manual grading (" + FILES in proc.stdout
    record = assert_one_story(course, "dan", "needs manual grading")
    assert record["score"] == 6 and record["feedback"] == ["feedback/dan.html"], record
    assert "notes.txt" in record["reason"] and "00_data_49.csv" in record["reason"], record

    # review 23d, P9: dan's score is whole (no part waits for a hand grade); what waits is a
    # look at the files, and neither the student's feedback nor the warning says otherwise
    out = Path(course_dir) / "moodle.csv"
    proc = dlcourse("export", "tiny", "--format", "moodle", "-o", out, cwd=course)
    with open(out, newline="", encoding="utf-8") as f:
        row = next(r for r in csv.DictReader(f) if r["ID number"] == "dan")
    assert (row["tiny"], row["Feedback"]) == ("6", "graded: files handed in beside the "
                                              "notebook were not taken; your instructor "
                                              "looks at them"), row
    assert "still need manual grading" not in proc.stderr, proc.stderr
    assert ("1 student needs a look, not a hand grade (dan: " + FILES) in proc.stderr, \
        proc.stderr

    # the instructor removes the refused files from the submission: nothing is left to look at
    (folder / "notes.txt").unlink()
    for i in range(40, 50):
        (folder / f"00_data_{i:02d}.csv").unlink()
    proc = dlcourse("grade", "tiny", "--no-progress", cwd=course)
    assert proc.returncode == 0 and "1 graded" in proc.stdout, proc.stdout + proc.stderr
    record = assert_one_story(course, "dan", "graded")
    assert record["reason"] == "" and record["score"] == 6
    assert (course / "grading/tiny/feedback/dan.html").exists()
