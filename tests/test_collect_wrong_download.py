"""What ``dlcourse collect`` does with the wrong download and with uploads in the wrong
format, through the real command on a scratch Canvas course (review 23d, P1, P2, P2b):

- another assignment's download (every Canvas download is called ``submissions.zip``) is
  refused before anything is written, with the command that collects it; ``--force`` takes it;
- a roster student whose only upload is a PDF is named, ``not collected`` with the reason,
  exported with an empty grade, and ``dlcourse grade`` prints her line and exits 2.
"""

from __future__ import annotations

import csv
import json
import zipfile
from pathlib import Path

import nbformat
import pytest

from dlgrade.course import make_course as make_dlgrade_course
from tests.submissions.crafted import TINY_CONFIG, dlcourse, tiny_notebook

pytestmark = pytest.mark.slow  # real nbgrader collect and grade runs

CANVAS = """\
Student,ID,SIS User ID,SIS Login ID,Section
"Nguyen, An",12349,9349,anguyen,Lab A
"Smith, Jane",12350,9350,jsmith,Lab A
"Other, Bob",12351,9351,bother,Lab A
"""
WHO = {"anguyen": "nguyenan_12349", "jsmith": "smithjane_12350", "bother": "otherbob_12351"}


def _course(course_dir, tmp_path) -> Path:
    course = make_dlgrade_course(Path(course_dir) / "c", TINY_CONFIG.format(timeout=20, extra=""),
                                 {"tiny": tiny_notebook(), "other": tiny_notebook()})
    roster = tmp_path / "canvas.csv"
    roster.write_text(CANVAS, encoding="utf-8")
    proc = dlcourse("roster", "import", roster, cwd=course)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return course


def _download(path: Path, files: dict[str, str]) -> Path:
    """A Canvas download: ``{student: file name as uploaded}``, each with its own file id."""
    with zipfile.ZipFile(path, "w") as zf:
        for i, (student, name) in enumerate(sorted(files.items())):
            body = nbformat.writes(tiny_notebook()) if name.endswith(".ipynb") else "%PDF-1.4"
            zf.writestr(f"{WHO[student]}_{800 + i}_{name}", body)
    return path


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _state(course: Path) -> dict:
    return {str(p.relative_to(course)): p.read_bytes()
            for p in sorted((course / "submitted").rglob("*")) if p.is_file()} | {
        "record": (course / "grading/tiny/canvas_files.json").read_bytes()}


