"""Grade every submission of an assignment in parallel, long-lived worker processes.

:func:`grade_assignment` decides who needs grading (new or changed submissions, or all with
``force``), hands the students to ``workers`` processes (:mod:`dlgrade.worker`) one
at a time, watches each with a deadline, replaces a worker that died or hung (its student is
marked failed and cleared from the gradebook), draws a progress bar, records one status file
per student (:mod:`dlgrade.status`) and finally writes the outputs (:mod:`dlgrade.report`).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import multiprocessing
import os
import signal
import threading
import time
from dataclasses import dataclass, field
from multiprocessing.connection import wait
from pathlib import Path

from .course import Course, ensure_tools_on_path
from .report import write_outputs
from .status import read_statuses, write_status


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


def submission_hash(course: Course, assignment: str, student: str, config_key: str) -> str:
    """SHA-256 of the submitted files, the source notebooks and the grading settings."""
    h = hashlib.sha256(config_key.encode())
    for base in (course.submitted_dir / student / assignment, course.source_dir / assignment):
        for path in sorted(p for p in base.rglob("*") if p.is_file()):
            h.update(str(path.relative_to(base)).encode() + b"\0")
            h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()


def _config_key(course: Course) -> tuple[str, float, int]:
    """Digest of the settings that change grades, the per-cell timeout and #code cells."""
    config = course.load_config()
    timeout = config.Execute.get("timeout", 30)
    kernel = config.Execute.get("kernel_name", "")
    db = course.coursedir(config).db_url
    try:
        import nbformat

        n_cells = max(
            sum(c.cell_type == "code" for c in nbformat.read(p, as_version=4).cells)
            for p in (course.source_dir).glob("*/*.ipynb")
        )
    except Exception:  # noqa: BLE001
        n_cells = 50
    late = {k: dict(config[k]) for k in ("AssignLatePenalties", "LateSubmissionPlugin",
                                         "PerHourPenalty") if k in config}
    key = json.dumps({"timeout": timeout, "kernel": kernel, "db": db, "late": late},
                     sort_keys=True, default=str)
    return key, float(timeout or 30), n_cells


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


class _Worker:
    """One grading process (:func:`dlgrade.worker.worker_main`) and the student it holds."""

    def __init__(self, ctx, course, assignment, log_path):
        from .worker import worker_main

        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=worker_main,
                                args=(child, course.overrides(), assignment, str(log_path)),
                                daemon=True)
        self.proc.start()
        child.close()
        self.ready = False
        self.task = None
        self.deadline = None
        self.started = time.monotonic()

    def kill(self):
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.proc.join(5)
        self.conn.close()


class _WorkerPool:
    """Hands students to grading processes one at a time and watches each with a deadline.

    A process that dies or overruns its deadline is killed and replaced; its student gets a
    ``failed`` result and is cleared from the gradebook. A process that cannot start ends the
    run with ``RuntimeError``.
    """

    def __init__(self, course: Course, assignment: str, deadline: float, startup_timeout: float,
                 logs: Path):
        self.course, self.assignment = course, assignment
        self.deadline, self.startup_timeout, self.logs = deadline, startup_timeout, logs
        self.ctx = multiprocessing.get_context("fork")
        self.workers: list[_Worker] = []
        self.queue: list[str] = []
        self.started = 0

    def run(self, students: list[str], n_workers: int, finish) -> None:
        """Grade ``students`` on up to ``n_workers`` processes; ``finish(student, result)``
        is called as each one ends."""
        self.queue = list(students)
        try:
            for _ in range(min(n_workers, len(self.queue))):
                self._spawn()
            while self.queue or self.busy():
                self._hand_out()
                for student, result in self._collect():
                    finish(student, result)
            self._close()
        except BaseException:
            for w in self.workers:  # never leave grading processes (and their kernels) behind
                w.kill()
            raise

    def busy(self) -> int:
        return sum(1 for w in self.workers if w.task)

    def _spawn(self) -> None:
        self.started += 1
        self.workers.append(_Worker(self.ctx, self.course, self.assignment,
                                    self.logs / f"worker{self.started}.log"))

    def _hand_out(self) -> None:
        for w in self.workers:
            if w.ready and w.task is None and self.queue:
                w.task = self.queue.pop(0)
                w.deadline = time.monotonic() + self.deadline
                w.conn.send({"student": w.task})

    def _collect(self) -> list[tuple[str, dict]]:
        """Wait up to half a second; return the ``(student, result)`` pairs that ended."""
        waitables = [w.conn for w in self.workers] + [w.proc.sentinel for w in self.workers]
        ready = wait(waitables, timeout=0.5) if waitables else []
        now = time.monotonic()
        done = []
        for w in list(self.workers):
            if w.conn in ready and self._receive(w, done):
                continue
            if w.task is not None and (not w.proc.is_alive() or w.conn.closed
                                       or now > w.deadline):
                done.append(self._lost(w, now))
            elif not w.ready:
                self._check_start(w, now)
        return done

    def _receive(self, w: _Worker, done: list) -> bool:
        """Read one message: the start-up handshake or a result. True when handled."""
        try:
            msg = w.conn.recv()
        except (EOFError, OSError):
            return False
        if "ready" in msg:
            if not msg["ready"]:
                raise RuntimeError("grading worker could not start:\n" + msg.get("error", ""))
            w.ready = True
            return True
        done.append((w.task, msg))
        w.task = w.deadline = None
        return True

    def _lost(self, w: _Worker, now: float) -> tuple[str, dict]:
        """Kill a process that died or overran; fail and clear its student; replace it."""
        from .worker import clear_student

        why = (f"timed out: no result within {self.deadline:.0f} s, grading process killed"
               if w.proc.is_alive() else "the grading process was killed (by the submission?)")
        student, runtime = w.task, now - (w.deadline - self.deadline)
        w.kill()
        self.workers.remove(w)
        try:
            clear_student(self.course, self.assignment, student)
        except Exception:  # noqa: BLE001 - the failed status is recorded either way
            pass
        if self.queue:
            self._spawn()
        return student, {"status": "failed", "reason": why, "runtime": round(runtime, 3)}

    def _check_start(self, w: _Worker, now: float) -> None:
        if not w.proc.is_alive():
            self.workers.remove(w)
            raise RuntimeError(f"grading worker exited while starting; see {self.logs}")
        if now - w.started > self.startup_timeout:
            w.kill()
            self.workers.remove(w)
            raise RuntimeError(f"grading worker did not start in {self.startup_timeout} s")

    def _close(self) -> None:
        for w in self.workers:
            try:
                w.conn.send(None)
            except OSError:
                pass
        for w in self.workers:
            w.proc.join(10)
            if w.proc.is_alive():
                w.kill()


