"""Grade every submission of an assignment in parallel on a Dask cluster.

:func:`grade_assignment` decides who needs grading (new or changed submissions, or all with
``force``), hands the students as Dask tasks to a local cluster of ``workers`` processes or
to an existing cluster at ``scheduler`` (:mod:`dlgrade.cluster`; on each worker a long-lived
grading child of :mod:`dlgrade.worker` keeps the per-submission deadline), draws a progress
bar, records one status file per student (:mod:`dlgrade.status`) and finally writes the
outputs (:mod:`dlgrade.report`).
"""

from __future__ import annotations

import contextlib
import difflib
import json
import os
import re
import signal
import threading
import time
from dataclasses import dataclass, field

import nbformat
from nbgrader.api import MissingEntry

from .cluster import ClusterGone, DaskPool
from .course import Course, ensure_tools_on_path
from .handgrades import (
    load_submissions,
    read_hand_grades,
    restore_hand_grades,
    save_hand_grades,
)
from .late import due_dates, files_digest, late_assigner, late_config, policy_text
from .lock import assignment_lock
from .printable import printable
from .report import current_status, open_statuses, report_outputs
from .similarity import class_copies
from .status import (
    GRADED,
    GRADED_OUTSIDE,
    autograded_digest,
    grade_command,
    read_not_collected,
    read_statuses,
    replaced_outside,
    sources_digest,
    submission_hash,
    write_status,
)
from .worker import STATION_SLACK, assignment_of, submission_seconds, wrong_notebook

# rich is imported where the progress bar is drawn (a run without one does not load it)


def parse_shard(text: str | None) -> tuple[int, int] | None:
    """``"2/3"`` -> ``(2, 3)``; ``None`` stays ``None``.

    Raises
    ------
    ValueError
        If ``text`` is not ``i/N`` with ``1 <= i <= N``.
    """
    if text is None:
        return None
    try:
        i, n = (int(x) for x in str(text).split("/"))
    except ValueError:
        raise ValueError(f"shard: got {text!r}, expected i/N such as 1/3") from None
    if not 1 <= i <= n:
        raise ValueError(f"shard: got {text!r}, expected i/N with 1 <= i <= N")
    return i, n


def select_shard(students: list[str], shard: tuple[int, int] | None) -> list[str]:
    """Students of shard ``(i, N)``: every N-th of the sorted list, starting at the i-th."""
    if shard is None:
        return list(students)
    i, n = shard
    return sorted(students)[i - 1::n]


def grading_lock(course: Course, assignment: str, shard=None, force: bool = False,
                 only=None):
    """Keep two grading runs of one assignment (one shard) of a course apart, and keep
    ``collect``, ``release``, ``extend`` and ``mark`` out while one runs (:mod:`dlgrade.lock`):
    the second raises :class:`dlgrade.lock.Busy` naming the first's command as it was given
    (``--force``, ``--student``, ``--shard``: review 23k, finding 7), pid and host; shards of
    one batch do not wait for each other."""
    return assignment_lock(course, assignment, grade_words(assignment, shard, force, only),
                           shard)


def grade_words(assignment: str, shard=None, force: bool = False, only=None) -> str:
    """The grading command as its lock names it.

    >>> grade_words("tiny", force=True, only=["ann", "bob"])
    'dlcourse grade tiny --force --student ann --student bob'
    >>> grade_words("tiny", shard=(1, 2))
    'dlcourse grade tiny --shard 1/2'
    """
    return (f"dlcourse grade {assignment}" + (" --force" if force else "")
            + "".join(f" --student {printable(s)}" for s in only or ())
            + (f" --shard {shard[0]}/{shard[1]}" if shard else ""))


