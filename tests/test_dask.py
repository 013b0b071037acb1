"""Grading on a real Dask cluster: a scheduler and two workers on 127.0.0.1, a PostgreSQL
gradebook, no course folder shared with the workers.

Each test starts ``dask scheduler`` and two ``dask worker --preload dlgrade.cluster`` processes
(random free ports, own sessions, a marker in their environment), grades through them with
``dlcourse grade --scheduler``, stops them and checks that no process carrying the marker is
left: workers, grading children, fork servers and kernels all gone.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest

from dlgrade.cluster import KILLED_REASON, ClusterGone, stop_command
from dlgrade.course import Course
from dlgrade.engine import grade_assignment
from dlgrade.worker import FEEDBACK_HELD
from tests.submissions.crafted import dlcourse, make_course, make_variant, sandbox_config, submit

pytestmark = pytest.mark.slow

SANDBOX, _ = sandbox_config()
TIMEOUT = 5
# the hostile batch of tests/test_grading.py, less the kinds that only repeat another's path
KINDS = ["correct", "blank", "partly_wrong", "infinite_loop", "ignores_interrupt", "sys_exit",
         "os_exit", "kills_grader", "corrupted_json", "edited_tests", "isclose_override",
         "imports_reference"] + (["memory_bomb", "reads_solutions"] if SANDBOX else [])
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _processes_with(marker: str) -> list[int]:
    """Pids of live processes whose environment holds ``marker`` (kernels included)."""
    import psutil

    found = []
    for proc in psutil.process_iter():
        try:
            if proc.environ().get("DLCOURSE_TEST_MARKER") == marker:
                found.append(proc.pid)
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            pass
    return found


class Cluster:
    """``dask scheduler`` + two ``dask worker`` processes, each in its own session."""

    def __init__(self):
        self.marker = uuid.uuid4().hex
        base = "/srv" if os.access("/srv", os.W_OK) else None
        self.workdir = Path(tempfile.mkdtemp(prefix="dlgrade-dask-", dir=base))
        os.chmod(self.workdir, 0o755)
        self.env = {**os.environ, "DLCOURSE_TEST_MARKER": self.marker,
                    "DLCOURSE_STATION_DIR": str(self.workdir / "stations"),
                    "DLCOURSE_SANDBOX_MEMORY": "1G",
                    "DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "0"}
        port = free_port()
        self.address = f"tcp://127.0.0.1:{port}"
        self.procs = {"scheduler": self._start(
            "scheduler", "--host", "127.0.0.1", "--port", port, "--no-dashboard")}
        for i in (1, 2):
            self.start_worker(f"worker{i}")
        self._wait_for_workers(2)

    def _start(self, kind, *args):
        log = open(self.workdir / f"{kind}-{len(getattr(self, 'procs', {}))}.log", "w")
        return subprocess.Popen([str(BIN / "dask"), kind, *map(str, args)], env=self.env,
                                cwd=self.workdir, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)

    def _wait_for_workers(self, n, timeout=180):
        from distributed import Client

        with Client(self.address, timeout=timeout) as client:
            client.wait_for_workers(n, timeout=timeout)

    def start_worker(self, name, preload=True):
        """One more worker (as the two of the start) named ``name``; ``preload=False``: the
        instructor forgot ``--preload dlgrade.cluster``."""
        self.procs[name] = self._start(
            "worker", self.address, "--host", "127.0.0.1", "--nthreads", "1",
            "--nworkers", "1", "--name", name, "--no-dashboard",
            *(["--preload", "dlgrade.cluster"] if preload else []),
            "--local-directory", self.workdir / name)

    def kill(self, name):
        """SIGKILL a process and everything in its session (nanny and worker)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.procs[name].pid, signal.SIGKILL)
        self.procs[name].wait(30)

    def stop(self):
        for name in [n for n in self.procs if n != "scheduler"] + ["scheduler"]:
            stop_command(self.procs[name])
        deadline = time.monotonic() + 30
        while _processes_with(self.marker) and time.monotonic() < deadline:
            time.sleep(0.5)

    def logs(self):
        return "\n".join(p.read_text()[-3000:] for p in self.workdir.glob("*.log"))


@pytest.fixture
def cluster():
    c = Cluster()
    try:
        yield c
    finally:
        c.stop()
        left = _processes_with(c.marker)
        stations = list((c.workdir / "stations").glob("*"))
        shutil.rmtree(c.workdir, ignore_errors=True)
        assert not left, f"processes left behind: {left}"
        assert not stations, f"worker course folders left behind: {stations}"


def _rows(course, assignment="tiny"):
    with open(course / "grading" / assignment / "grades.csv") as f:
        rows = {r["student"]: r for r in csv.DictReader(f)}
    for row in rows.values():
        row.pop("runtime_s")
    return rows


