"""Gradebook rows that nbgrader's steps look up one cell at a time, read in one load.

``SaveAutoGrades`` and ``GetGrades`` ask the gradebook for each cell's grade and comment,
``OverwriteCells`` for each cell's released copy and points: a query each, some 45 per
student of 02_neuron. Within :func:`submission_cells_at_once` and :func:`release_cells_at_once`
the ``find_*`` methods of one ``Gradebook`` answer those lookups from rows loaded at the
start of the block (the same rows of the same session that nbgrader's query returns);
a lookup of anything else goes to nbgrader's query, ``MissingEntry`` and all.
"""

from __future__ import annotations

import contextlib

from nbgrader.api import Comment, Grade, Gradebook, MissingEntry, Notebook, SubmittedNotebook
from sqlalchemy.orm import joinedload, selectinload

__all__ = ["release_cells_at_once", "submission_cells_at_once"]


@contextlib.contextmanager
def _answered(gradebook: Gradebook, lookups: dict):
    """Within the block, ``gradebook.<method>(name, *where)`` returns ``rows[name]`` for the
    ``where`` given in ``lookups[method] = (where, rows)``; any other call is nbgrader's."""
    def answer(find, where, rows):
        def found(name, *args):
            return rows[name] if args == where and name in rows else find(name, *args)
        return found

    for method, (where, rows) in lookups.items():
        setattr(gradebook, method, answer(getattr(gradebook, method), where, rows))
    try:
        yield gradebook
    finally:
        for method in lookups:
            delattr(gradebook, method)  # the class's method again


@contextlib.contextmanager
def submission_cells_at_once(gradebook: Gradebook, notebook: str, assignment: str,
                             student: str):
    """``find_grade`` and ``find_comment`` for this student's ``notebook``, from one load of
    its grades and comments (each found by its cell's name within the submitted notebook, as
    nbgrader's queries find it: its grade or task cell, its solution or task cell; a name is
    unique in a notebook)."""
    try:
        found = gradebook.find_submission_notebook(notebook, assignment, student)
    except MissingEntry:
        yield gradebook
        return
    found = gradebook.db.query(SubmittedNotebook).filter_by(id=found.id).options(
        selectinload(SubmittedNotebook.grades).options(joinedload(Grade.cell)),
        selectinload(SubmittedNotebook.comments).options(joinedload(Comment.cell))).one()
    where = (notebook, assignment, student)
    with _answered(gradebook, {
            "find_grade": (where, {g.cell.name: g for g in found.grades}),
            "find_comment": (where, {c.cell.name: c for c in found.comments})}):
        yield gradebook


@contextlib.contextmanager
def release_cells_at_once(gradebook: Gradebook, notebook: str, assignment: str):
    """``find_source_cell`` and ``find_graded_cell`` for the released ``notebook``, from one
    load of its cells (``find_graded_cell`` looks for a grade cell first, then a task cell)."""
    try:
        found = gradebook.find_notebook(notebook, assignment)
    except MissingEntry:
        yield gradebook
        return
    found = gradebook.db.query(Notebook).filter_by(id=found.id).options(
        # grade, solution and task cells are nbgrader's views of the notebook's "base" cells
        selectinload(Notebook.source_cells), selectinload(Notebook._base_cells)).one()
    graded = {c.name: c for c in found.task_cells}
    graded.update({c.name: c for c in found.grade_cells})
    where = (notebook, assignment)
    with _answered(gradebook, {
            "find_source_cell": (where, {c.name: c for c in found.source_cells}),
            "find_graded_cell": (where, graded)}):
        yield gradebook
