"""dlgrade.safe_files: a submission folder is read as data, never followed or opened blindly.

Fast tests on real files, links, pipes and (as root) device nodes in a temporary folder.
"""

from __future__ import annotations

import os
import stat

import pytest

from dlgrade import safe_files
from dlgrade.safe_files import FilePolicy, read_folder, read_regular, sanitize_folder, survey


@pytest.fixture
def unprotected(monkeypatch):
    """As on a machine with ``fs.protected_hardlinks = 0``: a hard link may be anybody's file."""
    monkeypatch.setattr(safe_files, "hard_links_protected", lambda: False)


@pytest.fixture
def hostile(tmp_path, unprotected):
    """A submission folder with one of each thing a student (or an archive) can leave."""
    secret = tmp_path / "solutions.ipynb"
    secret.write_text("the instructor's solutions")
    sub = tmp_path / "sub"
    (sub / "data").mkdir(parents=True)
    (sub / "hw.ipynb").write_text("{}")
    (sub / "helper.py").write_text("x = 1\n")
    (sub / "data" / "points.csv").write_text("1,2\n")
    (sub / "notes.txt").symlink_to(secret)
    (sub / "env.txt").symlink_to("/proc/self/environ")
    (sub / "linked_dir").symlink_to(tmp_path)
    os.link(secret, sub / "copy.txt")
    os.mkfifo(sub / "pipe.csv")
    (sub / "big.npy").write_bytes(b"\0" * (6 << 20))
    (sub / "module.so").write_bytes(b"\x7fELF")
    return tmp_path, sub


def _reasons(refused) -> dict:
    return {r.path: r.reason for r in refused}


def test_survey_accepts_plain_allowed_files_only(hostile):
    _, sub = hostile
    found = survey(sub)
    assert sorted(found.accepted) == ["data/points.csv", "helper.py", "hw.ipynb"]
    why = _reasons(found.refused)
    assert why["notes.txt"].startswith("a symbolic link (to ") and "solutions.ipynb" in \
        why["notes.txt"]
    assert why["env.txt"] == "a symbolic link (to /proc/self/environ)"
    assert why["linked_dir"].startswith("a symbolic link")
    assert why["copy.txt"].startswith("a hard link (the same file has 2 names")
    assert why["pipe.csv"] == "a named pipe (FIFO)"
    assert "over the limit of 5.0 MB per file" in why["big.npy"]
    assert why["module.so"].startswith("not on the list of files allowed")
    assert len(why) == 7


def test_read_folder_returns_bytes_of_accepted_files_and_never_blocks_on_the_pipe(hostile):
    _, sub = hostile
    files, refused = read_folder(sub)
    assert files == {"hw.ipynb": b"{}", "helper.py": b"x = 1\n", "data/points.csv": b"1,2\n"}
    assert {r.path for r in refused} >= {"notes.txt", "env.txt", "pipe.csv", "copy.txt"}
    assert not any(b"solutions" in v for v in files.values())


def test_sanitize_removes_the_names_never_the_targets(hostile):
    tmp, sub = hostile
    refused = sanitize_folder(sub)
    assert len(refused) == 7
    assert sorted(p.name for p in sub.iterdir()) == ["data", "helper.py", "hw.ipynb"]
    assert (tmp / "solutions.ipynb").read_text() == "the instructor's solutions"
    assert (tmp / "solutions.ipynb").stat().st_nlink == 1
    assert survey(sub).refused == []


def test_a_linked_submission_folder_is_refused_whole(tmp_path):
    real = tmp_path / "real"
    real.mkdir()
    (real / "hw.ipynb").write_text("{}")
    (tmp_path / "link").symlink_to(real)
    found = survey(tmp_path / "link")
    assert found.accepted == {}
    assert found.refused[0].path == "." and "symbolic link" in found.refused[0].reason
    sanitize_folder(tmp_path / "link")
    assert not os.path.lexists(tmp_path / "link") and (real / "hw.ipynb").exists()


