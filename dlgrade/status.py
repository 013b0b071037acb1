"""Status records: one JSON file per graded student, ``<output>/<a>/status/<student>.json``.

The engine (:mod:`dlgrade.engine`) writes a record when a student is done; the report
(:mod:`dlgrade.report`) reads every record, whichever host or shard wrote it. A record holds
``student``, ``assignment``, ``status`` (``graded``, ``needs manual grading`` or ``failed``),
``reason``, ``score``, ``max_score``, ``cells`` (``{grade_id: [score, max_score]}``),
``hash`` (of the submission and the settings, to skip unchanged work) and ``graded_at``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from .course import Course

STATUS_DIR = "status"


def status_path(course: Course, assignment: str, student: str) -> Path:
    """Where the record of one student lives."""
    return course.output_dir(assignment) / STATUS_DIR / f"{student}.json"


def read_statuses(course: Course, assignment: str) -> dict[str, dict]:
    """Every recorded status of ``assignment`` (all shards), by student; unreadable files are
    skipped (a record being written by another host)."""
    folder = course.output_dir(assignment) / STATUS_DIR
    out = {}
    if folder.is_dir():
        for path in sorted(folder.glob("*.json")):
            try:
                out[path.stem] = json.loads(path.read_text())
            except (OSError, ValueError):
                continue
    return out


def write_status(course: Course, assignment: str, record: dict) -> None:
    """Write ``record`` (which names its ``student``) atomically: readers never see half a file."""
    path = status_path(course, assignment, record["student"])
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(record, indent=1, sort_keys=True))
    os.replace(tmp, path)


def status_label(record: dict) -> str:
    """``graded``, ``failed: <reason>`` or ``needs manual grading``."""
    status = record.get("status", "pending")
    if status == "failed":
        return f"failed: {record.get('reason') or 'unknown reason'}"
    return status
