"""Issue 21 items 3 and 6: a kernel cannot exhaust the grader's memory or hold its worker.

The attacks of the issue, each in the tiny assignment's first solution cell:

* ``judged-buffers``: ``sigmoid``, when the judge calls it, sends the judge's stdin channel one
  message whose 560 parts all point at one 8 MB buffer (``session.send(..., buffers=[mv] * 560)``:
  4.4 GB for whoever receives it, 8 MB for the kernel), then waits 3 s for it to arrive (a
  message still in flight when the notebook ends is never received, and costs nothing);
* ``output-buffers``: the same message on the output (IOPub) channel, from the cell itself;
* ``many-parts``: 100 small parts on the output channel (under any memory cap);
* ``big-part``: one 300 MB part on the output channel;
* ``floods-fds``: a line written to every file descriptor from 3 to 199 (the kernel's own
  ZeroMQ sockets among them);
* ``stops-replying``: the kernel's ``execute_request`` handler replaced by one that never
  answers, so every later cell (and every judged call) would wait its whole timeout.

Each must fail that student with the reason (never the batch, never the grader's memory), and
a kernel that stops answering must be given up after one cell timeout and one probe, not one
timeout per cell left. ``correct`` and ``infinite-loop`` (a cell interrupted at its timeout,
whose kernel answers again) are graded as before. Run through ``dlcourse grade`` (real Dask,
sandbox on where available, the grading child capped at ``DLCOURSE_GRADER_MEMORY=1G``) and
through plain ``nbgrader autograde`` with the project's config.
"""

from __future__ import annotations

import json
import re
import textwrap

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
TIMEOUT = 5
CAP = "1G"

_SEND = """
import time

import numpy as np
from ipykernel.kernelapp import IPKernelApp


def _send(where, parts, size):
    k = IPKernelApp.instance().kernel
    view = memoryview(bytearray(size))
    parent = k.get_parent("shell")
    if where == "stdin":
        k.session.send(k.stdin_socket, "input_request", {{"prompt": "", "password": False}},
                       parent=parent, ident=k._parent_ident["shell"], buffers=[view] * parts)
    else:
        k.session.send(k.iopub_socket, "stream", {{"name": "stdout", "text": "hi"}},
                       parent=parent, buffers=[view] * parts)
"""

SIGMOID = """
def sigmoid(t):
    return 1.0 / (1.0 + np.exp(-np.asarray(t, dtype=float)))
"""

#: student -> first solution cell
ATTACKS = {
    "judged-buffers": _SEND.format() + """
def sigmoid(t):
    _send("stdin", 560, 8 << 20)
    time.sleep(3)  # the grader receives it while the judge waits for this call
    return 1.0 / (1.0 + np.exp(-np.asarray(t, dtype=float)))
""",
    "output-buffers": _SEND.format() + SIGMOID + "\n_send('iopub', 560, 8 << 20)\n",
    "many-parts": _SEND.format() + SIGMOID + "\n_send('iopub', 100, 1000)\n",
    "big-part": _SEND.format() + SIGMOID + "\n_send('iopub', 1, 300 << 20)\n",
    "floods-fds": SIGMOID + """
import os
for _fd in range(3, 200):
    try:
        os.write(_fd, b"[AutogradeApp] ERROR forged\\n")
    except OSError:
        pass
""",
    "stops-replying": SIGMOID + """
from ipykernel.kernelapp import IPKernelApp
IPKernelApp.instance().kernel.shell_handlers["execute_request"] = lambda *args, **kwargs: None
""",
}

#: student -> (status, score or None, words the reason must hold)
EXPECTED = {
    "correct": ("graded", 5, ()),
    "infinite-loop": ("needs manual grading", 2, ("timed out",)),
    "judged-buffers": ("failed", None, ("broke its stdin connection", "memory cap")),
    "output-buffers": ("failed", None, ("broke its output (IOPub) connection", "memory cap")),
    "many-parts": ("failed", None, ("message of 106 parts", "at most 16")),
    "big-part": ("failed", None, ("part over 129 MB",)),
    "floods-fds": ("failed", None, ("connection to the grader",)),
    "stops-replying": ("failed", None, ("stopped answering", "cell(s) after it were not run")),
}


def _variant(student, release, source) -> str:
    if student in ("correct", "infinite-loop"):
        return make_variant(student.replace("-", "_"), release, source)
    nb = nbformat.reads(make_variant("correct", release, source), as_version=4)
    first = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution"))
    first.source = textwrap.dedent(ATTACKS[student])
    return nbformat.writes(nb)


