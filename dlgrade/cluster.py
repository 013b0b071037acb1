"""Grade on a Dask cluster: a local one (``--workers N``) or an existing one (``--scheduler``).

Each submission is one Dask task, :func:`grade_submission`. The task carries everything the
worker needs: the course *bundle* (``nbgrader_config.py`` and the assignment's source and
release notebooks: one task per run the grading tasks depend on) and the student's
submitted files as bytes. It returns the result record plus the autograded notebooks and
the feedback pages as bytes, so the grading hosts need no shared course folder; scores go to
the shared gradebook (PostgreSQL for several hosts, the course's SQLite file when every worker
runs on this host).

On the worker, a :class:`Station` per course bundle keeps a private course folder and one
long-lived grading child (:func:`dlgrade.worker.worker_main`: nbgrader loaded once, the kernel
fork server started once). Dask has no per-task timeout (dask/distributed#391), so the station
keeps the deadline itself: a child that overruns or dies is killed with its process group
(kernels included), its student fails and a fresh child takes the next one.

A submission that takes the whole Dask worker down surfaces in the engine as ``KilledWorker``.
The scheduler is told never to retry (``allowed_failures = 0``), and :meth:`DaskPool.run`
hands each worker thread one task at a time, so exactly the student being graded fails and
nobody else's task is touched. Task keys are built from the student and the
submission hash: submitting the same batch twice gives the same keys.

Workers of an existing cluster load this module with ``dask worker ... --preload
dlgrade.cluster`` (:func:`dask_setup`).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from pathlib import Path

from . import safe_files
from .course import CONFIG_NAME, Course, ensure_tools_on_path
from .sandbox.policy import HIDDEN_DIRS, HIDDEN_FILES
from .worker import clear_student, plain_reason, worker_main

# Dask (distributed) takes about a second to import: the methods that start, join or wait on
# a cluster import it, so a command that stops before grading (an unreleased assignment, a
# bad --student) and the engine's pure helpers do not pay for it.

#: Environment variable naming the folder where each Dask worker keeps its station (its private
#: copy of the course); ``DLGRADE_WORKER_DIR``, its old name, is still read, with a warning.
STATION_DIR_ENV = "DLCOURSE_STATION_DIR"
OLD_STATION_DIR_ENV = "DLGRADE_WORKER_DIR"
#: Prefix of the station folders (``<prefix><pid>-<random>``); folders of dead workers are
#: removed, also those made under the old prefix.
STATION_PREFIX = "dlcourse-station-"
OLD_STATION_PREFIXES = ("dlgrade-worker-",)


def station_dir() -> str:
    """Where stations live: ``$DLCOURSE_STATION_DIR``, else the old ``$DLGRADE_WORKER_DIR``
    (deprecated), else ``/var/tmp`` (not ``/tmp``, which the kernel sandbox replaces)."""
    if os.environ.get(STATION_DIR_ENV):
        return os.environ[STATION_DIR_ENV]
    if os.environ.get(OLD_STATION_DIR_ENV):
        warnings.warn(f"{OLD_STATION_DIR_ENV} is deprecated: set {STATION_DIR_ENV} instead",
                      DeprecationWarning, stacklevel=2)
        return os.environ[OLD_STATION_DIR_ENV]
    return "/var/tmp"
KILLED_REASON = ("the Dask worker died while grading it (killed by the submission, "
                 "or its host went away)")


#: A worker of an existing cluster started without this module's preload cannot start the
#: grading child (the Nanny's worker is a daemonic process); said once, plainly.
PRELOAD_REASON = ("the Dask worker was started without `--preload dlgrade.cluster`, so it cannot "
                  "start the grading process; restart it as `dask worker SCHEDULER --preload "
                  "dlgrade.cluster`")


def _without_preload(future) -> bool:
    """Whether a finished task failed because its worker runs without this module's preload
    (:data:`PRELOAD_REASON`): the worker's set-up, not the student's."""
    return future.status == "error" and "daemonic processes are not allowed to have children" \
        in str(future.exception())


class ClusterGone(RuntimeError):
    """The scheduler cannot be reached, or no worker is left to grade the rest of a batch.

    The students not graded yet keep no status, so the same command grades them later.
    """


# -- what travels with a task ------------------------------------------------------------------
# Every file read here goes through dlgrade.safe_files: regular files only, never through a
# link, within size and count limits (a submission folder is the student's data).
def course_bundle(course: Course, assignment: str) -> dict:
    """What a worker needs of the course to grade ``assignment``: the nbgrader configuration,
    the source and release notebooks, and the settings (gradebook URL made absolute)."""
    files = {CONFIG_NAME: (course.root / CONFIG_NAME).read_bytes()}
    for base in (course.source_dir / assignment, course.release_dir / assignment):
        rel = base.relative_to(course.root)
        if base.is_dir():
            files.update({str(rel / k): v for k, v in safe_files.read_trusted(base).items()})
    overrides = course.overrides()
    overrides["db_url"] = course.db
    digest = hashlib.sha256(repr((sorted(files.items()), sorted(overrides.items(), key=str)))
                            .encode()).hexdigest()
    return {"files": files, "overrides": overrides, "assignment": assignment, "digest": digest}


def _bundle(bundle: dict) -> dict:
    """The course bundle as a Dask task's result (see :meth:`DaskPool.run`)."""
    return bundle