@dataclass
class GradeRun:
    """What one ``grade_assignment`` call did."""

    assignment: str
    graded: list = field(default_factory=list)
    skipped: list = field(default_factory=list)
    failed: list = field(default_factory=list)
    flagged: list = field(default_factory=list)
    seconds: float = 0.0
    outputs: dict = field(default_factory=dict)
    #: ``[(student, status, reason)]`` of the run's students not plainly ``graded``, read back
    #: from the gradebook after the run (also those skipped as unchanged)
    open: list = field(default_factory=list)
    #: students this run set out to grade (new, changed, or all with ``force``)
    todo: list = field(default_factory=list)
    #: ``"late policy 10%/h:50% -> none"`` when grading settings changed since the students
    #: in :attr:`resettled` were graded (so they are graded again); ``""`` otherwise
    settings_change: str = ""
    resettled: list = field(default_factory=list)
    #: ``{why: [students]}``: the students graded again (without ``--force``) because their
    #: due date or extension, or the assignment's own notebooks, changed since (review 23c,
    #: F6); known for students whose record says what they were graded against
    because: dict = field(default_factory=dict)
    #: how the run chose its students: ``"force"`` (``--force``), ``"only"`` (``--student``)
    #: or ``""`` (new and changed ones)
    chosen_by: str = ""
    #: whether the students of :attr:`todo` were marked ``pending`` (a plain run grades them)
    prepared: bool = False

    def interrupted_line(self) -> str:
        """The one line an interrupted run ends with: what was kept, how to go on.

        After ``--force`` (or ``--student``) the students not saved yet are ``pending``, so a
        run without ``--force`` grades exactly them; the same command again would grade the
        saved ones too."""
        saved = len(self.graded) + len(self.failed)
        left = [s for s in self.todo if s not in self.graded and s not in self.failed]
        head = (f"{self.assignment}: interrupted; {saved} of {len(self.todo)} students graded "
                f"and saved (gradebook, grades.csv, hand grades), {len(left)} not graded yet: ")
        if not (self.prepared and saved and left) or not self.chosen_by:
            return head + "run the same command again to grade them"
        if self.chosen_by == "only":
            names = " ".join(f"--student {s}" for s in left)
            return head + f"run the same command with just {names} to grade them"
        return (head + f"run the same command again without --force to grade exactly those "
                f"{len(left)} (with --force it grades all {len(self.todo)} again)")


class Interrupted(KeyboardInterrupt):
    """Ctrl-C (or SIGTERM) during a grading run; :attr:`run` says what was saved before."""

    def __init__(self, run: GradeRun):
        super().__init__(run.interrupted_line())
        self.run = run


def _require_gradebook_entry(course: Course, assignment: str) -> None:
    with course.gradebook() as gb:
        course.find_assignment(gb, assignment)


def _to_grade(course: Course, assignment: str, students: list[str], key: str,
              force: bool) -> tuple[list[str], list[str], dict[str, str]]:
    """``(to grade, unchanged, hashes)``: a student is graded again when forced, never graded,
    or when the submission, the source notebooks or the settings changed."""
    old = read_statuses(course, assignment)
    dates = due_dates(course, assignment)
    todo, unchanged, hashes = [], [], {}
    for student in students:
        hashes[student] = submission_hash(course, assignment, student,
                                          key + dates.get(student, dates[None]))
        prev = old.get(student)
        if force or not prev or prev.get("hash") != hashes[student]:
            todo.append(student)
        elif replaced_outside(course, assignment, student, prev):
            todo.append(student)  # review 23d, P8: said by the run (GradeRun.because)
        else:
            unchanged.append(student)
    return todo, unchanged, hashes


def _graded_against(course: Course, assignment: str, students: list[str]) -> dict:
    """``{student: {"due": ..., "sources": ..., "files": ...}}``: the due date (with the
    student's extension), a digest of the assignment's notebooks and one of the submitted
    files without their time (:func:`dlgrade.late.files_digest`), as the submission hash saw
    them; kept in each record, so a later run can say why it grades a student again, and
    ``export`` can tell a new time from new files (review 23i, findings 1 and 3)."""
    dates = due_dates(course, assignment)
    sources = sources_digest(course, assignment)
    return {s: {"due": dates.get(s, dates[None]), "sources": sources,
                "files": files_digest(course, assignment, s)} for s in students}


