"""dlgrade.lms without nbgrader: Canvas and Moodle download names, and how a file finds its
student (LMS ids first, names only as a fallback with a warning, never a guess).

The whole flow with real nbgrader is in tests/test_lms_roundtrip.py."""

from __future__ import annotations

import pytest

from dlgrade.lms import LmsName, identify, match_student, notebook_name, parse_lms_path
from dlgrade.roster import RosterStudent

ROSTER = [RosterStudent("ann", "Ann", "Archer", "ann@x.example", "101"),
          RosterStudent("bob", "Bob", "Baker", "", "102"),
          RosterStudent("bo2", "Bob", "Baker", "", "")]


def test_canvas_and_moodle_names():
    assert parse_lms_path(("archerann_101_5_hw-2.ipynb",)) == LmsName(
        "canvas", "archerann", "101", "hw-2.ipynb", False, "5")
    assert parse_lms_path(("bakerbob_LATE_102_6_hw.ipynb",)).late
    moodle = parse_lms_path(("dl", "Ann Archer_77_assignsubmission_file_", "x.ipynb"))
    assert (moodle.system, moodle.name, moodle.file) == ("moodle", "Ann Archer", "x.ipynb")
    flat = parse_lms_path(("Ann Archer_77_assignsubmission_file_hw.ipynb",))
    assert flat.file == "hw.ipynb"
    assert parse_lms_path(("ann_hw.ipynb",)) is None


CANVAS_NAMES = [
    ("garcia-lopezmaria_12351_880007_02_neuron.ipynb", "garcia-lopezmaria", "12351", False),
    ("obrienseán_12346_880002_02_neuron.ipynb", "obrienseán", "12346", False),
    ("müllerjörg_late_12347_880003_02_neuron-1.ipynb", "müllerjörg", "12347", True),
    ("nguyenan_LATE_12348_880004_02_neuron.ipynb", "nguyenan", "12348", True),
    ("DUPONTJEAN_12349_880005_02_neuron.ipynb", "DUPONTJEAN", "12349", False),
]


LMS_ROSTER = [RosterStudent("mgl", "María", "García-López", "", "12351"),
              RosterStudent("sob", "Seán", "O'Brien", "", "12346"),
              RosterStudent("jm", "Jörg", "Müller", "", ""),
              RosterStudent("twin1", "Jean", "Dupont", "", "777"),
              RosterStudent("twin2", "An", "Nguyen", "", "12348"),
              RosterStudent("twin3", "An", "Nguyen", "", "12348")]


@pytest.mark.parametrize("file, name, uid, late", CANVAS_NAMES)
def test_canvas_names_with_hyphens_accents_and_upper_case(file, name, uid, late):
    parsed = parse_lms_path((file,))
    assert (parsed.system, parsed.name, parsed.uid, parsed.late) == ("canvas", name, uid, late)
    assert notebook_name(parsed.file, ["02_neuron"]) == "02_neuron"


def test_canvas_ids_decide_names_only_as_a_fallback_with_a_warning():
    def who(i):
        return identify(parse_lms_path((CANVAS_NAMES[i][0],)), LMS_ROSTER)

    assert who(0) == ("mgl", "") and who(1) == ("sob", "")
    student, note = who(2)  # no Canvas id on record: the name, said out loud
    assert student == "jm" and "matched by name only" in note and "12347" in note
    student, note = who(3)  # one Canvas id, two roster rows: refused
    assert student is None and "2 roster students have Canvas user id 12348" in note
    student, note = who(4)  # same name, other Canvas id on record: someone else, said so
    assert (student, note) == (None, "'DUPONTJEAN' is twin1, whose Canvas user id is 777, "
                                     "not 12349: another person of the same name? not copied")


def test_names_map_to_roster_ids_and_are_never_guessed():
    assert match_student(LmsName("canvas", "archerann", "101", "f"), ROSTER) == "ann"
    assert match_student(LmsName("canvas", "archerann", "555", "f"), ROSTER) is None
    assert match_student(LmsName("moodle", "ann  ARCHER", "9", "f"), ROSTER) == "ann"
    # two roster students called Bob Baker: no guess
    assert match_student(LmsName("moodle", "Bob Baker", "9", "f"), ROSTER) is None
    assert notebook_name("hw-1.ipynb", ["hw"]) == "hw"
    assert notebook_name("anything.ipynb", ["hw"]) == "hw"
    assert notebook_name("anything.ipynb", ["a", "b"]) is None
    assert notebook_name("notes.pdf", ["hw"]) is None


def test_a_notebook_is_named_by_the_only_notebook_of_the_assignment():
    assert notebook_name("anything.ipynb", ["hw"]) == "hw"
    assert notebook_name("anything.ipynb", ["a", "b"]) is None
    assert notebook_name("notes.pdf", ["hw"]) is None


def test_one_registry_names_every_system_for_the_cli_and_the_messages():
    from dlgrade import lms

    assert lms.choices() == ["canvas", "moodle", "csv"]
    assert lms.known() == "canvas, moodle, csv"
    assert all(lms.get(name).name == name for name in lms.choices())
    assert len({s.roster_layout for s in lms.REGISTRY.values()}) == len(lms.REGISTRY)
    with pytest.raises(ValueError, match="format: got 'blackboard', expected one of the known "
                                         "layouts: canvas, moodle, csv"):
        lms.get("blackboard")


def test_the_cli_choices_come_from_the_registry():
    from dlgrade import cli, lms

    fmt = next(p for p in cli.export.params if p.name == "fmt")
    assert list(fmt.type.choices) == lms.choices()


def test_a_moodle_folder_wins_over_a_canvas_like_file_inside_it():
    parsed = parse_lms_path(("Ann Archer_77_assignsubmission_file_",
                             "archerann_101_5_hw.ipynb"))
    assert (parsed.system, parsed.uid) == ("moodle", "77")
