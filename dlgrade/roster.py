"""``dlcourse roster import``: students into nbgrader's gradebook from a roster file.

The layouts are the registry's (:mod:`dlgrade.lms`; the header row decides which): the
plain ``id,first_name,last_name,email`` (:mod:`dlgrade.lms.csv`), Canvas's gradebook export
(:mod:`dlgrade.lms.canvas`) and Moodle's participants or grades export
(:mod:`dlgrade.lms.moodle`); each system's module says which columns give the student id, the
name and the LMS id. This module owns what is the same for all: what a student id may be, the
checks of every row, and the gradebook writes.

Every row is checked before anything is written: one bad row (missing id, duplicate id or
LMS id, bad email) raises ``ValueError`` naming its line, and the gradebook stays as it was;
so does an LMS id the gradebook already gives another student (a roster exported with
another login column would otherwise add everyone twice).
Importing again updates the students, never duplicates them: a row is the gradebook student
with its id, else the one with its email address (compared without letter case; a Moodle ID
number changed or filled in is recorded for the export, and the student keeps the id).
"""

from __future__ import annotations

import csv
import dataclasses
import io
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from . import lms
from .course import ensure_tools_on_path
from .enrolment import record_import
from .lms import Lms, canvas, moodle
from .lms.base import column_key, formula_like, happens_twice, wall_time_note

#: what a student id may look like (it becomes a folder name under submitted/ and autograded/)
STUDENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]*\Z")  # \Z: "$" allows a last "\n"
#: markup characters no person's name holds; a name is printed into formgrader's pages as it
#: is (nbgrader's grading page does not escape it), so a roster row cannot carry a tag
MARKUP = re.compile(r"[<>]")
EMAIL = re.compile(r"^[^@\s,]+@[^@\s,]+\.[^@\s,]+$")


@dataclass(frozen=True)
class RosterStudent:
    """One student as the gradebook records it."""

    id: str
    first_name: str
    last_name: str
    email: str = ""
    lms_user_id: str = ""
    sis_user_id: str = ""
    section: str = ""
    participant_id: str = ""  # Moodle's number for the student in one assignment
    #: a Moodle row's "ID number" ("" when empty, ``None`` for a layout or file without the
    #: column); recorded beside the gradebook when it is not the student id (see _kept_id)
    id_number: str | None = dataclasses.field(default=None, compare=False)
    #: a Moodle grading worksheet's "Last modified (submission)" cell as written (``None``
    #: for a file without the column); read by :func:`import_roster`
    submitted: str | None = dataclasses.field(default=None, compare=False)
    line: int = dataclasses.field(default=0, compare=False)  # the roster file's line

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


def detect_lms(header: list[str]) -> Lms:
    """The system (:data:`dlgrade.lms.REGISTRY`) whose roster export ``header`` is.

    Raises
    ------
    ValueError
        If the header fits none of them: naming the missing column when it almost fits one,
        else quoting each system's header.
    """
    keys = [column_key(h) for h in header]
    systems = list(lms.REGISTRY.values())
    for system in systems:
        if system.fits_roster(keys):
            return system
    for system in systems:  # near misses: name the column that is missing
        message = system.roster_near_miss(header, keys)
        if message:
            raise ValueError(message)
    examples = [s.roster_example for s in systems]
    raise ValueError(
        f"roster: header {header!r} is not a known roster layout (known layouts: "
        f"{lms.known()}); expected {', '.join(examples[:-1])} or {examples[-1]}")


def detect_format(header: list[str]) -> str:
    """``canvas``, ``moodle`` or ``plain`` for a roster's header row
    (:func:`detect_lms`'s ``roster_layout``).

    Raises
    ------
    ValueError
        If the header fits none of the layouts.
    """
    return detect_lms(header).roster_layout


#: kept here for old imports; Canvas's fields beside the gradebook
LMS_FIELDS_FILE = canvas.LMS_FIELDS_FILE
read_lms_fields = canvas.read_lms_fields


def sniff_delimiter(text: str) -> str:
    r"""The delimiter of a roster's header line: ``,``, ``;`` (Excel in many European locales)
    or a tab, whichever splits it into the most columns (a comma when they tie).

    >>> sniff_delimiter("id;first_name;last_name\nann;Ann;Archer\n")
    ';'
    >>> sniff_delimiter('Student,ID\n"Archer, Ann",1\n')
    ','
    """
    lines = text.lstrip("\ufeff").splitlines()
    if not lines:
        return ","
    counts = {d: len(next(csv.reader([lines[0]], delimiter=d))) for d in ",;\t"}
    return max(",;\t", key=lambda d: (counts[d], d == ","))


