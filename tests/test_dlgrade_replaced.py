"""The store of replaced submissions (:mod:`dlgrade.replaced`): what is kept, how many, and
what comes back. The command that uses it, `dlcourse collect --revert`, is tested through the
real CLI in tests/test_term.py."""

from __future__ import annotations

import json
import os

from dlgrade import replaced
from dlgrade.course import Course


def _course(tmp_path) -> Course:
    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\n")
    return Course(tmp_path)


def _hand_in(course: Course, text: str, stamp: str) -> None:
    folder = course.submitted_dir / "ann" / "tiny"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "tiny.ipynb").write_text(text)
    (folder / "timestamp.txt").write_text(stamp)
    os.utime(folder / "tiny.ipynb", (1_700_000_000, 1_700_000_000))


def test_the_last_few_are_kept_and_the_latest_comes_back_whole(tmp_path):
    course = _course(tmp_path)
    assert replaced.latest(course, "tiny", "ann") is None
    for i in range(replaced.KEEP + 2):
        _hand_in(course, f"notebook {i}", f"2026-12-0{i + 1} 10:00:00.000000 UTC\n")
        replaced.keep(course, "tiny", "ann", {"n": i})
    folder = replaced.student_folder(course, "tiny", "ann")
    kept = sorted(int(p.name) for p in folder.iterdir())
    assert kept == list(range(3, replaced.KEEP + 3)), kept  # the oldest two dropped
    entry, meta = replaced.latest(course, "tiny", "ann")
    assert meta == {"n": replaced.KEEP + 1}

    _hand_in(course, "a resubmission", "2026-12-09 10:00:00.000000 UTC\n")
    (course.submitted_dir / "ann/tiny/extra.txt").write_text("only in the resubmission")
    replaced.put_back(course, entry, "tiny", "ann")
    back = course.submitted_dir / "ann/tiny"
    assert sorted(p.name for p in back.iterdir()) == ["timestamp.txt", "tiny.ipynb"]
    assert (back / "tiny.ipynb").read_text() == f"notebook {replaced.KEEP + 1}"
    assert (back / "timestamp.txt").read_text() == \
        f"2026-12-0{replaced.KEEP + 2} 10:00:00.000000 UTC\n"
    assert (back / "tiny.ipynb").stat().st_mtime == 1_700_000_000  # when it was collected
    assert not entry.exists()
    assert replaced.latest(course, "tiny", "ann")[1] == {"n": replaced.KEEP}
    assert not list(back.parent.glob(".*"))  # no half-written folder left beside it


def test_a_revert_keeps_first_and_prunes_after_the_put_back(tmp_path):
    """Review 23m, finding 3: with :data:`replaced.KEEP` kept, keeping the current notebook
    without pruning, putting the newest back and pruning then loses none of the others."""
    course = _course(tmp_path)
    for i in range(replaced.KEEP + 1):
        _hand_in(course, f"notebook {i}", f"2026-12-0{i + 1} 10:00:00.000000 UTC\n")
        if i < replaced.KEEP:
            replaced.keep(course, "tiny", "ann", {"n": i})
    entry, meta = replaced.latest(course, "tiny", "ann")
    replaced.keep(course, "tiny", "ann", {"n": replaced.KEEP}, prune=False)
    replaced.put_back(course, entry, "tiny", "ann")
    replaced.drop_oldest(course, "tiny", "ann")
    folder = replaced.student_folder(course, "tiny", "ann")
    kept = sorted((p for p in folder.iterdir()), key=lambda p: int(p.name))
    assert [json.loads((p / "meta.json").read_text())["n"] for p in kept] == [0, 1, 3]
    assert (course.submitted_dir / "ann/tiny/tiny.ipynb").read_text() == "notebook 2"
