"""The instructor's round trip with real nbgrader and real files: roster import, release with a
due date, collect from a Canvas-style and a Moodle-style zip, an extension, grading with a late
policy, a hand-entered written-answer score, one-student regrades, copied work, and the
Canvas/Moodle/CSV exports parsed back row by row."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

from dlgrade.course import make_course as make_dlgrade_course
from tests.submissions.crafted import TINY_CONFIG, dlcourse, tiny_notebook, tools_env

pytestmark = pytest.mark.slow

# A written answer (graded by hand in formgrader) after the tiny assignment's code.
WRITTEN = "answer_decision_boundary"

# Own code of one student, long enough to fingerprint; COPY is it with other names and comments.
OWN = """\
def sigmoid(t):
    values = np.asarray(t, dtype=float)
    positive = values >= 0
    result = np.empty_like(values)
    result[positive] = 1.0 / (1.0 + np.exp(-values[positive]))
    exp_of_negative = np.exp(values[~positive])
    result[~positive] = exp_of_negative / (1.0 + exp_of_negative)
    return result if result.ndim else float(result)
"""
COPY = """\
def sigmoid(t):
    # my own numerically stable version
    arr = np.asarray(t, dtype=float)
    mask = arr >= 0
    out = np.empty_like(arr)
    out[mask] = 1.0 / (1.0 + np.exp(-arr[mask]))   # safe for big inputs
    e = np.exp(arr[~mask])
    out[~mask] = e / (1.0 + e)
    return out if out.ndim else float(out)
"""
MSE = """\
def mse(y, y_hat):
    total = 0.0
    for a, b in zip(np.ravel(y), np.ravel(y_hat)):
        total += (float(a) - float(b)) ** 2
    return total / np.size(y)
"""

CANVAS_ROSTER = """\
Student,ID,SIS User ID,SIS Login ID,Section,Notebook 1 (777)
    Points Possible,,,,,6
"Archer, Ann",101,9001,ann,Lab A,
"Baker, Bob",102,9002,bob,Lab A,
"Cole, Cid",103,9003,cid,Lab B,
"Dunn, Dan",104,9004,dan,Lab B,
"Evans, Eve",105,9005,eve,Lab A,
"""
EMAILS = {"ann": "ann@uni.example", "dan": "dan@uni.example"}


def course_notebook():
    nb = tiny_notebook()
    cell = nbformat.v4.new_markdown_cell("Explain where the decision boundary lies.\n\n"
                                         "YOUR ANSWER HERE")
    cell.metadata["nbgrader"] = {"grade": True, "solution": True, "locked": False,
                                 "grade_id": WRITTEN, "points": 1, "schema_version": 3}
    nb.cells.append(cell)
    return nb


OTHER = """\
def sigmoid(z):
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(z, dtype=float)))


def mse(y, y_hat):
    diff = np.subtract(y_hat, y, dtype=float)
    return float(np.dot(diff.ravel(), diff.ravel()) / diff.size)
"""


def answer(release: nbformat.NotebookNode, sigmoid: str | None = None) -> str:
    """The release notebook with ``sigmoid`` (default: the reference) and mse filled in;
    ``OTHER`` fills both cells with another independent answer."""
    if sigmoid == OTHER:
        sigmoid, mse = OTHER, ""
    else:
        mse = MSE if sigmoid else None
    nb = nbformat.from_dict(json.loads(nbformat.writes(release)))
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid == "sigmoid":
            cell.source = sigmoid or ("def sigmoid(t):\n    return 1.0 / (1.0 + "
                                      "np.exp(-np.asarray(t, dtype=float)))\n")
        elif gid == "mse":
            cell.source = mse if mse is not None else (
                "def mse(y, y_hat):\n    return float(np.mean((np.asarray(y, float) - "
                "np.asarray(y_hat, float)) ** 2))\n")
    return nbformat.writes(nb)


def add(zf: zipfile.ZipFile, name: str, text: str, when: tuple) -> None:
    info = zipfile.ZipInfo(name, date_time=when)
    info.compress_type = zipfile.ZIP_DEFLATED
    zf.writestr(info, text)


def canvas_zip(path: Path, release) -> Path:
    """Canvas download: ann on time, bob 3 h late, cid 5 h late (extension), eve copies ann
    with renamed variables, a stranger's file; dan submitted nothing."""
    with zipfile.ZipFile(path, "w") as zf:
        add(zf, "archerann_101_5001_tiny.ipynb", answer(release, OWN), (2026, 12, 1, 16, 0, 0))
        add(zf, "bakerbob_LATE_102_5002_tiny.ipynb", answer(release), (2026, 12, 1, 20, 0, 0))
        add(zf, "colecid_LATE_103_5003_tiny-1.ipynb", answer(release, OTHER),
            (2026, 12, 1, 22, 0, 0))
        add(zf, "evanseve_105_5005_tiny.ipynb", answer(release, COPY), (2026, 12, 1, 16, 30, 0))
        add(zf, "zedzoe_999_5009_tiny.ipynb", answer(release), (2026, 12, 1, 16, 0, 0))
    return path


