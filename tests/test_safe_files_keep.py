"""The grader never destroys what a student handed in (review 21g, DEL and HL).

Honest students hand in ordinary extras the grader does not copy (``report.pdf`` and
``model.h5``, a folder five levels deep), a notebook over the size limit, and a submission whose
files have a second name (the instructor's ``cp -al`` backup of ``submitted/``). One batch is
graded with plain ``nbgrader autograde`` + ``generate_feedback`` under the repository's config
(N), another copy of it with ``dlcourse grade`` (G). On both paths ``submitted/`` stays
byte-identical, the extras reach neither ``autograded/`` nor ``feedback/``, the students keep
their points, and the notebook over the limit fails with that reason.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
from pathlib import Path

import nbformat
import numpy as np
import pytest

from dlgrade import safe_files
from tests.submissions.crafted import (
    dlcourse,
    grade_with_plain_nbgrader,
    make_course,
    project_config,
)
from tests.submissions.hostile_files import DATA_TEXT, _reading_notebook, file_names, printed

pytestmark = pytest.mark.slow

#: student -> extra files beside the notebook (relative path -> bytes)
EXTRAS = {
    "honest-pdf": {"report.pdf": b"%PDF-1.4 my report\n", "model.h5": b"\x89HDF\r\n\x1a\n"},
    "honest-deep": {"data/a/b/c/d/e.csv": b"1,2\n"},
    "honest-linked": {"data.csv": DATA_TEXT.encode()},
    "honest-big": {},
    "over-cap": {},
}
#: student -> (refused file as the status names it, words of the reason)
NOT_COPIED = {
    "honest-pdf": [("report.pdf", "not on the list"), ("model.h5", "not on the list")],
    "honest-deep": [("data/a/b/c/d/", "nested deeper than 4 levels")],
}
CAP = "over the limit of 50.0 MB per file"


def _over_cap(text: str) -> str:
    """The honest notebook with 51 MB of plots in a Markdown cell's attachment-like text."""
    nb = nbformat.reads(text, as_version=4)
    nb.cells.append(nbformat.v4.new_markdown_cell("plots: " + "A" * (51 << 20)))
    return nbformat.writes(nb)


def _with_plots(text: str, mb: int) -> str:
    """The honest notebook whose first code cell shows ``mb`` MB of pictures (a PNG output, as
    many plots leave it; base64 of random bytes, so it does not compress)."""
    nb = nbformat.reads(text, as_version=4)
    cell = next(c for c in nb.cells if c.cell_type == "code")
    png = base64.b64encode(np.random.default_rng(0).bytes((mb << 20) * 3 // 4)).decode()
    cell.outputs = [nbformat.v4.new_output("display_data", data={"image/png": png})]
    return nbformat.writes(nb)


def _hand_in(course: Path) -> dict[str, bytes]:
    """Write the submissions; a hard-link backup of submitted/ (``cp -al``) gives every file of
    ``honest-linked`` a second name. Returns {path below submitted/: bytes}."""
    text = _reading_notebook(course / "exercises" / "tiny" / "tiny.ipynb",
                             course / "solutions" / "tiny" / "tiny.ipynb")
    for student, extras in EXTRAS.items():
        folder = course / "submitted" / student / "tiny"
        folder.mkdir(parents=True)
        notebook = {"over-cap": _over_cap(text), "honest-big": _with_plots(text, 48)}
        (folder / "tiny.ipynb").write_text(notebook.get(student, text))
        for rel, data in extras.items():
            (folder / rel).parent.mkdir(parents=True, exist_ok=True)
            (folder / rel).write_bytes(data)
    subprocess.run(["cp", "-al", str(course / "submitted" / "honest-linked"),
                    str(course / "backup-honest-linked")], check=True)
    assert os.stat(course / "submitted" / "honest-linked" / "tiny" / "data.csv").st_nlink == 2
    return _snapshot(course / "submitted")


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and not p.is_symlink()}


def _copied(course: Path, student: str) -> list[str]:
    folder = course / "autograded" / student / "tiny"
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")
                  if p.name != "timestamp.txt")


ENV = {"DLCOURSE_SANDBOX_MEMORY": "1G"}
needs_protection = pytest.mark.skipif(
    not safe_files.hard_links_protected(),
    reason="fs.protected_hardlinks is 0 here: hard links are refused (see the module)")