def test_counts_total_size_and_depth_are_capped(tmp_path):
    policy = FilePolicy(max_files=3, max_total_bytes=250, max_depth=1)
    for i in range(5):
        (tmp_path / f"f{i}.txt").write_bytes(b"x" * 100)
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "deep.txt").write_text("deep")
    found = survey(tmp_path, policy)
    assert sorted(found.accepted) == ["f0.txt", "f1.txt"]
    why = _reasons(found.refused)
    assert why["a/b/"] == "a folder nested deeper than 1 levels"
    assert "in all" in why["f2.txt"]
    policy = FilePolicy(max_files=2)
    assert "over the limit of 2 files" in _reasons(survey(tmp_path, policy).refused)["f2.txt"]


def test_read_regular_refuses_links_pipes_and_oversize(tmp_path, unprotected):
    target = tmp_path / "t.txt"
    target.write_text("hello")
    (tmp_path / "l.txt").symlink_to(target)
    os.mkfifo(tmp_path / "p")
    assert read_regular(target, 10) == b"hello"
    with pytest.raises(safe_files.UnsafeFile, match="without following links"):
        read_regular(tmp_path / "l.txt", 10)
    with pytest.raises(safe_files.UnsafeFile, match="named pipe"):
        read_regular(tmp_path / "p", 10)
    with pytest.raises(safe_files.UnsafeFile, match="over the limit"):
        read_regular(target, 3)
    other = tmp_path / "u.txt"
    other.write_text("other")
    with pytest.raises(safe_files.UnsafeFile, match="replaced"):
        read_regular(target, 10, expected=os.lstat(other))


@pytest.mark.skipif(os.geteuid() != 0, reason="creating a device node needs root")
def test_a_device_node_is_refused_without_being_opened(tmp_path):
    os.mknod(tmp_path / "zero.npy", 0o600 | stat.S_IFCHR, os.makedev(1, 5))  # /dev/zero
    assert _reasons(survey(tmp_path).refused) == {"zero.npy": "a device file"}
    with pytest.raises(safe_files.UnsafeFile, match="device"):
        read_regular(tmp_path / "zero.npy", 10)


def test_trusted_folders_with_a_link_are_an_instructor_error(tmp_path):
    (tmp_path / "data.pkl").write_bytes(b"ok")
    assert safe_files.read_trusted(tmp_path) == {"data.pkl": b"ok"}
    (tmp_path / "x.csv").symlink_to("/etc/hostname")
    with pytest.raises(ValueError, match=r"folder: .* x\.csv: a symbolic link"):
        safe_files.read_trusted(tmp_path)


def test_refusals_become_a_finding_in_the_result():
    refused = [safe_files.Refusal("notes.txt", "a symbolic link (to /x)")]
    out = safe_files.add_to_result({"status": "graded", "reason": "", "score": 5}, refused)
    assert out["status"] == "needs manual grading" and out["score"] == 5
    assert out["reason"] == "files handed in were not copied: notes.txt: a symbolic link (to /x)"
    failed = safe_files.add_to_result({"status": "failed", "reason": "timed out"}, refused)
    assert failed["status"] == "failed" and failed["reason"].endswith("; timed out")
    assert safe_files.add_to_result({"status": "graded"}, []) == {"status": "graded"}


def test_a_students_hard_link_to_a_course_file_does_not_block_the_course(tmp_path):
    (tmp_path / "source.ipynb").write_text("{}")
    os.link(tmp_path / "source.ipynb", tmp_path.parent / f"{tmp_path.name}-student-link")
    assert safe_files.read_trusted(tmp_path) == {"source.ipynb": b"{}"}


