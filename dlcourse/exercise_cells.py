"""The nbgrader structure of an exercise notebook, read without nbgrader.

An exercise notebook carries, in each graded cell's ``metadata["nbgrader"]``, the cell's role
(``solution``, ``grade``, ``locked``), its ``grade_id``, its ``points`` and a ``checksum`` that
nbgrader computed when it released the notebook. Grading restores locked cells from the release
and puts back missing ones, so a student's copy whose structure differs from the release can
pass its visible tests at home and still lose points. :func:`structure_problems` finds those
differences, in the student's words, for ``dlcourse check``; it needs only the notebook read by
``nbformat`` (the student install has no nbgrader).

The course's exercises follow one shape: a solution cell per function whose ``grade_id`` is the
function's name, a visible test cell ``test_<name>`` and a hidden one ``test_<name>_hidden``.

Examples
--------
>>> import nbformat
>>> cell = nbformat.v4.new_code_cell("assert True")
>>> cell.metadata["nbgrader"] = {"grade": True, "solution": False, "locked": True,
...                              "grade_id": "test_f", "points": 1}
>>> checksum(cell)
'28c518a3e9825f1b28eb43f108694461'
"""

from __future__ import annotations

import dataclasses
import hashlib
import re

__all__ = ["ExerciseCells", "checksum", "is_locked", "read_cells", "structure_problems"]

#: ``grade_id`` of a test cell: ``test_<function>`` (visible) or ``test_<function>_hidden``.
TEST_ID = re.compile(r"^test_(?P<function>.+?)(?P<hidden>_hidden)?$")


def _meta(cell) -> dict:
    meta = cell.metadata.get("nbgrader", {})
    return meta if isinstance(meta, dict) else {}


def _has_points(meta: dict) -> bool:
    """Whether the metadata carries points nbgrader can read as a number."""
    try:
        float(meta["points"])
    except (KeyError, TypeError, ValueError):
        return False
    return True


def _grade_id(cell) -> str | None:
    """The cell's grade id; None when there is none, or when it is not a non-empty string."""
    gid = _meta(cell).get("grade_id")
    return gid if isinstance(gid, str) and gid else None


def is_locked(cell) -> bool:
    """Whether grading overwrites the cell with the release's copy: a test (grade) cell, or a
    cell marked ``locked``; never a solution cell."""
    meta = _meta(cell)
    return not meta.get("solution", False) and bool(meta.get("grade", False)
                                                    or meta.get("locked", False))


def checksum(cell) -> str:
    """nbgrader's checksum of a cell: what the release stores in ``metadata.nbgrader.checksum``.

    The same digest as ``nbgrader.utils.compute_checksum`` (nbgrader 0.9, metadata schema 3),
    written here so that ``dlcourse check`` runs without nbgrader: the MD5 of the UTF-8 bytes of,
    one after the other, the cell's source, its type (``"code"``/``"markdown"``), the words
    ``"True"``/``"False"`` saying whether it is a grade cell, a solution cell and a locked cell
    (locked as :func:`is_locked` decides, the raw metadata values for grade and solution), its
    ``grade_id``, and for a grade cell its points written as a float (``"1.0"``).
    tests/test_exercise_cells.py compares it with nbgrader's on every cell of every release.

    Parameters
    ----------
    cell : nbformat.NotebookNode
        A cell with ``metadata["nbgrader"]["grade_id"]``.

    Returns
    -------
    str
        32 hexadecimal digits.
    """
    return _digest(cell, _meta(cell))


def _digest(cell, meta: dict) -> str:
    """:func:`checksum` of ``cell`` as if its nbgrader metadata were ``meta``."""
    grade = meta.get("grade", False)
    solution = meta.get("solution", False)
    # nbgrader hashes str() of the value its own is_locked returns: False for a solution cell,
    # True for a grade cell, else the metadata's "locked" value as it is.
    locked = False if solution else (True if grade else meta.get("locked", False))
    parts = [cell.source, cell.cell_type, str(grade), str(solution), str(locked),
             meta["grade_id"]]
    if grade:
        parts.append(str(float(meta["points"])))
    digest = hashlib.md5(usedforsecurity=False)
    for part in parts:
        digest.update(part.encode("utf-8"))
    return digest.hexdigest()


@dataclasses.dataclass
class ExerciseCells:
    """The graded cells of an exercise notebook, by role.

    Attributes
    ----------
    functions : list of str
        The functions to write, in notebook order: the ``grade_id`` of each code solution cell
        (not graded itself), then any function that has test cells but no solution cell.
    tests : dict of str to list of int
        ``{function: [indices of its test cells]}``, visible and hidden, in notebook order.
    ids : dict of str to list of int
        ``{grade_id: [indices of the cells that carry it]}`` for every cell with one.
    """

    functions: list[str]
    tests: dict[str, list[int]]
    ids: dict[str, list[int]]

    @property
    def solutions(self) -> list[str]:
        """The functions whose solution cell is there, in notebook order."""
        return [f for f in self.functions if f in self.ids]


