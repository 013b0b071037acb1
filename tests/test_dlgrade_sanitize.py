"""dlgrade.sanitize without a grading run: :class:`RestoreTestCells` on notebooks built in the
test, against a real SQLite gradebook holding the assignment's cells (as ``nbgrader
generate_assignment`` records them). Each tampering a student could do to a locked cell is put
back, the student's own answers are kept, and every change is named."""

from __future__ import annotations

import copy

import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from dlgrade.sanitize import SANITIZE_PREPROCESSORS, RestoreTestCells

pytestmark = pytest.mark.slow  # a real SQLite gradebook (the empty one is made once per process)

TEST_SOURCE = ("assert f(1) == 2\n"
               "### BEGIN HIDDEN TESTS\n"
               "assert f(3) == 6\n"
               "### END HIDDEN TESTS\n")
RELEASED_TEST = "assert f(1) == 2\n"  # what the student's copy shows of the test


def _meta(grade_id, *, grade=False, solution=False, locked=False, points=None):
    meta = {"grade_id": grade_id, "grade": grade, "solution": solution, "locked": locked,
            "schema_version": 3}
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def _submission():
    """An untouched submission: intro (locked markdown), f (the answer), test_f (3 points)."""
    return new_notebook(cells=[
        new_markdown_cell("Write f.", metadata=_meta("intro", locked=True)),
        new_code_cell("def f(x):\n    return x + x\n", metadata=_meta("f", solution=True)),
        new_code_cell(RELEASED_TEST, metadata=_meta("test_f", grade=True, locked=True,
                                                    points=3.0)),
    ])


@pytest.fixture
def restore(tmp_path, empty_gradebook):
    """``restore(nb) -> (nb, restored)`` through RestoreTestCells with this gradebook."""
    from nbgrader.api import Gradebook

    url = f"sqlite:///{empty_gradebook(tmp_path)}"
    with Gradebook(url) as gb:
        gb.add_assignment("a1")
        gb.add_notebook("nb", "a1")
        gb.add_source_cell("intro", "nb", "a1", cell_type="markdown", locked=True,
                           source="Write f.")
        gb.add_source_cell("f", "nb", "a1", cell_type="code", locked=False,
                           source="def f(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n"
                                  "    ### END SOLUTION\n")
        gb.add_solution_cell("f", "nb", "a1")
        gb.add_source_cell("test_f", "nb", "a1", cell_type="code", locked=True,
                           source=TEST_SOURCE)
        gb.add_grade_cell("test_f", "nb", "a1", max_score=3, cell_type="code")

    def run(nb, notebook="nb"):
        resources = {"nbgrader": {"db_url": url, "notebook": notebook, "assignment": "a1"}}
        nb, resources = RestoreTestCells().preprocess(nb, resources)
        return nb, resources["dlcourse_restored"]

    return run


def test_an_untouched_submission_is_left_as_it_is(restore):
    nb = _submission()
    out, restored = restore(copy.deepcopy(nb))
    assert restored == []
    assert out == nb  # the released test shows no hidden lines: that is not an edit


def test_a_test_marked_ungraded_is_graded_again(restore):
    nb = _submission()
    nb.cells[2].metadata.nbgrader.update(grade=False, points=0)
    nb.cells[2].outputs = [new_output("stream", name="stdout", text="all good")]
    out, restored = restore(nb)
    assert restored == [("test_f", "restored grade, points")]
    assert out.cells[2].metadata.nbgrader == {"grade": True, "solution": False, "locked": True,
                                              "grade_id": "test_f", "schema_version": 3,
                                              "points": 3.0}
    assert out.cells[2].outputs == []  # a forged output does not survive


def test_an_edited_or_retyped_test_gets_its_source_and_type_back(restore):
    nb = _submission()
    nb.cells[2].source = "pass  # the test was here"
    out, restored = restore(nb)
    assert restored == [("test_f", "restored source")]
    assert out.cells[2].source == TEST_SOURCE  # with the hidden tests, to be graded
    nb = _submission()
    nb.cells[2] = new_markdown_cell(RELEASED_TEST, metadata=nb.cells[2].metadata)
    out, restored = restore(nb)
    assert restored == [("test_f", "restored cell_type")]
    assert out.cells[2].cell_type == "code" and out.cells[2].execution_count is None


def test_an_answer_keeps_its_code_and_loses_forged_metadata(restore):
    nb = _submission()
    nb.cells[1].metadata.nbgrader.update(grade=True, points=100, locked=True)
    out, restored = restore(nb)
    assert restored == [("f", "restored grade, locked")]
    assert out.cells[1].source == "def f(x):\n    return x + x\n"  # the student's, not ours
    assert out.cells[1].metadata.nbgrader["solution"] is True
    assert "points" not in out.cells[1].metadata.nbgrader


def test_unknown_and_duplicate_ids_become_ordinary_cells(restore):
    nb = _submission()
    nb.cells.append(new_code_cell("x = 1", metadata=_meta("bonus", grade=True, points=50)))
    nb.cells.insert(2, new_code_cell("assert True", metadata=_meta("test_f", grade=True,
                                                                   locked=True, points=3.0)))
    out, restored = restore(nb)
    assert restored == [("test_f", "duplicate cell id"), ("bonus", "unknown cell id")]
    assert out.cells[2].metadata.nbgrader == {}  # the first copy: nbgrader keeps the last
    assert out.cells[3].metadata.nbgrader["grade_id"] == "test_f"
    assert out.cells[4].metadata.nbgrader == {}


def test_a_notebook_the_gradebook_does_not_know_is_left_alone(restore):
    nb = _submission()
    nb.cells[2].source = "pass"
    out, restored = restore(copy.deepcopy(nb), notebook="other")
    assert (out, restored) == (nb, [])


def test_the_sanitize_steps_restore_before_nbgrader_overwrites():
    names = [step.__name__ for step in SANITIZE_PREPROCESSORS]
    assert names[0] == "RefuseUnsafeSubmissions"  # nothing runs beside a link or a pipe
    assert names.index("RestoreTestCells") < names.index("OverwriteCellsAtOnce")
    assert names.index("DeduplicateIds") < names.index("RestoreTestCells")
