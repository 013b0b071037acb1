"""Flag reviews: an instructor's word that a package-copy flag was read and found honest.

The grading run flags answers that look like the package's own functions pasted in
(:mod:`dlgrade.package_copy`; status "graded, flagged for review: ...", ``dlcourse grade``
exits 2). ``dlcourse mark ASSIGNMENT STUDENT --reviewed`` records that the instructor read them:
``<output>/<assignment>/flag_reviews/<student>.json`` holds the flag as it was read, the
``review_key`` of the status record (a digest of the submitted code the check read), who and
when. While the student's record carries the same key, the report (:func:`apply_reviews`)
counts the flag as cleared: status plain ``graded``, no exit 2 for it, listed under "Flags
reviewed" in report.json and report.html. A resubmission with other code has another key, so
its flag shows again. The file sits beside the hand grades in the output folder: ``--force``,
``--student`` and a copied or moved course folder keep it, as they keep hand grades.
"""

from __future__ import annotations

import getpass
import json
import os
import time
from pathlib import Path

from .course import Course
from .handgrades import nothing_to_mark, why_not_graded
from .status import read_statuses, status_label

REVIEW_DIR = "flag_reviews"


def review_path(course: Course, assignment: str, student: str) -> Path:
    return course.output_dir(assignment) / REVIEW_DIR / f"{student}.json"


def read_reviews(course: Course, assignment: str) -> dict[str, dict]:
    """``{student: {"key", "review", "by", "at"}}`` of every flag review of ``assignment``;
    unreadable files are skipped (the flag then shows, which is the safe side)."""
    folder = course.output_dir(assignment) / REVIEW_DIR
    out = {}
    if folder.is_dir():
        for path in sorted(folder.glob("*.json")):
            try:
                entry = json.loads(path.read_text())
            except (OSError, ValueError):
                continue
            if isinstance(entry, dict) and entry.get("key"):
                out[path.stem] = entry
    return out


def apply_reviews(course: Course, assignment: str, rows: list[dict]) -> None:
    """Set each flagged row's ``reviewed`` to ``{"by", "at"}`` when a review of the same text
    (its ``review_key``) is recorded, else to ``None`` (the flag counts: a new submission's,
    or a review taken back)."""
    reviews = None
    for row in rows:
        if not (row.get("review") or row.get("reviewed")):
            continue
        if reviews is None:
            reviews = read_reviews(course, assignment)
        entry = reviews.get(row["student"])
        same = bool(row.get("review")) and entry is not None and \
            entry["key"] == row.get("review_key")
        row["reviewed"] = {"by": entry.get("by"), "at": entry.get("at")} if same else None


def _reviewer() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name (a container without one): unnamed
        return "unknown"


def mark_reviewed(course: Course, assignment: str, student: str, undo: bool = False) -> dict:
    """Record that ``student``'s flag on ``assignment`` was reviewed (``undo``: take that
    back, so the flag counts again). Returns ``{"review", "by", "at", "already"}``:
    the flag reviewed, the review's author and time, and whether it was recorded before.

    Raises
    ------
    ValueError
        If the student has no graded submission (saying why, as ``mark`` does), the
        submission is not flagged (nothing to review), the flag's record predates the
        review key (grade the student again first), or, with ``undo``, no review of the
        current flag is recorded.
    """
    record = read_statuses(course, assignment).get(student)
    why = nothing_to_mark(course, assignment, student, "review")
    if not why and (record is None or record.get("status") not in ("graded",
                                                                    "needs manual grading")):
        with course.gradebook() as gb:
            why = why_not_graded(gb, course, assignment, student, "review")
    if why:
        raise ValueError(f"student: {why}")
    path = review_path(course, assignment, student)
    try:
        entry = json.loads(path.read_text())
    except (OSError, ValueError):
        entry = None
    same = isinstance(entry, dict) and entry.get("key") is not None and \
        entry.get("key") == record.get("review_key")
    if undo:
        if not same:
            raise ValueError(f"student: no review of {student}'s flag on {assignment} is "
                             "recorded for the submission graded now: nothing to take back")
        path.unlink()
        return {"review": record.get("review"), "by": entry.get("by"), "at": entry.get("at"),
                "already": False}
    if not record.get("review"):
        raise ValueError(f"student: {student}'s submission of {assignment} is not flagged "
                         f"for review (status: {status_label(record)}): nothing to review")
    if not record.get("review_key"):
        raise ValueError(f"student: {student}'s flag on {assignment} was recorded by an older "
                         "dlcourse, without the digest a review is tied to: run `dlcourse "
                         f"grade {assignment} --student {student}`, then mark it again")
    if same:
        return dict(entry, already=True)
    entry = {"key": record["review_key"], "review": record["review"], "by": _reviewer(),
             "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(entry, indent=1, sort_keys=True))
    os.replace(tmp, path)
    return dict(entry, already=False)
