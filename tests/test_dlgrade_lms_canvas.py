"""dlgrade.lms.canvas without nbgrader runs: Canvas's roster columns and their quirks, its
download names, the file ids collect keeps, and its gradebook CSV export (written from a real
SQLite gradebook). The whole flow through the command line is in tests/test_lms_roundtrip.py and
tests/test_term.py."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from dlgrade.lms import canvas
from dlgrade.lms.base import column_key
from dlgrade.roster import RosterStudent

CANVAS = canvas.LMS


class Course:
    """The two places of a course folder the Canvas helpers read and write."""

    def __init__(self, root: Path):
        self.output_root = root / "grading"

    def output_dir(self, assignment: str) -> Path:
        return self.output_root / assignment


def keys(*header):
    return [column_key(h) for h in header]


def test_the_roster_header_with_or_without_the_login_column():
    assert CANVAS.fits_roster(keys("Student", "ID", "SIS User ID", "SIS Login ID", "Section"))
    assert CANVAS.fits_roster(keys("Student", "ID", "SIS User ID", "Section"))
    assert not CANVAS.fits_roster(keys("First name", "Surname", "ID number"))
    header = ["Student", "SIS User ID", "Section"]
    assert "has no 'ID' column" in CANVAS.roster_near_miss(header, keys(*header))
    assert CANVAS.roster_near_miss(["id", "x"], keys("id", "x")) is None


@pytest.mark.parametrize("row, student_id", [
    ({"student": "García-López, María", "id": "12351", "sisuserid": "9001",
      "sisloginid": "mgarcia"}, "mgarcia"),  # the login
    ({"student": "García-López, María", "id": "12351", "sisuserid": "9001"}, "9001"),
    ({"student": "García-López, María", "id": "12351", "sisuserid": ""}, "12351"),
])
def test_a_roster_row_takes_the_login_else_the_sis_id_else_the_canvas_id(row, student_id):
    out = CANVAS.roster_row({**row, "section": " Lab A "})
    assert out["id"] == student_id
    assert (out["first_name"], out["last_name"]) == ("María", "García-López")
    assert out["lms_user_id"] == "12351" and out["section"] == "Lab A"


def test_the_points_possible_row_and_the_test_student_are_skipped():
    assert CANVAS.skip_roster_row("    Points Possible")
    assert CANVAS.skip_roster_row("Points Possible")
    assert CANVAS.skip_roster_row("Student, Test")
    assert not CANVAS.skip_roster_row("Archer, Ann")


def test_download_names_and_the_names_canvas_writes():
    parsed = CANVAS.parse_path(("sub", "o'brienseán_LATE_12346_880002_02_neuron-1.ipynb"))
    assert (parsed.system, parsed.name, parsed.uid, parsed.submission, parsed.file,
            parsed.late) == ("canvas", "o'brienseán", "12346", "880002",
                             "02_neuron-1.ipynb", True)
    assert CANVAS.parse_path(("ann_02_neuron.ipynb",)) is None
    assert CANVAS.parse_path(("Ann Archer_77_assignsubmission_file_", "x.ipynb")) is None
    sean = RosterStudent("sob", "Seán", "O'Brien", "", "")
    assert CANVAS.names(sean) == {"obriensean"}  # last name first, folded
    assert CANVAS.name_fallback_allowed(sean)
    assert not CANVAS.name_fallback_allowed(RosterStudent("x", "A", "B", "", "777"))


def test_file_ids_are_kept_per_assignment_and_the_newest_file_wins(tmp_path):
    course = Course(tmp_path)
    assert canvas.read_record(course, "hw") == {}
    canvas.write_record(course, "hw", {"bob": "880031", "ann": "880002"})
    assert canvas.read_record(course, "hw") == {"ann": "880002", "bob": "880031"}
    canvas.record_path(course, "hw").write_text("[not a record")
    assert canvas.read_record(course, "hw") == {}  # unreadable: as if nothing was kept

    root = tmp_path / "download"
    old, new = root / "a_1_9_hw.ipynb", root / "a_1_10_hw-1.ipynb"
    warnings = []
    assert canvas.newest_file("ann", [new, old], {old: "9", new: "10"}, root, warnings) == new
    assert warnings == ["ann: 2 Canvas files; took the newest, a_1_10_hw-1.ipynb (file id 10), "
                        "not a_1_9_hw.ipynb (file id 9)"]  # by number, not by text


def test_sis_ids_and_sections_are_kept_beside_the_gradebook(tmp_path):
    course = Course(tmp_path)
    assert canvas.read_lms_fields(course) == {}
    canvas.write_lms_fields(course, [RosterStudent("ann", "Ann", "A", "", "1", "9001", "A"),
                                     RosterStudent("bob", "Bob", "B", "", "2")])
    canvas.write_lms_fields(course, [RosterStudent("cid", "Cid", "C", "", "3", "", "B")])
    assert canvas.read_lms_fields(course) == {
        "ann": {"sis_user_id": "9001", "section": "A"},
        "cid": {"sis_user_id": "", "section": "B"}}


@pytest.mark.slow  # a real gradebook: nbgrader and alembic start (a few seconds)
def test_the_export_plugin_writes_canvas_gradebook_csv(tmp_path):
    from nbgrader.api import Gradebook

    from dlgrade.course import ensure_tools_on_path

    ensure_tools_on_path()  # nbgrader runs the `alembic` command when it creates a gradebook

    plugin_class = canvas.CanvasExportPlugin
    assert plugin_class is CANVAS.export_plugin() and plugin_class.__name__ == (
        "CanvasExportPlugin") and plugin_class.__module__ == "dlgrade.lms.canvas"
    with Gradebook(f"sqlite:///{tmp_path / 'gradebook.db'}", "c") as gb:
        gb.add_assignment("hw")
        gb.add_student("ann", first_name="Ann", last_name="Archer", lms_user_id="101")
        gb.add_student("bob", first_name="Bob", last_name="Baker", lms_user_id="102")
        dest = tmp_path / "canvas.csv"
        plugin_class(to=str(dest), assignment=["hw"], column="Notebook 1 (777)",
                     blank=["bob"], section="Lab", lms={"ann": {"sis_user_id": "9001",
                                                                 "section": "A"}}).export(gb)
    rows = list(csv.reader(dest.open(newline="")))
    assert rows == [
        ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Notebook 1 (777)"],
        ["    Points Possible", "", "", "", "", "0"],
        ["Archer, Ann", "101", "9001", "ann", "A", "0"],  # no submission: 0
        ["Baker, Bob", "102", "", "bob", "Lab", ""]]       # blank: Canvas leaves it alone


def test_an_unknown_attribute_is_an_attribute_error():
    with pytest.raises(AttributeError, match="NoSuchPlugin"):
        canvas.NoSuchPlugin  # noqa: B018
