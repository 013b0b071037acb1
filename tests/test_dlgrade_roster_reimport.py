"""Importing a roster again on a real gradebook: the same address is the same student (review
23b, R1). A changed or newly filled-in Moodle ID number, or an address in other letter case,
never makes a twin that the LMS export would give ``0, no submission``."""

from __future__ import annotations

import csv
import warnings

import nbformat
import pytest
from sqlalchemy.exc import SAWarning

from dlgrade.course import CONFIG_NAME, Course
from dlgrade.export import export
from dlgrade.roster import import_roster

pytestmark = pytest.mark.slow  # a real SQLite gradebook

PARTICIPANTS = "First name;Last name;ID number;Email address\n"


@pytest.fixture
def course(tmp_path, empty_gradebook):
    root = tmp_path / "course"
    root.mkdir()
    (root / CONFIG_NAME).write_text("c = get_config()\n")
    course = Course(root)
    (course.source_dir / "a1").mkdir(parents=True)  # a worksheet names a known assignment
    nbformat.write(nbformat.v4.new_notebook(), course.source_dir / "a1" / "nb.ipynb")
    empty_gradebook(root)
    with course.gradebook() as gb:
        gb.add_assignment("a1")
        gb.add_notebook("nb", "a1")
        gb.add_grade_cell("test_f", "nb", "a1", max_score=4, cell_type="code")
    first = tmp_path / "participants.csv"
    first.write_text(PARTICIPANTS + "Seán;O'Brien;4711;sean@uni.example\n"
                     "Zoë;Berg;;zoe@uni.example\nAnna;Schmidt;;Anna.Schmidt@uni.example\n",
                     encoding="utf-8")
    assert len(import_roster(course, first)["added"]) == 3
    with course.gradebook() as gb, warnings.catch_warnings():
        warnings.simplefilter("ignore", SAWarning)  # nbgrader's add_submission autoflushes
        for sid in ("4711", "zoe@uni.example", "Anna.Schmidt@uni.example"):
            gb.add_submission("a1", sid)
            grade = gb.find_grade("test_f", "nb", "a1", sid)
            grade.auto_score, grade.needs_manual_grade = 4.0, False
        gb.db.commit()
    return course


def _ids(course):
    with course.gradebook() as gb:
        return sorted(s.id for s in gb.students)


def _moodle(course, tmp_path):
    dest = tmp_path / "moodle.csv"
    export(course, "a1", "moodle", dest)
    with open(dest, newline="", encoding="utf-8") as f:
        return list(csv.reader(f))[1:]


def test_a_changed_or_new_id_number_updates_the_student_and_the_export(course, tmp_path):
    again = tmp_path / "participants2.csv"
    again.write_text(PARTICIPANTS + "Seán;O'Brien;4712;sean@uni.example\n"
                     "Zoë;Berg;7777;zoe@uni.example\n", encoding="utf-8")
    res = import_roster(course, again)
    assert res["added"] == [] and sorted(res["changed"]) == ["4711", "zoe@uni.example"]
    assert any("4711: ID number 4711 -> 4712" in n for n in res["notes"])
    assert any("zoe@uni.example: ID number (none) -> 7777" in n for n in res["notes"])
    assert _ids(course) == ["4711", "Anna.Schmidt@uni.example", "zoe@uni.example"]
    # one row per person, with the ID number Moodle has now and the grade kept
    assert sorted(_moodle(course, tmp_path)) == [
        ["Anna.Schmidt@uni.example", "", "4", ""],
        ["sean@uni.example", "4712", "4", ""],
        ["zoe@uni.example", "7777", "4", ""],
    ]
    # the office corrects the number back: the recorded one is dropped, nothing is added
    back = tmp_path / "participants3.csv"
    back.write_text(PARTICIPANTS + "Seán;O'Brien;4711;sean@uni.example\n", encoding="utf-8")
    res = import_roster(course, back)
    assert res["added"] == [] and res["changed"] == ["4711"]
    assert ["sean@uni.example", "4711", "4", ""] in _moodle(course, tmp_path)
    # the command line names each change
    from tests.submissions.crafted import dlcourse

    proc = dlcourse("roster", "import", again, cwd=course.root)
    assert proc.returncode == 0 and "roster: 0 added, 1 changed, 1 unchanged" in proc.stdout
    assert ("  changed: 4711: ID number 4711 -> 4712 (line 2; the same address, so the same "
            "student: kept as '4711' with their grades, and the Moodle export writes the new "
            "ID number)") in proc.stdout, proc.stdout


