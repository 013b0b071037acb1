"""Moodle: its participants or grades export as a roster, its "Download all submissions"
folder names, and its grade import CSV as an export.

* Roster: ``First name``, ``Last name`` (or ``Surname``), ``ID number``, ``Email address``.
  The student id is the ID number, else the email's local part.
* Downloads: each student's files sit in a folder ``<Full Name>_<participant id>_
  assignsubmission_file_/`` (or the file names carry that prefix when folders are switched
  off). The participant id is the assignment's own number for the student.
* Export: :class:`MoodleExportPlugin` (built on first use, so importing this module loads no
  nbgrader), a CSV for Moodle's Grades > Import > CSV file: ``Email address, ID number,
  <assignment>, Feedback``; on import, map ``Email address`` (or ``ID number``) to the user
  and the grade column to the grade item.
"""

from __future__ import annotations

import re

from .base import Lms, LmsName, format_score, gradebook_rows

# <Full Name>_<participant id>_assignsubmission_<plugin>_[<file>]
NAME = re.compile(r"^(?P<name>.+?)_(?P<uid>\d+)_assign(submission|feedback)_\w+?_(?P<file>.*)$")


class Moodle(Lms):
    name = "moodle"
    roster_layout = "moodle"
    roster_example = "Moodle's 'First name,Last name,ID number,Email address'"
    id_label = "Moodle participant id"
    export_help = "Moodle grade import CSV"
    grade_column = True
    name_rank = 10  # its "_assign" marker is the most specific: tried before Canvas's

    def fits_roster(self, keys):
        return ("firstname" in keys and ("surname" in keys or "lastname" in keys)
                and ("idnumber" in keys or "emailaddress" in keys))

    def roster_near_miss(self, header, keys):
        if "firstname" in keys and ("surname" in keys or "lastname" in keys):
            return (f"roster: header {header!r} looks like Moodle's export but has no "
                    "'ID number' or 'Email address' column (the student ids)")
        return None

    def roster_row(self, row):
        email = (row.get("emailaddress") or row.get("email") or "").strip()
        sid = (row.get("idnumber") or "").strip() or email.split("@")[0]
        return {"id": sid, "first_name": (row.get("firstname") or "").strip(),
                "last_name": (row.get("lastname") or row.get("surname") or "").strip(),
                "email": email, "lms_user_id": ""}

    def parse_path(self, rel_parts):
        for i, part in enumerate(rel_parts):
            m = NAME.match(part) if "_assign" in part else None
            if m:
                file = m["file"] or "/".join(rel_parts[i + 1:])
                return LmsName(self.name, m["name"], m["uid"], file)
        return None

    def export_plugin(self):
        return _plugin()


LMS = Moodle()

_PLUGIN = None


def _plugin():
    """:class:`MoodleExportPlugin`, defined on first use (its base class is nbgrader's)."""
    global _PLUGIN
    if _PLUGIN is not None:
        return _PLUGIN
    import csv

    from nbgrader.plugins import ExportPlugin
    from traitlets import Dict, List, Unicode

    class MoodleExportPlugin(ExportPlugin):
        """Moodle grade import CSV (Grades > Import > CSV file)."""

        blank = List([], help="Students exported with an empty grade.").tag(config=True)
        notes = Dict({}, help="Feedback text per student, replacing the default."
                     ).tag(config=True)
        column = Unicode("", help="Grade column header; default the assignment's name (map "
                                  "it to the grade item on import).").tag(config=True)

        def export(self, gradebook) -> None:
            dest = self.to or "moodle_grades.csv"
            rows = list(gradebook_rows(self, gradebook))
            names = sorted({a.name for _, a, *_ in rows})
            if len(names) != 1:
                raise ValueError(f"assignment: Moodle imports one grade item at a time; got "
                                 f"{names or 'none'}, expected exactly one (--assignment)")
            with open(dest, "w", newline="", encoding="utf-8") as f:
                w = csv.writer(f)
                w.writerow(["Email address", "ID number", self.column or names[0], "Feedback"])
                for student, _, score, _, note in rows:
                    w.writerow([student.email or "", student.id, format_score(score), note])
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
