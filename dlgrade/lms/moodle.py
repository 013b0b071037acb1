"""Moodle: its participants, grades and grading-worksheet exports as a roster, its "Download
all submissions" folder names, and its grade import CSV as an export.

* Roster: ``First name``, ``Last name`` (or ``Surname``), ``ID number``, ``Email address``;
  or an assignment's grading worksheet (``Identifier``, ``Full name``, ``Email address``,
  ...). The student id is the ID number, else the whole email address (two students may share
  a local part: ``anna.schmidt@uni-a.example`` and ``anna.schmidt@gmail.com``).
* Participant ids: the number in a download's folder names is the assignment's own number for
  the student (Moodle keeps one per assignment and student, the same in the grading
  worksheet's ``Identifier`` column, "Participant 1234567"). ``dlcourse roster import
  worksheet.csv --assignment NAME`` keeps them in ``grading/<assignment>/
  moodle_participants.json``, and collect matches that assignment's files by them; without
  them, by name, with a warning, and the participant id a student's file was first collected
  with is kept as theirs (:data:`COLLECTED_FILE`): a classmate who takes the student's
  display name in Moodle comes with another id and is refused.
* Downloads: each student's files sit in a folder ``<Full Name>_<participant id>_
  assignsubmission_file_/`` (or the file names carry that prefix when folders are switched
  off).
* Export: :class:`MoodleExportPlugin` (built on first use, so importing this module loads no
  nbgrader), a CSV for Moodle's Grades > Import > CSV file: ``Email address, ID number,
  <assignment>, Feedback`` (the status where the grade is not final, and the comments given
  by hand, :func:`hand_comments`). The ID number is written only where the roster had one (not
  for a student whose id is the email address); a number a later roster import changed or
  filled in is the recorded one (``roster_lms.json``: the student keeps the id); on import,
  map ``Email address`` to the user (or ``ID number`` when every student has one) and the
  grade column to the grade item.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import re
from pathlib import Path
from zoneinfo import ZoneInfo

from traitlets import Dict, List, Unicode

from .base import (
    STAMP_FORMAT,
    Lms,
    LmsName,
    fold,
    format_score,
    format_timestamp,
    gradebook_rows,
    text_cell,
    write_record,
)
from .canvas import COURSE_FOLDER, read_lms_fields

# <Full Name>_<participant id>_assignsubmission_<plugin>_[<file>]
NAME = re.compile(r"^(?P<name>.+?)_(?P<uid>\d+)_assign(submission|feedback)_\w+?_(?P<file>.*)$")
# the worksheet's "Identifier" cell: "Participant 1234567" (the word is translated)
IDENTIFIER = re.compile(r"^\D*?(\d+)\s*$")
#: per assignment: ``grading/<assignment>/`` + this, ``{participant id: student id}``
PARTICIPANTS_FILE = "moodle_participants.json"


class Moodle(Lms):
    name = "moodle"
    roster_layout = "moodle"
    roster_example = "Moodle's 'First name,Last name,ID number,Email address'"
    id_label = "Moodle participant id"
    #: how to give collect the participant ids (NAME: the assignment)
    id_hint = ("; to match by participant id: in Moodle, the assignment's 'View all "
               "submissions' > 'Download grading worksheet', then `dlcourse roster import "
               "worksheet.csv --assignment NAME`")
    export_help = "Moodle grade import CSV"
    grade_column = True
    feedback_column = True
    name_rank = 10  # its "_assign" marker is the most specific: tried before Canvas's

    def fits_roster(self, keys):
        ids = "idnumber" in keys or "emailaddress" in keys
        named = "firstname" in keys and ("surname" in keys or "lastname" in keys)
        worksheet = "identifier" in keys and "fullname" in keys
        return ids and (named or worksheet)

    def roster_near_miss(self, header, keys):
        if "firstname" in keys and ("surname" in keys or "lastname" in keys):
            return (f"roster: header {header!r} looks like Moodle's export but has no "
                    "'ID number' or 'Email address' column (the student ids)")
        found = worksheet_language(header)
        if found:  # review 23f, N8: refused whole, so say why and what to do
            language, column = found
            return (f"roster: this looks like a Moodle grading worksheet in {language} (its "
                    f"column {column!r}): its column names and dates are read in English "
                    "only (Moodle writes both in the language of whoever downloads it); in "
                    "Moodle, set your language to English (user menu > Language), download "
                    "the grading worksheet again and import that one. Nothing was imported")
        return None

    def roster_row(self, row):
        email = (row.get("emailaddress") or row.get("email") or "").strip()
        # the whole address: its local part alone is not unique across mail domains
        sid = (row.get("idnumber") or "").strip() or email
        first = (row.get("firstname") or "").strip()
        last = (row.get("lastname") or row.get("surname") or "").strip()
        if not (first or last) and row.get("fullname"):  # the grading worksheet
            first, _, last = row["fullname"].strip().rpartition(" ")
        out = {"id": sid, "first_name": first, "last_name": last, "email": email,
               "lms_user_id": ""}
        if "idnumber" in row:  # a grading worksheet has no such column: it changes nothing
            out["id_number"] = (row.get("idnumber") or "").strip()
        if "lastmodifiedsubmission" in row:  # the grading worksheet: read at import
            out["submitted"] = (row.get("lastmodifiedsubmission") or "").strip()
        if "identifier" in row:
            cell = (row.get("identifier") or "").strip()
            m = IDENTIFIER.match(cell)
            # an unreadable cell is kept as it is: the roster check names its line
            out["participant_id"] = m.group(1) if m else (cell or "?")
        return out

    def parse_path(self, rel_parts):
        for i, part in enumerate(rel_parts):
            m = NAME.match(part) if "_assign" in part else None
            if m:
                file = m["file"] or "/".join(rel_parts[i + 1:])
                return LmsName(self.name, m["name"], m["uid"], file)
        return None

    def export_plugin(self):
        return _plugin()

    def export_options(self, course):
        return {"lms": read_lms_fields(course)}


LMS = Moodle()

#: the grading worksheet's "Last modified (submission)" column in the languages Moodle is
#: most used in besides English (the ``lastmodifiedsubmission`` string of ``mod_assign`` in
#: Moodle's language packs), to name a worksheet downloaded in one of them
WORKSHEET_COLUMN = {
    "German": ("Zuletzt geändert (Abgabe)",),
    "French": ("Dernière modification (travail remis)",),
    "Spanish": ("Última modificación (entrega)",),
    "Italian": ("Ultima modifica (consegna)",),
    "Portuguese": ("Última modificação (submissão)", "Última modificação (envio)"),
}


def worksheet_language(header) -> tuple[str, str] | None:
    """``(language, column)`` when ``header`` has the grading worksheet's "Last modified
    (submission)" column in another language than English (:data:`WORKSHEET_COLUMN`; accents,
    case and punctuation aside), else ``None``.

    >>> worksheet_language(["Kennung", "Vollständiger Name", "Zuletzt geändert (Abgabe)"])
    ('German', 'Zuletzt geändert (Abgabe)')
    >>> worksheet_language(["Identifier", "Full name", "Last modified (submission)"]) is None
    True
    """
    for column in header:
        key = fold(column)
        for language, names in WORKSHEET_COLUMN.items():
            if any(key == fold(name) for name in names):
                return language, column
    return None


def id_number(student, recorded: dict | None = None) -> str:
    """The ID number Moodle knows for a gradebook student: the one a later roster import
    recorded (``recorded``: :func:`dlgrade.lms.canvas.read_lms_fields`' entry), else the
    student id, unless it is the email address (a student without an ID number)."""
    if recorded and "id_number" in recorded:
        return recorded["id_number"]
    email = (student.email or "").casefold()
    return "" if email and student.id.casefold() == email else student.id


def participants_path(course, assignment: str) -> Path:
    return course.output_dir(assignment) / PARTICIPANTS_FILE


def read_participants(course, assignment: str) -> dict[str, str]:
    """``{participant id: student id}`` of ``assignment`` kept by the roster imports of its
    grading worksheet (empty when none was imported)."""
    try:
        data = json.loads(participants_path(course, assignment).read_text())
        return {str(k): str(v) for k, v in data.items()}
    except (OSError, ValueError, AttributeError):
        return {}


def write_participants(course, assignment: str, ids: dict[str, str]) -> None:
    """Add ``ids`` (participant id -> student id) to the assignment's record; a student's
    earlier participant id is replaced."""
    known = {p: s for p, s in read_participants(course, assignment).items()
             if s not in set(ids.values())}
    known.update(ids)
    path = participants_path(course, assignment)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(dict(sorted(known.items())), indent=1) + "\n")
    os.replace(tmp, path)

#: per assignment: ``grading/<assignment>/`` + this, ``{student id: naive UTC time}`` (as
#: ``timestamp.txt`` writes it): the grading worksheet's "Last modified (submission)"
SUBMITTED_FILE = "moodle_submitted.json"
#: per assignment: ``grading/<assignment>/`` + this, ``[student id, ...]``: the students whose
#: "Last modified (submission)" was ``-`` (no submission) in the worksheet last imported
NO_SUBMISSION_FILE = "moodle_no_submission.json"
#: what the worksheet's cell holds for a participant without a submission
NO_SUBMISSION = {"", "-", "\u2013", "\u2014"}
_MONTHS = {name: i + 1 for i, names in enumerate(
    ("january jan", "february feb", "march mar", "april apr", "may", "june jun", "july jul",
     "august aug", "september sep sept", "october oct", "november nov", "december dec"))
    for name in names.split()}
_WEEKDAYS = {name: i for i, names in enumerate(
    ("monday mon", "tuesday tue tues", "wednesday wed", "thursday thu thur thurs",
     "friday fri", "saturday sat", "sunday sun")) for name in names.split()}
#: English names, whatever the locale (``calendar.day_name`` follows it)
_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August",
                "September", "October", "November", "December")
_CLOCK = re.compile(r"(?<!\d)(\d{1,2}):(\d{2})(?::(\d{2}))?\s*(?:([ap])\.?\s*m\b\.?)?",
                    re.IGNORECASE)
WORKSHEET_TIME_EXAMPLE = "'Tuesday, 1 December 2026, 10:00 AM'"


def parse_worksheet_time(text: str, timezone: str = "UTC"):
    """A grading worksheet's "Last modified (submission)" cell as a naive UTC datetime, or
    ``None`` for a participant without a submission (``-`` or empty).

    Moodle writes the time in the downloading user's time zone (``timezone``) and
    language, to the minute: ``Tuesday, 1 December 2026, 10:00 AM`` (English), ``Tuesday,
    December 1, 2026, 10:00 AM`` (US English); an ISO time (``2026-12-01 10:00``) is read
    too (:func:`worksheet_wall_time`). A wall-clock time of the hour the clocks go back is
    read as its first occurrence (:func:`dlgrade.lms.base.wall_time_note` says so).

    >>> parse_worksheet_time("Tuesday, 1 December 2026, 10:00 AM", "Europe/Berlin")
    datetime.datetime(2026, 12, 1, 9, 0)
    >>> parse_worksheet_time("Tuesday, December 1, 2026, 12:05 AM")
    datetime.datetime(2026, 12, 1, 0, 5)
    >>> parse_worksheet_time("-") is None
    True

    Raises
    ------
    ValueError
        If the cell is no such time: quoting it and the form expected.
    """
    when = worksheet_wall_time(text)
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=ZoneInfo(timezone))
    return when.astimezone(dt.timezone.utc).replace(tzinfo=None)


def worksheet_wall_time(text: str):
    """A "Last modified (submission)" cell as Moodle wrote it: a naive wall-clock datetime
    (an aware one for an ISO time with an offset), ``None`` for no submission. A weekday in
    the cell must be the date's (review 23f, N11: ``Wednesday, 1 December 2026`` is no
    day, so the cell is not trusted).

    >>> worksheet_wall_time("Tuesday, 1 December 2026, 12:30 AM")
    datetime.datetime(2026, 12, 1, 0, 30)
    >>> worksheet_wall_time("Wednesday, 1 December 2026, 10:00 AM")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: got 'Wednesday, 1 December 2026, 10:00 AM': 1 December 2026 is a Tuesday, ...

    Raises
    ------
    ValueError
        If the cell is no such time: quoting it and the form expected.
    """
    cell = " ".join((text or "").split())
    if cell in NO_SUBMISSION:
        return None
    expected = (f"got {cell!r}, expected Moodle's date and time such as "
                f"{WORKSHEET_TIME_EXAMPLE} (the worksheet downloaded in English), an ISO "
                "time such as '2026-12-01 10:00', or '-' for no submission")
    try:
        when = dt.datetime.fromisoformat(cell) if ":" in cell else None  # a time, not a day
    except ValueError:
        when = None
    if when is None:
        clocks = list(_CLOCK.finditer(cell))
        if len(clocks) != 1:
            raise ValueError(expected)
        clock = clocks[0]
        hour, minute, second = int(clock[1]), int(clock[2]), int(clock[3] or 0)
        if clock[4]:  # a 12-hour clock: 12:05 AM is 00:05, 12:05 PM is 12:05
            if not 1 <= hour <= 12:
                raise ValueError(expected)
            hour = hour % 12 + (12 if clock[4].lower() == "p" else 0)
        rest = (cell[:clock.start()] + " " + cell[clock.end():]).casefold()
        words = re.findall(r"[^\W\d_]+", rest)
        numbers = re.findall(r"\d+", rest)
        months = [_MONTHS[w] for w in words if w in _MONTHS]
        unknown = [w for w in words if w not in _MONTHS and w not in _WEEKDAYS
                   and w not in {"at"}]
        years = [n for n in numbers if len(n) == 4]
        days = [n for n in numbers if len(n) <= 2]
        if len(months) != 1 or unknown or len(years) != 1 or len(days) != 1 or \
                len(numbers) != 2:
            raise ValueError(expected)
        try:
            when = dt.datetime(int(years[0]), months[0], int(days[0]), hour, minute, second)
        except ValueError:  # 31 February, 25:00
            raise ValueError(expected) from None
        named = sorted({_WEEKDAYS[w] for w in words if w in _WEEKDAYS})
        if named and named != [when.weekday()]:
            raise ValueError(f"got {cell!r}: {when.day} {_MONTH_NAMES[when.month - 1]} "
                             f"{when.year} is a {_DAY_NAMES[when.weekday()]}, not a "
                             + " or ".join(_DAY_NAMES[i] for i in named))
    return when


def submitted_path(course, assignment: str) -> Path:
    return course.output_dir(assignment) / SUBMITTED_FILE


def read_submitted_times(course, assignment: str) -> dict:
    """``{student id: naive UTC datetime}``: the "Last modified (submission)" times of the
    assignment's grading worksheet as last imported (empty when none was)."""
    try:
        data = json.loads(submitted_path(course, assignment).read_text())
        return {str(k): dt.datetime.strptime(str(v), STAMP_FORMAT) for k, v in data.items()}
    except (OSError, ValueError, AttributeError):
        return {}


