"""dlgrade.lms.moodle without nbgrader runs: Moodle's roster columns, its download folders, and
its grade import CSV (written from a real SQLite gradebook). The whole flow through the
command line is in tests/test_lms_roundtrip.py and tests/test_term.py."""

from __future__ import annotations

import csv

import pytest

from dlgrade.lms import moodle
from dlgrade.lms.base import column_key
from dlgrade.roster import RosterStudent

MOODLE = moodle.LMS


def keys(*header):
    return [column_key(h) for h in header]


def test_the_roster_header_surname_or_last_name_and_an_id_column():
    assert MOODLE.fits_roster(keys("First name", "Surname", "ID number", "Email address"))
    assert MOODLE.fits_roster(keys("First name", "Last name", "Email address"))
    assert not MOODLE.fits_roster(keys("id", "first_name", "last_name"))
    header = ["First name", "Surname", "Institution"]
    assert "has no 'ID number' or 'Email address'" in MOODLE.roster_near_miss(
        header, keys(*header))


def test_a_roster_row_takes_the_id_number_else_the_email():
    row = MOODLE.roster_row({"firstname": " Zoë ", "surname": "D'Angelo-Smith",
                             "idnumber": "5021", "emailaddress": "zoe@uni.example"})
    assert (row["id"], row["first_name"], row["last_name"], row["email"]) == (
        "5021", "Zoë", "D'Angelo-Smith", "zoe@uni.example")
    row = MOODLE.roster_row({"firstname": "Ann", "lastname": "Archer", "idnumber": "",
                             "emailaddress": "ann.archer@uni.example"})
    assert row["id"] == "ann.archer@uni.example"  # the whole address: local parts repeat
    assert "participant_id" not in row


def test_a_grading_worksheet_row_and_its_identifier():
    assert MOODLE.fits_roster(keys("Identifier", "Full name", "Email address", "Status"))
    row = MOODLE.roster_row({"identifier": "Participant 1500231", "fullname": "Åsa Øberg",
                             "emailaddress": "asa@uni.example"})
    assert (row["id"], row["first_name"], row["last_name"], row["participant_id"]) == (
        "asa@uni.example", "Åsa", "Øberg", "1500231")
    assert MOODLE.roster_row({"identifier": "", "fullname": "A B",
                              "emailaddress": "a@x.example"})["participant_id"] == "?"


@pytest.mark.parametrize("parts, name, uid, file", [
    (("Åsa Øberg_5021_assignsubmission_file_", "02_neuron.ipynb"), "Åsa Øberg", "5021",
     "02_neuron.ipynb"),
    (("dl", "JÖRG MÜLLER_77_assignsubmission_file_", "sub", "x.ipynb"), "JÖRG MÜLLER", "77",
     "sub/x.ipynb"),
    (("Zoë D'Angelo-Smith_12_assignsubmission_file_hw.ipynb",), "Zoë D'Angelo-Smith", "12",
     "hw.ipynb"),  # folders switched off: the prefix is on the file
])
def test_download_folders_and_prefixes(parts, name, uid, file):
    parsed = MOODLE.parse_path(parts)
    assert (parsed.system, parsed.name, parsed.uid, parsed.file) == ("moodle", name, uid, file)


def test_names_that_are_no_moodle_download():
    assert MOODLE.parse_path(("archerann_101_5_hw.ipynb",)) is None
    assert MOODLE.parse_path(("ann", "hw.ipynb")) is None


def test_a_student_is_found_by_the_full_name_or_the_sortable_one():
    zoe = RosterStudent("z", "Zoë", "D'Angelo-Smith")
    assert MOODLE.names(zoe) == {"zoedangelosmith", "dangelosmithzoe"}
    assert MOODLE.name_fallback_allowed(zoe)


def test_the_id_number_moodle_knows():
    assert moodle.id_number(RosterStudent("5021", "J", "M", "j@uni.example")) == "5021"
    assert moodle.id_number(RosterStudent("j@uni.example", "J", "M", "j@uni.example")) == ""
    assert moodle.id_number(RosterStudent("jm", "J", "M", "")) == "jm"


class Course:
    def __init__(self, root):
        self.root = root

    def output_dir(self, assignment):
        return self.root / "grading" / assignment


