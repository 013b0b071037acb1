"""File names of learning-management systems' submission downloads, and submission times.

Canvas ("Download Submissions") names each file
``lastnamefirstname_<user id>_<file id>_<file name>``, with ``LATE_`` before the user
id when Canvas judged it late (and ``-1``, ``-2`` after a resubmitted file's name). Moodle
("Download all submissions") puts each student's files in a folder
``<Full Name>_<participant id>_assignsubmission_file_/`` (or prefixes the file names with it
when folders are switched off).

A name is mapped to a roster id by the LMS's id (Canvas's user id is kept as the
gradebook's ``lms_user_id`` by ``dlcourse roster import``); only when no roster student has
that id, by a name exactly one roster student has, with a warning (:func:`identify`).
Anything else stays unmatched, with the reason: never guessed.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from dataclasses import dataclass

# Canvas writes the sortable name lower-cased without spaces and commas but keeps hyphens,
# accents and other letters (garcia-lopezmaria, obrienseán); the numbers anchor the match
CANVAS = re.compile(r"^(?P<name>[^/_]+?)_(?P<late>late_)?(?P<uid>\d+)_(?P<sub>\d+)_(?P<file>.+)$",
                    re.IGNORECASE)
MOODLE = re.compile(r"^(?P<name>.+?)_(?P<uid>\d+)_assign(submission|feedback)_\w+?_(?P<file>.*)$")


@dataclass(frozen=True)
class LmsName:
    """What an LMS file name says: which system, the student's name and id, late or not."""

    system: str  # "canvas" | "moodle"
    name: str
    uid: str
    file: str
    late: bool = False
    submission: str = ""  # Canvas's second number: the uploaded file's id


def parse_lms_path(rel_parts: tuple[str, ...]) -> LmsName | None:
    """Canvas or Moodle reading of a submitted file's path inside the download, or ``None``.

    >>> parse_lms_path(("smithjane_LATE_1234_987_02_neuron.ipynb",))
    ... # doctest: +NORMALIZE_WHITESPACE
    LmsName(system='canvas', name='smithjane', uid='1234', file='02_neuron.ipynb', late=True,
            submission='987')
    >>> parse_lms_path(("Jane Smith_55_assignsubmission_file_", "02_neuron.ipynb")).name
    'Jane Smith'
    """
    for i, part in enumerate(rel_parts):
        m = MOODLE.match(part) if "_assign" in part else None
        if m:
            file = m["file"] or "/".join(rel_parts[i + 1:])
            return LmsName("moodle", m["name"], m["uid"], file)
    m = CANVAS.match(rel_parts[-1])
    if m:
        return LmsName("canvas", m["name"], m["uid"], m["file"], bool(m["late"]), m["sub"])
    return None


def _fold(text: str) -> str:
    """Letters and digits only, lower case, accents dropped: ``"O'Brien Seán"`` ->
    ``"obriensean"``, as Canvas's and Moodle's spellings of one name compare equal."""
    import unicodedata

    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", plain.lower())


def _names(student, system: str) -> set[str]:
    if system == "canvas":  # sortable name: last name first
        return {_fold(student.last_name + student.first_name)}
    return {_fold(student.full_name), _fold(student.last_name + student.first_name)}


def identify(name: LmsName, roster) -> tuple[str | None, str]:
    """``(roster id, note)`` of an LMS name.

    The LMS's own id decides: the roster student whose ``lms_user_id`` (the LMS id column of
    the roster import) is the file's id; student ids are never compared with it. Only when no
    roster student has that id, the one student whose name folds to the file's name (for
    Canvas: among students without a Canvas id on record) is taken, and ``note`` says so (a
    warning to print). With no match, or several, the id is ``None`` and ``note`` says why.
    """
    what = {"canvas": "Canvas user id", "moodle": "Moodle participant id"}[name.system]
    # only the LMS id on record: a student id (a matriculation number) that happens to equal
    # the file's number is someone else's number, never a match
    hits = sorted(s.id for s in roster if name.uid and s.lms_user_id == name.uid)
    if len(hits) > 1:
        return None, f"{len(hits)} roster students have {what} {name.uid}: {', '.join(hits)}"
    if hits:
        return hits[0], ""
    # a student whose Canvas id is on record and differs is someone else of the same name
    # (Moodle's participant ids are the assignment's own: a name is all there is to compare)
    hits = sorted(s.id for s in roster if not (name.system == "canvas" and s.lms_user_id)
                  and _fold(name.name) in _names(s, name.system))
    if len(hits) == 1:
        return hits[0], (f"matched by name only: no roster student has {what} {name.uid}; "
                         f"{name.name!r} is the name of {hits[0]}")
    if hits:
        return None, (f"no roster student has {what} {name.uid}, and {len(hits)} have the name "
                      f"{name.name!r}: {', '.join(hits)}")
    return None, f"no roster student has {what} {name.uid} or the name {name.name!r}"


def match_student(name: LmsName, roster) -> str | None:
    """Roster id of an LMS name (:func:`identify`), ``None`` when there is none."""
    return identify(name, roster)[0]


def notebook_name(file: str, notebooks: list[str]) -> str | None:
    """Which notebook of the assignment an LMS file is: its own name (less Canvas's ``-N``
    resubmission suffix), or the only notebook when the assignment has one."""
    if not file.endswith(".ipynb"):
        return None
    stem = re.sub(r"-\d+$", "", file[:-len(".ipynb")])
    if stem in notebooks:
        return stem
    return notebooks[0] if len(notebooks) == 1 else None


def format_timestamp(when: dt.datetime) -> str:
    """nbgrader's ``timestamp.txt`` text for a naive UTC datetime."""
    return when.strftime("%Y-%m-%d %H:%M:%S.%f UTC")


def zip_times(path, timezone: str = "UTC") -> dict[str, dt.datetime]:
    """``{entry name: naive UTC time}`` of a zip file's entries (zip stores local wall time;
    ``timezone`` says whose)."""
    import zipfile
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(timezone)
    out = {}
    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            local = dt.datetime(*info.date_time, tzinfo=zone)
            out[info.filename] = local.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return out


def read_timestamps(path, timezone: str = "UTC") -> dict[str, dt.datetime]:
    """``--timestamps FILE.csv``: columns ``student,submitted_at`` (roster id, ISO time;
    a time without a zone is read in ``timezone``).

    Raises
    ------
    ValueError
        Naming the line of a row without a student or with an unreadable time.
    """
    from .late import to_utc

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
                out[student] = to_utc(row["submitted_at"], timezone)
            except ValueError as exc:
                raise ValueError(f"timestamps: {path} line {reader.line_num}: {exc}") from None
    return out
