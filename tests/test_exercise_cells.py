"""dlcourse.exercise_cells: nbgrader's checksum and an exercise's structure, without nbgrader.

The checksum is compared with nbgrader's own ``compute_checksum`` (installed in the course venv
with the grading extra) on every cell of every released and source notebook, and on cells
changed in each way a student can change one. The structure checks run on copies of a real
release with one thing broken at a time; no kernel runs here.
"""

from __future__ import annotations

import copy
from pathlib import Path

import nbformat
import pytest

from dlcourse.exercise_cells import (
    checksum,
    deleted_tests,
    missing_solutions,
    read_cells,
    structure_problems,
    type_changed,
)

ROOT = Path(__file__).resolve().parent.parent
RELEASES = sorted((ROOT / "exercises").glob("*/*.ipynb"))
SOURCES = sorted((ROOT / "solutions").glob("*/*.ipynb"))
RELEASE = ROOT / "exercises" / "01_curve_fitting" / "01_curve_fitting.ipynb"


def _graded_cells(path: Path):
    return [c for c in nbformat.read(path, as_version=4).cells
            if c.metadata.get("nbgrader", {}).get("grade_id")]


def _variants(cell):
    """The cell as released, and changed in each field the checksum covers."""
    meta = cell.metadata["nbgrader"]
    yield cell
    for change in ("source", "type", "grade", "solution", "locked", "id", "points"):
        other = copy.deepcopy(cell)
        m = other.metadata["nbgrader"]
        if change == "source":
            other.source += "\n# changed"
        elif change == "type":
            other.cell_type = "markdown" if cell.cell_type == "code" else "code"
        elif change in ("grade", "solution", "locked"):
            m[change] = not meta.get(change, False)
            if m["grade"]:
                m.setdefault("points", 1)
        elif change == "id":
            m["grade_id"] = meta["grade_id"] + "_renamed"
        elif change == "points" and meta.get("grade"):
            m["points"] = float(meta["points"]) + 0.5
        yield other


def test_the_checksum_is_nbgraders_on_every_cell_of_every_exercise():
    utils = pytest.importorskip("nbgrader.utils")  # the grading extra, in the course venv
    assert RELEASES and len(SOURCES) == len(RELEASES)
    compared = 0
    for path in RELEASES + SOURCES:
        for cell in _graded_cells(path):
            for variant in _variants(cell):
                assert checksum(variant) == utils.compute_checksum(variant), (
                    path.name, variant.metadata["nbgrader"])
                compared += 1
    assert compared > 500


def test_every_release_keeps_its_checksums_and_has_no_structure_problem():
    for path in RELEASES:
        notebook = nbformat.read(path, as_version=4)
        locked = [c for c in notebook.cells if "checksum" in c.metadata.get("nbgrader", {})
                  and c.metadata["nbgrader"].get("locked")]
        assert locked and all(checksum(c) == c.metadata["nbgrader"]["checksum"] for c in locked)
        assert structure_problems(notebook) == [], path.name
        assert not type_changed(notebook)


def _release():
    return nbformat.read(RELEASE, as_version=4)


def _cell(notebook, grade_id: str):
    return next(c for c in notebook.cells
                if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def test_the_functions_and_their_tests_in_notebook_order():
    cells = read_cells(_release())
    assert cells.functions == ["mse", "polynomial_features", "fit_least_squares",
                               "predict_linear", "gradient_descent"]
    assert all(len(cells.tests[f]) == 2 for f in cells.functions)  # visible and hidden


def test_an_edited_test_cell_is_a_modified_locked_cell():
    notebook = _release()
    _cell(notebook, "test_mse").source = "pass"
    assert structure_problems(notebook) == [
        "the locked cell test_mse was modified: restore it from the original notebook"]


def test_answers_in_solution_cells_are_not_problems():
    notebook = _release()
    _cell(notebook, "mse").source = "def mse(y, y_hat):\n    return 0.0\n"
    _cell(notebook, "answer_overfitting").source = "It overfits."
    assert structure_problems(notebook) == []


def test_a_deleted_test_cell_and_a_deleted_solution_cell():
    notebook = _release()
    notebook.cells.remove(_cell(notebook, "test_mse"))
    notebook.cells.remove(_cell(notebook, "predict_linear"))
    cells = read_cells(notebook)
    assert deleted_tests(cells) == {"mse": ["test_mse"]}
    assert missing_solutions(cells) == ["predict_linear"]
    problems = structure_problems(notebook)
    assert problems == [
        "the test cell test_mse of mse was deleted: restore it from the original notebook "
        "(grading puts it back and runs it)",
        "the solution cell of predict_linear is missing (deleted, or its grade id changed): "
        "restore it from the original notebook (grading puts the unanswered cell back)"]
    # a deleted hidden test is no problem: grading runs the hidden tests from the release
    notebook = _release()
    notebook.cells.remove(_cell(notebook, "test_mse_hidden"))
    assert structure_problems(notebook) == []


def test_a_renamed_test_cell_is_named_with_its_original_grade_id():
    notebook = _release()
    _cell(notebook, "test_mse").metadata["nbgrader"]["grade_id"] = "test_my_mse"
    problems = structure_problems(notebook)
    assert problems[0] == ("the grade id of the test cell test_mse was changed to test_my_mse: "
                           "restore it from the original notebook")
    assert "the test cell test_mse of mse was deleted" in problems[1]


def test_a_renamed_solution_cell_leaves_its_function_without_a_solution():
    notebook = _release()
    _cell(notebook, "mse").metadata["nbgrader"]["grade_id"] = "my_mse"
    problems = structure_problems(notebook)
    assert any("the solution cell of mse is missing" in p for p in problems), problems
    assert any("the test cell test_my_mse of my_mse was deleted" in p for p in problems)


def test_broken_grade_ids_and_points_that_grading_cannot_read():
    notebook = _release()
    notebook.cells.append(copy.deepcopy(_cell(notebook, "setup")))  # a copied cell
    del _cell(notebook, "test_gradient_descent_hidden").metadata["nbgrader"]["points"]
    _cell(notebook, "predict_linear").metadata["nbgrader"]["grade_id"] = ""
    _cell(notebook, "self_check").metadata["nbgrader"]["grade_id"] = 7  # not even a string
    _cell(notebook, "test_mse").metadata["nbgrader"]["points"] = "one"
    problems = structure_problems(notebook)
    assert any(p.startswith("cell 16 ('def predict_linear(X, theta):') is marked for grading "
                            "but has no grade id") for p in problems), problems
    assert sum("is marked for grading but has no grade id" in p for p in problems) == 2
    for gid in ("test_gradient_descent_hidden", "test_mse"):
        assert any(p.startswith(f"the cell {gid} has lost its points") for p in problems)
    setup = [i + 1 for i, c in enumerate(notebook.cells)
             if c.metadata.get("nbgrader", {}).get("grade_id") == "setup"]
    assert any(p.startswith(f"the grade id setup is on 2 cells ({setup[0]}, {setup[1]})")
               for p in problems), problems


def test_a_changed_cell_type_is_reported():
    notebook = _release()
    _cell(notebook, "test_mse").cell_type = "markdown"
    assert type_changed(notebook)
    assert "the locked cell test_mse (its type changed) was modified" in structure_problems(
        notebook)[0]