def read_cells(notebook) -> ExerciseCells:
    """Sort the cells of ``notebook`` (an nbformat v4 notebook) into :class:`ExerciseCells`."""
    functions: list[str] = []
    tests: dict[str, list[int]] = {}
    ids: dict[str, list[int]] = {}
    for index, cell in enumerate(notebook.cells):
        meta = _meta(cell)
        gid = _grade_id(cell)
        if not gid:
            continue
        ids.setdefault(gid, []).append(index)
        if meta.get("solution") and not meta.get("grade") and cell.cell_type == "code":
            functions.append(gid)
        match = TEST_ID.match(gid)
        if meta.get("grade") and cell.cell_type == "code" and match:
            tests.setdefault(match["function"], []).append(index)
    functions += [f for f in tests if f not in functions]
    return ExerciseCells(functions, tests, ids)


def _where(notebook, index: int) -> str:
    first = next((line.strip() for line in notebook.cells[index].source.splitlines()
                  if line.strip()), "")
    return f"cell {index + 1}" + (f" ({first[:40]!r})" if first else " (empty)")


def _metadata_problems(notebook, cells: ExerciseCells) -> list[str]:
    """What would make the grader refuse the whole notebook: a graded or locked cell without a
    grade id or points, the same grade id on two cells (a copied cell keeps its metadata)."""
    problems = []
    for index, cell in enumerate(notebook.cells):
        meta = _meta(cell)
        if not (meta.get("grade") or meta.get("solution") or meta.get("locked")):
            continue
        if not _grade_id(cell):
            problems.append(f"{_where(notebook, index)} is marked for grading but has no grade "
                            "id: restore it from the original notebook (grading cannot read the "
                            "notebook otherwise)")
        elif meta.get("grade") and not _has_points(meta):
            problems.append(f"the cell {meta['grade_id']} has lost its points (or they are not "
                            "a number): restore it from the original notebook")
    for gid, where in cells.ids.items():
        if len(where) > 1:
            copies = ", ".join(str(i + 1) for i in where)
            problems.append(f"the grade id {gid} is on {len(where)} cells ({copies}): a copied "
                            "cell keeps its grade id; delete the copy (grading cannot read the "
                            "notebook otherwise)")
    return problems


def _renamed_from(cell, candidates: list[str]) -> str | None:
    """The id among ``candidates`` the cell had when it was released, if its checksum says so."""
    stored = _meta(cell)["checksum"]
    return next((candidate for candidate in candidates
                 if _digest(cell, dict(_meta(cell), grade_id=candidate)) == stored), None)


def changed_locked_cells(notebook, cells: ExerciseCells) -> list[str]:
    """One message per locked cell whose source, type, role, points or grade id differs from
    the release (its checksum no longer matches)."""
    missing_tests = [gid for f in cells.functions for gid in (f"test_{f}", f"test_{f}_hidden")
                     if gid not in cells.ids]
    messages = []
    for cell in notebook.cells:
        meta = _meta(cell)
        if "checksum" not in meta or not _grade_id(cell) or (
                meta.get("grade") and not _has_points(meta)):  # the last two: reported above
            continue
        name = meta["grade_id"]
        if meta.get("cell_type") and meta["cell_type"] != cell.cell_type:
            messages.append(f"the locked cell {name} (its type changed) was modified: restore it "
                            "from the original notebook")
        elif is_locked(cell) and checksum(cell) != meta["checksum"]:
            original = _renamed_from(cell, missing_tests)
            if original:
                messages.append(f"the grade id of the test cell {original} was changed to "
                                f"{name}: restore it from the original notebook")
            else:
                messages.append(f"the locked cell {name} was modified: restore it from the "
                                "original notebook")
    return messages


def type_changed(notebook) -> bool:
    """Whether a graded, solution or locked cell was turned from code into markdown or back
    (grading then cannot run the notebook as released)."""
    return any(_meta(cell).get("cell_type") not in (None, cell.cell_type)
               and (_meta(cell).get("grade") or _meta(cell).get("solution")
                    or _meta(cell).get("locked"))
               for cell in notebook.cells)


def deleted_tests(cells: ExerciseCells) -> dict[str, list[str]]:
    """``{function: [its missing visible test cell]}``.

    Grading puts a deleted test cell back and runs it, so a check that passed without it would
    promise points the student does not have. (Hidden tests run only at grading, whether their
    cell is there or not.)
    """
    return {f: [f"test_{f}"] for f in cells.solutions if f"test_{f}" not in cells.ids}


def missing_solutions(cells: ExerciseCells) -> list[str]:
    """Functions with test cells but no solution cell (deleted, or its grade id changed):
    grading puts the released, unanswered cell back."""
    return [f for f in cells.functions if f not in cells.ids]


def structure_problems(notebook) -> list[str]:
    """Every way the student's copy differs in structure from the release, one message each.

    Parameters
    ----------
    notebook : nbformat.NotebookNode
        The student's notebook (nbformat v4).

    Returns
    -------
    list of str
        Empty for a notebook whose graded cells are as released (answers aside).
    """
    cells = read_cells(notebook)
    problems = _metadata_problems(notebook, cells)
    problems += changed_locked_cells(notebook, cells)
    problems += [f"the test cell {gid} of {function} was deleted: restore it from the original "
                 "notebook (grading puts it back and runs it)"
                 for function, gids in deleted_tests(cells).items() for gid in gids]
    problems += [f"the solution cell of {function} is missing (deleted, or its grade id "
                 "changed): restore it from the original notebook (grading puts the "
                 "unanswered cell back)" for function in missing_solutions(cells)]
    return problems
