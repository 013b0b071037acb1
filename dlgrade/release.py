"""``dlcourse release``: nbgrader's generate_assignment for one or more assignments."""

from __future__ import annotations

import os

from .course import Course, ensure_tools_on_path


def release(course: Course, assignments=None) -> dict[str, dict]:
    """Run ``generate_assignment --force`` (creating the gradebook entries) per assignment.

    Returns
    -------
    dict
        Per assignment, nbgrader's result: ``success`` (bool), ``log`` and maybe ``error``.

    Raises
    ------
    ValueError
        If an assignment has no source notebook.
    """
    ensure_tools_on_path()
    from nbgrader.apps.api import NbGraderAPI  # nbgrader: seconds, not for `dlcourse --help`

    names = list(assignments) if assignments else course.assignments()
    for name in names:
        course.require_assignment(name)
    config = course.load_config()
    coursedir = course.coursedir(config)
    cwd = os.getcwd()
    os.chdir(course.root)
    try:
        api = NbGraderAPI(coursedir=coursedir, config=config)
        return {name: api.generate_assignment(name, force=True, create=True) for name in names}
    finally:
        os.chdir(cwd)
