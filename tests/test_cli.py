"""The ``dlcourse`` command line: help, release, collect (zip and folder), bad input, check.

Real nbgrader in a temporary course (tests/submissions/crafted.py builds it); grading itself
is covered by tests/test_grading.py and tests/test_postgres.py. ``dlcourse`` is the teaching
package's argparse front (dlcourse/cli.py); release, collect, grade and report are dlgrade's
click commands, found through entry points.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import shutil
import zipfile
from dataclasses import dataclass

import pytest

from dlcourse.cli import main
from tests.submissions.crafted import REPO, dlcourse, make_course, make_variant

pytestmark = pytest.mark.slow  # real nbgrader in a temporary course: not in `make test-fast`

COMMANDS = ["release", "collect", "grade", "report", "check"]


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def cli(*args, cwd) -> Result:
    """Run ``dlcourse ARGS`` in this process (the console script's code, without start-up)."""
    old = os.getcwd()
    out, err = io.StringIO(), io.StringIO()
    os.chdir(cwd)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main([str(a) for a in args])
            except SystemExit as exc:  # argparse's --help and usage errors
                code = exc.code if isinstance(exc.code, int) else 1
    finally:
        os.chdir(old)
    return Result(code, out.getvalue(), err.getvalue())


def test_console_script_runs(tmp_path):
    proc = dlcourse("--help", cwd=tmp_path)
    assert proc.returncode == 0 and proc.stdout.startswith("usage: dlcourse")
    for name in COMMANDS:
        assert f"\n  {name} " in proc.stdout


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(tmp_path, command):
    result = cli(command, "--help", cwd=tmp_path)
    assert result.exit_code == 0, result.output
    assert result.stdout.lower().startswith(f"usage: dlcourse {command} ")


def test_global_options_reach_the_instructor_commands(tmp_path):
    result = cli("--course", tmp_path, "grade", "tiny", cwd=REPO)
    assert result.exit_code == 2
    assert f"{tmp_path.resolve()} holds no nbgrader_config.py" in " ".join(result.stderr.split())


@pytest.mark.parametrize("args", [["nope"], [], ["check"], ["check", "--no-such-option", "x"]])
def test_bad_usage_exits_2(tmp_path, args):
    assert cli(*args, cwd=tmp_path).exit_code == 2


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = make_course(tmp_path_factory.mktemp("cli") / "course")
    proc = dlcourse("release", cwd=root)
    assert proc.returncode == 0, proc.stderr
    assert "released tiny" in proc.stdout
    return root


def test_release_writes_student_version_and_gradebook(course):
    from nbgrader.api import Gradebook

    release = (course / "exercises" / "tiny" / "tiny.ipynb").read_text()
    assert "def sigmoid" in release and "BEGIN SOLUTION" not in release
    assert "secret-sigmoid-two" not in release  # hidden tests stripped
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        assert gb.find_assignment("tiny").max_score == 5


def _lms_files(course):
    text = make_variant("correct", course / "exercises/tiny/tiny.ipynb",
                        course / "solutions/tiny/tiny.ipynb")
    return {
        "alice_tiny.ipynb": text,                 # flat LMS name
        "bob/tiny.ipynb": text,                   # folder per student
        "carol/tiny/tiny.ipynb": text,            # nbgrader layout
        "dave_tiny.ipynb": text,                  # dave twice: reported, not copied
        "dave/tiny.ipynb": text + " ",
        "notes.ipynb": text,                      # no student in the name
        "erin_other.ipynb": text,                 # another assignment
        "readme.txt": "not a notebook",
        "__MACOSX/._alice_tiny.ipynb": "junk",
        "._bob_tiny.ipynb": "junk",               # a Mac's resource fork beside a file
    }


def test_collect_names_notebooks_renamed_by_the_download(course, tmp_path):
    """Review 23b, R4: files that are notebooks under another ending were only counted."""
    archive = tmp_path / "renamed.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("frank_tiny.IPYNB", "{}")
        zf.writestr("gina_tiny.ipynb.txt", "{}")
        zf.writestr("readme.txt", "not a notebook")
    proc = dlcourse("collect", "tiny", archive, "--dry-run", cwd=course, check=False)
    assert "3 non-notebook files ignored" in proc.stdout
    named = [line for line in proc.stderr.splitlines() if "not collected: " in line]
    assert len(named) == 2, proc.stderr
    assert any("frank_tiny.IPYNB" in line for line in named)
    assert any("gina_tiny.ipynb.txt" in line for line in named)


def test_collect_zip_reports_unmatched_and_duplicates(course, tmp_path):
    archive = tmp_path / "downloads.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for name, text in _lms_files(course).items():
            zf.writestr(f"submissions/{name}", text)
    proc = dlcourse("collect", "tiny", archive, cwd=course, check=False)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "copied 3 new, 0 changed" in proc.stdout
    assert "1 non-notebook files ignored" in proc.stdout
    assert "submissions/notes.ipynb" in proc.stderr
    assert "submissions/erin_other.ipynb" in proc.stderr
    assert proc.stderr.count("unmatched (not copied)") == 2
    assert "several files for dave (none copied)" in proc.stderr
    submitted = sorted(p.relative_to(course / "submitted").as_posix()
                       for p in (course / "submitted").rglob("*.ipynb"))
    assert submitted == ["alice/tiny/tiny.ipynb", "bob/tiny/tiny.ipynb", "carol/tiny/tiny.ipynb"]
    # dave handed in: the report says "not collected" and why, not "no submission" with a 0
    assert dlcourse("report", "tiny", cwd=course).returncode == 0
    with open(course / "grading" / "tiny" / "grades.csv", newline="") as f:
        dave = next(r for r in csv.DictReader(f) if r["student"] == "dave")
    assert (dave["status"], dave["score"]) == ("not collected", "")
    assert dave["reason"].startswith("2 files found, none collected (downloads/submissions/dave")
    assert "delete all but the one to grade from the download" in dave["reason"]

    # the same download again changes nothing; a changed file is reported as changed
    again = dlcourse("collect", "tiny", archive, cwd=course, check=False)
    assert "copied 0 new, 0 changed; 3 unchanged" in again.stdout
    folder = tmp_path / "folder"
    (folder / "alice").mkdir(parents=True)
    (folder / "alice" / "tiny.ipynb").write_text(_lms_files(course)["alice_tiny.ipynb"] + "\n")
    proc = dlcourse("collect", "tiny", folder, cwd=course)
    assert proc.returncode == 0 and "copied 0 new, 1 changed" in proc.stdout
    assert "dave" in (course / "grading" / "tiny" / "not_collected.json").read_text()
    (folder / "alice" / "tiny.ipynb").unlink()  # dave's one file collected: no longer refused
    (folder / "dave_tiny.ipynb").write_text(_lms_files(course)["dave_tiny.ipynb"])
    proc = dlcourse("collect", "tiny", folder, cwd=course)
    assert proc.returncode == 0 and "copied 1 new" in proc.stdout
    assert "dave" not in (course / "grading" / "tiny" / "not_collected.json").read_text()
    shutil.rmtree(course / "submitted" / "dave")  # the module's course as the other tests had it


@pytest.mark.parametrize("args, message", [
    (["collect", "nope", "."], "assignment: got 'nope', expected one of tiny"),
    (["collect", "tiny", "nbgrader_config.py"], "is a file but not a zip archive"),
    (["release", "nope"], "assignment: got 'nope'"),
    (["grade", "tiny", "--shard", "3/2"], "shard: got '3/2'"),
    (["grade", "tiny", "--workers", "0"], "--workers"),
    (["grade", "nope"], "assignment: got 'nope'"),
])
def test_bad_input_is_named(course, args, message):
    result = cli(*args, cwd=course)
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.stderr.split())


