"""What every learning-management system shares: the reading of a download's file name
(:class:`LmsName`), the interface each system's module fills in (:class:`Lms`), and the
system-independent helpers around them (names compared letter by letter, which notebook a
file is, submission times, the rows an export writes).

Nothing here knows a particular system: Canvas, Moodle and the plain CSV layout live in
:mod:`dlgrade.lms.canvas`, :mod:`dlgrade.lms.moodle` and :mod:`dlgrade.lms.csv`, and the registry
that lists them in :mod:`dlgrade.lms`. Importing this module loads no nbgrader (the export
helpers import it when they run).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import re
import struct
import unicodedata
import zipfile
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


@dataclass(frozen=True)
class LmsName:
    """What an LMS file name says: which system, the student's name and id, late or not."""

    system: str  # a registry name: "canvas" | "moodle"
    name: str
    uid: str
    file: str
    late: bool = False
    submission: str = ""  # Canvas's second number: the uploaded file's id


class Lms:
    """One learning-management system (or file layout): its roster export, the names of its
    submission downloads, and its grade export. A module per system subclasses this and the
    registry (:mod:`dlgrade.lms`) holds one instance of each.

    Roster side: :meth:`fits_roster` says whether a header row (keys folded by
    :func:`column_key`) is this system's export, :meth:`roster_near_miss` names the missing
    column of a header that almost is, :meth:`roster_row` turns one row into the gradebook's
    fields, :meth:`skip_roster_row` drops rows that are no student. Download side:
    :meth:`parse_path` reads a file's path inside the download, :meth:`names` gives the forms
    of a roster student's name the system writes. Export side: :meth:`export_plugin` is the
    nbgrader ``ExportPlugin`` class (``None``: the course's own ``grades.csv``).
    """

    #: registry name, the ``--format`` choice
    name = ""
    #: what :func:`dlgrade.roster.detect_format` answers for this system's roster
    roster_layout = ""
    #: the roster header to quote in messages
    roster_example = ""
    #: how messages name the system's id of a student in file names ("Canvas user id")
    id_label = ""
    #: added to a "matched by name only" warning: how to give the tool the ids ("; to match
    #: by ...", NAME the assignment)
    id_hint = ""
    #: one line for ``dlcourse export --help``
    export_help = ""
    #: whether the export has a grade column ``--column`` may name
    grade_column = False
    #: whether the export has a feedback column that can mark a score as provisional
    feedback_column = False
    #: order in which download names are tried (lowest first): the most specific pattern first
    name_rank = 100

    def fits_roster(self, keys: list[str]) -> bool:
        return False

    def roster_near_miss(self, header: list[str], keys: list[str]) -> str | None:
        return None

    def roster_row(self, row: dict) -> dict:
        raise NotImplementedError

    def skip_roster_row(self, first_cell: str) -> bool:
        return False

    def short_roster_row(self, cells: list[str], header: list[str]) -> bool:
        return False

    def parse_path(self, rel_parts: tuple[str, ...]) -> LmsName | None:
        return None

    def names(self, student) -> set[str]:
        return {fold(student.full_name), fold(student.last_name + student.first_name)}

    def name_fallback_allowed(self, student) -> bool:
        """Whether a file of this system may be matched to ``student`` by name (when no
        roster student has the file's id)."""
        return True

    def export_plugin(self):
        return None

    def export_options(self, course) -> dict:
        return {}

    def __repr__(self) -> str:
        return f"<LMS {self.name}>"


def column_key(name: str) -> str:
    """A roster header folded for comparison: ``"SIS Login ID"`` -> ``"sisloginid"``."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


def fold(text: str) -> str:
    """Letters and digits only, lower case, accents dropped: ``"O'Brien Seán"`` ->
    ``"obriensean"``, as Canvas's and Moodle's spellings of one name compare equal."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", plain.lower())


def notebook_name(file: str, notebooks: list[str]) -> str | None:
    """Which notebook of the assignment an LMS file is: its own name (less Canvas's ``-N``
    resubmission suffix), or the only notebook when the assignment has one."""
    if not file.endswith(".ipynb"):
        return None
    stem = re.sub(r"-\d+$", "", file[:-len(".ipynb")])
    if stem in notebooks:
        return stem
    return notebooks[0] if len(notebooks) == 1 else None


#: nbgrader's ``timestamp.txt`` format, as this tool writes it
STAMP_FORMAT = "%Y-%m-%d %H:%M:%S.%f UTC"