def no_submission_path(course, assignment: str) -> Path:
    return course.output_dir(assignment) / NO_SUBMISSION_FILE


def read_no_submission(course, assignment: str) -> set[str]:
    """The student ids whose "Last modified (submission)" cell was ``-`` (no submission) in
    the assignment's grading worksheet as last imported (empty when none was)."""
    try:
        data = json.loads(no_submission_path(course, assignment).read_text())
        return {str(s) for s in data} if isinstance(data, list) else set()
    except (OSError, ValueError):
        return set()


def write_submitted_times(course, assignment: str, times: dict, no_submission=()) -> None:
    """Record ``times`` (student id -> naive UTC datetime, or ``None``: no time, for a
    participant without a submission or with an unreadable cell) for the students of one
    worksheet; the other students' times are kept. ``no_submission`` (student ids, a subset
    of ``times``' keys) are those whose cell said no submission (``-``): collect names a
    file of theirs in a download as newer than the worksheet (review 23f, N5)."""
    none = read_no_submission(course, assignment) - set(times) | set(no_submission)
    none_path = no_submission_path(course, assignment)
    if none or none_path.exists():
        none_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = none_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(sorted(none), indent=1) + "\n")
        os.replace(tmp, none_path)
    known = {k: format_timestamp(v) for k, v in read_submitted_times(course, assignment).items()}
    for student, when in times.items():
        if when is None:
            known.pop(student, None)
        else:
            known[student] = format_timestamp(when)
    write_record(submitted_path(course, assignment), known)