def read_roster_text(path: Path) -> str:
    """A roster file's text.

    Raises
    ------
    ValueError
        If the file is not UTF-8, naming the byte and what to do.
    """
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise ValueError(f"roster: {path.name} is not UTF-8 (byte 0x{data[exc.start]:02x} on "
                         f"line {line}, as Excel's 'CSV' or Windows-1252 writes an accented "
                         "letter): save it as 'CSV UTF-8' and import it again") from None


def parse_roster(text: str, source: str = "roster",
                 delimiter: str | None = None) -> list[RosterStudent]:
    """Students of a roster file's text (any of the three layouts; ``delimiter`` is sniffed
    from the header when not given).

    Raises
    ------
    ValueError
        Naming ``source`` and the line of the first bad row: no id, an id that is not a
        plain name, a duplicate id, a malformed email, or a row with too few columns.
    """
    text = text.lstrip("\ufeff")
    reader = csv.reader(io.StringIO(text), delimiter=delimiter or sniff_delimiter(text))
    try:
        header = next(reader)
    except StopIteration:
        raise ValueError(f"roster: {source} is empty; expected a header row") from None
    system = detect_lms(header)
    keys = [column_key(h) for h in header]
    students, seen, seen_lms, seen_participants, seen_emails = [], {}, {}, {}, {}
    for cells in reader:
        line = reader.line_num
        if not any(c.strip() for c in cells):
            continue
        first = cells[0].strip()
        if system.skip_roster_row(first):
            continue  # e.g. Canvas's "Points Possible" row and its test student
        if system.short_roster_row(cells, header):
            raise ValueError(f"roster: {source} line {line}: {len(cells)} columns, expected "
                             f"{len(header)} ({', '.join(header)})")
        row = system.roster_row(dict(zip(keys, cells, strict=False)))
        where = f"roster: {source} line {line}"
        if not row["id"]:
            raise ValueError(f"{where}: no student id; expected one in every row")
        if not STUDENT_ID.match(row["id"]):
            raise ValueError(f"{where}: student id {row['id']!r} is not a plain name (letters, "
                             "digits, . _ @ + -)")
        folded = row["id"].casefold()
        if folded in seen:
            hint = ""
            if "@" in row["id"]:
                hint = " (the same email address twice?)"
            first_id, first_line = seen[folded]
            if first_id != row["id"]:  # LMS logins ignore letter case (review 23b, R8)
                hint = f" as {first_id!r}" + (
                    " (the same email address twice, letter case aside?)" if "@" in row["id"]
                    else ": ids that differ only in letter case are one login (and one "
                    "folder on a case-insensitive disk); expected one row per student")
            raise ValueError(f"{where}: student id {row['id']!r} already on line "
                             f"{first_line}{hint}")
        for field in ("first_name", "last_name"):
            # one spelling of a name: a Mac saves 'ü' as 'u' + a combining diaeresis (NFD);
            # the same name from Windows must not read as changed (review 23d, P7)
            row[field] = unicodedata.normalize("NFC", row[field])
            if MARKUP.search(row[field]):
                raise ValueError(f"{where}: {field.replace('_', ' ')} {row[field]!r} holds "
                                 "'<' or '>': expected a person's name, not markup (pages "
                                 "such as formgrader's print names as they are)")
        if row["email"] and not EMAIL.match(row["email"]):
            raise ValueError(f"{where}: email {row['email']!r} is not an email address")
        address = row["email"].casefold()
        if address and address in seen_emails:
            raise ValueError(f"{where}: email {row['email']!r} already on line "
                             f"{seen_emails[address]} (letter case aside): one address, two "
                             "students; expected one row per person")
        lms_id = row["lms_user_id"]
        if lms_id and lms_id in seen_lms:
            raise ValueError(f"{where}: LMS user id {lms_id!r} already on line "
                             f"{seen_lms[lms_id]} (one LMS id, two students)")
        participant = row.get("participant_id", "")
        if participant and not participant.isdigit():
            raise ValueError(f"{where}: identifier {participant!r} holds no participant "
                             "number; expected Moodle's 'Participant 1234567'")
        if participant in seen_participants:
            raise ValueError(f"{where}: participant id {participant} already on line "
                             f"{seen_participants[participant]} (one participant, two "
                             "students)")
        seen[folded] = (row["id"], line)
        if address:
            seen_emails[address] = line
        if lms_id:
            seen_lms[lms_id] = line
        if participant:
            seen_participants[participant] = line
        students.append(RosterStudent(**row, line=line))
    if not students:
        raise ValueError(f"roster: {source} has a header but no students")
    return students


