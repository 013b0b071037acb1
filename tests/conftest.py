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


@pytest.fixture(scope="module")
def postgres_server():
    """A throw-away PostgreSQL server on 127.0.0.1 (own data folder, free port), stopped
    afterwards; yields ``new_database(name) -> SQLAlchemy URL``."""
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

    def new_database(name: str) -> str:
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
    """URL of a fresh database on a private PostgreSQL server."""
    return postgres_server("gradebook")