def hand_comments(gradebook, assignment: str, student: str) -> str:
    """The comments given by hand (``dlcourse mark --comment`` or formgrader) on a student's
    submission, as one text: ``"answer_decision_boundary: Gut"``, several joined by ``"; "``
    in the notebook's order (``""`` without a submission or comment)."""
    from nbgrader.api import MissingEntry

    try:
        submission = gradebook.find_submission(assignment, student)
    except MissingEntry:
        return ""
    out = []
    for notebook in submission.notebooks:
        for comment in notebook.comments:
            text = (comment.manual_comment or "").strip()
            if text:
                out.append(f"{comment.name}: {' '.join(text.split())}")
    return "; ".join(out)


#: per assignment: ``grading/<assignment>/`` + this, ``{participant id: student id}`` of the
#: files collect matched by name only: the id each student was first collected with
COLLECTED_FILE = "moodle_collected.json"


def read_collected(course, assignment: str) -> dict[str, str]:
    """``{participant id: student id}``: the participant id each student's file was first
    collected with, when matched by name only (empty when none)."""
    try:
        data = json.loads((course.output_dir(assignment) / COLLECTED_FILE).read_text())
        return {str(k): str(v) for k, v in data.items()}
    except (OSError, ValueError, AttributeError):
        return {}


def remember_collected(course, assignment: str, ids: dict[str, str]) -> None:
    """Add ``ids`` (participant id -> student id) to the record of first-collected ids; a
    student who has one keeps it (the first id seen is the student's: a classmate who later
    takes the student's name in Moodle comes with another id and is refused)."""
    known = read_collected(course, assignment)
    has = set(known.values())
    new = {p: s for p, s in ids.items() if s not in has and p not in known}
    if not new:
        return
    known.update(new)
    path = course.output_dir(assignment) / COLLECTED_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(dict(sorted(known.items())), indent=1) + "\n")
    os.replace(tmp, path)


