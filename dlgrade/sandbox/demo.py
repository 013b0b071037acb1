"""A tiny nbgrader course for the sandbox's tests and the grading benchmark.

One assignment ``ps1`` with one notebook: a solution cell ``squares`` (1 point of visible
tests, 2 of hidden tests). Submissions are the release notebook with the solution cell
replaced by whatever code a test wants to run as "the student".
"""

from __future__ import annotations

import os

import nbformat

from ..course import make_course as make_dlgrade_course

ASSIGNMENT = "ps1"
SECRET = "HIDDEN-TEST-MARKER-7f3a"

CONFIG = '''c = get_config()  # noqa: F821
c.CourseDirectory.course_id = "demo"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "exercises"
c.Execute.timeout = {timeout}
c.OverwriteCells.add_missing_cells = True
'''
SANDBOX_LINES = "from dlgrade.sandbox import configure_nbgrader\nconfigure_nbgrader(c)\n"

SOLUTION = '''def squares(n):
    """The list [0, 1, 4, ..., (n-1)**2]."""
    ### BEGIN SOLUTION
    return [i * i for i in range(n)]
    ### END SOLUTION'''
VISIBLE = '''"""Check that squares(3) is [0, 1, 4]."""
assert squares(3) == [0, 1, 4]'''
HIDDEN = f'''"""Check squares on more sizes."""
assert squares(0) == []
### BEGIN HIDDEN TESTS
# {SECRET}
assert squares(5) == [0, 1, 4, 9, 16]
### END HIDDEN TESTS'''


def _cell(kind, source, grade_id, solution=False, grade=False, points=0, locked=False):
    make = nbformat.v4.new_code_cell if kind == "code" else nbformat.v4.new_markdown_cell
    cell = make(source)
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3,
            "solution": solution}
    if grade:
        meta["points"] = points
    cell.metadata["nbgrader"] = meta
    return cell


def source_notebook():
    """The instructor's notebook (solution and hidden tests included)."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.cells = [
        _cell("markdown", "Write `squares(n)`.", "intro", locked=True),
        _cell("code", SOLUTION, "squares", solution=True),
        _cell("code", VISIBLE, "test_squares", grade=True, points=1, locked=True),
        _cell("code", HIDDEN, "test_squares_hidden", grade=True, points=2, locked=True),
    ]
    return nb


def make_course(root: str, sandbox: bool = True, timeout: int = 30) -> str:
    """Create the course in ``root`` (solutions, release, gradebook); return ``root``."""
    config = CONFIG.format(timeout=timeout) + (SANDBOX_LINES if sandbox else "")
    make_dlgrade_course(root, config, {ASSIGNMENT: source_notebook()}, release=True)
    return root


def submit(root: str, student: str, code: str, assignment: str = ASSIGNMENT,
           notebook: str = "ps1") -> str:
    """Write a submission whose solution cell holds ``code``; return its path."""
    release = os.path.join(root, "exercises", assignment, notebook + ".ipynb")
    nb = nbformat.read(release, as_version=4)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("solution"):
            cell.source = code
            break
    folder = os.path.join(root, "submitted", student, assignment)
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, notebook + ".ipynb")
    nbformat.write(nb, path)
    return path


def scores(root: str, assignment: str = ASSIGNMENT) -> dict:
    """``{student: score}`` from the course's gradebook."""
    from nbgrader.api import Gradebook

    url = "sqlite:///" + os.path.join(root, "gradebook.db")
    with Gradebook(url, "demo") as gb:
        return {s.student.id: s.score for s in gb.assignment_submissions(assignment)}


def outputs(root: str, student: str, assignment: str = ASSIGNMENT, notebook: str = "ps1") -> str:
    """All text output of the student's autograded notebook, joined."""
    path = os.path.join(root, "autograded", student, assignment, notebook + ".ipynb")
    nb = nbformat.read(path, as_version=4)
    parts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            parts.append(out.get("text", "") or "\n".join(out.get("traceback", []))
                         or str(out.get("data", {}).get("text/plain", "")))
    return "\n".join(parts)
