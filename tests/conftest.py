"""Fixtures shared by several test modules (pytest finds them here; nothing imports this file).

Helpers that are plain functions live in ``tests/submissions/`` and are imported as
``tests.submissions.<module>`` (pyproject.toml puts the repository root on sys.path once).
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest


@pytest.fixture
def course_dir():
    """An empty course folder outside /tmp (the sandbox replaces /tmp wholesale), readable by
    others (mode 755) as a course folder usually is; removed afterwards. The unprivileged
    run (scripts/test_rootless.sh) puts it in a folder that user owns."""
    base = os.environ.get("DLCOURSE_TEST_COURSE_BASE")  # scripts/test_rootless.sh sets it
    if not base:
        base = "/srv" if os.access("/srv", os.W_OK) else None
    root = tempfile.mkdtemp(prefix="dlcourse-course-", dir=base)
    os.chmod(root, 0o755)
    yield root
    shutil.rmtree(root, ignore_errors=True)


# --- a throw-away PostgreSQL server (tests/test_postgres.py, tests/test_lms_roundtrip.py,
# tests/test_dask.py) ---

PG_BIN = Path("/usr/lib/postgresql/15/bin")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def postgres_server():
    """A throw-away PostgreSQL server on 127.0.0.1 (own data folder, free port), started once
    per test process (each xdist worker has its own) and stopped at its end; yields
    ``new_database(name) -> SQLAlchemy URL`` (a fresh database each call: a name already
    taken gets a number)."""
    if not (PG_BIN / "initdb").exists():
        pytest.skip(f"PostgreSQL binaries missing in {PG_BIN} (make test installs Debian's "
                    "postgresql package)")
    import psycopg2

    base = Path(tempfile.mkdtemp(prefix="dlcourse-pg-"))
    data, sock, log = base / "data", base / "sock", base / "server.log"
    sock.mkdir()
    prefix = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        user = pwd.getpwnam("postgres")
        os.chmod(base, 0o755)
        for path in (base, sock):
            os.chown(path, user.pw_uid, user.pw_gid)
        prefix = ["runuser", "-u", "postgres", "--"]
    port = _free_port()

    def run(*args):
        subprocess.run([*prefix, *map(str, args)], check=True, capture_output=True, text=True,
                       cwd=base)

    taken: set[str] = set()

    def new_database(name: str) -> str:
        base_name, number = name, 1
        while name in taken:
            number += 1
            name = f"{base_name}_{number}"
        taken.add(name)
        conn = psycopg2.connect(host="127.0.0.1", port=port, user="postgres", dbname="postgres")
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(f"CREATE DATABASE {name}")
        conn.close()
        return f"postgresql+psycopg2://postgres@127.0.0.1:{port}/{name}"

    run(PG_BIN / "initdb", "-D", data, "-A", "trust", "-U", "postgres")
    run(PG_BIN / "pg_ctl", "-D", data, "-l", log, "-w", "-o",
        f"-c listen_addresses=127.0.0.1 -p {port} -k {sock}", "start")
    try:
        yield new_database
    finally:
        subprocess.run([*prefix, str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate",
                        "stop"], capture_output=True, cwd=base)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="module")
def postgres(postgres_server):
    """URL of a fresh database (one per test module) on the private PostgreSQL server."""
    return postgres_server("gradebook")


# --- an empty nbgrader gradebook, made once (nbgrader runs `alembic` to make one: seconds) ---


@pytest.fixture(scope="session")
def empty_gradebook(tmp_path_factory):
    """``copy_to(folder) -> Path``: a copy of an empty SQLite gradebook as
    ``folder/gradebook.db`` (nbgrader's default place), so each test gets its own without
    paying for nbgrader's ``alembic`` call again."""
    from nbgrader.api import Gradebook

    from dlgrade.course import ensure_tools_on_path

    ensure_tools_on_path()
    template = tmp_path_factory.mktemp("gradebook") / "gradebook.db"
    with Gradebook(f"sqlite:///{template}"):
        pass

    def copy_to(folder) -> Path:
        target = Path(folder) / "gradebook.db"
        shutil.copyfile(template, target)
        return target

    return copy_to


# --- grade once, assert many: the exercise batches (tests/submissions/exercises.py) ---


@pytest.fixture(scope="session")
def graded_exercise(tmp_path_factory):
    """``graded_exercise.get(assignment, coretype=None)``: the assignment's whole set of fake
    students (solution, blank, mistakes, cheats, independent answers) autograded in one batch,
    once per test process; with ``coretype``, the same submissions graded again under that
    forced BLAS kernel in a copy of the released course."""
    from tests.submissions.exercises import GradedCache

    return GradedCache(tmp_path_factory.mktemp("exercises"))


# --- parallel runs (pytest-xdist): which tests must stay on one worker ---
#
# `make test` runs `pytest -n N`. The scheduler below sends the tests of one *group* to one
# worker, one after the other; every other test goes wherever a worker is free. (pytest-xdist's
# own `--dist loadgroup` reads `xdist_group` marks, but its 3.8 release renames the test ids
# through an attribute pytest 9 no longer reads, so its groups are silently ignored: here the
# group follows from the test id alone: tests/submissions/parallel.py lists them.)
#
# * the exercise tests of one assignment share one graded batch (fixture graded_exercise);
# * the tests of a module with an expensive module-scoped fixture share it, instead of building
#   it again on every worker that gets one of them.

@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    from tests.submissions.parallel import GroupScheduling  # the groups are listed there

    return GroupScheduling(config, log)


# --- growth is visible: the slowest tests and the time per test file at the end of a run ---

_DURATIONS: dict[str, float] = {}
#: the machine's CPU counters (/proc/stat) when the run started (None: not Linux)
_CPU_AT_START: list[list[int]] = []


def _cpu_counters() -> list[int] | None:
    """Busy and total clock ticks of every CPU together, from Linux's /proc/stat."""
    try:
        with open("/proc/stat") as fh:
            fields = [int(v) for v in fh.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return [sum(fields) - idle, sum(fields)]


def pytest_sessionstart(session):
    counters = _cpu_counters()
    if counters is not None:
        _CPU_AT_START.append(counters)
#: test id -> (xdist worker, first start, last stop) of its setup, call and teardown
_SPANS: dict[str, tuple[str, float, float]] = {}


def pytest_runtest_logreport(report):
    """Add up setup + call + teardown per test id. Under pytest-xdist the controller receives
    every worker's reports here too, so the sums cover the whole run; each report also says
    which worker ran it and when (the per-worker timeline at the end)."""
    _DURATIONS[report.nodeid] = _DURATIONS.get(report.nodeid, 0.0) + report.duration
    node = getattr(report, "node", None)  # set by xdist's controller on a worker's report
    if node is not None and hasattr(report, "start"):
        worker, start, stop = _SPANS.get(report.nodeid, (node.gateway.id, report.start,
                                                          report.stop))
        _SPANS[report.nodeid] = (worker, min(start, report.start), max(stop, report.stop))


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if not _DURATIONS or hasattr(config, "workerinput"):  # an xdist worker: the controller prints
        return
    write = terminalreporter.write_line
    terminalreporter.section("15 slowest tests (setup + call + teardown)")
    for nodeid, seconds in sorted(_DURATIONS.items(), key=lambda kv: -kv[1])[:15]:
        write(f"{seconds:9.1f} s  {nodeid}")
    per_file: dict[str, list[float]] = {}
    for nodeid, seconds in _DURATIONS.items():
        entry = per_file.setdefault(nodeid.split("::")[0], [0.0, 0])
        entry[0] += seconds
        entry[1] += 1
    total = sum(seconds for seconds, _ in per_file.values())
    terminalreporter.section("time per test file (sum over its tests; workers run in parallel)")
    for path, (seconds, count) in sorted(per_file.items(), key=lambda kv: -kv[1][0]):
        write(f"{seconds:9.1f} s  {100 * seconds / total:5.1f} %  {count:5d} tests  {path}")
    write(f"{total:9.1f} s  100.0 %  {len(_DURATIONS):5d} tests  (sum)")
    if _SPANS:
        from tests.submissions.parallel import worker_timeline

        terminalreporter.section("per xdist worker (idle at the end: the run waited for another)")
        for line in worker_timeline(_SPANS):
            write(line)
    now = _cpu_counters()
    if _CPU_AT_START and now is not None and now[1] > _CPU_AT_START[0][1]:
        busy = (now[0] - _CPU_AT_START[0][0]) / (now[1] - _CPU_AT_START[0][1])
        write(f"the machine's {os.cpu_count()} CPUs were busy {100 * busy:.0f} % of the run "
              "(all processes, /proc/stat)")