def settings_change(old_key: str, new_key: str) -> str:
    """What differs between two grading settings digests (:meth:`Course.grading_settings`),
    in words; ``""`` when nothing a student's grade depends on changed.

    >>> settings_change('{"late": {}, "timeout": 30}', '{"late": {}, "timeout": 60}')
    'cell timeout 30 s -> 60 s'
    """
    try:
        old, new = json.loads(old_key), json.loads(new_key)
    except ValueError:
        return ""
    parts = []
    if policy_text(old.get("late") or {}) != policy_text(new.get("late") or {}):
        parts.append(f"late policy {policy_text(old.get('late') or {})} -> "
                     f"{policy_text(new.get('late') or {})}")
    if old.get("timeout") != new.get("timeout"):
        parts.append(f"cell timeout {old.get('timeout')} s -> {new.get('timeout')} s")
    if old.get("kernel") != new.get("kernel"):
        parts.append(f"kernel {old.get('kernel') or 'default'} -> {new.get('kernel') or 'default'}")
    if old.get("db") != new.get("db"):
        parts.append("gradebook changed")
    return ", ".join(parts)


def _progress_bar(console, enabled: bool):
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns = [TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("done {task.fields[done]} · failed {task.fields[failed]} · "
                          "remaining {task.fields[remaining]}"),
               TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn()]
    return Progress(*columns, console=console, disable=not enabled, transient=False)


@contextlib.contextmanager
def _sigterm_as_interrupt():
    """SIGTERM raises KeyboardInterrupt, so the pool's clean-up runs (main thread only)."""
    engine = os.getpid()

    def on_term(signum, frame):
        if os.getpid() != engine:  # a local Dask worker forked from here: die as by default
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        raise KeyboardInterrupt(f"signal {signum}")

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = signal.signal(signal.SIGTERM, on_term)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)


def grade_assignment(course: Course, assignment: str, workers: int = 1, force: bool = False,
                     shard=None, progress: bool = True, console=None,
                     startup_timeout: float = 120.0, only=None,
                     scheduler: str | None = None, on_start=None) -> GradeRun:
    """Autograde, check, give feedback on and report every submission of ``assignment``.

    Parameters
    ----------
    course : Course
    assignment : str
    workers : int
        Worker processes of the local Dask cluster (each loads nbgrader once); ignored
        with ``scheduler``.
    force : bool
        Grade every submission, not only new or changed ones.
    shard : tuple (i, N) or str, optional
        Grade only shard i of N (1-based) of the sorted students.
    progress : bool
        Draw a rich progress bar on ``console`` (stderr by default).
    only : list of str, optional
        Grade these students again (``--student``), whatever changed; every other
        student's results, feedback and gradebook entries stay as they are.
    scheduler : str, optional
        Address of an existing Dask scheduler (``tcp://HOST:PORT``) whose workers run
        ``dask worker ... --preload dlgrade.cluster``.
    on_start : callable, optional
        Called with the run's students (of its shard, or ``only``) once the run holds the
        assignment's lock (or its shard's) and they are chosen, before any record changes
        and before the unchanged ones are told apart (``grade`` remembers its
        ``--late-policy`` then, so a refused run remembers nothing, and gives them the times
        of a Moodle grading worksheet imported since).

    Returns
    -------
    GradeRun
    """
    if isinstance(shard, str):
        shard = parse_shard(shard)
    if workers < 1:
        raise ValueError(f"workers: got {workers}, expected at least 1")
    ensure_tools_on_path()
    course.require_assignment(assignment)
    _require_gradebook_entry(course, assignment)
    with grading_lock(course, assignment, shard, force, only):
        return _grade_locked(course, assignment, workers, force, shard, progress, console,
                             startup_timeout, only, scheduler, on_start)


