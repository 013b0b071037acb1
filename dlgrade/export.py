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

import contextlib
import os
import shutil
import tempfile
from pathlib import Path

from . import lms
from .collect import CANVAS_LATE, UNKNOWN_TIME, canvas_marked
from .lms.canvas import CanvasExportPlugin
from .lms.moodle import MoodleExportPlugin
from .status import (
    FILES_PREFIX,
    HELD_PREFIX,
    MOODLE_NO_FILE,
    grade_command,
    graded_outside_error,
    other_gradebook_error,
    read_not_collected_files,
)

#: the formats with an nbgrader ``ExportPlugin`` (``csv`` copies grades.csv)
FORMATS = {name: system.export_plugin() for name, system in lms.REGISTRY.items()
           if system.export_plugin() is not None}

__all__ = ["CanvasExportPlugin", "FORMATS", "MoodleExportPlugin", "export"]


#: the feedback of a student whose grading has not ended (an interrupted run)
PENDING = "not graded yet"
#: the feedback of a score whose written answers (or flagged cells) still wait for a hand grade
PROVISIONAL = "provisional: parts still to be graded by hand"
#: instructor's words in a reason that a student cannot act on
_FOR_INSTRUCTORS = " (details in the grading log)"


def for_students(status: str, reason: str, files=None) -> str:
    """The feedback text an LMS shows the student for an empty grade: what happened to the
    submission, without the instructor's remedy or the download's paths (review 23c, N3).

    >>> for_students("not collected", "", ["nb.ipynb", "nb (1).ipynb"])
    'not graded yet: 2 files were handed in (nb (1).ipynb, nb.ipynb) where one was expected'
    >>> for_students("failed", "the kernel died (details in the grading log)")
    'could not be graded: the kernel died'
    >>> for_students("needs manual grading", "files handed in were not copied: a.txt: a link")
    'graded: files handed in beside the notebook were not taken; your instructor looks at them'
    """
    if status == "not collected" and reason.startswith(MOODLE_NO_FILE):  # review 23g, G5
        return f"{PENDING}: {MOODLE_NO_FILE}"
    if status == "not collected":
        what = f"{len(files)} files were handed in ({', '.join(sorted(files))})" if files else \
            "several files were handed in"
        return f"{PENDING}: {what} where one was expected"
    if status == "failed":
        return "could not be graded: " + reason.replace(_FOR_INSTRUCTORS, "")
    if status == "needs manual grading":  # a score without a part to grade (review 23d, P9)
        said = []
        if FILES_PREFIX in reason:
            said.append("files handed in beside the notebook were not taken; your instructor "
                        "looks at them")
        if HELD_PREFIX in reason:
            said.append("your instructor reviews the submission before its feedback is "
                        "released")
        return "graded" + (": " + "; ".join(said) if said else "")
    return PENDING