def test_an_address_in_other_letter_case_is_the_same_student(course, tmp_path):
    sheet = tmp_path / "worksheet.csv"
    sheet.write_text("Identifier,Full name,Email address,Status\n"
                     "Participant 1500001,Anna Schmidt,anna.schmidt@uni.example,Submitted\n",
                     encoding="utf-8")
    res = import_roster(course, sheet, assignment="a1")
    assert res["added"] == [] and res["changed"] == ["Anna.Schmidt@uni.example"]
    assert "email Anna.Schmidt@uni.example -> anna.schmidt@uni.example" in res["notes"][0]
    assert _ids(course) == ["4711", "Anna.Schmidt@uni.example", "zoe@uni.example"]
    # the export still has no ID number for her (her id is an address) and her grade
    assert ["anna.schmidt@uni.example", "", "4", ""] in _moodle(course, tmp_path)


def test_a_new_id_for_a_known_address_is_refused_where_no_id_number_can_be_kept(
        course, tmp_path):
    plain = tmp_path / "plain.csv"
    plain.write_text("id,first_name,last_name,email\nnew1,Nora,Neu,nora@uni.example\n"
                     "sob,Seán,O'Brien,SEAN@uni.example\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"plain.csv line 3: the id 'sob' is new, but its "
                                         r"email 'SEAN@uni.example' is '4711''s .* write "
                                         r"'4711' in the id column .*Nothing was imported"):
        import_roster(course, plain)
    assert _ids(course) == ["4711", "Anna.Schmidt@uni.example", "zoe@uni.example"]
    # two rows that are one gradebook student (by id, and by the address on record): refused
    # with both lines
    twice = tmp_path / "twice.csv"
    twice.write_text(PARTICIPANTS + "Seán;O'Brien;4711;sean.new@uni.example\n"
                     "Sean;OBrien;4712;Sean@uni.example\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"twice.csv: rows on lines 2, 3 are all gradebook "
                                         r"student\(s\) 4711"):
        import_roster(course, twice)
    assert _ids(course) == ["4711", "Anna.Schmidt@uni.example", "zoe@uni.example"]


def test_a_canvas_export_without_logins_updates_the_class_it_made(tmp_path, empty_gradebook):
    """Review 23b, R7: a class imported with Canvas's SIS Login ID column, then a later export
    without it (Canvas has no switch for the column): every known Canvas id was refused as
    "already belongs to", so a new student could not be added. Now the Canvas id finds the
    student on record; a new Canvas id is a new student; nothing is doubled."""
    root = tmp_path / "course"
    root.mkdir()
    (root / CONFIG_NAME).write_text("c = get_config()\n")
    course = Course(root)
    empty_gradebook(root)
    with_logins = tmp_path / "canvas1.csv"
    with_logins.write_text("Student,ID,SIS User ID,SIS Login ID,Section\n"
                           '"García-López, María",12351,9001,mgarcia,A\n'
                           '"Nguyen, An",12352,,anguyen,A\n', encoding="utf-8")
    assert sorted(import_roster(course, with_logins)["added"]) == ["anguyen", "mgarcia"]
    without = tmp_path / "canvas2.csv"
    without.write_text("Student,ID,SIS User ID,Section\n"
                       '"García-López, María",12351,9001,B\n'
                       '"Nguyen, An",12352,,A\n'
                       '"Okafor, Chidi",12360,9010,A\n', encoding="utf-8")
    result = import_roster(course, without)
    assert result["added"] == ["9010"]
    assert _ids(course) == ["9010", "anguyen", "mgarcia"]
    # matched by Canvas id is the same student: only a real change counts (review 23d, P7:
    # an unchanged class exported without logins came back as "8 changed")
    assert result["by_canvas_id"] == ["anguyen", "mgarcia"], result
    assert (result["changed"], result["unchanged"]) == (["mgarcia"], ["anguyen"]), result
    # and the change is named: who and what (review 23e, P7: "1 changed" alone)
    assert result["notes"] == ["mgarcia: section A -> B (line 2)"], result
    with course.gradebook() as gb:
        assert gb.find_student("mgarcia").lms_user_id == "12351"


