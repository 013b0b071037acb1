"""Grades out to the learning-management system, as nbgrader ``ExportPlugin`` s.

Both read nbgrader's gradebook, so plain nbgrader produces the same files::

    nbgrader export --exporter=dlgrade.export.CanvasExportPlugin \
        --assignment=[02_neuron] --to=canvas.csv
    nbgrader export --exporter=dlgrade.export.MoodleExportPlugin \
        --assignment=[02_neuron] --to=moodle.csv

A student's score is nbgrader's: the gradebook's score (automatic and hand-entered grades)
less the late penalty, 0 without a submission (as nbgrader's ``CsvExportPlugin``). Students
listed in ``blank`` (``dlcourse export`` puts there those whose grading failed or is still
pending) get an empty grade, which both systems leave unchanged, rather than a false 0.

* :class:`CanvasExportPlugin`: Canvas's gradebook CSV, ``Student, ID, SIS User ID,
  SIS Login ID, Section, <assignment>`` with a ``Points Possible`` row under the header. The
  student is ``Last, First``, ``ID`` Canvas's user id (the roster's ``lms_user_id``), the SIS
  Login ID the roster id. A column named like an existing Canvas assignment (``Name (id)``,
  set ``CanvasExportPlugin.column``) updates it; a new name creates an assignment.
* :class:`MoodleExportPlugin`: a CSV for Moodle's "Import grades > CSV file": ``Email
  address, ID number, <assignment>, Feedback``; on import, map ``Email address`` (or
  ``ID number``) to the user and the grade column to the grade item.
"""

from __future__ import annotations

import csv

from nbgrader.api import MissingEntry
from nbgrader.plugins import ExportPlugin
from traitlets import Dict, List, Unicode


def _rows(plugin, gradebook):
    """``(student, assignment, score or "", max_score, feedback)`` for every gradebook student
    and every selected assignment."""
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


def _fmt(x):
    if x == "":
        return ""
    return f"{x:g}"


def _lms_fields_here() -> dict:
    """The roster's SIS ids and sections when ``nbgrader export`` runs in the course folder
    (``grading/roster_lms.json``, written by ``dlcourse roster import``)."""
    import json
    from pathlib import Path

    from .roster import LMS_FIELDS_FILE

    try:
        return json.loads((Path("grading") / LMS_FIELDS_FILE).read_text())
    except (OSError, ValueError):
        return {}


class CanvasExportPlugin(ExportPlugin):
    """Canvas gradebook CSV (Gradebook > Import)."""

    column = Unicode("", help="Assignment column header; default the assignment's name. "
                              "Use Canvas's 'Name (id)' to update an existing assignment."
                     ).tag(config=True)
    section = Unicode("", help="Section written in every row without one of its own."
                      ).tag(config=True)
    blank = List([], help="Students exported with an empty grade.").tag(config=True)
    notes = Dict({}, help="Feedback text per student, replacing the default.").tag(config=True)
    lms = Dict({}, help="Per student id: sis_user_id and section (from the roster import)."
               ).tag(config=True)

    def export(self, gradebook) -> None:
        dest = self.to or "canvas_grades.csv"
        rows = list(_rows(self, gradebook))
        lms = dict(self.lms) or _lms_fields_here()
        names = sorted({a.name for _, a, *_ in rows})
        if len(names) > 1 and self.column:
            raise ValueError("column: one header given for several assignments; export one "
                             "assignment at a time")
        with open(dest, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(["Student", "ID", "SIS User ID", "SIS Login ID", "Section",
                        *[self.column or n for n in names]])
            maxes = {a.name: m for _, a, _, m, _ in rows}
            w.writerow(["    Points Possible", "", "", "", "", *[_fmt(maxes[n]) for n in names]])
            by_student = {}
            for student, a, score, _, _ in rows:
                by_student.setdefault(student.id, (student, {}))[1][a.name] = score
            for sid, (student, scores) in by_student.items():
                name = ", ".join(p for p in (student.last_name, student.first_name) if p)
                extra = lms.get(sid, {})
                w.writerow([name or sid, student.lms_user_id or "", extra.get("sis_user_id", ""),
                            sid, extra.get("section") or self.section,
                            *[_fmt(scores.get(n, "")) for n in names]])
        self.log.info("Wrote Canvas gradebook CSV %s", dest)


class MoodleExportPlugin(ExportPlugin):
    """Moodle grade import CSV (Grades > Import > CSV file)."""

    blank = List([], help="Students exported with an empty grade.").tag(config=True)
    notes = Dict({}, help="Feedback text per student, replacing the default.").tag(config=True)
    column = Unicode("", help="Grade column header; default the assignment's name (map it "
                              "to the grade item on import).").tag(config=True)

    def export(self, gradebook) -> None:
        dest = self.to or "moodle_grades.csv"
        rows = list(_rows(self, gradebook))
        names = sorted({a.name for _, a, *_ in rows})
        if len(names) != 1:
            raise ValueError(f"assignment: Moodle imports one grade item at a time; got "
                             f"{names or 'none'}, expected exactly one (--assignment)")
        with open(dest, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(["Email address", "ID number", self.column or names[0], "Feedback"])
            for student, _, score, _, note in rows:
                w.writerow([student.email or "", student.id, _fmt(score), note])
        self.log.info("Wrote Moodle grade import CSV %s", dest)


FORMATS = {"canvas": CanvasExportPlugin, "moodle": MoodleExportPlugin}


def export(course, assignment: str, fmt: str, dest, column: str = "") -> str:
    """Write ``assignment``'s grades in ``fmt`` (canvas, moodle or csv) to ``dest``.

    ``csv`` is the course's own ``grades.csv`` (one row per roster student, late fields
    included), rebuilt first. Students whose grading failed or is pending are exported with
    an empty grade; the feedback text says the status as the gradebook has it now (failed
    with the reason, not graded yet, written answers still to grade). ``column`` names the
    grade column (Canvas: an existing assignment as ``Name (id)``).

    Raises
    ------
    ValueError
        If ``fmt`` is unknown or the assignment is not in the gradebook.
    """
    import shutil

    from .report import collect_rows, write_outputs

    if fmt not in (*FORMATS, "csv"):
        raise ValueError(f"format: got {fmt!r}, expected canvas, moodle or csv")
    with course.gradebook() as gb:
        course.find_assignment(gb, assignment)
        outputs = write_outputs(course, assignment)
        if fmt == "csv":
            if str(dest) != outputs["grades"]:
                shutil.copyfile(outputs["grades"], dest)
            return str(dest)
        rows, _ = collect_rows(course, assignment)
        submitted = set(course.students(assignment))
        blank, notes = [], {}
        for r in rows:
            if r["student"] not in submitted:
                continue
            status = r.get("status", "pending")
            if status in ("failed", "pending"):
                blank.append(r["student"])
                notes[r["student"]] = ("could not be graded: " + (r.get("reason") or "")
                                       if status == "failed" else "not graded yet")
            elif status == "needs manual grading":
                notes[r["student"]] = "provisional: parts still to be graded by hand"
        options = {"blank": blank, "notes": notes}
        if column:
            options["column"] = column
        if fmt == "canvas":
            from .roster import read_lms_fields

            options["lms"] = read_lms_fields(course)
        plugin = FORMATS[fmt](to=str(dest), assignment=[assignment], **options)
        plugin.export(gb)
    return str(dest)
