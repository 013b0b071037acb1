"""dlgrade.release: ``dlcourse release`` is nbgrader's generate_assignment (no kernel runs): the
student's copy without the solution, the gradebook entries, and a named error before anything
is written when an assignment has no source notebook."""

from __future__ import annotations

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from dlgrade.course import CONFIG_NAME, Course
from dlgrade.release import release

CONFIG = 'c = get_config()\nc.CourseDirectory.source_directory = "solutions"\n'


def _source(course_root, name):
    cells = [
        new_code_cell("def f(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION\n",
                      metadata={"nbgrader": {"grade_id": "f", "solution": True, "grade": False,
                                             "locked": False, "schema_version": 3}}),
        new_code_cell("assert f(1) == 2\n",
                      metadata={"nbgrader": {"grade_id": "test_f", "solution": False,
                                             "grade": True, "points": 2, "locked": True,
                                             "schema_version": 3}}),
    ]
    folder = course_root / "solutions" / name
    folder.mkdir(parents=True)
    nbformat.write(new_notebook(cells=cells), str(folder / f"{name}.ipynb"))


@pytest.fixture
def course(tmp_path):
    (tmp_path / CONFIG_NAME).write_text(CONFIG)
    _source(tmp_path, "a1")
    _source(tmp_path, "a2")
    return Course(tmp_path)


def test_an_unknown_assignment_is_named_before_anything_is_written(course, tmp_path):
    with pytest.raises(ValueError, match=r"assignment: got 'a9', expected one of a1, a2"):
        release(course, ["a1", "a9"])
    assert not (tmp_path / "release").exists()
    assert not (tmp_path / "gradebook.db").exists()


@pytest.mark.slow  # nbgrader's generate_assignment, twice (no kernel)
def test_release_writes_the_students_copy_and_the_gradebook(course, tmp_path, monkeypatch):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # nbgrader works in the course folder; the caller's cwd stays
    results = release(course, ["a1"])
    assert list(results) == ["a1"] and results["a1"]["success"], results
    released = nbformat.read(tmp_path / "release" / "a1" / "a1.ipynb", as_version=4)
    assert "return 2 * x" not in released.cells[0].source  # the solution is out
    assert "BEGIN SOLUTION" not in released.cells[0].source
    assert released.cells[1].source == "assert f(1) == 2\n"
    assert not (tmp_path / "release" / "a2").exists()  # only what was asked for
    assert elsewhere.samefile(".")
    with course.gradebook() as gb:
        assert [a.name for a in gb.assignments] == ["a1"]
        assert float(gb.find_assignment("a1").max_score) == 2.0
    # no names: every assignment with a source notebook, released again with --force
    assert sorted(release(course)) == ["a1", "a2"]
    with course.gradebook() as gb:
        assert sorted(a.name for a in gb.assignments) == ["a1", "a2"]