def gradebook(course: Path, db: str | None = None):
    from nbgrader.api import Gradebook

    return Gradebook(db or f"sqlite:///{course / 'gradebook.db'}", "tiny-course")


def read_csv(path) -> list[dict]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def snapshot(course: Path, students) -> dict:
    """Bytes and mtimes of each student's status file, feedback page and autograded notebook."""
    out = {}
    for s in students:
        for p in [course / "grading/tiny/status" / f"{s}.json",
                  course / "grading/tiny/feedback" / f"{s}.html",
                  course / "autograded" / s / "tiny" / "tiny.ipynb"]:
            if p.exists():
                out[str(p)] = (p.read_bytes(), p.stat().st_mtime_ns)
    return out


def scores(course: Path, db=None) -> dict:
    with gradebook(course, db) as gb:
        return {s.student.id: (float(s.score), float(s.late_submission_penalty or 0),
                               {g.name: (g.auto_score, g.manual_score)
                                for nb in s.notebooks for g in nb.grades})
                for s in gb.assignment_submissions("tiny")}


def make(root: Path, tmp_path: Path, db: str | None = None) -> tuple[Path, list]:
    course = make_dlgrade_course(root, TINY_CONFIG.format(timeout=20, extra=""),
                                 {"tiny": course_notebook()})
    db_args = ["--db", db] if db else []
    roster = tmp_path / "roster.csv"
    roster.write_text(CANVAS_ROSTER)
    proc = dlcourse("roster", "import", roster, *db_args, cwd=course)
    assert "5 added, 0 changed, 0 unchanged" in proc.stdout, proc.stdout + proc.stderr
    # emails come from a plain roster: re-import updates, never duplicates
    plain = tmp_path / "emails.csv"
    plain.write_text("id,first_name,last_name,email\n" + "".join(
        f"{s},{s.title()},{ln},{e}\n" for (s, e), ln in zip(EMAILS.items(),
                                                            ["Archer", "Dunn"], strict=True)))
    proc = dlcourse("roster", "import", plain, *db_args, cwd=course)
    assert "0 added, 2 changed, 0 unchanged" in proc.stdout, proc.stdout + proc.stderr
    # a file of two students: the others are named, and kept
    assert "not in emails.csv: bob, cid, eve (kept" in proc.stdout, proc.stdout
    proc = dlcourse("release", "tiny", "--due", "2026-12-01 17:00", "--timezone",
                    "Europe/London", *db_args, cwd=course)
    assert proc.returncode == 0 and "due 2026-12-01 17:00 UTC" in proc.stdout, proc.stderr
    release = nbformat.read(course / "exercises/tiny/tiny.ipynb", as_version=4)
    return course, db_args, release


