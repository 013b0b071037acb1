"""Submissions whose folders carry traps for whoever copies them (issue 21, item 1).

Each student hands in the tiny assignment solved correctly, plus a first cell that prints,
base64-encoded, every readable file beside the notebook, so whatever the grader copied into the
kernel's folder shows up in the autograded notebook and the feedback. Beside the notebook lie:

- ``links-solutions``: ``notes.txt`` -> the course's solutions notebook;
- ``links-environ``: ``env.txt`` -> ``/proc/self/environ`` (the grader's environment holds
  :data:`SECRET_VALUE`);
- ``hard-link``: ``answers.txt``, a second name of the solutions notebook (only where the
  kernel does not protect hard links: with ``fs.protected_hardlinks = 1`` a student cannot
  link a file they could not read, and a second name is copied like any file,
  tests/test_safe_files_keep.py);
- ``fifo``: ``pipe.csv``, a named pipe (a copy that never ends, or an error);
- ``links-notebook``: the notebook itself is a link to the solutions notebook;
- ``oversized``: a 6 MB ``big.csv`` (over the 5 MB limit);
- ``honest-data``: a small ``data.csv`` (allowed: it must reach the kernel).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import nbformat

from dlgrade.safe_files import hard_links_protected
from tests.submissions.crafted import decoded_outputs, make_variant

#: Put into the grading process's environment; no file of the course may show it afterwards.
SECRET_ENV = "DLCOURSE_TEST_DB_PASSWORD"
SECRET_VALUE = "grader-secret-7f3a9c"
#: Text only the solutions notebook holds (a hidden test's message).
SOLUTION_MARK = "secret-sigmoid-two"
DATA_TEXT = "x,y\n1,2\n"

READER = """\
import base64 as _b64, os as _os
for _name in sorted(_os.listdir(".")):
    if _name.endswith((".txt", ".csv")) and _os.path.isfile(_name):
        with open(_name, "rb") as _f:
            print("FILE", _name, _b64.b64encode(_f.read()[:300000]).decode())
"""

STUDENTS = ["links-solutions", "links-environ", "hard-link", "fifo", "links-notebook",
            "oversized", "honest-data", "links-in-cache", "links-in-checkpoints", "many-files"]
if hard_links_protected():
    STUDENTS.remove("hard-link")
#: how many small .py files "many-files" hands in beside the notebook (the cap is 50 files;
#: their names sort before "tiny.ipynb", review 21b hole 9)
MANY_FILES = 80
#: student -> (refused file, words of the reason)
REFUSED = {
    "links-solutions": ("notes.txt", "a symbolic link"),
    "links-environ": ("env.txt", "a symbolic link (to /proc/self/environ)"),
    "hard-link": ("answers.txt", "a hard link"),  # where hard links are not protected
    "fifo": ("pipe.csv", "a named pipe (FIFO)"),
    "links-notebook": ("tiny.ipynb", "a symbolic link"),
    "oversized": ("big.csv", "over the limit of 5.0 MB per file"),
    # editor leftovers' folders are not copied, but a link hidden there is a finding
    "links-in-cache": ("__pycache__/notes.txt", "a symbolic link"),
    "links-in-checkpoints": (".ipynb_checkpoints/tiny-checkpoint.ipynb", "a symbolic link"),
}
REFUSED = {s: r for s, r in REFUSED.items() if s in STUDENTS}


def _reading_notebook(release: Path, source: Path) -> str:
    nb = nbformat.reads(make_variant("correct", release, source), as_version=4)
    nb.cells.insert(0, nbformat.v4.new_code_cell(READER))
    return nbformat.writes(nb)


def hand_in(course: Path) -> None:
    """Write the submissions of :data:`STUDENTS` into ``course/submitted``."""
    release = course / "exercises" / "tiny" / "tiny.ipynb"
    source = course / "solutions" / "tiny" / "tiny.ipynb"
    text = _reading_notebook(release, source)
    for student in STUDENTS:
        folder = course / "submitted" / student / "tiny"
        folder.mkdir(parents=True)
        if student != "links-notebook":
            (folder / "tiny.ipynb").write_text(text)
    sub = course / "submitted"
    (sub / "links-solutions" / "tiny" / "notes.txt").symlink_to(source)
    (sub / "links-environ" / "tiny" / "env.txt").symlink_to("/proc/self/environ")
    if "hard-link" in STUDENTS:
        os.link(source, sub / "hard-link" / "tiny" / "answers.txt")
    os.mkfifo(sub / "fifo" / "tiny" / "pipe.csv")
    (sub / "links-notebook" / "tiny" / "tiny.ipynb").symlink_to(source)
    (sub / "oversized" / "tiny" / "big.csv").write_bytes(b"1,2\n" * (6 << 18))
    (sub / "honest-data" / "tiny" / "data.csv").write_text(DATA_TEXT)
    for student, folder in (("links-in-cache", "__pycache__"),
                            ("links-in-checkpoints", ".ipynb_checkpoints")):
        name = REFUSED[student][0]
        (sub / student / "tiny" / folder).mkdir()
        (sub / student / "tiny" / name).symlink_to(source)
    for i in range(MANY_FILES):
        (sub / "many-files" / "tiny" / f"a{i:02d}.py").write_text("x = 1\n")


def _decoded(text: str) -> str:
    """``text`` plus every base64 blob in it decoded (also the READER's short ones)."""
    import base64

    blobs = [base64.b64decode(b).decode("utf-8", errors="replace")
             for b in re.findall(r"^FILE \S+ (\S*)$", text, re.M)]
    return "\n".join([text, decoded_outputs(text), *blobs])


def printed(notebook: Path) -> str:
    """What the autograded notebook's cells printed, with base64 blobs decoded."""
    nb = nbformat.read(str(notebook), as_version=4)
    text = "".join(str(o.get("text", "")) + "".join(o.get("traceback", []))
                   for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))
    return _decoded(text)


def leaks_in(folder: Path) -> list[str]:
    """Files below ``folder`` (links not followed) that show the grader's secret or the
    solutions' hidden-test text, raw or base64-encoded. Of an autograded notebook (which holds
    the restored hidden tests by design) only what its cells printed counts."""
    found = []
    for path in sorted(folder.rglob("*")):
        if path.is_symlink() or not path.is_file() or path.stat().st_size > 20 << 20:
            continue
        if path.suffix == ".ipynb":
            text = printed(path)
        else:
            text = _decoded(path.read_bytes().decode("utf-8", errors="replace"))
        if SECRET_VALUE in text or SOLUTION_MARK in text:
            found.append(str(path.relative_to(folder)))
    return found


def file_names(text: str) -> set[str]:
    """Names the READER cell printed (``FILE <name> <base64>``)."""
    return set(re.findall(r"^FILE (\S+) ", text, re.M))
