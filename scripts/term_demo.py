"""The course folder and LMS files behind the guide's section "A term with dlcourse".

    python scripts/term_demo.py setup DIR   # DIR/course (tiny assignment with a written answer),
                                            # DIR/roster.csv (Canvas), DIR/submissions.zip,
                                            # DIR/resubmission.zip, DIR/resubmission-mgarcia.zip

The roster has names Canvas writes with a hyphen, an apostrophe and accents; the Canvas zip
holds a late file, an empty one (an upload that failed) and one of a student who left the
course. ``resubmission.zip`` is the download after anguyen uploaded again (the guide's "One
student again"), ``resubmission-mgarcia.zip`` the one after mgarcia uploaded a changed
written answer ("A changed answer", run in a second copy of the course). Then run the
commands the guide shows in DIR/course. :data:`DOWNLOADS` names every file the guide's
commands read; a test checks that the guide names no other.
"""

from __future__ import annotations

import argparse
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ROSTER = """\
Student,ID,SIS User ID,SIS Login ID,Section,Notebook 2 (778)
    Points Possible,,,,,6
"García-López, María",12351,9351,mgarcia,Lab A,
"O'Brien, Seán",12346,9346,sobrien,Lab B,
"Nguyen, An",12348,9348,anguyen,Lab B,
"""


#: the files beside DIR/course that the guide's section 7 reads (``../NAME``)
DOWNLOADS = ("roster.csv", "submissions.zip", "times.csv", "resubmission.zip",
             "resubmission-mgarcia.zip")


def _zip(path: Path, files: dict) -> None:
    """A Canvas download: ``{name: (text, wall-clock time)}`` (Canvas stamps each entry)."""
    with zipfile.ZipFile(path, "w") as zf:
        for name, (text, when) in files.items():
            info = zipfile.ZipInfo(name, date_time=when)
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, text)


def setup(folder: Path) -> None:
    import nbformat

    from dlgrade.course import make_course, run_nbgrader
    from tests.submissions.crafted import TINY_CONFIG
    from tests.test_term import answered, course_notebook

    folder.mkdir(parents=True, exist_ok=True)
    course = make_course(folder / "course", TINY_CONFIG.format(timeout=20, extra=""),
                         {"tiny": course_notebook()})
    (folder / "roster.csv").write_text(ROSTER, encoding="utf-8")
    run_nbgrader(course, "generate_assignment", "tiny", "--force", "--log-level=WARN")
    release = nbformat.read(course / "exercises/tiny/tiny.ipynb", as_version=4)
    files = {
        "garcia-lopezmaria_12351_880007_tiny.ipynb": (
            answered(release, "Where sigmoid(w.x + b) = 0.5, i.e. on the line w.x + b = 0."),
            (2026, 12, 1, 15, 0, 0)),
        "obrienseán_LATE_12346_880002_tiny-1.ipynb": (
            answered(release, "In the middle of the data."), (2026, 12, 2, 9, 30, 0)),
        "nguyenan_12348_880004_tiny.ipynb": ("", (2026, 12, 1, 20, 0, 0)),
        "formerstudent_12399_880009_tiny.ipynb": (answered(release, "?"),
                                                  (2026, 12, 1, 12, 0, 0)),
    }
    _zip(folder / "submissions.zip", files)
    # sobrien's submission time as Canvas's SpeedGrader shows it (the course's zone): a
    # Canvas download holds none, its entries are when each was zipped
    (folder / "times.csv").write_text("student,submitted_at\nsobrien,2026-12-02 09:30\n",
                                      encoding="utf-8")
    # Canvas's download after the second uploads: a higher file id, the "-1" of a second
    # upload, Berlin's wall clock (the course's zone) in the entry
    _zip(folder / "resubmission.zip", {"nguyenan_12348_880030_tiny-1.ipynb": (
        answered(release, "Where w.x + b = 0: there sigmoid(w.x + b) = 0.5."),
        (2026, 12, 1, 21, 40, 0))})
    _zip(folder / "resubmission-mgarcia.zip", {"garcia-lopezmaria_12351_880031_tiny-1.ipynb": (
        answered(release, "On the line w.x + b = 0, where the model says 0.5 for both."),
        (2026, 12, 1, 21, 10, 0))})


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("step", choices=["setup"])
    parser.add_argument("folder", type=Path)
    args = parser.parse_args(argv)
    setup(args.folder)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