def format_timestamp(when: dt.datetime) -> str:
    """nbgrader's ``timestamp.txt`` text for a naive UTC datetime."""
    return when.strftime(STAMP_FORMAT)


def write_record(path, record: dict, ensure_ascii: bool = True) -> None:
    """Write ``record`` (sorted by key) as the JSON file ``path`` through a temporary file, so a
    reader never sees half of it; an empty record makes no file where there is none."""
    if not record and not path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(dict(sorted(record.items())), indent=1,
                              ensure_ascii=ensure_ascii) + "\n")
    os.replace(tmp, path)


def happens_twice(wall: dt.datetime, timezone: str) -> bool:
    """Whether a naive wall-clock time falls in the hour ``timezone``'s clocks go back, so
    that it names two instants."""
    if wall.tzinfo is not None:
        return False
    zone = ZoneInfo(timezone)
    first, second = wall.replace(tzinfo=zone, fold=0), wall.replace(tzinfo=zone, fold=1)
    return first.utcoffset() != second.utcoffset() and \
        second.astimezone(dt.timezone.utc).astimezone(zone).replace(tzinfo=None) == wall


def wall_time_note(wall: dt.datetime, timezone: str) -> str | None:
    """What a wall-clock time in ``timezone`` that is not one instant was read as, or
    ``None`` for an ordinary one (review 23f, N11). When the clocks go forward, the skipped
    hour's times do not exist: such a time is read with the offset before the change, which
    lands an hour later on the clock (Europe/Berlin's 02:30 on 29 March 2026 is 03:30 CEST,
    01:30 UTC). When they go back, the repeated hour's times happen twice: the first is
    taken (zoneinfo's ``fold=0``).

    >>> print(wall_time_note(dt.datetime(2026, 10, 25, 2, 30), "Europe/Berlin"))
    ... # doctest: +NORMALIZE_WHITESPACE
    2026-10-25 02:30 happens twice in Europe/Berlin (the clocks go back): the first is
    taken, 00:30 UTC (CEST), not the second, 01:30 UTC (CET)
    >>> print(wall_time_note(dt.datetime(2026, 3, 29, 2, 30), "Europe/Berlin"))
    ... # doctest: +NORMALIZE_WHITESPACE
    2026-03-29 02:30 does not exist in Europe/Berlin (the clocks go forward over it): read
    as 03:30 CEST, 01:30 UTC
    >>> wall_time_note(dt.datetime(2026, 12, 1, 23, 59), "Europe/Berlin") is None
    True
    """
    if wall.tzinfo is not None:
        return None
    zone = ZoneInfo(timezone)
    first, second = wall.replace(tzinfo=zone, fold=0), wall.replace(tzinfo=zone, fold=1)
    utc = [t.astimezone(dt.timezone.utc) for t in (first, second)]
    if utc[0] == utc[1]:
        return None
    clock = f"{wall:%Y-%m-%d %H:%M}"
    back = utc[0].astimezone(zone)
    if back.replace(tzinfo=None) != wall:  # in the gap: it reads as another wall time
        return (f"{clock} does not exist in {timezone} (the clocks go forward over it): read "
                f"as {back:%H:%M} {back.tzname()}, {utc[0]:%H:%M} UTC")
    return (f"{clock} happens twice in {timezone} (the clocks go back): the first is taken, "
            f"{utc[0]:%H:%M} UTC ({first.tzname()}), not the second, {utc[1]:%H:%M} UTC "
            f"({second.tzname()})")


def zip_times(path, timezone: str = "UTC") -> dict[str, dt.datetime | None]:
    """``{entry name: naive UTC time, or None}`` of a zip file's entries.

    ``None`` is an entry that holds no time (:func:`no_dos_time`): the zip format's "no
    time", never a wall-clock time in ``timezone`` (review 23h, finding 2: read in Berlin it
    was "submitted 1979-12-31 23:00 UTC", on time).

    An entry's true instant is read from its extra field when the zip writer left one
    (:func:`extra_field_time`: Info-ZIP's ``zip`` on Linux and macOS, NTFS times from
    Windows tools); only without it is the DOS wall-clock time, which has no zone, read in
    ``timezone`` (review 23e, N2: a zip made on a New York laptop was read 6 h early)."""
    zone = ZoneInfo(timezone)
    out = {}
    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            true_time = extra_field_time(info.extra)
            if true_time is not None:
                out[entry_name(info)] = true_time
                continue
            if no_dos_time(info.date_time):
                out[entry_name(info)] = None
                continue
            local = dt.datetime(*info.date_time, tzinfo=zone)
            out[entry_name(info)] = local.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return out