def task_key(assignment: str, student: str, digest: str) -> str:
    """Dask key of one student's grading: the same batch submitted twice gets the same keys."""
    return f"dlgrade-{assignment}-{student}-{digest[:16]}"


# -- the worker side ---------------------------------------------------------------------------
class _Child:
    """The long-lived grading process of a station (:func:`dlgrade.worker.worker_main`)."""

    def __init__(self, course: Course, assignment: str, log_path: Path):
        ctx = multiprocessing.get_context("fork")
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=worker_main,
                                args=(child, course.overrides(), assignment, str(log_path)),
                                daemon=True)
        self.proc.start()
        child.close()

    def wait_ready(self, timeout: float) -> None:
        if not self.conn.poll(timeout):
            self.kill()
            raise RuntimeError(f"grading process did not start in {timeout:.0f} s")
        msg = self.conn.recv()
        if not msg.get("ready"):
            self.kill()
            raise RuntimeError("grading process could not start:\n" + msg.get("error", ""))

    def kill(self) -> None:
        """Kill the child's whole session (its kernels and fork server too)."""
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.proc.join(5)
        self.conn.close()


class Station:
    """One course bundle on one Dask worker: a private course folder and its grading child."""

    def __init__(self, bundle: dict, log_dir: str | None, hide: list[str], name: str):
        base = station_dir()
        Path(base).mkdir(parents=True, exist_ok=True)
        sweep_stale_stations(base)
        # not under /tmp: the kernel sandbox replaces /tmp wholesale
        self.root = Path(tempfile.mkdtemp(prefix=f"{STATION_PREFIX}{os.getpid()}-", dir=base))
        os.chmod(self.root, 0o755)  # the sandboxed kernel runs as another user
        for rel, data in bundle["files"].items():
            path = self.root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        overrides = dict(bundle["overrides"], root=str(self.root),
                         output_root=str(self.root / "grading"))
        self.course = Course.from_overrides(overrides)
        self.assignment = bundle["assignment"]
        # On the instructor's own host the real course folder is readable: hide its secrets
        # from kernels too (paths that do not exist here, on another host, are dropped).
        self.hide = [p for p in hide if os.path.exists(p)
                     and not str(self.root).startswith(os.path.realpath(p) + os.sep)]
        logs = Path(log_dir) if log_dir and os.access(log_dir, os.W_OK) else self.root / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        self.logs, self.name, self.started = logs, name, 0
        self.child: _Child | None = None

    def _spawn(self, startup_timeout: float) -> _Child:
        self.started += 1
        # the child's sandboxed kernels take the course folder from these (fork: inherited)
        os.environ["DLCOURSE_COURSE_ROOT"] = str(self.root)
        os.environ["DLCOURSE_SANDBOX_HIDE"] = os.pathsep.join(
            [str(self.course.output_root), *self.hide])
        child = _Child(self.course, self.assignment,
                       self.logs / f"worker-{self.name}-{self.started}.log")
        child.wait_ready(startup_timeout)
        return child

    def _clear_local(self, student: str) -> None:
        c = self.course
        for base in (c.submitted_dir, c.autograded_dir, c.feedback_dir):
            shutil.rmtree(base / student, ignore_errors=True)
        out = c.output_dir(self.assignment) / "feedback"
        for path in out.glob(f"{student}.*html") if out.is_dir() else ():
            path.unlink()

    def grade(self, student: str, files: dict, deadline: float,
              startup_timeout: float) -> tuple[dict, dict]:
        """Grade one student within ``deadline`` seconds: ``(result, artifacts)``."""
        c, a = self.course, self.assignment
        self._clear_local(student)
        target = c.submitted_dir / student / a
        for rel, data in files.items():
            path = target / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        try:
            if self.child is None:
                self.child = self._spawn(startup_timeout)
            start = time.monotonic()
            self.child.conn.send({"student": student})
            result, closed = None, False
            while time.monotonic() - start < deadline and self.child.proc.is_alive():
                if self.child.conn.poll(0.5):
                    try:
                        result = self.child.conn.recv()
                    except (EOFError, OSError):
                        closed = True  # its end of the pipe closed: it is dying
                    break
            if result is None:  # died or overran: kill it, fail and clear the student
                if closed:
                    self.child.proc.join(5)  # not reaped yet: is_alive() would still say so
                why = (f"timed out: no result within {deadline:.0f} s, grading process killed"
                       if self.child.proc.is_alive() and not closed
                       else "the grading process was killed (by the submission?)")
                self.child.kill()
                self.child = None
                with contextlib.suppress(Exception):
                    clear_student(c, a, student)
                result = {"status": "failed", "reason": why,
                          "runtime": round(time.monotonic() - start, 3)}
            return result, self._artifacts(student, result)
        finally:
            self._clear_local(student)

    def _artifacts(self, student: str, result: dict) -> dict:
        """The autograded folder, the feedback pages and the published pages, as bytes; a file
        the grader refuses to carry (a link left by the kernel, ...) is noted in ``result``."""
        c, a = self.course, self.assignment
        autograded, refused = safe_files.read_folder(c.autograded_dir / student / a,
                                                     safe_files.AUTOGRADED)
        feedback, refused_fb = safe_files.read_folder(c.feedback_dir / student / a,
                                                      safe_files.FEEDBACK)
        published = {}
        for rel in result.get("feedback") or []:
            try:
                published[rel] = safe_files.read_regular(c.output_dir(a) / rel,
                                                         safe_files.FEEDBACK.max_file_bytes)
            except (safe_files.UnsafeFile, FileNotFoundError):
                refused_fb.append(safe_files.Refusal(rel, "the page was not a regular file"))
        left = [f"autograded/{r.describe()}" for r in refused]
        left += [f"feedback/{r.describe()}" for r in refused_fb]
        if left:
            result.setdefault("notes", []).append("not carried back: " + "; ".join(left))
        return {"autograded": autograded, "feedback": feedback, "published": published}

    def close(self) -> None:
        if self.child is not None:
            self.child.kill()
            self.child = None
        shutil.rmtree(self.root, ignore_errors=True)


