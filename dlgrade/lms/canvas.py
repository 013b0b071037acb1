"""Canvas: its gradebook export as a roster, its "Download Submissions" file names, the
file ids collect keeps, and its gradebook CSV as an export.

* Roster: ``Student, ID, SIS User ID, SIS Login ID, Section, ...``, the name written
  ``Last, First``. The student id is the SIS Login ID, else the SIS User ID, else Canvas's
  ``ID`` (Canvas's export has no switch for the login column); Canvas's numeric ``ID`` is
  kept as the gradebook's ``lms_user_id``, which is what Canvas puts in its downloads' file
  names. The ``Points Possible`` row and Canvas's test student are skipped. The SIS User ID
  and the section, which the gradebook has no column for, are kept beside it
  (:data:`LMS_FIELDS_FILE`) for the export.
* Downloads: ``lastnamefirstname_<user id>_<file id>_<file name>``, with ``LATE_`` before
  the user id when Canvas judged it late (and ``-1``, ``-2`` after a resubmitted file's
  name). The name is the sortable name lower-cased without spaces and commas, hyphens and
  accents kept. Canvas numbers uploads in order, so the file id says which of two files is
  newer; collect records each student's in ``grading/<assignment>/canvas_files.json``.
* Export: :class:`CanvasExportPlugin` (built on first use, so importing this module loads no
  nbgrader), Canvas's gradebook CSV for Grades > Import. Canvas matches its rows by the
  ``ID`` column, so a course without any Canvas id (a Moodle roster) is refused.
"""

from __future__ import annotations

import csv
import json
import os
import re
from pathlib import Path

from traitlets import Dict, List, Unicode

from .base import Lms, LmsName, fold, format_score, gradebook_rows, text_cell

# the numbers anchor the match: the name may hold anything but "/" and "_"
NAME = re.compile(r"^(?P<name>[^/_]+?)_(?P<late>late_)?(?P<uid>\d+)_(?P<sub>\d+)_(?P<file>.+)$",
                  re.IGNORECASE)

#: LMS fields the gradebook has no column for (SIS User ID, section), kept beside it for the
#: exports: ``<output root>/roster_lms.json``, ``{student id: {"sis_user_id", "section"}}``.
#: How Canvas names its test student ("Student, Test") in a submissions download.
TEST_STUDENT = "studenttest"
LMS_FIELDS_FILE = "roster_lms.json"


class Canvas(Lms):
    name = "canvas"
    roster_layout = "canvas"
    roster_example = "Canvas's 'Student,ID,SIS User ID,SIS Login ID,...'"
    id_label = "Canvas user id"
    export_help = "Canvas gradebook CSV"
    grade_column = True
    name_rank = 20

    def fits_roster(self, keys):
        # with or without the SIS Login ID column
        return "student" in keys and "id" in keys

    def roster_near_miss(self, header, keys):
        if "student" in keys and "sisuserid" in keys:
            return (f"roster: header {header!r} looks like Canvas's gradebook export but has "
                    "no 'ID' column (the Canvas user ids that match the files of a "
                    "submissions download): export the gradebook again")
        return None

    def roster_row(self, row):
        name = row.get("student", "").strip()
        last, _, first = name.partition(",")
        sid = row.get("sisloginid") or row.get("sisuserid") or row.get("id") or ""
        return {"id": sid.strip(), "first_name": first.strip(), "last_name": last.strip(),
                "email": "", "lms_user_id": (row.get("id") or "").strip(),
                "sis_user_id": (row.get("sisuserid") or "").strip(),
                "section": (row.get("section") or "").strip()}

    def skip_roster_row(self, first_cell):
        # the "Points Possible" row under the header and Canvas's test student
        return (first_cell in ("Points Possible", "Student, Test")
                or first_cell.startswith("    Points Possible"))

    def parse_path(self, rel_parts):
        m = NAME.match(rel_parts[-1])
        if m:
            return LmsName(self.name, m["name"], m["uid"], m["file"], bool(m["late"]),
                           m["sub"])
        # a file in a folder that carries Canvas's prefix is that user's, as a flat file
        # would be (review 23h, finding 3: "<name>_<userid>_<subid>_x/" was "not on the
        # roster" though its user id was)
        for folder in reversed(rel_parts[:-1]):
            m = NAME.match(folder)
            if m:
                return LmsName(self.name, m["name"], m["uid"], rel_parts[-1],
                               bool(m["late"]), m["sub"])
        return None

    def names(self, student):
        return {fold(student.last_name + student.first_name)}  # the sortable name

    def name_fallback_allowed(self, student):
        # a student whose Canvas id is on record (and is not the file's) is someone else of
        # the same name
        return not student.lms_user_id

    def export_plugin(self):
        return _plugin()

    def export_options(self, course):
        return {"lms": read_lms_fields(course)}


