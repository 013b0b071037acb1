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

from .prefetch import submission_cells_at_once

__all__ = ["SaveAutoGradesOnce", "install", "one_commit"]


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


class SaveAutoGradesOnce(SaveAutoGrades):
    """nbgrader's ``SaveAutoGrades`` with the scores and comments of a notebook saved in one
    commit instead of one per cell, found in one load
    (:func:`dlgrade.prefetch.submission_cells_at_once`)."""

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        self.notebook_id, self.assignment_id = info["notebook"], info["assignment"]
        self.student_id, self.db_url = info["student"], info["db_url"]
        self.gradebook = Gradebook(self.db_url)
        with self.gradebook, one_commit(self.gradebook), submission_cells_at_once(
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