@contextlib.contextmanager
def _whole(dest):
    """The path to write ``dest``'s new content to: a file beside it that replaces it only
    once written whole, so a crash or Ctrl-C during an export never leaves half a file under
    the name the instructor uploads, nor spoils the one exported before (review 23m, 8).
    A destination that exists and is not a regular file (``/dev/stdout``, a pipe) is
    written directly."""
    path = Path(dest)
    if path.exists() and not path.is_file():
        yield str(path)
        return
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    os.close(fd)
    try:
        yield tmp
        os.chmod(tmp, 0o666 & ~_umask())  # as a file opened for writing would be
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def export(course, assignment: str, fmt: str, dest, column: str = "", warn=None,
           trouble: list | None = None) -> str:
    """Write ``assignment``'s grades in ``fmt`` (a name in :data:`dlgrade.lms.REGISTRY`) to
    ``dest``.

    ``csv`` is the course's own ``grades.csv`` (one row per roster student, late fields
    included), rebuilt first. Students whose grading failed or is pending are exported with
    an empty grade; the feedback text says the status as the gradebook has it now (failed
    with the reason, not graded yet, written answers still to grade). ``column`` names the
    grade column (Canvas: an existing assignment as ``Name (id)``).

    ``trouble`` (a list) gets the students the Moodle grading worksheet lists as submitted
    whose file no collect copied (an empty grade cell, feedback saying so: review 23g, G5).

    A format without a feedback column (Canvas) cannot mark a provisional score (written
    answers still to grade by hand) as such: ``warn`` (a callable taking one line of text)
    is then told how many students' scores are provisional, and who.

    Raises
    ------
    ValueError
        If ``fmt`` is unknown or the assignment is not in the gradebook, or (nothing written)
        if another tool graded students since ``dlcourse grade`` did
        (:func:`dlgrade.status.graded_outside`) or in another gradebook than this one
        (:func:`dlgrade.status.other_gradebook_error`), a student's grade was computed against
        another due date, extension, submission time or file than the current one
        (:func:`dlgrade.late.stale_late`), the students were graded under different late
        policies (:func:`dlgrade.late.mixed_policies_text`), or a student's file is marked
        late by Canvas with no time given (:func:`dlgrade.collect.canvas_marked`).
    """
    from .late import mixed_policies_text, stale_late, stale_text  # nbgrader, as report
    from .report import collect_rows, write_outputs  # nbconvert: seconds

    system = lms.get(fmt, "format")
    with course.gradebook() as gb:
        course.find_assignment(gb, assignment)
        refusal = graded_outside_error(course, assignment, "export") or \
            other_gradebook_error(course, assignment, "export")
        if refusal is not None:  # review 23e, P8b: never upload another tool's scores
            raise refusal  # nor an empty gradebook's zeros (review 23k, 2)
        stale = stale_late(course, assignment)
        if stale:  # review 23h, 1; 23i, 1, 3: never a grade of a date, time or file gone
            raise ValueError(stale_text(course, stale, assignment, "export"))
        mixed = mixed_policies_text(course, assignment, "export")
        if mixed:  # review 23i, 2: never one late policy for some, another for the rest
            raise ValueError(f"{mixed}; then export again. Nothing written")
        marked = canvas_marked(course, assignment)
        unknown = sorted(s for s, m in marked.items() if m in UNKNOWN_TIME)
        if unknown:  # review 23g, G1: neither a penalty invented nor none given silently
            names = ", ".join(f"{s} (Canvas marks the file late, LATE_)" if
                              marked[s] == CANVAS_LATE else
                              f"{s} (the download holds no time for the file)" for s in unknown)
            raise ValueError(
                f"export: {len(unknown)} student{'s' if len(unknown) > 1 else ''} without "
                f"a known submission time: {names}; the late "
                "penalty needs the submission time the LMS shows (Canvas: SpeedGrader; "
                "Moodle: the grading worksheet, `dlcourse roster import`): give it with "
                f"`dlcourse collect {assignment} <download> --timestamps times.csv` "
                "(student,submitted_at; the due date itself if you decide it is on time), "
                f"then `{grade_command(course, assignment)}` and export again. Nothing "
                "written")
        outputs = write_outputs(course, assignment)
        plugin = system.export_plugin()
        if plugin is None:  # the plain layout: the course's own grades.csv
            if str(dest) != outputs["grades"]:
                with _whole(dest) as into:
                    shutil.copyfile(outputs["grades"], into)
            return str(dest)
        rows, _ = collect_rows(course, assignment)
        submitted = set(course.students(assignment))
        found = read_not_collected_files(course, assignment)
        blank, notes, looks, no_file = [], {}, [], []
        outside = []  # not enrolled when it was due: no 0 for an assignment they never had
        for r in rows:
            if r.get("status") == "not enrolled":
                blank.append(r["student"])
                notes[r["student"]] = "not enrolled"
                outside.append(f"{r['student']}: {r.get('reason')}")
                continue
            if r.get("status") == "not collected":  # files found, none copied: not a 0
                blank.append(r["student"])
                notes[r["student"]] = for_students("not collected", r.get("reason") or "",
                                                   found.get(r["student"]))
                if (r.get("reason") or "").startswith(MOODLE_NO_FILE):
                    no_file.append(r["student"])
                continue
            if r["student"] not in submitted:
                continue
            status = r.get("status", "pending")
            if status in ("failed", "pending"):
                blank.append(r["student"])
                notes[r["student"]] = for_students(status, r.get("reason") or "")
            elif status == "needs manual grading" and r.get("waiting_cells", True):
                notes[r["student"]] = PROVISIONAL
            elif status == "needs manual grading":  # review 23d, P9: no part waits
                notes[r["student"]] = for_students(status, r.get("reason") or "")
                looks.append(f"{r['student']}: {r.get('reason') or status}")
        said = []  # told once the file is written (a refused export says only why)
        provisional = sorted(sid for sid, note in notes.items() if note == PROVISIONAL)
        if provisional and warn is not None and not system.feedback_column:
            names = ", ".join(provisional[:10]) + (", ..." if len(provisional) > 10 else "")
            one = len(provisional) == 1
            said.append(f"{len(provisional)} student{'' if one else 's'} still "
                        f"need{'s' if one else ''} manual grading ({names}): their {fmt} "
                        f"scores are provisional, the automatic part only ({fmt} has no "
                        "feedback column to say so); grade the written answers (`dlcourse "
                        "mark` or formgrader) and export again, or leave those cells out of "
                        "the upload")
        if outside and warn is not None:  # review 23d, P3
            one = len(outside) == 1
            said.append(f"{len(outside)} student{'' if one else 's'} had no part in "
                        f"{assignment}, exported with an empty grade cell instead of 0 (the "
                        "LMS keeps what it has; excuse them there if it asks for a grade): "
                        + "; ".join(outside))
        if looks and warn is not None:  # their scores are whole: a file or page waits
            one = len(looks) == 1
            said.append(f"{len(looks)} student{'' if one else 's'} need{'s' if one else ''} "
                        f"a look, not a hand grade ({'; '.join(looks[:10])}"
                        f"{'; ...' if len(looks) > 10 else ''}): the exported scores are "
                        "complete; look at what is named, then (for files not copied) delete "
                        f"them from submitted/<student>/{assignment}/ and run "
                        f"`{grade_command(course, assignment)}` to clear the status")
        if blank and warn is not None:  # review 23c F4: an upload that changes nothing
            pending = [sid for sid in blank if notes[sid] == PENDING]
            others = len(blank) - len(pending) - len(outside)
            if pending:
                names = ", ".join(pending[:10]) + (", ..." if len(pending) > 10 else "")
                verb = "is" if len(pending) == 1 else "are"
                said.append(f"{len(pending)} of {len(submitted)} submissions {verb} not graded yet "
                            f"({names}): their grade cells are empty; run "
                            f"`{grade_command(course, assignment)}` (an interrupted run is "
                            "resumed) and export again")
            if others:
                one = others == 1
                said.append(f"{others} student{'' if one else 's'} with a failed or uncollected "
                            f"submission get{'s' if one else ''} an empty grade cell (the reasons "
                            "are in grades.csv)")
        if no_file and warn is not None:  # review 23g, G5: not a silent 0
            said.append(f"{len(no_file)} student{'' if len(no_file) == 1 else 's'} with no "
                        f"file collected though Moodle says submitted ({', '.join(no_file)}): "
                        "exported with an empty grade cell, not 0; download the submissions "
                        f"again, `dlcourse collect {assignment} ...`, grade and export again")
        if trouble is not None:
            trouble.extend(no_file)
        if system is lms.REGISTRY["canvas"] and warn is not None:
            ids = {st.id: st.lms_user_id for st in gb.students}
            without = sorted(sid for sid, uid in ids.items() if not uid)
            if without and len(without) < len(ids):  # none at all: the plugin refuses
                names = ", ".join(without[:10]) + (", ..." if len(without) > 10 else "")
                one = len(without) == 1
                said.append(f"{len(without)} student{'' if one else 's'} without a Canvas user "
                            f"id ({names}): their rows have an empty 'ID', which Canvas cannot "
                            "match; import Canvas's gradebook export (`dlcourse roster import`) "
                            "to add the ids")
        options = {"blank": blank, "notes": notes}
        if column:
            options["column"] = column
        options.update(system.export_options(course))
        with _whole(dest) as into:
            plugin(to=into, assignment=[assignment], **options).export(gb)
    for line in said:
        warn(line)
    return str(dest)
