"""Grading into a real PostgreSQL gradebook gives the same grades as the SQLite default.

Starts a throw-away PostgreSQL 15 server from Debian's packages (own data folder, free port
on 127.0.0.1, stopped in a finalizer), releases and grades a small batch into it with
``dlcourse grade --workers 2 --db postgresql+psycopg2://...``, and compares the exported
grades with a run on the same submissions with the SQLite gradebook.
"""

from __future__ import annotations

import csv

import pytest

from tests.submissions.crafted import dlcourse, make_course, make_variant, sandbox_config, submit

pytestmark = pytest.mark.slow

KINDS = ["correct", "blank", "partly_wrong", "sys_exit", "os_exit", "corrupted_json",
         "isclose_override", "imports_reference"]


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