def _require_gradebook_entry(course: Course, assignment: str) -> None:
    from nbgrader.api import Gradebook, MissingEntry

    coursedir = course.coursedir()
    with Gradebook(coursedir.db_url, coursedir.course_id) as gb:
        try:
            gb.find_assignment(assignment)
        except MissingEntry:
            raise ValueError(
                f"assignment: {assignment!r} is not in the gradebook {coursedir.db_url}; "
                f"run `dlcourse release {assignment}` (with the same --db) first"
            ) from None


def _to_grade(course: Course, assignment: str, students: list[str], key: str,
              force: bool) -> tuple[list[str], list[str], dict[str, str]]:
    """``(to grade, unchanged, hashes)``: a student is graded again when forced, never graded,
    or when the submission, the source notebooks or the settings changed."""
    old = read_statuses(course, assignment)
    todo, unchanged, hashes = [], [], {}
    for student in students:
        hashes[student] = submission_hash(course, assignment, student, key)
        prev = old.get(student)
        if force or not prev or prev.get("hash") != hashes[student]:
            todo.append(student)
        else:
            unchanged.append(student)
    return todo, unchanged, hashes


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
    def on_term(signum, frame):
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
                     startup_timeout: float = 120.0, only=None) -> GradeRun:
    """Autograde, check, give feedback on and report every submission of ``assignment``.

    Parameters
    ----------
    course : Course
    assignment : str
    workers : int
        Number of grading processes (each loads nbgrader once).
    force : bool
        Grade every submission, not only new or changed ones.
    shard : tuple (i, N) or str, optional
        Grade only shard i of N (1-based) of the sorted students.
    progress : bool
        Draw a rich progress bar on ``console`` (stderr by default).
    only : list of str, optional
        Grade these students again (``--student``), whatever changed; every other
        student's results, feedback and gradebook entries stay as they are.

    Returns
    -------
    GradeRun
    """
    from rich.console import Console

    if isinstance(shard, str):
        shard = parse_shard(shard)
    if workers < 1:
        raise ValueError(f"workers: got {workers}, expected at least 1")
    ensure_tools_on_path()
    course.require_assignment(assignment)
    _require_gradebook_entry(course, assignment)
    t0 = time.monotonic()
    run = GradeRun(assignment)
    logs = course.output_dir(assignment) / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    key, timeout, n_cells = _config_key(course)
    students = select_shard(course.students(assignment), shard)
    if only:
        students, force = _only(students, only, assignment), True
    todo, run.skipped, hashes = _to_grade(course, assignment, students, key, force)

    console = console or Console(stderr=True)
    bar = _progress_bar(console, progress)
    # Workers are forked from this process after nbgrader is imported here, so they start
    # without paying nbgrader's import again (seconds on a busy machine).
    import nbgrader.apps.api  # noqa: F401

    pool = _WorkerPool(course, assignment, deadline=timeout * (n_cells + 2) + 60.0,
                       startup_timeout=startup_timeout, logs=logs)

    def finish(student: str, result: dict) -> None:
        record = _record(course, run, student, hashes[student], result)
        bar.update(task, advance=1, done=len(run.graded), failed=len(run.failed),
                   remaining=len(pool.queue) + pool.busy())
        if progress and record["status"] != "graded":
            why = f" ({record['reason']})" if record.get("reason") else ""
            console.print(f"{student}: {record['status']}{why}")

    with _sigterm_as_interrupt(), bar:
        task = bar.add_task(f"grading {assignment}", total=len(todo), done=0, failed=0,
                            remaining=len(todo))
        pool.run(todo, workers, finish)

    run.outputs = write_outputs(course, assignment)
    run.seconds = time.monotonic() - t0
    return run


def _only(students: list[str], only, assignment: str) -> list[str]:
    """The ``--student`` selection; every one must have a submission."""
    missing = sorted(set(only) - set(students))
    if missing:
        raise ValueError(f"student: {', '.join(missing)} submitted nothing for {assignment} "
                         f"(or is outside this shard); expected one of {', '.join(students)}")
    return sorted(set(only))


def _record(course: Course, run: GradeRun, student: str, digest: str, result: dict) -> dict:
    """Write the status record of one finished student and count it in ``run``."""
    record = dict(result, student=student, hash=digest, assignment=run.assignment,
                  graded_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
    write_status(course, run.assignment, record)
    if record["status"] == "failed":
        run.failed.append(student)
    else:
        run.graded.append(student)
        if record["status"] != "graded":
            run.flagged.append(student)
    return record