def test_another_assignments_download_is_refused_before_anything_is_written(
        course_dir, tmp_path):
    course = _course(course_dir, tmp_path)
    right = _download(tmp_path / "tiny.zip", {"anguyen": "tiny.ipynb", "jsmith": "tiny.ipynb"})
    proc = dlcourse("collect", "tiny", right, cwd=course)
    assert proc.returncode == 0 and "copied 2 new" in proc.stdout, proc.stdout + proc.stderr
    before = _state(course)

    # the other assignment's download, later and so with larger Canvas file ids
    wrong = tmp_path / "submissions.zip"
    with zipfile.ZipFile(wrong, "w") as zf:
        for i, student in enumerate(sorted(WHO)):
            zf.writestr(f"{WHO[student]}_{900 + i}_other.ipynb", nbformat.writes(tiny_notebook()))
    proc = dlcourse("collect", "tiny", wrong, cwd=course)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert _one_line(proc.stderr) == (
        "Error: this looks like the other download (3 of 3 notebooks are other.ipynb; they "
        "would replace the notebooks collected for anguyen, jsmith): nothing copied; "
        "collect it with `dlcourse collect other ...`, or pass --force if these students "
        "really handed in other's notebook for tiny (it is then graded as tiny's)")
    assert _state(course) == before and not (course / "submitted/bother").exists()
    # the right download is still taken as it is (not refused as "older")
    proc = dlcourse("collect", "tiny", right, cwd=course)
    assert proc.returncode == 0 and "0 new, 0 changed; 2 unchanged" in proc.stdout, proc.stderr
    # and the advice leads where it says: the other assignment takes it
    proc = dlcourse("collect", "other", wrong, cwd=course)
    assert proc.returncode == 0 and "copied 3 new" in proc.stdout, proc.stdout + proc.stderr

    # one student's slip among the right files, for a student not collected yet: a warning
    slip = tmp_path / "slip.zip"
    with zipfile.ZipFile(slip, "w") as zf:
        zf.writestr(f"{WHO['anguyen']}_800_tiny.ipynb", nbformat.writes(tiny_notebook()))
        zf.writestr(f"{WHO['jsmith']}_801_tiny.ipynb", nbformat.writes(tiny_notebook()))
        zf.writestr(f"{WHO['bother']}_950_other.ipynb", nbformat.writes(tiny_notebook()))
    proc = dlcourse("collect", "tiny", slip, cwd=course)
    assert proc.returncode == 0 and "copied 1 new" in proc.stdout, proc.stdout + proc.stderr
    assert "1 file named after other's notebook" in _one_line(proc.stderr), proc.stderr
    # the same slip replacing a collected notebook is refused, and --force takes it
    slip2 = tmp_path / "slip2.zip"
    with zipfile.ZipFile(slip2, "w") as zf:
        zf.writestr(f"{WHO['anguyen']}_990_other.ipynb", "{}")
        zf.writestr(f"{WHO['jsmith']}_801_tiny.ipynb", nbformat.writes(tiny_notebook()))
        zf.writestr(f"{WHO['bother']}_950_other.ipynb", nbformat.writes(tiny_notebook()))
    before = _state(course)
    proc = dlcourse("collect", "tiny", slip2, "--dry-run", cwd=course)
    assert proc.returncode == 2 and "(2 of 3 notebooks are other.ipynb; they would replace " \
        "the notebooks collected for anguyen, bother)" in _one_line(proc.stderr), proc.stderr
    assert _state(course) == before
    proc = dlcourse("collect", "tiny", slip2, "--force", cwd=course)
    assert proc.returncode == 0 and "copied 0 new," in proc.stdout, proc.stdout + proc.stderr
    assert (course / "submitted/anguyen/tiny/tiny.ipynb").read_text() == "{}"


def test_a_pdf_instead_of_the_notebook_is_named_not_collected_and_not_a_zero(
        course_dir, tmp_path):
    course = _course(course_dir, tmp_path)
    dlcourse("release", "tiny", cwd=course)
    zipped = _download(tmp_path / "submissions.zip",
                       {"anguyen": "tiny.ipynb", "jsmith": "tiny.pdf"})
    proc = dlcourse("collect", "tiny", zipped, cwd=course, check=False)
    why = ("handed in tiny.pdf (a .pdf), not the notebook tiny.ipynb: ask for it, put it in "
           "the download (zip or folder) and collect again")
    assert proc.returncode == 1 and "copied 1 new" in proc.stdout, proc.stdout + proc.stderr
    assert f"not collected: jsmith: {why}" in _one_line(proc.stderr), proc.stderr
    out = tmp_path / "canvas_out.csv"
    proc = dlcourse("export", "tiny", "--format", "canvas", "-o", out, cwd=course)
    assert proc.returncode == 0, proc.stderr
    rows = {r[3]: r for r in csv.reader(out.open(newline="", encoding="utf-8"))}
    assert rows["jsmith"][5] == "" and rows["bother"][5] == "0", rows

    # every submission graded, yet the run is not all clean: jsmith's work waits
    proc = dlcourse("grade", "tiny", "--no-progress", cwd=course)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert f"jsmith: not collected ({why})" in _one_line(proc.stdout), proc.stdout
    assert "anguyen:" not in proc.stdout and "bother:" not in proc.stdout, proc.stdout
    report = json.loads((course / "grading/tiny/report.json").read_text())
    assert "not collected" in json.dumps(report)
    # a rerun with nothing new says the same
    proc = dlcourse("grade", "tiny", "--no-progress", cwd=course)
    assert proc.returncode == 2 and "jsmith: not collected" in proc.stdout, proc.stdout