def _scores(url, assignment="tiny"):
    from nbgrader.api import Gradebook

    with Gradebook(url) as gb:
        return {s.student.id: float(s.score) for s in gb.assignment_submissions(assignment)}


def _course(root):
    course = make_course(root, timeout=TIMEOUT, extra_config=SANDBOX)
    return course, (course / "exercises/tiny/tiny.ipynb", course / "solutions/tiny/tiny.ipynb")


def _grade_while(course, url, cluster, during):
    """``dlcourse grade tiny --scheduler``, with ``during(process)`` run while it grades;
    returns its (stdout, stderr) once it has ended normally."""
    grading = subprocess.Popen(
        [str(BIN / "dlcourse"), "grade", "tiny", "--scheduler", cluster.address, "--db", url,
         "--no-progress"], cwd=course, env=cluster.env, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)
    try:
        during(grading)
        out, err = grading.communicate(timeout=900)
    finally:
        if grading.poll() is None:
            grading.kill()
    assert grading.returncode in (0, 2), out + err + cluster.logs()
    return out, err


def _wait_for_statuses(grading, status, n, timeout=600):
    deadline = time.monotonic() + timeout
    while not (status.is_dir() and len(list(status.glob("*.json"))) >= n):
        assert grading.poll() is None and time.monotonic() < deadline, grading.stderr.read()
        time.sleep(0.2)


def test_hostile_batch_on_scheduler_matches_one_worker(tmp_path, postgres_server, cluster):
    url = postgres_server("dask_batch")
    local, paths = _course(tmp_path / "local")
    remote, _ = _course(tmp_path / "remote")
    dlcourse("release", cwd=local, env={"DLCOURSE_SANDBOX_MEMORY": "1G"})
    assert dlcourse("release", "--db", url, cwd=remote).returncode == 0
    for kind in KINDS:
        text = make_variant(kind, *paths)
        for course in (local, remote):
            submit(course, "tiny", kind.replace("_", "-"), text)

    dlcourse("grade", "tiny", "--workers", "1", "--no-progress", cwd=local,
             env={"DLCOURSE_SANDBOX_MEMORY": "1G"})
    run = dlcourse("grade", "tiny", "--scheduler", cluster.address, "--db", url,
                   "--no-progress", cwd=remote)
    expected = _rows(local)
    assert len(expected) == len(KINDS)
    assert _rows(remote) == expected, run.stdout + run.stderr + cluster.logs()
    assert _scores(url) == _scores(f"sqlite:///{local / 'gradebook.db'}")
    assert not (remote / "gradebook.db").exists()
    # the workers sent the autograded notebooks and the feedback back to this folder
    graded = {s for s, r in expected.items() if not r["status"].startswith("failed")}
    assert {p.name for p in (remote / "autograded").iterdir()} == graded
    held = {s for s, r in expected.items() if FEEDBACK_HELD in r.get("reason", "")}
    assert "isclose-override" in held  # flagged: its page waits for the instructor's look
    assert {p.stem for p in (remote / "grading/tiny/feedback").glob("*.html")} == graded - held
    # the same batch again: nothing changed, nothing graded
    again = dlcourse("grade", "tiny", "--scheduler", cluster.address, "--db", url,
                     "--no-progress", cwd=remote)
    assert f"{len(KINDS)} unchanged (skipped)" in again.stdout, again.stdout


def test_killed_worker_mid_batch(tmp_path, postgres_server, cluster):
    url = postgres_server("dask_kill")
    course, paths = _course(tmp_path / "course")
    assert dlcourse("release", "--db", url, cwd=course).returncode == 0
    students = [f"s{i:02d}" for i in range(10)]
    for i, student in enumerate(students):
        submit(course, "tiny", student, make_variant(("correct", "partly_wrong")[i % 2], *paths))
    status = course / "grading/tiny/status"

    def kill_one(grading):
        _wait_for_statuses(grading, status, 2)
        cluster.kill("worker1")

    out, _ = _grade_while(course, url, cluster, kill_one)
    rows = _rows(course)
    assert sorted(rows) == students  # each student exactly once
    records = {p.stem: json.loads(p.read_text()) for p in status.glob("*.json")}
    assert sorted(records) == students
    failed = {s for s, r in rows.items() if r["status"].startswith("failed")}
    # at most the student on the killed worker failed, for that reason; the rest were graded
    assert len(failed) <= 1, rows
    for student in failed:
        assert rows[student]["status"] == f"failed: {KILLED_REASON}"
    for i, student in enumerate(students):
        if student not in failed:
            assert (rows[student]["status"], rows[student]["score"]) == \
                ("graded", ("5", "2")[i % 2]), rows[student]
    # nothing stale: the gradebook holds exactly the graded students, with their scores
    assert _scores(url) == {s: float(rows[s]["score"]) for s in students if s not in failed}
    assert {p.name for p in (course / "autograded").iterdir()} == set(students) - failed
    assert f"{len(students) - len(failed)} graded" in out


