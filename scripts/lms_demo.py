"""The instructors' guide's round trip: a demo course and LMS files, and the report screenshot.

    python scripts/lms_demo.py setup DIR        # DIR/course (tiny assignment), DIR/roster.csv,
                                                # DIR/emails.csv, DIR/submissions.zip (Canvas)
    python scripts/lms_demo.py screenshot DIR   # docs/images/copied_work.png from
                                                # DIR/course/grading/tiny/report.html

The files are the ones tests/test_lms_roundtrip.py builds (same roster, same Canvas zip:
one late submission, one to extend, one missing, a copied pair with renamed variables and a
stranger's file). Between the two steps, run the commands the guide shows in DIR/course.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))


def setup(folder: Path) -> None:
    import nbformat

    from dlgrade.course import make_course
    from tests.submissions.crafted import TINY_CONFIG
    from tests.test_lms_roundtrip import CANVAS_ROSTER, EMAILS, canvas_zip, course_notebook

    folder.mkdir(parents=True, exist_ok=True)
    course = make_course(folder / "course", TINY_CONFIG.format(timeout=20, extra=""),
                         {"tiny": course_notebook()})
    (folder / "roster.csv").write_text(CANVAS_ROSTER)
    (folder / "emails.csv").write_text("id,first_name,last_name,email\n" + "".join(
        f"{s},{s.title()},{ln},{e}\n"
        for (s, e), ln in zip(EMAILS.items(), ["Archer", "Dunn"], strict=True)))
    # the release notebook is what students download; release it once to build the zip
    from dlgrade.course import run_nbgrader

    run_nbgrader(course, "generate_assignment", "tiny", "--force", "--log-level=WARN")
    release = nbformat.read(course / "exercises/tiny/tiny.ipynb", as_version=4)
    canvas_zip(folder / "submissions.zip", release)
    (course / "gradebook.db").unlink()  # the guide starts from an empty gradebook
    print(f"course {course}\nroster {folder / 'roster.csv'}\nzip    {folder / 'submissions.zip'}")


def screenshot(folder: Path, out: Path) -> None:
    from browser_support import CHROMIUM, CHROMIUM_ARGS
    from playwright.sync_api import sync_playwright

    report = folder / "course" / "grading" / "tiny" / "report.html"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1000, "height": 900})
        page.goto(report.as_uri())
        top, bottom = page.evaluate(
            "() => { const y = e => e.getBoundingClientRect().top + window.scrollY;"
            " const t = document.querySelector('table.copies');"
            " return [y(document.getElementById('copied-work')),"
            " y(t) + t.getBoundingClientRect().height]; }")
        page.screenshot(path=str(out), full_page=True,
                        clip={"x": 0, "y": top - 10, "width": 1000, "height": bottom - top + 20})
        browser.close()
    print(f"wrote {out}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("step", choices=["setup", "screenshot"])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images" / "copied_work.png")
    args = parser.parse_args(argv)
    if args.step == "setup":
        setup(args.folder)
    else:
        screenshot(args.folder, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
