"""The submissions a collect replaced, kept so that an unwanted resubmission can be taken back
(issue 23, review 23j finding 3).

Before ``collect`` writes a student's new notebook over the one collected before, the whole
submitted folder (``submitted/<student>/<assignment>/``, ``timestamp.txt`` included) is copied
to ``<output>/<assignment>/replaced/<student>/<n>/files/``, with ``meta.json`` beside it: the
student's time-source and file-time records and Canvas file id as they were (collect's
:data:`dlgrade.time_records.TIME_SOURCES`, :data:`dlgrade.time_records.FILE_TIMES`,
``canvas_files.json``), when that notebook was collected and when it was replaced. The last
:data:`KEEP` per student are kept; an older one is deleted when a newer one comes (never by a
revert, which takes one out as it puts one in).

This module only stores and hands back; :func:`dlgrade.collect.revert` puts a kept
submission back and keeps the one it replaces here in turn, so a revert is undone by
reverting again.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
from pathlib import Path

from .course import Course

FOLDER = "replaced"
#: how many replaced submissions are kept per student and assignment
KEEP = 3


def student_folder(course: Course, assignment: str, student: str) -> Path:
    return course.output_dir(assignment) / FOLDER / student


def _not_plain(folder: str, names: list[str]) -> set[str]:
    """The entries of ``folder`` that are neither a regular file, a folder nor a link."""
    out = set()
    for name in names:
        try:
            mode = os.lstat(os.path.join(folder, name)).st_mode
        except OSError:
            out.add(name)
            continue
        if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode) or stat.S_ISLNK(mode)):
            out.add(name)
    return out


def _numbers(folder: Path) -> list[int]:
    if not folder.is_dir():
        return []
    return sorted(int(p.name) for p in folder.iterdir()
                  if p.name.isdigit() and (p / "meta.json").is_file())


def keep(course: Course, assignment: str, student: str, meta: dict,
         prune: bool = True) -> Path:
    """Copy the student's submitted folder with ``meta`` (a JSON-able dict) as the newest kept
    submission; drop the oldest beyond :data:`KEEP` unless ``prune`` is false (a revert
    keeps first and prunes after :func:`put_back` took its entry out, so it never drops
    one: review 23m, finding 3). Returns the new entry's folder."""
    folder = student_folder(course, assignment, student)
    numbers = _numbers(folder)
    entry = folder / str((numbers[-1] if numbers else 0) + 1)
    tmp = folder / f".{entry.name}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    # collect writes plain files; a link is kept as a link, never followed, and a pipe or
    # device put there by hand is left out (opening a pipe to copy it would wait forever)
    shutil.copytree(course.submitted_dir / student / assignment, tmp / "files",
                    symlinks=True, ignore=_not_plain)
    (tmp / "meta.json").write_text(json.dumps(meta, indent=1, sort_keys=True,
                                              ensure_ascii=False) + "\n")
    os.replace(tmp, entry)
    if prune:
        drop_oldest(course, assignment, student)
    return entry


def drop_oldest(course: Course, assignment: str, student: str) -> None:
    """Delete the kept submissions of ``student`` beyond the newest :data:`KEEP`."""
    folder = student_folder(course, assignment, student)
    for old in _numbers(folder)[:-KEEP]:
        shutil.rmtree(folder / str(old), ignore_errors=True)


def latest(course: Course, assignment: str, student: str) -> tuple[Path, dict] | None:
    """``(entry folder, meta)`` of the submission replaced last, ``None`` without one."""
    folder = student_folder(course, assignment, student)
    for number in reversed(_numbers(folder)):
        entry = folder / str(number)
        try:
            return entry, json.loads((entry / "meta.json").read_text())
        except (OSError, ValueError):
            continue
    return None


def put_back(course: Course, entry: Path, assignment: str, student: str) -> None:
    """Replace the student's submitted folder with the kept ``entry``'s files (their
    modification times kept: the notebook's is when it was collected) and drop ``entry``."""
    target = course.submitted_dir / student / assignment
    tmp = target.with_name(f".{assignment}.revert")
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.copytree(entry / "files", tmp, symlinks=True)
    old = target.with_name(f".{assignment}.old")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        os.replace(target, old)
    os.replace(tmp, target)
    shutil.rmtree(old, ignore_errors=True)
    shutil.rmtree(entry)
