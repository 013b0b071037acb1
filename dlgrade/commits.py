"""One gradebook commit where nbgrader makes one per cell.

nbgrader commits after every grade and every comment it saves (``SaveAutoGrades``) and after
every notebook it removes (``Gradebook.remove_submission``): about 25 commits per student of
02_neuron. With SQLite each commit waits for the disk (``fsync``; 5-25 ms measured here,
more when other processes write), so these waits were a large part of the grading process's
time per student. :func:`one_commit` makes such a run of writes one transaction, committed
once at the end (all or nothing); :class:`SaveAutoGradesOnce` does so for the scores of one
notebook. What is written, and when it is on the disk for good (at the end of each
student's step), stays as with nbgrader.
"""

from __future__ import annotations

import contextlib

from nbgrader.api import Gradebook
from nbgrader.converters.autograde import Autograde
from nbgrader.preprocessors import SaveAutoGrades

__all__ = ["SaveAutoGradesOnce", "cells_at_once", "install", "one_commit"]


class _FlushOnCommit:
    """A gradebook's session whose ``commit`` only sends the changes (``flush``): queries see
    them, the transaction stays open."""

    def __init__(self, session):
        self._session = session

    def commit(self) -> None:
        self._session.flush()

    def __getattr__(self, name):
        return getattr(self._session, name)


@contextlib.contextmanager
def one_commit(gradebook: Gradebook):
    """Within the block, the commits of ``gradebook``'s methods are deferred to one commit at
    its end; an exception rolls every change of the block back."""
    session = gradebook.db
    gradebook.db = _FlushOnCommit(session)
    try:
        yield gradebook
    except BaseException:
        gradebook.db = session
        session.rollback()
        raise
    gradebook.db = session
    session.commit()


@contextlib.contextmanager
def cells_at_once(gradebook: Gradebook, notebook: str, assignment: str, student: str):
    """Within the block, ``gradebook.find_grade`` and ``find_comment`` for this student's
    ``notebook`` are answered from one load of its grades and comments (two queries in all)
    instead of a query each (~15 per notebook in ``SaveAutoGrades`` and in ``GetGrades``).

    They return the same rows of the same session: a grade or comment is found by its cell's
    name within the submitted notebook, as nbgrader's queries find it (its grade or task
    cell, its solution or task cell; names are unique in a notebook). A name not loaded, or
    another notebook, goes to nbgrader's query as before (``MissingEntry`` and all)."""
    from nbgrader.api import Comment, Grade, MissingEntry
    from sqlalchemy.orm import joinedload, selectinload

    find_grade, find_comment = gradebook.find_grade, gradebook.find_comment
    try:
        found = gradebook.find_submission_notebook(notebook, assignment, student)
    except MissingEntry:
        yield gradebook
        return
    found = gradebook.db.query(type(found)).filter_by(id=found.id).options(
        selectinload(type(found).grades).options(joinedload(Grade.cell)),
        selectinload(type(found).comments).options(joinedload(Comment.cell))).one()
    grades = {g.cell.name: g for g in found.grades}
    comments = {c.cell.name: c for c in found.comments}
    here = (notebook, assignment, student)

    def grade_of(cell, *where):
        return grades[cell] if where == here and cell in grades else find_grade(cell, *where)

    def comment_of(cell, *where):
        return comments[cell] if where == here and cell in comments \
            else find_comment(cell, *where)

    gradebook.find_grade, gradebook.find_comment = grade_of, comment_of
    try:
        yield gradebook
    finally:
        del gradebook.find_grade, gradebook.find_comment


class SaveAutoGradesOnce(SaveAutoGrades):
    """nbgrader's ``SaveAutoGrades`` with the scores and comments of a notebook saved in one
    commit instead of one per cell, found in one load (:func:`cells_at_once`)."""

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        self.notebook_id, self.assignment_id = info["notebook"], info["assignment"]
        self.student_id, self.db_url = info["student"], info["db_url"]
        self.gradebook = Gradebook(self.db_url)
        with self.gradebook, one_commit(self.gradebook), cells_at_once(
                self.gradebook, self.notebook_id, self.assignment_id, self.student_id):
            # the cell loop of nbconvert's Preprocessor (SaveAutoGrades' own preprocess
            # opens a Gradebook of its own)
            nb, resources = super(SaveAutoGrades, self).preprocess(nb, resources)
        return nb, resources


def install(c) -> None:
    """Put :class:`SaveAutoGradesOnce` in place of ``SaveAutoGrades`` in the autograde steps of
    config ``c`` (the other steps and their order stay)."""
    steps = c.Autograde.get("autograde_preprocessors")
    if not isinstance(steps, (list, tuple)):
        steps = Autograde.class_traits()["autograde_preprocessors"].default()
    c.Autograde.autograde_preprocessors = [
        SaveAutoGradesOnce if step is SaveAutoGrades or step == "SaveAutoGrades"
        or str(step).endswith(".SaveAutoGrades") else step
        for step in steps]