def round_trip(course: Path, tmp_path: Path, db_args: list, release, db=None):
    zpath = canvas_zip(tmp_path / "submissions.zip", release)
    proc = dlcourse("collect", "tiny", zpath, *db_args, cwd=course, check=False)
    assert proc.returncode == 1, proc.stdout + proc.stderr  # one unmatched file
    assert "unmatched (not copied): " in proc.stderr and "zedzoe_999_5009" in proc.stderr
    assert sorted(p.name for p in (course / "submitted").iterdir()) == [
        "ann", "bob", "cid", "eve"]
    # a Canvas download holds no upload time (its zipper stamps each entry as it writes
    # it): LATE_ files are named until Canvas's times (SpeedGrader) are given (review 23g)
    assert "bob: Canvas marks the file late" in proc.stderr, proc.stderr
    assert not (course / "submitted/bob/tiny/timestamp.txt").exists()
    times = tmp_path / "times.csv"
    times.write_text("student,submitted_at\nbob,2026-12-01 20:00\ncid,2026-12-01 22:00\n")
    proc = dlcourse("collect", "tiny", zpath, "--timestamps", times, *db_args, cwd=course,
                    check=False)
    assert proc.returncode == 1, proc.stdout + proc.stderr  # the unmatched file only
    assert "Canvas marks the file late" not in proc.stderr, proc.stderr
    stamp = (course / "submitted/bob/tiny/timestamp.txt").read_text().strip()
    assert stamp == "2026-12-01 20:00:00.000000 UTC"

    proc = dlcourse("extend", "tiny", "cid", "--hours", "24", *db_args, cwd=course)
    assert "cid: 24 h extension" in proc.stdout
    proc = dlcourse("grade", "tiny", "--late-policy", "10%/h:50%", "--no-progress", *db_args,
                    cwd=course)
    assert proc.returncode in (0, 2), proc.stdout + proc.stderr

    rows = {r["student"]: r for r in read_csv(course / "grading/tiny/grades.csv")}
    assert sorted(rows) == ["ann", "bob", "cid", "dan", "eve"]  # every roster student
    assert rows["dan"]["status"] == "no submission" and rows["dan"]["score"] == "0"
    assert rows["dan"]["max_score"] == "6"
    # bob: 3 started hours late at 10 % each of his 5 points
    assert (rows["bob"]["late_by"], rows["bob"]["penalty"], rows["bob"]["score"]) == (
        "3", "1.5", "3.5")
    assert rows["bob"]["submitted_at"] == "2026-12-01T20:00:00Z"
    # cid: 5 h late but 24 h extension -> no penalty
    assert (rows["cid"]["late_by"], rows["cid"]["penalty"], rows["cid"]["score"]) == (
        "0", "0", "5")
    assert (rows["ann"]["late_by"], rows["ann"]["score"]) == ("0", "5")

    report = json.loads((course / "grading/tiny/report.json").read_text())
    pairs = [(m["a"], m["b"]) for m in report["copied_work"]]
    assert pairs == [("ann", "eve")], report["copied_work"]
    assert report["copied_work"][0]["score"] > 0.9
    assert WRITTEN not in report["per_function"]  # blank written answer: no 0 % bar
    html = (course / "grading/tiny/report.html").read_text()
    assert "Copied work (1)" in html and "ann and eve" in html

    # a written answer graded by hand through nbgrader's API shows up everywhere
    with gradebook(course, db) as gb:
        grade = gb.find_grade(WRITTEN, "tiny", "tiny", "ann")
        grade.manual_score = 1.0
        gb.db.commit()
    dlcourse("report", "tiny", *db_args, cwd=course)
    rows = {r["student"]: r for r in read_csv(course / "grading/tiny/grades.csv")}
    assert rows["ann"]["score"] == "6" and rows["ann"][WRITTEN] == "1"

    # exports, parsed back row by row
    for fmt in ("canvas", "moodle", "csv"):
        # Canvas: the roster's existing assignment column, so the import updates it
        column = ["--column", "Notebook 1 (777)"] if fmt == "canvas" else []
        proc = dlcourse("export", "tiny", "--format", fmt, "-o", tmp_path / f"{fmt}.csv",
                        *column, *db_args, cwd=course)
        assert proc.returncode == 0, proc.stderr
    text = (tmp_path / "canvas.csv").read_text()
    lines = list(csv.reader(io.StringIO(text)))
    assert lines[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section",
                        "Notebook 1 (777)"]
    assert lines[1][0].strip() == "Points Possible" and lines[1][5] == "6"
    canvas = {r[3]: r for r in lines[2:]}
    assert canvas == {  # SIS User ID and Section as the roster import read them
        "ann": ["Archer, Ann", "101", "9001", "ann", "Lab A", "6"],
        "bob": ["Baker, Bob", "102", "9002", "bob", "Lab A", "3.5"],
        "cid": ["Cole, Cid", "103", "9003", "cid", "Lab B", "5"],
        "dan": ["Dunn, Dan", "104", "9004", "dan", "Lab B", "0"],
        "eve": ["Evans, Eve", "105", "9005", "eve", "Lab A", "5"],
    }
    moodle = read_csv(tmp_path / "moodle.csv")
    assert [(r["Email address"], r["ID number"], r["tiny"], r["Feedback"]) for r in moodle] == [
        ("ann@uni.example", "ann", "6", ""), ("", "bob", "3.5", "late penalty 1.5"),
        ("", "cid", "5", ""), ("dan@uni.example", "dan", "0", "no submission"),
        ("", "eve", "5", "")]
    own = {r["student"]: r["score"] for r in read_csv(tmp_path / "csv.csv")}
    assert own == {"ann": "6", "bob": "3.5", "cid": "5", "dan": "0", "eve": "5"}

    # plain nbgrader writes the same Canvas file through the plugin's module path (the guide
    # shows this command), and through the old dlgrade.export path
    dlcourse("export", "tiny", "--format", "canvas", "-o", tmp_path / "ours.csv", *db_args,
             cwd=course)
    for exporter in ("dlgrade.lms.canvas.CanvasExportPlugin",
                     "dlgrade.export.CanvasExportPlugin"):
        theirs = tmp_path / f"{exporter}.csv"
        subprocess.run([sys.executable, "-m", "nbgrader", "export", f"--exporter={exporter}",
                        '--assignment=["tiny"]', f"--to={theirs}", "--log-level=WARN",
                        *([f"--db={db}"] if db else [])], cwd=course, check=True,
                       env=tools_env(None), capture_output=True)
        assert theirs.read_text() == (tmp_path / "ours.csv").read_text(), exporter

    # --student regrades bob only; the others' files and gradebook entries stay as they were
    others = ["ann", "cid", "eve"]
    before, before_scores = snapshot(course, others), scores(course, db)
    bob_before = json.loads((course / "grading/tiny/status/bob.json").read_text())
    proc = dlcourse("grade", "tiny", "--student", "bob", "--late-policy", "10%/h:50%",
                    "--no-progress", *db_args, cwd=course)
    assert "1 graded" in proc.stdout and "0 unchanged" in proc.stdout, proc.stdout
    assert snapshot(course, others) == before
    after = scores(course, db)
    assert {s: after[s] for s in others} == {s: before_scores[s] for s in others}
    assert after["ann"][2][WRITTEN][1] == 1.0  # the hand-entered score survived
    bob_after = json.loads((course / "grading/tiny/status/bob.json").read_text())
    assert bob_after["graded_at"] >= bob_before["graded_at"] and after["bob"][1] == 1.5
    return course


