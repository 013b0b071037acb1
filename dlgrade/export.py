"""``dlcourse export``: grades out to the learning-management system.

Each system's file is written by its module's nbgrader ``ExportPlugin``
(:class:`dlgrade.lms.canvas.CanvasExportPlugin`, :class:`dlgrade.lms.moodle.MoodleExportPlugin`;
the plain ``csv`` layout is the course's own ``grades.csv``); the registry
(:data:`dlgrade.lms.REGISTRY`) names the formats. They read nbgrader's gradebook, so plain
nbgrader produces the same files::

    nbgrader export --exporter=dlgrade.lms.canvas.CanvasExportPlugin \
        --assignment=[02_neuron] --to=canvas.csv
    nbgrader export --exporter=dlgrade.lms.moodle.MoodleExportPlugin \
        --assignment=[02_neuron] --to=moodle.csv

(``dlgrade.export.CanvasExportPlugin`` and ``dlgrade.export.MoodleExportPlugin`` still name
the same classes.) This module does what is the same for every format: rebuild the course's
outputs, and say per student whether the grade is final (students whose grading failed or is
pending get an empty grade, which LMSs leave unchanged, and the status as feedback).
"""

from __future__ import annotations

import shutil

from . import lms
from .lms.canvas import CanvasExportPlugin
from .lms.moodle import MoodleExportPlugin

#: the formats with an nbgrader ``ExportPlugin`` (``csv`` copies grades.csv)
FORMATS = {name: system.export_plugin() for name, system in lms.REGISTRY.items()
           if system.export_plugin() is not None}

__all__ = ["CanvasExportPlugin", "FORMATS", "MoodleExportPlugin", "export"]


def export(course, assignment: str, fmt: str, dest, column: str = "", warn=None) -> str:
    """Write ``assignment``'s grades in ``fmt`` (a name in :data:`dlgrade.lms.REGISTRY`) to
    ``dest``.

    ``csv`` is the course's own ``grades.csv`` (one row per roster student, late fields
    included), rebuilt first. Students whose grading failed or is pending are exported with
    an empty grade; the feedback text says the status as the gradebook has it now (failed
    with the reason, not graded yet, written answers still to grade). ``column`` names the
    grade column (Canvas: an existing assignment as ``Name (id)``).

    A format without a feedback column (Canvas) cannot mark a provisional score (written
    answers still to grade by hand) as such: ``warn`` (a callable taking one line of text)
    is then told how many students' scores are provisional, and who.

    Raises
    ------
    ValueError
        If ``fmt`` is unknown or the assignment is not in the gradebook.
    """
    from .report import collect_rows, write_outputs  # nbconvert: seconds

    system = lms.get(fmt, "format")
    with course.gradebook() as gb:
        course.find_assignment(gb, assignment)
        outputs = write_outputs(course, assignment)
        plugin = system.export_plugin()
        if plugin is None:  # the plain layout: the course's own grades.csv
            if str(dest) != outputs["grades"]:
                shutil.copyfile(outputs["grades"], dest)
            return str(dest)
        rows, _ = collect_rows(course, assignment)
        submitted = set(course.students(assignment))
        blank, notes = [], {}
        for r in rows:
            if r.get("status") == "not collected":  # files found, none copied: not a 0
                blank.append(r["student"])
                notes[r["student"]] = "not collected: " + (r.get("reason") or "")
                continue
            if r["student"] not in submitted:
                continue
            status = r.get("status", "pending")
            if status in ("failed", "pending"):
                blank.append(r["student"])
                notes[r["student"]] = ("could not be graded: " + (r.get("reason") or "")
                                       if status == "failed" else "not graded yet")
            elif status == "needs manual grading":
                notes[r["student"]] = "provisional: parts still to be graded by hand"
        provisional = sorted(sid for sid, note in notes.items() if note.startswith("provisional"))
        if provisional and warn is not None and not system.feedback_column:
            names = ", ".join(provisional[:10]) + (", ..." if len(provisional) > 10 else "")
            warn(f"{len(provisional)} student{'s' if len(provisional) != 1 else ''} still "
                 f"need{'s' if len(provisional) == 1 else ''} manual grading ({names}): "
                 f"their {fmt} scores are provisional, the automatic part only ({fmt} has no "
                 "feedback column to say so); grade the written answers (`dlcourse mark` or "
                 "formgrader) and export again, or leave those cells out of the upload")
        if system is lms.REGISTRY["canvas"] and warn is not None:
            ids = {st.id: st.lms_user_id for st in gb.students}
            without = sorted(sid for sid, uid in ids.items() if not uid)
            if without and len(without) < len(ids):  # none at all: the plugin refuses
                names = ", ".join(without[:10]) + (", ..." if len(without) > 10 else "")
                warn(f"{len(without)} student{'s' if len(without) != 1 else ''} without a "
                     f"Canvas user id ({names}): their rows have an empty 'ID', which Canvas "
                     "cannot match; import Canvas's gradebook export (`dlcourse roster "
                     "import`) to add the ids")
        options = {"blank": blank, "notes": notes}
        if column:
            options["column"] = column
        options.update(system.export_options(course))
        plugin(to=str(dest), assignment=[assignment], **options).export(gb)
    return str(dest)
