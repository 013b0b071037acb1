"""The instructors' subcommands of ``dlcourse``: timezone, roster, release, collect, grade,
mark, extend, report, export.

Run in the course folder (the one with ``nbgrader_config.py``)::

    dlcourse roster import canvas_roster.csv
    dlcourse timezone Europe/London
    dlcourse release 02_neuron --due "2026-12-01 17:00"
    dlcourse collect 02_neuron downloads/submissions.zip
    dlcourse extend 02_neuron s1003 --hours 48
    dlcourse grade 02_neuron --workers 2 --late-policy 5%/h:50%
    dlcourse grade 02_neuron --student s1003
    dlcourse mark 02_neuron s1003 answer_decision_boundary 1 --comment "clear argument"
    dlcourse mark 02_neuron s1003 --reviewed
    dlcourse export 02_neuron --format canvas -o canvas.csv

The teaching package's command line (:mod:`dlcourse.cli`) finds these click commands through the
``dlcourse.commands`` entry points and passes its global options (``--course``, ``--output``)
in ``ctx.obj``; it never imports this package.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import sys
import tempfile
from pathlib import Path

import click

from . import lms
from .collect import (
    CANVAS_ON_TIME,
    ORIGIN,
    apply_worksheet_times,
    doubtful_file_times,
    shown_path,
)
from .collect import collect as do_collect
from .collect import revert as revert_submission
from .course import Course, find_course_root
from .flag_reviews import mark_reviewed
from .handgrades import dropped_hand_grades
from .handgrades import mark as do_mark
from .lock import Busy, assignment_lock, assignments_lock, records_lock
from .printable import printable
from .release import release as do_release
from .roster import import_roster
from .status import (
    REVIEW_PREFIX,
    grade_command,
    graded_outside,
    graded_outside_error,
    other_gradebook_error,
    read_statuses,
    remembered_policy,
    write_not_collected,
)
from .time_records import pending_worksheet_times, worksheet_without_file

# The other command modules (late, archive, cluster, engine, report, export) load nbgrader,
# nbconvert or Dask, seconds of start-up: each command imports them when it runs, so a
# command's --help, or a usage error, answers at once.

CONTEXT = {"help_option_names": ["-h", "--help"]}


class DataError(click.ClickException):
    """Input the command understood but cannot use (a roster row, an unknown student, a
    score out of range): one line ``Error: <what came, what was expected>`` and exit status
    2, without click's usage block, which is for the command line itself (an unknown option,
    a missing argument)."""

    exit_code = 2

    def __init__(self, exc):
        super().__init__(str(exc))


def _course(ctx, db=None, timeout=None, kernel=None) -> Course:
    root = ctx.obj.get("course") if ctx.obj else None
    try:
        root = Path(root) if root else find_course_root()
        return Course(root, db_url=db, timeout=timeout, kernel_name=kernel,
                      output_root=ctx.obj.get("output") if ctx.obj else None)
    except ValueError as exc:
        raise DataError(exc) from None


@click.command(context_settings=CONTEXT)
@click.argument("assignments", nargs=-1)
@click.option("--db", help="Gradebook URL (default: nbgrader_config.py's, else SQLite "
                           "gradebook.db). PostgreSQL: postgresql+psycopg2://user:pw@host:port/db")
@click.option("--due", metavar="'YYYY-MM-DD HH:MM'",
              help="Due date, recorded in the gradebook (late penalties count from it); a "
                   "date alone means the end of that day (23:59:59) in the course's time "
                   "zone (or --timezone). A changed due date is printed as old -> new.")
@click.option("--timezone",
              help="Time zone of --due (an IANA name such as Europe/London; default: the "
                   "course's, see `dlcourse timezone`).")
@click.pass_context
def release(ctx, assignments, db, due, timezone):
    """Make the student versions of ASSIGNMENTS (all when none given).

    Runs nbgrader generate_assignment --force: writes the release folder and records the
    assignment, its notebooks and tests in the gradebook; with --due, its due date too.
    """
    from .late import (
        due_note,
        due_to_utc,
        local_time,
        penalty_lines,
        reapply_late_penalties,
        set_due_date,
        utc_time,
    )
    from .report import write_outputs

    course = _course(ctx, db=db)
    try:
        timezone = timezone or course.timezone
        due_utc, whole_day = due_to_utc(due, timezone) if due else (None, False)
        names = list(assignments) or course.assignments()
        for name in names:  # before the lock makes their output folders
            course.require_assignment(name)
        with assignments_lock(course, names, "dlcourse release NAME"):  # review 23c, F9
            results = do_release(course, assignments)
            olds = {name: set_due_date(course, name, due_utc) for name, res in results.items()
                    if res.get("success") and due_utc is not None}
            # every graded student's penalty from the new date at once (review 23h, finding 1)
            changes = {name: reapply_late_penalties(course, name) for name in olds}
            for name in (n for n, c in changes.items() if c):
                write_outputs(course, name)
    except ValueError as exc:
        raise DataError(exc) from None
    except Busy as exc:
        raise click.ClickException(str(exc)) from None
    failed = 0
    for name, res in results.items():
        if res.get("success"):
            click.echo(f"released {name} -> {course.release_dir.name}/{name}/")
            if due_utc is not None:
                old = olds[name]
                click.echo(f"  due {utc_time(due_utc)} UTC ("
                           f"{local_time(due_utc, timezone)} {timezone}"
                           + ("; no time given: the end of that day" if whole_day else "")
                           + ")")
                note = due_note(due, timezone)
                if note:  # review 23f, N11
                    click.echo(f"  note: {note}")
                if old is not None and old != due_utc:
                    click.echo(f"  due date changed: {utc_time(old)} UTC -> "
                               f"{utc_time(due_utc)} UTC ({local_time(old, timezone)} -> "
                               f"{local_time(due_utc, timezone)} {timezone})")
                if changes[name] or (old is not None and old != due_utc):
                    for line in penalty_lines(changes[name], name):
                        click.echo(f"  {line}")
        else:
            failed += 1
            click.echo(f"FAILED {name}:\n{res.get('log', '')}{res.get('error', '')}", err=True)
    sys.exit(1 if failed else 0)


@click.command(context_settings=CONTEXT)
@click.argument("zone", required=False)
@click.pass_context
def timezone(ctx, zone):
    """Print the course's time zone, or set it to ZONE (an IANA name such as Europe/Berlin).

    Kept in nbgrader_config.py as c.Dlcourse.timezone (default UTC). Due dates given without
    a time end at 23:59:59 in it; release and collect read times in it unless --timezone says
    otherwise, and print due dates in it.
    """
    course = _course(ctx)
    try:
        old = course.set_timezone(zone) if zone else None
        now = course.timezone
    except ValueError as exc:
        raise DataError(exc) from None
    if old is not None and old != now:
        click.echo(f"course time zone: {old} -> {now}")
    else:
        click.echo(f"course time zone: {now}")


@click.command(context_settings=CONTEXT)
@click.argument("assignment")
@click.argument("source", type=click.Path(exists=True), required=False)
@click.option("--dry-run", is_flag=True, help="Report what would be copied, copy nothing.")
@click.option("--revert", metavar="STUDENT",
              help="Instead of collecting SOURCE: put back STUDENT's submission that the last "
                   "collect of a newer notebook replaced (the notebook, its timestamp.txt and "
                   "time records); the replaced one is kept, so --revert again brings it back.")
@click.option("--timestamps", type=click.Path(exists=True, dir_okay=False),
              help="CSV with columns student,submitted_at: submission times to record "
                   "(default: a Moodle grading worksheet's 'Last modified (submission)', "
                   "where one was imported with `roster import --assignment`; else each zip "
                   "entry's time, its UTC time when the zip holds one; in "
                   "a folder, the entry times of the zip beside it that holds the same "
                   "files, else each file's modification time, read as this computer's clock "
                   "in the course's time zone, as unzip sets it (as the instant it is when "
                   "one of them has an odd second, as unzip sets a zip's UTC times, or a "
                   "fraction of one); times in the future, a week "
                   "past the due date or late by a file's time are named in a warning, the "
                   "last with exit status 1).")
@click.option("--timezone",
              help="Time zone of the zip entries' times and of times without one (default: "
                   "the course's, see `dlcourse timezone`).")
@click.option("--db", help="Gradebook URL (the roster, for LMS names).")
# ArchiveLimits' defaults as numbers (its module imports nbgrader: not at start-up); a test
# keeps them equal
@click.option("--max-notebook-mb", type=click.IntRange(min=1), default=50, show_default=True,
              help="Largest notebook read; a larger one is refused with the reason.")
@click.option("--max-total-mb", type=click.IntRange(min=1), default=500, show_default=True,
              help="Most data unpacked from the archive (nested zips included) or read from "
                   "the folder in all.")
@click.option("--force", is_flag=True,
              help="Collect even a download whose notebooks are named after another "
                   "assignment's notebook (refused otherwise: the wrong submissions.zip?).")
@click.pass_context
def collect(ctx, assignment, source, dry_run, revert, timestamps, timezone, db,
            max_notebook_mb, max_total_mb, force):
    """Copy the submissions of ASSIGNMENT from SOURCE (a zip file or a folder).

    Recognised names: Canvas downloads (lastnamefirstname_<user id>_<submission id>_<file>,
    late marker included), Moodle downloads (<Full Name>_<id>_assignsubmission_file_/<file>),
    both mapped to roster students by the LMS's id (by name only when no roster student has
    that id, with a warning); <student>_<assignment>.ipynb, <student>/<assignment>.ipynb and
    <student>/<assignment>/<assignment>.ipynb. Each submission's time goes into nbgrader's
    timestamp.txt. Files matching no pattern or no roster student (once a roster is imported),
    and students with several files, are reported with the reason and not copied (exit
    status 1; also for a time taken from a file's modification time that is late or in the
    future: collecting the download's zip, or --timestamps, replaces it), as are roster
    students (known by the LMS's id) who uploaded only another format (a PDF, a .py); until
    a collect copies one file of theirs, grades.csv, the export (an empty grade) and `mark`
    say "not collected" and why, not "no submission".
    A Canvas download holds no upload times (each entry is stamped as it is zipped): a
    Canvas file without LATE_ is on time by Canvas's word (no timestamp.txt; "on time
    (Canvas)" in grades.csv, whatever the due date becomes), a LATE_ file is late by an
    unknown amount: named (exit status 1) with no penalty until --timestamps gives its time,
    and until then grade exits 2 and export refuses. A late Moodle zip entry time without the
    grading worksheet's is named (exit status 1): Moodle stamps the time its server stored the
    file, not on every site the upload's. Other zips whose entries of two or more students
    lie within 2 minutes carry the moment they were made: a late time there is recorded at
    the due date and named. Exit status 1 also for a student the imported Moodle grading
    worksheet says submitted without a file in SOURCE (or with a newer upload than the file
    collected), or says '-' with one; one without a file is "not collected", never a 0.
    A zip is read within limits (also a student's own zip in a SOURCE folder): only notebooks
    are unpacked, zips inside it at most 3 levels deep, sizes checked before anything is
    written; what is over a limit is refused with the reason. While a `dlcourse grade` of
    ASSIGNMENT runs, nothing is copied (exit status 1, naming it).
    A notebook replaced by a newer one is kept (the last 3 per student, in
    <output>/ASSIGNMENT/replaced/STUDENT/): `dlcourse collect ASSIGNMENT --revert STUDENT`
    takes an unwanted resubmission back (exit status 2 when none is kept; nothing changed).
    A download whose notebooks are mostly named after another assignment's notebook, or
    would replace collected notebooks with such files, is refused with nothing copied (exit
    status 2) unless --force: every Canvas download is called submissions.zip.
    """
    from .archive import ArchiveLimits
    from .late import penalty_lines, the_policy
    from .report import write_outputs

    if revert is not None and (source is not None or timestamps or force):
        raise click.UsageError("revert: --revert STUDENT takes no SOURCE, --timestamps or "
                               "--force (it puts back what was collected before)")
    if revert is None and source is None:
        raise click.UsageError("source: give the download (a zip file or a folder), or "
                               "--revert STUDENT")
    course = _course(ctx, db=db)
    if revert is not None:
        _revert(course, assignment, course.student_spelling(revert), dry_run)
        return
    limits = ArchiveLimits(max_notebook_bytes=max_notebook_mb << 20,
                           max_total_bytes=max_total_mb << 20)
    try:
        timezone = timezone or course.timezone
        with (contextlib.nullcontext() if dry_run else   # review 23c, F9
              assignment_lock(course, assignment, f"dlcourse collect {assignment}")):
            res = do_collect(course, assignment, source, dry_run=dry_run, timezone=timezone,
                             timestamps=timestamps, limits=limits, force=force)
            if res.reapplied:  # grades.csv and the report say the new penalty at once
                write_outputs(course, assignment)
            policy = the_policy(course, assignment) if res.reapplied else None
    except ValueError as exc:
        raise DataError(exc) from None
    except Busy as exc:
        raise click.ClickException(str(exc)) from None
    verb = "would copy" if dry_run else "copied"
    _echo(f"{assignment}: {verb} {len(res.added)} new, {len(res.updated)} changed; "
               f"{len(res.unchanged)} unchanged; {len(res.ignored)} non-notebook files ignored")
    for student, stamp in sorted(res.submitted_at.items()):
        _echo(f"  {student:12s} submitted {stamp}")
    if res.time_only:  # review 23g, G11: "changed" is not new work
        n = len(res.time_only)
        _echo(f"  {n} of the changed {'is' if n == 1 else 'are'} the same file with "
                   f"another time only: {', '.join(sorted(res.time_only))}")
    for line in ([policy] if policy else []) + (
            penalty_lines(res.reapplied, assignment) if res.reapplied else []):
        _echo(f"  {line}")  # the new time counts at once (review 23i, finding 1)
    for student, folder in sorted(res.kept.items()):  # review 23j, finding 3
        _echo(f"  {student}: the notebook collected before is kept in "
              f"{shown_path(folder, course)}/: `dlcourse collect {assignment} --revert "
              f"{student}` takes this one back")
    if res.unpacked_from:  # review 23f, N9
        archive, n = res.unpacked_from
        _echo(f"  {n} submission time{'' if n == 1 else 's'} from {archive}, the zip "
                   "beside this folder that holds the same files (names, sizes, CRC-32s): "
                   "its entries' times, as collecting that zip gives, not the files' "
                   "modification times")
    if res.from_worksheet:  # review 23e, N3
        n = len(res.from_worksheet)
        _echo(f"  {n} submission time{'' if n == 1 else 's'} from the grading "
                   f"worksheet's 'Last modified (submission)' ({', '.join(res.from_worksheet)})")
    for student, (old, new, was, now) in sorted(res.retimed.items()):  # review 23e, N1
        _echo(f"  {student}: submission time {old}, taken from {was}, "
                   f"{'would now be' if dry_run else 'is now'} {_possessive(now)}, {new}")
    on_time = sorted(s for s, m in res.canvas_marked.items() if m == CANVAS_ON_TIME)
    if on_time:  # review 23g, G1
        n = len(on_time)
        _echo(f"  {n} on time by Canvas's word (no LATE_ in the file's name; a Canvas "
                   "download's entry times are when each was zipped, never the upload's): "
                   + ", ".join(on_time))
    for note in res.warnings:
        _echo(f"  warning: {note}", err=True)
    for student, why in sorted(res.wrong_format.items()):  # review 23d, P2b
        _echo(f"  not collected: {student}: {why}", err=True)
    for name in res.ignored:  # review 23b, R4: a notebook under a changed name is not lost
        if any(name in files for files in res.wrong_format_files.values()):
            continue  # said on the student's line
        if ".ipynb" in str(name).lower() and not str(name).endswith(".ipynb"):
            _echo(f"  warning: not collected: {name}: its name does not end in "
                       "'.ipynb' (an LMS or browser renamed it?): rename it and collect again",
                       err=True)
    for name in res.unmatched:
        why = res.reasons.get(name)
        _echo(f"  unmatched (not copied): {name}" + (f": {why}" if why else ""), err=True)
    for name, why in res.refused.items():
        _echo(f"  refused (not copied): {name}: {why}", err=True)
    for student, files in res.duplicates.items():
        _echo(f"  several files for {student} (none copied): {', '.join(files)}", err=True)
    # a late or future time read from a file's modification time may be when the file was
    # copied: 1, "look at this", until --timestamps or the download's zip gives the upload's
    # and so does a time or file the LMS's own record contradicts (review 23f)
    sys.exit(0 if res.ok and not res.doubtful and not res.contradictions else 1)


def _when(text: str, course: Course) -> str:
    """A kept ``YYYY-MM-DD HH:MM:SS`` UTC time in the course's zone, to the minute."""
    from .late import local_time

    try:
        when = dt.datetime.strptime(text, "%Y-%m-%d %H:%M:%S")
    except (TypeError, ValueError):
        return "at an unknown time"
    return f"{local_time(when.replace(second=0), course.timezone)} {course.timezone}"


def _file_said(meta: dict) -> str:
    """``Canvas file 880007; submitted on time (Canvas)``: what identifies a kept notebook."""
    canvas_file = meta.get("canvas_file")
    return (f"Canvas file {canvas_file}; " if canvas_file else "") + \
        f"submitted {meta.get('submitted') or 'time unknown'}"


def _revert(course: Course, assignment: str, student: str, dry_run: bool) -> None:
    """``dlcourse collect ASSIGNMENT --revert STUDENT``: put back the submission a newer one
    replaced, under the assignment's lock, and say what came back, where the other is kept
    and whether the gradebook's grade is that notebook's again."""
    from .late import STALE_FILES, STALE_WORDS, stale_late
    from .report import write_outputs

    try:
        with course.gradebook() as gb:  # a display name or a typo: not "nothing kept"
            course.find_student(gb, student)  # (review 23k, finding 7)
        with (contextlib.nullcontext() if dry_run else
              assignment_lock(course, assignment, f"dlcourse collect {assignment} --revert")):
            res = revert_submission(course, assignment, student, dry_run=dry_run)
            if not dry_run and student in read_statuses(course, assignment):
                write_outputs(course, assignment)  # its status says the current grade
    except ValueError as exc:
        raise DataError(exc) from None
    except Busy as exc:
        raise click.ClickException(str(exc)) from None
    back, now = res["back"], res["now"]
    verb = "would go" if dry_run else "back"
    line = (f"{student}: {verb} {'back ' if dry_run else ''}to the notebook collected "
            f"{_when(back.get('collected'), course)} ({_file_said(back)})")
    if now is not None:
        where = shown_path(res["kept"], course)
        line += (f"; the notebook it replaces, collected {_when(now.get('collected'), course)}"
                 f" ({_file_said(now)}), {'would be' if dry_run else 'is'} kept in {where}/: "
                 f"`dlcourse collect {assignment} --revert {student}` again brings it back")
    _echo(line)
    own = (back.get("time_source") or {}).get("stamp")
    sheet = lms.moodle.read_submitted_times(course, assignment).get(student)
    if own and sheet is not None and lms.format_timestamp(sheet) != own:
        # review 23m, finding 1: the worksheet's time is the upload taken back
        _echo(f"  {student}: the grading worksheet's time, {lms.format_timestamp(sheet)}, is "
              f"that of the upload taken back; this notebook keeps its own, {own}, whatever "
              "worksheet is imported later (a collect of other bytes takes the worksheet's "
              "time again)")
    if dry_run:
        return
    stale = stale_late(course, assignment, [student])
    if student in stale:
        _echo(f"  {student}: {STALE_WORDS[stale[student]]}, until "
              f"`{grade_command(course, assignment)} --student {student}` grades them again"
              + ("; a hand grade this notebook had before it was replaced is not kept "
                 "(nbgrader keeps the last graded notebook's only): give it again after that "
                 "run" if stale[student] == STALE_FILES else ""))
    elif student in read_statuses(course, assignment):
        _echo(f"  {student}: the grade in the gradebook is this notebook's (hand grades "
              "included): nothing to grade again")
    if back.get("canvas_file") and now and now.get("canvas_file") and \
            int(now["canvas_file"]) > int(back["canvas_file"]):
        _echo(f"  note: a download that holds Canvas file {now['canvas_file']} (or a newer "
              f"one of {student}) takes it again when collected")


#: what joins a worksheet time's line and its doubt (:func:`_count_worksheet_times`)
WORKSHEET_DOUBT = "; warning: "


def _count_worksheet_times(course: Course, assignment: str, students=None) -> list[str]:
    """Give the collected students (of ``students``, default all) the newer time of the
    Moodle grading worksheet imported last, where collect would take it, and re-apply the
    late penalty of those graded at once (review 23j, finding 2): one line per student, with
    ``"; warning: "`` and the two readings for a later, late time over an older worksheet's."""
    from .late import reapply_late_penalties

    changed = apply_worksheet_times(course, assignment, students)
    if not changed:
        return []
    points = {s: (old, new) for s, old, new in
              reapply_late_penalties(course, assignment, sorted(changed))}
    lines = []
    for student, (old, new, source, note) in sorted(changed.items()):
        line = (f"{student}: submission time {old} ({ORIGIN[source]}) -> {new} (the grading "
                "worksheet's 'Last modified (submission)')")
        if student in points:
            before, after = points[student]
            line += (f"; late penalty re-applied: {assignment} {before:g} -> {after:g} points"
                     + ("" if before != after else " (unchanged)"))
        else:
            line += f"; the next `{grade_command(course, assignment)}` counts it"
        lines.append(line + (f"{WORKSHEET_DOUBT}{note.split(': ', 1)[1]}" if note else ""))
    return lines


def _possessive(origin: str) -> str:
    """``"its zip entry"`` -> ``"its zip entry's"``; ``"the grading worksheet's 'Last
    modified (submission)'"`` stays (it is one already)."""
    return origin if origin.endswith("'") else origin + "'s"


@click.command(context_settings=CONTEXT)
@click.argument("assignment")
@click.option("--workers", "-j", type=click.IntRange(min=1), default=1, show_default=True,
              help="Worker processes of the local Dask cluster (each loads nbgrader once).")
@click.option("--scheduler", metavar="tcp://HOST:PORT",
              help="Grade on an existing Dask cluster instead of a local one; its workers run "
                   "`dask worker ... --preload dlgrade.cluster`.")
@click.option("--force", is_flag=True,
              help="Grade every submission again, not only new or changed ones.")
@click.option("--db", help="Gradebook URL, e.g. postgresql+psycopg2://user:pw@host:5432/db.")
@click.option("--shard", metavar="i/N",
              help="Grade only the i-th of N shares of the students (1-based), e.g. one "
                   "array job of a batch scheduler per share, sharing one gradebook.")
@click.option("--timeout", type=click.IntRange(min=1), help="Per-cell time limit in seconds.")
@click.option("--kernel", help="Kernel to run submissions with (Execute.kernel_name).")
@click.option("--no-progress", is_flag=True, help="Do not draw the progress bar.")
@click.option("--student", "students", multiple=True, metavar="ID",
              help="Grade only this student, again (repeatable; any letter case, as for "
                   "mark and extend): the others' grades and feedback stay untouched.")
@click.option("--late-policy", metavar="POLICY",
              help="none (no penalty), zero, or a deduction per started hour late with a "
                   "cap, e.g. 5%/h:50%; remembered for ASSIGNMENT, so later grade, mark, "
                   "extend, collect and export runs keep it without the option (another one "
                   "replaces it; config makes ASSIGNMENT follow nbgrader_config.py's "
                   "LateSubmissionPlugin settings again, their default).")
@click.pass_context
def grade(ctx, assignment, workers, scheduler, force, db, shard, timeout, kernel, no_progress,
          students, late_policy):
    """Autograde, check and give feedback on every submission of ASSIGNMENT.

    Writes <output>/ASSIGNMENT/grades.csv, report.html, report.json and feedback/<student>.html.
    Exit status 0 when every submission (of the shard, or the --student ones) is graded, 2
    when some failed, need manual grading, are pending or are flagged for review (answers
    that look like the course package pasted in: points kept), or (a run of the whole class) a
    student's files were found but not collected, read from the gradebook after the run
    (so a re-run with nothing new says the same), 130 after Ctrl-C.
    """
    # Ctrl-C at any moment ends with one line and exit status 130, never click's `Aborted!`
    # and 1, the status of "locked" (review 23c, N2): while the modules load, before grading
    # began, during it (what was saved, how to resume) and while the summary is printed
    done = []
    try:
        _grade(ctx, assignment, workers, scheduler, force, db, shard, timeout, kernel,
               no_progress, students, late_policy, done)
    except KeyboardInterrupt as exc:
        _quiet_event_loop()
        if getattr(exc, "run", None) is not None:  # engine.Interrupted: what was saved
            line = exc.run.interrupted_line()
        elif done:
            line = (f"{assignment}: interrupted after grading ended; everything was saved: "
                    f"`dlcourse report {assignment}` rebuilds the outputs")
        else:
            line = f"{assignment}: interrupted before grading began; nothing was changed"
        _say(line, err=True)
        sys.exit(130)


def _quiet_event_loop() -> None:
    """Silence the event loop's late messages, when Dask was loaded at all."""
    if "dlgrade.cluster" in sys.modules:
        sys.modules["dlgrade.cluster"].quiet_event_loop()


def _appeal_policy(course, assignment: str, given: str, students) -> str:
    """What a ``grade --student`` run given ``--late-policy`` says: the policy counts for
    those students only and the assignment's remembered one is unchanged."""
    from .late import CONFIG, given_policy, policy_words

    keeps = policy_words(course, remembered_policy(course, assignment) or CONFIG)
    return (f"late policy of {assignment}: {policy_words(course, given_policy(given))} for "
            f"{', '.join(students)} only (a --student run changes no remembered policy: the "
            f"class keeps {keeps}; give --late-policy to a run of the whole class to change it)")


def _grade(ctx, assignment, workers, scheduler, force, db, shard, timeout, kernel, no_progress,
           students, late_policy, done: list) -> None:
    from .cluster import ClusterGone
    from .engine import grade_assignment, parse_shard
    from .late import (
        KEEP,
        STALE_WORDS,
        mixed_policies_text,
        remember_policy,
        stale_late,
        use_policy,
    )

    course = _course(ctx, db=db, timeout=timeout, kernel=kernel)
    try:
        course.require_assignment(assignment)  # before its output folder holds a policy
        # the assignment's remembered late policy unless --late-policy replaces it
        said, keep = use_policy(course, assignment, late_policy)
        if students and late_policy is not None and keep != KEEP:
            # an appeal's policy is the appeal's: the class's memory stays, so the next bare
            # run does not lift everyone else's penalty (review 23k, finding 4)
            said, keep = _appeal_policy(course, assignment, late_policy, students), KEEP

        def begin(chosen: list[str]) -> None:  # the run holds the lock: a refused one
            if keep != KEEP:                    # changes nothing
                remember_policy(course, assignment, keep)
            # a newer Moodle worksheet time counts first, as collect would take it: the
            # unchanged files are then skipped, their penalty re-applied (review 23j, 2);
            # a shard gives its own students theirs (the others' are other shards')
            if pending_worksheet_times(course, assignment, chosen):
                with records_lock(course, assignment):  # shards share the time records
                    for line in _count_worksheet_times(course, assignment, chosen):
                        _say(f"  {line}")
            if said:
                _say(said)

        if students or not force:  # review 23m, finding 2: a class moved by accident
            moved = other_gradebook_error(
                course, assignment, "grade", "" if students else
                f"; or, to move the whole class into this gradebook, `dlcourse grade "
                f"{assignment} --force` grades every student again here")
            if moved is not None:
                raise moved
        run = grade_assignment(course, assignment, workers=workers, force=force,
                               shard=parse_shard(shard), progress=not no_progress,
                               only=list(students) or None, scheduler=scheduler,
                               console=_console(), on_start=begin)
    except ValueError as exc:
        raise DataError(exc) from None
    except (ClusterGone, Busy) as exc:
        raise click.ClickException(str(exc)) from None
    done.append(run)
    if run.settings_change:
        _say(f"{assignment}: grading settings changed ({run.settings_change}): "
             f"{len(run.resettled)} graded before graded again")
    for why, who in sorted(run.because.items()):  # review 23c, F6: say why
        names = ", ".join(who[:10]) + (", ..." if len(who) > 10 else "")
        _say(f"{assignment}: {why}: {len(who)} graded before graded again ({names})")
    # flagged for review: a graded submission that looks like the package pasted in (its
    # points kept, dlgrade.package_copy); it keeps the exit status at 2 as manual grading does
    reviewed = sum(REVIEW_PREFIX in status for _, status, _ in run.open)
    _say(f"{assignment}: {len(run.graded)} graded ({len(run.flagged)} need manual "
         f"grading{f', {reviewed} flagged for review' if reviewed else ''}), "
         f"{len(run.failed)} failed, {len(run.skipped)} unchanged (skipped) "
         f"in {run.seconds:.1f} s")
    # read back from the gradebook: also the students skipped as unchanged; a hand grade this
    # run dropped (the answer changed) is said on the student's line
    still_open = {student: (status, reason) for student, status, reason in run.open}
    dropped = dropped_hand_grades(course, assignment, run.graded)
    in_run = set(run.graded) | set(run.skipped) | set(run.failed) | set(still_open)
    doubts = {s: w for s, w in doubtful_file_times(course, assignment).items() if s in in_run}
    for student in sorted(set(still_open) | set(dropped) | set(doubts)):
        status, reason = still_open.get(student, ("graded", ""))
        _say(f"  {student}: {status}" + (f" ({reason})" if reason else "")
             + "".join(f"; {note}" for note in dropped.get(student, []))
             + (f"; warning: {doubts[student]}" if student in doubts else ""))
    # a --student run leaves the others as they are
    for student in graded_outside(course, assignment):
        _say(f"  {student}: {GRADED_ELSEWHERE.format(command=grade_command(course, assignment))}")
    # a --student run leaves the others' grades of an old due date, submission time or
    # file too (review 23h, 1; 23i, 1, 3), named only where the grade can change (23i, 5)
    stale = stale_late(course, assignment)
    for student, why in sorted(stale.items()):
        _say(f"  {student}: {STALE_WORDS[why]}, until `{grade_command(course, assignment)}` "
             "grades them again")
    # an appeal graded under another late policy than the class (review 23i, finding 2)
    mixed = mixed_policies_text(course, assignment, "grade")
    if mixed:
        _say(f"  {mixed}")
    for key in ("grades", "html", "json", "feedback"):
        _say(f"  {key:9s} {run.outputs[key]}")
    # a time still doubtful or unknown (a folder file's, Canvas's LATE_ without a time, the
    # LMS's record against it) is no clean run either (review 23g, G8)
    _exit_at_once(2 if run.open or doubts or stale or mixed else 0)


#: the line of ``grade --student`` for a student another tool graded since (review 23e, P8b)
GRADED_ELSEWHERE = ("graded since by another tool (a plain `nbgrader autograde`?): its scores "
                    "are in grades.csv until `{command}` grades them again")


def _discard_from_now_on(stream) -> None:
    """Point ``stream``'s file descriptor at /dev/null: its reader went away (``dlcourse
    grade | head``), and what is still written there, the buffered rest included, goes
    nowhere instead of failing (Python's advice for SIGPIPE)."""
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, ValueError):  # not a real file (a test's StringIO)
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    os.close(devnull)


def _echo(line: str, err: bool = False) -> None:
    """``click.echo`` of one line that holds student-derived text (file names, reasons, ids):
    control characters are shown escaped, so no name can drive the terminal or forge a line
    (review 21i, finding 2)."""
    click.echo(printable(line), err=err)


def _say(text: str, err: bool = False) -> None:
    """:func:`_echo`, except that a reader gone away (a closed pipe) makes the rest of the
    run's lines go nowhere instead of ending it with exit 1 or a BrokenPipe traceback: the
    grades are written whether anyone reads the lines or not (review 23b, R8)."""
    stream = sys.stderr if err else sys.stdout
    try:
        _echo(text, err=err)
    except BrokenPipeError:
        _discard_from_now_on(stream)


def _console():
    """The progress bar's console (standard error) for ``dlcourse grade``: when its reader
    goes away (``dlcourse grade 2>&1 | head``), it falls silent and grading goes on (rich's
    default ends the program with exit 1, in the middle of a batch)."""
    from rich.console import Console

    class PipeSafeConsole(Console):
        def on_broken_pipe(self) -> None:
            self.quiet = True
            _discard_from_now_on(self.file)

    return PipeSafeConsole(stderr=True)


def _exit_at_once(code: int) -> None:
    """End ``dlcourse grade`` with ``code`` once everything it wrote is on its way.

    By now the gradebook is committed and closed, the Dask cluster closed, the lock released
    and every output file closed. What the interpreter would still do (tear down nbgrader's,
    Dask's and numpy's modules and threads) changes nothing and took ~1 s, so the console
    script flushes its streams and logs and ends at once. Called in-process (tests, a
    notebook), it raises ``SystemExit`` as before.
    """
    if os.path.basename(sys.argv[0]) != "dlcourse":
        sys.exit(code)
    sys.stdout.flush()
    sys.stderr.flush()
    logging.shutdown()
    os._exit(code)


@click.command(context_settings=CONTEXT)
@click.argument("assignment")
@click.option("--db", help="Gradebook URL (as given to grade).")
@click.pass_context
def report(ctx, assignment, db):
    """Rebuild grades.csv, report.html and report.json of ASSIGNMENT from the recorded results
    and the gradebook's current scores (after several hosts graded their shards, or after
    grading written answers by hand in nbgrader's formgrader).

    Refused (exit status 2, nothing written) while students were graded since by another
    tool (a plain `nbgrader autograde`): `dlcourse grade ASSIGNMENT` grades them again first.
    """
    from .report import write_outputs

    course = _course(ctx, db=db)
    try:
        course.require_assignment(assignment)
        refusal = graded_outside_error(course, assignment, "report")
        if refusal is not None:  # review 23e, P8b: not another tool's scores, silently
            raise refusal
    except ValueError as exc:
        raise DataError(exc) from None
    for key, path in write_outputs(course, assignment).items():
        click.echo(f"  {key:9s} {path}")


def _points(row: dict) -> str:
    """A grades.csv row's score as ``mark`` prints it: ``3/6 after a late penalty of 3``.

    >>> _points({"score": 3.0, "max_score": 6.0, "penalty": 3.0})
    '3/6 after a late penalty of 3'
    """
    penalty = float(row.get("penalty") or 0)
    return (f"{float(row.get('score') or 0):g}/{float(row.get('max_score') or 0):g}"
            + (f" after a late penalty of {penalty:g}" if penalty else ""))


def _score(text: str) -> float:
    """A hand grade as typed: ``0.5``, or ``0,5`` with a decimal comma (review 23d, P7).

    >>> _score("0,5"), _score(" 2 ")
    (0.5, 2.0)
    """
    try:
        value = float(text.strip().replace(",", ".", 1) if text.count(",") == 1 and
                      "." not in text else text)
    except ValueError:
        raise DataError(f"score: got {text!r}, expected a number of points such as 0.5 "
                        "(or 0,5)") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise DataError(f"score: got {text!r}, expected a finite number of points")
    return value


@click.command(context_settings=CONTEXT)
@click.argument("assignment")
@click.argument("student")
@click.argument("cell", required=False)
@click.argument("score", required=False)
@click.option("--comment", help="Comment shown to the student in the feedback.")
@click.option("--clear", is_flag=True, help="Remove the hand grade (the cell waits again); "
                                            "with --reviewed, take the review back.")
@click.option("--reviewed", is_flag=True,
              help="Clear STUDENT's package-copy flag ('graded, flagged for review: ...') "
                   "after reading the answers (no CELL, no SCORE): kept while the "
                   "submitted code is the same.")
@click.option("--db", help="Gradebook URL (as given to grade).")
@click.pass_context
def mark(ctx, assignment, student, cell, score, comment, clear, reviewed, db):
    """Grade CELL of STUDENT's ASSIGNMENT by hand with SCORE points (a written answer, or a
    test cell flagged for review), or, with --reviewed, clear the package-copy flag of
    STUDENT's submission after reading it.

    The score goes into the gradebook as nbgrader's formgrader would put it; every later
    `dlcourse grade` (--force and --student included) keeps it while the student's answer is
    unchanged. A reviewed flag stays cleared (status `graded`, no exit status 2 for it) while
    the submitted code is the one read; a resubmission with other code is flagged afresh.
    grades.csv and the report are rebuilt at once; so, as report and export, mark changes
    nothing (exit status 2) while students were graded since by another tool, and nothing
    while a newer notebook of STUDENT is collected but not graded (grade it, or take it
    back with `dlcourse collect ASSIGNMENT --revert STUDENT`). While a `dlcourse grade` of
    ASSIGNMENT runs, nothing is changed (exit status 1, naming it): it would put back the
    hand grades it saved before the mark.
    """
    from .late import STALE_FILES, penalty_lines, reapply_late_penalties, stale_late, the_policy
    from .report import open_statuses, report_outputs

    if reviewed and (cell is not None or comment is not None):
        raise click.UsageError("reviewed: --reviewed takes ASSIGNMENT and STUDENT only (the "
                               "flag is the whole submission's); give a hand grade in a "
                               "command of its own")
    if not reviewed and cell is None:
        raise click.UsageError("cell: give CELL and SCORE (or --clear), or --reviewed to clear "
                               "a package-copy flag")
    if not reviewed and (score is None) == (not clear):
        raise click.UsageError("score: give SCORE, or --clear to remove the hand grade")
    if score is not None:
        score = _score(score)
    course = _course(ctx, db=db)
    student = course.student_spelling(student)
    try:
        # not while a grading run holds the assignment: a --force run (or one grading the
        # student again) saved the hand grades before it cleared them and puts back those
        # it saved, so a mark given meanwhile was lost (review 23k, finding 7)
        with (assignment_lock(course, assignment, f"dlcourse mark {assignment} {student}")
              if assignment in course.assignments() else contextlib.nullcontext()):
            course.require_assignment(assignment)
            # it rebuilds grades.csv: not from another tool's scores (review 23e, P8b)
            refusal = graded_outside_error(course, assignment, "mark")
            if refusal is not None:
                raise refusal
            # a hand grade or review of the graded notebook while a newer one waits would be
            # dropped by its grading or say `graded` for a grade that is not (review 23j, 3)
            if stale_late(course, assignment, [student]).get(student) == STALE_FILES:
                raise ValueError(_newer_notebook_text(course, assignment, student))
            # a due date or submission time changed since grading counts first, so the
            # penalty mark prints is the current one's (review 23i, finding 1)
            policy = the_policy(course, assignment)  # remembered, or adopted from the records
            counted = _count_worksheet_times(course, assignment, [student])
            changes = reapply_late_penalties(course, assignment, [student])
            res = mark_reviewed(course, assignment, student, undo=clear) if reviewed else \
                do_mark(course, assignment, student, cell, None if clear else score, comment)
            _, rows = report_outputs(course, assignment)
    except ValueError as exc:
        raise DataError(exc) from None
    except Busy as exc:
        raise click.ClickException(str(exc)) from None
    status = {s: (st, why) for s, st, why in open_statuses(course, assignment, [student],
                                                            rows=rows)}
    label = "graded" if student not in status else status[student][0] + (
        f" ({status[student][1]})" if status[student][1] else "")
    for line in counted:  # a newer worksheet time counted first, said
        _echo(f"  {line}")
    if policy and (changes or (not reviewed and res["penalty"])):
        _echo(policy)
    if reviewed:
        what = ("review taken back" if clear else
                f"already reviewed by {res['by']} at {res['at']}" if res["already"] else
                f"reviewed by {res['by']}")
        # a time or date changed since grading counted first: its points said, as a cell
        # `mark` says them (review 23j, finding 5)
        points = [_points(row) for row in rows if row["student"] == student] \
            if changes else []
        _echo(f"{student}: flag ({res['review']}) {what}; {assignment} "
              + (f"{points[0]}, " if points else "") + label)
        for line in penalty_lines(changes, assignment) if changes else []:
            _echo(f"  {line}")
        return
    what = "cleared" if clear else f"{score:g}"
    late = f" after a late penalty of {res['penalty']:g}" if res["penalty"] else ""
    click.echo(f"{student}: {cell} {what}; {assignment} {res['score']:g}/{res['max_score']:g}"
               f"{late}, {label}")


def _newer_notebook_text(course: Course, assignment: str, student: str) -> str:
    """``mark``'s refusal for a student whose newer notebook is collected, not graded."""
    try:
        when = revert_submission(course, assignment, student, dry_run=True)["now"]["collected"]
    except (ValueError, TypeError, KeyError):  # none kept (collected before this version)
        when = None
    said = f" on {_when(when, course)}" if when else ""
    back = f", or take it back with `dlcourse collect {assignment} --revert {student}`" \
        if when else ""
    return (f"student: a newer notebook of {student} was collected{said}; it is not graded "
            f"yet, so a mark now would go to the older one: run "
            f"`{grade_command(course, assignment)} --student {student}` first{back}; "
            "nothing changed")


@click.group(context_settings=CONTEXT)
def roster():
    """The class list in the gradebook."""


@roster.command("import", context_settings=CONTEXT)
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--delimiter", type=click.Choice([",", ";", "tab"]),
              help="Column separator (default: read from the header line).")
@click.option("--assignment", metavar="NAME",
              help="The assignment a Moodle grading worksheet (with its 'Identifier' column) "
                   "was downloaded from: its participant ids match that assignment's "
                   "download folders.")
@click.option("--timezone",
              help="Time zone of a grading worksheet's 'Last modified (submission)' times "
                   "(your Moodle profile's; default: the course's, see `dlcourse timezone`).")
@click.option("--db", help="Gradebook URL (as given to release and grade).")
@click.pass_context
def roster_import(ctx, file, delimiter, assignment, timezone, db):
    """Add or update the students of FILE in the gradebook.

    FILE is a CSV: id,first_name,last_name,email; Canvas's gradebook export (Student, ID,
    SIS User ID, SIS Login ID, Section, ...); Moodle's participants or grades export (First
    name, Last name, ID number, Email address, ...) or an assignment's grading worksheet
    (Identifier, Full name, Email address, ...; with --assignment), separated by commas,
    semicolons or tabs, in UTF-8. Every row is checked first: a bad row, a missing column or
    one LMS id on two students is reported (with the line number) and nothing is imported.
    Students in the gradebook but not in FILE are named and kept, with their grades.
    A grading worksheet's 'Last modified (submission)' times (Moodle's record of each upload)
    are kept for collect, which takes them as those students' submission times; the newest
    worksheet imported replaces an older one's. For notebooks already collected they count at
    once, as collect takes them (a --timestamps time stays): the late penalty of a graded
    student is computed again, one line each. A student it lists as submitted whose file no
    collect copied is named (exit status 1) and `not collected` until a collect copies one.
    Download it with Moodle set to English:
    one in another language is refused, naming the language where it is known.
    """
    from .report import write_outputs

    course = _course(ctx, db=db)
    counted, unfiled = [], {}
    try:
        # a worksheet's times go to the notebooks already collected: not while a run reads them
        with (assignment_lock(course, assignment, f"dlcourse roster import --assignment "
                                                  f"{assignment}")
              if assignment and assignment in course.assignments() else
              contextlib.nullcontext()):
            res = import_roster(course, file, delimiter={"tab": "\t"}.get(delimiter, delimiter),
                                assignment=assignment, timezone=timezone)
            if res.get("submitted_times") and assignment in course.assignments():
                # the newer times count at once for the notebooks already collected, as a
                # collect of the same files would take them (review 23j, finding 2)
                counted = _count_worksheet_times(course, assignment)
                # submitted by the worksheet's word, no file collected: not collected, never
                # "no submission" with a 0 (review 23k, finding 1)
                unfiled = worksheet_without_file(course, assignment)
                if unfiled:
                    write_not_collected(course, assignment, unfiled, [])
                if (counted or unfiled) and read_statuses(course, assignment):
                    write_outputs(course, assignment)
    except ValueError as exc:
        raise DataError(exc) from None
    except Busy as exc:
        raise click.ClickException(str(exc)) from None
    total = len(res["added"]) + len(res["updated"])
    click.echo(f"roster: {len(res['added'])} added, {len(res['changed'])} changed, "
               f"{len(res['unchanged'])} unchanged ({total} students in {file})")
    for note in res["notes"]:
        click.echo(f"  changed: {note}")
    if res.get("by_canvas_id"):
        matched = res["by_canvas_id"]
        click.echo(f"  {len(matched)} rows without a login matched by Canvas id to their "
                   f"gradebook students: {', '.join(matched[:10])}"
                   + (", ..." if len(matched) > 10 else ""))
    if res.get("submitted_times"):
        n = len(res["submitted_times"])
        click.echo(f"  {n} submission time{'' if n == 1 else 's'} from 'Last modified "
                   f"(submission)' kept for {assignment}: collect takes "
                   f"{'it' if n == 1 else 'them'} as the submission time of "
                   f"{'that student' if n == 1 else 'those students'} (over the download's "
                   "file times)")
    for line in counted:
        _echo(f"  {line}")
    for student, reason in unfiled.items():
        _echo(f"  {student}: {reason}")
    for line in res.get("warnings", []):
        click.echo(f"  warning: {line}", err=True)
    if res["missing"]:
        click.echo(f"  not in {Path(file).name}: {', '.join(res['missing'])} (kept in the "
                   "gradebook with their grades; a roster import never removes a student. "
                   "For an assignment due after now they are `not enrolled` and exported "
                   "with an empty grade cell, unless they hand it in)")
    if unfiled or any(WORKSHEET_DOUBT in line for line in counted):  # as collect's exit 1
        sys.exit(1)


@click.command(context_settings=CONTEXT)
@click.argument("assignment")
@click.argument("student")
@click.option("--hours", type=click.FloatRange(min=0), required=True,
              help="Hours added to the due date for STUDENT (0 removes the extension).")
@click.option("--db", help="Gradebook URL (as given to release and grade).")
@click.pass_context
def extend(ctx, assignment, student, hours, db):
    """Grant STUDENT an extension on ASSIGNMENT (nbgrader's gradebook extension).

    The late penalty counts from the extended due date at once: a graded student's penalty
    is computed again (no kernel runs; hand grades stay) and the old -> new points printed.
    """
    from .late import grant_extension, penalty_lines, reapply_late_penalties, the_policy
    from .report import write_outputs

    course = _course(ctx, db=db)
    student = course.student_spelling(student)
    policy = None
    try:
        with (assignment_lock(course, assignment, f"dlcourse extend {assignment}")
              if assignment in course.assignments() else contextlib.nullcontext()):
            grant_extension(course, assignment, student, hours)
            policy = the_policy(course, assignment)  # remembered, or adopted
            # the new date counts at once, as `mark` counts it (review 23h, finding 1)
            counted = _count_worksheet_times(course, assignment, [student])
            changes = reapply_late_penalties(course, assignment, [student])
            if changes or counted:
                write_outputs(course, assignment)
    except ValueError as exc:
        raise DataError(exc) from None
    except Busy as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{student}: {hours:g} h extension on {assignment}" if hours else
               f"{student}: no extension on {assignment} (removed if there was one): the "
               "course's due date counts")
    for line in counted:  # a newer worksheet time counted first, said
        _echo(f"  {line}")
    if policy and changes:
        click.echo(f"  {policy}")
    for line in penalty_lines(changes, assignment) if changes else (
            [f"{student} has no graded submission of {assignment} yet: the next "
             f"`{grade_command(course, assignment)}` counts the extension"]
            if student not in read_statuses(course, assignment) else []):
        click.echo(f"  {line}")