LMS = Canvas()


# -- SIS ids and sections beside the gradebook -----------------------------------------------

def read_lms_fields(course) -> dict[str, dict]:
    """``{student id: {"sis_user_id", "section", "id_number"}}`` kept by the last roster
    imports (each key only where a roster gave it)."""
    try:
        return json.loads((Path(course.output_root) / LMS_FIELDS_FILE).read_text())
    except (OSError, ValueError):
        return {}


def write_lms_fields(course, students) -> None:
    """Add the SIS User IDs and sections of ``students`` to :data:`LMS_FIELDS_FILE`, and the
    Moodle ID numbers that are not the student id (a number changed or filled in after the
    first import: the student keeps the id, :func:`dlgrade.roster._kept_id`)."""
    fields = read_lms_fields(course)
    before = json.dumps(fields, sort_keys=True)
    for s in students:
        entry = dict(fields.get(s.id, {}))
        if s.sis_user_id or s.section:
            entry.update(sis_user_id=s.sis_user_id, section=s.section)
        number = getattr(s, "id_number", None)  # Moodle's, when it is not the student id
        if number is not None:
            address = (s.email or "").casefold()
            if number == ("" if address and s.id.casefold() == address else s.id):
                entry.pop("id_number", None)
            else:
                entry["id_number"] = number
        if entry:
            fields[s.id] = entry
        else:
            fields.pop(s.id, None)
    if json.dumps(fields, sort_keys=True) != before:
        path = Path(course.output_root) / LMS_FIELDS_FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(fields, indent=1, sort_keys=True))
        os.replace(tmp, path)


# -- Canvas file ids of the collected files ---------------------------------------------------

def record_path(course, assignment: str) -> Path:
    return course.output_dir(assignment) / "canvas_files.json"


def read_record(course, assignment: str) -> dict:
    """``{student: Canvas file id}`` of the files collected so far for ``assignment``."""
    try:
        return {str(k): str(v)
                for k, v in json.loads(record_path(course, assignment).read_text()).items()}
    except (OSError, ValueError, AttributeError):
        return {}


def write_record(course, assignment: str, record: dict) -> None:
    path = record_path(course, assignment)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(dict(sorted(record.items())), indent=1) + "\n")


def newest_file(student: str, paths: list, file_ids: dict, root: Path,
                warnings: list) -> Path:
    """Of several Canvas files of one student, the one Canvas stored last (the highest file
    id), with a warning in ``warnings`` naming the others."""
    paths = sorted(paths, key=lambda p: int(file_ids[p]))
    newest = paths[-1]
    others = ", ".join(f"{p.relative_to(root)} (file id {file_ids[p]})" for p in paths[:-1])
    warnings.append(f"{student}: {len(paths)} Canvas files; took the newest, "
                    f"{newest.relative_to(root)} (file id {file_ids[newest]}), not {others}")
    return newest


# -- the export plugin ----------------------------------------------------------------------

_PLUGIN = None


