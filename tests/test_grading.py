"""A hostile batch through the real grader: real nbgrader, real kernels, temporary courses.

One module-scoped batch grades crafted submissions (tests/submissions/crafted.py) of a tiny
assignment and of the course's first exercise with ``dlcourse grade --workers 2``; each test
then checks one student's status and score, the batch as a whole, the feedback files and the
gradebook. Hang cases use a 5 s cell timeout.
"""

from __future__ import annotations

import csv
import json

import nbformat
import pytest

from tests.submissions.crafted import (
    ISSUE16_KINDS,
    REPO,
    decoded_outputs,
    dlcourse,
    hidden_test_lines,
    make_course,
    make_variant,
    sandbox_config,
    submit,
)

pytestmark = pytest.mark.slow

SANDBOX, NO_SANDBOX = sandbox_config()
TIMEOUT = 5
REAL = "01_curve_fitting"
# kinds that are only safe or only meaningful inside the kernel sandbox
NEEDS_SANDBOX = {"memory_bomb", "reads_solutions", "floods_fds", "floods_files"}
TINY_KINDS = ["correct", "blank", "partly_wrong", "infinite_loop", "ignores_interrupt",
              "sys_exit", "os_exit", "kills_grader", "memory_bomb", "corrupted_json",
              "deleted_tests", "edited_tests", "retyped_tests", "reads_solutions",
              "isclose_override", "testing_override", "builtins_override", "imports_reference",
              *ISSUE16_KINDS, "floods_fds", "floods_files"]
REAL_KINDS = ["correct", "blank", "partly_wrong", "isclose_override", "imports_reference",
              "edited_tests", "deleted_tests"]


def _rows(course, assignment):
    with open(course / "grading" / assignment / "grades.csv") as f:
        return {r["student"]: r for r in csv.DictReader(f)}


def _gradebook_scores(course, assignment):
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        return {s.student.id: float(s.score) for s in gb.assignment_submissions(assignment)}


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    if not (REPO / "solutions" / REAL / f"{REAL}.ipynb").exists():
        pytest.skip(f"solutions/{REAL} is not written yet")
    course = make_course(tmp_path_factory.mktemp("hostile") / "course", timeout=TIMEOUT,
                         extra_config=SANDBOX, copy_from_repo=[REAL])
    env = {"DLCOURSE_SANDBOX_MEMORY": "1G"}
    dlcourse("release", cwd=course, env=env)
    paths = {a: (course / "exercises" / a / f"{a}.ipynb", course / "solutions" / a / f"{a}.ipynb")
             for a in ("tiny", REAL)}
    kinds = {"tiny": [k for k in TINY_KINDS if SANDBOX or k not in NEEDS_SANDBOX],
             REAL: REAL_KINDS}

    # run 1: two correct students; "flipper" will later hand in a crashing notebook
    for student in ("correct", "flipper"):
        submit(course, "tiny", student, make_variant("correct", *paths["tiny"]))
    first = dlcourse("grade", "tiny", "--workers", "2", "--no-progress", cwd=course, env=env)
    first_rows = _rows(course, "tiny")
    first_status = (course / "grading/tiny/status/correct.json").read_text()

    # run 2: the whole batch (flipper now crashes its kernel)
    for assignment, names in kinds.items():
        for kind in names:
            if (assignment, kind) != ("tiny", "correct"):
                submit(course, assignment, kind.replace("_", "-"),
                       make_variant(kind, *paths[assignment]), kind)
    submit(course, "tiny", "flipper", make_variant("os_exit", *paths["tiny"]))
    runs = {a: dlcourse("grade", a, "--workers", "2", "--no-progress", cwd=course, env=env)
            for a in ("tiny", REAL)}
    return {
        "course": course, "paths": paths, "kinds": kinds, "first": first,
        "first_rows": first_rows, "first_status": first_status, "runs": runs,
        "rows": {a: _rows(course, a) for a in ("tiny", REAL)},
        "gradebook": {a: _gradebook_scores(course, a) for a in ("tiny", REAL)},
    }


