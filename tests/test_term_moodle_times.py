"""Moodle's grading worksheet as the source of submission times (review 23e, N3), through the
real ``dlcourse`` command on a real scratch course. Only the last test grades (a worksheet
imported after grading counts at once).

The worksheet the guide has the instructor import (``roster import worksheet.csv
--assignment NAME``) holds each participant's ``Last modified (submission)``: Moodle's own
record of the upload. A download copied with ``cp -r`` carries the copy's moment as every
file's time (review 23e, N1); with the worksheet imported, collect takes Moodle's times
instead, says so, and names a worksheet older than the upload it is asked to time.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from dlgrade.course import make_course as make_dlgrade_course
from tests.submissions.crafted import TINY_CONFIG, dlcourse, tiny_notebook

pytestmark = pytest.mark.slow

PARTICIPANTS = """\
First name,Surname,ID number,Email address
Ann,Archer,5001,ann@uni.example
Bea,Baker,5002,bea@uni.example
Cem,Cole,5003,cem@uni.example
Dev,Dunn,5004,dev@uni.example
"""
HEADER = ("Identifier,Full name,Email address,Status,Grade,Maximum Grade,Grade can be changed,"
          "Last modified (submission),Last modified (grade),Feedback comments\n")


def worksheet(bea_time: str) -> str:
    """The worksheet as Moodle writes it in English; Cem handed nothing in, and Dev's cell is
    one this tool cannot read."""
    return HEADER + (
        'Participant 1500231,Ann Archer,ann@uni.example,Submitted for grading,,6.00,Yes,'
        '"Tuesday, 12 January 2021, 10:00 AM",-,\n'
        f'Participant 1500232,Bea Baker,bea@uni.example,Submitted for grading,,6.00,Yes,'
        f'"{bea_time}",-,\n'
        'Participant 1500233,Cem Cole,cem@uni.example,No submission,,6.00,Yes,-,-,\n'
        'Participant 1500234,Dev Dunn,dev@uni.example,Submitted for grading,,6.00,Yes,'
        '"sometime on Tuesday",-,\n')


def copied_download(folder: Path, texts: dict[str, str]) -> Path:
    """A Moodle download as ``cp -r`` leaves it: every file written now (its time the copy's)."""
    for name, text in texts.items():
        path = folder / f"{name}_assignsubmission_file_" / "tiny.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return folder


def moodle_course(course_dir, tmp_path: Path, name: str) -> Path:
    """A scratch course in Berlin time with the four participants on its roster and ``tiny``
    due 2021-01-12 23:59 (22:59 UTC)."""
    course = make_dlgrade_course(Path(course_dir) / name, TINY_CONFIG.format(
        timeout=20, extra=""), {"tiny": tiny_notebook()})
    dlcourse("timezone", "Europe/Berlin", cwd=course)
    roster = tmp_path / "participants.csv"
    roster.write_text(PARTICIPANTS, encoding="utf-8")
    dlcourse("roster", "import", roster, cwd=course)
    dlcourse("release", "tiny", "--due", "2021-01-12 23:59", cwd=course)
    return course


def moodle_zip(path: Path, names, text: str, date_time: tuple) -> Path:
    """A Moodle download zip of ``text`` (a space more for each next name) for the
    participants ``names`` (``"Ann Archer_1500231"``), every entry dated ``date_time``."""
    import zipfile

    with zipfile.ZipFile(path, "w") as zf:
        for i, name in enumerate(names):
            zf.writestr(zipfile.ZipInfo(f"{name}_assignsubmission_file_/tiny.ipynb",
                                        date_time=date_time), text + " " * i)
    return path


def import_sheet(course: Path, tmp_path: Path, text: str | None = None, check: bool = True):
    """``dlcourse roster import worksheet.csv --assignment tiny`` of ``text`` written to
    ``tmp_path/worksheet.csv`` (``None``: the worksheet written there before, imported again);
    ``check`` as :func:`dlcourse`'s. Returns the finished process."""
    sheet = tmp_path / "worksheet.csv"
    if text is not None:
        sheet.write_text(text, encoding="utf-8")
    return dlcourse("roster", "import", sheet, "--assignment", "tiny", cwd=course, check=check)


def stamp(course: Path, student: str) -> str:
    return (course / "submitted" / student / "tiny/timestamp.txt").read_text().strip()


def test_the_worksheets_times_replace_a_copied_folders_and_a_stale_worksheet_is_named(
        course_dir, tmp_path):
    course = moodle_course(course_dir, tmp_path, "moodle-times")

    proc = import_sheet(course, tmp_path, worksheet("Wednesday, 13 January 2021, 1:30 AM"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert ("  2 submission times from 'Last modified (submission)' kept for tiny: collect "
            "takes them as the submission time of those students (over the download's file "
            "times)") in proc.stdout, proc.stdout
    # an unreadable cell is named with its line; that student keeps no worksheet time
    assert ("warning: 5004: line 5: 'Last modified (submission)': got 'sometime on Tuesday', "
            "expected Moodle's date and time such as 'Tuesday, 1 December 2026, 10:00 AM'"
            ) in proc.stderr, proc.stderr
    assert json.loads((course / "grading/tiny/moodle_submitted.json").read_text()) == {
        "5001": "2021-01-12 09:00:00.000000 UTC", "5002": "2021-01-13 00:30:00.000000 UTC"}

    text = (course / "exercises/tiny/tiny.ipynb").read_text(encoding="utf-8")
    first = copied_download(tmp_path / "copy1", {
        "Ann Archer_1500231": text, "Bea Baker_1500232": text + " ",
        "Dev Dunn_1500234": text + "  "})
    proc = dlcourse("collect", "tiny", first, cwd=course, check=False)
    # Dev's time is the copy's, days late: still named, exit status 1 (N1)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "copied 3 new" in proc.stdout, proc.stdout
    assert ("  2 submission times from the grading worksheet's 'Last modified (submission)' "
            "(5001, 5002)") in proc.stdout, proc.stdout
    assert stamp(course, "5001") == "2021-01-12 09:00:00.000000 UTC"  # on time
    assert stamp(course, "5002") == "2021-01-13 00:30:00.000000 UTC"  # 1.5 h late, truly
    assert "5001:" not in proc.stderr, proc.stderr
    assert "5002:" not in proc.stderr, proc.stderr  # 1.5 h late by Moodle's record: no doubt
    assert ("5004: Dev Dunn_1500234_assignsubmission_file_/tiny.ipynb: submitted " in
            proc.stderr and "(taken from the file's modification time in the folder"
            in proc.stderr), proc.stderr
    assert ("(or import the assignment's grading worksheet, whose 'Last modified (submission)' "
            "Moodle wrote: `dlcourse roster import worksheet.csv --assignment tiny`, and "
            "collect again)") in " ".join(proc.stderr.split()), proc.stderr

    # Bea uploads again after the worksheet was downloaded; the instructor collects a new
    # copy of the download but not a new worksheet: its time is older than her new file
    second = copied_download(tmp_path / "copy2", {
        "Ann Archer_1500231": text, "Bea Baker_1500232": text + "\n\n"})
    proc = dlcourse("collect", "tiny", second, cwd=course, check=False)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "copied 0 new, 1 changed; 1 unchanged" in proc.stdout, proc.stdout
    said = " ".join(proc.stderr.split())
    assert ("5002: the file changed, but the grading worksheet's 'Last modified (submission)',"
            " 2021-01-13 00:30:00.000000 UTC, is not after the time of the file collected "
            "before, 2021-01-13 00:30:00.000000 UTC: the worksheet is older than this upload, "
            "so the download's time") in said, said
    assert "download the worksheet again" in said, said
    copied_time = stamp(course, "5002")
    assert copied_time > "2021-01-14", copied_time  # the copy's moment, not the stale 00:30
    assert stamp(course, "5001") == "2021-01-12 09:00:00.000000 UTC"

    # the fresh worksheet: her new upload's time replaces the copy's at its import, said
    # (review 23j, finding 2: a worksheet counts at once, no collect needed)
    proc = import_sheet(course, tmp_path, worksheet("Wednesday, 13 January 2021, 3:00 AM"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (f"  5002: submission time {copied_time} (a file's modification time) -> "
            "2021-01-13 02:00:00.000000 UTC (the grading worksheet's 'Last modified "
            "(submission)'); the next `dlcourse grade tiny` counts it") in proc.stdout, \
        proc.stdout
    assert stamp(course, "5002") == "2021-01-13 02:00:00.000000 UTC"
    # and once more: nothing changes, nothing is said
    proc = dlcourse("collect", "tiny", second, cwd=course, check=False)
    assert proc.returncode == 0 and "2 unchanged" in proc.stdout, proc.stdout + proc.stderr
    assert "submission time 2" not in proc.stdout and "warning" not in proc.stderr, \
        proc.stdout + proc.stderr

    # an instructor's --timestamps stays theirs: the worksheet does not replace it
    given = tmp_path / "times.csv"
    given.write_text("student,submitted_at\n5001,2021-01-12 08:00\n", encoding="utf-8")
    proc = dlcourse("collect", "tiny", second, "--timestamps", given, cwd=course, check=False)
    assert stamp(course, "5001") == "2021-01-12 07:00:00.000000 UTC", proc.stdout
    proc = dlcourse("collect", "tiny", second, cwd=course, check=False)
    assert stamp(course, "5001") == "2021-01-12 07:00:00.000000 UTC", proc.stdout
    assert ("5001: kept the submission time 2021-01-12 07:00:00.000000 UTC (given with "
            "--timestamps); the grading worksheet says 2021-01-12 09:00:00.000000 UTC"
            ) in proc.stderr, proc.stderr


def test_a_zip_entrys_time_gives_way_to_the_worksheet_imported_after_it(course_dir, tmp_path):
    """A Moodle zip collected before the worksheet was imported: its entries' times (when the
    file was written into Moodle's store or the zip, not necessarily the upload) are replaced
    by Moodle's record once the worksheet is imported, and the import says so."""
    import zipfile

    course = moodle_course(course_dir, tmp_path, "moodle-zip")
    ids = tmp_path / "ids.csv"  # the worksheet without its time column: ids only
    ids.write_text("Identifier,Full name,Email address,Status\n"
                   "Participant 1500231,Ann Archer,ann@uni.example,Submitted for grading\n",
                   encoding="utf-8")
    proc = dlcourse("roster", "import", ids, "--assignment", "tiny", cwd=course)
    assert "submission time" not in proc.stdout, proc.stdout
    text = (course / "exercises/tiny/tiny.ipynb").read_text(encoding="utf-8")
    archive = tmp_path / "moodle.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr(zipfile.ZipInfo("Ann Archer_1500231_assignsubmission_file_/tiny.ipynb",
                                    date_time=(2021, 1, 13, 0, 30, 0)), text)
    proc = dlcourse("collect", "tiny", archive, cwd=course, check=False)
    assert stamp(course, "5001") == "2021-01-12 23:30:00.000000 UTC", proc.stdout
    # a one-student download without the worksheet's time: its late entry time is named
    # (Moodle's zipper gives the time its server stored the file; not on every site the
    # upload's), exit 1 (review 23g, G2)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    said = " ".join(proc.stderr.split())
    assert "5001: moodle/Ann Archer_1500231_assignsubmission_file_/tiny.ipynb: submitted " \
        "2021-01-12 23:30 UTC, 0.5 h after the due date (taken from its zip entry: Moodle's " \
        "zipper gives each entry the time its server stored that file" in said, said
    assert "import the assignment's grading worksheet" in said, said

    proc = import_sheet(course, tmp_path, worksheet("-"))
    assert ("  5001: submission time 2021-01-12 23:30:00.000000 UTC (its zip entry) -> "
            "2021-01-12 09:00:00.000000 UTC (the grading worksheet's 'Last modified "
            "(submission)')") in proc.stdout, proc.stdout
    assert stamp(course, "5001") == "2021-01-12 09:00:00.000000 UTC"
    proc = dlcourse("collect", "tiny", archive, cwd=course, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "1 unchanged" in proc.stdout and "submission time 2" not in proc.stdout, \
        proc.stdout
    assert stamp(course, "5001") == "2021-01-12 09:00:00.000000 UTC"


def test_a_worksheet_that_disagrees_with_the_download_is_named(course_dir, tmp_path):
    """Review 23f, N7 and N5: the imported worksheet says Bea submitted, but the download
    holds no file of hers (a download made before her upload): without a word she would be
    graded and exported as 0, "no submission". It says Cem handed nothing in, yet the
    download has his file: the worksheet is older than his upload. collect names both and
    exits 1; a fresh worksheet and a full download settle it."""
    course = moodle_course(course_dir, tmp_path, "moodle-disagree")
    import_sheet(course, tmp_path, worksheet("Tuesday, 12 January 2021, 9:30 PM"))
    assert json.loads((course / "grading/tiny/moodle_no_submission.json").read_text()) == [
        "5003"]

    text = (course / "exercises/tiny/tiny.ipynb").read_text(encoding="utf-8")
    # a zip Moodle made the next morning (every entry that moment), with a worksheet whose
    # time for Ann is the due date itself: hers is Moodle's record, no word; Cem's only time
    # is the zip's making: no penalty from it, named twice (unknown time, stale worksheet)
    made = moodle_zip(tmp_path / "made.zip", ("Ann Archer_1500231", "Cem Cole_1500233"),
                      text, (2021, 1, 13, 9, 0, 0))
    import_sheet(course, tmp_path, worksheet("-").replace("12 January 2021, 10:00 AM",
                                                          "12 January 2021, 11:59 PM"))
    proc = dlcourse("collect", "tiny", made, "--dry-run", cwd=course, check=False)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    said = " ".join(proc.stderr.split())
    assert "5001:" not in said, said
    assert ("5003: made/Cem Cole_1500233_assignsubmission_file_/tiny.ipynb: the download's "
            "entries all carry times within 2 minutes of 2021-01-13 08:00 UTC, when the zip "
            "was made") in said, said
    assert "5003: the grading worksheet imported for tiny says no submission" in said, said
    assert "  5001         submitted 2021-01-12 22:59:00.000000 UTC" in proc.stdout
    assert "  5003         submitted 2021-01-12 22:59:00.000000 UTC" in proc.stdout
    import_sheet(course, tmp_path, worksheet("Tuesday, 12 January 2021, 9:30 PM"))

    first = copied_download(tmp_path / "dl1", {
        "Ann Archer_1500231": text, "Cem Cole_1500233": text + " "})
    proc = dlcourse("collect", "tiny", first, cwd=course, check=False)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    said = " ".join(proc.stderr.split())
    assert ("5002: the grading worksheet imported for tiny says submitted 2021-01-12 20:30 UTC, "
            "but the download holds no file for them (a download made before that upload, or "
            "of some groups only?)") in said, said
    assert ("5003: the grading worksheet imported for tiny says no submission ('-'), yet the "
            "download has a file, Cem Cole_1500233_assignsubmission_file_/tiny.ipynb: the "
            "worksheet is older than this upload") in said, said
    # the doubtful file time does not send the instructor to import the worksheet imported
    assert "or import the assignment's grading worksheet" not in said, said
    assert "5001:" not in said and "5004:" not in said, said

    # Moodle's fresh worksheet and download: Bea's and Cem's uploads in both
    fresh = worksheet("Tuesday, 12 January 2021, 9:30 PM").replace(
        "No submission,,6.00,Yes,-,", 'Submitted for grading,,6.00,Yes,'
        '"Tuesday, 12 January 2021, 10:00 PM",')
    import_sheet(course, tmp_path, fresh)
    assert json.loads((course / "grading/tiny/moodle_no_submission.json").read_text()) == []
    second = copied_download(tmp_path / "dl2", {
        "Ann Archer_1500231": text, "Bea Baker_1500232": text + "  ",
        "Cem Cole_1500233": text + " "})
    proc = dlcourse("collect", "tiny", second, cwd=course, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "warning" not in proc.stderr, proc.stderr
    assert stamp(course, "5002") == "2021-01-12 20:30:00.000000 UTC"
    assert stamp(course, "5003") == "2021-01-12 21:00:00.000000 UTC"


def test_a_newer_worksheet_replaces_an_older_ones_time_and_says_both_readings(
        course_dir, tmp_path):
    """Review 23f, N6: the newest worksheet imported is Moodle's newest record, so its time
    replaces an earlier worksheet's for the same file, said old -> new. A later time that
    makes the file late has two readings: the worksheet before was older than this upload
    (right), or the download is older than the upload this worksheet times (wrong: then the
    file is an earlier, on-time one). Both are said once, with exit status 1; the next
    collect is quiet."""
    course = moodle_course(course_dir, tmp_path, "moodle-newer")
    import_sheet(course, tmp_path, worksheet("Tuesday, 12 January 2021, 9:30 PM"))
    text = (course / "exercises/tiny/tiny.ipynb").read_text(encoding="utf-8")
    download = copied_download(tmp_path / "dl", {
        "Ann Archer_1500231": text, "Bea Baker_1500232": text + " "})
    proc = dlcourse("collect", "tiny", download, cwd=course, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert stamp(course, "5002") == "2021-01-12 20:30:00.000000 UTC"

    # a newer worksheet: Ann's time earlier, Bea's later and late: both said
    # its import gives the collected files its times at once (review 23j, finding 2)
    proc = import_sheet(course, tmp_path, worksheet("Wednesday, 13 January 2021, 3:00 AM")
                        .replace("12 January 2021, 10:00 AM", "12 January 2021, 9:00 AM"),
                        check=False)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    lines = {line.split(":")[0].strip(): line for line in proc.stdout.splitlines()
             if ": submission time " in line}
    for student, old, new in (("5001", "2021-01-12 09:00", "2021-01-12 08:00"),
                              ("5002", "2021-01-12 20:30", "2021-01-13 02:00")):
        assert lines[student].startswith(
            f"  {student}: submission time {old}:00.000000 UTC (the grading worksheet's "
            f"'Last modified (submission)') -> {new}:00.000000 UTC (the grading worksheet's "
            "'Last modified (submission)'); the next `dlcourse grade tiny` counts it"), lines
        assert stamp(course, student) == f"{new}:00.000000 UTC"
    # an earlier time is said too: Moodle's time of an upload never goes back (review 23k, 5)
    assert lines["5001"].endswith(
        "; warning: the grading worksheet imported now gives 2021-01-12 08:00 UTC, earlier "
        "than the 2021-01-12 09:00 UTC the one imported before gave; Moodle's time of an "
        "upload never goes back, so this worksheet is likely the older one: if so, import "
        "the newer one again"), lines
    assert lines["5002"].endswith(
        "; warning: the grading worksheet imported since gives a later time, 2021-01-13 "
        "02:00:00.000000 UTC, 3.0 h after the due date, to the same file timed 2021-01-12 "
        "20:30:00.000000 UTC by the worksheet imported before: right if that worksheet "
        "was older than this upload; but if this download was made before the upload the "
        "worksheet times, its file is an earlier one and the penalty is wrong: download "
        "the submissions again and collect"), lines
    assert "--timestamps" not in lines["5002"], lines  # the old advice: a file of times

    proc = dlcourse("collect", "tiny", download, cwd=course, check=False)
    assert proc.returncode == 0 and "2 unchanged" in proc.stdout, proc.stdout + proc.stderr
    assert "warning" not in proc.stderr and "submission time 2" not in proc.stdout, \
        proc.stdout + proc.stderr

    # the second reading was true: the download again holds Bea's late upload, which the
    # worksheet's time is for (not a worksheet older than it: no such warning)
    again = copied_download(tmp_path / "dl-again", {
        "Ann Archer_1500231": text, "Bea Baker_1500232": text + "\n\n"})
    proc = dlcourse("collect", "tiny", again, cwd=course, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "1 changed; 1 unchanged" in proc.stdout and "warning" not in proc.stderr, \
        proc.stdout + proc.stderr
    assert stamp(course, "5002") == "2021-01-13 02:00:00.000000 UTC"


def test_worksheet_cells_and_files_that_need_a_word(course_dir, tmp_path):
    """Review 23f, N8 and N11: a worksheet downloaded in German is refused whole with what it
    is and what to do; a weekday that is not the date's, and a time of the hour the clocks go
    back, are named at import with what was taken; a due time the clocks skip is printed with
    the time it became; a participant missing from the imported worksheet gets a hint that
    does not say to import it."""
    course = moodle_course(course_dir, tmp_path, "moodle-words")
    german = tmp_path / "bewertungstabelle.csv"
    german.write_text(
        "Kennung,Vollständiger Name,E-Mail-Adresse,Status,Bewertung,Bestwertung,Bewertung "
        "kann geändert werden,Zuletzt geändert (Abgabe),Zuletzt geändert (Bewertung),"
        "Feedback als Kommentar\n"
        'Teilnehmer/in 1500231,Ann Archer,ann@uni.example,Zur Bewertung abgegeben,,"6,00",Ja,'
        '"Dienstag, 12. Januar 2021, 10:00",-,\n', encoding="utf-8")
    proc = dlcourse("roster", "import", german, "--assignment", "tiny", cwd=course,
                    check=False)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert ("this looks like a Moodle grading worksheet in German (its column 'Zuletzt "
            "geändert (Abgabe)'): its column names and dates are read in English only"
            ) in proc.stderr and "set your language to English" in proc.stderr, proc.stderr
    assert not (course / "grading/tiny/moodle_participants.json").exists()

    proc = import_sheet(course, tmp_path, worksheet("Sunday, 31 October 2021, 2:30 AM")
                        .replace("Tuesday, 12 January 2021", "Wednesday, 12 January 2021"))
    said = " ".join(proc.stderr.split())
    assert ("5001: line 2: 'Last modified (submission)': got 'Wednesday, 12 January 2021, "
            "10:00 AM': 12 January 2021 is a Tuesday, not a Wednesday; no worksheet time is "
            "kept for them") in said, said
    assert ("5002: line 3: 'Last modified (submission)': 2021-10-31 02:30 happens twice in "
            "Europe/Berlin (the clocks go back): the first is taken, 00:30 UTC (CEST), not the "
            "second, 01:30 UTC (CET); if the upload was the second, give its time with "
            "--timestamps") in said, said
    times = json.loads((course / "grading/tiny/moodle_submitted.json").read_text())
    assert times == {"5002": "2021-10-31 00:30:00.000000 UTC"}, times

    proc = dlcourse("release", "tiny", "--due", "2021-03-28 02:30", cwd=course)
    assert ("  note: 2021-03-28 02:30 does not exist in Europe/Berlin (the clocks go forward "
            "over it): read as 03:30 CEST, 01:30 UTC") in proc.stdout, proc.stdout
    proc = dlcourse("release", "tiny", "--due", "2021-10-31 02:30", cwd=course)
    assert ("happens twice in Europe/Berlin (the clocks go back): the first is taken, 00:30 "
            "UTC (CEST), not the second, 01:30 UTC (CET); for the second: --due '2021-10-31 "
            "01:30' --timezone UTC") in proc.stdout, proc.stdout
    proc = dlcourse("release", "tiny", "--due", "2021-01-12 23:59", cwd=course)
    assert "note:" not in proc.stdout, proc.stdout

    text = (course / "exercises/tiny/tiny.ipynb").read_text(encoding="utf-8")
    download = copied_download(tmp_path / "dl", {"Kim Lee_1500240": text})
    proc = dlcourse("collect", "tiny", download, cwd=course, check=False)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    said = " ".join(proc.stderr.split())
    assert ("unmatched (not copied): Kim Lee_1500240_assignsubmission_file_/tiny.ipynb: no "
            "roster student has Moodle participant id 1500240 or the name 'Kim Lee'; Moodle "
            "participant id 1500240 is not in the grading worksheet imported for tiny: "
            "enrolled since it was downloaded? download it again") in said, said
    assert "'Download grading worksheet'" not in said, said


def test_a_worksheets_upload_the_download_lacks_is_never_graded_or_exported_as_nothing(
        course_dir, tmp_path):
    """Review 23g, G5 and G4: the worksheet lists Bea as submitted, the download (one group)
    holds no file of hers: ``grade`` names her as not collected, ``export`` writes an empty
    cell that says why (not 0, "no submission") and exits 1. Once her file is collected, a
    newer worksheet gives a later upload the next partial download lacks: named, exit 1,
    instead of grading the earlier file without a word."""
    course = moodle_course(course_dir, tmp_path, "moodle-no-file")
    import_sheet(course, tmp_path, worksheet("Tuesday, 12 January 2021, 9:30 PM"))
    text = (course / "exercises/tiny/tiny.ipynb").read_text(encoding="utf-8")
    group1 = copied_download(tmp_path / "g1", {"Ann Archer_1500231": text})
    proc = dlcourse("collect", "tiny", group1, cwd=course, check=False)
    assert proc.returncode == 1 and "5002: the grading worksheet imported for tiny says " \
        "submitted" in proc.stderr, proc.stdout + proc.stderr
    proc = dlcourse("grade", "tiny", "--no-progress", cwd=course, check=False)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    line = next(x for x in proc.stdout.splitlines() if x.strip().startswith("5002:"))
    assert "not collected (no file collected though Moodle says submitted" in line, line
    out = tmp_path / "moodle_out.csv"
    proc = dlcourse("export", "tiny", "--format", "moodle", "-o", out, cwd=course,
                    check=False)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "1 student with no file collected though Moodle says submitted (5002)" in \
        " ".join(proc.stderr.split()), proc.stderr
    row = next(x for x in out.read_text(encoding="utf-8").splitlines() if "bea@" in x)
    assert "not graded yet: no file collected though Moodle says submitted" in row, row
    assert "no submission" not in row and ",0," not in row, row

    # her file arrives; then a newer worksheet times a later upload the next group-1
    # download lacks (G4)
    both = copied_download(tmp_path / "g2", {"Ann Archer_1500231": text,
                                             "Bea Baker_1500232": text + " "})
    proc = dlcourse("collect", "tiny", both, cwd=course, check=False)
    assert stamp(course, "5002") == "2021-01-12 20:30:00.000000 UTC", proc.stdout
    # its import gives her collected file the later, late time at once, with both readings
    # (review 23j, finding 2; 23f, N6), exit 1
    proc = import_sheet(course, tmp_path, worksheet("Wednesday, 13 January 2021, 9:00 AM"),
                        check=False)
    assert proc.returncode == 1 and "the next `dlcourse grade tiny` counts it; warning: the " \
        "grading worksheet imported since gives a later time" in proc.stdout, proc.stdout
    proc = dlcourse("collect", "tiny", group1, cwd=course, check=False)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    said = " ".join(proc.stderr.split())
    assert ("5002: the grading worksheet imported for tiny says submitted 2021-01-13 08:00 UTC, "
            "after the file collected before (2021-01-12 20:30 UTC), but the download holds "
            "no file for them") in said, said


def test_a_worksheet_imported_after_a_collect_names_whose_file_is_missing(course_dir, tmp_path):
    """Review 23k, finding 1: the worksheet imported after a collect (as collect's own advice
    says, when it could not match a file) lists Bea as submitted, and no file of hers was
    collected: the import says so and exits 1, and she is `not collected` in grade and
    export (an empty cell that says why), never "no submission" with a 0, until a collect
    copies her file."""
    course = moodle_course(course_dir, tmp_path, "moodle-sheet-after")
    text = (course / "exercises/tiny/tiny.ipynb").read_text(encoding="utf-8")
    group1 = copied_download(tmp_path / "g1", {"Ann Archer_1500231": text})
    dlcourse("collect", "tiny", group1, cwd=course, check=False)
    proc = import_sheet(course, tmp_path, worksheet("Tuesday, 12 January 2021, 9:30 PM"),
                        check=False)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    said = " ".join(proc.stdout.split())
    assert ("5002: no file collected though Moodle says submitted: the grading worksheet "
            "imported for tiny gives 2021-01-12 20:30 UTC, and no file of theirs is collected: "
            "collect the download again") in said, said
    assert "5003:" not in said  # no submission by the worksheet's word: nothing expected
    proc = dlcourse("grade", "tiny", "--no-progress", cwd=course, check=False)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    line = next(x for x in proc.stdout.splitlines() if x.strip().startswith("5002:"))
    assert "not collected (no file collected though Moodle says submitted" in line, line
    out = tmp_path / "moodle_out.csv"
    proc = dlcourse("export", "tiny", "--format", "moodle", "-o", out, cwd=course, check=False)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    row = next(x for x in out.read_text(encoding="utf-8").splitlines() if "bea@" in x)
    assert "no submission" not in row and ",0," not in row, row
    # her file collected: she is graded, and no longer named
    both = copied_download(tmp_path / "g2", {"Ann Archer_1500231": text,
                                             "Bea Baker_1500232": text + " "})
    dlcourse("collect", "tiny", both, cwd=course, check=False)
    proc = dlcourse("grade", "tiny", "--no-progress", cwd=course, check=False)
    assert "not collected" not in proc.stdout, proc.stdout
    proc = import_sheet(course, tmp_path, check=False)  # the same worksheet again
    assert "no file of theirs" not in proc.stdout, proc.stdout


def test_an_info_zip_rezip_with_utf8_names_without_the_flag_is_read_as_utf8(course_dir,
                                                                           tmp_path):
    """Review 23g, G9: a Moodle download unpacked and zipped again with Info-ZIP's ``zip``
    (C locale) stores the UTF-8 bytes of "Jörg Müller" without the zip's UTF-8 flag; read as
    code page 437 they were ``J├╢rg M├╝ller``, unmatched. They are read as UTF-8 (as
    ``unzip`` shows them), so the name matches."""
    import os
    import subprocess
    import zipfile

    course = make_dlgrade_course(Path(course_dir) / "moodle-rezip", TINY_CONFIG.format(
        timeout=20, extra=""), {"tiny": tiny_notebook()})
    roster = tmp_path / "participants.csv"
    roster.write_text("First name,Surname,ID number,Email address\n"
                      "Jörg,Müller,5021,joerg@uni.example\n", encoding="utf-8")
    dlcourse("roster", "import", roster, cwd=course)
    dlcourse("release", "tiny", "--due", "2021-01-12 23:59", cwd=course)
    text = (course / "exercises/tiny/tiny.ipynb").read_text(encoding="utf-8")
    folder = tmp_path / "unpacked"
    nb = folder / "Jörg Müller_1500234_assignsubmission_file_" / "tiny.ipynb"
    nb.parent.mkdir(parents=True)
    nb.write_text(text, encoding="utf-8")
    os.utime(nb, (1610400000, 1610400000))  # 2021-01-11 21:20 UTC: before the due date
    archive = tmp_path / "rezipped.zip"
    subprocess.run(["zip", "-qr", str(archive), "."], cwd=folder, check=True,
                   env={**os.environ, "LANG": "C", "LC_ALL": "C"})
    with zipfile.ZipFile(archive) as zf:  # the case: UTF-8 bytes, no flag
        info = next(i for i in zf.infolist() if i.filename.endswith("tiny.ipynb"))
        assert not info.flag_bits & 0x800 and "├" in info.filename, info.filename
    proc = dlcourse("collect", "tiny", archive, cwd=course, check=False)
    assert "unmatched" not in proc.stderr and "├" not in proc.stderr, proc.stderr
    assert "Jörg Müller_1500234_assignsubmission_file_/tiny.ipynb: matched by name only" in \
        proc.stderr, proc.stderr
    assert (course / "submitted/5021/tiny/tiny.ipynb").read_text(encoding="utf-8") == text


def test_a_zip_entry_without_a_time_is_an_unknown_time_until_one_is_given(
        course_dir, tmp_path):
    """Review 23h, finding 2: 1980-01-01 00:00 is the zip format's "no time" (Python's
    ``zipfile`` writes it). Read as a Berlin wall time it was "submitted 1979-12-31 23:00 UTC",
    on time, exit 0: no penalty for a late student. It is an unknown time, handled as
    Canvas's ``LATE_`` without a time: named per file, collect exit 1, no ``timestamp.txt``,
    grade exit 2, export refuses; ``--timestamps`` settles it."""
    import csv

    course = moodle_course(course_dir, tmp_path, "moodle-no-time")
    text = (course / "exercises/tiny/tiny.ipynb").read_text(encoding="utf-8")
    archive = moodle_zip(tmp_path / "download_1980.zip",
                         ("Ann Archer_1500231", "Bea Baker_1500232"), text, (1980, 1, 1, 0, 0, 0))
    env = {"TZ": "UTC"}
    for dry in (True, False):
        proc = dlcourse("collect", "tiny", archive, *(["--dry-run"] if dry else []),
                        cwd=course, env=env, check=False)
        out = proc.stdout + proc.stderr
        assert proc.returncode == 1, out
        assert "1979" not in out and "1980" not in proc.stdout, out
        said = " ".join(proc.stderr.split())
        for student, name in (("5001", "Ann Archer_1500231"), ("5002", "Bea Baker_1500232")):
            assert (f"{student}: download_1980/{name}_assignsubmission_file_/tiny.ipynb: the "
                    "download holds no time for this file") in said, said
            assert f"  {student}         submitted time unknown (the download holds none)" \
                in proc.stdout, proc.stdout
        assert (course / "submitted/5001/tiny/tiny.ipynb").exists() is not dry
    assert not (course / "submitted/5001/tiny/timestamp.txt").exists()
    # grade: no penalty invented, each named, exit 2; grades.csv says the time is unknown
    proc = dlcourse("grade", "tiny", "--no-progress", cwd=course, env=env, check=False)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    named = {line.split(":")[0].strip() for line in proc.stdout.splitlines()
             if line.startswith("  ") and "the download holds no time for this file" in line}
    assert named == {"5001", "5002"}, proc.stdout
    rows = {r["student"]: r for r in csv.DictReader(
        (course / "grading/tiny/grades.csv").open(encoding="utf-8"))}
    assert rows["5001"]["submitted_at"] == "time unknown (the download holds none)", rows
    assert rows["5001"]["late_by"] == "" and float(rows["5001"]["penalty"] or 0) == 0, rows
    assert "submission time unknown (the download holds none)" in rows["5001"]["status"], rows
    # export refuses, nothing written
    dest = tmp_path / "export.csv"
    proc = dlcourse("export", "tiny", "--format", "csv", "-o", dest, cwd=course, check=False)
    assert proc.returncode == 2 and not dest.exists(), proc.stdout + proc.stderr
    said = " ".join(proc.stderr.split())
    assert "5001 (the download holds no time for the file)" in said and "--timestamps" in said, \
        said
    # the times Moodle shows, given: Ann 0.5 h late, Bea on time; settled everywhere
    given = tmp_path / "times.csv"
    given.write_text("student,submitted_at\n5001,2021-01-13 00:29\n5002,2021-01-12 20:00\n",
                     encoding="utf-8")
    proc = dlcourse("collect", "tiny", archive, "--timestamps", given, cwd=course, env=env,
                    check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert stamp(course, "5001") == "2021-01-12 23:29:00.000000 UTC"
    # the same download again, without the file: the times given stay (same bytes)
    proc = dlcourse("collect", "tiny", archive, cwd=course, env=env, check=False)
    assert proc.returncode == 0 and "no time" not in proc.stderr, proc.stdout + proc.stderr
    assert stamp(course, "5001") == "2021-01-12 23:29:00.000000 UTC"
    proc = dlcourse("grade", "tiny", "--no-progress", cwd=course, env=env, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    rows = {r["student"]: r for r in csv.DictReader(
        (course / "grading/tiny/grades.csv").open(encoding="utf-8"))}
    assert float(rows["5001"]["late_by"]) == 0.5 and float(rows["5002"]["late_by"] or 0) == 0, \
        rows
    proc = dlcourse("export", "tiny", "--format", "csv", "-o", dest, cwd=course, check=False)
    assert proc.returncode == 0 and dest.exists(), proc.stdout + proc.stderr


def test_a_worksheet_imported_after_grading_counts_at_once(course_dir, tmp_path):
    """Review 23j, finding 2: on a graded class, `roster import worksheet.csv --assignment`
    gives the collected students the worksheet's newer time as collect would (an
    instructor's --timestamps time stays), re-applies the late penalty and says so, one line
    per student; a worksheet time kept but not applied (a course of an older version) stops
    the export and is named by `grade --student`, and `extend` counts it first."""
    from tests.test_term import answered

    course = moodle_course(course_dir, tmp_path, "moodle-graded")
    release = json.loads((course / "exercises/tiny/tiny.ipynb").read_text(encoding="utf-8"))
    import nbformat

    text = answered(nbformat.from_dict(release), "")
    archive = moodle_zip(tmp_path / "moodle.zip", ["Ann Archer_1500231", "Bea Baker_1500232"],
                         text, (2021, 1, 12, 23, 0, 0))  # Berlin: on time
    given = tmp_path / "times.csv"
    given.write_text("student,submitted_at\n5001,2021-01-12 23:10\n", encoding="utf-8")
    proc = dlcourse("collect", "tiny", archive, "--timestamps", given, cwd=course)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    policy = ("--late-policy", "10%/h:50%")
    proc = dlcourse("grade", "tiny", "--no-progress", *policy, cwd=course)
    assert proc.returncode == 0, proc.stdout + proc.stderr

    def export(code: int) -> str:
        out = course / "export.csv"
        out.unlink(missing_ok=True)
        proc = dlcourse("export", "tiny", "--format", "csv", "-o", out, cwd=course)
        assert proc.returncode == code and out.exists() == (code == 0), proc.stderr
        return " ".join(proc.stderr.split())

    def score(student: str) -> tuple[str, str]:
        import csv

        with open(course / "grading/tiny/grades.csv", newline="") as f:
            row = next(r for r in csv.DictReader(f) if r["student"] == student)
        return row["score"], row["penalty"]

    # a course of an older version: the worksheet's time kept, never applied
    sheet_file = course / "grading/tiny/moodle_submitted.json"
    sheet_file.write_text(json.dumps({"5001": "2021-01-12 09:00:00.000000 UTC",
                                      "5002": "2021-01-13 00:30:00.000000 UTC"}))
    words = ("late penalty of another submission time than the Moodle grading worksheet "
             "imported since gives")
    said = export(2)
    assert f"1 student of tiny has a grade in the gradebook that is not the current one: " \
        f"5002 ({words}); run `dlcourse grade tiny` first" in said, said
    proc = dlcourse("grade", "tiny", "--no-progress", "--student", "5001", *policy, cwd=course)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert f"  5002: {words}, until `dlcourse grade tiny` grades them " \
        "again" in proc.stdout, proc.stdout
    assert stamp(course, "5001") == "2021-01-12 22:10:00.000000 UTC"  # the instructor's

    # the worksheet imported (again): Bea's time counts at once, Ann's --timestamps stays
    proc = import_sheet(course, tmp_path, worksheet("Wednesday, 13 January 2021, 1:30 AM"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert ("  5002: submission time 2021-01-12 22:00:00.000000 UTC (its zip entry) -> "
            "2021-01-13 00:30:00.000000 UTC (the grading worksheet's 'Last modified "
            "(submission)'); late penalty re-applied: tiny 5 -> 4 points\n") in proc.stdout, \
        proc.stdout
    assert "5001:" not in proc.stdout, proc.stdout
    assert stamp(course, "5001") == "2021-01-12 22:10:00.000000 UTC"
    assert score("5002") == ("4", "1")  # 1.5 h late: 2 started hours, 20 % of 5
    export(0)
    proc = dlcourse("grade", "tiny", "--no-progress", *policy, cwd=course)
    assert proc.returncode == 0 and "0 graded" in proc.stdout, proc.stdout

    # a later worksheet kept but not applied: `extend` counts it first and says so
    sheet_file.write_text(json.dumps({"5001": "2021-01-12 09:00:00.000000 UTC",
                                      "5002": "2021-01-13 02:00:00.000000 UTC"}))
    export(2)
    proc = dlcourse("extend", "tiny", "5002", "--hours", "1", cwd=course)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert ("  5002: submission time 2021-01-13 00:30:00.000000 UTC (the grading worksheet's "
            "'Last modified (submission)') -> 2021-01-13 02:00:00.000000 UTC (the grading "
            "worksheet's 'Last modified (submission)'); late penalty re-applied: tiny 4 -> "
            "3.5 points") in proc.stdout, proc.stdout  # 2 h late after 1 h: 3 started hours
    assert score("5002") == ("3.5", "1.5")
    export(0)

    # the older worksheet imported again: its earlier time lifts part of the penalty, and
    # is said with both times, exit 1 (review 23k, finding 5)
    proc = import_sheet(course, tmp_path, check=False)  # the same worksheet again
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert ("warning: the grading worksheet imported now gives 2021-01-13 00:30 UTC, earlier "
            "than the 2021-01-13 02:00 UTC the one imported before gave; Moodle's time of an "
            "upload never goes back") in " ".join(proc.stdout.split()), proc.stdout

    # a class graded in shards (review 23k's open item): each shard gives its own students
    # a worksheet time kept but not applied, as a plain run does, before it tells the
    # unchanged ones apart; 5002 (the 2nd of the sorted two) is shard 2/2's
    sheet_file.write_text(json.dumps({"5001": "2021-01-12 09:00:00.000000 UTC",
                                      "5002": "2021-01-13 03:00:00.000000 UTC"}))
    proc = dlcourse("grade", "tiny", "--no-progress", "--shard", "1/2", cwd=course)
    assert proc.returncode == 2 and "5002: submission time" not in proc.stdout, proc.stdout
    assert f"  5002: {words}, until `dlcourse grade tiny` grades them again" in proc.stdout
    proc = dlcourse("grade", "tiny", "--no-progress", "--shard", "2/2", cwd=course)
    assert ("  5002: submission time 2021-01-13 00:30:00.000000 UTC (the grading worksheet's "
            "'Last modified (submission)') -> 2021-01-13 03:00:00.000000 UTC (the grading "
            "worksheet's 'Last modified (submission)'); late penalty re-applied: tiny 4.5 -> "
            "3 points") in proc.stdout, proc.stdout  # 3 h late after 1 h: 4 started hours
    assert "tiny: 0 graded" in proc.stdout and words not in proc.stdout, proc.stdout
    assert score("5002") == ("3", "2") and stamp(course, "5002") == \
        "2021-01-13 03:00:00.000000 UTC"
    export(0)

@pytest.mark.parametrize("worksheet_first", [False, True], ids=["collect-first", "sheet-first"])
def test_a_reverted_notebook_keeps_its_own_time_over_the_worksheets(course_dir, tmp_path,
                                                                     worksheet_first):
    """Review 23m, finding 1: Bea hands in on time (the worksheet says 21:30 Berlin), then
    again 3 h late. Whatever the order of the new worksheet's import and the new download's
    collect, `collect --revert` brings the first notebook back with its own time, and no
    grade, worksheet import or collect of the old download gives it the newer upload's."""
    import nbformat

    from tests.test_term import answered

    course = moodle_course(course_dir, tmp_path, f"moodle-revert-{worksheet_first}")
    release = nbformat.read(course / "exercises/tiny/tiny.ipynb", as_version=4)
    first = answered(release, "first")
    sheet = tmp_path / "worksheet.csv"
    sheet.write_text(worksheet("Tuesday, 12 January 2021, 9:30 PM"), encoding="utf-8")
    dlcourse("roster", "import", sheet, "--assignment", "tiny", cwd=course)
    old = moodle_zip(tmp_path / "old.zip", ["Bea Baker_1500232"], first, (2021, 1, 12, 21, 30, 0))
    dlcourse("collect", "tiny", old, cwd=course, check=False)
    own = "2021-01-12 20:30:00.000000 UTC"
    assert stamp(course, "5002") == own

    new = moodle_zip(tmp_path / "new.zip", ["Bea Baker_1500232"], first + "\n\n",
                     (2021, 1, 13, 3, 0, 0))
    newer = tmp_path / "worksheet-new.csv"
    newer.write_text(worksheet("Wednesday, 13 January 2021, 3:00 AM"), encoding="utf-8")
    steps = [("roster", "import", newer, "--assignment", "tiny"), ("collect", "tiny", new)]
    for step in (steps if worksheet_first else steps[::-1]):
        dlcourse(*step, cwd=course, check=False)
    late = "2021-01-13 02:00:00.000000 UTC"
    assert stamp(course, "5002") == late

    proc = dlcourse("collect", "tiny", "--revert", "5002", cwd=course)
    said = " ".join((proc.stdout + proc.stderr).split())
    assert proc.returncode == 0 and "5002: back to the notebook collected" in said and \
        f"(submitted {own})" in said, said
    assert (f"5002: the grading worksheet's time, {late}, is that of the upload taken back; "
            f"this notebook keeps its own, {own}") in said, said
    assert stamp(course, "5002") == own
    assert (course / "submitted/5002/tiny/tiny.ipynb").read_text(encoding="utf-8") == first

    # the newer worksheet imported again, the old download collected again: still its own
    proc = dlcourse("roster", "import", newer, "--assignment", "tiny", cwd=course, check=False)
    assert "5002: submission time" not in proc.stdout and "same file" not in proc.stdout, \
        proc.stdout
    proc = dlcourse("collect", "tiny", old, cwd=course, check=False)
    assert "1 unchanged" in proc.stdout and "5002" not in proc.stderr, \
        proc.stdout + proc.stderr
    assert stamp(course, "5002") == own
    proc = dlcourse("grade", "tiny", "--no-progress", "--late-policy", "10%/h:50%",
                    cwd=course, check=False)
    assert "5002: submission time" not in proc.stdout and "same file" not in proc.stdout, \
        proc.stdout
    assert stamp(course, "5002") == own
    import csv

    with open(course / "grading/tiny/grades.csv", newline="") as f:
        row = next(r for r in csv.DictReader(f) if r["student"] == "5002")
    assert (row["submitted_at"], row["penalty"], row["score"]) == (
        "2021-01-12T20:30:00Z", "0", "5"), row

    # a revert of the revert: the late upload with the worksheet's time again
    dlcourse("collect", "tiny", "--revert", "5002", cwd=course)
    assert stamp(course, "5002") == late


def test_a_revert_with_three_notebooks_kept_loses_none(course_dir, tmp_path):
    """Review 23m, finding 3: with the original and three resubmissions collected, 3
    notebooks are kept; a revert puts the newest kept one back and keeps the one it replaces,
    and all 3 stay kept, the original (the oldest) among them."""
    course = moodle_course(course_dir, tmp_path, "moodle-keep")
    text = (course / "exercises/tiny/tiny.ipynb").read_text(encoding="utf-8")
    uploads = [text + "\n" * i for i in range(4)]  # the original, then three resubmissions
    for i, upload in enumerate(uploads):
        download = copied_download(tmp_path / f"dl{i}", {"Ann Archer_1500231": upload})
        dlcourse("collect", "tiny", download, cwd=course, check=False)
    kept = course / "grading/tiny/replaced/5001"

    def notebooks() -> list[str]:
        return [(kept / n / "files/tiny.ipynb").read_text(encoding="utf-8")
                for n in sorted(os.listdir(kept), key=int)]

    assert notebooks() == uploads[:3]
    proc = dlcourse("collect", "tiny", "--revert", "5001", cwd=course, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (course / "submitted/5001/tiny/tiny.ipynb").read_text(encoding="utf-8") == uploads[2]
    assert notebooks() == [uploads[0], uploads[1], uploads[3]]
    proc = dlcourse("collect", "tiny", "--revert", "5001", cwd=course, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert notebooks() == [uploads[0], uploads[1], uploads[2]]
