"""Dates a term's grades depend on, through the real ``dlcourse`` command on a real scratch
course (review 23d): when a student joined or left the roster (P3: no 0 for an assignment they
never had), and when a file was handed in (P4: the same upload has the same time from the
zip and from the folder it was unpacked into; times that may not be the upload's are named
before a late penalty follows from them). Nothing is graded here.
"""

from __future__ import annotations

import calendar
import csv
import html
import io
import json
import time
import zipfile
from pathlib import Path

import pytest

from dlgrade.course import make_course as make_dlgrade_course
from tests.submissions.crafted import TINY_CONFIG, dlcourse, tiny_notebook

pytestmark = pytest.mark.slow

HEADER = "Student,ID,SIS User ID,SIS Login ID,Section\n"
ANN, BOB = '"Ann, A",1,91,ann,L\n', '"Bob, B",2,92,bob,L\n'
CARL, DORA = '"Carl, C",3,93,carl,L\n', '"Dora, D",4,94,dora,L\n'


def _course(course_dir, name: str) -> Path:
    return make_dlgrade_course(Path(course_dir) / name, TINY_CONFIG.format(timeout=20, extra=""),
                               {"tiny": tiny_notebook(), "later": tiny_notebook()})


def _canvas_cells(course: Path, assignment: str, tmp_path: Path) -> tuple[dict, str]:
    out = tmp_path / f"{assignment}.csv"
    proc = dlcourse("export", assignment, "--format", "canvas", "-o", out, cwd=course)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    reader = csv.reader(io.StringIO(out.read_text(encoding="utf-8")))
    header, _points, *body = list(reader)
    return {row[3]: row[header.index(assignment)] for row in body}, proc.stderr


def test_students_outside_an_assignments_enrolment_get_an_empty_cell(course_dir, tmp_path):
    """Carl leaves the course and Dora joins after ``tiny`` was due and before ``later`` is:
    neither is exported as 0 for the assignment they never had, each is named, and the
    students who had it and handed nothing in still get their 0."""
    course = _course(course_dir, "enrolment")
    first, second = tmp_path / "week1.csv", tmp_path / "week3.csv"
    first.write_text(HEADER + ANN + BOB + CARL, encoding="utf-8")
    second.write_text(HEADER + ANN + BOB + DORA, encoding="utf-8")
    dlcourse("roster", "import", first, cwd=course)
    dlcourse("release", "tiny", "--due", "2021-01-10 12:00", cwd=course)
    dlcourse("release", "later", "--due", "2099-01-10 12:00", cwd=course)
    proc = dlcourse("roster", "import", second, cwd=course)
    assert "not in week3.csv: carl" in proc.stdout and "not enrolled" in proc.stdout, proc.stdout

    cells, warning = _canvas_cells(course, "tiny", tmp_path)
    assert cells == {"ann": "0", "bob": "0", "carl": "0", "dora": ""}, cells
    assert "1 student had no part in tiny" in warning, warning
    assert "dora: added to the roster on " in warning and "after the due date " \
        "(2021-01-10 12:00 UTC)" in warning, warning
    with open(course / "grading/tiny/grades.csv", newline="", encoding="utf-8") as f:
        rows = {r["student"]: r for r in csv.DictReader(f)}
    assert (rows["dora"]["score"], rows["dora"]["status"]) == ("", "not enrolled"), rows["dora"]
    assert (rows["carl"]["score"], rows["carl"]["status"]) == ("0", "no submission")

    cells, warning = _canvas_cells(course, "later", tmp_path)
    assert cells == {"ann": "0", "bob": "0", "carl": "", "dora": "0"}, cells
    assert "carl: not in the roster since " in warning and "before the due date" in warning

    # Carl comes back: from then on he is enrolled again
    dlcourse("roster", "import", first, cwd=course)
    cells, _ = _canvas_cells(course, "later", tmp_path)
    assert cells["carl"] == "0", cells


def _zip(path: Path, entries: dict[str, tuple]) -> Path:
    """A download whose entries carry the given wall-clock times (a zip stores no zone)."""
    with zipfile.ZipFile(path, "w") as zf:
        for name, (when, text) in entries.items():
            zf.writestr(zipfile.ZipInfo(name, date_time=when), text)
    return path