def _grade_locked(course, assignment, workers, force, shard, progress, console,
                  startup_timeout, only, scheduler, on_start=None) -> GradeRun:
    from rich.console import Console

    t0 = time.monotonic()
    run = GradeRun(assignment)
    logs = course.output_dir(assignment) / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    key, timeout, n_cells = course.grading_settings()
    students = select_shard(course.students(assignment), shard)
    if only:
        students, force = _only(students, only, assignment), True
    if on_start is not None:
        on_start(list(students))
    run.chosen_by = "only" if only else "force" if force else ""
    todo, run.skipped, hashes = _to_grade(course, assignment, students, key, force)
    facts = _graded_against(course, assignment, students)
    run.todo = list(todo)
    if not force or only:  # why students nothing of whom changed are graded again (23, D9)
        old = read_statuses(course, assignment)
        # a --student run under other settings (the appeal's --late-policy forgotten) says
        # so, as a whole-class run does (review 23i, finding 2); only students graded
        # before count, not those whose grading failed (review 23j, finding 4)
        changes = {s: settings_change(old[s]["settings"], key) for s in todo
                   if s in old and old[s].get("settings") and old[s].get("status") in GRADED}
        run.resettled = sorted(s for s, words in changes.items() if words)
        run.settings_change = "; ".join(sorted({w for w in changes.values() if w}))
    if not force:
        for student in todo:
            was = old.get(student) or {}
            for fact, why in (("due", "the due date or an extension changed"),
                              ("sources", "the assignment's notebooks changed")):
                if was.get(fact) is not None and was[fact] != facts[student][fact]:
                    run.because.setdefault(why, []).append(student)
            if was.get("hash") == hashes[student] and replaced_outside(course, assignment,
                                                                      student, was):
                run.because.setdefault(GRADED_OUTSIDE, []).append(student)

    console = console or Console(stderr=True)
    bar = _progress_bar(console, progress)
    pool = DaskPool(course, assignment,
                    deadline=submission_seconds(timeout, n_cells) + STATION_SLACK,
                    startup_timeout=startup_timeout, logs=logs, workers=workers,
                    scheduler=scheduler)

    late = []  # the run's late policy, built once, when a first hand grade goes back

    def finish(student: str, result: dict) -> None:
        result = dict(_name_the_other_assignment(course, assignment, student, result),
                      settings=key)
        if result.get("status") != "failed":  # the run's findings, before any hand grade
            result["grading_reason"] = result.get("reason") or ""
        result = _with_hand_grades(course, assignment, student, result, late, key)
        record = _record(course, run, student, hashes[student], dict(result, **facts[student]))
        bar.update(task, advance=1, done=len(run.graded), failed=len(run.failed),
                   remaining=len(pool.queue) + pool.busy())
        if progress and record["status"] == "failed":
            console.print(printable(f"{student}: failed ({record.get('reason')})"),
                          markup=False, highlight=False)

    before: dict = {}
    meanwhile = None  # the report's work done while the cluster grades
    try:
        # the cluster first: its local workers are forked before the bar's thread starts;
        # a scheduler that cannot be reached stops the run before any record is touched
        with _sigterm_as_interrupt(), pool.opened(todo), bar:
            before = _prepare(course, assignment, todo, key)
            run.prepared = True
            task = bar.add_task(f"grading {assignment}", total=len(todo), done=0, failed=0,
                                remaining=len(todo))

            def report_meanwhile() -> None:
                nonlocal meanwhile
                meanwhile = _ReportMeanwhile(course, assignment)

            pool.run(todo, hashes, finish, sent=report_meanwhile)
    except KeyboardInterrupt:
        raise Interrupted(run) from None
    except ClusterGone:
        # a cluster problem is nobody's submission: the students no task reached keep the
        # records they had (the gradebook still holds their grades)
        for student in todo:
            if (student in before and student not in pool.started
                    and student not in run.graded and student not in run.failed):
                write_status(course, assignment, before[student])
        raise
    finally:
        # also after Ctrl-C: grades.csv and the report say what the gradebook holds now
        run.outputs, rows = report_outputs(course, assignment,
                                           meanwhile.copies() if meanwhile else None)
        # a run of the whole class also answers for the students whose files collect found
        # but did not copy (`not collected`): their work waits too (review 23d, P2)
        run.open = open_statuses(course, assignment, students if shard or only else
                                 list(students) + sorted(read_not_collected(course, assignment)),
                                 rows=rows)
        run.seconds = time.monotonic() - t0
    return run