def test_leftover_folders_are_skipped_for_copies_but_cleaned_for_nbgrader(tmp_path):
    """nbgrader copies ``__MACOSX`` (it ignores only checkpoints and caches): a link hidden
    there must go before nbgrader copies the folder. For the grader's own copies the folder's
    plain files are skipped, but the link is a refusal (a finding), not a silent drop."""
    sub = tmp_path / "sub"
    (sub / "__MACOSX").mkdir(parents=True)
    (sub / "hw.ipynb").write_text("{}")
    (sub / "__MACOSX" / "notes.txt").symlink_to("/proc/self/environ")
    (sub / "__MACOSX" / "._hw.ipynb").write_text("resource fork")
    (sub / "__pycache__" / "deeper").mkdir(parents=True)
    (sub / "__pycache__" / "helper.cpython-311.pyc").write_bytes(b"\0")
    (sub / "__pycache__" / "deeper" / "x.txt").symlink_to("/etc/passwd")
    files, refused = read_folder(sub)
    assert files == {"hw.ipynb": b"{}"}
    assert _reasons(refused) == {"__MACOSX/notes.txt": "a symbolic link (to /proc/self/environ)",
                                 "__pycache__/deeper/x.txt": "a symbolic link (to /etc/passwd)"}
    os.unlink(sub / "__pycache__" / "deeper" / "x.txt")
    refused = sanitize_folder(sub)  # judged like any folder: the .pyc is not on the list
    assert [r.path for r in refused] == ["__MACOSX/notes.txt",
                                         "__pycache__/helper.cpython-311.pyc"]
    assert not os.path.lexists(sub / "__MACOSX" / "notes.txt")


def test_a_linked_student_folder_is_refused(tmp_path):
    real = tmp_path / "solutions"
    (real / "hw").mkdir(parents=True)
    (real / "hw" / "hw.ipynb").write_text("{}")
    (tmp_path / "mallory").symlink_to(real)
    files, refused = read_folder(tmp_path / "mallory" / "hw")
    assert files == {} and "student's folder above it is a symbolic link" in refused[0].reason


def test_the_notebook_is_taken_before_the_count_cap(tmp_path):
    """Review 21b, hole 9: files that sort before the notebook do not use up the cap."""
    for i in range(60):
        (tmp_path / f"m{i:02d}.py").write_text("x = 1\n")
    (tmp_path / "tiny.ipynb").write_text("{}")
    found = survey(tmp_path, FilePolicy(max_files=50))
    assert "tiny.ipynb" in found.accepted and len(found.accepted) == 50
    assert len(found.refused) == 11
    # the total is counted in the same order: the notebook first
    found = survey(tmp_path, FilePolicy(max_total_bytes=2 + 6 * 3))
    assert sorted(found.accepted) == ["m00.py", "m01.py", "m02.py", "tiny.ipynb"]


def test_nbgraders_timestamp_is_no_file_handed_in(tmp_path):
    """Review 23c, N1: collect's ``timestamp.txt`` is taken and never counted against the
    student's 50 files (nor named as a refused file); a second one deeper down counts."""
    for i in range(60):
        (tmp_path / f"00_data_{i:02d}.csv").write_text("1\n")
    (tmp_path / "tiny.ipynb").write_text("{}")
    (tmp_path / "timestamp.txt").write_text("2026-12-01 12:00:00.000000 UTC\n")
    found = survey(tmp_path, FilePolicy(max_files=50))
    assert "timestamp.txt" in found.accepted and "tiny.ipynb" in found.accepted
    assert len(found.accepted) == 51 and len(found.refused) == 11
    assert all(r.path.startswith("00_data_") for r in found.refused)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "timestamp.txt").write_text("x")
    found = survey(tmp_path, FilePolicy(max_files=50))
    assert "sub/timestamp.txt" in {r.path for r in found.refused}


def test_a_status_names_twenty_refusals_and_counts_the_rest():
    refused = [safe_files.Refusal(f"m{i}.py", "over the limit of 50 files") for i in range(5000)]
    result = safe_files.add_to_result({"status": "graded", "score": 5.0}, refused)
    assert result["status"] == "needs manual grading"
    assert result["reason"].endswith("m19.py: over the limit of 50 files; and 4980 more files")
    assert len(result["reason"]) < 400 and len(result["refused_files"]) == 2


def test_a_refused_notebook_is_the_reason_of_the_failure_not_an_internal_error():
    refused = [safe_files.Refusal("tiny.ipynb", "a symbolic link (to /srv/x)")]
    failed = {"status": "failed", "reason": "the grader stopped with an internal error: No "
                                            "notebooks were matched (details in the log)"}
    result = safe_files.add_to_result(failed, refused)
    assert result["reason"] == ("files handed in were not copied: tiny.ipynb: a symbolic link "
                                "(to /srv/x); the notebook tiny.ipynb was not copied, so "
                                "nothing could be graded")


