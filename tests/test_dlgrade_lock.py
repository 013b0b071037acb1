"""The assignment lock (:mod:`dlgrade.lock`): a grading run and the commands that write what
it reads (collect, release, extend) keep apart; the shards of one batch share it. Two
``open()`` of one file are two holders for ``flock``, so one process shows both sides."""

from __future__ import annotations

import os

import pytest

from dlgrade.course import Course
from dlgrade.lock import Busy, assignment_lock


@pytest.fixture
def course(tmp_path):
    (tmp_path / "nbgrader_config.py").write_text(
        'c = get_config()\nc.CourseDirectory.source_directory = "solutions"\n')
    return Course(tmp_path)


def test_a_writer_and_a_run_exclude_each_other_and_name_the_holder(course):
    with assignment_lock(course, "tiny", "dlcourse grade tiny"):
        with pytest.raises(Busy) as refused:
            with assignment_lock(course, "tiny", "dlcourse collect tiny"):
                pytest.fail("collect ran beside the grade")
        assert str(refused.value).startswith(
            f"another `dlcourse grade tiny` is running on this course (pid {os.getpid()} on ")
        with assignment_lock(course, "other", "dlcourse collect other"):
            pass  # another assignment is free
    with assignment_lock(course, "tiny", "dlcourse collect tiny"):
        with pytest.raises(Busy, match="another `dlcourse collect tiny` is running"):
            with assignment_lock(course, "tiny", "dlcourse grade tiny"):
                pass
    assert (course.output_dir("tiny") / ".grading.lock").read_text() == ""


def test_shards_share_the_lock_and_a_writer_waits_for_all_of_them(course):
    with assignment_lock(course, "tiny", "dlcourse grade tiny --shard 1/2", (1, 2)):
        with assignment_lock(course, "tiny", "dlcourse grade tiny --shard 2/2", (2, 2)):
            with pytest.raises(Busy) as refused:
                with assignment_lock(course, "tiny", "dlcourse collect tiny"):
                    pass
            said = str(refused.value)
            assert "`dlcourse grade tiny --shard 1/2`" in said
            assert "`dlcourse grade tiny --shard 2/2`" in said
        with pytest.raises(Busy, match="--shard 1/2"):  # one shard twice
            with assignment_lock(course, "tiny", "dlcourse grade tiny --shard 1/2", (1, 2)):
                pass
    with assignment_lock(course, "tiny", "dlcourse collect tiny"):
        pass  # all shards done: free


@pytest.mark.slow  # the real `dlcourse` command
def test_an_export_during_a_grading_run_writes_nothing_and_names_the_run(course):
    """Review 23j (23c, 6): `dlcourse export` takes the assignment's lock as `grade` does, so
    an export during a running `grade --force` refuses with the run's pid, nothing written."""
    import nbformat

    from tests.submissions.crafted import dlcourse, tiny_notebook

    (course.root / "solutions/tiny").mkdir(parents=True)
    nbformat.write(tiny_notebook(), str(course.root / "solutions/tiny/tiny.ipynb"))
    out = course.root / "export.csv"
    with assignment_lock(course, "tiny", "dlcourse grade tiny --force"):
        proc = dlcourse("export", "tiny", "--format", "csv", "-o", out, cwd=course.root,
                        check=False)
    assert proc.returncode == 1 and not out.exists(), proc.stdout + proc.stderr
    assert proc.stderr == (
        f"Error: another `dlcourse grade tiny --force` is running on this course (pid "
        f"{os.getpid()} on {os.uname().nodename}); nothing was changed: wait for it to end, or "
        "stop it and run this command again\n"), proc.stderr


@pytest.mark.slow  # the real `dlcourse` command
def test_a_mark_during_a_grading_run_changes_nothing_and_names_the_run(course):
    """Review 23k, finding 7: `dlcourse mark` went through during a `grade --force`, which puts
    back the hand grades it saved before grading a student again; it now takes the lock as
    `extend` does (exit 1, nothing changed), and the refusal names the run as it was started.
    A free lock names no one (an unsigned holder is never guessed to be a plain grade)."""
    import nbformat

    from tests.submissions.crafted import dlcourse, tiny_notebook

    (course.root / "solutions/tiny").mkdir(parents=True)
    nbformat.write(tiny_notebook(), str(course.root / "solutions/tiny/tiny.ipynb"))
    with assignment_lock(course, "tiny", "dlcourse grade tiny --force --student ann"):
        proc = dlcourse("mark", "tiny", "ann", "answer", "1", cwd=course.root, check=False)
    assert (proc.returncode, proc.stdout) == (1, ""), proc.stdout + proc.stderr
    assert proc.stderr == (
        f"Error: another `dlcourse grade tiny --force --student ann` is running on this course "
        f"(pid {os.getpid()} on {os.uname().nodename}); nothing was changed: wait for it to "
        "end, or stop it and run this command again\n"), proc.stderr
    lock = course.output_dir("tiny") / ".grading.lock"
    assert lock.read_text() == ""
    lock.write_text("pid 7 on vm\n")  # taken, not signed yet: its command is unknown
    import fcntl

    with open(lock, "a+") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        with pytest.raises(Busy) as refused:
            with assignment_lock(course, "tiny", "dlcourse collect tiny"):
                pass
    assert str(refused.value).startswith("another dlcourse command of tiny is running on this "
                                         "course (pid 7 on vm)"), refused.value