def _unzip_as_unzip_does(archive: Path, folder: Path) -> None:
    """What ``unzip`` on a UTC computer leaves: each file's modification time is its entry's
    wall-clock time in that computer's zone (the collect below runs with TZ=UTC)."""
    import os

    folder.mkdir()
    with zipfile.ZipFile(archive) as zf:
        for info in zf.infolist():
            path = folder / info.filename
            path.write_bytes(zf.read(info))
            when = calendar.timegm((*info.date_time, 0, 0, 0))
            os.utime(path, (when, when))


def _stamps(proc) -> dict[str, str]:
    return {line.split()[0]: " ".join(line.split()[2:4]) for line in proc.stdout.splitlines()
            if " submitted " in line}


def test_an_upload_has_one_time_from_the_zip_and_its_folder_and_doubtful_ones_are_named(
        course_dir, tmp_path):
    course = _course(course_dir, "times")
    dlcourse("timezone", "Europe/Berlin", cwd=course)
    dlcourse("release", "tiny", "--due", "2021-01-10 12:00", cwd=course)  # 11:00 UTC
    text = (course / "exercises/tiny/tiny.ipynb").read_text(encoding="utf-8")
    archive = _zip(tmp_path / "download.zip", {
        "ann_tiny.ipynb": ((2021, 1, 10, 11, 0, 0), text),          # on time, Berlin's 11:00
        "bob_tiny.ipynb": ((2021, 2, 1, 9, 0, 0), text + " "),      # three weeks late
        "dan_tiny.ipynb": ((2099, 1, 1, 9, 0, 0), text + "  ")})    # a clock in the future
    env = {"TZ": "UTC"}

    proc = dlcourse("collect", "tiny", archive, "--dry-run", cwd=course, env=env)
    from_zip = _stamps(proc)
    assert from_zip["ann"] == "2021-01-10 10:00:00.000000", proc.stdout
    assert "ann:" not in proc.stderr, proc.stderr  # on time: no word
    assert ("bob: download/bob_tiny.ipynb: submitted 2021-02-01 08:00 UTC, 21.9 days after the "
            "due date (taken from its zip entry), so a late penalty follows; if that is not "
            "when bob uploaded it, give the time with --timestamps") in proc.stderr, proc.stderr
    assert ("dan: download/dan_tiny.ipynb: submitted 2099-01-01 08:00 UTC, in the future "
            "(taken from its zip entry)") in proc.stderr, proc.stderr

    folder = tmp_path / "unpacked" / "download"  # no zip beside it: its files' times count
    folder.parent.mkdir()
    _unzip_as_unzip_does(archive, folder)
    (folder / "carl_tiny.ipynb").write_text(text + "   ", encoding="utf-8")  # written now
    proc = dlcourse("collect", "tiny", folder, cwd=course, env=env, check=False)
    assert proc.returncode == 1, proc.stdout + proc.stderr  # carl's time: look at it (N1)
    from_folder = _stamps(proc)
    assert {s: from_folder[s] for s in from_zip} == from_zip, proc.stdout
    assert "ann:" not in proc.stderr and "bob: bob_tiny.ipynb: submitted" in proc.stderr
    assert ("carl: carl_tiny.ipynb: submitted " in proc.stderr and "days after the due date "
            "(taken from the file's modification time in the folder: when it was unpacked, "
            "copied or written here)" in proc.stderr), proc.stderr
    stamp = (course / "submitted/ann/tiny/timestamp.txt").read_text().strip()
    assert stamp == "2021-01-10 10:00:00.000000 UTC"


