"""What the commands around a grading run do while it runs, and what a Ctrl-C leaves behind
(review 23c, F9 and N2), through the real ``dlcourse`` command on a real scratch course:

* ``collect``, ``release`` and ``extend`` write what a ``grade`` reads: while a real
  ``dlcourse grade`` holds the assignment's lock they refuse, naming its pid, and change
  nothing, so the next plain run finds nothing to grade again;
* Ctrl-C in the first seconds of ``dlcourse grade`` (its modules still loading) ends with one
  line and exit status 130, never click's ``Aborted!`` and 1, the status of "locked".
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from dlgrade.course import make_course as make_dlgrade_course
from dlgrade.course import tools_env
from tests.submissions.crafted import TINY_CONFIG, dlcourse, submit
from tests.test_term import WRITTEN, answered, course_notebook, grade, rows

pytestmark = pytest.mark.slow


def small_course(course_dir, name: str) -> Path:
    course = make_dlgrade_course(Path(course_dir) / name, TINY_CONFIG.format(timeout=20,
                                                                             extra=""),
                                 {"tiny": course_notebook()})
    roster = Path(course_dir) / f"{name}-roster.csv"
    roster.write_text("id,first_name,last_name,email\nann,Ann,A,\nbob,Bob,B,\n")
    dlcourse("roster", "import", roster, cwd=course)
    dlcourse("release", "tiny", cwd=course)
    return course


def start(course: Path, *args) -> subprocess.Popen:
    """``dlcourse ARGS`` in a session of its own (a terminal's Ctrl-C reaches its group), with
    SIGINT's default action whatever this test run inherited: a run started in the background
    of a non-interactive shell ignores SIGINT, and so would every ``dlcourse`` it starts."""
    return subprocess.Popen([str(Path(sys.executable).parent / "dlcourse"), *args],
                            cwd=course, env=tools_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True,
                            preexec_fn=_interruptible)


def _interruptible() -> None:
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)


def wait_until(proc: subprocess.Popen, ready, what: str) -> None:
    deadline = time.monotonic() + 300
    while not ready():
        assert proc.poll() is None, f"the run ended before {what}: {proc.communicate()}"
        assert time.monotonic() < deadline, f"no {what} within 300 s"
        time.sleep(0.02)


@contextlib.contextmanager
def reaped(proc: subprocess.Popen):
    """``proc``'s session is killed on the way out of the block, however it ends (a failed
    check leaves no stopped run behind)."""
    try:
        yield proc
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)


def test_collect_release_and_extend_wait_for_a_running_grade(course_dir, tmp_path):
    """A real ``dlcourse grade`` is held (SIGSTOP) once it holds the lock; meanwhile a
    collect of ann's changed file, a release with a new due date and an extension are each
    refused with exit 1, naming the grade's pid, and change nothing, so the next plain run
    grades nothing again. After the run the same collect copies the file, and the next run
    grades it, keeping ann's hand grade (her answer differs by a final newline only); bob's
    two notebooks are not collected, and the Moodle export tells him so in
    words for him."""
    course = small_course(course_dir, "lock")
    release = nbformat.read(course / "exercises/tiny/tiny.ipynb", as_version=4)
    submit(course, "tiny", "ann", answered(release, "An answer."))
    download = tmp_path / "download"
    (download / "ann").mkdir(parents=True)
    # ann's editor saves the same answer with a newline at the end (review 23c, F6)
    (download / "ann" / "tiny.ipynb").write_text(answered(release, "An answer.\n"))
    submitted = course / "submitted/ann/tiny/tiny.ipynb"
    before = submitted.read_bytes()

    lock = course / "grading/tiny/.grading.lock"
    with reaped(start(course, "grade", "tiny", "--no-progress")) as proc:
        wait_until(proc, lambda: lock.exists() and "dlcourse grade tiny" in lock.read_text(),
                   "the lock")
        os.kill(proc.pid, signal.SIGSTOP)  # it holds the lock for as long as we need
        holder = f"another `dlcourse grade tiny` is running on this course (pid {proc.pid} on "
        for args in (["collect", "tiny", download],
                     ["release", "tiny", "--due", "2026-12-09 12:00", "--timezone", "UTC"],
                     ["extend", "tiny", "ann", "--hours", "5"]):
            refused = dlcourse(*args, cwd=course, check=False)
            assert refused.returncode == 1, refused.stdout + refused.stderr
            assert holder in refused.stderr and "nothing was changed" in refused.stderr, \
                refused.stderr
        assert submitted.read_bytes() == before
        os.kill(proc.pid, signal.SIGCONT)
        out, err = proc.communicate(timeout=600)
    assert proc.returncode == 2, out + err  # the written answer waits for a hand grade
    assert "1 graded" in out and lock.read_text() == "", out  # a free lock names no one
    dlcourse("mark", "tiny", "ann", WRITTEN, "1", cwd=course)

    # nothing changed behind the run's back: the next plain run has nothing to grade
    assert "0 graded" in grade(course).stdout
    # bob hands in two notebooks: not collected, and told so in words meant for him
    (download / "bob").mkdir()
    (download / "bob" / "tiny.ipynb").write_text(answered(release, "One."))
    (download / "bob_tiny.ipynb").write_text(answered(release, "Two."))
    collected = dlcourse("collect", "tiny", download, cwd=course, check=False)
    assert collected.returncode == 1 and "1 changed" in collected.stdout, collected.stdout
    regraded = grade(course)
    assert "1 graded" in regraded.stdout and "dropped" not in regraded.stdout, regraded.stdout
    # the same answer but for the newline: the hand grade is kept
    assert (rows(course)["ann"]["status"], rows(course)["ann"]["score"]) == ("graded", "6")
    assert rows(course)["bob"]["status"] == "not collected"
    # no due date: an extension is refused (nbgrader's autograde failed on it); a due date
    # set later counts at once (below)
    refused = dlcourse("extend", "tiny", "ann", "--hours", "5", cwd=course)
    assert refused.returncode == 2 and "tiny has no due date" in refused.stderr, refused.stderr
    # a due date set later counts at once: ann's late penalty is re-applied by the release
    # itself (review 23h, finding 1), so the next run has nothing to grade again for it
    released = dlcourse("release", "tiny", "--due", "2030-01-01 12:00", "--timezone", "UTC",
                        cwd=course)
    assert "ann: late penalty re-applied: tiny" in released.stdout, released.stdout
    moved = grade(course)
    assert "0 graded" in moved.stdout and "ann: failed" not in moved.stdout, moved.stdout

    # the written answer is re-weighted from 1 point to 2: ann's hand grade is kept, and her
    # line says so; the run says why it graded her again (review 23c, N4 and F6)
    source = course / "solutions/tiny/tiny.ipynb"
    nb = nbformat.read(source, as_version=4)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == WRITTEN:
            cell.metadata["nbgrader"]["points"] = 2
    nbformat.write(nb, source)
    dlcourse("release", "tiny", cwd=course)
    reweighted = grade(course)
    failure = course / "grading/tiny/logs/ann.failure.txt"
    assert "ann: failed" not in reweighted.stdout, failure.read_text()[-3000:]
    assert "tiny: the assignment's notebooks changed: 1 graded before graded again (ann)" in \
        reweighted.stdout, reweighted.stdout
    assert f"hand grade of {WRITTEN} (1 of 1) kept as 1 of 2: the cell's points changed; " \
        "check it" in reweighted.stdout, reweighted.stdout
    assert (rows(course)["ann"]["score"], rows(course)["ann"]["max_score"]) == ("6", "7")
    assert "delete all but the one to grade" in rows(course)["bob"]["reason"]

    # review 23c, N3: the LMS shows the student what happened, not the instructor's remedy
    # or the download's paths (Canvas's import has no feedback column at all)
    moodle = dlcourse("export", "tiny", "--format", "moodle", "-o", "-", cwd=course)
    feedback = {r["ID number"]: r["Feedback"] for r in csv.DictReader(io.StringIO(
        moodle.stdout))}
    assert feedback["bob"] == ("not graded yet: 2 files were handed in (bob_tiny.ipynb, "
                               "tiny.ipynb) where one was expected"), moodle.stdout


def _maps(pid: int) -> str:
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/maps").read_text()
    return ""


def test_ctrl_c_while_grade_loads_is_one_line_and_130(course_dir):
    """SIGINT to the process group (a terminal's Ctrl-C) while ``dlcourse grade`` loads
    Dask's modules (msgpack's extension is mapped; the course is not read yet) ends with exit
    130 and the one line "interrupted before grading began; nothing was changed", and no
    status record is written. (Before, click caught it: ``Aborted!`` and exit 1.)"""
    course = small_course(course_dir, "early")
    release = nbformat.read(course / "exercises/tiny/tiny.ipynb", as_version=4)
    submit(course, "tiny", "ann", answered(release, "An answer."))
    with reaped(start(course, "grade", "tiny", "--no-progress")) as proc:
        wait_until(proc, lambda: "_cmsgpack" in _maps(proc.pid), "Dask loading")
        os.killpg(proc.pid, signal.SIGINT)
        out, err = proc.communicate(timeout=300)
    assert proc.returncode == 130, out + err
    assert err == "tiny: interrupted before grading began; nothing was changed\n", err
    assert not (course / "grading/tiny/status").exists()

    # a typing slip in --student is named as one (review 23c, F6), and nothing is graded
    typo = dlcourse("grade", "tiny", "--student", "anm", cwd=course, check=False)
    assert typo.returncode == 2, typo.stdout + typo.stderr
    assert "Error: student: 'anm' has no submission of tiny: did you mean 'ann'?" in \
        typo.stderr, typo.stderr
    assert not (course / "grading/tiny/status").exists()


def test_mark_waits_for_a_force_run_which_the_refusal_names_as_started(course_dir):
    """Review 23k, finding 7: `mark` went through while a `dlcourse grade tiny --force` held the
    assignment (exit 0), though the run puts back the hand grades it saved before grading a
    student again, and the lock's refusals called every run `dlcourse grade tiny`. A real
    `dlcourse grade tiny --force --student ann` is held (SIGSTOP) once it holds the lock: a
    `mark` is refused with exit 1, naming that command, its pid and host, and changes nothing;
    `extend` and `collect --revert` too; after the run the same mark goes in."""
    course = small_course(course_dir, "markwait")
    release = nbformat.read(course / "exercises/tiny/tiny.ipynb", as_version=4)
    submit(course, "tiny", "ann", answered(release, "An answer."))
    assert grade(course).returncode == 2  # the written answer waits
    dlcourse("mark", "tiny", "ann", WRITTEN, "1", cwd=course)
    before = rows(course)["ann"]
    assert (before["score"], before["status"]) == ("6", "graded"), before

    lock = course / "grading/tiny/.grading.lock"
    started = "dlcourse grade tiny --force --student ann"
    with reaped(start(course, "grade", "tiny", "--force", "--student", "ann",
                      "--no-progress")) as proc:
        wait_until(proc, lambda: lock.exists() and started in lock.read_text(), "the lock")
        os.kill(proc.pid, signal.SIGSTOP)
        holder = (f"Error: another `{started}` is running on this course (pid {proc.pid} on "
                  f"{os.uname().nodename}); nothing was changed: wait for it to end, or stop "
                  "it and run this command again\n")
        for args in (["mark", "tiny", "ann", WRITTEN, "0"],
                     ["mark", "tiny", "ann", "--reviewed"],
                     ["extend", "tiny", "ann", "--hours", "5"],
                     ["collect", "tiny", "--revert", "ann"]):
            refused = dlcourse(*args, cwd=course, check=False)
            assert (refused.returncode, refused.stdout, refused.stderr) == (1, "", holder), \
                (args, refused.stdout, refused.stderr)
        os.kill(proc.pid, signal.SIGCONT)
        out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, out + err
    assert (rows(course)["ann"]["score"], rows(course)["ann"]["status"]) == ("6", "graded")
    marked = dlcourse("mark", "tiny", "ann", WRITTEN, "0", cwd=course)
    assert marked.stdout == f"ann: {WRITTEN} 0; tiny 5/6, graded\n", marked.stdout