def test_round_trip_roster_to_export(course_dir, tmp_path):
    course, db_args, release = make(Path(course_dir) / "c", tmp_path)
    round_trip(course, tmp_path, db_args, release)

    # a malformed roster or zip changes nothing in the gradebook or the submissions
    before = scores(course)
    with gradebook(course) as gb:
        people = sorted((s.id, s.first_name, s.email) for s in gb.students)
    bad = tmp_path / "bad.csv"
    bad.write_text("id,first_name,last_name,email\nann,Ann,New,ann@x.example\n"
                   "zed,Zed,Z,zed@x.example\nbad id,B,C,b@x.example\n")
    proc = dlcourse("roster", "import", bad, cwd=course, check=False)
    assert proc.returncode != 0 and "line 4" in proc.stderr, proc.stderr
    broken = tmp_path / "broken.zip"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    proc = dlcourse("collect", "tiny", broken, cwd=course, check=False)
    assert proc.returncode != 0, proc.stdout
    with gradebook(course) as gb:
        assert sorted((s.id, s.first_name, s.email) for s in gb.students) == people
    assert scores(course) == before


def test_collect_moodle_download_with_timestamps_file(course_dir, tmp_path):
    course = make_dlgrade_course(Path(course_dir) / "m", TINY_CONFIG.format(timeout=20, extra=""),
                                 {"tiny": course_notebook()})
    roster = tmp_path / "moodle_roster.csv"
    roster.write_text("First name,Last name,ID number,Email address\n"
                      "Ann,Archer,s1,ann@uni.example\nBob,Baker,s2,bob@uni.example\n"
                      "Cid,Cole,s3,cid@uni.example\n")
    assert "3 added" in dlcourse("roster", "import", roster, cwd=course).stdout
    dlcourse("release", "tiny", "--due", "2026-12-01 17:00", cwd=course)
    release = nbformat.read(course / "exercises/tiny/tiny.ipynb", as_version=4)
    zpath = tmp_path / "moodle.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        add(zf, "Ann Archer_41_assignsubmission_file_/tiny.ipynb", answer(release),
            (2026, 12, 1, 9, 0, 0))
        add(zf, "Bob  baker_42_assignsubmission_file_/my notebook.ipynb", answer(release),
            (2026, 12, 1, 9, 0, 0))
        add(zf, "Nobody Known_43_assignsubmission_file_/tiny.ipynb", answer(release),
            (2026, 12, 1, 9, 0, 0))
    stamps = tmp_path / "times.csv"
    stamps.write_text("student,submitted_at\ns2,2026-12-01T19:30:00+01:00\n")
    proc = dlcourse("collect", "tiny", zpath, "--timestamps", stamps, cwd=course, check=False)
    assert proc.returncode == 1
    assert "Nobody Known_43_assignsubmission_file_/tiny.ipynb" in proc.stderr
    assert sorted(p.name for p in (course / "submitted").iterdir()) == ["s1", "s2"]
    assert (course / "submitted/s1/tiny/tiny.ipynb").is_file()
    assert (course / "submitted/s2/tiny/tiny.ipynb").is_file()  # the only notebook
    assert (course / "submitted/s1/tiny/timestamp.txt").read_text().startswith(
        "2026-12-01 09:00:00")
    assert (course / "submitted/s2/tiny/timestamp.txt").read_text().startswith(
        "2026-12-01 18:30:00")


def test_round_trip_with_the_postgresql_gradebook(course_dir, tmp_path, postgres):
    course, db_args, release = make(Path(course_dir) / "pg", tmp_path, db=postgres)
    assert not (course / "gradebook.db").exists()  # everything went to PostgreSQL
    round_trip(course, tmp_path, db_args, release, db=postgres)