def test_an_unzipped_folder_of_a_zip_with_true_times_has_the_zips_times(course_dir, tmp_path):
    """Review 23f, N9: Info-ZIP's ``zip`` (here on a "Tokyo laptop") stores each file's true
    instant in an extended-timestamp field, and ``unzip`` gives the unpacked file that
    instant. The folder is then read as the zip is, whether the zip lies beside it (its
    entries' times are taken) or not (an odd second shows the times are instants, not wall
    clocks to place in the course's zone): bob, 40 minutes late, is late from all three; read
    as a wall clock he was an hour early, on time."""
    import datetime as dt
    import os
    import shutil
    import subprocess

    course = _course(course_dir, "unzipped")
    dlcourse("timezone", "Europe/Berlin", cwd=course)
    dlcourse("release", "tiny", "--due", "2026-12-01 23:59", cwd=course)  # 22:59 UTC
    text = (course / "exercises/tiny/tiny.ipynb").read_text(encoding="utf-8")
    work = tmp_path / "laptop"
    work.mkdir()
    uploads = {"ann": ((2026, 12, 1, 20, 0, 1), text),        # on time
               "bob": ((2026, 12, 1, 23, 39, 58), text + " "),  # 40 min late
               "carl": ((2026, 12, 1, 22, 10, 0), text + "  ")}
    for student, (when, body) in uploads.items():
        path = work / f"{student}_tiny.ipynb"
        path.write_text(body, encoding="utf-8")
        instant = dt.datetime(*when, tzinfo=dt.timezone.utc).timestamp()
        os.utime(path, (instant, instant))
    archive = tmp_path / "download.zip"
    subprocess.run(["zip", "-q", str(archive)] + sorted(p.name for p in work.iterdir()),
                   cwd=work, check=True, env={**os.environ, "TZ": "Asia/Tokyo"})
    folder = tmp_path / "download"
    subprocess.run(["unzip", "-q", str(archive), "-d", str(folder)], check=True,
                   env={**os.environ, "TZ": "UTC"})
    env = {"TZ": "UTC"}
    expected = {"ann": "2026-12-01 20:00:01.000000", "bob": "2026-12-01 23:39:58.000000",
                "carl": "2026-12-01 22:10:00.000000"}

    proc = dlcourse("collect", "tiny", archive, "--dry-run", cwd=course, env=env)
    assert _stamps(proc) == expected, proc.stdout
    proc = dlcourse("collect", "tiny", folder, "--dry-run", cwd=course, env=env, check=False)
    assert _stamps(proc) == expected, proc.stdout
    assert (f"  3 submission times from {archive}, the zip beside this folder that holds the "
            "same files (names, sizes, CRC-32s): its entries' times") in proc.stdout, proc.stdout
    assert proc.returncode == 0, proc.stdout + proc.stderr  # zip entries: bob's late is true

    alone = tmp_path / "elsewhere" / "download"  # the folder without its zip (times kept)
    shutil.copytree(folder, alone)
    proc = dlcourse("collect", "tiny", alone, "--dry-run", cwd=course, env=env, check=False)
    assert _stamps(proc) == expected, proc.stdout
    assert "submission times from" not in proc.stdout, proc.stdout
    assert "bob: bob_tiny.ipynb: submitted 2026-12-01 23:39 UTC, 0.7 h after the due date " \
        "(taken from the file's modification time" in proc.stderr, proc.stderr

    # a file changed after unpacking is not the zip's: its own time, named as such
    (folder / "carl_tiny.ipynb").write_text(text + "   ", encoding="utf-8")
    proc = dlcourse("collect", "tiny", folder, cwd=course, env=env, check=False)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "  2 submission times from " in proc.stdout, proc.stdout
    stamps = _stamps(proc)
    assert {s: stamps[s] for s in ("ann", "bob")} == {s: expected[s] for s in ("ann", "bob")}
    assert "carl: carl_tiny.ipynb: submitted " in proc.stderr and "(taken from the file's " \
        "modification time" in proc.stderr, proc.stderr


