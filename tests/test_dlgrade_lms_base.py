"""dlgrade.lms.base: what every LMS module shares (names folded, which notebook a file is,
submission times from a zip or a timestamps file, scores as an LMS reads them)."""

from __future__ import annotations

import datetime as dt
import zipfile

import pytest

from dlgrade.lms.base import (
    column_key,
    fold,
    format_score,
    format_timestamp,
    notebook_name,
    read_timestamps,
    zip_times,
)


def test_names_and_headers_fold_to_letters_and_digits():
    assert fold("O'Brien Seán") == "obriensean"
    assert fold("GARCÍA-LÓPEZ María") == "garcialopezmaria"
    assert column_key("SIS Login ID") == "sisloginid"
    assert column_key("first_name") == "firstname"


def test_which_notebook_a_file_is():
    assert notebook_name("hw-2.ipynb", ["hw", "extra"]) == "hw"  # Canvas's resubmission suffix
    assert notebook_name("extra.ipynb", ["hw", "extra"]) == "extra"
    assert notebook_name("mine.ipynb", ["hw"]) == "hw"
    assert notebook_name("mine.ipynb", ["hw", "extra"]) is None
    assert notebook_name("hw.pdf", ["hw"]) is None


def test_zip_entry_times_are_read_in_the_given_zone(tmp_path):
    path = tmp_path / "d.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(zipfile.ZipInfo("a.ipynb", date_time=(2026, 12, 1, 17, 0, 0)), "{}")
    assert zip_times(path) == {"a.ipynb": dt.datetime(2026, 12, 1, 17, 0)}
    assert zip_times(path, "Europe/Berlin") == {"a.ipynb": dt.datetime(2026, 12, 1, 16, 0)}
    assert format_timestamp(dt.datetime(2026, 12, 1, 16, 0)) == (
        "2026-12-01 16:00:00.000000 UTC")


def test_a_timestamps_file_and_its_bad_rows(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("student,submitted_at\nann,2026-12-01 17:00\n")
    assert read_timestamps(path, "Europe/Berlin") == {"ann": dt.datetime(2026, 12, 1, 16, 0)}
    path.write_text("who,when\nann,2026-12-01\n")
    with pytest.raises(ValueError, match="expected student,submitted_at"):
        read_timestamps(path)
    path.write_text("student,submitted_at\nann,2026-12-01 17:00\n,2026-12-01 17:00\n")
    with pytest.raises(ValueError, match="line 3: no student"):
        read_timestamps(path)
    path.write_text("student,submitted_at\nann,yesterday\n")
    with pytest.raises(ValueError, match="line 2"):
        read_timestamps(path)


def test_scores_as_an_lms_reads_them():
    assert [format_score(x) for x in (7.0, 6.5, 0.0, "")] == ["7", "6.5", "0", ""]