class _ReportMeanwhile:
    """The report's work that needs no grade, done in a thread while the cluster grades:
    importing matplotlib (:func:`dlgrade.report.plots`, ~0.3 s of CPU) and finding the
    copied work among the submitted notebooks (:func:`dlgrade.similarity.class_copies`,
    copydetect's import and the comparisons, ~0.6 s). This process only waits for results
    then; after the last student, the report is left on the run's one busy core.

    Started once the first students are on their way to the workers, after the local
    cluster's workers were forked (never before a fork: a module half imported by a thread
    stays locked in the child), so it delays neither. Grading reads the
    submitted folder and never writes it, so the pairs found here are those the report
    would find after the run."""

    def __init__(self, course: Course, assignment: str):
        self._copies: list[dict] | None = None
        self._thread = threading.Thread(target=self._work, args=(course, assignment),
                                        name="dlcourse-report-meanwhile", daemon=True)
        self._thread.start()

    def _work(self, course: Course, assignment: str) -> None:
        with contextlib.suppress(Exception):  # the report itself says what is missing
            import matplotlib

            matplotlib.use("Agg")
            import matplotlib.pyplot  # noqa: F401
            import matplotlib.ticker  # noqa: F401

            import dlcourse.plotting  # noqa: F401
        with contextlib.suppress(Exception):  # found again (and any error raised) by the report
            self._copies = [m.as_dict() for m in class_copies(course, assignment)]

    def copies(self) -> list[dict] | None:
        """The copied-work pairs (as dicts), or None when they could not be found here."""
        self._thread.join()
        return self._copies


#: Status of a student whose grading started and has not ended (an interrupted run leaves it),
#: with the command that grades them under this run's settings (:func:`regrading`)
REGRADING = ("being graded again; if no run is going on, the last one was interrupted: run "
             "`{command}` again")


def regrading(course: Course, assignment: str, key: str) -> str:
    """:data:`REGRADING` naming ``dlcourse grade`` with the late policy of the run's settings
    ``key`` and its ``--db`` (:func:`dlgrade.status.grade_command`)."""
    try:
        policy = policy_text(json.loads(key).get("late") or {})
    except (ValueError, AttributeError):
        policy = None
    return REGRADING.format(command=grade_command(course, assignment, policy))


def _prepare(course: Course, assignment: str, todo: list[str], key: str = "") -> dict:
    """Before any gradebook entry is cleared: copy each student's hand grades to their file
    (:mod:`dlgrade.handgrades`) and mark their status as pending, so an interrupted run is
    graded again by the next one, which restores the hand grades. Returns the records the
    students had before."""
    if not todo:
        return {}
    with course.gradebook() as gb:
        loaded = load_submissions(gb, assignment)  # noqa: F841 - keeps them in the session
        for student in todo:
            save_hand_grades(gb, course, assignment, student)
    old = read_statuses(course, assignment)
    reason = regrading(course, assignment, key) if any(s in old for s in todo) else ""
    for student in todo:
        if student in old:
            write_status(course, assignment, {"student": student, "assignment": assignment,
                                              "status": "pending", "reason": reason})
    return {s: old[s] for s in todo if s in old}


def _name_the_other_assignment(course: Course, assignment: str, student: str,
                               result: dict) -> dict:
    """A worker sees only this assignment's sources; here every source is at hand, so a
    notebook of another assignment is named (``is the 01_curve_fitting notebook``)."""
    m = re.match(r"^(\S+\.ipynb) is not a notebook of ", result.get("reason") or "")
    if result.get("status") != "failed" or not m:
        return result
    try:
        nb = nbformat.read(course.submitted_dir / student / assignment / m[1], as_version=4)
    except Exception:  # noqa: BLE001 - keep the worker's reason
        return result
    other = assignment_of(nb, course.source_dir, assignment)
    if not other:
        return result
    return dict(result, reason=wrong_notebook(m[1], other, assignment))


