"""Where each collected submission time came from, kept beside the grades: what a later
collect, a Moodle grading worksheet imported after it, ``grade`` and the stale-grade check
(:func:`dlgrade.late.stale_late`) read to know which time may replace which.

* :data:`TIME_SOURCES`: each collected time's source (a zip entry, a file's modification
  time, the grading worksheet, ``--timestamps``, Canvas's marker);
* :data:`FILE_TIMES`: the times taken from a file's modification time, with collect's warning;
* :func:`pending_worksheet_times`: the worksheet times collect would take that are not in
  ``timestamp.txt`` yet.
"""

from __future__ import annotations

import json

from .course import Course
from .lms import moodle
from .lms.base import format_timestamp, write_record
from .status import MOODLE_NO_FILE, read_not_collected

#: ``{student: {"stamp": timestamp.txt text, "source": "zip" | "file" | "csv" |
#: "worksheet"}}``: where each collected submission time came from, so that a later collect
#: knows which it may replace (a download's) and which not (an instructor's --timestamps);
#: ``"reread": true`` marks a newer worksheet's later, late time given to a file collected
#: before it, which may be an earlier upload (review 23f, N6), with ``"before"``, the file's
#: own time; ``"reverted": true`` marks the time of a notebook ``collect --revert`` put back:
#: its own, which no worksheet time replaces (the worksheet's is the upload taken back;
#: review 23m, finding 1) until a collect copies other bytes
TIME_SOURCES = "time_sources.json"


def read_time_sources(course: Course, assignment: str) -> dict[str, dict]:
    """The record of :data:`TIME_SOURCES` (``{}`` without one, or for a damaged one)."""
    try:
        data = json.loads((course.output_dir(assignment) / TIME_SOURCES).read_text())
        return {str(k): {"stamp": str(v["stamp"]), "source": str(v["source"])} | (
            {"reread": True} if v.get("reread") is True else {}) | (
            {"before": v["before"]} if isinstance(v.get("before"), str) else {}) | (
            {"reverted": True} if v.get("reverted") is True else {})
            for k, v in data.items()}
    except (OSError, ValueError, AttributeError, TypeError, KeyError):
        return {}


def write_time_sources(course: Course, assignment: str, record: dict) -> None:
    write_record(course.output_dir(assignment) / TIME_SOURCES, record)


#: ``{student: {"stamp": timestamp.txt text, "warning": text or "", "lms": bool}}`` of the
#: students whose submission time was taken from a file's modification time (a folder), with
#: the warning collect gave about it, and (``"lms": true``) of those whose time or file the
#: LMS's own record contradicts (:func:`_check_records`), for ``grade`` to repeat
FILE_TIMES = "file_times.json"


def read_file_times(course: Course, assignment: str) -> dict[str, dict]:
    """The record of :data:`FILE_TIMES` (``{}`` without one, or for a damaged one)."""
    try:
        data = json.loads((course.output_dir(assignment) / FILE_TIMES).read_text())
        return {str(k): {"stamp": str(v["stamp"]), "warning": str(v.get("warning") or ""),
                         "lms": bool(v.get("lms"))} for k, v in data.items()}
    except (OSError, ValueError, AttributeError, TypeError, KeyError):
        return {}


def write_file_times(course: Course, assignment: str, record: dict) -> None:
    write_record(course.output_dir(assignment) / FILE_TIMES, record, ensure_ascii=False)



#: the sources of a collected time that a grading worksheet's time replaces, as collect
#: replaces them (a file's modification time, a zip entry's, an older worksheet's); an
#: instructor's --timestamps time, Canvas's marker and a time of unknown source stay
WORKSHEET_REPLACES = ("file", "zip", "worksheet")


def worksheet_times_differ(course: Course, assignment: str, students=None) -> dict:
    """``{student: (timestamp.txt text, the worksheet's, where the first came from)}`` of
    the collected students (of ``students``, default all) whose time in the grading worksheet
    imported last is not the one collected (where: a :data:`dlgrade.collect.ORIGIN` key,
    ``None`` for a first collect's, ``"reverted"`` for the own time of a notebook a revert
    put back, which the worksheet's, the upload taken back, never replaces)."""
    sheet = moodle.read_submitted_times(course, assignment)
    if not sheet:
        return {}
    sources = read_time_sources(course, assignment)
    file_times = read_file_times(course, assignment)
    out = {}
    for student, when in sorted(sheet.items()):
        if students is not None and student not in students:
            continue
        try:
            kept = (course.submitted_dir / student / assignment / "timestamp.txt").read_text()
        except OSError:
            continue
        kept, stamp = kept.strip(), format_timestamp(when)
        if kept == stamp:
            continue
        entry = file_times.get(student, {})
        record = sources.get(student, {})
        source = "reverted" if record.get("reverted") and record.get("stamp") == kept else \
            "file" if entry.get("stamp") == kept and not entry.get("lms") else (
                record.get("source") if record.get("stamp") == kept else None)
        out[student] = (kept, stamp, source)
    return out


def pending_worksheet_times(course: Course, assignment: str, students=None) -> dict:
    """The students of :func:`worksheet_times_differ` whose collected time the worksheet's
    replaces by collect's rules (:data:`WORKSHEET_REPLACES`), not applied yet."""
    return {s: v for s, v in worksheet_times_differ(course, assignment, students).items()
            if v[2] in WORKSHEET_REPLACES}


def worksheet_without_file(course: Course, assignment: str) -> dict[str, str]:
    """``{student: reason}`` of the students the grading worksheet imported last lists as
    submitted whose notebook no collect copied, once a collect has copied any of
    ``assignment`` (before the first collect nobody's file is expected yet), leaving out
    those a collect already named. A worksheet imported after a collect that could not match
    their files (two students of one name) left them at "no submission" with a 0 (review
    23k, finding 1): recorded as not collected (:func:`dlgrade.status.write_not_collected`),
    they are exported as an empty cell that says why until a collect copies a file."""
    root = course.submitted_dir
    if not any(root.glob(f"*/{assignment}/*.ipynb")):
        return {}
    named = read_not_collected(course, assignment)
    return {student: (f"{MOODLE_NO_FILE}: the grading worksheet imported for {assignment} "
                      f"gives {when:%Y-%m-%d %H:%M} UTC, and no file of theirs is collected: "
                      f"collect the download again (`dlcourse collect {assignment} "
                      "<download>`), which matches its files by the worksheet's participant "
                      "ids now")
            for student, when in sorted(moodle.read_submitted_times(course, assignment).items())
            if student not in named and not any((root / student / assignment).glob("*.ipynb"))}