def no_dos_time(date_time: tuple) -> bool:
    """Whether a zip entry's DOS date and time is the format's "no time": 1980-01-01 00:00,
    the earliest DOS time, which Python's ``zipfile`` and other writers give an entry without
    a time (or clamp an earlier one to), or a DOS date of 0 (month or day 0).

    >>> no_dos_time((1980, 1, 1, 0, 0, 0)), no_dos_time((1980, 0, 0, 0, 0, 0))
    (True, True)
    >>> no_dos_time((1980, 1, 1, 0, 0, 2)), no_dos_time((2026, 12, 2, 9, 30, 0))
    (False, False)
    """
    return tuple(date_time) == (1980, 1, 1, 0, 0, 0) or date_time[1] == 0 or date_time[2] == 0


def entry_name(info: zipfile.ZipInfo) -> str:
    """A zip entry's name as ``unzip`` on Linux and the LMSs read it (review 23g, G9): a
    name without the zip's UTF-8 flag is its bytes, which Info-ZIP's ``zip`` and macOS write
    in UTF-8 without saying so; Python reads such names as code page 437 (``J├ûRG``), so one
    that is valid UTF-8 is read as UTF-8, and code page 437 stays the fallback.

    >>> info = zipfile.ZipInfo("J\u00d6RG.ipynb".encode("utf-8").decode("cp437"))
    >>> entry_name(info)
    'JÖRG.ipynb'
    >>> entry_name(zipfile.ZipInfo("\u00e9t\u00e9.ipynb"))  # cp437 bytes, not UTF-8
    'été.ipynb'
    """
    if info.flag_bits & 0x800:
        return info.filename
    try:
        return info.filename.encode("cp437").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return info.filename


#: the extra-field header ids that carry an absolute modification time
UNIX_EXTENDED_TIME, NTFS_TIMES = 0x5455, 0x000A
_EPOCH = dt.datetime(1970, 1, 1)
_NTFS_EPOCH = dt.datetime(1601, 1, 1)


def extra_field_time(extra: bytes) -> dt.datetime | None:
    """The naive UTC modification time in a zip entry's extra field, ``None`` without one.

    The field is a run of ``(header id, size)`` records (little-endian ``uint16`` each, then
    ``size`` bytes). Info-ZIP's extended timestamp (``0x5455``, "UT") holds a flags byte and,
    when its bit 0 is set, the modification time as ``uint32`` seconds since 1970 UTC; the
    NTFS record (``0x000a``) holds 4 reserved bytes, then attributes, of which tag 1 (24
    bytes) starts with the modification time in 100 ns units since 1601 UTC. A record that
    is short, or a time of 0, is ignored.

    >>> extra_field_time(bytes.fromhex("5554 0500 01 40741d6a"))
    datetime.datetime(2026, 6, 1, 12, 0)
    >>> extra_field_time(b"") is None
    True
    """
    found = None
    at = 0
    while at + 4 <= len(extra):
        tag, size = struct.unpack_from("<HH", extra, at)
        body = extra[at + 4:at + 4 + size]
        at += 4 + size
        if len(body) < size:
            break  # a record cut short: the rest is not trusted
        if tag == UNIX_EXTENDED_TIME and size >= 5 and body[0] & 1:
            seconds = struct.unpack_from("<I", body, 1)[0]
            if seconds:
                return _EPOCH + dt.timedelta(seconds=seconds)
        elif tag == NTFS_TIMES and found is None:
            found = _ntfs_time(body)
    return found


def _ntfs_time(body: bytes) -> dt.datetime | None:
    """The modification time of an NTFS extra-field record's body (``None`` if absent)."""
    at = 4  # reserved
    while at + 4 <= len(body):
        tag, size = struct.unpack_from("<HH", body, at)
        if tag == 1 and size >= 24 and at + 4 + size <= len(body):
            ticks = struct.unpack_from("<Q", body, at + 4)[0]
            try:
                return _NTFS_EPOCH + dt.timedelta(microseconds=ticks // 10) if ticks else None
            except OverflowError:  # past the year 9999: no time
                return None
        at += 4 + size
    return None


def check_timezone(timezone: str) -> str:
    """``timezone`` if it is an IANA time zone name.

    >>> check_timezone("Europe/Berlin")
    'Europe/Berlin'

    Raises
    ------
    ValueError
        Naming what came and what is expected.
    """
    try:
        ZoneInfo(str(timezone))
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"timezone: got {timezone!r}, expected an IANA name such as "
                         "Europe/London or UTC") from None
    return str(timezone)