@contextlib.contextmanager
def started_with_stderr_to(log_path: Path):
    """Processes started inside write their stderr to ``log_path`` (fd 2 is inherited).

    Ctrl-C at a terminal goes to every process of the foreground group: Dask's worker
    processes, while they start, would each print a KeyboardInterrupt traceback over the
    one line ``dlcourse grade`` ends with. Their stderr goes to the grading log instead.
    """
    sys.stderr.flush()
    saved = os.dup(2)
    fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(fd, 2)
    os.close(fd)
    try:
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)


def quiet_event_loop() -> None:
    """After Ctrl-C: no 'Task exception was never retrieved' or tracebacks from Dask's event
    loop while the cluster closes; the command's own line says what happened."""
    for name in ("asyncio", "distributed", "tornado"):
        logging.getLogger(name).setLevel(logging.CRITICAL + 1)


def _close_half_started_clusters() -> None:
    """Close a local cluster whose start Ctrl-C cut short. Dask's own exit hook would try
    and print an AssertionError traceback about a worker still starting."""
    from distributed.core import Status
    from distributed.deploy.spec import SpecCluster

    for cluster in list(SpecCluster._instances):
        if cluster.status != Status.closed:
            with contextlib.suppress(Exception):
                cluster.close(timeout=10)
            cluster.status = Status.closed  # tried once: the exit hook need not again