@pytest.fixture(scope="module")
def plain(tmp_path_factory):
    course = make_course(tmp_path_factory.mktemp("keep-files-nbgrader") / "course",
                         extra_config=project_config())
    graded = grade_with_plain_nbgrader(course, _hand_in, {**os.environ, **ENV})
    return {"course": course, "before": graded["handed_in"], "scores": graded["scores"],
            "log": graded["log"]}


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    course = make_course(tmp_path_factory.mktemp("keep-files-grade") / "course",
                         extra_config=project_config())
    dlcourse("release", cwd=course, env=ENV)
    before = _hand_in(course)
    run = dlcourse("grade", "tiny", "--workers", "2", "--no-progress", cwd=course, env=ENV)
    status = {s: json.loads((course / "grading" / "tiny" / "status" / f"{s}.json").read_text())
              for s in EXTRAS}
    return {"course": course, "before": before, "status": status, "run": run}


@pytest.fixture(params=["plain", "engine"])
def graded(request):
    return request.getfixturevalue(request.param)


def test_submitted_is_byte_identical_after_grading(graded):
    course = graded["course"]
    assert _snapshot(course / "submitted") == graded["before"]
    assert os.stat(course / "submitted" / "honest-linked" / "tiny" / "data.csv").st_nlink == 2


@pytest.mark.parametrize("student", sorted(NOT_COPIED))
def test_refused_extras_stay_home_and_reach_no_kernel_and_no_feedback(graded, student):
    course = graded["course"]
    assert _copied(course, student) == ["tiny.ipynb"]
    assert sorted(p.name for p in (course / "feedback" / student / "tiny").iterdir()) == \
        ["tiny.html"]


@pytest.mark.parametrize("student", sorted(NOT_COPIED))
def test_plain_nbgrader_keeps_the_points_and_logs_what_it_did_not_copy(plain, student):
    assert plain["scores"][student] == 5.0, plain["scores"]
    for name, why in NOT_COPIED[student]:
        lines = [ln for ln in plain["log"].splitlines()
                 if f"Not copied {plain['course']}" in ln
                 and f"/{student}/tiny/{name.rstrip('/')}:" in ln]
        assert lines and why in lines[0], plain["log"][-3000:]
    assert f"Removed {plain['course']}" not in plain["log"]


@pytest.mark.parametrize("student", sorted(NOT_COPIED))
def test_dlcourse_grade_keeps_the_points_and_names_the_files(engine, student):
    record = engine["status"][student]
    assert (record["status"], record["score"]) == ("needs manual grading", 5.0), record
    for name, why in NOT_COPIED[student]:
        assert f"{name}" in record["reason"] and why in record["reason"], record["reason"]


@needs_protection
def test_a_hard_linked_honest_submission_is_graded_fully(graded):
    course = graded["course"]
    if "scores" in graded:
        assert graded["scores"]["honest-linked"] == 5.0, graded["scores"]
    else:
        record = graded["status"]["honest-linked"]
        assert (record["status"], record["score"]) == ("graded", 5.0), record
    assert _copied(course, "honest-linked") == ["data.csv", "tiny.ipynb"]
    text = printed(course / "autograded" / "honest-linked" / "tiny" / "tiny.ipynb")
    assert file_names(text) == {"data.csv"} and DATA_TEXT in text


def test_a_48_mb_notebook_of_plots_is_graded(graded):
    """Review 21g, DEL: an honest notebook over the old 20 MB cap grades under the sandbox's
    limits (``DLCOURSE_SANDBOX_MEMORY=1G``) and the grader's own memory cap."""
    size = (graded["course"] / "submitted" / "honest-big" / "tiny" / "tiny.ipynb").stat().st_size
    assert 47 << 20 < size < 50 << 20
    if "scores" in graded:
        assert graded["scores"]["honest-big"] == 5.0, graded["scores"]
    else:
        record = graded["status"]["honest-big"]
        assert (record["status"], record["score"]) == ("graded", 5.0), record
    assert _copied(graded["course"], "honest-big") == ["tiny.ipynb"]


def test_a_notebook_over_the_cap_fails_with_the_reason_and_is_kept(graded):
    course = graded["course"]
    assert (course / "submitted" / "over-cap" / "tiny" / "tiny.ipynb").stat().st_size > 51 << 20
    assert not (course / "autograded" / "over-cap" / "tiny" / "tiny.ipynb").exists()
    if "scores" in graded:  # plain nbgrader: an error naming the notebook and the limit
        assert graded["scores"].get("over-cap", 0.0) == 0.0
        errors = [ln for ln in graded["log"].splitlines()
                  if "RuntimeError: the submission cannot be graded" in ln]
        assert errors and "tiny.ipynb: " in errors[0] and CAP in errors[0], graded["log"][-3000:]
        assert "No submitted file" not in graded["log"]
    else:
        record = graded["status"]["over-cap"]
        assert record["status"] == "failed" and CAP in record["reason"], record
        assert "tiny.ipynb was not copied" in record["reason"]
