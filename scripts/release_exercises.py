"""Regenerate the student notebooks exercises/<a>/ from the sources solutions/<a>/ with nbgrader.

Runs ``nbgrader generate_assignment <a> --force`` in a temporary copy of the course (so no
gradebook or log lands in the work tree) and copies the release back into ``exercises/<a>/``.
``tests/test_exercises.py`` checks that the committed release equals a fresh one.

Usage::

    .venv/bin/python scripts/release_exercises.py              # every assignment with a source
    .venv/bin/python scripts/release_exercises.py 02_neuron    # one assignment
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

from dlcourse.checks import ASSIGNMENTS  # noqa: E402  (the assignments, listed once)
from dlgrade.course import make_course  # noqa: E402


def generate(assignments: list[str], course: Path) -> None:
    """Make ``course`` a copy of this course (nbgrader_config.py, solutions/<a> of
    ``assignments``) and run nbgrader generate_assignment there."""
    make_course(course, (ROOT / "nbgrader_config.py").read_text(),
                {a: ROOT / "solutions" / a for a in assignments}, release=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("assignments", nargs="*", help="default: every assignment with a source")
    args = parser.parse_args(argv)
    chosen = args.assignments or [
        a for a in ASSIGNMENTS if (ROOT / "solutions" / a / f"{a}.ipynb").exists()
    ]
    for assignment in chosen:
        if assignment not in ASSIGNMENTS:
            parser.error(f"unknown assignment {assignment!r}; expected one of {ASSIGNMENTS}")
        if not (ROOT / "solutions" / assignment / f"{assignment}.ipynb").exists():
            parser.error(f"solutions/{assignment}/{assignment}.ipynb does not exist")
    with tempfile.TemporaryDirectory(prefix="dlcourse-release-") as tmp:
        course = Path(tmp)
        generate(chosen, course)
        for assignment in chosen:
            target = ROOT / "exercises" / assignment
            if target.exists():
                shutil.rmtree(target)
            shutil.copytree(course / "exercises" / assignment, target)
            print(f"released exercises/{assignment}/")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