def test_every_worker_lost_then_a_new_one_joins(tmp_path, postgres_server, cluster):
    """Both workers die mid-batch: the batch waits, and a worker that joins grades the rest."""
    url = postgres_server("dask_rejoin")
    course, paths = _course(tmp_path / "course")
    assert dlcourse("release", "--db", url, cwd=course).returncode == 0
    students = [f"s{i:02d}" for i in range(6)]
    for student in students:
        submit(course, "tiny", student, make_variant("correct", *paths))

    def replace_both(grading):
        _wait_for_statuses(grading, course / "grading/tiny/status", 1)
        cluster.kill("worker1")
        cluster.kill("worker2")
        time.sleep(3)
        assert grading.poll() is None, grading.communicate()  # it waits for a worker
        cluster.start_worker("worker3")

    _grade_while(course, url, cluster, replace_both)
    rows = _rows(course)
    assert sorted(rows) == students
    failed = {s for s, r in rows.items() if r["status"].startswith("failed")}
    assert len(failed) <= 2, rows  # at most the two being graded when their workers died
    assert all(rows[s]["status"] == f"failed: {KILLED_REASON}" for s in failed), rows
    assert all((rows[s]["status"], rows[s]["score"]) == ("graded", "5")
               for s in students if s not in failed), rows
    assert _scores(url) == {s: 5.0 for s in students if s not in failed}


def test_no_worker_left_stops_with_a_clear_error(tmp_path, postgres_server, cluster):
    """No worker at all: a clear error after the wait, and nobody gets a status (all pending)."""
    url = postgres_server("dask_empty")
    course, paths = _course(tmp_path / "course")
    assert dlcourse("release", "--db", url, cwd=course).returncode == 0
    for student in ("s00", "s01"):
        submit(course, "tiny", student, make_variant("correct", *paths))
    cluster.kill("worker1")
    cluster.kill("worker2")
    deadline = time.monotonic() + 60
    from distributed import Client

    with Client(cluster.address, timeout=30) as client:
        while client.scheduler_info(n_workers=-1)["workers"]:
            assert time.monotonic() < deadline, "the scheduler still lists the killed workers"
            time.sleep(0.5)
    t0 = time.monotonic()
    with pytest.raises(ClusterGone, match=r"no Dask worker at tcp://127\.0\.0\.1:\d+ for 5 s: "
                                          r"2 submission\(s\) not graded; they stay pending"):
        grade_assignment(Course(course, db_url=url), "tiny", scheduler=cluster.address,
                         progress=False, startup_timeout=5)
    assert time.monotonic() - t0 < 120  # it gave up instead of waiting forever
    assert not list((course / "grading/tiny/status").glob("*.json"))
    assert _scores(url) == {}
    # the command line says the same, without a traceback
    cli = dlcourse("grade", "tiny", "--scheduler", "tcp://127.0.0.1:9", "--db", url,
                   "--no-progress", cwd=course, check=False)
    assert cli.returncode == 1, cli.stdout + cli.stderr
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in cli.stderr
    assert "Traceback" not in cli.stderr


def test_a_worker_without_the_preload_changes_no_record(tmp_path, postgres_server, cluster):
    """Review 23, D4: a worker started without ``--preload dlgrade.cluster`` is the cluster's
    problem, not a student's: the run stops with exit 1 and one message, and every record,
    row and gradebook score stays as it was."""
    url = postgres_server("dask_nopreload")
    course, paths = _course(tmp_path / "course")
    assert dlcourse("release", "--db", url, cwd=course).returncode == 0
    students = ["s00", "s01"]
    for student in students:
        submit(course, "tiny", student, make_variant("correct", *paths))
    _grade_while(course, url, cluster, lambda grading: None)
    status = course / "grading/tiny/status"
    before = ({p.name: p.read_text() for p in status.glob("*.json")}, _rows(course))
    assert _scores(url) == {"s00": 5.0, "s01": 5.0}
    cluster.kill("worker1")
    cluster.kill("worker2")
    cluster.start_worker("bare", preload=False)
    from distributed import Client

    with Client(cluster.address, timeout=30) as client:  # only the bare worker left
        deadline = time.monotonic() + 60
        while set(i["name"] for i in client.scheduler_info(n_workers=-1)["workers"].values()
                  ) != {"bare"}:
            assert time.monotonic() < deadline, "the scheduler still lists the killed workers"
            time.sleep(0.5)
    proc = dlcourse("grade", "tiny", "--force", "--scheduler", cluster.address, "--db", url,
                    "--no-progress", cwd=course, check=False, env=cluster.env)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "started without `--preload dlgrade.cluster`" in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr
    assert ({p.name: p.read_text() for p in status.glob("*.json")}, _rows(course)) == before
    assert _scores(url) == {"s00": 5.0, "s01": 5.0}