# status, score (None: no score) and a word the reason must contain, for the tiny assignment
# (max 5: sigmoid 1 + 2 points, mse 2 points; the first function is sigmoid)
TINY_EXPECTED = {
    "correct": ("graded", 5, ""),
    "blank": ("graded", 0, ""),
    "partly-wrong": ("graded", 2, ""),
    "infinite-loop": ("needs manual grading", 2, "timed out"),
    "ignores-interrupt": ("failed", None, "timed out"),
    "sys-exit": ("graded", 2, ""),
    "os-exit": ("failed", None, "kernel died"),
    # in the sandbox the kernel is the init of its own pid namespace and its parent is out of
    # reach: the kill does nothing; without it, the grading process dies and is replaced
    "kills-grader": (("graded", 5, "") if SANDBOX
                     else ("failed", None, "grading process was killed")),
    "memory-bomb": ("needs manual grading", 2, "memory"),
    "corrupted-json": ("failed", None, "not valid JSON"),
    "deleted-tests": ("graded", 5, ""),
    "edited-tests": ("graded", 5, ""),
    "retyped-tests": ("graded", 5, ""),
    "reads-solutions": ("graded", 2, ""),
    "isclose-override": ("needs manual grading", 0, "np.isclose"),
    "testing-override": ("needs manual grading", 0, "assert_allclose"),
    "builtins-override": ("needs manual grading", 0, "builtins.abs"),
    "imports-reference": ("needs manual grading", 2, "dlcourse.activations"),
    "flipper": ("failed", None, "kernel died"),
    "input-transformer": ("needs manual grading", 0, "input_transformers_post"),
    "getattr-override": ("needs manual grading", 0, "getattr() on the module builtins"),
    "extra-file": ("needs manual grading", 0, "helper_utils.py, line"),
    "leaks-history": ("needs manual grading", 0, "input history"),
    "leaks-hook": ("needs manual grading", 0, "events.register"),
    # its channels corrupted: the dropped connection is seen at once (dlgrade.kernel_channels),
    # or the kernel stops answering and is given up after a timeout, or, last, the
    # submission's deadline ends it; the other worker goes on
    "floods-fds": ("failed", None, ("connection to the grader", "stopped answering",
                                    "timed out", "timeout")),
    # /tmp capped in files, the runtime folder a tiny tmpfs: the floods stop, grading does not;
    # the cell finds that folder through ipykernel, an import the scan flags since the
    # kernel's own threads became a way around the judge's record (issue 21), so it is held
    "floods-files": ("needs manual grading", 0, "ipykernel"),
}


def test_no_line_of_the_worker_logs_is_forged(batch):
    """floods-fds writes "[AutogradeApp] ERROR forged" to every descriptor: what reaches the
    grader's log is prefixed as the kernel's."""
    if not SANDBOX:
        pytest.skip(NO_SANDBOX)
    lines = [line for log in (batch["course"] / "grading/tiny/logs").glob("*.log")
             for line in log.read_text(errors="replace").splitlines()]
    assert "=== grading floods-fds" in lines  # graded by one of these workers
    assert not [ln for ln in lines if ln.startswith("[AutogradeApp] ERROR forged")]


@pytest.mark.parametrize("student", sorted(TINY_EXPECTED))
def test_tiny_status_and_score(batch, student):
    if student.replace("-", "_") in NEEDS_SANDBOX and not SANDBOX:
        pytest.skip(f"{student} runs only inside the kernel sandbox ({NO_SANDBOX})")
    row = batch["rows"]["tiny"][student]
    status, score, words = TINY_EXPECTED[student]
    assert row["status"].split(":")[0] == status, row
    said = (row["status"] + " " + row["reason"]).lower()
    # the cell's timeout, or the submission's deadline when the kernel stops answering
    assert any(w.lower() in said for w in ((words,) if isinstance(words, str) else words)), row
    if score is None:
        assert row["score"] == "", row
        assert student not in batch["gradebook"]["tiny"], "a failed submission kept a score"
    else:
        assert float(row["score"]) == score, row
        assert float(row["max_score"]) == 5
        assert batch["gradebook"]["tiny"][student] == score


