"""dlgrade.status: records written atomically, read back by student, labelled for grades.csv."""

from dlgrade.course import Course
from dlgrade.status import read_statuses, status_label, status_path, write_status


def test_records_round_trip_and_half_written_files_are_skipped(tmp_path):
    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\n")
    course = Course(tmp_path)
    assert read_statuses(course, "tiny") == {}
    write_status(course, "tiny", {"student": "ann", "status": "graded", "score": 3.0})
    write_status(course, "tiny", {"student": "bob", "status": "failed", "reason": "x"})
    status_path(course, "tiny", "cid").write_text('{"student": "ci')  # being written elsewhere
    records = read_statuses(course, "tiny")
    assert sorted(records) == ["ann", "bob"]
    assert records["ann"]["score"] == 3.0
    assert status_path(course, "tiny", "ann") == tmp_path / "grading/tiny/status/ann.json"
    assert not list(status_path(course, "tiny", "ann").parent.glob("*.tmp"))


def test_status_label():
    assert status_label({"status": "graded"}) == "graded"
    assert status_label({"status": "failed", "reason": "timed out"}) == "failed: timed out"
    assert status_label({"status": "failed"}) == "failed: unknown reason"
    assert status_label({}) == "pending"
