"""A term through the real ``dlcourse`` command on a real scratch course (issue 23): hand
grades that every later run keeps (``--force``, a copied course folder, an interrupted run),
statuses and exit codes read back from the gradebook on every run.

One module-scoped course is graded step by step (each step builds on the last, as a term
does), in one test; each step is a function of its own, so a traceback names the step.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import nbformat
import pytest

from dlgrade.course import make_course as make_dlgrade_course
from tests.submissions.crafted import TINY_CONFIG, dlcourse, submit, tiny_notebook  # noqa: F401

pytestmark = pytest.mark.slow

WRITTEN = "answer_decision_boundary"


def course_notebook():
    nb = tiny_notebook()
    cell = nbformat.v4.new_markdown_cell("Explain where the decision boundary lies.\n\n"
                                         "YOUR ANSWER HERE")
    cell.metadata["nbgrader"] = {"grade": True, "solution": True, "locked": False,
                                 "grade_id": WRITTEN, "points": 1, "schema_version": 3}
    nb.cells.append(cell)
    return nb


def answered(release, essay: str) -> str:
    """The release notebook with both functions right and ``essay`` as the written answer."""
    nb = nbformat.from_dict(json.loads(nbformat.writes(release)))
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid == "sigmoid":
            cell.source = ("def sigmoid(t):\n    return 1.0 / (1.0 + "
                           "np.exp(-np.asarray(t, dtype=float)))\n")
        elif gid == "mse":
            cell.source = ("def mse(y, y_hat):\n    return float(np.mean((np.asarray(y, float)"
                           " - np.asarray(y_hat, float)) ** 2))\n")
        elif gid == WRITTEN:
            cell.source = essay
    return nbformat.writes(nb)


def rows(course: Path) -> dict[str, dict]:
    with open(course / "grading/tiny/grades.csv", newline="") as f:
        return {r["student"]: r for r in csv.DictReader(f)}


def gradebook_scores(course: Path) -> dict[str, float]:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "tiny-course") as gb:
        return {s.student.id: float(s.score) for s in gb.assignment_submissions("tiny")}


def feedback_pages(course: Path, student: str) -> list[str]:
    """The page handed to the student and nbgrader's own copy, as text."""
    import html

    return [html.unescape(p.read_text(encoding="utf-8")) for p in
            (course / f"grading/tiny/feedback/{student}.html",
             course / f"feedback/{student}/tiny/tiny.html")]


def assert_feedback_shows(course: Path, student: str, score: str, comment: str) -> None:
    for page in feedback_pages(course, student):
        assert f"Score: {score}" in page and comment in page, page[:2000]


def grade(course: Path, *args):
    return dlcourse("grade", "tiny", "--no-progress", *args, cwd=course)


@pytest.fixture(scope="module")
def base():
    base = os.environ.get("DLCOURSE_TEST_COURSE_BASE") or (
        "/srv" if os.access("/srv", os.W_OK) else None)
    root = Path(tempfile.mkdtemp(prefix="dlcourse-term-", dir=base))
    os.chmod(root, 0o755)
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def course(base):
    course = make_dlgrade_course(base / "c", TINY_CONFIG.format(timeout=20, extra=""),
                                 {"tiny": course_notebook()})
    dlcourse("release", "tiny", cwd=course)
    release = nbformat.read(course / "exercises/tiny/tiny.ipynb", as_version=4)
    submit(course, "tiny", "ann", answered(release, "Where sigmoid(w.x + b) = 0.5."))
    submit(course, "tiny", "bob", answered(release, "Somewhere in the middle."))
    return course


@pytest.fixture(scope="module")
def release(course):
    return nbformat.read(course / "exercises/tiny/tiny.ipynb", as_version=4)


def _first_run_waits_for_the_written_answers(course):
    proc = grade(course)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    # --no-progress: one line per student not plainly graded
    assert f"  ann: needs manual grading (written answers to grade by hand: {WRITTEN})" \
        in proc.stdout, proc.stdout
    assert "  bob: needs manual grading" in proc.stdout
    assert rows(course)["ann"]["score"] == "5"


def _mark_grades_by_hand_and_the_status_clears(course):
    for page in feedback_pages(course, "ann"):
        assert "Score: 5.0 / 6.0" in page
    proc = dlcourse("mark", "tiny", "ann", WRITTEN, "1", "--comment", "Richtig: w·x + b = 0",
                    cwd=course)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # the page the student gets says what the gradebook holds (issue 23 review, D1)
    assert_feedback_shows(course, "ann", "6.0 / 6.0", "Richtig: w·x + b = 0")
    assert proc.stdout.strip() == f"ann: {WRITTEN} 1; tiny 6/6, graded"
    row = rows(course)["ann"]
    assert (row["score"], row["status"], row[WRITTEN]) == ("6", "graded", "1")
    report = json.loads((course / "grading/tiny/report.json").read_text())
    assert report["counts"] == {"graded": 1, "needs manual grading": 1}
    # bad input: a clear message, nothing changed
    for args, words in [(["ann", WRITTEN, "3"], "expected a number from 0 to 1"),
                        (["ann", "no_such_cell", "1"], "expected a graded cell of tiny"),
                        (["zed", WRITTEN, "1"], "'zed' is not on the roster")]:
        proc = dlcourse("mark", "tiny", *args, cwd=course, check=False)
        assert proc.returncode == 2 and words in proc.stderr, proc.stderr
    assert gradebook_scores(course)["ann"] == 6


def _a_rerun_with_nothing_new_reports_the_same(course):
    proc = grade(course)
    assert "0 graded" in proc.stdout and "2 unchanged" in proc.stdout, proc.stdout
    assert proc.returncode == 2  # bob still waits: a cron job must not see "all clean"
    assert "  bob: needs manual grading" in proc.stdout and "ann:" not in proc.stdout