def test_a_name_saved_in_another_unicode_form_is_no_change(tmp_path, empty_gradebook):
    """Review 23d, P7: the same roster saved on a Mac (NFD: 'u' + a combining diaeresis) after
    the Windows file (NFC) came back as "1 changed", without saying who or what, and put the
    NFD spelling into the gradebook and the exports. One spelling is kept: NFC."""
    import unicodedata

    root = tmp_path / "course"
    root.mkdir()
    (root / CONFIG_NAME).write_text("c = get_config()\n")
    course = Course(root)
    empty_gradebook(root)
    rows = "Student,ID,SIS User ID,SIS Login ID,Section\n\"Müller, Jörg\",12350,9350,jmueller,A\n"
    windows, mac = tmp_path / "windows.csv", tmp_path / "mac.csv"
    windows.write_text(unicodedata.normalize("NFC", rows), encoding="utf-8")
    mac.write_text(unicodedata.normalize("NFD", rows), encoding="utf-8")
    assert import_roster(course, windows)["added"] == ["jmueller"]
    result = import_roster(course, mac)
    assert (result["changed"], result["unchanged"]) == ([], ["jmueller"]), result
    with course.gradebook() as gb:
        student = gb.find_student("jmueller")
        assert (student.first_name, student.last_name) == ("Jörg", "Müller")
        assert unicodedata.is_normalized("NFC", student.last_name)


def test_the_command_names_who_changed_and_what(course_dir, tmp_path):
    """Review 23e, P7: a Canvas export without the login column in which one student moved to
    another section said "1 changed" and no more. Now the command names him and the field,
    old -> new; the unchanged students are not listed."""
    from pathlib import Path

    from dlgrade.course import make_course
    from tests.submissions.crafted import TINY_CONFIG, dlcourse, tiny_notebook

    course = make_course(Path(course_dir) / "sections", TINY_CONFIG.format(timeout=20,
                                                                           extra=""),
                         {"tiny": tiny_notebook()})
    first, later = tmp_path / "canvas1.csv", tmp_path / "canvas2.csv"
    first.write_text("Student,ID,SIS User ID,SIS Login ID,Section\n"
                     '"García-López, María",12351,9351,mgarcia,Lab A\n'
                     '"O\'Brien, Seán",12346,9346,sobrien,Lab B\n'
                     '"Nguyen, An",12348,9348,anguyen,Lab B\n', encoding="utf-8")
    later.write_text("Student,ID,SIS User ID,Section\n"
                     '"García-López, María",12351,9351,Lab A\n'
                     '"O\'Brien, Seán",12346,9346,Lab C\n'
                     '"Nguyen, An",12348,9348,Lab B\n', encoding="utf-8")
    assert "3 added" in dlcourse("roster", "import", first, cwd=course).stdout
    proc = dlcourse("roster", "import", later, cwd=course)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == "roster: 0 added, 1 changed, 2 unchanged (3 students in " \
        f"{later})", lines
    assert "  changed: sobrien: section Lab B -> Lab C (line 3)" in lines, lines
    assert not any(line.startswith("  changed: ") and "sobrien" not in line
                   for line in lines), lines