def _with_hand_grades(course: Course, assignment: str, student: str, result: dict,
                      late: list, key: str) -> dict:
    """``result`` after the student's saved hand grades went back into the gradebook (for the
    answers unchanged since), with the score and status read back from it. The late penalty
    is computed once more, on the whole score, with the run's policy (``key``, its settings
    digest; ``late`` caches the plugin built from it)."""
    if result.get("status") == "failed" or not read_hand_grades(course, assignment, student):
        return result  # nothing to put back: the gradebook is not opened (most students)
    if not late:
        late.append(late_assigner(late_config(key, course)))
    with course.gradebook() as gb:
        kept, notes = restore_hand_grades(gb, course, assignment, student, late[0])
        if not (kept or notes):
            return result
        try:
            sub = gb.find_submission(assignment, student)
        except MissingEntry:
            return result
        grades = [g for nb in sub.notebooks for g in nb.grades]
        result = dict(result, score=float(sub.score), max_score=float(sub.max_score),
                      cells={g.name: [float(g.score), float(g.max_score)] for g in grades},
                      notes=list(result.get("notes") or []) + notes)
        result.update(current_status(
            result, sorted(g.name for g in grades if g.needs_manual_grade),
            sorted(g.name for g in grades if g.manual_score is not None
                   and not g.needs_manual_grade)))
    return result


def _only(students: list[str], only, assignment: str) -> list[str]:
    """The ``--student`` selection; every one must have a submission. Logins ignore letter
    case (as ``mark`` and ``extend`` do: review 23e, P7), so a name that differs from exactly
    one submitter's only in case is that student; a name that is a typing slip of one who
    has gets "did you mean" (review 23c, F6), not "submitted nothing".

    >>> _only(["mgarcia", "sobrien"], ["SOBRIEN"], "a1")
    ['sobrien']
    >>> _only(["mgarcia", "sobrien"], ["mgarcai"], "a1")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: student: 'mgarcai' has no submission of a1: did you mean 'mgarcia'? (...)
    """
    by_case: dict[str, list[str]] = {}
    for student in students:
        by_case.setdefault(student.casefold(), []).append(student)
    chosen, missing = set(), []
    for name in only:
        same = by_case.get(name.casefold(), [])
        if name in students:
            chosen.add(name)
        elif len(same) == 1:
            chosen.add(same[0])
        else:
            missing.append(name)
    if missing:
        said = []
        for name in sorted(set(missing)):
            folded = difflib.get_close_matches(name.casefold(), list(by_case), n=3)
            guesses = [s for f in folded for s in by_case[f]]
            said.append(f"{name!r} has no submission of {assignment}" + (
                f": did you mean {' or '.join(map(repr, guesses))}?" if guesses else
                " (nothing handed in, or outside this shard)"))
        raise ValueError(f"student: {'; '.join(said)} (expected one of {', '.join(students)})")
    return sorted(chosen)


def _record(course: Course, run: GradeRun, student: str, digest: str, result: dict) -> dict:
    """Write the status record of one finished student and count it in ``run``."""
    record = dict(result, student=student, hash=digest, assignment=run.assignment,
                  graded_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                  autograded=autograded_digest(course, run.assignment, student))
    detail = record.pop("detail", None)
    if detail:  # nbgrader's log and tracebacks go to the grading log, never into a status
        log = course.output_dir(run.assignment) / "logs" / f"{student}.failure.txt"
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text(detail)
        record["log"] = str(log.relative_to(course.output_dir(run.assignment)))
    write_status(course, run.assignment, record)
    if record["status"] == "failed":
        run.failed.append(student)
    else:
        run.graded.append(student)
        if record["status"] != "graded":
            run.flagged.append(student)
    return record
