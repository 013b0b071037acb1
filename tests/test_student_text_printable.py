"""Review 21i, finding 2: student-chosen file names never reach the instructor's terminal raw.

A name can hold OSC 52 (set the clipboard), OSC 0 (the window title), an erase-line and a
carriage return, or a newline that forges a status line of its own. Through the real CLI:
``dlcourse collect`` of a download holding a student's zip with such entries,
``dlcourse grade`` of a submission folder with such files (status lines, ``grades.csv``), and
plain ``nbgrader autograde`` with the project's config (dlgrade.safe_files' warnings; the names
are refused, so nbgrader's own ``Copying ...`` line never sees them). No ESC, BEL, CR or newline
from a name may come out: the bytes are checked.
"""

from __future__ import annotations

import io
import re
import sys
import unicodedata
import zipfile

import pytest

from dlgrade.course import run_nbgrader
from dlgrade.printable import has_controls, printable
from dlgrade.safe_files import survey
from tests.submissions.crafted import (
    dlcourse,
    make_course,
    make_variant,
    project_config,
    submit,
)

OSC = "\x1b]52;c;ZWNobyBwd25lZA==\x07\x1b]0;TERMPWN\x07\x1b[2K\r"
#: a forged line: what a newline in a name would print as a line of its own
FORGED = "  forged: graded (5 of 5, all tests passed)"
#: review 21k, finding 4: Unicode format characters (Trojan Source): a right-to-left override
#: shows the refused ``report\u202eFDP.bin`` as ``reportnib.PDF``; isolates, marks, zero-width
#: characters and the BOM hide or reorder what is there
BIDI = ["report\u202eFDP.bin", "\u2066ok\u2069\u200b\ufeff.bin", "\u061c\u200f\u200e.bin"]
NAMES = [f"a{OSC}honest: graded.bin", "b\x1b]0;T2\x07.txt", f"z\n{FORGED}\n.bin",
         "c\x9b2Kc1.txt", *BIDI]
#: bytes no output may hold once the names are printed (none of them comes from elsewhere; a
#: CR ends a line only before a LF, as in grades.csv); then the UTF-8 of the format characters
RAW = [rb"\x1b", rb"\x07", rb"\r(?!\n)", rb"\xc2\x9b",
       *(re.escape(c.encode()) for c in "\u202e\u2066\u2069\u200b\ufeff\u061c\u200f\u200e")]


def _raw_in(data: bytes) -> list[bytes]:
    found = [r for r in RAW if re.search(r, data)]
    if any(line.strip() == FORGED.strip().encode() for line in data.splitlines()):
        found.append(b"forged line")
    return found


def test_printable_escapes_every_control_character_and_nothing_else():
    assert printable("a\x1b]0;T\x07\r\n\t\x7f\x85\u2028z") == \
        "a\\x1b]0;T\\x07\\r\\n\\t\\x7f\\x85\\u2028z"
    for text in ("plain ascii", "café ü 日本 \\x1b already shown", ""):
        assert printable(text) == text and not has_controls(text)
    assert printable(printable(NAMES[0])) == printable(NAMES[0])
    assert not any(has_controls(printable(name)) for name in NAMES)
    assert printable(BIDI[0]) == "report\\u202eFDP.bin"
    assert printable("tag\U000e0041") == "tag\\U000e0041"


def test_every_unicode_format_character_is_escaped_and_no_other_printable_one():
    """printable's list of format characters (category Cf) against this Python's Unicode."""
    for code in range(sys.maxunicode + 1):
        char = chr(code)
        category = unicodedata.category(char)
        if category == "Cf" or code < 0x20 or 0x7f <= code <= 0x9f or char in "\u2028\u2029":
            assert has_controls(char), f"U+{code:04X} ({category}) is not escaped"
        elif category not in ("Cs", "Cn"):  # lone surrogates, unassigned (newer Cf) aside
            assert not has_controls(char), f"U+{code:04X} ({category}) is escaped"