def test_participant_ids_are_kept_per_assignment(tmp_path):
    course = Course(tmp_path)
    assert moodle.read_participants(course, "hw") == {}
    moodle.write_participants(course, "hw", {"11": "asa", "12": "joerg"})
    moodle.write_participants(course, "hw", {"15": "asa"})  # asa's id replaced
    moodle.write_participants(course, "other", {"90": "asa"})
    assert moodle.read_participants(course, "hw") == {"12": "joerg", "15": "asa"}
    assert moodle.read_participants(course, "other") == {"90": "asa"}


def test_files_are_matched_by_participant_id_of_the_assignment_then_by_name():
    from dlgrade.lms import identify

    roster = [RosterStudent("5021", "Jörg", "Müller", "j@uni.example"),
              RosterStudent("5030", "Åsa", "Øberg", "asa@uni.example")]
    asa = MOODLE.parse_path(("Åsa Øberg_1500231_assignsubmission_file_", "hw.ipynb"))
    assert identify(asa, roster, {"1500231": "5030"}) == ("5030", "")
    # the number is not a student id, and without the worksheet the name decides, said aloud
    student, note = identify(asa, roster, {})
    assert student == "5030" and "matched by name only" in note and "--assignment" in note
    # Åsa's participant id in this assignment is another one: this file is not hers
    student, note = identify(asa, roster, {"1500299": "5030"}, "hw")
    assert student is None and note.startswith(
        "'Åsa Øberg' is 5030, whose Moodle participant id for hw is 1500299 (from the grading "
        "worksheet), not 1500231: a classmate who took this name in Moodle, or another person "
        "of the same name? not copied; Moodle participant id 1500231 is not in the grading "
        "worksheet imported for hw: enrolled since it was downloaded? download it again, "
        "`dlcourse roster import worksheet.csv --assignment hw`, and collect again"), note
    # review 23f, N11: with the worksheet imported, the hint is not to import it (again)
    assert "'Download grading worksheet'" not in note, note
    # review 21b, hole 7: the id her file was first collected with is hers
    student, note = identify(asa, roster, {}, "hw", learned={"1500299": "5030"})
    assert student is None and "for hw is 1500299 (their file was first collected with it), " \
        "not 1500231: a classmate who took this name in Moodle" in note, note
    assert identify(asa, roster, {}, "hw", learned={"1500231": "5030"}) == ("5030", "")
    # the worksheet's word beats a first-collected id
    assert identify(asa, roster, {"1500231": "5030"}, "hw",
                    learned={"1500299": "5030"}) == ("5030", "")
    # R8: nobody has the id or the name: the reason says how to give the ids
    student, note = identify(asa, roster[:1], {}, "hw")
    assert note == ("no roster student has Moodle participant id 1500231 or the name 'Åsa "
                    "Øberg'; to match by participant id: in Moodle, the assignment's 'View all "
                    "submissions' > 'Download grading worksheet', then `dlcourse roster import "
                    "worksheet.csv --assignment hw`")
    # a participant id that names someone no longer on the roster matches nobody
    assert identify(asa, roster[:1], {"1500231": "5030"})[0] is None


@pytest.mark.slow  # a real gradebook: nbgrader and alembic start (a few seconds)
def test_the_export_plugin_writes_moodles_grade_import(tmp_path):
    from nbgrader.api import Gradebook

    from dlgrade.course import ensure_tools_on_path

    ensure_tools_on_path()  # nbgrader runs the `alembic` command when it creates a gradebook
    plugin_class = moodle.MoodleExportPlugin
    assert plugin_class is MOODLE.export_plugin()
    with Gradebook(f"sqlite:///{tmp_path / 'gradebook.db'}", "c") as gb:
        gb.add_assignment("hw")
        gb.add_assignment("hw2")
        gb.add_student("5021", first_name="Jörg", last_name="Müller", email="j@uni.example")
        gb.add_student("a@x.example", first_name="A", last_name="B", email="a@x.example")
        dest = tmp_path / "moodle.csv"
        plugin_class(to=str(dest), assignment=["hw"], notes={"5021": "see me"}).export(gb)
        with pytest.raises(ValueError, match="one grade item at a time"):
            plugin_class(to=str(dest), assignment=[]).export(gb)
    assert list(csv.reader(dest.open(newline=""))) == [
        ["Email address", "ID number", "hw", "Feedback"],
        ["j@uni.example", "5021", "0", "see me"],
        ["a@x.example", "", "0", "no submission"]]  # no ID number: Moodle maps the email