def test_real_assignment_statuses(batch):
    rows = batch["rows"][REAL]
    source = nbformat.read(str(batch["paths"][REAL][1]), 4)
    meta = [c.metadata.get("nbgrader", {}) for c in source.cells]
    by_hand = [m for m in meta if m.get("grade") and m.get("solution")]  # written answers
    auto = sum(m["points"] for m in meta if m.get("grade") and not m.get("solution"))
    assert float(rows["correct"]["max_score"]) == auto + sum(m["points"] for m in by_hand)
    assert float(rows["correct"]["score"]) == auto

    def cheat_free(row):
        return "overrides" not in row["reason"] and "course package" not in row["reason"]

    expected_status = "needs manual grading" if by_hand else "graded"
    for student in ("correct", "partly-wrong", "edited-tests", "deleted-tests"):
        assert rows[student]["status"] == expected_status and cheat_free(rows[student])
    # an untouched written answer scores 0 without a look (nbgrader's rule)
    assert (rows["blank"]["status"], float(rows["blank"]["score"])) == ("graded", 0)
    for tampered in ("edited-tests", "deleted-tests"):
        assert float(rows[tampered]["score"]) == auto
    assert 0 < float(rows["partly-wrong"]["score"]) < auto
    assert rows["isclose-override"]["status"] == "needs manual grading"
    assert "np.isclose" in rows["isclose-override"]["reason"]
    assert float(rows["isclose-override"]["score"]) == 0
    # the reference import costs the points of its function only (as if left undone)
    ref = rows["imports-reference"]
    assert ref["status"] == "needs manual grading" and "dlcourse." in ref["reason"]
    assert float(ref["score"]) == float(rows["partly-wrong"]["score"])


def test_batch_completes_and_reports(batch):
    for assignment, run in batch["runs"].items():
        assert run.returncode == 2, run.stderr  # 2: some failed or need manual grading
        rows = batch["rows"][assignment]
        students = {k.replace("_", "-") for k in batch["kinds"][assignment]}
        if assignment == "tiny":
            students.add("flipper")
        # one row per gradebook student: those who submitted only another assignment have
        # a "no submission" row here (score 0), as in nbgrader's own CSV export
        absent = {s for s, r in rows.items() if r["status"] == "no submission"}
        assert set(rows) - absent == students
        assert all(rows[s]["score"] == "0" for s in absent)
        report = json.loads((batch["course"] / "grading" / assignment / "report.json").read_text())
        assert report["n_students"] == len(rows)
        assert sum(report["counts"].values()) == len(rows)
        assert {f["student"] for f in report["failed"]} == {
            s for s, r in rows.items() if r["status"].startswith("failed")}
        assert set(report["runtime_s"]) == students
        html = (batch["course"] / "grading" / assignment / "report.html").read_text()
        assert html.count("data:image/png;base64,") == 3
        for name in report["per_function"]:
            assert name in html


def test_correct_student_unaffected_and_not_regraded(batch):
    course = batch["course"]
    # the correct student's submission did not change: run 2 skipped it and kept its result
    assert (course / "grading/tiny/status/correct.json").read_text() == batch["first_status"]
    assert "1 unchanged (skipped)" in batch["runs"]["tiny"].stdout
    assert batch["first_rows"]["correct"]["score"] == batch["rows"]["tiny"]["correct"]["score"]
    assert batch["first_rows"]["flipper"]["status"] == "graded"
    # graded alongside the others, the correct student of the real assignment gets full marks
    for assignment in ("tiny", REAL):
        row = batch["rows"][assignment]["correct"]
        assert row["score"] == batch["rows"][assignment]["edited-tests"]["score"]
        assert float(row["score"]) > 0


def test_failed_regrade_leaves_no_stale_grade(batch):
    course = batch["course"]
    assert batch["first_rows"]["flipper"]["score"] == "5"
    assert batch["rows"]["tiny"]["flipper"]["status"].startswith("failed")
    assert "flipper" not in batch["gradebook"]["tiny"]
    assert not (course / "autograded" / "flipper" / "tiny").exists()
    assert not (course / "grading" / "tiny" / "feedback" / "flipper.html").exists()