def test_a_name_with_control_characters_is_refused_as_a_finding(tmp_path):
    for name in [*NAMES, "ok.txt"]:
        (tmp_path / name).write_text("x")
    (tmp_path / "d\x1b]0;T\x07").mkdir()
    (tmp_path / "d\x1b]0;T\x07" / "inside.txt").write_text("x")
    found = survey(tmp_path)
    assert list(found.accepted) == ["ok.txt"]
    refused = {r.path: r.reason for r in found.refused}
    assert set(refused) == {*NAMES, "d\x1b]0;T\x07/"}, refused
    assert all("control characters" in why for why in refused.values()), refused


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = make_course(tmp_path_factory.mktemp("printable") / "course",
                       extra_config=project_config())
    dlcourse("release", cwd=root)
    release = root / "exercises" / "tiny" / "tiny.ipynb"
    source = root / "solutions" / "tiny" / "tiny.ipynb"
    for student in ("honest", "names"):
        submit(root, "tiny", student, make_variant("correct", release, source))
    for name in NAMES:
        (root / "submitted" / "names" / "tiny" / name).write_text("notes\n")
    return root


def test_collect_shows_the_names_in_a_students_zip_escaped(course, tmp_path):
    upload = io.BytesIO()
    with zipfile.ZipFile(upload, "w") as z:
        z.writestr("tiny.ipynb", (course / "submitted/honest/tiny/tiny.ipynb").read_text())
        z.writestr(f"evil{OSC}all good.tar.gz", b"x")
        z.writestr("notes\x1b]0;COLLPWN2\x07.ipynb.txt", b"x")
        z.writestr(f"z\n{FORGED}\n.tar.gz", b"x")
        z.writestr("ev\u202eil_tiny.ipynb", b"x")  # review 21k: shown as "evbnypi.ynit_li"
    download = tmp_path / "download"
    download.mkdir()
    (download / "mallory_tiny.zip").write_bytes(upload.getvalue())
    run = dlcourse("collect", "tiny", download, "--dry-run", cwd=course, check=False)
    out = (run.stdout + run.stderr).encode()
    assert _raw_in(out) == [], out
    assert "mallory" in run.stdout + run.stderr, run.stdout + run.stderr
    assert b"evil\\x1b]52;c;" in out, out  # the refused entry is named, escaped
    assert b"ev\\u202eil_tiny.ipynb" in out, out


@pytest.mark.slow
def test_dlcourse_grade_prints_and_writes_the_names_escaped(course):
    run = dlcourse("grade", "tiny", "--workers", "1", "--no-progress", "--force", cwd=course)
    out = (run.stdout + run.stderr).encode()
    assert _raw_in(out) == [], out
    grades = (course / "grading" / "tiny" / "grades.csv").read_bytes()
    assert _raw_in(grades) == [] and b"a\\x1b]52;c;" in grades, grades
    assert b"report\\u202eFDP.bin" in grades and b"report\\u202eFDP.bin" in out, grades
    assert "names: needs manual grading" in run.stdout, run.stdout
    assert "control characters" in run.stdout, run.stdout
    assert "honest: " not in run.stdout.replace("honest: graded.bin", "")  # honest: all clean


@pytest.mark.slow
def test_plain_nbgrader_logs_the_names_escaped_and_never_copies_them(course):
    proc = run_nbgrader(course, "autograde", "tiny", "--force", check=False)
    out = (proc.stdout + proc.stderr).encode()
    assert _raw_in(out) == [], out[-3000:]
    assert b"Not copied" in out and b"b\\x1b]0;T2\\x07.txt" in out, out[-3000:]
    autograded = course / "autograded" / "names" / "tiny"
    assert (autograded / "tiny.ipynb").exists()
    assert not [p.name for p in autograded.iterdir() if has_controls(p.name)]


def test_a_student_id_cannot_end_in_a_newline():
    """A student id becomes a folder name and starts lines of the grader's output; the
    pattern's "$" accepted a last newline ("mallory\\n")."""
    from dlgrade.roster import STUDENT_ID

    assert STUDENT_ID.match("mallory") and not STUDENT_ID.match("mallory\n")