def stop_command(proc, grace: float = 60.0) -> None:
    """Stop a ``dask scheduler`` / ``dask worker`` command started in its own session.

    SIGTERM goes to the command only, so it closes its workers gracefully (running this
    module's preload teardown, which removes their course folders); after ``grace`` seconds,
    or at once if it has ended, SIGKILL goes to whatever is left in its session.
    """
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            pass
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def sweep_stale_stations(base: str) -> None:
    """Remove station folders left behind by workers that died (their pid no longer runs)."""
    for prefix in (STATION_PREFIX, *OLD_STATION_PREFIXES):
        for path in Path(base).glob(f"{prefix}*"):
            _remove_if_dead(path, prefix)


def _remove_if_dead(path: Path, prefix: str) -> None:
    try:
        pid = int(path.name[len(prefix):].split("-")[0])
    except ValueError:
        return
    if pid != os.getpid() and not Path(f"/proc/{pid}").exists():
        shutil.rmtree(path, ignore_errors=True)


_stations: dict[str, Station] = {}
_lock = threading.Lock()


def grade_submission(bundle: dict, student: str, files: dict, deadline: float,
                     log_dir: str | None = None, hide: tuple = (),
                     startup_timeout: float = 120.0) -> tuple[dict, dict]:
    """The Dask task: grade ``student``'s ``files`` against ``bundle`` on this worker."""
    with _lock:  # one thread per worker is the intended set-up; be safe with more
        station = _stations.get(bundle["digest"])
        if station is None:
            name = _worker_name()
            station = _stations[bundle["digest"]] = Station(bundle, log_dir, list(hide), name)
        try:
            return station.grade(student, files, deadline, startup_timeout)
        except Exception:
            if station.child is None:  # its grading child could not start (a worker without
                # the preload has no teardown either): leave no course folder behind
                _stations.pop(bundle["digest"], None)
                station.close()
            raise


def _worker_name() -> str:
    try:
        from distributed import get_worker

        return str(get_worker().name).replace("/", "_").replace(":", "_")
    except (ImportError, ValueError):
        return str(os.getpid())


def close_stations() -> None:
    """Stop the grading children and remove the private course folders (also those of
    workers on this host that died)."""
    with _lock:
        for station in _stations.values():
            station.close()
        _stations.clear()
    sweep_stale_stations(station_dir())


def dask_setup(worker=None) -> None:
    """``--preload`` hook of ``dask worker``: load nbgrader once, allow grading children.

    A Nanny starts its worker as a daemonic process, and multiprocessing refuses to let a
    daemon start children; the grading child needs one (it is killed with the worker
    through its parent-death signal all the same).
    """
    ensure_tools_on_path()
    multiprocessing.current_process()._config["daemon"] = False
    import nbgrader.apps.api  # noqa: F401 - imported once here, inherited by every child


def dask_teardown(worker=None) -> None:
    close_stations()


# -- the engine side ---------------------------------------------------------------------------
def _load_grading_modules() -> None:
    """Import what a worker's grading process uses (:func:`dask_setup`, :mod:`dlgrade.worker`
    and the nbgrader steps of :func:`dlgrade.worker.configure`), so that local workers
    forked from this process start with it."""
    import nbgrader.apps.api  # noqa: F401

    from . import feedback, html_safety, judge, outputs, sanitize, scan, worker  # noqa: F401


def _harden_scheduler(dask_scheduler=None) -> None:
    """Never retry a task whose worker died (run on the scheduler)."""
    dask_scheduler.allowed_failures = 0


def instructor_paths(course: Course) -> list[str]:
    """What kernels must not read of the instructor's course folder when a worker runs on the
    same host: the folders and files the sandbox hides in any course, and the output folder."""
    root = course.root
    paths = [str(root / name) for name in HIDDEN_DIRS]
    paths += sorted(str(p) for pattern in HIDDEN_FILES for p in root.glob(pattern))
    return paths + [str(course.output_root)]


