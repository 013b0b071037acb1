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
