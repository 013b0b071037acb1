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
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

from dlcourse.checks import ASSIGNMENTS  # noqa: E402  (the assignments, listed once)


def nbgrader_env() -> dict[str, str]:
    """Environment in which `nbgrader` finds `jupyter` and `alembic` (the venv's bin first)."""
    env = dict(os.environ)
    bin_dir = str(Path(sys.executable).parent)
    env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "")
    return env


def generate(assignments: list[str], course: Path) -> None:
    """Run nbgrader generate_assignment for ``assignments`` in the course folder ``course``.

    ``course`` receives a copy of nbgrader_config.py and of each solutions/<a> folder.
    """
    shutil.copy(ROOT / "nbgrader_config.py", course / "nbgrader_config.py")
    for assignment in assignments:
        shutil.copytree(ROOT / "solutions" / assignment, course / "solutions" / assignment,
                        ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    for assignment in assignments:
        subprocess.run(
            [str(Path(sys.executable).parent / "nbgrader"), "generate_assignment", assignment,
             "--force", "--log-level=WARN"],
            cwd=course, env=nbgrader_env(), check=True,
        )


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
