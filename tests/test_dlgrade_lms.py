"""Fast tests of the round trip's pure parts: roster layouts, LMS file names, late policies,
the exports' layout and the copied-work threshold on the course's independent answers.

The whole flow with real nbgrader is in tests/test_lms_roundtrip.py."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from dlgrade.late import PerHourPenalty, parse_late_policy, to_utc
from dlgrade.lms import LmsName, identify, match_student, notebook_name, parse_lms_path
from dlgrade.roster import RosterStudent, detect_format, parse_roster
from dlgrade.similarity import THRESHOLD, answer_code, compare
from tests.independent import OWN_HELPERS, dedent, variants

ROSTER = [RosterStudent("ann", "Ann", "Archer", "ann@x.example", "101"),
          RosterStudent("bob", "Bob", "Baker", "", "102"),
          RosterStudent("bo2", "Bob", "Baker", "", "")]


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
        ("s1", "Archer", "ann@x.example"), ("bob", "Baker", "bob@x.example")]


@pytest.mark.parametrize("text, message", [
    ("id,first_name,last_name,email\nann,A,B,a@x.example\n,C,D,c@x.example\n", "line 3: no "),
    ("id,first_name,last_name,email\nann,A,B,a@x.example\nann,C,D,c@x.example\n",
     "line 3: student id 'ann' already on line 2"),
    ("id,first_name,last_name,email\nann,A,B,not-an-email\n", "line 2: email"),
    ("id,first_name,last_name,email\nan n,A,B,a@x.example\n", "line 2: student id"),
    ("name,mail\nann,a@x.example\n", "not a known roster layout"),
    ("", "is empty"),
])
def test_malformed_rosters_name_the_line(text, message):
    with pytest.raises(ValueError, match=message):
        parse_roster(text)


def test_detect_format():
    assert detect_format(["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]) == "canvas"
    assert detect_format(["First name", "Last name", "Email address"]) == "moodle"
    assert detect_format(["id", "first_name", "last_name"]) == "plain"


def test_canvas_and_moodle_names():
    assert parse_lms_path(("archerann_101_5_hw-2.ipynb",)) == LmsName(
        "canvas", "archerann", "101", "hw-2.ipynb", False, "5")
    assert parse_lms_path(("bakerbob_LATE_102_6_hw.ipynb",)).late
    moodle = parse_lms_path(("dl", "Ann Archer_77_assignsubmission_file_", "x.ipynb"))
    assert (moodle.system, moodle.name, moodle.file) == ("moodle", "Ann Archer", "x.ipynb")
    flat = parse_lms_path(("Ann Archer_77_assignsubmission_file_hw.ipynb",))
    assert flat.file == "hw.ipynb"
    assert parse_lms_path(("ann_hw.ipynb",)) is None


# Canvas's download names as Canvas builds them: the sortable name lower-cased without spaces,
# commas or apostrophes, hyphens and accents kept; a late marker in either case
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
    student, note = who(4)  # same name, other Canvas id on record: someone else
    assert student is None and "no roster student has Canvas user id 12349" in note


def test_a_roster_giving_one_lms_id_to_two_students_is_refused_with_lines():
    text = ('Student,ID,SIS User ID,SIS Login ID,Section\n"Archer, Ann",101,9001,ann,A\n'
            '"Baker, Bob",102,9002,bob,A\n"Archer, Ann",101,9001,ann2,A\n')
    with pytest.raises(ValueError, match="line 4: LMS user id '101' already on line 2"):
        parse_roster(text)


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


def test_late_policies():
    assert parse_late_policy("5%/h:50%") == {
        "AssignLatePenalties.plugin_class": "dlgrade.late.PerHourPenalty",
        "PerHourPenalty.per_hour": 0.05, "PerHourPenalty.cap": 0.5}
    assert parse_late_policy("2.5 % / hour")["PerHourPenalty.cap"] == 1.0
    with pytest.raises(ValueError, match="late_policy"):
        parse_late_policy("half")
    p = PerHourPenalty(per_hour=0.1, cap=0.5)
    assert p.late_submission_penalty("s", 10.0, 0) is None
    assert p.late_submission_penalty("s", 10.0, 3600) == 1.0
    assert p.late_submission_penalty("s", 10.0, 3601) == 2.0
    assert p.late_submission_penalty("s", 10.0, 86400) == 5.0


def test_due_dates_in_a_time_zone():
    assert to_utc("2026-12-01 17:00", "Europe/London") == dt.datetime(2026, 12, 1, 17, 0)
    assert to_utc("2026-06-01 17:00", "Europe/Berlin") == dt.datetime(2026, 6, 1, 15, 0)
    with pytest.raises(ValueError, match="timezone"):
        to_utc("2026-12-01 17:00", "Mars/Base")
    with pytest.raises(ValueError, match="due"):
        to_utc("first of December", "UTC")


REPO = Path(__file__).resolve().parents[1]
ASSIGNMENTS = sorted(p.name for p in (REPO / "exercises").iterdir() if p.is_dir())


def _independent_pairs():
    """Pairs of independent correct variants of one assignment that share no answer."""
    for ex in ASSIGNMENTS:
        template = "\n\n".join(answer_code(nbformat.read(p, as_version=4))
                               for p in sorted((REPO / "exercises" / ex).glob("*.ipynb")))
        found = variants(ex)
        own = {n: {f: s.replace(dedent(OWN_HELPERS), "").strip() for f, s in a.items()}
               for n, a in found.items()}
        for a, b in itertools.combinations(found, 2):
            if any(own[a][f] == own[b].get(f) for f in own[a]):
                continue  # one variant is derived from the other
            yield ex, a, b, "\n\n".join(found[a].values()), "\n\n".join(found[b].values()), \
                template


def test_threshold_flags_no_pair_of_independent_correct_answers():
    pairs = list(_independent_pairs())
    assert len(pairs) > 50
    scores = {(ex, a, b): compare(x, y, t)[0] for ex, a, b, x, y, t in pairs}
    worst = max(scores, key=scores.get)
    assert scores[worst] < THRESHOLD / 2, (worst, scores[worst])


def test_a_pair_scores_the_same_in_every_process():
    """copydetect's own k-gram hash is Python's salted ``hash()``: without the stable hash
    the same pair scored differently from one run to the next (0.25 or 0.33 here)."""
    ex, a, b, x, y, t = next(p for p in _independent_pairs()
                             if p[:3] == ("09_conv_rnn", "einsum_windows", "float32"))
    script = ("import json, sys\nfrom dlgrade.similarity import compare\n"
              "x, y, t = json.load(sys.stdin)\nprint(compare(x, y, t)[0])\n")
    scores = {
        subprocess.run([sys.executable, "-c", script], input=json.dumps([x, y, t]), text=True,
                       capture_output=True, check=True, cwd=REPO,
                       env={**os.environ, "PYTHONHASHSEED": str(seed)}).stdout.strip()
        for seed in (1, 2, 3)
    }
    assert len(scores) == 1, (ex, a, b, scores)


def test_a_copy_with_renamed_variables_and_comments_is_flagged():
    pairs = list(_independent_pairs())
    ex, a, _, code, _, template = pairs[0]
    renamed = code
    for old, new in (("X", "inputs"), ("y", "targets"), ("w", "weights"), ("b", "bias")):
        renamed = renamed.replace(f"({old},", f"({new},").replace(f" {old} ", f" {new} ")
    renamed = renamed.replace("\n    return", "\n    # the result\n    return")
    score, passages = compare(code, renamed, template)
    assert score >= THRESHOLD and passages


def test_semicolon_rosters_are_read_and_problems_are_named(tmp_path):
    from dlgrade.roster import read_roster_text

    german = "id;first_name;last_name;email\nann;Änne;Archer;ann@x.example\n"
    assert parse_roster(german) == [RosterStudent("ann", "Änne", "Archer", "ann@x.example")]
    path = tmp_path / "excel.csv"
    path.write_bytes(german.encode("cp1252"))
    with pytest.raises(ValueError, match=r"not UTF-8 \(byte 0xc4 on line 2.*save it as 'CSV "
                                         r"UTF-8'"):
        read_roster_text(path)
    with pytest.raises(ValueError, match="looks like Canvas's gradebook export but has no "
                                         "'SIS Login ID' column"):
        parse_roster('Student,ID,SIS User ID,Section\n"Archer, Ann",101,9001,A\n')
    with pytest.raises(ValueError, match="has no column first_name"):
        parse_roster("id,last_name,email\nann,Archer,ann@x.example\n")
