"""Late penalties on the whole score, hand grades included (review 23c, F1), through the real
``dlcourse`` command on a real scratch course: ``grade`` (nbgrader's autograde, whose
``AssignLatePenalties`` sees the automatic points only), ``mark``, a ``--force`` regrade that
puts the hand grade back, a hand grade set in the gradebook as formgrader sets it followed by
``report``, and the export. The exported score is always the policy applied to the
total (5 automatic points plus the written answer's hand points)."""

from __future__ import annotations

import csv
from pathlib import Path

import nbformat
import pytest

from dlgrade.course import make_course as make_dlgrade_course
from tests.submissions.crafted import TINY_CONFIG, dlcourse, submit
from tests.test_term import WRITTEN, answered, course_notebook, grade, rows

pytestmark = pytest.mark.slow


def exported_score(course: Path, student: str) -> str:
    """The student's score in ``dlcourse export --format csv`` (no LMS roster needed; the
    Canvas and Moodle plugins read the same gradebook score less penalty)."""
    out = course / "export.csv"
    proc = dlcourse("export", "tiny", "--format", "csv", "-o", out, cwd=course)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    with open(out, newline="") as f:
        return next(r["score"] for r in csv.DictReader(f) if r["student"] == student)


def set_by_formgrader(course: Path, score: float) -> None:
    """What nbgrader's formgrader does when a score is typed in: the manual score, and the
    cell no longer waits."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "tiny-course") as gb:
        grade_ = gb.find_grade(WRITTEN, "tiny", "tiny", "ann")
        grade_.manual_score, grade_.needs_manual_grade = score, False
        gb.db.commit()


def late_course(course_dir, name: str) -> Path:
    """ann hands in 9.5 h after the due date; her functions are right (5 points) and her
    written answer (1 point) waits for a hand grade."""
    course = make_dlgrade_course(Path(course_dir) / name, TINY_CONFIG.format(
        timeout=20, extra=""), {"tiny": course_notebook()})
    dlcourse("release", "tiny", "--due", "2026-12-01 12:00", "--timezone", "UTC", cwd=course)
    release = nbformat.read(course / "exercises/tiny/tiny.ipynb", as_version=4)
    path = submit(course, "tiny", "ann", answered(release, "Where w.x + b = 0."))
    (path.parent / "timestamp.txt").write_text("2026-12-01 21:30:00.000000 UTC")
    return course


def check(course: Path, score: str, penalty: str) -> None:
    """grades.csv, the export, and the gradebook the LMS exporters (and nbgrader's own
    export) read: score less penalty, with the penalty on the whole score."""
    from nbgrader.api import Gradebook

    row = rows(course)["ann"]
    assert (row["score"], row["penalty"]) == (score, penalty), row
    assert exported_score(course, "ann") == score
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "tiny-course") as gb:
        sub = gb.find_submission("tiny", "ann")
        assert float(sub.late_submission_penalty) == pytest.approx(float(penalty))
        assert float(sub.score) - float(sub.late_submission_penalty) == pytest.approx(
            float(score))


def test_zero_means_zero_with_a_hand_grade(course_dir):
    course = late_course(course_dir, "zero")
    policy = ("--late-policy", "zero")
    grade(course, *policy)
    check(course, "0", "5")
    proc = dlcourse("mark", "tiny", "ann", WRITTEN, "1", cwd=course)
    # was "ann: ... 1; tiny 1/6 after a late penalty of 5": the written point escaped
    assert f"ann: {WRITTEN} 1; tiny 0/6 after a late penalty of 6, graded" in proc.stdout, \
        proc.stdout
    check(course, "0", "6")
    grade(course, "--force", *policy)  # the hand grade is put back, and penalised
    check(course, "0", "6")


def test_a_per_hour_policy_takes_its_share_of_the_whole_score(course_dir):
    course = late_course(course_dir, "perhour")
    policy = ("--late-policy", "10%/h:50%")  # 10 started hours: capped at 50 %
    grade(course, *policy)
    check(course, "2.5", "2.5")
    proc = dlcourse("mark", "tiny", "ann", WRITTEN, "1", cwd=course)
    assert "tiny 3/6 after a late penalty of 3, graded" in proc.stdout, proc.stdout
    check(course, "3", "3")
    grade(course, "--force", *policy)
    check(course, "3", "3")
    # a hand grade changed in formgrader: the next report charges the penalty on the total
    set_by_formgrader(course, 0.5)
    dlcourse("report", "tiny", cwd=course)
    check(course, "2.75", "2.75")


def pasted_sigmoid(release) -> str:
    """The release notebook answered right, its sigmoid the package's own pasted in (the
    package-copy check flags it; the points are kept)."""
    import inspect

    from dlcourse import activations

    nb = nbformat.reads(answered(release, "Where w.x + b = 0."), as_version=4)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "sigmoid":
            cell.source = ("import numpy as np\n\n" + inspect.getsource(activations._out)
                           + "\n\n" + inspect.getsource(activations.sigmoid))
    return nbformat.writes(nb)


def test_the_late_policy_is_remembered_per_assignment(course_dir):
    """Review 23j, findings 1, 4, 5: `grade --late-policy` is remembered for the assignment,
    so a later `grade --student`, `mark`, `mark --reviewed` and `extend` keep the penalty
    without it (and say so once); a course graded before (nothing remembered) adopts the
    policy its records share at the next command; `--late-policy none` removes it, and the
    "settings changed" count names only students graded before (not a failed one)."""
    course = late_course(course_dir, "remembered")  # ann 9.5 h late
    (course / "submitted/ann/tiny/timestamp.txt").write_text("2026-12-01 13:30:00.000000 UTC")
    release = nbformat.read(course / "exercises/tiny/tiny.ipynb", as_version=4)
    for student, text, when in (("bob", answered(release, "Where w.x + b = 0."), "11:00"),
                                ("cem", "", "11:00"),  # an empty file: fails
                                ("dan", pasted_sigmoid(release), "13:10")):
        path = submit(course, "tiny", student, text)
        (path.parent / "timestamp.txt").write_text(f"2026-12-01 {when}:00.000000 UTC")
    kept = ("late policy of tiny: 10%/h:50% (remembered; `--late-policy config` goes back to "
            "nbgrader_config.py's, none)")

    def run(*args, code=0) -> str:
        proc = dlcourse(*args, cwd=course, check=False)
        assert proc.returncode == code, proc.stdout + proc.stderr
        return proc.stdout + proc.stderr

    out = run("grade", "tiny", "--no-progress", "--late-policy", "10%/h:50%", code=2)
    assert ("late policy of tiny: 10%/h:50% (remembered for later commands; `--late-policy "
            "config` goes back to nbgrader_config.py's, none)\n") in out, out
    marked = {s: run("mark", "tiny", s, WRITTEN, "1") for s in ("ann", "bob", "dan")}
    assert marked["ann"] == (f"{kept}\nann: {WRITTEN} 1; tiny 4.8/6 after a late penalty of "
                             "1.2, graded\n"), marked  # 2 started hours late: 20 %
    assert marked["bob"] == f"bob: {WRITTEN} 1; tiny 6/6, graded\n", marked  # on time
    # the appeal without --late-policy keeps the class's policy
    out = run("grade", "tiny", "--no-progress", "--student", "ann")
    assert f"{kept}\n" in out and "settings changed" not in out, out
    assert (rows(course)["ann"]["score"], rows(course)["ann"]["penalty"]) == ("4.8", "1.2")
    # mark --reviewed counts a time changed by hand and says so (finding 5): dan (3 points,
    # his pasted sigmoid fails its tests) at 15:30 is 4 started hours late, 40 %
    (course / "submitted/dan/tiny/timestamp.txt").write_text("2026-12-01 15:30:00.000000 UTC")
    out = run("mark", "tiny", "dan", "--reviewed")
    assert "; tiny 1.8/6 after a late penalty of 1.2, graded\n" in out, out
    assert "  dan: late penalty re-applied: tiny 2.4 -> 1.8 points\n" in out, out
    out = run("extend", "tiny", "ann", "--hours", "1")  # half an hour late: 10 %
    assert out == ("ann: 1 h extension on tiny\n"
                   f"  {kept}\n"
                   "  ann: late penalty re-applied: tiny 4.8 -> 5.4 points\n"), out
    # a course graded before policies were remembered: the records' one is adopted
    policy_file = course / "grading/tiny/late_policy.json"
    policy_file.unlink()
    out = run("export", "tiny", "--format", "csv", "-o", course / "export.csv")
    assert ("late policy of tiny: 10%/h:50%, the policy its graded students were graded under "
            "(now remembered; `--late-policy config` goes back to nbgrader_config.py's, "
            "none)") in out, out
    assert policy_file.exists()
    out = run("grade", "tiny", "--no-progress", "--student", "dan")
    assert kept in out and rows(course)["dan"]["score"] == "1.8", out
    # none replaces it: said, and every graded student (not cem, who failed) graded again
    out = run("grade", "tiny", "--no-progress", "--late-policy", "none", code=2)
    assert ("late policy of tiny: 10%/h:50% -> none (remembered; `--late-policy config` goes "
            "back to nbgrader_config.py's, none)\n") in out, out
    assert ("tiny: grading settings changed (late policy 10%/h:50% -> none): 3 graded before "
            "graded again\n") in out, out
    assert policy_file.read_text() == '{"late_policy": "none"}\n'
    assert (rows(course)["ann"]["score"], rows(course)["dan"]["score"]) == ("6", "3")
    out = run("grade", "tiny", "--no-progress", code=2)
    assert ("late policy of tiny: none (remembered; `--late-policy config` goes back to "
            "nbgrader_config.py's, none)\n") in out and "tiny: 0 graded" in out, out


#: a course whose nbgrader_config.py has a policy of its own: 5 % per started hour, at most 30 %
CONFIG_POLICY = ('c.AssignLatePenalties.plugin_class = "dlgrade.late.PerHourPenalty"\n'
                 "c.PerHourPenalty.per_hour = 0.05\nc.PerHourPenalty.cap = 0.3")


def test_none_means_no_penalty_and_config_gives_the_configuration_back(course_dir):
    """Review 23k, finding 6: with a policy in nbgrader_config.py, `--late-policy none` said
    "no longer remembered: later commands use nbgrader_config.py's, 5%/h:50%", yet `mark` gave
    no penalty, the next bare `grade` adopted `none` from the records and advised
    `--late-policy none` to remove it, which said `none -> none` again. Now `none` is a policy
    (no penalty) remembered and said as one by every later command, and `--late-policy config`
    makes the assignment follow nbgrader_config.py's, which grade, mark and extend then say and
    use. ann is 9.5 h late (10 started hours); 5 automatic points, the written answer by hand."""
    course = make_dlgrade_course(Path(course_dir) / "config_policy", TINY_CONFIG.format(
        timeout=20, extra=CONFIG_POLICY), {"tiny": course_notebook()})
    dlcourse("release", "tiny", "--due", "2026-12-01 12:00", "--timezone", "UTC", cwd=course)
    release = nbformat.read(course / "exercises/tiny/tiny.ipynb", as_version=4)
    path = submit(course, "tiny", "ann", answered(release, "Where w.x + b = 0."))
    (path.parent / "timestamp.txt").write_text("2026-12-01 21:30:00.000000 UTC")
    policy_file = course / "grading/tiny/late_policy.json"
    back = "`--late-policy config` goes back to nbgrader_config.py's, 5%/h:30%"

    def run(*args, code=0) -> str:
        proc = dlcourse(*args, cwd=course, check=False)
        assert proc.returncode == code, proc.stdout + proc.stderr
        return proc.stdout + proc.stderr

    out = run("grade", "tiny", "--no-progress", "--late-policy", "10%/h:50%", code=2)
    assert f"late policy of tiny: 10%/h:50% (remembered for later commands; {back})\n" in out
    assert rows(course)["ann"]["score"] == "2.5"  # 50 % of 5
    out = run("grade", "tiny", "--no-progress", "--late-policy", "none", code=2)
    assert f"late policy of tiny: 10%/h:50% -> none (remembered; {back})\n" in out, out
    assert policy_file.read_text() == '{"late_policy": "none"}\n'
    assert rows(course)["ann"]["score"] == "5"
    # what the line said counts: no penalty for mark, a bare grade and export
    assert run("mark", "tiny", "ann", WRITTEN, "1") == f"ann: {WRITTEN} 1; tiny 6/6, graded\n"
    out = run("grade", "tiny", "--no-progress")
    assert f"late policy of tiny: none (remembered; {back})\n" in out and "0 graded" in out, out
    # the same policy again is no change, and no advice to run what was just run
    out = run("grade", "tiny", "--no-progress", "--late-policy", "none")
    assert f"late policy of tiny: none (remembered; {back})\n" in out, out
    assert "->" not in out and "0 graded" in out, out
    assert exported_score(course, "ann") == "6"
    # config: the configuration's policy from this run on, as the line says
    out = run("grade", "tiny", "--no-progress", "--late-policy", "config")
    assert ("late policy of tiny: none -> nbgrader_config.py's, 5%/h:30% (later commands "
            "follow nbgrader_config.py's)\n") in out, out
    assert "grading settings changed (late policy none -> 5%/h:30%): 1 graded" in out, out
    assert policy_file.read_text() == '{"late_policy": "config"}\n'
    assert (rows(course)["ann"]["score"], rows(course)["ann"]["penalty"]) == ("4.2", "1.8")
    said = "late policy of tiny: nbgrader_config.py's, 5%/h:30% (remembered)"
    assert run("mark", "tiny", "ann", WRITTEN, "0.5") == (
        f"{said}\nann: {WRITTEN} 0.5; tiny 3.85/6 after a late penalty of 1.65, graded\n")
    out = run("extend", "tiny", "ann", "--hours", "8")  # 1.5 h late: 2 started hours, 10 %
    assert out == (f"ann: 8 h extension on tiny\n  {said}\n"
                   "  ann: late penalty re-applied: tiny 3.85 -> 4.95 points\n"), out
    out = run("grade", "tiny", "--no-progress")
    assert f"{said}\n" in out and "0 graded" in out, out
    assert exported_score(course, "ann") == "4.95"
    # no loop in the other direction either: config again is no change
    out = run("grade", "tiny", "--no-progress", "--late-policy", "config")
    assert ("late policy of tiny: nbgrader_config.py's, 5%/h:30% (later commands follow "
            "nbgrader_config.py's)\n") in out and "0 graded" in out, out
    # an unknown word names every choice, config included
    proc = dlcourse("grade", "tiny", "--late-policy", "default", cwd=course, check=False)
    assert proc.returncode == 2 and "expected none (no penalty), zero, a per-hour deduction " \
        "such as 5%/h:50%" in proc.stderr and "or config (nbgrader_config.py's)" in \
        proc.stderr, proc.stderr


def test_advice_names_the_gradebook_the_class_was_graded_in(course_dir):
    """Review 23j (h23-fix3's open item): a class graded with `--db URL` is told to run
    `dlcourse grade ... --db URL`, not a bare command that grades into nbgrader_config.py's
    gradebook; not graded yet (`mark`), a grade of another time (`export`, grades.csv)."""
    course = make_dlgrade_course(Path(course_dir) / "db", TINY_CONFIG.format(
        timeout=20, extra=""), {"tiny": course_notebook()})
    url = f"sqlite:///{course_dir}/elsewhere.db"
    db = ("--db", url)
    dlcourse("release", "tiny", "--due", "2026-12-01 12:00", "--timezone", "UTC", *db,
             cwd=course)
    release = nbformat.read(course / "exercises/tiny/tiny.ipynb", as_version=4)
    path = submit(course, "tiny", "ann", answered(release, "Where w.x + b = 0."))
    (path.parent / "timestamp.txt").write_text("2026-12-01 13:30:00.000000 UTC")
    proc = dlcourse("mark", "tiny", "ann", WRITTEN, "1", *db, cwd=course, check=False)
    assert proc.returncode == 2 and proc.stderr == (
        f"Error: student: 'ann' handed in tiny, but it is not graded yet: run `dlcourse grade "
        f"tiny --db {url}` first\n"), proc.stderr
    dlcourse("grade", "tiny", "--no-progress", "--late-policy", "10%/h:50%", *db, cwd=course)
    (path.parent / "timestamp.txt").write_text("2026-12-01 14:30:00.000000 UTC")
    proc = dlcourse("export", "tiny", "--format", "csv", "-o", course / "x.csv", *db,
                    cwd=course, check=False)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert f"run `dlcourse grade tiny --db {url}` first" in " ".join(proc.stderr.split())
    dlcourse("report", "tiny", *db, cwd=course)
    assert rows(course)["ann"]["status"].endswith(
        f"; `dlcourse grade tiny --db {url}` grades again)"), rows(course)["ann"]


def test_a_grade_without_the_classs_gradebook_is_refused(course_dir):
    """Review 23m, finding 2: a class graded with `--db URL`, then `grade --student dan` or a
    bare `grade` without it: refused before anything is graded, naming both gradebooks and
    the command with `--db`; the export without it is refused too. `grade --force` moves the
    whole class on purpose; then the export with the old `--db` is the one refused."""
    course = make_dlgrade_course(Path(course_dir) / "db-moved", TINY_CONFIG.format(
        timeout=20, extra=""), {"tiny": course_notebook()})
    url = f"sqlite:///{course_dir}/elsewhere-moved.db"
    here = f"sqlite:///{course}/gradebook.db"
    db = ("--db", url)
    for where in ((), db):  # the assignment in both gradebooks, as in the review
        dlcourse("release", "tiny", "--due", "2026-12-01 12:00", "--timezone", "UTC", *where,
                 cwd=course)
    release = nbformat.read(course / "exercises/tiny/tiny.ipynb", as_version=4)
    for student in ("ann", "dan"):
        path = submit(course, "tiny", student, answered(release, "Where w.x + b = 0."))
        (path.parent / "timestamp.txt").write_text("2026-12-01 11:30:00.000000 UTC")
    dlcourse("grade", "tiny", "--no-progress", *db, cwd=course)
    graded = (course / "grading/tiny/grades.csv").read_text()

    for args, hint in ((("--student", "dan"), ""), ((), "; or, to move the whole class into "
                       "this gradebook, `dlcourse grade tiny --force` grades every student "
                       "again here")):
        proc = dlcourse("grade", "tiny", "--no-progress", *args, cwd=course, check=False)
        assert proc.returncode == 2, proc.stdout + proc.stderr
        assert " ".join(proc.stderr.split()) == (
            f"Error: grade: 2 of the 2 graded students of tiny (ann, dan) were graded in "
            f"another gradebook ({url}) than the one this command reads ({here}): give it "
            f"with `--db`, as `dlcourse grade` had it (`dlcourse grade tiny --db {url}`), then "
            f"`dlcourse grade` again{hint}. Nothing was written"), proc.stderr
        assert (course / "grading/tiny/grades.csv").read_text() == graded
    proc = dlcourse("export", "tiny", "--format", "csv", "-o", course / "x.csv", cwd=course,
                    check=False)
    assert proc.returncode == 2 and "2 of the 2 graded students" in proc.stderr, proc.stderr

    # on purpose: the whole class moves into nbgrader_config.py's gradebook
    proc = dlcourse("grade", "tiny", "--no-progress", "--force", cwd=course, check=False)
    assert proc.returncode == 2 and "tiny: 2 graded (2 need manual grading)" in proc.stdout, \
        proc.stdout + proc.stderr
    proc = dlcourse("export", "tiny", "--format", "csv", "-o", course / "x.csv", cwd=course,
                    check=False)
    assert proc.returncode == 0, proc.stderr
    proc = dlcourse("export", "tiny", "--format", "csv", "-o", course / "y.csv", *db,
                    cwd=course, check=False)
    assert proc.returncode == 2 and f"than the one this command reads ({url})" in \
        " ".join(proc.stderr.split()), proc.stderr