def test_a_copied_folders_file_times_fail_collect_are_repeated_by_grade_and_the_zip_repairs_them(
        course_dir, tmp_path):
    """Review 23e, N1: the download copied with ``cp -r`` (every file stamped with the copy's
    moment) makes every student days late. collect names them and exits 1, again when the
    same folder is collected again; ``grade`` repeats the warning on the student's line; a
    later collect of the original zip replaces those times with its entries' and says so."""
    import json

    course = _course(course_dir, "copied")
    dlcourse("timezone", "Europe/Berlin", cwd=course)
    dlcourse("release", "tiny", "--due", "2021-01-10 12:00", cwd=course)  # 11:00 UTC
    text = (course / "exercises/tiny/tiny.ipynb").read_text(encoding="utf-8")
    archive = _zip(tmp_path / "download.zip", {
        "ann_tiny.ipynb": ((2021, 1, 10, 11, 0, 0), text),         # on time
        "bob_tiny.ipynb": ((2021, 1, 10, 14, 0, 0), text + " ")})  # 2 h late, truly
    copy = tmp_path / "copied" / "copy"  # cp -r: the bytes, with this moment as their time
    copy.mkdir(parents=True)  # (away from the zip: a zip beside it would give its times)
    with zipfile.ZipFile(archive) as zf:
        for info in zf.infolist():
            (copy / info.filename).write_bytes(zf.read(info))
    env = {"TZ": "UTC"}

    for again in (False, True):
        proc = dlcourse("collect", "tiny", copy, cwd=course, env=env, check=False)
        assert proc.returncode == 1, proc.stdout + proc.stderr
        assert ("2 unchanged" if again else "copied 2 new") in proc.stdout, proc.stdout
        for student in ("ann", "bob"):
            assert (f"{student}: {student}_tiny.ipynb: submitted " in proc.stderr and
                    "days after the due date (taken from the file's modification time in the "
                    "folder" in proc.stderr), proc.stderr
    wrong = (course / "submitted/ann/tiny/timestamp.txt").read_text().strip()
    assert not wrong.startswith("2021"), wrong

    proc = dlcourse("grade", "tiny", "--no-progress", cwd=course, env=env)
    lines = {line.split(":")[0].strip(): line for line in proc.stdout.splitlines()
             if line.startswith("  ") and "; warning: " in line}
    assert set(lines) == {"ann", "bob"}, proc.stdout
    assert "; warning: ann: ann_tiny.ipynb: submitted " in lines["ann"], lines

    proc = dlcourse("collect", "tiny", archive, cwd=course, env=env, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr  # bob's 2 h are the zip's: no doubt
    assert "copied 0 new, 2 changed; 0 unchanged" in proc.stdout, proc.stdout
    assert (f"ann: submission time {wrong}, taken from a file's modification time, is now its "
            "zip entry's, 2021-01-10 10:00:00.000000 UTC") in proc.stdout, proc.stdout
    assert _stamps(proc) == {"ann": "2021-01-10 10:00:00.000000",
                             "bob": "2021-01-10 13:00:00.000000"}, proc.stdout
    assert (course / "submitted/bob/tiny/timestamp.txt").read_text().strip() == (
        "2021-01-10 13:00:00.000000 UTC")
    assert json.loads((course / "grading/tiny/file_times.json").read_text()) == {}
    proc = dlcourse("collect", "tiny", archive, cwd=course, env=env, check=False)
    assert proc.returncode == 0 and "2 unchanged" in proc.stdout, proc.stdout + proc.stderr
    assert "submission time" not in proc.stdout and "warning" not in proc.stderr, proc.stderr


def _canvas_download(path: Path, text: str, students, late: set, start, step: float) -> Path:
    """A Canvas "Download Submissions" zip as its content zipper builds it: one submission
    after another, each entry stamped with the moment it was written (``step`` seconds
    apart from ``start``, a wall-clock tuple), names ``<sortable>_[LATE_]<uid>_<fileid>_...``."""
    base = calendar.timegm((*start, 0, 0, 0))
    entries = {}
    for i, (who, sortable, uid) in enumerate(students):
        when = time.gmtime(base + int(i * step))[:6]
        name = f"{sortable}_{'LATE_' if who in late else ''}{uid}_10{uid}_tiny.ipynb"
        entries[name] = (when, text + " " * uid)
    return _zip(path, entries)


def test_a_slow_canvas_download_of_40_students_gives_no_upload_time(course_dir, tmp_path):
    """Review 23g, G1: Canvas's zipper writes one submission after another, so a big class's
    entries span minutes (here 40 files, 4.5 s apart: 3 minutes). No entry time is an
    upload time: a file without ``LATE_`` is on time by Canvas's word, a ``LATE_`` file is
    late by an unknown amount and named (exit 1); no ``timestamp.txt`` is written."""
    course = _course(course_dir, "canvas-40")
    people = [(f"s{i:02d}", f"student{i:02d}", 100 + i) for i in range(40)]
    roster = tmp_path / "canvas.csv"
    roster.write_text(HEADER + "".join(f'"S, {w}",{uid},9{uid},{w},L\n'
                                       for w, _, uid in people), encoding="utf-8")
    dlcourse("roster", "import", roster, cwd=course)
    dlcourse("release", "tiny", "--due", "2021-01-10 12:00", cwd=course)
    text = (course / "exercises/tiny/tiny.ipynb").read_text(encoding="utf-8")
    late = {"s03", "s17", "s29", "s33", "s38"}
    made = _canvas_download(tmp_path / "submissions.zip", text, people, late,
                            (2021, 1, 11, 8, 0, 0), 4.5)
    proc = dlcourse("collect", "tiny", made, cwd=course, env={"TZ": "UTC"}, check=False)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    said = " ".join(proc.stderr.split())
    for who in sorted(late):
        assert f"{who}: Canvas marks the file late (LATE_ in its name), but a Canvas download " \
            "holds no upload time" in said, said
    assert said.count("Canvas marks the file late") == len(late), said
    on_time = sorted(w for w, _, _ in people if w not in late)
    assert "35 on time by Canvas's word" in proc.stdout, proc.stdout
    assert ", ".join(on_time) in proc.stdout, proc.stdout
    assert "after the due date" not in said, said  # no entry time read as an upload's
    assert not list((course / "submitted").glob("*/tiny/timestamp.txt"))


def test_canvas_marker_is_the_record_through_grade_release_redownload_and_export(
        course_dir, tmp_path):
    """Review 23g, G1-G3, G6, G8: with Canvas's word as the record, an on-time file stays on
    time when the due date moves earlier; a ``LATE_`` file gets no penalty from a build time,
    ``grade`` names it and exits 2, ``export`` refuses (nothing written); a re-download
    keeps it named; ``--timestamps`` settles it. A zip with real, varied times changes
    nothing: Canvas's entry times are never read."""
    course = _course(course_dir, "canvas-marker")
    roster = tmp_path / "canvas.csv"
    roster.write_text(HEADER + ANN + BOB + CARL, encoding="utf-8")
    dlcourse("roster", "import", roster, cwd=course)
    dlcourse("release", "tiny", "--due", "2021-01-10 12:00", cwd=course)
    text = (course / "exercises/tiny/tiny.ipynb").read_text(encoding="utf-8")
    env = {"TZ": "UTC"}
    people = (("ann", "anna", 1), ("bob", "bobb", 2), ("carl", "carlc", 3))
    # one file only (a section-limited download): bob's LATE_ file, zipped the next morning
    one = _canvas_download(tmp_path / "one.zip", text, people[1:2], {"bob"},
                           (2021, 1, 11, 9, 0, 0), 1)
    proc = dlcourse("collect", "tiny", one, "--dry-run", cwd=course, env=env, check=False)
    assert proc.returncode == 1 and "bob: Canvas marks the file late" in proc.stderr, \
        proc.stdout + proc.stderr
    # real-looking varied times: ann's entry late, carl's LATE_ entry early; ignored
    real = _zip(tmp_path / "real.zip", {
        "anna_1_101_tiny.ipynb": ((2021, 1, 10, 15, 0, 0), text + " "),
        "bobb_LATE_2_102_tiny.ipynb": ((2021, 1, 11, 9, 0, 0), text + "  "),
        "carlc_3_103_tiny.ipynb": ((2021, 1, 10, 11, 0, 0), text + "   ")})
    proc = dlcourse("collect", "tiny", real, cwd=course, env=env, check=False)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "2 on time by Canvas's word" in proc.stdout and "ann, carl" in proc.stdout
    assert "ann:" not in proc.stderr and "carl:" not in proc.stderr, proc.stderr
    assert "bob: Canvas marks the file late" in proc.stderr, proc.stderr
    # the due date moved earlier: Canvas's on-time files stay on time (G6)
    dlcourse("release", "tiny", "--due", "2021-01-10 08:00", cwd=course)
    proc = dlcourse("grade", "tiny", "--no-progress", cwd=course, env=env, check=False)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = {line.split(":")[0].strip(): line for line in proc.stdout.splitlines()
             if line.startswith("  ") and "; warning: " in line}
    assert set(lines) == {"bob"}, proc.stdout
    rows = {r["student"]: r for r in csv.DictReader(
        (course / "grading/tiny/grades.csv").open(encoding="utf-8"))}
    assert rows["ann"]["submitted_at"] == "on time (Canvas)", rows["ann"]
    assert float(rows["ann"]["late_by"] or 0) == 0 and float(rows["carl"]["late_by"] or 0) == 0
    assert rows["bob"]["submitted_at"] == "late (Canvas), time unknown", rows["bob"]
    assert float(rows["bob"]["penalty"] or 0) == 0, rows["bob"]
    assert "late by Canvas's LATE_ marker, time unknown" in rows["bob"]["status"], rows["bob"]
    # review 23h, 4: every output says it, and none gives a late_by of 0 as a fact
    assert rows["bob"]["late_by"] == "", rows["bob"]
    record = json.loads((course / "grading/tiny/status/bob.json").read_text())
    assert (record["submitted_at"], record["late_by"], record["time_unknown"]) == (
        "late (Canvas), time unknown", None, True), record
    report = json.loads((course / "grading/tiny/report.json").read_text())
    entry = next(s for s in report["students"] if s["student"] == "bob")
    assert (entry["submitted_at"], entry["late_by"], entry["time_unknown"]) == (
        "late (Canvas), time unknown", None, True), entry
    page = html.unescape((course / "grading/tiny/report.html").read_text(encoding="utf-8"))
    row = next(r for r in page.split("<tr>") if r.startswith("<td>bob</td>"))
    assert "late by Canvas's LATE_ marker, time unknown" in row, row
    assert "<td>late (Canvas), time unknown</td>" in row, row
    out = tmp_path / "canvas_out.csv"
    proc = dlcourse("export", "tiny", "--format", "canvas", "-o", out, cwd=course,
                    check=False)
    assert proc.returncode == 2 and not out.exists(), proc.stdout + proc.stderr
    assert "bob" in proc.stderr and "--timestamps" in proc.stderr, proc.stderr
    # Canvas's next download, made a day later, the same bytes: bob is still named (G3)
    again = _canvas_download(tmp_path / "again.zip", text, people, {"bob"},
                             (2021, 1, 12, 9, 0, 0), 1)
    proc = dlcourse("collect", "tiny", again, cwd=course, env=env, check=False)
    assert proc.returncode == 1 and "bob: Canvas marks the file late" in proc.stderr, \
        proc.stdout + proc.stderr
    # Canvas's time for bob, given: settled everywhere
    given = tmp_path / "times.csv"
    given.write_text("student,submitted_at\nbob,2021-01-10 09:30\n", encoding="utf-8")
    proc = dlcourse("collect", "tiny", again, "--timestamps", given, cwd=course, env=env,
                    check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "1 of the changed is the same file with another time only: bob" in proc.stdout
    assert (course / "submitted/bob/tiny/timestamp.txt").read_text().strip() == (
        "2021-01-10 09:30:00.000000 UTC")
    assert not (course / "submitted/ann/tiny/timestamp.txt").exists()
    proc = dlcourse("grade", "tiny", "--no-progress", cwd=course, env=env, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    rows = {r["student"]: r for r in csv.DictReader(
        (course / "grading/tiny/grades.csv").open(encoding="utf-8"))}
    assert float(rows["bob"]["late_by"]) == 1.5, rows["bob"]
    record = json.loads((course / "grading/tiny/status/bob.json").read_text())
    assert (record["late_by"], record["time_unknown"]) == (1.5, False), record
    assert float(rows["ann"]["late_by"] or 0) == 0, rows["ann"]
    cells, _ = _canvas_cells(course, "tiny", tmp_path)
    assert set(cells) == {"ann", "bob", "carl"}, cells


def test_a_plain_zip_stamped_when_it_was_made_is_no_upload_time(course_dir, tmp_path):
    """Review 23f, N10 for a download without Canvas's marker: entries of several students
    within two minutes, after the due date, say when the zip was made; no penalty follows
    from them, each student is named with the fix, exit status 1."""
    course = _course(course_dir, "plain-made")
    dlcourse("release", "tiny", "--due", "2021-01-10 12:00", cwd=course)
    text = (course / "exercises/tiny/tiny.ipynb").read_text(encoding="utf-8")
    archive = _zip(tmp_path / "made.zip", {
        "ann_tiny.ipynb": ((2021, 1, 11, 9, 0, 0), text),
        "bob_tiny.ipynb": ((2021, 1, 11, 9, 1, 30), text + " ")})
    proc = dlcourse("collect", "tiny", archive, cwd=course, env={"TZ": "UTC"}, check=False)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert set(_stamps(proc).values()) == {"2021-01-10 12:00:00.000000"}, proc.stdout
    said = " ".join(proc.stderr.split())
    for student in ("ann", "bob"):
        assert (f"{student}: made/{student}_tiny.ipynb: the download's entries all carry times "
                "within 2 minutes of 2021-01-11 09:01 UTC, when the zip was made, not when "
                "each file was uploaded: its upload time is unknown, so it is recorded at the "
                "due date (2021-01-10 12:00 UTC), on time; give the upload time with "
                "--timestamps") in said, said
    # entries minutes apart are upload times, as before: bob 3 h late, no word
    archive = _zip(tmp_path / "real.zip", {
        "ann_tiny.ipynb": ((2021, 1, 10, 11, 0, 0), text + "  "),
        "bob_tiny.ipynb": ((2021, 1, 10, 15, 0, 0), text + "   ")})
    proc = dlcourse("collect", "tiny", archive, cwd=course, env={"TZ": "UTC"}, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert _stamps(proc) == {"ann": "2021-01-10 11:00:00.000000",
                             "bob": "2021-01-10 15:00:00.000000"}, proc.stdout


def test_a_canvas_zip_without_entry_times_keeps_canvas_word(course_dir, tmp_path):
    """Review 23i, finding 4: a Canvas download is judged by ``LATE_`` alone, whatever its
    entries' times; one whose entries carry the zip format's "no time" (1980-01-01 00:00)
    keeps a file without ``LATE_`` on time by Canvas's word and a ``LATE_`` file "late
    (Canvas), time unknown", first collect or again (the 1980 rule stays for other zips:
    tests/test_term_moodle_times.py)."""
    course = _course(course_dir, "canvas-1980")
    roster = tmp_path / "canvas.csv"
    roster.write_text(HEADER + ANN + BOB, encoding="utf-8")
    dlcourse("roster", "import", roster, cwd=course)
    dlcourse("release", "tiny", "--due", "2021-01-10 12:00", cwd=course)
    text = (course / "exercises/tiny/tiny.ipynb").read_text(encoding="utf-8")
    people = [("ann", "anna", 1), ("bob", "bobb", 2)]
    normal = _canvas_download(tmp_path / "submissions.zip", text, people, {"bob"},
                              (2021, 1, 11, 8, 0, 0), 4.5)
    no_time = _canvas_download(tmp_path / "submissions_1980.zip", text, people, {"bob"},
                               (1980, 1, 1, 0, 0, 0), 0)
    for archive in (no_time, normal, no_time):  # first collect, then the same bytes again
        proc = dlcourse("collect", "tiny", archive, cwd=course, env={"TZ": "UTC"},
                        check=False)
        out = proc.stdout + proc.stderr
        assert proc.returncode == 1, out  # bob's LATE_ without a time, named
        assert "  ann          submitted on time (Canvas)\n" in proc.stdout, out
        assert "  bob          submitted late (Canvas), time unknown\n" in proc.stdout, out
        assert "holds none" not in out and "holds no time" not in out, out
        assert "ann" not in proc.stderr, out
    assert not list((course / "submitted").glob("*/tiny/timestamp.txt"))
