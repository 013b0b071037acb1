"""``dlcourse roster import``: students into nbgrader's gradebook from a roster file.

Three layouts are read (the header row decides which):

* plain: ``id,first_name,last_name,email``;
* Canvas's gradebook export: ``Student, ID, SIS User ID, SIS Login ID, Section, ...``, the
  name written ``Last, First``; the student id is the SIS Login ID (else the SIS User ID,
  else Canvas's ID) and Canvas's numeric ``ID`` is kept as the gradebook's ``lms_user_id``,
  which is what Canvas puts in its submission downloads' file names;
* Moodle's participant or grade export: ``First name, Last name`` (or ``Surname``),
  ``ID number``, ``Email address``; the student id is the ID number (else the email's local
  part).

Every row is checked before anything is written: one bad row (missing id, duplicate id or
LMS id, bad email) raises ``ValueError`` naming its line, and the gradebook stays as it was;
so does an LMS id the gradebook already gives another student (a roster exported with
another login column would otherwise add everyone twice).
Importing again updates the students (``Gradebook.update_or_create_student``), never
duplicates them.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

from .course import ensure_tools_on_path

#: what a student id may look like (it becomes a folder name under submitted/ and autograded/)
STUDENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]*$")
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

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


# header aliases (compared after _key) -> field
ALIASES = {
    "id": "id", "studentid": "id", "username": "id", "idnumber": "id",
    "firstname": "first_name", "givenname": "first_name",
    "lastname": "last_name", "surname": "last_name", "familyname": "last_name",
    "email": "email", "emailaddress": "email",
}


def detect_format(header: list[str]) -> str:
    """``canvas``, ``moodle`` or ``plain`` for a roster's header row.

    Raises
    ------
    ValueError
        If the header fits none of the three layouts.
    """
    keys = [_key(h) for h in header]
    if "student" in keys and "id" in keys:
        # with or without the SIS Login ID column (Canvas's export has no switch for it):
        # the student id is the login, else the SIS User ID, else the Canvas id
        return "canvas"
    if "firstname" in keys and ("surname" in keys or "lastname" in keys) and (
            "idnumber" in keys or "emailaddress" in keys):
        return "moodle"
    if {"id", "firstname", "lastname"} <= set(keys):
        return "plain"
    # near misses: name the column that is missing
    if "student" in keys and "sisuserid" in keys:
        raise ValueError(f"roster: header {header!r} looks like Canvas's gradebook export but "
                         "has no 'ID' column (the Canvas user ids that match the files of "
                         "a submissions download): export the gradebook again")
    if "firstname" in keys and ("surname" in keys or "lastname" in keys):
        raise ValueError(f"roster: header {header!r} looks like Moodle's export but has no "
                         "'ID number' or 'Email address' column (the student ids)")
    missing = [c for c, k in (("id", "id"), ("first_name", "firstname"),
                              ("last_name", "lastname")) if k not in keys]
    if len(missing) < 3:
        raise ValueError(f"roster: header {header!r} has no column {', '.join(missing)}; "
                         "expected 'id,first_name,last_name,email'")
    raise ValueError(
        f"roster: header {header!r} is not a known roster layout; expected "
        "'id,first_name,last_name,email', Canvas's 'Student,ID,SIS User ID,SIS Login ID,...' "
        "or Moodle's 'First name,Last name,ID number,Email address'")


def _canvas_row(row: dict) -> dict:
    name = row.get("student", "").strip()
    last, _, first = name.partition(",")
    sid = row.get("sisloginid") or row.get("sisuserid") or row.get("id") or ""
    return {"id": sid.strip(), "first_name": first.strip(), "last_name": last.strip(),
            "email": "", "lms_user_id": (row.get("id") or "").strip(),
            "sis_user_id": (row.get("sisuserid") or "").strip(),
            "section": (row.get("section") or "").strip()}


#: LMS fields the gradebook has no column for (SIS User ID, section), kept beside it for the
#: exports: ``<output root>/roster_lms.json``, ``{student id: {"sis_user_id", "section"}}``.
LMS_FIELDS_FILE = "roster_lms.json"


def read_lms_fields(course) -> dict[str, dict]:
    import json

    try:
        return json.loads((Path(course.output_root) / LMS_FIELDS_FILE).read_text())
    except (OSError, ValueError):
        return {}


def _write_lms_fields(course, students) -> None:
    import json
    import os

    fields = read_lms_fields(course)
    for s in students:
        if s.sis_user_id or s.section:
            fields[s.id] = {"sis_user_id": s.sis_user_id, "section": s.section}
    if fields:
        path = Path(course.output_root) / LMS_FIELDS_FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(fields, indent=1, sort_keys=True))
        os.replace(tmp, path)


def _moodle_row(row: dict) -> dict:
    email = (row.get("emailaddress") or row.get("email") or "").strip()
    sid = (row.get("idnumber") or "").strip() or email.split("@")[0]
    return {"id": sid, "first_name": (row.get("firstname") or "").strip(),
            "last_name": (row.get("lastname") or row.get("surname") or "").strip(),
            "email": email, "lms_user_id": ""}


def _plain_row(row: dict) -> dict:
    return {"id": (row.get("id") or "").strip(),
            "first_name": (row.get("firstname") or "").strip(),
            "last_name": (row.get("lastname") or "").strip(),
            "email": (row.get("email") or "").strip(),
            "lms_user_id": (row.get("lmsuserid") or "").strip()}


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
    kind = detect_format(header)
    keys = [_key(h) for h in header]
    convert = {"canvas": _canvas_row, "moodle": _moodle_row, "plain": _plain_row}[kind]
    students, seen, seen_lms = [], {}, {}
    for cells in reader:
        line = reader.line_num
        if not any(c.strip() for c in cells):
            continue
        first = cells[0].strip()
        if kind == "canvas" and (first in ("Points Possible", "Student, Test")
                                 or first.startswith("    Points Possible")):
            continue  # Canvas's "Points Possible" row and its test student
        if len(cells) < len(header) and kind == "plain" and len(cells) < 3:
            raise ValueError(f"roster: {source} line {line}: {len(cells)} columns, expected "
                             f"{len(header)} ({', '.join(header)})")
        row = convert(dict(zip(keys, cells, strict=False)))
        where = f"roster: {source} line {line}"
        if not row["id"]:
            raise ValueError(f"{where}: no student id; expected one in every row")
        if not STUDENT_ID.match(row["id"]):
            raise ValueError(f"{where}: student id {row['id']!r} is not a plain name (letters, "
                             "digits, . _ @ + -)")
        if row["id"] in seen:
            raise ValueError(f"{where}: student id {row['id']!r} already on line "
                             f"{seen[row['id']]}")
        for field in ("first_name", "last_name"):
            if MARKUP.search(row[field]):
                raise ValueError(f"{where}: {field.replace('_', ' ')} {row[field]!r} holds "
                                 "'<' or '>': expected a person's name, not markup (pages "
                                 "such as formgrader's print names as they are)")
        if row["email"] and not EMAIL.match(row["email"]):
            raise ValueError(f"{where}: email {row['email']!r} is not an email address")
        lms_id = row["lms_user_id"]
        if lms_id and lms_id in seen_lms:
            raise ValueError(f"{where}: LMS user id {lms_id!r} already on line "
                             f"{seen_lms[lms_id]} (one LMS id, two students)")
        seen[row["id"]] = line
        if lms_id:
            seen_lms[lms_id] = line
        students.append(RosterStudent(**row))
    if not students:
        raise ValueError(f"roster: {source} has a header but no students")
    return students


def import_roster(course, path, delimiter: str | None = None) -> dict[str, list[str]]:
    """Parse ``path`` fully, then add or update every student in one gradebook transaction.

    Returns ``{"added": [...], "updated": [...]}`` (student ids).
    """
    ensure_tools_on_path()  # nbgrader runs the `alembic` command when it creates a gradebook
    from nbgrader.api import MissingEntry, Student

    path = Path(path)
    if not path.is_file():
        raise ValueError(f"roster: {path} is not a file; expected a CSV roster")
    students = parse_roster(read_roster_text(path), source=path.name, delimiter=delimiter)
    added, updated = [], []
    with course.gradebook() as gb:
        owner = {st.lms_user_id: st.id for st in gb.students if st.lms_user_id}
        clashes = [f"LMS user id {s.lms_user_id} of {s.id!r} already belongs to "
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
                    updated.append(s.id)
                except MissingEntry:
                    student = Student(id=s.id)
                    gb.db.add(student)
                    added.append(s.id)
                student.first_name, student.last_name = s.first_name, s.last_name
                student.email = s.email or None
                if s.lms_user_id:
                    student.lms_user_id = s.lms_user_id
            gb.db.commit()
        except Exception:
            gb.db.rollback()
            raise
    _write_lms_fields(course, students)
    return {"added": added, "updated": updated}


def read_roster(course) -> list[RosterStudent]:
    """Every student in the gradebook, sorted by id."""
    with course.gradebook() as gb:
        return sorted((RosterStudent(s.id, s.first_name or "", s.last_name or "",
                                     s.email or "", s.lms_user_id or "")
                       for s in gb.students), key=lambda s: s.id)
