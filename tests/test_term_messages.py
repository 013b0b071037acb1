"""What the ``dlcourse`` commands say during a term, through the real command on a real
scratch course (issue 23, instructor review D10): ``mark`` for a student who cannot be marked
says why, failed rows keep their submission time, a hand grade dropped by a changed answer is
on the student's line, Ctrl-C during ``--force`` says how to resume without forcing everyone
again, data errors are one line without click's usage block, ``export -o -`` writes to
standard output, and a download named after another assignment's notebook is warned about.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from pathlib import Path

import nbformat
import pytest

from dlgrade.course import make_course as make_dlgrade_course
from tests.submissions.crafted import TINY_CONFIG, dlcourse, submit
from tests.test_term import WRITTEN, _interrupt_when, answered, course_notebook, rows

pytestmark = pytest.mark.slow

STUDENTS = ["ann", "bob", "cara", "dan", "zdangelo"]
EMPTY_REASON = ("tiny.ipynb is empty (0 bytes): the upload failed or an empty file was "
                "handed in")


def one_error_line(proc, *words) -> str:
    """The stderr of a data error: exit 2, one line ``Error: ...`` holding ``words``, no
    usage block."""
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Usage:" not in proc.stderr and "--help" not in proc.stderr, proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), proc.stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


def _failed_rows_keep_their_time_and_mark_says_why(course):
    row = rows(course)["zdangelo"]
    assert row["status"] == f"failed: {EMPTY_REASON}", row
    assert row["submitted_at"] == "2026-12-01T19:00:00Z", row
    assert rows(course)["ann"]["submitted_at"] == "2026-12-01T18:00:00Z"
    assert rows(course)["carl"]["status"] == "no submission"

    proc = dlcourse("mark", "tiny", "zdangelo", WRITTEN, "1", cwd=course, check=False)
    assert one_error_line(proc) == (
        f"Error: student: zdangelo's submission of tiny could not be graded ({EMPTY_REASON}):"
        f" nothing to mark")
    proc = dlcourse("mark", "tiny", "nobody", WRITTEN, "1", cwd=course, check=False)
    one_error_line(proc, "'nobody' is not on the roster")
    proc = dlcourse("mark", "tiny", "carl", WRITTEN, "1", cwd=course, check=False)
    one_error_line(proc, "'carl' handed in nothing for tiny: nothing to mark")
    assert "run `dlcourse grade" not in proc.stderr


def _data_errors_are_one_line_usage_errors_keep_the_usage(course, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("who,what\nann,x\n", encoding="utf-8")
    one_error_line(dlcourse("roster", "import", bad, cwd=course, check=False), "roster")
    one_error_line(dlcourse("extend", "tiny", "nobody", "--hours", "5", cwd=course,
                            check=False), "nobody")
    one_error_line(dlcourse("release", "tiny", "--due", "01.12.2026", cwd=course,
                            check=False), "01.12.2026")
    one_error_line(dlcourse("mark", "tiny", "ann", "no_such_cell", "1", cwd=course,
                            check=False), "expected a graded cell of tiny")
    one_error_line(dlcourse("export", "nope", "--format", "canvas", cwd=course, check=False),
                   "nope")
    # the command line itself is wrong: click's usage block stays
    for args in (["mark", "tiny"], ["extend", "tiny", "ann", "--bogus"],
                 ["mark", "tiny", "ann", WRITTEN], ["export", "tiny", "--format", "csv",
                                                    "--column", "X"]):
        proc = dlcourse(*args, cwd=course, check=False)
        assert proc.returncode == 2 and "Usage: dlcourse" in proc.stderr, (args, proc.stderr)


def _export_to_stdout(course, tmp_path):
    for fmt in ("moodle", "csv"):  # the roster has no Canvas ids: Canvas is refused
        path = tmp_path / f"{fmt}.csv"
        dlcourse("export", "tiny", "--format", fmt, "-o", path, cwd=course)
        proc = dlcourse("export", "tiny", "--format", fmt, "-o", "-", cwd=course)
        # standard error holds at most warnings (students whose grade cells stay empty),
        # never a line of the file
        assert proc.returncode == 0, proc.stderr
        assert all(line.startswith("warning: ") and ("provisional" in line
                                                     or "grade cell" in line)
                   for line in proc.stderr.splitlines()), proc.stderr
        assert fmt == "moodle" or proc.stderr == "", proc.stderr
        # the whole file and nothing else, line ends included
        assert proc.stdout.encode() == path.read_bytes().replace(b"\r\n", b"\n")
        assert not (course / "-").exists()
    table = list(csv.DictReader(io.StringIO(proc.stdout)))
    assert {r["student"] for r in table} == {*STUDENTS, "carl"}


def _ctrl_c_during_force_resumes_without_force(course):
    """After Ctrl-C in ``grade --force``, the students not saved are pending: the line says a
    run without --force grades exactly those, and it does."""
    for _attempt in range(3):
        seen = {"all pending": False}

        def ready(statuses, seen=seen):  # every record pending (the run began), then one saved
            pending = [s for s in STUDENTS if statuses.get(s) == "pending"]
            if len(pending) == len(STUDENTS):
                seen["all pending"] = True
            return seen["all pending"] and len(pending) < len(STUDENTS)

        proc = _interrupt_when(course, ready, "--force")
        # five tiny notebooks on two workers can all be saved between the poll that sees the
        # first one and the signal: that run ended as usual (exit 2, every student graded);
        # the interrupt is tried again on a new forced run
        if proc.returncode != 2 or "0 unchanged" not in proc.stdout:
            break
    assert proc.returncode == 130, proc.stdout + proc.stderr
    [line] = proc.stderr.splitlines()
    saved = int(line.split("; ")[1].split(" of ")[0])
    left = len(STUDENTS) - saved
    assert 1 <= saved < len(STUDENTS), line
    assert line == (
        f"tiny: interrupted; {saved} of 5 students graded and saved (gradebook, grades.csv, "
        f"hand grades), {left} not graded yet: run the same command again without --force to "
        f"grade exactly those {left} (with --force it grades all 5 again)")
    proc = dlcourse("grade", "tiny", "--no-progress", cwd=course)
    done = re.search(r"tiny: (\d+) graded \(\d+ need manual grading\), (\d+) failed, "
                     r"(\d+) unchanged \(skipped\)", proc.stdout)
    assert done and (int(done[1]) + int(done[2]), int(done[3])) == (left, saved), proc.stdout
    assert all(r["status"] != "pending" for r in rows(course).values()), rows(course)


def _a_dropped_hand_grade_is_on_the_students_line(course, release):
    proc = dlcourse("mark", "tiny", "ann", WRITTEN, "1", cwd=course)
    assert proc.stdout == f"ann: {WRITTEN} 1; tiny 6/6, graded\n"
    submit(course, "tiny", "ann", answered(release, "Where w.x + b = 0, a line."))
    proc = dlcourse("grade", "tiny", "--no-progress", cwd=course)
    assert "tiny: 1 graded" in proc.stdout, proc.stdout
    assert (f"  ann: needs manual grading (written answers to grade by hand: {WRITTEN}); "
            f"hand grade of {WRITTEN} (1) dropped: the answer changed since it was graded; "
            f"grade it again\n") in proc.stdout, proc.stdout
    # a run that does not grade her again does not repeat it; her status still waits
    proc = dlcourse("grade", "tiny", "--no-progress", cwd=course)
    assert f"  ann: needs manual grading (written answers to grade by hand: {WRITTEN})\n" \
        in proc.stdout, proc.stdout


def _logins_in_any_case_typos_and_a_decimal_comma(course):
    """Review 23d, P7: logins ignore letter case (collect files BOB/ under bob), so mark and
    extend do too; a slip gets "did you mean"; a German "0,5" is half a point."""
    proc = dlcourse("mark", "tiny", "BOB", WRITTEN, "0,5", cwd=course)
    assert proc.stdout == f"bob: {WRITTEN} 0.5; tiny 5.5/6, graded\n", proc.stdout + proc.stderr
    one_error_line(dlcourse("mark", "tiny", "bbo", WRITTEN, "1", cwd=course, check=False),
                   "'bbo' is not on the roster", "did you mean 'bob'?")
    one_error_line(dlcourse("mark", "tiny", "bob", WRITTEN, "0;5", cwd=course, check=False),
                   "score: got '0;5', expected a number of points")
    proc = dlcourse("extend", "tiny", "BOB", "--hours", "0", cwd=course)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("bob: no extension on tiny (removed if there was one)"), \
        proc.stdout
    # and grade --student as well (review 23e, P7); a real miss still gets "did you mean"
    proc = dlcourse("grade", "tiny", "--student", "BOB", "--no-progress", cwd=course)
    assert proc.returncode == 0 and "tiny: 1 graded" in proc.stdout, proc.stdout + proc.stderr
    assert rows(course)["bob"]["score"] == "5.5", rows(course)["bob"]  # the hand grade kept
    one_error_line(dlcourse("grade", "tiny", "--student", "BBO", cwd=course, check=False),
                   "'BBO' has no submission of tiny: did you mean 'bob'?")


def test_a_term_says_what_is_true(course_dir, tmp_path):
    course = make_dlgrade_course(Path(course_dir) / "m", TINY_CONFIG.format(timeout=20,
                                                                            extra=""),
                                 {"tiny": course_notebook()})
    roster = tmp_path / "roster.csv"
    roster.write_text("id,first_name,last_name,email\n" + "".join(
        f"{s},{s.title()},Student,\n" for s in [*STUDENTS, "carl"]), encoding="utf-8")
    dlcourse("roster", "import", roster, cwd=course)
    dlcourse("release", "tiny", cwd=course)
    release = nbformat.read(course / "exercises/tiny/tiny.ipynb", as_version=4)
    for i, student in enumerate(STUDENTS):
        text = "" if student == "zdangelo" else answered(release, f"Answer of {student}.")
        path = submit(course, "tiny", student, text)
        (path.parent / "timestamp.txt").write_text(f"2026-12-01 {18 + i // 4}:00:00.000000 UTC")
    proc = dlcourse("grade", "tiny", "--no-progress", "--workers", "2", cwd=course)
    assert proc.returncode == 2 and f"  zdangelo: failed ({EMPTY_REASON})" in proc.stdout, \
        proc.stdout + proc.stderr

    _failed_rows_keep_their_time_and_mark_says_why(course)
    _data_errors_are_one_line_usage_errors_keep_the_usage(course, tmp_path)
    _export_to_stdout(course, tmp_path)
    _ctrl_c_during_force_resumes_without_force(course)
    _a_dropped_hand_grade_is_on_the_students_line(course, release)
    _logins_in_any_case_typos_and_a_decimal_comma(course)


CANVAS_ROSTER = """\
Student,ID,SIS User ID,SIS Login ID,Section
"García-López, María",12351,9351,mgarcia,Lab A
"O'Brien, Seán",12346,9346,sobrien,Lab B
"""


def test_a_download_named_after_another_assignments_notebook_is_warned_about(course_dir,
                                                                            tmp_path):
    """Review 23, D10: tiny's Canvas zip collected into ``other`` (one notebook, so any
    notebook name would be taken as it): refused unless --force; then the files are named,
    and the assignment they are named after; a file of the right name is not."""
    course = make_dlgrade_course(Path(course_dir) / "w", TINY_CONFIG.format(timeout=20,
                                                                            extra=""),
                                 {"tiny": course_notebook(), "other": course_notebook()})
    roster = tmp_path / "canvas.csv"
    roster.write_text(CANVAS_ROSTER, encoding="utf-8")
    dlcourse("roster", "import", roster, cwd=course)
    archive = tmp_path / "tiny.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("garcia-lopezmaria_12351_880007_tiny.ipynb", "{}")
        zf.writestr("obrienseán_LATE_12346_880002_tiny-1.ipynb", "{}")
    # all of them: the wrong download, refused with nothing copied (review 23d, P1)
    proc = dlcourse("collect", "other", archive, cwd=course)
    assert proc.returncode == 2 and " ".join(proc.stderr.split()) == (
        "Error: this looks like the tiny download (2 of 2 notebooks are tiny.ipynb): nothing "
        "copied; collect it with `dlcourse collect tiny ...`, or pass --force if these "
        "students really handed in tiny's notebook for other (it is then graded as "
        "other's)"), proc.stdout + proc.stderr
    assert not (course / "submitted").exists()
    proc = dlcourse("collect", "other", archive, "--dry-run", "--force", cwd=course,
                    check=False)
    # 1: sobrien's LATE_ file has no known time (review 23g, G1)
    assert proc.returncode == 1 and "sobrien: Canvas marks the file late" in proc.stderr, \
        proc.stdout + proc.stderr
    assert "would copy 2 new" in proc.stdout, proc.stdout
    assert ("  warning: 2 files named after tiny's notebook (tiny.ipynb), not other's "
            "(other.ipynb), taken as other's: tiny/garcia-lopezmaria_12351_880007_"
            "tiny.ipynb, tiny/obrienseán_LATE_12346_880002_tiny-1.ipynb. The download "
            "of tiny? Then collect it with `dlcourse collect tiny ...`") in proc.stderr, \
        proc.stderr

    right = tmp_path / "other.zip"
    with zipfile.ZipFile(right, "w") as zf:
        zf.writestr("garcia-lopezmaria_12351_880007_other.ipynb", "{}")
        zf.writestr("obrienseán_12346_880002_Other Notebook.ipynb", "{}")
    proc = dlcourse("collect", "other", right, cwd=course)
    assert proc.returncode == 0 and "copied 2 new" in proc.stdout, proc.stdout + proc.stderr
    assert "warning" not in proc.stderr, proc.stderr


def test_canvas_folders_timestamps_and_rosters_say_what_came(course_dir, tmp_path):
    """Review 23h, findings 3, 5 and 6, without a kernel: a file in a folder named with
    Canvas's prefix is its user's; a --timestamps row that makes a file late which Canvas
    judged on time is taken and said (exit 1); a bad time in that file names its column; a
    due date moved before anyone was graded says so; a roster with another login column is
    refused with its line numbers."""
    course = make_dlgrade_course(Path(course_dir) / "folders", TINY_CONFIG.format(
        timeout=20, extra=""), {"tiny": course_notebook()})
    roster = tmp_path / "canvas.csv"
    roster.write_text(CANVAS_ROSTER, encoding="utf-8")
    dlcourse("roster", "import", roster, cwd=course)
    proc = dlcourse("release", "tiny", "--due", "2026-12-01 23:59", "--timezone",
                    "Europe/Berlin", cwd=course)
    proc = dlcourse("release", "tiny", "--due", "2026-12-02 23:59", "--timezone",
                    "Europe/Berlin", cwd=course)
    assert proc.returncode == 0 and "due date changed" in proc.stdout, proc.stdout
    assert "students graded before" not in proc.stdout, proc.stdout
    assert "  no graded student of tiny: the next `dlcourse grade tiny` counts the new date" \
        in proc.stdout, proc.stdout

    archive = tmp_path / "submissions.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("garcia-lopezmaria_12351_880007_tiny.ipynb", "{}")
        zf.writestr("obriensean_12346_880002_abgabe/tiny.ipynb", "{}")
    times = tmp_path / "times.csv"
    times.write_text("student,submitted_at\nsobrien,2026-12-02 09:00\n"
                     "mgarcia,03.12.2026 10:00\n", encoding="utf-8")
    proc = dlcourse("collect", "tiny", archive, "--timestamps", times, cwd=course, check=False)
    one_error_line(proc, f"timestamps: {times} line 3: submitted_at: got '03.12.2026 10:00', "
                   "expected 'YYYY-MM-DD HH:MM'")
    times.write_text("student,submitted_at\nmgarcia,2026-12-04 09:59\n", encoding="utf-8")
    proc = dlcourse("collect", "tiny", archive, "--timestamps", times, "--timezone",
                    "Europe/Berlin", cwd=course, check=False)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "not on the roster" not in proc.stderr and "unmatched" not in proc.stderr, \
        proc.stderr
    assert (course / "submitted/sobrien/tiny/tiny.ipynb").is_file()
    assert ("  warning: mgarcia: Canvas says on time (no LATE_ in the file's name); times.csv "
            "says 34.0 h after the due date: taken from times.csv") in proc.stderr, proc.stderr
    assert "  mgarcia      submitted 2026-12-04 08:59:00" in proc.stdout, proc.stdout

    other = tmp_path / "canvas2.csv"
    other.write_text(CANVAS_ROSTER.replace("mgarcia", "maria.garcia"), encoding="utf-8")
    proc = dlcourse("roster", "import", other, cwd=course, check=False)
    one_error_line(proc, "line 2: LMS user id 12351 of 'maria.garcia' already belongs to "
                   "'mgarcia'")