def test_hard_links_are_plain_files_where_the_kernel_protects_them(tmp_path, monkeypatch):
    """Review 21g, HL: with ``fs.protected_hardlinks = 1`` nobody can link a file they could not
    read, so an instructor's ``cp -al`` backup must not cost the student the file."""
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "data.csv").write_text("1,2\n")
    os.link(tmp_path / "sub" / "data.csv", tmp_path / "backup.csv")
    monkeypatch.setattr(safe_files, "hard_links_protected", lambda: True)
    assert read_folder(tmp_path / "sub") == ({"data.csv": b"1,2\n"}, [])
    monkeypatch.setattr(safe_files, "hard_links_protected", lambda: False)
    files, refused = read_folder(tmp_path / "sub")
    assert files == {} and "fs.protected_hardlinks = 0" in refused[0].reason
    with pytest.raises(safe_files.UnsafeFile, match="protected_hardlinks = 0"):
        read_regular(tmp_path / "sub" / "data.csv", 10)


def test_the_kernel_setting_is_read_from_proc():
    with open(safe_files.PROTECTED_HARDLINKS) as f:
        assert safe_files.hard_links_protected() is (f.read().strip() == "1")


def test_before_autograde_deletes_no_data_and_nbgrader_copies_none_of_the_refused(tmp_path,
                                                                                   monkeypatch):
    """Review 21g, DEL: refused files and folders stay in submitted/ and are left out of
    nbgrader's own copy (its real ``find_all_files`` with the converter's ``ignore``); only a
    link and a pipe (no data of their own) are removed; the next submission starts clean."""
    from nbgrader.coursedir import CourseDirectory
    from nbgrader.utils import find_all_files

    coursedir = CourseDirectory()
    monkeypatch.setattr(safe_files, "_coursedir", lambda: coursedir)
    defaults = list(coursedir.ignore)
    sub = tmp_path / "submitted" / "ann" / "hw"
    (sub / "data" / "a" / "b" / "c" / "d").mkdir(parents=True)
    kept = {"hw.ipynb": b"{}", "report.pdf": b"%PDF", "[draft]*.h5": b"HDF",
            "data/a/b/c/d/e.csv": b"1\n", "data/points.csv": b"2\n"}
    for rel, data in kept.items():
        (sub / rel).write_bytes(data)
    (sub / "notes.txt").symlink_to("/etc/hostname")
    os.mkfifo(sub / "pipe.csv")
    safe_files.before_autograde("hw", "ann", [str(sub / "hw.ipynb")])
    for rel, data in kept.items():
        assert (sub / rel).read_bytes() == data, rel
    assert not os.path.lexists(sub / "notes.txt") and not os.path.lexists(sub / "pipe.csv")
    copied = find_all_files(str(sub), coursedir.ignore + ["*.ipynb"])
    assert [os.path.relpath(f, sub) for f in copied] == ["data/points.csv"]
    other = tmp_path / "submitted" / "bob" / "hw"
    other.mkdir(parents=True)
    (other / "hw.ipynb").write_text("{}")
    safe_files.before_autograde("hw", "bob", [str(other / "hw.ipynb")])
    assert coursedir.ignore == defaults


def test_only_a_refused_notebook_stops_the_grading(tmp_path):
    """RefuseUnsafeSubmissions fails a submission for its notebook only (a pdf beside it is
    just not copied), with the reason, and deletes nothing."""
    (tmp_path / "hw.ipynb").write_text("{}")
    (tmp_path / "report.pdf").write_bytes(b"%PDF")
    step = safe_files.RefuseUnsafeSubmissions()
    resources = {"metadata": {"path": str(tmp_path)}}
    assert step.preprocess("nb", resources) == ("nb", resources)
    (tmp_path / "hw.ipynb").write_bytes(b" " * (51 << 20))
    with pytest.raises(RuntimeError, match=r"hw\.ipynb: 51\.0 MB, over the limit of 50\.0 MB"):
        step.preprocess("nb", resources)
    assert (tmp_path / "hw.ipynb").stat().st_size == 51 << 20
    assert (tmp_path / "report.pdf").exists()