def _plugin():
    """:class:`CanvasExportPlugin`, defined on first use (its base class is nbgrader's)."""
    global _PLUGIN
    if _PLUGIN is not None:
        return _PLUGIN
    from nbgrader.plugins import ExportPlugin  # nbgrader: seconds, for an export only

    class CanvasExportPlugin(ExportPlugin):
        """Canvas gradebook CSV (Grades > Import): ``Student, ID, SIS User ID, SIS Login ID,
        Section, <assignment>`` with a ``Points Possible`` row under the header. The student
        is ``Last, First``, ``ID`` Canvas's user id (the roster's ``lms_user_id``), the SIS
        Login ID the roster id. A column named like an existing Canvas assignment
        (``Name (id)``, set ``column``) updates it; a new name creates an assignment."""

        column = Unicode("", help="Assignment column header; default the assignment's name. "
                                  "Use Canvas's 'Name (id)' to update an existing assignment."
                         ).tag(config=True)
        section = Unicode("", help="Section written in every row without one of its own."
                          ).tag(config=True)
        blank = List([], help="Students exported with an empty grade.").tag(config=True)
        notes = Dict({}, help="Feedback text per student, replacing the default."
                     ).tag(config=True)
        lms = Dict({}, help="Per student id: sis_user_id and section (from the roster "
                            "import).").tag(config=True)

        def export(self, gradebook) -> None:
            dest = self.to or "canvas_grades.csv"
            rows = list(gradebook_rows(self, gradebook))
            # `nbgrader export` runs in the course folder, whose output root is grading/
            lms = dict(self.lms) or read_lms_fields(_Here())
            names = sorted({a.name for _, a, *_ in rows})
            if len(names) > 1 and self.column:
                raise ValueError("column: one header given for several assignments; export "
                                 "one assignment at a time")
            # some students without an id: `dlcourse export` warns (dlgrade.export)
            exported = {student.id: student for student, *_ in rows}
            if exported and not any(st.lms_user_id for st in exported.values()):
                raise ValueError(
                    "format: no student of this course has a Canvas user id (the roster came "
                    "from Moodle or a plain CSV?): Canvas matches an import's rows by its 'ID' "
                    "column and would match none; import Canvas's gradebook export first "
                    "(`dlcourse roster import`), or export --format moodle or csv")
            # text cells through text_cell: a name or section a spreadsheet would run as a
            # formula is written as text (review 21b, hole 8); scores are numbers
            with open(dest, "w", newline="", encoding="utf-8") as f:
                w = csv.writer(f)
                w.writerow(["Student", "ID", "SIS User ID", "SIS Login ID", "Section",
                            *[text_cell(self.column or n) for n in names]])
                maxes = {a.name: m for _, a, _, m, _ in rows}
                w.writerow(["    Points Possible", "", "", "", "",
                            *[format_score(maxes[n]) for n in names]])
                by_student = {}
                for student, a, score, _, _ in rows:
                    by_student.setdefault(student.id, (student, {}))[1][a.name] = score
                for sid, (student, scores) in by_student.items():
                    name = ", ".join(p for p in (student.last_name, student.first_name) if p)
                    extra = lms.get(sid, {})
                    w.writerow([text_cell(name or sid), text_cell(student.lms_user_id),
                                text_cell(extra.get("sis_user_id", "")), text_cell(sid),
                                text_cell(extra.get("section") or self.section),
                                *[format_score(scores.get(n, "")) for n in names]])
            self.log.info("Wrote Canvas gradebook CSV %s", dest)

    CanvasExportPlugin.__module__ = __name__
    CanvasExportPlugin.__qualname__ = "CanvasExportPlugin"
    _PLUGIN = CanvasExportPlugin
    return _PLUGIN


class _Here:
    """The course folder ``nbgrader export`` runs in, as far as :func:`read_lms_fields` needs
    it: ``grading/`` holds the roster's fields."""

    output_root = "grading"


#: the course folder as seen from `nbgrader export` (the Moodle export reads it too)
COURSE_FOLDER = _Here()


def __getattr__(name: str):
    # `nbgrader export --exporter=dlgrade.lms.canvas.CanvasExportPlugin` looks the class up here
    if name == "CanvasExportPlugin":
        return _plugin()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