@pytest.mark.parametrize(("cell", "zone", "utc"), [
    ("Tuesday, 1 December 2026, 10:00 AM", "Europe/Berlin", (2026, 12, 1, 9, 0)),
    ("Tuesday, 01 December 2026, 12:00 PM", "UTC", (2026, 12, 1, 12, 0)),
    ("Tuesday, 1 December 2026, 12:30 AM", "UTC", (2026, 12, 1, 0, 30)),   # just past midnight
    ("Tuesday, December 1, 2026, 11:59 PM", "UTC", (2026, 12, 1, 23, 59)),  # US English
    ("Wednesday, 1 July 2026, 10:00 AM", "Europe/Berlin", (2026, 7, 1, 8, 0)),  # summer time
    ("1 Dec 2026, 23:30", "UTC", (2026, 12, 1, 23, 30)),                    # a 24-hour clock
    ("  Tuesday,  1 December 2026,\n10:00 am ", "UTC", (2026, 12, 1, 10, 0)),
    ("2026-12-01 10:00", "Europe/Berlin", (2026, 12, 1, 9, 0)),
    ("2026-12-01T10:00:00+00:00", "Europe/Berlin", (2026, 12, 1, 10, 0)),   # its own zone
])
def test_a_worksheets_last_modified_cell_is_read_in_the_users_zone(cell, zone, utc):
    import datetime as dt

    assert moodle.parse_worksheet_time(cell, zone) == dt.datetime(*utc)


@pytest.mark.parametrize("cell", ["-", "", "  ", "\u2013"])
def test_a_worksheet_cell_without_a_submission_has_no_time(cell):
    assert moodle.parse_worksheet_time(cell, "UTC") is None


@pytest.mark.parametrize("cell", [
    "Dienstag, 1. Dezember 2026, 10:00",      # another language's month: not guessed
    "12/01/2026 10:00",                       # day or month first? not guessed
    "Tuesday, 31 February 2026, 10:00 AM",    # no such day
    "Tuesday, 1 December 2026",               # no time
    "2026-12-01",                             # no time
    "Tuesday, 1 December 2026, 13:00 PM",     # no such hour on a 12-hour clock
    "Tuesday, 1 December 2026, 10:00 AM, 11:00 AM",
    "Submitted for grading",
])
def test_a_worksheet_cell_that_is_no_time_is_refused_with_the_form_expected(cell):
    with pytest.raises(ValueError, match=r"got .*, expected Moodle's date and time such as "
                                         r"'Tuesday, 1 December 2026, 10:00 AM'"):
        moodle.parse_worksheet_time(cell, "UTC")


def test_the_worksheets_time_column_is_kept_with_the_row():
    row = MOODLE.roster_row({"identifier": "Participant 1500231", "fullname": "Ann Archer",
                             "emailaddress": "ann@uni.example",
                             "lastmodifiedsubmission": " Tuesday, 1 December 2026, 10:00 AM "})
    assert row["submitted"] == "Tuesday, 1 December 2026, 10:00 AM"
    assert row["participant_id"] == "1500231"
    assert "submitted" not in MOODLE.roster_row({"firstname": "A", "lastname": "B",
                                                 "emailaddress": "a@uni.example"})


@pytest.mark.parametrize("language, column", [
    ("German", "Zuletzt geändert (Abgabe)"), ("French", "Dernière modification (travail remis)"),
    ("Spanish", "Última modificación (entrega)"), ("Italian", "Ultima modifica (consegna)"),
    ("Portuguese", "Última modificação (envio)")])
def test_a_worksheet_in_another_language_is_named_as_such(language, column):
    """Review 23f, N8: Moodle writes the worksheet's header in the downloader's language; the
    refusal names the worksheet and the language, not 'not a known roster layout'."""
    from dlgrade.roster import detect_lms

    header = ["ID", "Full name (translated)", "Status", column, "Feedback"]
    with pytest.raises(ValueError, match=f"a Moodle grading worksheet in {language} \\(its "
                                         "column") as err:
        detect_lms(header)
    assert "set your language to English" in str(err.value)
    assert "not a known roster layout" not in str(err.value)
