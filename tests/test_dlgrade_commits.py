"""dlgrade.commits: a run of gradebook writes in one commit, all or nothing."""

from __future__ import annotations

import shutil

import pytest
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.preprocessors import SaveAutoGrades
from sqlalchemy import event

from dlgrade.commits import SaveAutoGradesOnce, cells_at_once, install, one_commit
from dlgrade.course import ensure_tools_on_path


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """A gradebook with assignment a1 (notebooks nb1, nb2) submitted by ann and bob."""
    ensure_tools_on_path()  # nbgrader runs `alembic` for a new gradebook
    path = tmp_path_factory.mktemp("template") / "gradebook.db"
    with Gradebook(f"sqlite:///{path}") as gb:
        gb.add_assignment("a1")
        gb.add_notebook("nb1", "a1")
        gb.add_notebook("nb2", "a1")
        for name in ("ann", "bob"):
            gb.add_student(name)
            gb.add_submission("a1", name)
    return path


@pytest.fixture
def gradebook_url(template, tmp_path):
    shutil.copyfile(template, tmp_path / "gradebook.db")
    return f"sqlite:///{tmp_path / 'gradebook.db'}"


def _count_commits(gb: Gradebook) -> list:
    commits = []
    event.listen(gb.engine, "commit", lambda conn: commits.append(1))
    return commits


@pytest.mark.slow  # nbgrader makes the gradebook with alembic (a few seconds)
def test_one_commit_writes_the_whole_block_once(gradebook_url):
    with Gradebook(gradebook_url) as gb:
        commits = _count_commits(gb)
        gb.remove_submission("a1", "ann")  # nbgrader: one commit per notebook, one more
        assert len(commits) == 3
        commits.clear()
        with one_commit(gb):
            gb.remove_submission("a1", "bob")
            gb.add_student("cid")
            # inside the block the changes are visible to this session already
            with pytest.raises(MissingEntry):
                gb.find_submission("a1", "bob")
        assert len(commits) == 1
    with Gradebook(gradebook_url) as gb:  # and they are on the disk
        assert [s.id for s in gb.students] == ["ann", "bob", "cid"]
        assert gb.assignment_submissions("a1") == []


@pytest.mark.slow
def test_one_commit_keeps_nothing_of_a_block_that_fails(gradebook_url):
    with Gradebook(gradebook_url) as gb:
        with pytest.raises(RuntimeError, match="stop"), one_commit(gb):
            gb.remove_submission("a1", "ann")
            gb.add_student("cid")
            raise RuntimeError("stop")
        # the same Gradebook works on afterwards, committing as before
        assert gb.find_submission("a1", "ann").student.id == "ann"
        gb.add_student("dan")
    with Gradebook(gradebook_url) as gb:
        assert [s.id for s in gb.students] == ["ann", "bob", "dan"]
        assert len(gb.find_submission("a1", "ann").notebooks) == 2


def test_install_replaces_only_save_auto_grades():
    from nbgrader.converters.autograde import Autograde
    from traitlets.config import Config

    c = Config()
    install(c)
    default = Autograde.class_traits()["autograde_preprocessors"].default()
    steps = c.Autograde.autograde_preprocessors
    assert steps == [SaveAutoGradesOnce if s is SaveAutoGrades else s for s in default]
    install(c)  # twice: the same
    assert c.Autograde.autograde_preprocessors == steps


def test_the_grading_config_saves_scores_at_once(tmp_path):
    """dlcourse grade's nbgrader config (the course's, plus dlgrade's steps)."""
    from dlgrade.course import Course
    from dlgrade.worker import configure

    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\n")
    steps = configure(Course(tmp_path)).Autograde.autograde_preprocessors
    names = [getattr(s, "__name__", s) for s in steps]
    assert "SaveAutoGradesOnce" in names and "SaveAutoGrades" not in names
    # the output cap still comes right after the saving of scores
    assert names[names.index("SaveAutoGradesOnce") + 1] == "CapOutputBytes"


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
def test_cells_at_once_finds_the_rows_nbgraders_queries_find(cells_url):
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
        with cells_at_once(gb, "nb1", "a1", "ann"):
            loaded = len(queries)
            for kind in names:
                for name in names[kind]:
                    row = getattr(gb, f"find_{kind}")(name, "nb1", "a1", "ann")
                    assert row.id == expected[kind, name, "nb1", "ann"], (kind, name)
            assert len(queries) == loaded, "a cell of the loaded notebook was queried again"
            # another student, another notebook with the same cell name: nbgrader's queries
            assert gb.find_grade("t1", "nb1", "a1", "bob").id == expected["grade", "t1", "nb1", "bob"]
            assert gb.find_grade("t1", "nb2", "a1", "ann").id == expected["grade", "t1", "nb2", "ann"]
            assert len(queries) > loaded
            with pytest.raises(MissingEntry):
                gb.find_grade("ans", "nb1", "a1", "ann")  # an answer cell has no grade
            with pytest.raises(MissingEntry):
                gb.find_comment("t1", "nb1", "a1", "ann")  # a test cell has no comment
        # after the block, nbgrader's own methods again
        assert "find_grade" not in vars(gb) and "find_comment" not in vars(gb)
        with cells_at_once(gb, "nb1", "a1", "nobody"):  # no such submission: nothing loaded
            with pytest.raises(MissingEntry):
                gb.find_grade("t1", "nb1", "a1", "nobody")