def import_roster(course, path, delimiter: str | None = None,
                  assignment: str | None = None,
                  timezone: str | None = None) -> dict[str, list[str]]:
    """Parse ``path`` fully, then add or update every student in one gradebook transaction.

    A Moodle grading worksheet's participant ids belong to one assignment: ``assignment``
    names it, and they are kept for collect (:func:`dlgrade.lms.moodle.write_participants`);
    so are its "Last modified (submission)" times, read in ``timezone`` (default the
    course's; :func:`dlgrade.lms.moodle.write_submitted_times`): collect takes them as those
    students' submission times (review 23e, N3). A cell that is no time is named in
    ``"warnings"`` and that student keeps no worksheet time (the download's counts).
    A row that names a student only by the email address keeps the id the gradebook gives
    that address (an ID number imported before, or a local part as ids were before).

    Returns ``{"added", "changed", "unchanged", "missing"}`` (student ids; ``missing``: in
    the gradebook but not in the file, kept with their grades), ``"updated"`` (changed and
    unchanged together), ``"notes"`` (who changed and how) and ``"submitted_times"`` (the
    students given a worksheet time).

    Raises
    ------
    ValueError
        For a bad row (naming its line), an LMS id another gradebook student has, or
        participant ids without ``assignment`` (or an unknown one); nothing is imported.
    """
    ensure_tools_on_path()  # nbgrader runs the `alembic` command when it creates a gradebook
    from nbgrader.api import MissingEntry, Student

    path = Path(path)
    if not path.is_file():
        raise ValueError(f"roster: {path} is not a file; expected a CSV roster")
    students = parse_roster(read_roster_text(path), source=path.name, delimiter=delimiter)
    participants = any(s.participant_id for s in students)
    if participants and not assignment:
        raise ValueError(f"roster: {path.name} is a Moodle grading worksheet: its "
                         "'Identifier' column holds the participant ids of one assignment; "
                         "give --assignment NAME (the assignment it was downloaded from)")
    if assignment:
        course.require_assignment(assignment)
    if timezone:
        from .late import check_timezone

        timezone = check_timezone(timezone)
    added, changed, unchanged = [], [], []
    with course.gradebook() as gb:
        known = {st.id: st for st in gb.students}
        fields = canvas.read_lms_fields(course)
        warnings = []
        students = [_same_login(s, known, warnings) for s in students]
        kept = [_kept_id(s, known, fields, path.name) for s in students]
        students = [s for s, _ in kept]
        # a row matched by Canvas id is the same student, not a change (review 23d, P7: an
        # export without the login column said "8 changed" for an unchanged class)
        by_canvas_id = [s.id for s, note in kept if note.startswith(f"{s.id}: {_BY_ID}")]
        kept = [(s, "" if s.id in by_canvas_id else note) for s, note in kept]
        notes = [note for _, note in kept if note]
        sheet_times = _worksheet_times(students, timezone or course.timezone, warnings) \
            if participants else {}
        warnings += [f"{s.id}: the name {s.full_name!r} (line {s.line}) starts like a "
                     "spreadsheet formula: exports write it with a leading ' so that a "
                     "spreadsheet shows it as text" for s in students
                     if formula_like(s.first_name) or formula_like(s.last_name)]
        noted = {s.id for s, note in kept if note}
        counts = Counter(s.id for s in students)
        twice = sorted(sid for sid, n in counts.items() if n > 1)
        if twice:
            raise ValueError(f"roster: {path.name}: rows on lines "
                             f"{', '.join(str(s.line) for s in students if s.id in twice)} "
                             f"are all gradebook student(s) {', '.join(twice)} (the same "
                             "email address); expected one row per student. Nothing was "
                             "imported")
        owner = {st.lms_user_id: st.id for st in known.values() if st.lms_user_id}
        clashes = [f"line {s.line}: LMS user id {s.lms_user_id} of {s.id!r} already belongs to "
                   f"{owner[s.lms_user_id]!r} in the gradebook" for s in students
                   if s.lms_user_id and owner.get(s.lms_user_id, s.id) != s.id]
        if clashes:
            raise ValueError(f"roster: {path.name}: {'; '.join(clashes[:5])}"
                             f"{f' (and {len(clashes) - 5} more)' if len(clashes) > 5 else ''}"
                             "; was the roster exported with another login column? Nothing "
                             "was imported")
        try:
            for s in students:
                try:
                    student = gb.find_student(s.id)
                    before = _recorded(student, fields.get(s.id, {}))
                except MissingEntry:
                    student, before = Student(id=s.id), None
                    gb.db.add(student)
                student.first_name, student.last_name = s.first_name, s.last_name
                if s.email:  # a roster without addresses (Canvas's) keeps those on record
                    student.email = s.email
                if s.lms_user_id:
                    student.lms_user_id = s.lms_user_id
                after = _recorded(student, {"sis_user_id": s.sis_user_id,
                                            "section": s.section} if (
                    s.sis_user_id or s.section) else fields.get(s.id, {}))
                (added if before is None else changed if before != after
                 or s.id in noted else unchanged).append(s.id)
                if before is not None and before != after and s.id not in noted:
                    # say who and what (review 23e, P7: "1 changed" alone for a new section)
                    notes.append(f"{s.id}: {_changes(before, after)} (line {s.line})")
            gb.db.commit()
        except Exception:
            gb.db.rollback()
            raise
        listed = {s.id for s in students}
        missing = sorted(sid for sid in known if sid not in listed)
    canvas.write_lms_fields(course, students)
    record_import(course, added, [s.id for s in students], missing, known_before=len(known))
    if participants:
        moodle.write_participants(course, assignment, {s.participant_id: s.id
                                                       for s in students if s.participant_id})
        moodle.write_submitted_times(
            course, assignment, sheet_times,
            no_submission=[s.id for s in students if s.submitted is not None and
                           " ".join(s.submitted.split()) in moodle.NO_SUBMISSION])
    return {"added": added, "changed": changed, "unchanged": unchanged, "missing": missing,
            "updated": changed + unchanged, "notes": notes, "warnings": warnings,
            "by_canvas_id": sorted(by_canvas_id),
            "submitted_times": sorted(sid for sid, when in sheet_times.items() if when)}


