"""``dlcourse collect`` reads LMS zips within a budget (:mod:`dlgrade.archive`; issue 21,
hostile review hole 4: a 1 kB upload that nbgrader's extractor unpacked to 300 MB)."""

from __future__ import annotations

import io
import os
import stat
import zipfile

import pytest

from dlgrade.archive import ArchiveLimits, unpack_zip
from dlgrade.safe_files import MB

NOTEBOOK = '{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}'


def _zip(entries: dict, compression=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as zf:
        for name, data in entries.items():
            if isinstance(data, zipfile.ZipInfo):
                zf.writestr(data, b"target")
            else:
                zf.writestr(name, data)
    return buffer.getvalue()


def _zeros_zip(name: str, size: int) -> bytes:
    """A zip holding ``name``: ``size`` zero bytes, compressed to a few hundred kB."""
    buffer = io.BytesIO()
    info = zipfile.ZipInfo(name)
    info.compress_type = zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(buffer, "w") as zf, zf.open(info, "w", force_zip64=True) as out:
        chunk = bytes(MB)
        for _ in range(size // MB):
            out.write(chunk)
    return buffer.getvalue()


def _du(folder) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def _layout(folder) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.ipynb"))


def test_a_nested_zip_bomb_is_refused_before_anything_is_written(tmp_path):
    inner = _zeros_zip("02_neuron.ipynb", 120 * MB)
    upload = tmp_path / "downloads.zip"
    upload.write_bytes(_zip({"alice/02_neuron.zip": inner, "bob/02_neuron.ipynb": NOTEBOOK}))
    assert upload.stat().st_size < 1 * MB
    out = tmp_path / "out"
    result = unpack_zip(upload, out)
    assert _du(out) < 1 * MB  # the nested zip (small) is read and removed; its bomb is not
    assert [(r.path, r.reason) for r in result.refused] == [
        ("downloads.zip/alice/02_neuron.zip/02_neuron.ipynb",
         "120.0 MB unpacked, over the limit of 50.0 MB per notebook")]
    assert _layout(out) == ["downloads/bob/02_neuron.ipynb"]


def test_the_total_budget_counts_every_member_and_nested_zip(tmp_path):
    upload = tmp_path / "all.zip"
    upload.write_bytes(_zip({f"s{i}_02_neuron.ipynb": "x" * 4000 for i in range(5)}))
    result = unpack_zip(upload, tmp_path / "out", ArchiveLimits(max_total_bytes=10_000))
    assert len(result.written) == 2
    assert [r.reason for r in result.refused] == ["over the limit of 0.0 MB unpacked in all"] * 3
    many = tmp_path / "many.zip"
    many.write_bytes(_zip({f"f{i}.txt": "" for i in range(30)}))
    counted = unpack_zip(many, tmp_path / "many", ArchiveLimits(max_members=10))
    assert counted.refused[-1].reason == ("more than 10 entries in the archives in all; the "
                                          "rest was not read")
    assert len(counted.ignored) == 10


def test_nesting_links_and_odd_names_are_refused_with_a_reason(tmp_path):
    deep = _zip({"a.ipynb": NOTEBOOK})
    for _ in range(4):
        deep = _zip({"x.zip": deep})
    link = zipfile.ZipInfo("carol/02_neuron.ipynb")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    upload = tmp_path / "up.zip"
    upload.write_bytes(_zip({"deep.zip": deep, "link": link, "../evil.ipynb": NOTEBOOK,
                             "d/notes.tar.gz": b"\x1f\x8b", "d/readme.txt": "hi",
                             "__MACOSX/._x.ipynb": "junk"}))
    result = unpack_zip(upload, tmp_path / "out")
    reasons = {r.path: r.reason for r in result.refused}
    assert reasons == {
        "up.zip/deep.zip/x.zip/x.zip/x.zip": "an archive nested deeper than 3 levels",
        "up.zip/carol/02_neuron.ipynb": "a symbolic link inside the archive",
        "up.zip/../evil.ipynb": "an absolute name or one with '..'",
        "up.zip/d/notes.tar.gz": "an archive of a kind collect does not open (only zip "
                                 "archives are read)",
    }
    assert result.ignored == ["up.zip/d/readme.txt"]
    assert not any(p.is_symlink() for p in (tmp_path / "out").rglob("*"))
    assert not (tmp_path / "evil.ipynb").exists()


def test_the_layout_is_nbgraders_so_names_match_as_before(tmp_path):
    """Against nbgrader's own ExtractorPlugin on a harmless download: the same notebooks in
    the same places (collect's name matching depends on it)."""
    from nbgrader.plugins.zipcollect import ExtractorPlugin

    upload = tmp_path / "canvas.zip"
    upload.write_bytes(_zip({
        "alice_02_neuron.ipynb": NOTEBOOK,
        "bob/02_neuron.ipynb": NOTEBOOK,
        "carol/02_neuron.zip": _zip({"02_neuron/02_neuron.ipynb": NOTEBOOK,
                                     "extra.zip": _zip({"inner.ipynb": NOTEBOOK})}),
        "readme.txt": "hello",
    }))
    ours = tmp_path / "ours"
    unpack_zip(upload, ours)
    archive, theirs = tmp_path / "archive", tmp_path / "theirs"
    archive.mkdir()
    theirs.mkdir()
    (archive / upload.name).write_bytes(upload.read_bytes())
    ExtractorPlugin().extract(str(archive), str(theirs))
    assert _layout(ours) == _layout(theirs)
    assert "canvas/carol/02_neuron/extra/inner.ipynb" in _layout(ours)


def test_bad_limits_are_clear_errors():
    with pytest.raises(ValueError, match=r"max_total_bytes: got 0, expected a positive"):
        ArchiveLimits(max_total_bytes=0)
    with pytest.raises(ValueError, match=r"max_depth: got -1"):
        ArchiveLimits(max_depth=-1)


def test_collect_lists_the_bomb_and_still_collects_the_others(tmp_path):
    """Through ``collect`` itself: the bomb is a refusal with its reason (exit status 1 in the
    CLI), the other student's notebook is collected."""
    from dlgrade.collect import collect
    from dlgrade.course import Course
    from tests.submissions.crafted import make_course

    course = Course(make_course(tmp_path / "course"))
    upload = tmp_path / "lms.zip"
    upload.write_bytes(_zip({"alice/tiny.zip": _zeros_zip("tiny.ipynb", 120 * MB),
                             "bob_tiny.ipynb": NOTEBOOK}))
    result = collect(course, "tiny", upload, dry_run=True)
    assert result.refused == {"lms.zip/alice/tiny.zip/tiny.ipynb":
                              "120.0 MB unpacked, over the limit of 50.0 MB per notebook"}
    assert result.added == ["submitted/bob/tiny/tiny.ipynb"]
    assert not result.ok
    assert os.path.exists(upload)


def _collect_with_roster(tmp_path, roster_text: str, entries: dict):
    from dlgrade.collect import collect
    from dlgrade.course import Course
    from dlgrade.roster import import_roster
    from tests.submissions.crafted import make_course

    course = Course(make_course(tmp_path / "course"))
    roster = tmp_path / "roster.csv"
    roster.write_text(roster_text, encoding="utf-8")
    import_roster(course, roster)
    upload = tmp_path / "lms.zip"
    upload.write_bytes(_zip(entries))
    return collect(course, "tiny", upload, dry_run=True)


CANVAS_ROSTER = ("Student,ID,SIS User ID,SIS Login ID,Section\n"
                 '"García-López, María",12351,9001,mgarcia,A\n'
                 "\"O'Brien, Seán\",12346,9002,sobrien,A\n")


def test_a_notebook_in_a_students_zip_is_that_students_whatever_its_name(tmp_path):
    """María's upload (a zip) holds a notebook named like Seán's Canvas download: it is
    María's submission, and Seán's own file stays his (issue 21 hostile review: the inner name
    was read as an identity and replaced or blocked the classmate's submission)."""
    forged = "obrienseán_12346_999999999_tiny.ipynb"
    result = _collect_with_roster(tmp_path, CANVAS_ROSTER, {
        "garcia-lopezmaria_12351_880007_tiny.zip": _zip({forged: NOTEBOOK}),
        "obrienseán_12346_880002_tiny.ipynb": NOTEBOOK.replace("{}", '{"who": "sean"}'),
    })
    assert sorted(result.added) == ["submitted/mgarcia/tiny/tiny.ipynb",
                                    "submitted/sobrien/tiny/tiny.ipynb"], result
    assert not result.unmatched and not result.warnings, result

    # without Seán's own file, the forged name still gives Seán nothing
    result = _collect_with_roster(tmp_path / "again", CANVAS_ROSTER, {
        "garcia-lopezmaria_12351_880007_tiny.zip": _zip({forged: NOTEBOOK})})
    assert result.added == ["submitted/mgarcia/tiny/tiny.ipynb"], result


def test_a_folder_inside_a_students_zip_names_nobody(tmp_path):
    roster = "id,first_name,last_name,email\nmgarcia,María,García,\nsobrien,Seán,OBrien,\n"
    result = _collect_with_roster(tmp_path, roster, {
        "mgarcia/tiny.zip": _zip({"sobrien/tiny.ipynb": NOTEBOOK}),
        "sobrien/tiny.ipynb": NOTEBOOK.replace("{}", '{"who": "sean"}'),
    })
    assert sorted(result.added) == ["submitted/mgarcia/tiny/tiny.ipynb",
                                    "submitted/sobrien/tiny/tiny.ipynb"], result


def test_collect_command_defaults_are_the_archive_limits():
    """`dlcourse collect --help` shows the limits unpack_zip applies when none is given: the CLI
    writes them as numbers (importing the limits at start-up would cost nbgrader's import)."""
    from dlgrade.cli import collect

    shown = {p.name: p.default for p in collect.params}
    limits = ArchiveLimits()
    assert shown["max_notebook_mb"] * MB == limits.max_notebook_bytes
    assert shown["max_total_mb"] * MB == limits.max_total_bytes