def _a_score_set_by_a_script_counts_and_reaches_the_page(course):
    """Review 23, D1 and D7: a script that sets only ``manual_score`` (issue 23's snippet) and
    a comment, as formgrader would; ``dlcourse report`` counts it, clears the status and
    renders bob's page again."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "tiny-course") as gb:
        gb.find_grade(WRITTEN, "tiny", "tiny", "bob").manual_score = 1.0
        gb.find_comment(WRITTEN, "tiny", "tiny", "bob").manual_comment = "Gut gemacht"
        gb.db.commit()
    dlcourse("report", "tiny", cwd=course)
    row = rows(course)["bob"]
    assert (row["score"], row["status"]) == ("6", "graded"), row
    assert_feedback_shows(course, "bob", "6.0 / 6.0", "Gut gemacht")


def _force_keeps_the_hand_grade(course):
    proc = grade(course, "--force")
    assert "2 graded" in proc.stdout, proc.stdout
    assert gradebook_scores(course)["ann"] == 6
    row = rows(course)["ann"]
    assert (row["score"], row["status"]) == ("6", "graded")
    status = json.loads((course / "grading/tiny/status/ann.json").read_text())
    assert status["status"] == "graded" and status["score"] == 6
    assert_feedback_shows(course, "ann", "6.0 / 6.0", "Richtig: w·x + b = 0")
    row = rows(course)["bob"]  # the script's score is kept like formgrader's
    assert (row["score"], row["status"]) == ("6", "graded"), row
    assert_feedback_shows(course, "bob", "6.0 / 6.0", "Gut gemacht")


def _a_copied_course_folder_regrades_nothing(course, base):
    copy = base / "copy"
    shutil.copytree(course, copy, symlinks=True)
    proc = grade(copy)
    assert "0 graded" in proc.stdout and "2 unchanged" in proc.stdout, proc.stdout
    assert rows(copy)["ann"]["score"] == "6"


def _an_interrupted_regrade_loses_nothing(course):
    """State a run killed after the worker cleared ann's entry leaves behind; the next run
    grades her again and the hand grade comes back."""
    from dlgrade.course import Course
    from dlgrade.engine import _prepare
    from dlgrade.worker import clear_student

    c = Course(course)
    _prepare(c, "tiny", ["ann"])
    clear_student(c, "tiny", "ann")
    dlcourse("report", "tiny", cwd=course)
    row = rows(course)["ann"]
    assert row["status"] == "pending" and row["score"] == "", row  # not an old number
    proc = grade(course)
    assert "1 graded" in proc.stdout, proc.stdout
    assert gradebook_scores(course)["ann"] == 6 and rows(course)["ann"]["score"] == "6"


def _a_changed_answer_drops_its_hand_grade(course, release):
    assert dlcourse("mark", "tiny", "bob", WRITTEN, "0.5", cwd=course).returncode == 0
    proc = grade(course)
    assert proc.returncode == 0, proc.stdout  # every student graded: exit 0
    submit(course, "tiny", "bob", answered(release, "Where w.x + b = 0, a hyperplane."))
    proc = grade(course)
    assert "1 graded" in proc.stdout and proc.returncode == 2, proc.stdout
    assert "  bob: needs manual grading" in proc.stdout
    status = json.loads((course / "grading/tiny/status/bob.json").read_text())
    assert any("hand grade of " + WRITTEN in n and "answer changed" in n
               for n in status["notes"]), status["notes"]
    assert rows(course)["bob"]["score"] == "5"


def _a_plain_nbgrader_autograde_is_noticed(course):
    """Review 23d, P8: nbgrader's own autograde rewrites ann's scores and late penalty with
    its settings, not dlcourse's; the next run sees her autograded folder is not the one it
    wrote, grades her again, says why, and keeps her hand grade."""
    from dlgrade.course import run_nbgrader

    run_nbgrader(course, "autograde", "tiny", "--student", "ann", "--force")
    # report and export refuse to write that tool's scores (review 23e, P8b), nothing written
    grades_csv = (course / "grading/tiny/grades.csv").read_bytes()
    before = gradebook_scores(course)["ann"]
    for args in (["report", "tiny"], ["export", "tiny", "--format", "moodle", "-o", "-"],
                 ["export", "tiny", "--format", "csv"], ["mark", "tiny", "ann", WRITTEN, "0"]):
        proc = dlcourse(*args, cwd=course)
        said = " ".join(proc.stderr.split())
        assert proc.returncode == 2 and proc.stdout == "", (args, proc.stdout, said)
        assert ("Error: assignment: 1 student of tiny was graded since by another tool (ann; a "
                "plain `nbgrader autograde`?)" in said and "run `dlcourse grade tiny` first"
                in said and "Nothing was written" in said), (args, said)
    assert (course / "grading/tiny/grades.csv").read_bytes() == grades_csv
    assert gradebook_scores(course)["ann"] == before  # mark put no hand grade of 0 in
    # a run for another student leaves her as she is, and says so on her line
    proc = grade(course, "--student", "bob")
    assert "tiny: 1 graded" in proc.stdout, proc.stdout
    assert ("  ann: graded since by another tool (a plain `nbgrader autograde`?): its scores "
            "are in grades.csv until `dlcourse grade tiny` grades them again") in proc.stdout
    proc = grade(course)
    assert "1 graded" in proc.stdout and "1 unchanged" in proc.stdout, proc.stdout
    assert ("tiny: graded since by another tool (a plain `nbgrader autograde`?" in proc.stdout
            and "1 graded before graded again (ann)" in proc.stdout), proc.stdout
    assert gradebook_scores(course)["ann"] == 6 and rows(course)["ann"]["score"] == "6"
    proc = grade(course)  # and then it is dlcourse's again: nothing to do
    assert "0 graded" in proc.stdout and "another tool" not in proc.stdout, proc.stdout
    proc = dlcourse("export", "tiny", "--format", "moodle", "-o", "-", cwd=course)
    assert proc.returncode == 0 and proc.stdout.startswith("Email address,"), proc.stderr


def test_a_term_keeps_hand_grades_and_statuses_true(course, base, release):
    """The steps in the order a term takes them (one test, so that pytest-xdist cannot
    hand the steps to different workers)."""
    _first_run_waits_for_the_written_answers(course)
    _mark_grades_by_hand_and_the_status_clears(course)
    _a_rerun_with_nothing_new_reports_the_same(course)
    _a_score_set_by_a_script_counts_and_reaches_the_page(course)
    _force_keeps_the_hand_grade(course)
    _a_copied_course_folder_regrades_nothing(course, base)
    _an_interrupted_regrade_loses_nothing(course)
    _a_changed_answer_drops_its_hand_grade(course, release)
    _a_plain_nbgrader_autograde_is_noticed(course)


CANVAS_TERM_ROSTER = """\
Student,ID,SIS User ID,SIS Login ID,Section
"García-López, María",12351,9351,mgarcia,Lab A
"O'Brien, Seán",12346,9346,sobrien,Lab B
"Nguyen, An",12348,9348,anguyen,Lab B
"""


def test_collect_matches_canvas_files_by_user_id(course_dir, tmp_path):
    """The issue's Canvas names: hyphen, apostrophe, accent, upper case, late markers; a
    stranger and a flat name of someone off the roster are listed, never created."""
    import zipfile

    course = make_dlgrade_course(Path(course_dir) / "lms", TINY_CONFIG.format(timeout=20,
                                                                              extra=""),
                                 {"tiny": course_notebook()})
    roster = tmp_path / "canvas.csv"
    roster.write_text(CANVAS_TERM_ROSTER, encoding="utf-8")
    assert "3 added" in dlcourse("roster", "import", roster, cwd=course).stdout
    dlcourse("release", "tiny", cwd=course)
    text = (course / "exercises/tiny/tiny.ipynb").read_text()
    archive = tmp_path / "submissions.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for name in ["garcia-lopezmaria_12351_880007_tiny.ipynb",
                     "obrienseán_LATE_12346_880002_tiny-1.ipynb",
                     "NGUYENAN_late_12348_880004_tiny.ipynb",
                     "zedzoe_99999_880009_tiny.ipynb",
                     "outsider_tiny.ipynb"]:
            zf.writestr(name, text)
    proc = dlcourse("collect", "tiny", archive, cwd=course, check=False)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "copied 3 new" in proc.stdout, proc.stdout
    assert sorted(p.name for p in (course / "submitted").iterdir()) == [
        "anguyen", "mgarcia", "sobrien"]
    assert ("unmatched (not copied): submissions/zedzoe_99999_880009_tiny.ipynb: no roster "
            "student has Canvas user id 99999") in proc.stderr, proc.stderr
    assert ("unmatched (not copied): submissions/outsider_tiny.ipynb: 'outsider' is not on "
            "the roster") in proc.stderr

    # the same download again (Canvas stamps the zip entries anew): recognised by the file
    # ids, nothing changes; a Canvas file's time is Canvas's marker, never an entry's
    # (review 23g, G1), so there is no timestamp.txt before or after
    assert "mgarcia      submitted on time (Canvas)" in proc.stdout, proc.stdout
    assert not (course / "submitted/mgarcia/tiny/timestamp.txt").exists()
    again = tmp_path / "again.zip"
    with zipfile.ZipFile(archive) as old, zipfile.ZipFile(again, "w") as zf:
        for info in old.infolist():
            info.date_time = (2026, 12, 9, 10, 0, 0)
            zf.writestr(info, old.read(info.filename))
    proc = dlcourse("collect", "tiny", again, cwd=course, check=False)
    assert "copied 0 new, 0 changed; 3 unchanged" in proc.stdout, proc.stdout
    assert "mgarcia      submitted on time (Canvas)" in proc.stdout, proc.stdout
    assert not (course / "submitted/mgarcia/tiny/timestamp.txt").exists()

    # a resubmission: two files of one user id, the newer one (higher file id) taken, said;
    # an older download collected afterwards is refused
    newer = text + "\n"
    resub = tmp_path / "resubmission.zip"
    with zipfile.ZipFile(resub, "w") as zf:
        zf.writestr("garcia-lopezmaria_12351_880007_tiny.ipynb", text)
        zf.writestr("garcia-lopezmaria_12351_880031_tiny-1.ipynb", newer)
    proc = dlcourse("collect", "tiny", resub, cwd=course)
    assert proc.returncode == 0 and "copied 0 new, 1 changed" in proc.stdout, proc.stdout
    assert ("warning: mgarcia: 2 Canvas files; took the newest, "
            "resubmission/garcia-lopezmaria_12351_880031_tiny-1.ipynb (file id 880031), not "
            "resubmission/garcia-lopezmaria_12351_880007_tiny.ipynb (file id 880007)"
            ) in proc.stderr, proc.stderr
    assert (course / "submitted/mgarcia/tiny/tiny.ipynb").read_text() == newer
    proc = dlcourse("collect", "tiny", archive, cwd=course, check=False)
    assert proc.returncode == 1
    assert ("refused (not copied): submissions/garcia-lopezmaria_12351_880007_tiny.ipynb: "
            "older than the file already collected for mgarcia (Canvas file id 880007 < "
            "880031)") in proc.stderr, proc.stderr
    assert (course / "submitted/mgarcia/tiny/tiny.ipynb").read_text() == newer

    # Canvas's test student (the roster import skips "Student, Test"): its trial upload is
    # ignored and said, not an unmatched file that fails the collect (review 23b, R8)
    trial = tmp_path / "trial.zip"
    with zipfile.ZipFile(trial, "w") as zf:
        zf.writestr("studenttest_99990_880050_tiny.ipynb", text)
    proc = dlcourse("collect", "tiny", trial, cwd=course, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "studenttest_99990_880050_tiny.ipynb: Canvas's test student: ignored" in proc.stderr
    # said once, not also as a renamed notebook or a non-notebook file (review 23c, F3)
    assert "does not end in" not in proc.stderr and "0 non-notebook files" in proc.stdout
    assert not (course / "submitted/studenttest").exists()

    # the same class exported with another login column: refused, nothing added
    other = tmp_path / "canvas2.csv"
    other.write_text(CANVAS_TERM_ROSTER.replace("mgarcia", "maria.garcia"), encoding="utf-8")
    proc = dlcourse("roster", "import", other, cwd=course, check=False)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "LMS user id 12351 of 'maria.garcia' already belongs to 'mgarcia'" in proc.stderr
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "tiny-course") as gb:
        assert sorted(s.id for s in gb.students) == ["anguyen", "mgarcia", "sobrien"]


MOODLE_TERM_ROSTER = """\
First name,Last name,ID number,Email address
Jörg,MÜLLER,5021,joerg@uni.example
Åsa,Øberg,5030,asa@uni.example
"""


def test_a_moodle_participant_id_is_never_taken_for_a_student_id(course_dir, tmp_path):
    """Review 23, D2: Åsa's Moodle participant id is 5021, which is Jörg's matriculation
    number (the roster's "ID number"). Her file is hers, matched by name with a warning that
    says so; Jörg, who uploaded nothing, gets nothing."""
    import zipfile

    course = make_dlgrade_course(Path(course_dir) / "moodle", TINY_CONFIG.format(
        timeout=20, extra=""), {"tiny": course_notebook()})
    roster = tmp_path / "moodle.csv"
    roster.write_text(MOODLE_TERM_ROSTER, encoding="utf-8")
    assert "2 added" in dlcourse("roster", "import", roster, cwd=course).stdout
    dlcourse("release", "tiny", cwd=course)
    archive = tmp_path / "moodle.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("Åsa Øberg_5021_assignsubmission_file_/tiny.ipynb",
                    (course / "exercises/tiny/tiny.ipynb").read_text())
    proc = dlcourse("collect", "tiny", archive, cwd=course)
    assert "copied 1 new" in proc.stdout, proc.stdout + proc.stderr
    assert sorted(p.name for p in (course / "submitted").iterdir()) == ["5030"]
    assert ("matched by name only: no roster student has Moodle participant id 5021; "
            "'Åsa Øberg' is the name of 5030") in proc.stderr, proc.stderr

    # D8: the same bytes in a later download (entries stamped anew) keep the first time
    stamp = (course / "submitted/5030/tiny/timestamp.txt").read_text()
    again = tmp_path / "again.zip"
    with zipfile.ZipFile(archive) as old, zipfile.ZipFile(again, "w") as zf:
        for info in old.infolist():
            info.date_time = (2026, 12, 9, 13, 0, 0)
            zf.writestr(info, old.read(info.filename))
    proc = dlcourse("collect", "tiny", again, cwd=course)
    assert "copied 0 new, 0 changed; 1 unchanged" in proc.stdout, proc.stdout
    assert (course / "submitted/5030/tiny/timestamp.txt").read_text() == stamp


MOODLE_PARTICIPANTS = """\
First name,Surname,ID number,Email address
Anna,Schmidt,,anna.schmidt@uni-a.example
Anna,Schmidt,,anna.schmidt@gmail.com
Åsa,Øberg,,asa@uni.example
Jörg,MÜLLER,5021,joerg@uni.example
"""
# Moodle's grading worksheet of one assignment: no ID number column on this site
MOODLE_WORKSHEET = """\
Identifier,Full name,Email address,Status,Grade,Maximum Grade,Grade can be changed
Participant 1500231,Anna Schmidt,anna.schmidt@uni-a.example,Submitted for grading,,2,Yes
Participant 1500232,Anna Schmidt,anna.schmidt@gmail.com,Submitted for grading,,2,Yes
Participant 1500233,Åsa Øberg,asa@uni.example,Submitted for grading,,2,Yes
Participant 1500234,Jörg MÜLLER,joerg@uni.example,No submission,,2,Yes
"""


def test_moodle_students_are_known_by_address_and_files_by_participant_id(course_dir,
                                                                           tmp_path):
    """Issue 23 (D2 of the review and its D10 items): two Anna Schmidts with one local part
    are two students; the assignment's grading worksheet gives the participant ids, and the
    files of two students of one name go to the right one by id, with no warning; a re-import
    says what it did, and a student missing from a newer roster is named and kept."""
    import zipfile

    course = make_dlgrade_course(Path(course_dir) / "moodle-ids", TINY_CONFIG.format(
        timeout=20, extra=""), {"tiny": course_notebook()})
    roster = tmp_path / "participants.csv"
    roster.write_text(MOODLE_PARTICIPANTS, encoding="utf-8")
    proc = dlcourse("roster", "import", roster, cwd=course)
    assert "roster: 4 added, 0 changed, 0 unchanged" in proc.stdout, proc.stdout + proc.stderr
    proc = dlcourse("roster", "import", roster, cwd=course)
    assert "roster: 0 added, 0 changed, 4 unchanged (4 students" in proc.stdout, proc.stdout
    assert "not in" not in proc.stdout
    dlcourse("release", "tiny", cwd=course)

    worksheet = tmp_path / "worksheet.csv"
    worksheet.write_text(MOODLE_WORKSHEET, encoding="utf-8")
    proc = dlcourse("roster", "import", worksheet, cwd=course, check=False)
    assert proc.returncode == 2 and "give --assignment NAME" in proc.stderr, proc.stderr
    proc = dlcourse("roster", "import", worksheet, "--assignment", "tiny", cwd=course)
    # the worksheet names Jörg by address only: he keeps his ID number as his id
    assert "roster: 0 added, 0 changed, 4 unchanged" in proc.stdout, proc.stdout + proc.stderr

    release = nbformat.read(course / "exercises/tiny/tiny.ipynb", as_version=4)
    archive = tmp_path / "moodle.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for number in ("1500231", "1500232", "1500233"):
            name = "Åsa Øberg" if number.endswith("3") else "Anna Schmidt"
            zf.writestr(f"{name}_{number}_assignsubmission_file_/tiny.ipynb",
                        answered(release, f"answer of {number}"))
    proc = dlcourse("collect", "tiny", archive, cwd=course)
    assert "copied 3 new" in proc.stdout and "warning" not in proc.stderr, (
        proc.stdout + proc.stderr)
    for student, number in (("anna.schmidt@uni-a.example", "1500231"),
                            ("anna.schmidt@gmail.com", "1500232"), ("asa@uni.example",
                                                                    "1500233")):
        assert f"answer of {number}" in (
            course / "submitted" / student / "tiny/tiny.ipynb").read_text(), student

    # Moodle's export maps by the email; the ID number only where the roster had one
    out = tmp_path / "moodle.csv"
    dlcourse("export", "tiny", "--format", "moodle", "-o", out, cwd=course)
    rows = {r["Email address"]: r["ID number"] for r in csv.DictReader(out.open())}
    assert rows == {"joerg@uni.example": "5021", "anna.schmidt@gmail.com": "",
                    "anna.schmidt@uni-a.example": "", "asa@uni.example": ""}

    # Jörg dropped the course: named, kept with his record
    newer = tmp_path / "participants-later.csv"
    newer.write_text(MOODLE_PARTICIPANTS.replace("Jörg,MÜLLER,5021,joerg@uni.example\n", ""),
                     encoding="utf-8")
    proc = dlcourse("roster", "import", newer, cwd=course)
    assert "roster: 0 added, 0 changed, 3 unchanged" in proc.stdout, proc.stdout
    assert ("  not in participants-later.csv: 5021 (kept in the gradebook with their grades"
            in proc.stdout), proc.stdout
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "tiny-course") as gb:
        assert len(gb.students) == 4


def renamed(nb, prefix: str):
    """``nb`` with every grade id prefixed: the notebook of another assignment."""
    nb = nbformat.from_dict(json.loads(nbformat.writes(nb)))
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader")
        if meta and meta.get("grade_id"):
            meta["grade_id"] = prefix + meta["grade_id"]
    return nb


def test_unusable_files_get_plain_reasons_and_runs_are_kept_apart(course_dir):
    """The wrong assignment's notebook, an empty file and a corrupt one: each its own reason,
    no Python wording anywhere; a second run while one holds the lock refuses, naming it."""
    import fcntl

    course = make_dlgrade_course(Path(course_dir) / "s", TINY_CONFIG.format(timeout=20,
                                                                            extra=""),
                                 {"tiny": course_notebook(),
                                  "other": renamed(course_notebook(), "o_")})
    roster = Path(course_dir) / "roster.csv"
    roster.write_text("id,first_name,last_name,email\n" + "".join(
        f"{s},{s.title()},Student,\n"
        for s in ("blank", "corrupt", "empty", "good", "pasted", "wrong")))
    dlcourse("roster", "import", roster, cwd=course)
    dlcourse("release", cwd=course)
    release = nbformat.read(course / "exercises/tiny/tiny.ipynb", as_version=4)
    submit(course, "tiny", "good", answered(release, "Where w.x + b = 0."))
    submit(course, "tiny", "wrong", (course / "exercises/other/other.ipynb").read_text())
    submit(course, "tiny", "empty", "")
    submit(course, "tiny", "corrupt", answered(release, "x")[:300])
    # review 23c, F11: the answers pasted into a new notebook (no nbgrader metadata), and a
    # blank notebook saved under the right name
    pasted = nbformat.reads(answered(release, "Where w.x + b = 0."), as_version=4)
    for cell in pasted.cells:
        cell.metadata = {}
    submit(course, "tiny", "pasted", nbformat.writes(pasted))
    submit(course, "tiny", "blank", nbformat.writes(nbformat.v4.new_notebook()))

    lock = course / "grading/tiny/.grading.lock"
    lock.parent.mkdir(parents=True, exist_ok=True)  # release made it (its lock)
    with open(lock, "a+") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        held.write(f"pid {os.getpid()} on this host")
        held.flush()
        proc = dlcourse("grade", "tiny", "--no-progress", cwd=course, check=False)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    # a holder that wrote no command is not guessed to be a grade (review 23k, finding 7)
    assert f"another dlcourse command of tiny is running on this course (pid {os.getpid()}" \
        in proc.stderr and not (course / "grading/tiny/status").exists()

    proc = grade(course)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    expected = {
        "wrong": "failed (tiny.ipynb is the other notebook, not tiny: most of its answer and "
                 "test cells are not tiny's (the wrong file was handed in?))",
        "empty": "failed (tiny.ipynb is empty (0 bytes): the upload failed or an empty file "
                 "was handed in)",
        "corrupt": "failed (tiny.ipynb is not valid JSON (corrupted or truncated file))",
        "pasted": "failed (tiny.ipynb has none of tiny's answer and test cells: it was not "
                  "made from the released notebook (its cells were pasted into a new notebook, "
                  "or an editor dropped their metadata); download the released notebook again, "
                  "paste the answers into it and hand it in again)",
        "blank": "failed (tiny.ipynb has no cells at all (a blank notebook saved under the "
                 "right name); download the released notebook again, paste the answers into "
                 "it and hand it in again)",
        "good": "needs manual grading (written answers to grade by hand: "
                "answer_decision_boundary)",
    }
    for student, line in expected.items():
        assert f"  {student}: {line}" in proc.stdout, proc.stdout
    statuses = list((course / "grading/tiny/status").glob("*.json"))
    assert len(statuses) == 6
    for path in statuses + [course / "grading/tiny/grades.csv",
                            course / "grading/tiny/report.json"]:
        text = path.read_text()
        assert "Traceback" not in text and "Exception" not in text, text
        assert "internal error" not in text, text
    for student in ("pasted", "blank"):
        assert rows(course)[student]["status"] == "failed: " + expected[student][8:-1]

    # the export's feedback says the same as the status
    proc = dlcourse("export", "tiny", "--format", "moodle", "--column", "Neuron (graded)",
                    cwd=course)
    with open(course / "grading/tiny/moodle_grades.csv", newline="") as f:
        moodle = {r["ID number"]: r for r in csv.DictReader(f)}
    assert list(next(iter(moodle.values())))[2] == "Neuron (graded)"
    assert moodle["empty"]["Neuron (graded)"] == ""
    assert moodle["empty"]["Feedback"] == "could not be graded: " + expected["empty"][8:-1]
    assert moodle["corrupt"]["Feedback"].startswith("could not be graded: tiny.ipynb is not "
                                                    "valid JSON")
    assert moodle["good"]["Feedback"] == "provisional: parts still to be graded by hand"
    assert moodle["pasted"]["Feedback"] == "could not be graded: " + expected["pasted"][8:-1]
    assert moodle["pasted"]["Neuron (graded)"] == ""


def exported(course: Path, *args) -> subprocess.CompletedProcess:
    return dlcourse("export", "tiny", "--format", "csv", "-o", course / "export.csv", *args,
                    cwd=course, check=False)


def test_a_new_due_date_or_extension_counts_at_once(course_dir):
    """Review 23, D3 and review 23h, finding 1: a due date moved or an extension granted
    after grading re-applies the late penalties at once (no kernel, hand grades kept, old ->
    new points printed), so grades.csv, the gradebook and the export agree without a grade
    run; a due date changed behind dlcourse's back (nbgrader's own tools) stops the export
    (exit 2, nothing written) and a `grade --student` run names the students left."""
    from nbgrader.api import Gradebook

    course = make_dlgrade_course(Path(course_dir) / "moved", TINY_CONFIG.format(
        timeout=20, extra=""), {"tiny": course_notebook()})
    dlcourse("release", "tiny", "--due", "2026-12-01 12:00", "--timezone", "UTC", cwd=course)
    release = nbformat.read(course / "exercises/tiny/tiny.ipynb", as_version=4)
    for student, when in (("ann", "13:30"), ("bob", "11:00")):
        path = submit(course, "tiny", student, answered(release, "Where w.x + b = 0."))
        (path.parent / "timestamp.txt").write_text(f"2026-12-01 {when}:00.000000 UTC")
    policy = ("--late-policy", "10%/h:50%")
    grade(course, *policy)
    for student in ("ann", "bob"):
        dlcourse("mark", "tiny", student, WRITTEN, "1", cwd=course)
    row = rows(course)["ann"]  # 2 started hours late: 20 % of 6
    assert (row["late_by"], row["penalty"], row["score"]) == ("1.5", "1.2", "4.8"), row

    def moved(*args) -> str:
        proc = dlcourse(*args, cwd=course)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        return proc.stdout

    out = moved("release", "tiny", "--due", "2026-12-01 14:00", "--timezone", "UTC")
    assert "  ann: late penalty re-applied: tiny 4.8 -> 6 points\n" in out, out
    assert "  bob: late penalty re-applied: tiny 6 -> 6 points (unchanged)\n" in out, out
    row = rows(course)["ann"]
    assert (row["late_by"], row["penalty"], row["score"], row["status"]) == (
        "0", "0", "6", "graded"), row
    assert exported(course).returncode == 0
    assert "0 graded" in grade(course, *policy).stdout  # nothing left for a kernel to do
    out = moved("release", "tiny", "--due", "2026-12-01 12:00", "--timezone", "UTC")
    assert "  ann: late penalty re-applied: tiny 6 -> 4.8 points\n" in out, out
    out = moved("extend", "tiny", "ann", "--hours", "2")
    assert out == ("ann: 2 h extension on tiny\n"  # the remembered policy, said once
                   "  late policy of tiny: 10%/h:50% (remembered; `--late-policy config` "
                   "goes back to nbgrader_config.py's, none)\n"
                   "  ann: late penalty re-applied: tiny 4.8 -> 6 points\n"), out
    assert (rows(course)["ann"]["penalty"], rows(course)["ann"]["score"]) == ("0", "6")

    # the due date moved by another tool: ann (due 13:00 with her extension, 13:30 in) and
    # bob hold penalties of a date that no longer holds
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "tiny-course") as gb:
        gb.update_or_create_assignment("tiny", duedate="2026-12-01 11:00:00")
    (course / "export.csv").unlink()
    proc = exported(course)
    assert proc.returncode == 2 and not (course / "export.csv").exists(), proc.stdout
    said = " ".join(proc.stderr.split())
    old_date = "late penalty of another due date or extension than the current one"
    assert (f"export: 2 students of tiny have a grade in the gradebook that is not the "
            f"current one: ann ({old_date}), bob ({old_date}); run `dlcourse grade tiny` "
            "first") in said, said  # the policy is remembered: a bare grade keeps it
    proc = dlcourse("grade", "tiny", "--no-progress", "--student", "bob", *policy,
                    cwd=course)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert f"  ann: {old_date}, until `dlcourse grade tiny` grades them again" \
        in proc.stdout, proc.stdout
    assert "bob:" not in proc.stdout.split("graded (")[1], proc.stdout
    proc = exported(course)
    said = " ".join(proc.stderr.split())
    assert proc.returncode == 2 and "1 student of tiny has a grade" in said, said
    assert f": ann ({old_date});" in said, said


def test_an_unreachable_scheduler_changes_no_record(course_dir):
    """Review 23, D4: a cluster problem is nobody's submission; the run stops with exit 1 and
    ann's record, row and feedback page stay as they were."""
    import socket

    course = make_dlgrade_course(Path(course_dir) / "gone", TINY_CONFIG.format(
        timeout=20, extra=""), {"tiny": course_notebook()})
    dlcourse("release", "tiny", cwd=course)
    release = nbformat.read(course / "exercises/tiny/tiny.ipynb", as_version=4)
    submit(course, "tiny", "ann", answered(release, "Where w.x + b = 0."))
    grade(course)
    status = course / "grading/tiny/status/ann.json"
    page = course / "grading/tiny/feedback/ann.html"
    before = (status.read_text(), rows(course)["ann"], page.read_bytes())
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = dlcourse("grade", "tiny", "--no-progress", "--force", "--scheduler",
                    f"tcp://127.0.0.1:{port}", cwd=course, check=False)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert f"cannot reach the Dask scheduler at tcp://127.0.0.1:{port}" in proc.stderr
    row = rows(course)["ann"]
    row.pop("runtime_s", None)
    before[1].pop("runtime_s", None)
    assert (status.read_text(), row, page.read_bytes()) == before


