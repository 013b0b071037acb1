"""Grading into a real PostgreSQL gradebook gives the same grades as the SQLite default.

Starts a throw-away PostgreSQL 15 server from Debian's packages (own data folder, free port
on 127.0.0.1, stopped in a finalizer), releases and grades a small batch into it with
``dlcourse grade --workers 2 --db postgresql+psycopg2://...``, and compares the exported
grades with a run on the same submissions with the SQLite gradebook.
"""

from __future__ import annotations

import csv
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.submissions.crafted import dlcourse, make_course, make_variant, sandbox_config, submit

pytestmark = pytest.mark.slow

PG_BIN = Path("/usr/lib/postgresql/15/bin")
KINDS = ["correct", "blank", "partly_wrong", "sys_exit", "os_exit", "corrupted_json",
         "isclose_override", "imports_reference"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def postgres():
    """URL of a fresh database on a private PostgreSQL server."""
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

    run(PG_BIN / "initdb", "-D", data, "-A", "trust", "-U", "postgres")
    run(PG_BIN / "pg_ctl", "-D", data, "-l", log, "-w", "-o",
        f"-c listen_addresses=127.0.0.1 -p {port} -k {sock}", "start")
    try:
        conn = psycopg2.connect(host="127.0.0.1", port=port, user="postgres", dbname="postgres")
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("CREATE DATABASE gradebook")
        conn.close()
        yield f"postgresql+psycopg2://postgres@127.0.0.1:{port}/gradebook"
    finally:
        subprocess.run([*prefix, str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate",
                        "stop"], capture_output=True, cwd=base)
        shutil.rmtree(base, ignore_errors=True)


def _grades(course):
    with open(course / "grading" / "tiny" / "grades.csv") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        row.pop("runtime_s")
    return rows


def _build(root):
    sandbox, _ = sandbox_config()
    course = make_course(root, timeout=10, extra_config=sandbox)
    return course


def test_postgres_gradebook_matches_sqlite(tmp_path, postgres):
    from nbgrader.api import Gradebook

    lite = _build(tmp_path / "sqlite")
    pg = _build(tmp_path / "postgres")
    dlcourse("release", cwd=lite)
    proc = dlcourse("release", "--db", postgres, cwd=pg)
    assert proc.returncode == 0, proc.stderr
    assert not (pg / "gradebook.db").exists()  # everything went to PostgreSQL
    paths = (lite / "exercises/tiny/tiny.ipynb", lite / "solutions/tiny/tiny.ipynb")
    for kind in KINDS:
        text = make_variant(kind, *paths)
        for course in (lite, pg):
            submit(course, "tiny", kind.replace("_", "-"), text)

    dlcourse("grade", "tiny", "--workers", "2", "--no-progress", cwd=lite)
    run = dlcourse("grade", "tiny", "--workers", "2", "--no-progress", "--db", postgres, cwd=pg)
    assert f"{len(KINDS) - 2} graded" in run.stdout and "2 failed" in run.stdout, run.stdout
    assert not (pg / "gradebook.db").exists()

    expected = _grades(lite)
    assert len(expected) == len(KINDS)
    assert _grades(pg) == expected

    # the gradebook itself: same scores, failed submissions absent in both
    scores = {}
    for name, url in (("sqlite", f"sqlite:///{lite / 'gradebook.db'}"), ("pg", postgres)):
        with Gradebook(url) as gb:
            scores[name] = {s.student.id: float(s.score)
                            for s in gb.assignment_submissions("tiny")}
    assert scores["pg"] == scores["sqlite"]
    assert set(scores["pg"]) == {r["student"] for r in expected
                                 if not r["status"].startswith("failed")}
