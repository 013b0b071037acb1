"""Grade every submission of an assignment in parallel, long-lived worker processes.

:func:`grade_assignment` decides who needs grading (new or changed submissions, or all with
``force``), hands the students to ``workers`` processes (:mod:`dlgrade.worker`) one
at a time, watches each with a deadline, replaces a worker that died or hung (its student is
marked failed and cleared from the gradebook), draws a progress bar, records one status file
per student and finally writes the outputs (:mod:`dlgrade.report`).
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import signal
import time
from dataclasses import dataclass, field
from multiprocessing.connection import wait
from pathlib import Path

from .course import Course

STATUS_DIR = "status"


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


def status_path(course: Course, assignment: str, student: str) -> Path:
    return course.output_dir(assignment) / STATUS_DIR / f"{student}.json"


def read_statuses(course: Course, assignment: str) -> dict[str, dict]:
    """Every recorded status of ``assignment`` (all shards), by student."""
    folder = course.output_dir(assignment) / STATUS_DIR
    out = {}
    if folder.is_dir():
        for path in sorted(folder.glob("*.json")):
            try:
                out[path.stem] = json.loads(path.read_text())
            except (OSError, ValueError):
                continue
    return out


def _write_status(course, assignment, record):
    path = status_path(course, assignment, record["student"])
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(record, indent=1, sort_keys=True))
    os.replace(tmp, path)


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
    key = json.dumps({"timeout": timeout, "kernel": kernel, "db": db}, sort_keys=True)
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
        self.started = None

    def kill(self):
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.proc.join(5)
        self.conn.close()


def _check_gradebook(course: Course, assignment: str) -> None:
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


def grade_assignment(course: Course, assignment: str, workers: int = 1, force: bool = False,
                     shard=None, progress: bool = True, console=None,
                     startup_timeout: float = 120.0) -> GradeRun:
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

    Returns
    -------
    GradeRun
    """
    from .course import ensure_tools_on_path
    from .worker import clear_student

    if isinstance(shard, str):
        shard = parse_shard(shard)
    if workers < 1:
        raise ValueError(f"workers: got {workers}, expected at least 1")
    ensure_tools_on_path()
    course.require_assignment(assignment)
    _check_gradebook(course, assignment)
    t0 = time.monotonic()
    run = GradeRun(assignment)
    out_dir = course.output_dir(assignment)
    out_dir.mkdir(parents=True, exist_ok=True)
    key, timeout, n_cells = _config_key(course)
    deadline = timeout * (n_cells + 2) + 60.0

    students = select_shard(course.students(assignment), shard)
    old = read_statuses(course, assignment)
    todo, hashes = [], {}
    for student in students:
        hashes[student] = submission_hash(course, assignment, student, key)
        prev = old.get(student)
        if force or not prev or prev.get("hash") != hashes[student]:
            todo.append(student)
        else:
            run.skipped.append(student)

    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    console = console or Console(stderr=True)
    columns = [TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("done {task.fields[done]} · failed {task.fields[failed]} · "
                          "remaining {task.fields[remaining]}"),
               TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn()]
    bar = Progress(*columns, console=console, disable=not progress, transient=False)
    # Workers are forked from this process after nbgrader is imported here, so they start
    # without paying nbgrader's import again (seconds on a busy machine).
    import nbgrader.apps.api  # noqa: F401

    ctx = multiprocessing.get_context("fork")
    logs = out_dir / "logs"
    logs.mkdir(exist_ok=True)
    queue = list(todo)
    pool: list[_Worker] = []
    counter = 0

    def record(student, result):
        result = dict(result)
        result["student"] = student
        result["hash"] = hashes[student]
        result["assignment"] = assignment
        result["graded_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        _write_status(course, assignment, result)
        if result["status"] == "failed":
            run.failed.append(student)
        else:
            run.graded.append(student)
            if result["status"] != "graded":
                run.flagged.append(student)
        return result

    def spawn():
        nonlocal counter
        counter += 1
        w = _Worker(ctx, course, assignment, logs / f"worker{counter}.log")
        w.started = time.monotonic()
        pool.append(w)
        return w

    def on_term(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    import threading

    old_term = None
    if threading.current_thread() is threading.main_thread():
        old_term = signal.signal(signal.SIGTERM, on_term)
    try:
        with bar:
            task = bar.add_task(f"grading {assignment}", total=len(todo), done=0, failed=0,
                                remaining=len(todo))
            for _ in range(min(workers, len(todo))):
                spawn()
            while queue or any(w.task for w in pool):
                # hand out work
                for w in pool:
                    if w.ready and w.task is None and queue:
                        w.task = queue.pop(0)
                        w.deadline = time.monotonic() + deadline
                        w.conn.send({"student": w.task})
                waitables = [w.conn for w in pool] + [w.proc.sentinel for w in pool]
                ready = wait(waitables, timeout=0.5) if waitables else []
                now = time.monotonic()
                for w in list(pool):
                    finished = None
                    if w.conn in ready:
                        try:
                            msg = w.conn.recv()
                        except (EOFError, OSError):
                            msg = None
                        if msg is not None and "ready" in msg:
                            if not msg["ready"]:
                                for w2 in pool:
                                    w2.kill()
                                raise RuntimeError("grading worker could not start:\n"
                                                   + msg.get("error", ""))
                            w.ready = True
                            continue
                        if msg is not None:
                            finished = (w.task, msg)
                            w.task = None
                            w.deadline = None
                    if finished is None and w.task is not None and (
                            not w.proc.is_alive() or w.conn.closed or now > w.deadline):
                        why = ("timed out: no result within "
                               f"{deadline:.0f} s, grading process killed" if w.proc.is_alive()
                               else "the grading process was killed (by the submission?)")
                        student = w.task
                        w.kill()
                        pool.remove(w)
                        try:
                            clear_student(course, assignment, student)
                        except Exception:  # noqa: BLE001
                            pass
                        finished = (student, {"status": "failed", "reason": why,
                                              "runtime": round(now - (w.deadline - deadline), 3)})
                        if queue:
                            spawn()
                    elif not w.ready and not w.proc.is_alive():
                        pool.remove(w)
                        raise RuntimeError(f"grading worker exited while starting; see {logs}")
                    elif not w.ready and now - w.started > startup_timeout:
                        w.kill()
                        pool.remove(w)
                        raise RuntimeError(f"grading worker did not start in {startup_timeout} s")
                    if finished:
                        result = record(*finished)
                        bar.update(task, advance=1, done=len(run.graded), failed=len(run.failed),
                                   remaining=len(queue) + sum(1 for x in pool if x.task))
                        if not progress:
                            continue
                        if result["status"] != "graded":
                            why = f" ({result['reason']})" if result.get("reason") else ""
                            console.print(f"{finished[0]}: {result['status']}{why}")
                if not queue and not any(w.task for w in pool):
                    break
            for w in pool:
                try:
                    w.conn.send(None)
                except OSError:
                    pass
            for w in pool:
                w.proc.join(10)
                if w.proc.is_alive():
                    w.kill()
    except BaseException:
        for w in pool:  # never leave grading processes (and their kernels) behind
            w.kill()
        raise
    finally:
        if old_term is not None:
            signal.signal(signal.SIGTERM, old_term)

    from .report import write_outputs

    run.outputs = write_outputs(course, assignment)
    run.seconds = time.monotonic() - t0
    return run