def test_due_dates_say_what_they_did(course_dir):
    course = make_dlgrade_course(Path(course_dir) / "d", TINY_CONFIG.format(timeout=20,
                                                                            extra=""),
                                 {"tiny": course_notebook()})
    assert dlcourse("timezone", cwd=course).stdout == "course time zone: UTC\n"
    proc = dlcourse("release", "tiny", "--due", "2026-12-01 23:59", "--timezone",
                    "Europe/Berlin", cwd=course)
    assert "  due 2026-12-01 22:59 UTC (2026-12-01 23:59 Europe/Berlin)" in proc.stdout
    assert "changed" not in proc.stdout
    # the course's own zone, kept in nbgrader_config.py; a bad name changes nothing
    proc = dlcourse("timezone", "Mars/Olympus", cwd=course, check=False)
    assert proc.returncode == 2 and "timezone: got 'Mars/Olympus', expected an IANA name" \
        in proc.stderr, proc.stderr
    proc = dlcourse("timezone", "Europe/Berlin", cwd=course)
    assert proc.stdout == "course time zone: UTC -> Europe/Berlin\n"
    assert dlcourse("timezone", cwd=course).stdout == "course time zone: Europe/Berlin\n"
    # a date alone is the end of that day in the course's zone, said out loud, old -> new
    proc = dlcourse("release", "tiny", "--due", "2026-12-08", cwd=course)
    assert proc.returncode == 0, proc.stderr
    # (review 23c, F2: the day's last instant, 23:59:59.999999, printed to the second)
    assert ("  due 2026-12-08 22:59:59 UTC (2026-12-08 23:59:59 Europe/Berlin; no time given: "
            "the end of that day)") in proc.stdout, proc.stdout
    assert ("  due date changed: 2026-12-01 22:59 UTC -> 2026-12-08 22:59:59 UTC "
            "(2026-12-01 23:59 -> 2026-12-08 23:59:59 Europe/Berlin)") in proc.stdout
    # set twice: one line in the config, not two; --timezone still wins for one command
    assert dlcourse("timezone", "America/New_York", cwd=course).stdout == (
        "course time zone: Europe/Berlin -> America/New_York\n")
    assert (course / "nbgrader_config.py").read_text().count("c.Dlcourse.timezone") == 1
    proc = dlcourse("release", "tiny", "--due", "2026-12-08", cwd=course)
    assert "(2026-12-08 23:59:59 America/New_York; no time given" in proc.stdout, proc.stdout
    assert "2026-12-08 22:59:59 UTC -> 2026-12-09 04:59:59 UTC" in proc.stdout
    proc = dlcourse("release", "tiny", "--due", "2026-12-09 04:59", "--timezone", "UTC",
                    cwd=course)
    assert "  due 2026-12-09 04:59 UTC (2026-12-09 04:59 UTC)" in proc.stdout, proc.stdout
    assert "  due date changed: 2026-12-09 04:59:59 UTC -> 2026-12-09 04:59 UTC" in proc.stdout
    proc = dlcourse("release", "tiny", "--due", "2026-12-09 04:59", "--timezone", "UTC",
                    cwd=course)
    assert "changed" not in proc.stdout


