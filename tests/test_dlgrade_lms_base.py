"""dlgrade.lms.base: what every LMS module shares (names folded, which notebook a file is,
submission times from a zip or a timestamps file, scores as an LMS reads them)."""

from __future__ import annotations

import calendar
import datetime as dt
import os
import shutil
import struct
import subprocess
import zipfile

import pytest

from dlgrade.lms.base import (
    column_key,
    extra_field_time,
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


def _unix_time(*when) -> int:
    return calendar.timegm((*when, 0, 0, 0))


def _zip_with_extra(path, extras: dict[str, bytes]):
    """Entries whose DOS time is 09:00, a New York laptop's wall clock, each with its
    extra field (``ZipInfo.extra``) as given."""
    with zipfile.ZipFile(path, "w") as zf:
        for name, extra in extras.items():
            info = zipfile.ZipInfo(name, date_time=(2026, 12, 1, 9, 0, 0))
            info.extra = extra
            zf.writestr(info, "{}")
    return path


def test_a_zip_entrys_utc_time_in_its_extra_field_beats_its_wall_clock_time(tmp_path):
    """Review 23e, N2: a zip made in New York (DOS time 09:00, Info-ZIP's "UT" field 14:00
    UTC) is 14:00 UTC whatever zone the course is in; so is Windows' NTFS field. Without a
    usable field (none, cut short, flags without a modification time, a time of 0), the DOS
    time is read in the course's zone as before."""
    utc = _unix_time(2026, 12, 1, 14, 0, 0)
    ut = struct.pack("<HHBI", 0x5455, 5, 1, utc)
    ticks = (utc + 11644473600) * 10_000_000  # 100 ns since 1601
    ntfs = struct.pack("<HHIHHQQQ", 0x000A, 32, 0, 1, 24, ticks, ticks, ticks)
    other = struct.pack("<HH", 0x7875, 3) + b"\x01\x00\x00"  # Info-ZIP's uid/gid: no time
    path = _zip_with_extra(tmp_path / "ny.zip", {
        "ut.ipynb": ut, "ntfs.ipynb": ntfs, "both.ipynb": other + ntfs + ut,
        "none.ipynb": b"", "short.ipynb": struct.pack("<HHB", 0x5455, 1, 1),
        "no-mtime.ipynb": struct.pack("<HHBI", 0x5455, 5, 2, utc),
        "zero.ipynb": struct.pack("<HHBI", 0x5455, 5, 1, 0)})
    fourteen, nine_in_berlin = dt.datetime(2026, 12, 1, 14, 0), dt.datetime(2026, 12, 1, 8, 0)
    for zone in ("Europe/Berlin", "UTC"):
        times = zip_times(path, zone)
        assert {k: times[k] for k in ("ut.ipynb", "ntfs.ipynb", "both.ipynb")} == dict.fromkeys(
            ("ut.ipynb", "ntfs.ipynb", "both.ipynb"), fourteen), times
    times = zip_times(path, "Europe/Berlin")
    assert {k: v for k, v in times.items() if v != fourteen} == dict.fromkeys(
        ("none.ipynb", "short.ipynb", "no-mtime.ipynb", "zero.ipynb"), nine_in_berlin), times
    # records cut short (zipfile refuses to write them): ignored, no error
    for cut in (b"\x55", ut[:-1], struct.pack("<HH", 0x5455, 9) + ut[4:], ntfs[:-8]):
        assert extra_field_time(cut) is None, cut
    assert extra_field_time(other) is None and extra_field_time(other + ut) == fourteen


@pytest.mark.skipif(shutil.which("zip") is None, reason="Info-ZIP's zip is not installed")
def test_a_zip_made_by_info_zip_in_another_zone_is_read_at_its_true_time(tmp_path):
    """The real ``zip`` on a "New York laptop" (TZ=America/New_York) of a file saved at
    14:00 UTC: its DOS time says 09:00, and the course in Berlin still reads 14:00 UTC."""
    work = tmp_path / "laptop"
    work.mkdir()
    (work / "a.ipynb").write_text("{}")
    when = _unix_time(2026, 12, 1, 14, 0, 0)
    os.utime(work / "a.ipynb", (when, when))
    subprocess.run(["zip", "-q", str(tmp_path / "ny.zip"), "a.ipynb"], cwd=work, check=True,
                   env={**os.environ, "TZ": "America/New_York"})
    with zipfile.ZipFile(tmp_path / "ny.zip") as zf:
        assert zf.getinfo("a.ipynb").date_time == (2026, 12, 1, 9, 0, 0)  # the laptop's clock
    assert zip_times(tmp_path / "ny.zip", "Europe/Berlin") == {
        "a.ipynb": dt.datetime(2026, 12, 1, 14, 0)}


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
