"""dlgrade.flag_reviews without a grading run: a recorded review clears the flag of the same
code only, and a record that says "reviewed" from an earlier report is read afresh.
(``dlcourse mark A S --reviewed`` through the real CLI: tests/test_package_copy_grading.py.)"""

from __future__ import annotations

import json

from dlgrade.course import Course
from dlgrade.flag_reviews import apply_reviews, read_reviews, review_path
from dlgrade.status import is_flagged, status_label

FLAG = "softmax looks like a copy of dlcourse.activations (97 %)"


def _course(tmp_path) -> Course:
    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\n")
    return Course(tmp_path)


def _review(course, student, key):
    path = review_path(course, "a1", student)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"key": key, "review": FLAG, "by": "ann",
                                "at": "2026-12-07T16:00:00Z"}))


def test_a_review_clears_the_flag_of_the_same_code_only(tmp_path):
    course = _course(tmp_path)
    _review(course, "same", "k1")
    _review(course, "resubmitted", "k1")
    review_path(course, "a1", "broken").write_text("{not json")
    rows = [{"student": "same", "status": "graded", "review": FLAG, "review_key": "k1"},
            {"student": "resubmitted", "status": "graded", "review": FLAG, "review_key": "k2"},
            {"student": "broken", "status": "graded", "review": FLAG, "review_key": "k1"},
            {"student": "plain", "status": "graded"},
            # a record an earlier report marked reviewed, whose review was taken back since
            {"student": "taken_back", "status": "graded", "review": FLAG, "review_key": "k3",
             "reviewed": {"by": "ann", "at": "2026-12-07T16:00:00Z"}}]
    apply_reviews(course, "a1", rows)
    by = {row["student"]: row for row in rows}
    assert by["same"]["reviewed"] == {"by": "ann", "at": "2026-12-07T16:00:00Z"}
    assert [s for s, row in by.items() if is_flagged(row)] == \
        ["resubmitted", "broken", "taken_back"]
    assert "reviewed" not in by["plain"]
    assert status_label(by["same"]) == "graded"
    assert status_label(by["resubmitted"]) == f"graded, flagged for review: {FLAG}"
    assert sorted(read_reviews(course, "a1")) == ["resubmitted", "same"]