def _interrupt_when(course: Path, ready, *args) -> subprocess.CompletedProcess:
    """``dlcourse grade tiny ARGS`` in a session of its own, interrupted as a terminal's
    Ctrl-C is (SIGINT to the whole process group: Dask's workers too) once ``ready(statuses)``
    holds for the status records on disk."""
    from tests.test_term_cli import start

    proc = start(course, "grade", "tiny", "--workers", "2", "--no-progress", *args)
    folder = course / "grading/tiny/status"
    try:
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline and proc.poll() is None:
            statuses = {}
            for path in folder.glob("*.json") if folder.is_dir() else ():
                with contextlib.suppress(ValueError, OSError):
                    statuses[path.stem] = json.loads(path.read_text())["status"]
            if ready(statuses):
                break
            time.sleep(0.05)
        assert proc.poll() is None, "the run ended before it could be interrupted"
        os.killpg(proc.pid, signal.SIGINT)
        out, err = proc.communicate(timeout=300)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def test_ctrl_c_ends_with_one_line_and_a_rerun_resumes(course_dir):
    """Ctrl-C while the local cluster starts and again after the first student is saved:
    each ends with one line (what was kept, how to go on), exit 130, no traceback from the
    command or from Dask's workers; grades.csv agrees with the gradebook; a re-run grades
    exactly the students not saved yet."""
    course = make_dlgrade_course(Path(course_dir) / "i", TINY_CONFIG.format(timeout=20,
                                                                            extra=""),
                                 {"tiny": course_notebook()})
    dlcourse("release", "tiny", cwd=course)
    release = nbformat.read(course / "exercises/tiny/tiny.ipynb", as_version=4)
    students = [f"s{i}" for i in range(1, 6)]
    for student in students:
        submit(course, "tiny", student, answered(release, f"Answer of {student}."))

    # 1. while the local cluster starts (its workers' log is opened): none is graded yet
    workers_log = course / "grading/tiny/logs/dask-workers.log"
    proc = _interrupt_when(course, lambda st: workers_log.exists())
    assert proc.returncode == 130, proc.stdout + proc.stderr
    assert proc.stderr == ("tiny: interrupted; 0 of 5 students graded and saved (gradebook, "
                           "grades.csv, hand grades), 5 not graded yet: run the same command "
                           "again to grade them\n"), proc.stderr
    assert all(r["score"] == "" for r in rows(course).values()), rows(course)

    # 2. after the first student is saved
    proc = _interrupt_when(course, lambda st: any(v != "pending" for v in st.values()))
    assert proc.returncode == 130, proc.stdout + proc.stderr
    for word in ("Traceback", "CancelledError", "KeyboardInterrupt", "Aborted!"):
        assert word not in proc.stdout + proc.stderr, proc.stderr
    *_, last = proc.stderr.splitlines()
    assert len(proc.stderr.splitlines()) == 1, proc.stderr
    saved = int(last.split("; ")[1].split(" of ")[0])
    assert saved >= 1 and last == (
        f"tiny: interrupted; {saved} of 5 students graded and saved (gradebook, grades.csv, "
        f"hand grades), {5 - saved} not graded yet: run the same command again to grade them")
    table, scores = rows(course), gradebook_scores(course)
    done = sorted(s for s, r in table.items() if r["status"] != "pending")
    assert len(done) == saved
    for student in done:  # grades.csv says what the gradebook holds
        assert float(table[student]["score"]) == scores[student] == 5, table[student]
    assert all(table[s]["score"] == "" for s in students if s not in done)

    # 3. the same command again grades the rest, and only them
    proc = grade(course)
    assert f"{5 - saved} graded" in proc.stdout and f"{saved} unchanged" in proc.stdout, \
        proc.stdout
    assert {r["status"] for r in rows(course).values()} == {"needs manual grading"}
    assert all(rows(course)[s]["score"] == "5" for s in students)


