"""dlgrade.lms.csv: the plain roster columns and the names of submissions named by the student
id (flat, a folder per student, nbgrader's own layout). Whole downloads through the command
line are in tests/test_cli.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from dlgrade.lms import csv as plain
from dlgrade.lms.base import column_key

PLAIN = plain.LMS
ROOT = Path("/downloads")


def test_the_roster_header_and_the_missing_column():
    assert PLAIN.fits_roster([column_key(h) for h in ("ID", "First Name", "Last_Name")])
    header = ["id", "last_name", "email"]
    assert PLAIN.roster_near_miss(header, [column_key(h) for h in header]) == (
        "roster: header ['id', 'last_name', 'email'] has no column first_name; expected "
        "'id,first_name,last_name,email'")
    assert PLAIN.roster_near_miss(["name"], ["name"]) is None  # nothing of it: not a near miss


def test_a_roster_row_and_a_short_one():
    assert PLAIN.roster_row({"id": " ann ", "firstname": "Ann", "lastname": "Archer",
                             "lmsuserid": "101"}) == {
        "id": "ann", "first_name": "Ann", "last_name": "Archer", "email": "",
        "lms_user_id": "101"}
    header = ["id", "first_name", "last_name", "email"]
    assert PLAIN.short_roster_row(["ann", "Ann"], header)
    assert not PLAIN.short_roster_row(["ann", "Ann", "Archer"], header)


@pytest.mark.parametrize("rel, student", [
    ("alice_tiny.ipynb", "alice"),
    ("sub/bob-tiny.ipynb", "bob"),
    ("carol/tiny.ipynb", "carol"),
    ("dave/tiny/tiny.ipynb", "dave"),
    ("tiny.ipynb", None),
    ("erin_other.ipynb", None),
    ("an id_tiny.ipynb", "an id"),  # a name, not yet a valid id: roster.STUDENT_ID decides
])
def test_the_student_a_file_names(rel, student):
    assert PLAIN.student_of(ROOT / rel, ROOT, "tiny") == student


def test_the_plain_layout_has_no_download_names_or_export_plugin():
    assert PLAIN.parse_path(("archerann_101_5_tiny.ipynb",)) is None
    assert PLAIN.export_plugin() is None and not PLAIN.grade_column
