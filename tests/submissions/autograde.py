"""Release a repository assignment in a temporary course and autograde filled-in copies with
nbgrader (shared by tests/test_exercises.py and tests/test_exercise_fairness.py)."""

from __future__ import annotations

from pathlib import Path

import nbformat

from dlgrade.course import make_course, run_nbgrader

ROOT = Path(__file__).resolve().parents[2]


def grade_id(cell) -> str | None:
    return cell.metadata.get("nbgrader", {}).get("grade_id")


def release(assignment: str, course: Path) -> nbformat.NotebookNode:
    """Set up ``course`` with the assignment's source and nbgrader's release of it; return the
    released notebook."""
    make_course(course, (ROOT / "nbgrader_config.py").read_text(),
                {assignment: ROOT / "solutions" / assignment}, release=True)
    return nbformat.read(course / "exercises" / assignment / f"{assignment}.ipynb", as_version=4)


def submit_and_autograde(course: Path, assignment: str, release: nbformat.NotebookNode,
                          students: dict[str, dict[str, str]]) -> None:
    """Submit, per student, the release with the answers ``{grade_id: source}`` filled in, then
    run ``nbgrader autograde`` on all of them."""
    for student, answers in students.items():
        notebook = nbformat.reads(nbformat.writes(release), as_version=4)
        for cell in notebook.cells:
            if cell.cell_type == "code" and grade_id(cell) in answers:
                cell.source = answers[grade_id(cell)]
        folder = course / "submitted" / student / assignment
        folder.mkdir(parents=True)
        nbformat.write(notebook, folder / f"{assignment}.ipynb")
    run_nbgrader(course, "autograde", assignment, "--force", "--log-level=WARN")