def to_utc(text: str, timezone: str = "UTC", what: str = "due") -> dt.datetime:
    """``"2026-12-01 17:00"`` in ``timezone`` -> naive UTC datetime (nbgrader's convention).

    >>> to_utc("2026-07-01 17:00", "Europe/London")
    datetime.datetime(2026, 7, 1, 16, 0)

    Raises
    ------
    ValueError
        If the time (named ``what`` in the message) or the time zone cannot be read.
    """
    zone = ZoneInfo(check_timezone(timezone))
    try:
        when = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{what}: got {text!r}, expected 'YYYY-MM-DD HH:MM'") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=zone)
    return when.astimezone(dt.timezone.utc).replace(tzinfo=None)


def read_timestamps(path, timezone: str = "UTC") -> dict[str, dt.datetime]:
    """``--timestamps FILE.csv``: columns ``student,submitted_at`` (roster id, ISO time;
    a time without a zone is read in ``timezone``).

    Raises
    ------
    ValueError
        Naming the line of a row without a student or with an unreadable time.
    """
    out = {}
    with open(path, newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        if not reader.fieldnames or not {"student", "submitted_at"} <= set(reader.fieldnames):
            raise ValueError(f"timestamps: {path} has columns {reader.fieldnames}, expected "
                             "student,submitted_at")
        for row in reader:
            student = (row["student"] or "").strip()
            if not student:
                raise ValueError(f"timestamps: {path} line {reader.line_num}: no student")
            try:
                # the file's column, not a due date (review 23h, finding 6)
                out[student] = to_utc(row["submitted_at"], timezone, what="submitted_at")
            except ValueError as exc:
                raise ValueError(f"timestamps: {path} line {reader.line_num}: {exc}") from None
    return out


def gradebook_rows(plugin, gradebook):
    """``(student, assignment, score or "", max_score, feedback)`` for every gradebook student
    and every assignment an export plugin selected.

    A score is nbgrader's: the gradebook's score (automatic and hand-entered grades) less the
    late penalty, 0 without a submission (as nbgrader's ``CsvExportPlugin``). Students in
    ``plugin.blank`` get an empty grade, which LMSs leave unchanged, rather than a false 0;
    ``plugin.notes`` replaces a student's feedback text.
    """
    from nbgrader.api import MissingEntry

    wanted = {str(a) for a in plugin.assignment}
    students = {str(s) for s in plugin.student}
    blank = {str(s) for s in plugin.blank}
    notes = {str(k): str(v) for k, v in dict(plugin.notes).items()}
    for assignment in gradebook.assignments:
        if wanted and assignment.name not in wanted:
            continue
        for student in sorted(gradebook.students, key=lambda s: s.id):
            if students and student.id not in students:
                continue
            note = ""
            try:
                sub = gradebook.find_submission(assignment.name, student.id)
            except MissingEntry:
                score, note = 0.0, "no submission"
            else:
                penalty = float(sub.late_submission_penalty or 0)
                score = max(0.0, float(sub.score) - penalty)
                if penalty:
                    note = f"late penalty {penalty:g}"
            if student.id in blank:
                score, note = "", "not graded yet"
            note = notes.get(student.id, note)
            yield student, assignment, score, float(assignment.max_score), note


#: what a spreadsheet reads as the start of a formula (OWASP's list for CSV injection)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def text_cell(value) -> str:
    """A text cell of an export as a spreadsheet shows it, never runs it: a cell starting
    with ``= + - @``, a tab or a carriage return gets a leading ``'`` (OWASP's advice against
    CSV injection; instructors open exports in a spreadsheet before uploading them), unless
    it is a plain number, which stays a number (a negative score, an SIS id ``-12``).

    >>> print(text_cell('=HYPERLINK("http://x.example"), Eve'))
    '=HYPERLINK("http://x.example"), Eve
    >>> text_cell("-2.5"), text_cell("O'Brien, Seán"), text_cell("")
    ('-2.5', "O'Brien, Seán", '')
    """
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_START) and not _NUMBER.match(text):
        return "'" + text
    return text


def formula_like(text: str) -> bool:
    """Whether :func:`text_cell` would neutralise ``text`` (a roster import says so)."""
    return text_cell(text) != (text or "")


def format_score(x) -> str:
    """A score as an LMS reads it (``7``, ``6.5``), empty for an empty grade."""
    if x == "":
        return ""
    return f"{x:g}"