def test_tampered_tests_are_restored(batch):
    nb = nbformat.read(str(batch["course"] / "autograded/edited-tests/tiny/tiny.ipynb"), 4)
    source = nbformat.read(str(batch["paths"]["tiny"][1]), 4)
    want = {c.metadata["nbgrader"]["grade_id"]: c for c in source.cells
            if c.metadata.get("nbgrader", {}).get("grade")}
    got = {}
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid in want:
            got[gid] = cell
    assert set(got) == set(want)
    for gid, cell in got.items():
        assert cell.cell_type == "code"
        assert cell.source == want[gid].source
        assert cell.metadata["nbgrader"]["points"] == want[gid].metadata["nbgrader"]["points"]
        assert cell.metadata["nbgrader"]["grade"] and not cell.metadata["nbgrader"]["solution"]


def test_no_feedback_shows_hidden_tests(batch):
    course = batch["course"]
    files = list(course.glob("grading/*/feedback/*.html")) + list(course.glob("feedback/**/*.html"))
    # a submission flagged for code that reaches the tests gets its feedback after a look
    held = {s for a in batch["rows"].values() for s, r in a.items()
            if "feedback held for review" in r["reason"]}
    assert held == {k.replace("_", "-") for k in ["isclose_override", "testing_override",
                                                   "builtins_override", *ISSUE16_KINDS,
                                                   *(["floods_files"] if SANDBOX else [])]}
    graded = [s for a in batch["rows"].values() for s, r in a.items()
              if not r["status"].startswith("failed") and r["status"] != "no submission"
              and s not in held]
    published = {p.stem for p in course.glob("grading/*/feedback/*.html")}
    assert len(list(course.glob("grading/*/feedback/*.html"))) == len(graded)
    assert not published & held
    for assignment, (release, source) in batch["paths"].items():
        hidden = hidden_test_lines(source, release)
        assert hidden, f"{assignment} has no hidden tests to check against"
        for path in files:
            text = path.read_text()
            text = text + _unescape(text) + decoded_outputs(_unescape(text))
            leaked = [ln for ln in hidden if ln in text]
            assert not leaked, f"{path} shows hidden test code: {leaked[:3]}"
    # a failing hidden test says so without its code
    text = (course / "grading/tiny/feedback/partly-wrong.html").read_text()
    assert "A hidden check in this cell failed" in text
    assert "secret-sigmoid-two" not in text


def _unescape(text):
    import html

    return html.unescape(text)


@pytest.mark.skipif(not SANDBOX, reason=f"kernel sandbox off: {NO_SANDBOX}")
def test_sandbox_hides_solutions(batch):
    row = batch["rows"]["tiny"]["reads-solutions"]
    assert float(row["score"]) == 2  # sigmoid found no solutions folder to read


# --- the static scan on its own (no kernels) -------------------------------------------------


def test_issue16_attacks_beat_in_process_tests(tmp_path):
    """Mutation check: graded by plain nbgrader (tests in the student's kernel, no scan), each
    issue 16 attack gets points it did not earn or puts hidden test code, encoded, in its
    feedback. The batch above shows the grader flags every one of them."""
    from nbgrader.api import Gradebook

    from dlgrade.course import run_nbgrader

    course = make_course(tmp_path / "course")
    run_nbgrader(course, "generate_assignment", "tiny", "--force", "--log-level=WARN")
    release = course / "exercises" / "tiny" / "tiny.ipynb"
    source = course / "solutions" / "tiny" / "tiny.ipynb"
    kinds = ["partly_wrong", *ISSUE16_KINDS]
    for kind in kinds:
        submit(course, "tiny", kind.replace("_", "-"), make_variant(kind, release, source), kind)
    run_nbgrader(course, "autograde", "tiny", "--force", "--log-level=WARN")
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        scores = {s.student.id: float(s.score) for s in gb.assignment_submissions("tiny")}
    honest_wrong = scores["partly-wrong"]  # sigmoid wrong, mse right: 2 of 5
    assert honest_wrong == 2
    # a wrong sigmoid takes the 3 sigmoid points all the same
    for kind in ("input-transformer", "getattr-override", "extra-file"):
        assert scores[kind] == 5, (kind, scores)
    hidden = hidden_test_lines(source, release)
    for kind in ("leaks-history", "leaks-hook"):
        # the printed outputs, which feedback pages show (a hook prints into the test cells)
        graded = nbformat.read(str(course / "autograded" / kind / "tiny" / "tiny.ipynb"), 4)
        printed = "".join(out.get("text", "") for c in graded.cells if c.cell_type == "code"
                          for out in c.get("outputs", []))
        shown = decoded_outputs(printed)
        assert "secret-sigmoid-two" not in printed and "secret-sigmoid-two" in shown, kind
        assert [ln for ln in hidden if ln in shown], kind


