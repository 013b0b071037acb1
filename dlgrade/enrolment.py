"""When each student joined and left the course, as the roster imports saw it (review 23d, P3).

A roster import never removes a student (their grades stay), so the gradebook alone cannot
tell a student who never had an assignment from one who did not hand it in: both have no
submission, and both would be exported as 0. Each ``dlcourse roster import`` therefore notes
the time a student first appeared in a roster and the time they were first missing from one
(cleared when they appear again) in ``grading/roster_enrolment.json``. A student without a
submission who joined after an assignment was due, or left before it was due, was not
enrolled for it: ``grades.csv`` says ``not enrolled`` with the dates, and exports leave the
grade cell empty (an LMS keeps what it has: blank or excused) instead of a 0.

Students imported before this record existed have no dates and count as enrolled, as before.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

#: beside the gradebook, with the LMS fields of the roster
ENROLMENT_FILE = "roster_enrolment.json"

_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def _path(course) -> Path:
    return Path(course.output_root) / ENROLMENT_FILE


def read_enrolment(course) -> dict[str, dict[str, str]]:
    """``{student: {"added": time, "dropped": time}}`` (UTC, ``2026-12-07T10:00:00Z``; each
    key only where an import saw it)."""
    try:
        data = json.loads(_path(course).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def record_import(course, added, listed, missing, known_before: int,
                  now: dt.datetime | None = None) -> None:
    """Note one roster import: ``added`` students joined at ``now``, ``missing`` ones (in the
    gradebook, not in the file) left at ``now`` unless they had left before, and every
    ``listed`` student is enrolled again. ``known_before`` is how many students the gradebook
    had before: the first import of a course is its start, not a student joining late, so
    its students get no "added" time.

    >>> import tempfile, types
    >>> c = types.SimpleNamespace(output_root=tempfile.mkdtemp())
    >>> t = dt.datetime(2026, 12, 1, 9, 0)
    >>> record_import(c, ["ann", "bo"], ["ann", "bo"], [], known_before=0, now=t)
    >>> record_import(c, ["cy"], ["ann", "cy"], ["bo"], known_before=2, now=t)
    >>> read_enrolment(c)
    {'bo': {'dropped': '2026-12-01T09:00:00Z'}, 'cy': {'added': '2026-12-01T09:00:00Z'}}
    """
    now = now or dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    stamp = now.strftime(_FORMAT)
    data = read_enrolment(course)
    before = json.dumps(data, sort_keys=True)
    for sid in listed:
        entry = data.get(sid, {})
        entry.pop("dropped", None)
        if sid in added and known_before:
            entry["added"] = stamp
        if entry:
            data[sid] = entry
        else:
            data.pop(sid, None)
    for sid in missing:
        data.setdefault(sid, {}).setdefault("dropped", stamp)
    if json.dumps(data, sort_keys=True) == before:
        return
    path = _path(course)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def not_enrolled(entry: dict, due: dt.datetime | None) -> str:
    """Why a student with the enrolment ``entry`` had no part in an assignment due at ``due``
    (naive UTC; ``None``: no due date), or ``""`` when they were enrolled.

    >>> due = dt.datetime(2026, 11, 20, 22, 59)
    >>> not_enrolled({"added": "2026-12-01T09:00:00Z"}, due)
    'added to the roster on 2026-12-01 09:00 UTC, after the due date (2026-11-20 22:59 UTC)'
    >>> not_enrolled({"dropped": "2026-11-10T09:00:00Z"}, due)
    'not in the roster since 2026-11-10 09:00 UTC, before the due date (2026-11-20 22:59 UTC)'
    >>> not_enrolled({"dropped": "2026-11-10T09:00:00Z"}, None)
    'not in the roster since 2026-11-10 09:00 UTC'
    >>> not_enrolled({"added": "2026-11-01T09:00:00Z"}, due)
    ''
    """
    def when(key):
        try:
            return dt.datetime.strptime(entry[key], _FORMAT)
        except (KeyError, TypeError, ValueError):
            return None

    def show(t):
        return t.strftime("%Y-%m-%d %H:%M UTC")

    added, dropped = when("added"), when("dropped")
    if dropped is not None and (due is None or dropped < due):
        return f"not in the roster since {show(dropped)}" + (
            f", before the due date ({show(due)})" if due is not None else "")
    if added is not None and due is not None and added > due:
        return f"added to the roster on {show(added)}, after the due date ({show(due)})"
    return ""
