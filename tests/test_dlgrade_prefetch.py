"""dlgrade.prefetch: the gradebook rows of a notebook read in one load give what nbgrader's
queries, one per cell, give."""

from __future__ import annotations

import pytest
from nbgrader.api import Gradebook, MissingEntry
from sqlalchemy import event

from dlgrade.course import ensure_tools_on_path
from dlgrade.prefetch import release_cells_at_once, submission_cells_at_once


@pytest.fixture(scope="module")
def cells_url(tmp_path_factory):
    """A gradebook whose notebooks have test, answer, test-and-answer and task cells; nb1 and
    nb2 both have a cell named ``t1``; ann and bob submitted a1."""
    ensure_tools_on_path()
    path = tmp_path_factory.mktemp("cells") / "gradebook.db"
    with Gradebook(f"sqlite:///{path}") as gb:
        gb.add_assignment("a1")
        for nb in ("nb1", "nb2"):
            gb.add_notebook(nb, "a1")
            gb.add_grade_cell("t1", nb, "a1", max_score=2, cell_type="code")
        gb.add_solution_cell("ans", "nb1", "a1")
        gb.add_grade_cell("both", "nb1", "a1", max_score=3, cell_type="code")
        gb.add_solution_cell("both", "nb1", "a1")
        gb.add_task_cell("task", "nb1", "a1", max_score=1, cell_type="markdown")
        for name in ("ann", "bob"):
            gb.add_student(name)
            gb.add_submission("a1", name)
    return f"sqlite:///{path}"


@pytest.mark.slow  # nbgrader makes the gradebook with alembic (a few seconds)
def test_submission_cells_at_once_finds_the_rows_nbgraders_queries_find(cells_url):
    """Each grade and comment of the notebook is the row nbgrader's own query returns, from
    one load; other notebooks and students, and names that are not there, go to nbgrader."""
    names = {"grade": ["t1", "both", "task"], "comment": ["ans", "both", "task"]}
    with Gradebook(cells_url) as gb:
        expected = {(kind, name, nb, who): getattr(gb, f"find_{kind}")(name, nb, "a1", who).id
                    for kind in names for name in names[kind]
                    for nb in ("nb1", "nb2") for who in ("ann", "bob")
                    if nb == "nb1" or name == "t1" and kind == "grade"}
        queries = []
        event.listen(gb.engine, "before_cursor_execute", lambda *a: queries.append(1))
        with submission_cells_at_once(gb, "nb1", "a1", "ann"):
            loaded = len(queries)
            for kind in names:
                for name in names[kind]:
                    row = getattr(gb, f"find_{kind}")(name, "nb1", "a1", "ann")
                    assert row.id == expected[kind, name, "nb1", "ann"], (kind, name)
            assert len(queries) == loaded, "a cell of the loaded notebook was queried again"
            # another student, another notebook with the same cell name: nbgrader's queries
            for nb, who in (("nb1", "bob"), ("nb2", "ann")):
                row = gb.find_grade("t1", nb, "a1", who)
                assert row.id == expected["grade", "t1", nb, who]
            assert len(queries) > loaded
            with pytest.raises(MissingEntry):
                gb.find_grade("ans", "nb1", "a1", "ann")  # an answer cell has no grade
            with pytest.raises(MissingEntry):
                gb.find_comment("t1", "nb1", "a1", "ann")  # a test cell has no comment
        # after the block, nbgrader's own methods again
        assert "find_grade" not in vars(gb) and "find_comment" not in vars(gb)
        # no such submission: nothing loaded
        with submission_cells_at_once(gb, "nb1", "a1", "nobody"):
            with pytest.raises(MissingEntry):
                gb.find_grade("t1", "nb1", "a1", "nobody")


@pytest.mark.slow
def test_release_cells_at_once_finds_the_cells_nbgraders_queries_find(cells_url):
    """The released cells (source cells; grade cells before task cells) from one load."""
    with Gradebook(cells_url) as gb:
        gb.add_source_cell("t1", "nb1", "a1", cell_type="code", locked=True, source="x")
        gb.add_source_cell("ans", "nb1", "a1", cell_type="code", locked=False, source="y")
        gb.add_source_cell("t1", "nb2", "a1", cell_type="code", locked=True, source="z")
        expected = {(kind, name, nb): getattr(gb, f"find_{kind}_cell")(name, nb, "a1").id
                    for kind, names in (("source", ["t1", "ans"]), ("graded", ["t1", "both",
                                                                                 "task"]))
                    for name in names for nb in ("nb1", "nb2")
                    if nb == "nb1" or name == "t1"}
        queries = []
        event.listen(gb.engine, "before_cursor_execute", lambda *a: queries.append(1))
        with release_cells_at_once(gb, "nb1", "a1"):
            loaded = len(queries)
            for (kind, name, nb), row_id in expected.items():
                if nb == "nb1":
                    assert getattr(gb, f"find_{kind}_cell")(name, nb, "a1").id == row_id
            assert len(queries) == loaded, "a cell of the loaded notebook was queried again"
            assert gb.find_source_cell("t1", "nb2", "a1").id == expected["source", "t1", "nb2"]
            assert len(queries) > loaded
            with pytest.raises(MissingEntry):
                gb.find_graded_cell("ans", "nb1", "a1")  # an answer cell is not graded
            with pytest.raises(MissingEntry):
                gb.find_source_cell("nothing", "nb1", "a1")
        assert "find_source_cell" not in vars(gb) and "find_graded_cell" not in vars(gb)
        gb.db.rollback()  # the module's gradebook stays as it was for other tests