def test_killed_grading_process_is_replaced(tmp_path):
    """Without the sandbox a kernel can kill the process that started it: that student
    fails, a new grading process takes over and the next student is graded normally."""
    course = make_course(tmp_path / "course", timeout=TIMEOUT)  # no sandbox lines
    dlcourse("release", cwd=course)
    paths = (course / "exercises/tiny/tiny.ipynb", course / "solutions/tiny/tiny.ipynb")
    submit(course, "tiny", "a-kills-grader", make_variant("kills_grader", *paths))
    submit(course, "tiny", "b-correct", make_variant("correct", *paths))
    run = dlcourse("grade", "tiny", "--workers", "1", "--no-progress", cwd=course,
                   env={"DLCOURSE_SANDBOX": "0"})
    assert "1 graded" in run.stdout and "1 failed" in run.stdout, run.stdout + run.stderr
    rows = _rows(course, "tiny")
    assert rows["a-kills-grader"]["status"].startswith("failed: the grading process was killed")
    assert (rows["b-correct"]["status"], rows["b-correct"]["score"]) == ("graded", "5")
    assert len(list((course / "grading/tiny/logs").glob("worker*.log"))) == 2


def test_cached_feedback_exporter_writes_the_same_html():
    """The worker's HTML exporter reuses compiled templates; the pages must not change."""
    from dlgrade.feedback import _TEMPLATE_CACHE, CachedHTMLExporter
    from dlgrade.html_safety import CSPHTMLExporter as HTMLExporter  # the same, uncached

    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# Feedback for $x^2$"),
        nbformat.v4.new_code_cell("print(1 + 1)", outputs=[
            nbformat.v4.new_output("stream", name="stdout", text="2\n")]),
        nbformat.v4.new_code_cell("1 / 0", outputs=[nbformat.v4.new_output(
            "error", ename="ZeroDivisionError", evalue="division by zero",
            traceback=["ZeroDivisionError: division by zero"])]),
    ])
    plain, _ = HTMLExporter().from_notebook_node(nb)
    first, _ = CachedHTMLExporter().from_notebook_node(nb)
    assert _TEMPLATE_CACHE._store, "the compiled templates were not kept"
    second, _ = CachedHTMLExporter().from_notebook_node(nb)  # served from the cache
    assert first == plain and second == plain
    assert "ZeroDivisionError" in second and "print" in second


def test_gradebooks_of_a_worker_share_one_engine_per_database(tmp_path):
    """Run in a fresh interpreter: the sharing patches nbgrader for the whole process."""
    import subprocess
    import sys

    code = f"""
from nbgrader.api import Gradebook
from dlgrade.course import ensure_tools_on_path
from dlgrade.worker import share_gradebook_engines
ensure_tools_on_path()  # nbgrader runs the alembic command for a new gradebook
share_gradebook_engines()
share_gradebook_engines()  # twice changes nothing
a, b = "sqlite:///{tmp_path}/a.db", "sqlite:///{tmp_path}/b.db"
with Gradebook(a, "c") as gb:
    first = gb.engine
    gb.add_student("alice")
with Gradebook(a, "c") as gb:  # after close (engine disposed) the same engine works again
    assert gb.engine is first
    assert [s.id for s in gb.students] == ["alice"]
with Gradebook(b, "c") as gb:
    assert gb.engine is not first and gb.students == []
print("ok")
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-2000:]