def clear_local(course: Course, assignment: str, student: str) -> None:
    """Remove a student's autograded notebook and feedback from the instructor's folder."""
    for base in (course.autograded_dir, course.feedback_dir):
        shutil.rmtree(base / student / assignment, ignore_errors=True)
    out = course.output_dir(assignment) / "feedback"
    for path in out.glob(f"{student}.*html") if out.is_dir() else ():
        path.unlink()


def store_artifacts(course: Course, assignment: str, student: str, artifacts: dict) -> None:
    """Write what a worker sent back into the instructor's course folder."""
    targets = {"autograded": course.autograded_dir / student / assignment,
               "feedback": course.feedback_dir / student / assignment,
               "published": course.output_dir(assignment)}
    for kind, files in artifacts.items():
        for rel, data in files.items():
            path = targets[kind] / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)


class DaskPool:
    """Grades students as Dask tasks, on a local cluster or at ``scheduler``.

    Parameters
    ----------
    course, assignment
    deadline : float
        Seconds one submission may take before its grading child is killed.
    startup_timeout : float
        Seconds a worker's grading child may take to load nbgrader; also how long to wait
        for the first worker of an existing cluster.
    logs : Path
        Folder for the grading children's logs (used when the worker runs on this host).
    workers : int
        Worker processes of the local cluster (one thread each) when ``scheduler`` is None.
    scheduler : str, optional
        Address of an existing scheduler, e.g. ``tcp://10.0.0.5:8786``.
    """

    def __init__(self, course: Course, assignment: str, deadline: float,
                 startup_timeout: float, logs: Path, workers: int = 1,
                 scheduler: str | None = None):
        self.course, self.assignment = course, assignment
        self.deadline, self.startup_timeout, self.logs = deadline, startup_timeout, logs
        self.workers, self.scheduler = workers, scheduler
        self.pending: dict = {}
        #: students whose grading task was sent (it may have changed their gradebook entry)
        self.started: set = set()
        self._session = None  # the client of opened()

    @property
    def queue(self) -> list:
        return list(self.pending.values())

    def busy(self) -> int:
        return 0

    @contextlib.contextmanager
    def _client(self):
        import dask
        from distributed import Client, LocalCluster

        settings = {"distributed.scheduler.allowed-failures": 0}
        with dask.config.set(settings):
            if self.scheduler:
                wait = min(self.startup_timeout, self.CONNECT_TIMEOUT)
                try:
                    client = Client(self.scheduler, timeout=wait)
                except (OSError, TimeoutError) as exc:
                    raise ClusterGone(f"cannot reach the Dask scheduler at {self.scheduler} "
                                      f"within {wait:g} s ({exc}); nothing was graded") from None
                with client:
                    client.run_on_scheduler(_harden_scheduler)
                    yield client
                return
            # The workers are forked from this process, which has loaded nbgrader and the
            # grading modules already: a spawned worker loads them again (~2 s of CPU
            # each) and runs Python's whole shutdown when it ends (~1 s more).
            _load_grading_modules()
            fork = {"distributed.worker.multiprocessing-method": "fork",
                    # the cluster's own bookkeeping, which nothing here reads: each worker's
                    # statistical profiler samples its thread every 10 ms, and the scheduler,
                    # nannies and workers sample the host's disk, network and CPU for a
                    # dashboard every 0.5 s (~0.6 s of CPU in a 40 s run of 60 students)
                    "distributed.worker.profile.enabled": False,
                    "distributed.admin.system-monitor.interval": "10s",
                    "distributed.admin.system-monitor.disk": False}
            cluster = None
            try:
                with dask.config.set(fork):  # also for a worker the nanny starts again
                    with started_with_stderr_to(self.logs / "dask-workers.log"):
                        cluster = LocalCluster(
                            n_workers=self.workers, threads_per_worker=1, processes=True,
                            # no dashboard; its HTTP server (health routes) on a free port,
                            # not 8787 (a warning on every run when that is taken)
                            host="127.0.0.1", dashboard_address=":0",
                            scheduler_kwargs={"dashboard": False},
                            silence_logs=logging.CRITICAL, preload=["dlgrade.cluster"])
                    with Client(cluster) as client:
                        client.run_on_scheduler(_harden_scheduler)
                        yield client
            except KeyboardInterrupt:
                quiet_event_loop()
                if cluster is None:
                    _close_half_started_clusters()
                raise
            finally:
                if cluster is not None:
                    cluster.close()

    def run(self, students: list[str], hashes: dict, finish, sent=None) -> None:
        """Grade ``students``; ``finish(student, result)`` is called as each one ends, and
        ``sent()``, if given, once the first students are on their way to the workers (on
        the cluster only: the time this process waits while they grade).

        Each worker thread gets one student at a time, placed on it by this loop: a task is
        sent only to a thread that is free, so a worker that dies takes down exactly the
        student it was grading. (The scheduler's own queueing keeps tasks back only while
        their group is large, ``> 2 x threads``; the last few of a batch, or students whose
        names make their own task groups, would all be sent to workers at once, and a
        killed worker would fail every one of them.) Workers that join mid-batch are used
        within :attr:`REFRESH` seconds; when none is left, the loop waits
        ``startup_timeout`` for one, then raises :class:`ClusterGone` (the students not
        graded yet keep no status).
        """
        from distributed import wait
        from distributed.client import FIRST_COMPLETED

        if not students:
            return
        if not self._needs_cluster(students):
            # one student (a --student regrade after an appeal): the same station a Dask
            # worker runs, here, without the 15-20 s of starting a local cluster
            self._run_here(students[0], finish)
            return
        bundle = course_bundle(self.course, self.assignment)
        hide = instructor_paths(self.course)
        todo = list(students)
        refused: dict = {}  # student -> files of the submission the grader did not copy
        running: dict = {}  # future -> (student, worker address)
        session = contextlib.nullcontext(self._session) if self._session else self._client()
        with session as client:
            # A task, not scattered data: if every worker holding it goes away, the
            # scheduler computes it again from the task instead of losing it.
            bundle_future = client.submit(_bundle, bundle,
                                          key=f"dlgrade-bundle-{bundle['digest'][:16]}")
            keys = {s: task_key(self.assignment, s, hashes[s]) for s in students}
            self.pending = {key: s for s, key in keys.items()}
            # students whose task ended in the last wait: their results are stored after
            # their worker threads were handed the next students, which then need not wait
            ended: list = []

            def store(future, student) -> None:
                self.pending.pop(future.key, None)
                finish(student, safe_files.add_to_result(
                    self._outcome(future, student), refused.pop(student, [])))
                future.release()

            try:
                while todo or running or ended:
                    free = self._free_threads(client, running) if todo else []
                    for address in free[:len(todo)]:
                        student = todo.pop(0)
                        files, refused[student] = safe_files.read_folder(
                            self.course.submitted_dir / student / self.assignment)
                        future = client.submit(
                            grade_submission, bundle_future, student, files, self.deadline,
                            str(self.logs), tuple(hide), self.startup_timeout,
                            key=keys[student], workers=[address], allow_other_workers=True)
                        running[future] = (student, address)
                        self.started.add(student)
                    if sent is not None and running:
                        sent, then = None, sent
                        then()
                    while ended:
                        store(*ended.pop(0))
                    if not running:
                        continue
                    with contextlib.suppress(TimeoutError):
                        wait(list(running), timeout=self.REFRESH, return_when=FIRST_COMPLETED)
                    for future in [f for f in running if f.done()]:
                        student, _ = running.pop(future)
                        if _without_preload(future):  # stop before another student starts
                            store(future, student)  # raises ClusterGone
                            continue
                        ended.append((future, student))
            except BaseException:
                client.cancel(list(running))
                for future, student in ended:  # graded already: kept, whatever stops the run
                    with contextlib.suppress(Exception):
                        store(future, student)
                raise

    #: Grade a batch of one student without a local cluster (benchmarks/student_regrade.py
    #: turns it off to measure the difference).
    GRADE_ONE_HERE = True

    def _needs_cluster(self, students: list[str]) -> bool:
        return bool(students) and (len(students) > 1 or bool(self.scheduler)
                                   or not self.GRADE_ONE_HERE)

    def on_cluster(self, students: list[str]) -> bool:
        """Whether :meth:`run` grades ``students`` on the cluster (a local one is forked
        from this process when :meth:`opened` starts it) rather than in this process."""
        return self._needs_cluster(students)

    @contextlib.contextmanager
    def opened(self, students: list[str]):
        """Start the local cluster (or connect to ``scheduler``) that :meth:`run` will grade
        ``students`` on, if it needs one. The engine enters this before its progress bar:
        local workers are forked from this process, best before any other thread runs."""
        if not self._needs_cluster(students) or self._session is not None:
            yield self
            return
        with self._client() as client:
            self._session = client
            try:
                yield self
            finally:
                self._session = None

    def _run_here(self, student: str, finish) -> None:
        """Grade one student in a :class:`Station` of this process (its grading child keeps
        the deadline and dies with its kernels, as on a Dask worker)."""
        keep = {k: os.environ.get(k) for k in ("DLCOURSE_COURSE_ROOT", "DLCOURSE_SANDBOX_HIDE")}
        station = Station(course_bundle(self.course, self.assignment), str(self.logs),
                          instructor_paths(self.course), "local")
        self.pending = {student: student}
        self.started.add(student)
        try:
            # the same safe read as a batch's (dlgrade.safe_files): refused files are a finding
            files, refused = safe_files.read_folder(
                self.course.submitted_dir / student / self.assignment)
            try:
                result, artifacts = station.grade(student, files, self.deadline,
                                                  self.startup_timeout)
            except Exception as exc:  # noqa: BLE001 - the grading child could not start, ...
                with contextlib.suppress(Exception):
                    clear_student(self.course, self.assignment, student)
                result = {"status": "failed",
                          "reason": plain_reason(f"{type(exc).__name__}: {exc}")}
                artifacts = {}
        finally:
            station.close()
            for key, value in keep.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
        self.pending = {}
        clear_local(self.course, self.assignment, student)
        store_artifacts(self.course, self.assignment, student, artifacts)
        finish(student, safe_files.add_to_result(result, refused))

    #: Seconds between two looks at the cluster's workers while every thread is busy.
    REFRESH = 2.0
    #: Seconds to wait for an existing scheduler to answer (at most ``startup_timeout``).
    CONNECT_TIMEOUT = 30.0

    def _free_threads(self, client, running: dict) -> list[str]:
        """Addresses of worker threads with no student, one entry per free thread.

        Waits up to ``startup_timeout`` when the cluster has no worker left and nothing is
        running; raises :class:`ClusterGone` if none comes.
        """
        workers = client.scheduler_info(n_workers=-1)["workers"]
        if not workers and not running:
            try:
                client.wait_for_workers(1, timeout=self.startup_timeout)
            except TimeoutError:
                where = f"at {self.scheduler}" if self.scheduler else "in the local cluster"
                raise ClusterGone(
                    f"no Dask worker {where} for {self.startup_timeout:g} s: "
                    f"{len(self.pending)} submission(s) not graded; they stay pending, run the "
                    f"same command again when workers are back") from None
            workers = client.scheduler_info(n_workers=-1)["workers"]
        busy: dict[str, int] = {}
        for _, address in running.values():
            busy[address] = busy.get(address, 0) + 1
        return [address for address, info in sorted(workers.items())
                for _ in range(max(0, info["nthreads"] - busy.get(address, 0)))]

    def _outcome(self, future, student: str) -> dict:
        """The student's result; its autograded notebook and feedback stored locally."""
        from distributed import KilledWorker

        try:
            result, artifacts = future.result()
        except KilledWorker:
            clear_local(self.course, self.assignment, student)
            with contextlib.suppress(Exception):
                clear_student(self.course, self.assignment, student)
            return {"status": "failed", "reason": KILLED_REASON}
        except Exception as exc:  # noqa: BLE001 - the grading child could not start, ...
            if "daemonic processes are not allowed to have children" in str(exc):
                # the worker's set-up, not the student's submission: nothing of the student
                # was touched (the child never started); the whole run stops
                self.started.discard(student)
                raise ClusterGone(f"{PRELOAD_REASON}; grading stopped, the students not "
                                  "graded yet keep their earlier results") from None
            clear_local(self.course, self.assignment, student)
            with contextlib.suppress(Exception):
                clear_student(self.course, self.assignment, student)
            return {"status": "failed", "reason": plain_reason(f"{type(exc).__name__}: {exc}")}
        clear_local(self.course, self.assignment, student)
        store_artifacts(self.course, self.assignment, student, artifacts)
        return result
