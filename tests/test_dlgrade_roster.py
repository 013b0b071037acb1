"""dlgrade.roster without nbgrader: roster layouts (plain, Canvas, Moodle), delimiters and
encodings, and the errors that name the line."""

from __future__ import annotations

import pytest

from dlgrade.roster import RosterStudent, detect_format, parse_roster


def test_plain_canvas_and_moodle_rosters():
    plain = parse_roster("id,first_name,last_name,email\nann,Ann,Archer,ann@x.example\n")
    assert plain == [RosterStudent("ann", "Ann", "Archer", "ann@x.example", "")]
    canvas = parse_roster('Student,ID,SIS User ID,SIS Login ID,Section,HW (1)\n'
                          '    Points Possible,,,,,10\n"Archer, Ann",101,9001,ann,A,\n'
                          '"Student, Test",999,,,A,\n')
    assert canvas == [RosterStudent("ann", "Ann", "Archer", "", "101", "9001", "A")]
    moodle = parse_roster("\ufeffFirst name,Surname,ID number,Institution,Email address\n"
                          "Ann,Archer,s1,Uni,ann@x.example\nBob,Baker,,Uni,bob@x.example\n")
    assert [(s.id, s.last_name, s.email) for s in moodle] == [
        ("s1", "Archer", "ann@x.example"), ("bob@x.example", "Baker", "bob@x.example")]


@pytest.mark.parametrize("text, message", [
    ("id,first_name,last_name,email\nann,A,B,a@x.example\n,C,D,c@x.example\n", "line 3: no "),
    ("id,first_name,last_name,email\nann,A,B,a@x.example\nann,C,D,c@x.example\n",
     "line 3: student id 'ann' already on line 2"),
    ("id,first_name,last_name,email\nann,A,B,not-an-email\n", "line 2: email"),
    ('Student,ID,SIS User ID,SIS Login ID,Section\n"Nguyen, An",1,9,anguyen,A\n'
     '"Nguyen, An",2,8,ANGUYEN,A\n', "line 3: student id 'ANGUYEN' already on line 2 as "
     "'anguyen': ids that differ only in letter case are one login"),
    ("First name,Last name,ID number,Email address\nAnna,S,,Anna.S@x.example\n"
     "Anna,S,,anna.s@x.example\n", "line 3: student id 'anna.s@x.example' already on line 2 "
     "as 'Anna.S@x.example' \\(the same email address twice, letter case aside\\?\\)"),
    ("First name,Last name,ID number,Email address\nAnna,S,a1,Anna.S@x.example\n"
     "Anna,S,a2,anna.s@x.example\n", "line 3: email 'anna.s@x.example' already on line 2 "
     "\\(letter case aside\\)"),
    ("id,first_name,last_name,email\nan n,A,B,a@x.example\n", "line 2: student id"),
    ("name,mail\nann,a@x.example\n", "not a known roster layout"),
    ("", "is empty"),
    ("id,first_name,last_name,email\nann,<img src=x onerror=alert(1)>,B,\n",
     "line 2: first name '<img src=x onerror=alert\\(1\\)>' holds '<' or '>'"),
    ('Student,ID,SIS User ID,SIS Login ID,Section\n"<svg onload=alert(2)>, Ann",101,9001,ann,A\n',
     "line 2: last name '<svg onload=alert\\(2\\)>' holds '<' or '>'"),
])
def test_malformed_rosters_name_the_line(text, message):
    with pytest.raises(ValueError, match=message):
        parse_roster(text)


def test_detect_format():
    assert detect_format(["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]) == "canvas"
    assert detect_format(["First name", "Last name", "Email address"]) == "moodle"
    assert detect_format(["id", "first_name", "last_name"]) == "plain"


def test_a_roster_giving_one_lms_id_to_two_students_is_refused_with_lines():
    text = ('Student,ID,SIS User ID,SIS Login ID,Section\n"Archer, Ann",101,9001,ann,A\n'
            '"Baker, Bob",102,9002,bob,A\n"Archer, Ann",101,9001,ann2,A\n')
    with pytest.raises(ValueError, match="line 4: LMS user id '101' already on line 2"):
        parse_roster(text)


def test_semicolon_rosters_are_read_and_problems_are_named(tmp_path):
    from dlgrade.roster import read_roster_text

    german = "id;first_name;last_name;email\nann;Änne;Archer;ann@x.example\n"
    assert parse_roster(german) == [RosterStudent("ann", "Änne", "Archer", "ann@x.example")]
    path = tmp_path / "excel.csv"
    path.write_bytes(german.encode("cp1252"))
    with pytest.raises(ValueError, match=r"not UTF-8 \(byte 0xc4 on line 2.*save it as 'CSV "
                                         r"UTF-8'"):
        read_roster_text(path)
    # Canvas's export without the login column (it has no switch for it): the SIS User ID,
    # else the Canvas id, is the student id; the Canvas id still matches the downloads
    assert parse_roster('Student,ID,SIS User ID,Section\n"Archer, Ann",101,9001,A\n'
                        '"Baker, Bob",102,,B\n') == [
        RosterStudent("9001", "Ann", "Archer", "", "101", "9001", "A"),
        RosterStudent("102", "Bob", "Baker", "", "102", "", "B")]
    with pytest.raises(ValueError, match="looks like Canvas's gradebook export but has no "
                                         "'ID' column"):
        parse_roster('Student,SIS User ID,Section\n"Archer, Ann",9001,A\n')
    with pytest.raises(ValueError, match="has no column first_name"):
        parse_roster("id,last_name,email\nann,Archer,ann@x.example\n")


MOODLE_TWINS = ("First name,Surname,ID number,Email address\n"
                "Anna,Schmidt,,anna.schmidt@uni-a.example\n"
                "Anna,Schmidt,,anna.schmidt@gmail.com\n")


def test_moodle_students_without_id_number_are_known_by_the_whole_address():
    """Issue 23 (review D10): two addresses with one local part are two students."""
    assert [s.id for s in parse_roster(MOODLE_TWINS)] == [
        "anna.schmidt@uni-a.example", "anna.schmidt@gmail.com"]
    with pytest.raises(ValueError, match="line 3: student id 'anna.schmidt@gmail.com' already "
                                         "on line 2 \\(the same email address twice\\?\\)"):
        parse_roster(MOODLE_TWINS.replace("uni-a.example", "gmail.com"))


WORKSHEET = ("Identifier,Full name,Email address,Status,Grade,Maximum Grade\n"
             "Participant 1500231,Zoë D'Angelo-Smith,zoe@uni.example,Submitted,,10\n"
             "Participant 1500232,María García López,maria@uni.example,No submission,,10\n")


def test_a_moodle_grading_worksheet_gives_participant_ids():
    zoe, maria = parse_roster(WORKSHEET)
    assert zoe == RosterStudent("zoe@uni.example", "Zoë", "D'Angelo-Smith", "zoe@uni.example",
                                participant_id="1500231")
    assert (maria.first_name, maria.last_name, maria.participant_id) == (
        "María García", "López", "1500232")  # "Full name" split at its last space
    # translated: the number is what counts
    assert parse_roster(WORKSHEET.replace("Participant", "Teilnehmer/in"))[0].participant_id \
        == "1500231"
    with pytest.raises(ValueError, match="line 3: participant id 1500231 already on line 2"):
        parse_roster(WORKSHEET.replace("1500232", "1500231"))
    with pytest.raises(ValueError, match="line 2: identifier 'Participant' holds no "
                                         "participant number"):
        parse_roster(WORKSHEET.replace("Participant 1500231", "Participant"))
