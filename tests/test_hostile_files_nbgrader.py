"""The batch of tests/test_hostile_files.py through plain ``nbgrader autograde`` and
``nbgrader generate_feedback`` with the repository's nbgrader_config.py (issue 21, item 1).

nbgrader copies the submission folder into autograded/ and that into feedback/ with
``shutil.copy`` (links followed, pipes opened); the project's config cleans each folder first
(``pre_convert_hook``), refuses to run code beside anything left (a sanitize step) and keeps
feedback/ to the rendered pages.
"""

from __future__ import annotations

import os

import pytest

from tests.submissions.crafted import grade_with_plain_nbgrader, make_course, project_config
from tests.submissions.hostile_files import (
    DATA_TEXT,
    REFUSED,
    SECRET_ENV,
    SECRET_VALUE,
    STUDENTS,
    file_names,
    hand_in,
    leaks_in,
    printed,
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    course = make_course(tmp_path_factory.mktemp("hostile-files-nbgrader") / "course",
                         extra_config=project_config())
    env = {**os.environ, SECRET_ENV: SECRET_VALUE, "DLCOURSE_SANDBOX_MEMORY": "1G"}
    return {"course": course, **grade_with_plain_nbgrader(course, hand_in, env)}


@pytest.mark.parametrize("student", sorted(REFUSED))
def test_log_names_each_refused_file_and_why(graded, student):
    name, why = REFUSED[student]
    # a link or a pipe (no data of its own) is removed; a file that holds data stays in
    # submitted/ and is only not copied (review 21g, DEL)
    done = "Not copied" if student in ("oversized", "hard-link") else "Removed"
    lines = [ln for ln in graded["log"].splitlines() if f"{done} " in ln
             and f"/{student}/tiny/{name}:" in ln]
    assert lines and why in lines[0], graded["log"][-3000:]


@pytest.mark.parametrize("student", [
    s for s in ("links-solutions", "links-environ", "hard-link", "fifo", "oversized",
                "honest-data") if s in STUDENTS])
def test_each_submission_is_graded_from_its_own_files(graded, student):
    course = graded["course"]
    assert graded["scores"][student] == 5.0, graded["scores"]
    folder = course / "autograded" / student / "tiny"
    expected = ["data.csv", "tiny.ipynb"] if student == "honest-data" else ["tiny.ipynb"]
    assert sorted(p.name for p in folder.iterdir() if p.name != "timestamp.txt") == expected
    shown = printed(folder / "tiny.ipynb")
    if student == "honest-data":
        assert file_names(shown) == {"data.csv"} and DATA_TEXT in shown
    else:
        assert file_names(shown) == set(), shown[:500]


def test_a_linked_notebook_is_not_graded_as_the_solutions(graded):
    assert graded["scores"].get("links-notebook", 0.0) == 0.0, graded["scores"]
    assert not (graded["course"] / "autograded" / "links-notebook" / "tiny" /
                "tiny.ipynb").exists()


def test_no_secret_and_no_solution_in_autograded_or_feedback(graded):
    course = graded["course"]
    for folder in ("autograded", "feedback"):
        assert leaks_in(course / folder) == [], folder


def test_feedback_folders_hold_the_rendered_page_only(graded):
    course = graded["course"]
    folders = sorted((course / "feedback").glob("*/tiny"))
    assert {f.parent.name for f in folders} >= {"honest-data", "links-solutions", "fifo"}
    for folder in folders:
        assert sorted(p.name for p in folder.iterdir()) == ["tiny.html"], folder


def test_the_targets_of_the_links_are_untouched(graded):
    source = graded["course"] / "solutions" / "tiny" / "tiny.ipynb"
    # a student's hard link holds data and stays (not copied); a symbolic link's name goes
    assert source.is_file() and os.lstat(source).st_nlink == 1 + ("hard-link" in STUDENTS)
    assert SECRET_VALUE not in source.read_text()


def test_a_refused_file_that_holds_data_stays_in_submitted(graded):
    """Review 21g, DEL: the 6 MB file is not copied, and not deleted either."""
    big = graded["course"] / "submitted" / "oversized" / "tiny" / "big.csv"
    assert big.is_file() and big.stat().st_size == 6 << 20
    assert not (graded["course"] / "autograded" / "oversized" / "tiny" / "big.csv").exists()