_PLUGIN = None


def _plugin():
    """:class:`MoodleExportPlugin`, defined on first use (its base class is nbgrader's)."""
    global _PLUGIN
    if _PLUGIN is not None:
        return _PLUGIN
    from nbgrader.plugins import ExportPlugin  # nbgrader: seconds, for an export only

    class MoodleExportPlugin(ExportPlugin):
        """Moodle grade import CSV (Grades > Import > CSV file)."""

        blank = List([], help="Students exported with an empty grade.").tag(config=True)
        notes = Dict({}, help="Feedback text per student, replacing the default."
                     ).tag(config=True)
        column = Unicode("", help="Grade column header; default the assignment's name (map "
                                  "it to the grade item on import).").tag(config=True)
        lms = Dict({}, help="Per student id: the roster import's recorded fields (a Moodle "
                            "ID number that is not the student id).").tag(config=True)

        def export(self, gradebook) -> None:
            dest = self.to or "moodle_grades.csv"
            rows = list(gradebook_rows(self, gradebook))
            if self.lms:
                lms = dict(self.lms)
            else:  # `nbgrader export` runs in the course folder: grading/ holds the fields
                lms = read_lms_fields(COURSE_FOLDER)
            names = sorted({a.name for _, a, *_ in rows})
            if len(names) != 1:
                raise ValueError(f"assignment: Moodle imports one grade item at a time; got "
                                 f"{names or 'none'}, expected exactly one (--assignment)")
            with open(dest, "w", newline="", encoding="utf-8") as f:
                w = csv.writer(f)
                w.writerow(["Email address", "ID number", text_cell(self.column or names[0]),
                            "Feedback"])
                for student, assignment, score, _, note in rows:
                    comments = hand_comments(gradebook, assignment.name, student.id)
                    feedback = "; ".join(x for x in (note, comments) if x)
                    # text cells through text_cell: never a formula in a spreadsheet
                    w.writerow([text_cell(student.email), text_cell(id_number(
                        student, lms.get(student.id))), format_score(score),
                        text_cell(feedback)])
            self.log.info("Wrote Moodle grade import CSV %s", dest)

    MoodleExportPlugin.__module__ = __name__
    MoodleExportPlugin.__qualname__ = "MoodleExportPlugin"
    _PLUGIN = MoodleExportPlugin
    return _PLUGIN


def __getattr__(name: str):
    # `nbgrader export --exporter=dlgrade.lms.moodle.MoodleExportPlugin` looks the class up here
    if name == "MoodleExportPlugin":
        return _plugin()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
