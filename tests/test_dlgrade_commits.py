"""dlgrade.commits: a run of gradebook writes in one commit, all or nothing."""

from __future__ import annotations

import shutil

import pytest
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.preprocessors import SaveAutoGrades
from sqlalchemy import event

from dlgrade.commits import SaveAutoGradesOnce, install, one_commit
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