def test_a_shape_error_gets_the_students_line_and_the_shapes(course_dir):
    """numpy's broadcast error in a student's ``mse``: the feedback names the student's line
    and explains the shapes, with the judge (the error crosses from the kernel as name and
    message) and without it (stock nbgrader: IPython's traceback)."""
    import html

    course = make_dlgrade_course(Path(course_dir) / "shape", TINY_CONFIG.format(timeout=20,
                                                                                extra=""),
                                 {"tiny": course_notebook()})
    dlcourse("release", "tiny", cwd=course)
    nb = nbformat.reads(answered(nbformat.read(course / "exercises/tiny/tiny.ipynb",
                                               as_version=4), "x"), as_version=4)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "mse":
            cell.source = ("def mse(y, y_hat):\n    y = np.asarray(y, float)\n"
                           "    padded = np.append(np.asarray(y_hat, float), 0.0)\n"
                           "    return float(np.mean((y - padded) ** 2))\n")
    submit(course, "tiny", "ann", nbformat.writes(nb))
    line = "mse, line 4: return float(np.mean((y - padded) ** 2))"
    hint = ("Arrays of shapes (2,) and (3,) cannot be combined element by element: numpy "
            "compares the shapes from the right, and each pair of sizes must be equal or one "
            "of them 1 (here 2 and 3).")
    for judge in ("1", "0"):
        proc = dlcourse("grade", "tiny", "--no-progress", "--force", cwd=course,
                        env={"DLCOURSE_JUDGE": judge})
        assert proc.returncode == 2, proc.stdout + proc.stderr
        page = html.unescape((course / "grading/tiny/feedback/ann.html").read_text())
        assert f"numpy shape error in your code at {line}. {hint}" in page, (judge, page[-3000:])
        assert rows(course)["ann"]["test_mse"] == "0"
        # where the line came from: the judge's line, or IPython's frame in the kernel
        graded = nbformat.read(course / "autograded/ann/tiny/tiny.ipynb", as_version=4)
        [tb] = [re.sub(r"\x1b\[[0-9;]*m", "", "\n".join(o.get("traceback", [])))
                for c in graded.cells
                if c.metadata.get("nbgrader", {}).get("grade_id") == "test_mse"
                for o in c.outputs if o.output_type == "error"]
        assert ("In your code: " + line in tb) == (judge == "1"), tb
        assert ("Cell In[" in tb) == (judge == "0"), tb


