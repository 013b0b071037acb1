"""Review 21i finding 1: a judged call that writes junk to every descriptor (3-199) wedges the
kernel's shell channel, and the judge's next request to it must not wait without end.

``judged-fds``'s ``sigmoid`` writes to every descriptor when the judge calls it, then returns a
correct value. Before the fix the judge's next *send* (the request that closes the test cell)
blocked in ZeroMQ with no time limit: plain ``nbgrader autograde`` hung for good and ``dlcourse
grade`` held the worker for the whole per-submission deadline. Now every send to a kernel is
bounded by the cell's budget and a send that cannot go out fails that notebook with a plain
reason (tests/test_dlgrade_kernel_channels.py holds that send alone); ``correct``, graded in
the same batch, keeps its full points. Both runs are given a wall-clock limit far under the old
behaviour, so the old code fails the test instead of hanging.
"""

from __future__ import annotations

import json
import re
import subprocess

import nbformat
import pytest

from dlgrade.course import run_nbgrader
from tests.submissions.crafted import (
    dlcourse,
    make_course,
    make_variant,
    project_config,
    sandbox_config,
    submit,
)

pytestmark = pytest.mark.slow

SANDBOX, NO_SANDBOX = sandbox_config()
TIMEOUT = 4
#: seconds a whole run may take here: the old code waits out a per-submission deadline
#: (dlcourse grade) or forever (nbgrader)
RUN_LIMIT = 150

JUDGED_FDS = """
import os

import numpy as np


def sigmoid(t):
    for fd in range(3, 200):
        try:
            os.write(fd, b"\\x00garbage" * 1000)
        except OSError:
            pass
    return 1.0 / (1.0 + np.exp(-np.asarray(t, dtype=float)))
"""

#: the plain reasons of a kernel that wrecked its channels: the judge's request could not be
#: sent, or (whichever the grader sees first: the junk reaches every connection) a link dropped
REASON = re.compile(r"stopped taking messages from the grader|"
                    r"broke its [\w ()]+ connection to the grader")


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    if NO_SANDBOX is not None:
        pytest.skip(f"judged-fds runs only inside the kernel sandbox ({NO_SANDBOX})")
    root = make_course(tmp_path_factory.mktemp("send-bounds") / "course", timeout=TIMEOUT,
                       extra_config=project_config(keep_cell_timeout=False))
    run_nbgrader(root, "generate_assignment", "tiny", "--force", "--log-level=WARN")
    release = root / "exercises" / "tiny" / "tiny.ipynb"
    source = root / "solutions" / "tiny" / "tiny.ipynb"
    submit(root, "tiny", "correct", make_variant("correct", release, source))
    nb = nbformat.reads(make_variant("correct", release, source), as_version=4)
    first = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution"))
    first.source = JUDGED_FDS
    submit(root, "tiny", "judged-fds", nbformat.writes(nb))
    return root


def test_dlcourse_grade_fails_the_wedged_kernel_with_a_reason(course):
    try:
        dlcourse("grade", "tiny", "--workers", "1", "--no-progress", "--force", cwd=course,
                 timeout=RUN_LIMIT)
    except subprocess.TimeoutExpired:
        pytest.fail(f"dlcourse grade did not finish within {RUN_LIMIT} s")
    statuses = {p.stem: json.loads(p.read_text())
                for p in (course / "grading" / "tiny" / "status").glob("*.json")}
    assert statuses["correct"]["status"] == "graded", statuses["correct"]
    assert statuses["correct"]["score"] == 5, statuses["correct"]
    row = statuses["judged-fds"]
    assert row["status"] == "failed", row
    assert REASON.search(row.get("reason", "")), row


def test_plain_nbgrader_stops_the_wedged_notebook_and_grades_the_other(course):
    from nbgrader.api import Gradebook

    try:
        proc = run_nbgrader(course, "autograde", "tiny", "--force", check=False,
                            timeout=RUN_LIMIT)
    except subprocess.TimeoutExpired:
        pytest.fail(f"nbgrader autograde did not finish within {RUN_LIMIT} s")
    log = proc.stdout + proc.stderr
    assert any(REASON.search(line) for line in log.splitlines() if "GradingStopped" in line), \
        log[-4000:]
    assert not (course / "autograded" / "judged-fds" / "tiny" / "tiny.ipynb").exists()
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        scores = {s.student.id: float(s.score) for s in gb.assignment_submissions("tiny")}
    assert scores.get("correct") == 5, scores