def _worksheet_times(students: list[RosterStudent], timezone: str, warnings: list) -> dict:
    """``{student id: naive UTC time or None}`` of a grading worksheet's "Last modified
    (submission)" cells (:func:`dlgrade.lms.moodle.parse_worksheet_time`; ``None``: no
    submission, or a cell that is no time, which ``warnings`` names with its line)."""
    out = {}
    for s in students:
        if s.submitted is None:
            continue
        try:
            out[s.id] = moodle.parse_worksheet_time(s.submitted, timezone)
        except ValueError as exc:
            out[s.id] = None
            warnings.append(f"{s.id}: line {s.line}: 'Last modified (submission)': {exc}; no "
                            "worksheet time is kept for them, so collect takes the download's")
            continue
        wall = moodle.worksheet_wall_time(s.submitted)
        note = wall_time_note(wall, timezone) if wall is not None else None
        if note:  # the hour the clocks go back or skip (review 23f, N11)
            warnings.append(f"{s.id}: line {s.line}: 'Last modified (submission)': {note}"
                            + ("; if the upload was the second, give its time with "
                               "--timestamps" if happens_twice(wall, timezone) else ""))
    return out


def _same_login(student: RosterStudent, known: dict, warnings: list) -> RosterStudent:
    """The row as the gradebook student whose id differs from the row's in letter case only
    (LMS logins ignore it: ``ANGUYEN`` is ``anguyen``, and on a case-insensitive disk the
    two would share one ``submitted/`` folder); the gradebook's spelling is kept, and
    ``warnings`` says so (review 23b, R8)."""
    if student.id in known or "@" in student.id:  # an address: _kept_id compares those
        return student
    same = sorted(sid for sid in known if sid.casefold() == student.id.casefold())
    if len(same) != 1:
        return student
    warnings.append(f"{same[0]}: the id {student.id!r} on line {student.line} is the same "
                    f"login in other letter case: kept as {same[0]!r}, the gradebook's")
    return dataclasses.replace(student, id=same[0])


def _recorded(student, fields: dict) -> tuple:
    """What the gradebook (and the LMS fields beside it) hold of a student (in the order of
    :data:`RECORDED`)."""
    return (student.first_name or "", student.last_name or "", student.email or "",
            student.lms_user_id or "", fields.get("sis_user_id", ""), fields.get("section", ""))


#: the words for the fields of :func:`_recorded`, in its order
RECORDED = ("first name", "last name", "email", "LMS user id", "SIS user id", "section")