def test_a_new_time_policy_or_file_after_grading_is_never_exported_as_graded(course_dir):
    """Review 23i, findings 1-3: after grading, (1) a submission time given by `collect
    --timestamps` (same bytes) re-applies the late penalty at once (printed, grades.csv and
    export agree, the next grade has nothing to do), and one changed behind dlcourse's back
    stops the export until `extend`/`mark`/`grade` count it; (2) an appeal `grade --student`
    without the class's `--late-policy` says the settings changed, and export refuses while
    the class is graded under two policies; (3) a resubmission collected but not graded is
    not "graded" in grades.csv and stops the export."""
    course = make_dlgrade_course(Path(course_dir) / "retimed", TINY_CONFIG.format(
        timeout=20, extra=""), {"tiny": course_notebook()})
    dlcourse("release", "tiny", "--due", "2026-12-01 12:00", "--timezone", "UTC", cwd=course)
    release = nbformat.read(course / "exercises/tiny/tiny.ipynb", as_version=4)
    for student in ("ann", "bob"):
        path = submit(course, "tiny", student, answered(release, "Where w.x + b = 0."))
        (path.parent / "timestamp.txt").write_text("2026-12-01 11:00:00.000000 UTC\n")
    policy = ("--late-policy", "10%/h:50%")
    grade(course, *policy)
    for student in ("ann", "bob"):
        dlcourse("mark", "tiny", student, WRITTEN, "1", cwd=course)
    assert rows(course)["ann"]["score"] == "6"

    def run(*args, code=0) -> subprocess.CompletedProcess:
        proc = dlcourse(*args, cwd=course, check=False)
        assert proc.returncode == code, proc.stdout + proc.stderr
        return proc

    # (1) SpeedGrader's time for ann, same bytes: 2.5 h late, 3 started hours, 30 % of 6
    download = course / "download"
    download.mkdir()
    shutil.copy(course / "submitted/ann/tiny/tiny.ipynb", download / "ann_tiny.ipynb")
    times = course / "times.csv"
    times.write_text("student,submitted_at\nann,2026-12-01 14:30\n")
    out = run("collect", "tiny", download, "--timestamps", times).stdout
    assert "  ann: late penalty re-applied: tiny 6 -> 4.2 points\n" in out, out
    row = rows(course)["ann"]
    assert (row["late_by"], row["penalty"], row["score"], row["status"]) == (
        "2.5", "1.8", "4.2", "graded"), row
    run("export", "tiny", "--format", "csv", "-o", course / "export.csv")
    assert "0 graded" in grade(course, *policy).stdout  # nothing left for a kernel to do
    # bob's time changed by hand: 13:10 is 2 started hours late; no export of the old 6
    (course / "submitted/bob/tiny/timestamp.txt").write_text("2026-12-01 13:10:00.000000 UTC\n")
    (course / "export.csv").unlink()
    said = " ".join(exported(course).stderr.split())
    assert not (course / "export.csv").exists()
    assert ("export: 1 student of tiny has a grade in the gradebook that is not the current "
            "one: bob (late penalty of another submission time than the one collected "
            "since); run `dlcourse grade tiny` first (it grades that "
            "student again under the settings the class was graded with and keeps the hand "
            "grades of unchanged answers)") in said, said
    run("report", "tiny")  # says it too, beside the new late_by
    assert rows(course)["bob"]["status"].startswith(
        "graded (late penalty of another submission time than the one collected since; "
        "`dlcourse grade tiny` grades again)"), rows(course)["bob"]
    out = run("mark", "tiny", "bob", WRITTEN, "1").stdout  # counts the time first
    assert f"\nbob: {WRITTEN} 1; tiny 4.8/6 after a late penalty of 1.2" in out, out
    run("export", "tiny", "--format", "csv", "-o", course / "export.csv")
    assert "0 graded" in grade(course, *policy).stdout

    # (2) the appeal without --late-policy keeps the remembered one; one with another
    # policy is said, and the class is not exported half-and-half
    proc = run("grade", "tiny", "--no-progress", "--student", "ann")
    assert "late policy of tiny: 10%/h:50% (remembered;" in proc.stdout, proc.stdout
    assert "settings changed" not in proc.stdout and rows(course)["ann"]["score"] == "4.2"
    proc = run("grade", "tiny", "--no-progress", "--student", "ann", "--late-policy", "none",
               code=2)
    assert ("tiny: grading settings changed (late policy 10%/h:50% -> none): 1 graded "
            "before graded again") in proc.stdout, proc.stdout
    # an appeal's policy is the appeal's: the class's remembered one stays (review 23k, 4)
    assert ("late policy of tiny: none for ann only (a --student run changes no remembered "
            "policy: the class keeps 10%/h:50%; give --late-policy to a run of the whole "
            "class to change it)") in proc.stdout, proc.stdout
    mixed = ("the students of tiny were graded under different late policies (10%/h:50%: "
             "bob; none: ann): run `dlcourse grade tiny`")
    assert f"  grade: {mixed}" in proc.stdout, proc.stdout
    proc = exported(course)
    assert proc.returncode == 2 and f"export: {mixed}" in " ".join(proc.stderr.split())
    bob = rows(course)["bob"]["score"]
    out = grade(course).stdout  # the advice as written: ann back under the class's policy
    assert "1 graded" in out and rows(course)["ann"]["score"] == "4.2", out
    assert rows(course)["bob"]["score"] == bob
    run("export", "tiny", "--format", "csv", "-o", course / "export.csv")

    # (3) ann's resubmission, collected, not graded yet
    changed = nbformat.read(download / "ann_tiny.ipynb", as_version=4)
    changed.cells[-1].source = "Where the sigmoid is one half."
    nbformat.write(changed, download / "ann_tiny.ipynb")
    out = run("collect", "tiny", download, "--timestamps", times).stdout
    assert "re-applied" not in out, out
    proc = exported(course)
    said = " ".join(proc.stderr.split())
    assert proc.returncode == 2 and ("ann (another notebook graded than the one "
                                     "collected now, which is not graded yet)") in said, said
    run("report", "tiny")
    assert rows(course)["ann"]["status"].endswith(
        " (another notebook graded than the one collected now, which is not graded yet; "
        "`dlcourse grade tiny` grades again)"), rows(course)["ann"]
    # the refusal's advice followed to the letter keeps the late penalty (review 23j, 1):
    # the command it names, run as written, regrades ann alone, still 2.5 h late
    [advice] = re.findall(r"run `(dlcourse grade [^`]*)` first", said)
    out = run(*shlex.split(advice)[1:], "--no-progress", code=2).stdout  # needs a hand
    assert "tiny: 1 graded" in out and "settings changed" not in out, out
    row = rows(course)["ann"]
    assert "another notebook graded" not in row["status"], row
    assert (row["late_by"], row["penalty"]) == ("2.5", "1.5"), row  # 30 % of 5
    assert rows(course)["bob"]["penalty"] == "1.2", rows(course)["bob"]