@click.command(context_settings=CONTEXT)
@click.argument("assignment")
@click.option("--format", "fmt", type=click.Choice(lms.choices()), required=True,
              help="; ".join(f"{name}: {system.export_help}"
                             for name, system in lms.REGISTRY.items()) + ".")
@click.option("-o", "--output", "dest", type=click.Path(dir_okay=False, allow_dash=True),
              help="File to write, - for standard output (default: "
                   "<output>/ASSIGNMENT/<format>_grades.csv).")
@click.option("--column", default="", metavar="HEADER",
              help="Grade column header: for Canvas the existing assignment's column as "
                   "Canvas names it, e.g. 'Notebook 2 (777)', so the import updates it instead "
                   "of creating an assignment (default: ASSIGNMENT).")
@click.option("--db", help="Gradebook URL (as given to release and grade).")
@click.pass_context
def export(ctx, assignment, fmt, dest, column, db):
    """Write ASSIGNMENT's grades as a file the LMS imports as it is.

    Refused (exit status 2, nothing written) while students were graded since by another
    tool (a plain `nbgrader autograde`, whose scores lack a late policy given to `dlcourse
    grade`): run `dlcourse grade ASSIGNMENT` first. While a `dlcourse grade` of ASSIGNMENT
    runs, nothing is written (exit status 1, naming its pid): wait for it to end.
    """
    from .late import KEEP, remember_policy, use_policy

    course = _course(ctx, db=db)
    if column and not lms.get(fmt).grade_column:  # a mistake in the command line itself
        raise click.UsageError("column: only for --format " + " or ".join(
            n for n, s in lms.REGISTRY.items() if s.grade_column))
    try:
        # a grading run writes what the export reads: one waits for the other (review 23j)
        held = assignment_lock(course, assignment, f"dlcourse export {assignment}") \
            if assignment in course.assignments() else contextlib.nullcontext()
        with held:
            said, keep = use_policy(course, assignment)  # its checks' advice keeps it
            if keep != KEEP:  # a course graded before policies were remembered: adopted
                remember_policy(course, assignment, keep)
                click.echo(said, err=True)
            _export(course, assignment, fmt, dest, column)
    except Busy as exc:
        raise click.ClickException(str(exc)) from None


def _export(course, assignment, fmt, dest, column) -> None:
    from .export import export as do_export

    def warn(line: str) -> None:  # on stderr, so that `-o -` keeps stdout the file alone
        click.echo(f"warning: {line}", err=True)

    if dest == "-":  # the file only, so that it can be piped (nothing else on stdout)
        with tempfile.TemporaryDirectory() as tmp:
            trouble: list = []
            try:
                path = do_export(course, assignment, fmt, Path(tmp) / f"{fmt}_grades.csv",
                                 column=column, warn=warn, trouble=trouble)
            except ValueError as exc:
                raise DataError(exc) from None
            out = click.get_binary_stream("stdout")
            out.write(Path(path).read_bytes())  # bytes: the CSV's line ends as written
            out.flush()
        sys.exit(1 if trouble else 0)
    dest = dest or str(course.output_dir(assignment) / f"{fmt}_grades.csv")
    trouble: list = []
    try:
        path = do_export(course, assignment, fmt, dest, column=column, warn=warn,
                         trouble=trouble)
    except ValueError as exc:
        raise DataError(exc) from None
    click.echo(f"{assignment}: {fmt} grades -> {path}")
    if trouble:  # written, but not the whole class's final word (review 23g, G5)
        sys.exit(1)