def test_outside_a_course_says_so(tmp_path):
    result = cli("grade", "tiny", cwd=tmp_path)
    assert result.exit_code == 2
    assert "no nbgrader_config.py found" in " ".join(result.stderr.split())


def test_grade_before_release_names_the_fix(tmp_path):
    root = make_course(tmp_path / "course")
    result = cli("grade", "tiny", cwd=root)
    assert result.exit_code == 2
    assert "run `dlcourse release tiny`" in " ".join(result.stderr.split())


def test_grade_with_no_submissions_writes_an_empty_report(tmp_path):
    root = make_course(tmp_path / "course")
    assert cli("release", "tiny", cwd=root).exit_code == 0
    result = cli("--output", tmp_path / "out", "grade", "tiny", "--no-progress", cwd=root)
    assert result.exit_code == 0, result.output
    assert "0 graded (0 need manual grading), 0 failed" in result.stdout
    lines = (tmp_path / "out" / "tiny" / "grades.csv").read_text().splitlines()
    assert lines == ["student,score,max_score,status,reason,runtime_s,submitted_at,late_by,"
                     "penalty"]
    assert "data:image/png;base64," in (tmp_path / "out" / "tiny" / "report.html").read_text()


@pytest.mark.parametrize("kind, code", [("correct", 0), ("blank", 1)])
def test_check_exit_status(tmp_path, kind, code):
    """The documented exit policy, through the real console script: 0 pass, 1 fail."""
    assignment = "01_curve_fitting"
    release = REPO / "exercises" / assignment / f"{assignment}.ipynb"
    source = REPO / "solutions" / assignment / f"{assignment}.ipynb"
    path = tmp_path / f"{assignment}.ipynb"
    path.write_text(make_variant(kind, release, source))
    proc = dlcourse("check", path, cwd=tmp_path, check=False)
    assert proc.returncode == code, proc.stdout + proc.stderr
    assert ("FAIL" in proc.stdout) == (code == 1)


def test_check_exits_2_on_what_is_not_an_exercise_notebook(tmp_path):
    """... and 2 for bad usage: no such file, or a notebook without autograded tests."""
    import nbformat

    plain = tmp_path / "plain.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")]), plain)
    proc = dlcourse("check", plain, tmp_path / "missing.ipynb", cwd=tmp_path, check=False)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "no autograded test cells" in proc.stdout
    assert "missing.ipynb" in proc.stderr