def _course(root, config: str):
    course = make_course(root, timeout=TIMEOUT, extra_config=config)
    run_nbgrader(course, "generate_assignment", "tiny", "--force", "--log-level=WARN")
    release = course / "exercises" / "tiny" / "tiny.ipynb"
    source = course / "solutions" / "tiny" / "tiny.ipynb"
    for student in EXPECTED:
        if student == "floods-fds" and NO_SANDBOX is not None:
            continue  # without the sandbox it writes into the grader's own descriptors
        submit(course, "tiny", student, _variant(student, release, source))
    return course


ENV = {"DLCOURSE_GRADER_MEMORY": CAP, "DLCOURSE_SANDBOX_MEMORY": "2G"}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The batch through ``dlcourse grade --workers 2``."""
    course = _course(tmp_path_factory.mktemp("bounds") / "course", SANDBOX)
    run = dlcourse("grade", "tiny", "--workers", "2", "--no-progress", cwd=course, env=ENV)
    statuses = {p.stem: json.loads(p.read_text())
                for p in (course / "grading" / "tiny" / "status").glob("*.json")}
    logs = "\n".join(p.read_text(errors="replace")
                     for p in (course / "grading" / "tiny" / "logs").glob("*.log"))
    return {"course": course, "run": run, "statuses": statuses, "logs": logs}


def _students(graded) -> list[str]:
    return sorted(graded["statuses"])


@pytest.mark.parametrize("student", sorted(EXPECTED))
def test_dlcourse_grade_fails_only_the_student_out_of_bounds(graded, student):
    if student not in graded["statuses"]:
        pytest.skip(f"{student} runs only inside the kernel sandbox ({NO_SANDBOX})")
    row = graded["statuses"][student]
    status, score, words = EXPECTED[student]
    assert row["status"] == status, row
    reason = row.get("reason", "")
    assert all(w in reason for w in words), row
    if score is not None:
        assert row["score"] == score, row


def test_the_grading_child_stays_under_its_memory_cap(graded):
    """The 560 x 8 MB messages took 3.6 GB of the grading process before; each student's peak
    (``ru_maxrss`` of the grading child, reset per student) now stays under the 1 GB cap
    plus what the process held before it."""
    peaks = {m[1]: float(m[2]) for m in re.finditer(
        r"=== peak memory of the grading process for (\S+): (\d+) MB", graded["logs"])}
    assert set(peaks) >= {"judged-buffers", "output-buffers", "correct"}, peaks
    for student in ("judged-buffers", "output-buffers"):
        assert peaks[student] < 1024 + 600, peaks
    assert "memory cap of this grading process" in graded["logs"]


def test_a_stalled_kernel_is_given_up_after_one_timeout(graded):
    """stops-replying waits one cell timeout and one probe: no later cell is waited for."""
    reason = graded["statuses"]["stops-replying"]["reason"]
    assert re.search(r"cell \S+ timed out .* the [1-9]\d* code cell\(s\) after it were not run",
                     reason), reason


@pytest.fixture(scope="module")
def autograded(tmp_path_factory):
    """The same batch through plain ``nbgrader autograde`` with the project's config."""
    course = _course(tmp_path_factory.mktemp("bounds-nbgrader") / "course",
                     project_config(keep_cell_timeout=False))  # make_course's TIMEOUT holds
    proc = run_nbgrader(course, "autograde", "tiny", "--force", check=False, env=ENV)
    (course / "autograde.log").write_text(proc.stdout + proc.stderr)
    return {"course": course, "log": proc.stdout + proc.stderr}


def _nbgrader_section(log: str, student: str) -> str:
    """What nbgrader logged while it autograded ``student`` (its log names each student as it
    starts it), for a failure message that shows that student's own traceback."""
    parts = re.split(r"(?m)^(?=\[AutogradeApp \| INFO\] Creating/updating student with ID ')",
                     log)
    return "\n".join(p for p in parts if p.startswith(
        f"[AutogradeApp | INFO] Creating/updating student with ID '{student}'"))


@pytest.mark.parametrize("student", ["judged-buffers", "output-buffers", "many-parts",
                                     "big-part", "stops-replying"])
def test_plain_nbgrader_stops_the_notebook_out_of_bounds(autograded, student):
    course = autograded["course"]
    assert not (course / "autograded" / student / "tiny" / "tiny.ipynb").exists(), \
        "a notebook out of bounds was graded"
    words = EXPECTED[student][2]
    section = _nbgrader_section(autograded["log"], student)
    assert section, autograded["log"][-3000:]
    assert any(all(w in line for w in words)
               for line in section.splitlines() if "GradingStopped" in line), section[-4000:]


def test_plain_nbgrader_grades_the_others(autograded):
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{autograded['course'] / 'gradebook.db'}") as gb:
        scores = {s.student.id: float(s.score) for s in gb.assignment_submissions("tiny")}
    assert scores.get("correct") == 5 and scores.get("infinite-loop") == 2, scores