def _changes(before: tuple, after: tuple) -> str:
    """What a roster import changed of one student, field by field.

    >>> _changes(("Seán", "O'Brien", "", "12346", "9346", "Lab B"),
    ...          ("Seán", "O'Brien", "", "12346", "9346", "Lab C"))
    'section Lab B -> Lab C'
    >>> _changes(("Ann", "", "", "", "", ""), ("Ann", "Archer", "a@x.example", "", "", ""))
    'last name (none) -> Archer; email (none) -> a@x.example'
    """
    return "; ".join(f"{word} {old or '(none)'} -> {new or '(none)'}"
                     for word, old, new in zip(RECORDED, before, after, strict=True)
                     if old != new)


_BY_ID = "matched by Canvas id"


def _kept_id(student: RosterStudent, known: dict, fields: dict,
             source: str) -> tuple[RosterStudent, str]:
    """``(student, note)``: the row with the id the gradebook already gives that person, and
    what changed (``""`` when nothing needs saying).

    A row whose id is a gradebook student's is that student. Otherwise its email address,
    compared without letter case, decides: when exactly one gradebook student has it, the row
    is that student, never a second one (a twin would take the next submission and leave a
    ``0, no submission`` row in the export). A Moodle row keeps that student's id and its new
    "ID number" is recorded beside the gradebook (:func:`dlgrade.lms.canvas.write_lms_fields`)
    for the Moodle export; the note says old -> new. The student id itself never changes: the
    grades and submitted files are filed under it.

    Raises
    ------
    ValueError
        Naming the line: a row of a layout without Moodle's ID number (the plain CSV) whose
        new id has another student's address, or an address several gradebook students have.
    """
    recorded = fields.get(student.id, {})
    if student.id not in known and student.lms_user_id and \
            student.id in (student.lms_user_id, student.sis_user_id):
        # a Canvas export without the SIS Login ID column (Canvas has no switch for it): the
        # id fell back to the SIS User ID or Canvas's id, while the gradebook knows the
        # person by login under the same Canvas id (review 23b, R7)
        owners = sorted(sid for sid, st in known.items()
                        if st.lms_user_id == student.lms_user_id)
        if len(owners) == 1:
            return dataclasses.replace(student, id=owners[0]), (
                f"{owners[0]}: {_BY_ID} {student.lms_user_id} (line "
                f"{student.line}; this export has no login for them)")
    if student.id in known and student.id_number is not None and "id_number" in recorded:
        # a number recorded by an earlier import, now the student id again
        return student, (f"{student.id}: ID number {recorded['id_number'] or '(none)'} -> "
                         f"{student.id_number or '(none)'} (line {student.line})")
    if student.id in known or not student.email:
        return student, ""
    address = student.email.casefold()
    same = sorted(sid for sid, st in known.items() if (st.email or "").casefold() == address)
    if not same:
        return student, ""
    where = f"roster: {source} line {student.line}"
    if len(same) > 1:
        raise ValueError(f"{where}: email {student.email!r} belongs to {len(same)} gradebook "
                         f"students ({', '.join(same)}) and the id {student.id!r} to none; "
                         "expected one student per address: write the id of the one meant. "
                         "Nothing was imported")
    sid = same[0]
    by_address = student.id.casefold() == address
    if not by_address and student.id_number is None:
        raise ValueError(f"{where}: the id {student.id!r} is new, but its email "
                         f"{student.email!r} is {sid!r}'s in the gradebook: importing it "
                         "would make a second student for one person. Student ids are never "
                         f"renamed (the grades are filed under them): write {sid!r} in the "
                         "id column (or give a new student their own address). Nothing was "
                         "imported")
    kept = dataclasses.replace(student, id=sid)
    changes = []
    if student.id_number is not None:
        old = fields.get(sid, {}).get("id_number", _default_id_number(known[sid]))
        if old != student.id_number:
            changes.append(f"ID number {old or '(none)'} -> {student.id_number or '(none)'}")
    if (known[sid].email or "") != student.email:
        changes.append(f"email {known[sid].email} -> {student.email}")
    if not changes:
        return kept, ""
    return kept, (f"{sid}: {'; '.join(changes)} (line {student.line}; the same address, so "
                  f"the same student: kept as {sid!r} with their grades"
                  + (", and the Moodle export writes the new ID number)"
                     if student.id_number is not None else ")"))


def _default_id_number(student) -> str:
    """The Moodle ID number a student id stands for: itself, or none for an address."""
    email = (student.email or "").casefold()
    return "" if email and student.id.casefold() == email else student.id


def read_roster(course) -> list[RosterStudent]:
    """Every student in the gradebook, sorted by id."""
    with course.gradebook() as gb:
        return sorted((RosterStudent(s.id, s.first_name or "", s.last_name or "",
                                     s.email or "", s.lms_user_id or "")
                       for s in gb.students), key=lambda s: s.id)