def test_an_unwanted_resubmission_is_taken_back_and_a_mark_waits_for_its_grade(course_dir,
                                                                              tmp_path):
    """Review 23j, finding 3: a resubmission collected after grading and hand grading can be
    taken back (`collect --revert`, dry run honoured, under the lock): the older notebook,
    its timestamp.txt and time records come back, the gradebook's grade is current again
    (export passes without a regrade, the hand grade is there), the resubmission is kept
    and a second revert brings it back; nothing kept is a refusal that changes nothing. A
    `mark` while the newer notebook waits refuses before changing anything."""
    import zipfile

    course = make_dlgrade_course(Path(course_dir) / "revert", TINY_CONFIG.format(
        timeout=20, extra=""), {"tiny": course_notebook()})
    roster = tmp_path / "canvas.csv"
    roster.write_text(CANVAS_TERM_ROSTER, encoding="utf-8")
    dlcourse("roster", "import", roster, cwd=course)
    dlcourse("timezone", "Europe/Berlin", cwd=course)
    dlcourse("release", "tiny", "--due", "2026-12-01", cwd=course)
    release = nbformat.read(course / "exercises/tiny/tiny.ipynb", as_version=4)
    first = answered(release, "Where w.x + b = 0.")
    archive = tmp_path / "submissions.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("garcia-lopezmaria_12351_880007_tiny.ipynb", first)
        zf.writestr("obrienseán_LATE_12346_880002_tiny.ipynb", first)
    times = tmp_path / "times.csv"
    times.write_text("student,submitted_at\nsobrien,2026-12-02 09:30\n")

    def run(*args, code=0) -> subprocess.CompletedProcess:
        proc = dlcourse(*args, cwd=course, check=False)
        assert proc.returncode == code, proc.stdout + proc.stderr
        return proc

    run("collect", "tiny", archive, "--timestamps", times)
    policy = ("--late-policy", "10%/h:50%")
    grade(course, *policy)
    for student in ("mgarcia", "sobrien"):
        run("mark", "tiny", student, WRITTEN, "1")
    assert rows(course)["sobrien"]["score"] == "3"  # 9.5 h late: half of 6
    folder = course / "submitted/sobrien/tiny"
    graded_files = {p.name: p.read_bytes() for p in folder.iterdir()}
    sources = json.loads((course / "grading/tiny/time_sources.json").read_text())["sobrien"]

    # sobrien uploads again, later; the instructor did not want it
    resubmitted = answered(release, "Somewhere else entirely.")
    resub = tmp_path / "resubmission.zip"
    with zipfile.ZipFile(resub, "w") as zf:
        zf.writestr("obrienseán_LATE_12346_880031_tiny-1.ipynb", resubmitted)
    later = tmp_path / "later.csv"
    later.write_text("student,submitted_at\nsobrien,2026-12-03 10:00\n")
    out = run("collect", "tiny", resub, "--timestamps", later).stdout
    assert "copied 0 new, 1 changed" in out, out
    assert ("  sobrien: the notebook collected before is kept in grading/tiny/replaced/sobrien/1/"
            ": `dlcourse collect tiny --revert sobrien` takes this one back\n") in out, out
    scores = gradebook_scores(course)

    # (2) a mark now would go to the older notebook: refused, nothing changed
    for args in ((WRITTEN, "0"), ("--reviewed",)):
        said = " ".join(run("mark", "tiny", "sobrien", *args, code=2).stderr.split())
        assert re.search(r"Error: student: a newer notebook of sobrien was collected on "
                         r"\d{4}-\d\d-\d\d \d\d:\d\d Europe/Berlin; it is not graded yet, so "
                         r"a mark now would go to the older one: run `dlcourse grade tiny "
                         r"--student sobrien` first, or take it back "
                         r"with `dlcourse collect tiny --revert sobrien`; nothing changed",
                         said), said
    assert gradebook_scores(course) == scores
    assert exported(course).returncode == 2

    # (1) the dry run says what would come back and changes nothing
    out = run("collect", "tiny", "--revert", "sobrien", "--dry-run").stdout
    assert out.startswith("sobrien: would go back to the notebook collected "), out
    assert (folder / "tiny.ipynb").read_text() == resubmitted
    # the revert: the graded notebook, its time and records come back
    out = " ".join(run("collect", "tiny", "--revert", "SOBRIEN").stdout.split())
    assert re.match(r"sobrien: back to the notebook collected \d{4}-\d\d-\d\d \d\d:\d\d "
                    r"Europe/Berlin \(Canvas file 880002; submitted 2026-12-02 "
                    r"08:30:00.000000 UTC\); the notebook it replaces, collected "
                    r"\d{4}-\d\d-\d\d \d\d:\d\d Europe/Berlin \(Canvas file 880031; "
                    r"submitted 2026-12-03 09:00:00.000000 UTC\), is kept in "
                    r"grading/tiny/replaced/sobrien/2/: "
                    r"`dlcourse collect tiny --revert sobrien` again brings it back", out), out
    assert ("sobrien: the grade in the gradebook is this notebook's (hand grades included): "
            "nothing to grade again") in out, out
    assert ("note: a download that holds Canvas file 880031 (or a newer one of sobrien) takes "
            "it again when collected") in out, out
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == graded_files
    assert json.loads((course / "grading/tiny/time_sources.json").read_text())[
        "sobrien"] == sources
    assert json.loads((course / "grading/tiny/canvas_files.json").read_text())[
        "sobrien"] == "880002"
    assert (course / "grading/tiny/replaced/sobrien/2/files/tiny.ipynb").read_text() == \
        resubmitted
    # current again without a regrade: the export passes with the hand grade and penalty
    run("export", "tiny", "--format", "csv", "-o", course / "export.csv")
    row = rows(course)["sobrien"]
    assert (row["score"], row["status"], row["penalty"]) == ("3", "graded", "3"), row
    assert gradebook_scores(course) == scores
    # the revert is undone by another one
    run("collect", "tiny", "--revert", "sobrien")
    assert (folder / "tiny.ipynb").read_text() == resubmitted
    assert exported(course).returncode == 2
    # nothing kept: a clear refusal, nothing changed
    said = " ".join(run("collect", "tiny", "--revert", "mgarcia", code=2).stderr.split())
    assert ("Error: student: no earlier submission of 'mgarcia' for tiny is kept, so there is "
            "nothing to take back (collect keeps the last 3 submissions a newer notebook "
            "replaced, in grading/tiny/replaced/mgarcia/); nothing changed") in said, said
    assert not (course / "grading/tiny/replaced/mgarcia").exists()
    # a display name or a typo is not a student: said so, with a guess (review 23k, 7)
    said = " ".join(run("collect", "tiny", "--revert", "sobrein", code=2).stderr.split())
    assert "Error: student: 'sobrein' is not in the gradebook of" in said and \
        "did you mean 'sobrien'?" in said, said
    assert not (course / "grading/tiny/replaced/sobrein").exists()
    # a resubmission graded, then taken back: the words say which way round, and that the
    # older notebook's hand grade must be given again (review 23k, finding 3)
    run("grade", "tiny", "--no-progress", "--student", "sobrien", code=2)
    out = " ".join(run("collect", "tiny", "--revert", "sobrien").stdout.split())
    assert ("sobrien: another notebook graded than the one collected now, which is not graded "
            "yet, until `dlcourse grade tiny --student sobrien` grades them again; a hand grade "
            "this notebook had before it was replaced is not kept") in out, out
