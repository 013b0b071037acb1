"""dlgrade.report's pure functions: the numbers of report.json and the page report.html.

The whole run (status files, gradebook, files written) in tests/test_grading.py; here, after
a real batch, what the run's tail reads and reuses (copied work, rows, open statuses)."""

import json
import os
import subprocess
import sys
from html.parser import HTMLParser

import pytest

from dlgrade.report import function_of, render_html, summarize

CELLS = ["test_f", "test_f_hidden", "test_g", "written"]


def _row(student, status, score=None, cells=None, **extra):
    return dict(student=student, status=status, score=score, max_score=6.0 if score is not None
                else None, cells=cells or {}, **extra)


ROWS = [
    _row("ann", "graded", 6.0, {"test_f": [1, 1], "test_f_hidden": [2, 2], "test_g": [3, 3]},
         runtime=1.5),
    _row("bob", "graded", 4.0, {"test_f": [1, 1], "test_f_hidden": [0, 2], "test_g": [3, 3]},
         runtime=2.5),
    _row("cid", "needs manual grading", 1.0, {"test_f": [1, 1], "test_f_hidden": [0, 2],
         "test_g": [0, 3], "written": [0, 1]}, reason="written answers to grade by hand: written",
         manual_cells=["written"]),
    _row("dan", "failed", reason="the kernel died <oops>"),
    _row("eve", "pending", reason="not graded yet"),
]


def test_function_of_strips_test_prefix_and_suffixes():
    assert [function_of(g) for g in ("test_neuron_hidden", "test_neuron", "test_mse_tests")] == [
        "neuron", "neuron", "mse"]


def test_summarize_counts_scores_and_pass_rates():
    summary = summarize("tiny", ROWS, CELLS)
    assert summary["n_students"] == 5
    assert summary["counts"] == {"graded": 2, "needs manual grading": 1, "failed": 1,
                                 "pending": 1}
    assert summary["score"] == {"mean": 3.667, "median": 4.0, "min": 1.0, "max": 6.0}
    assert summary["max_score"] == 6.0
    # f passes only when both its tests pass: ann only, out of three graded students
    assert summary["per_function"]["f"] == {"tests": ["test_f", "test_f_hidden"],
                                            "pass_rate": round(1 / 3, 4)}
    assert summary["per_function"]["g"]["pass_rate"] == round(2 / 3, 4)
    assert "written" not in summary["per_function"]  # graded by hand: no pass rate
    assert summary["per_test"]["test_f_hidden"] == {"max_score": 2, "mean_score": round(2 / 3, 4),
                                                    "pass_rate": round(1 / 3, 4)}
    assert summary["failed"] == [{"student": "dan", "reason": "the kernel died <oops>"}]
    assert [r["student"] for r in summary["needs_manual_grading"]] == ["cid"]
    assert summary["runtime_s"] == {"ann": 1.5, "bob": 2.5}


def test_summarize_without_graded_students():
    summary = summarize("tiny", [_row("eve", "pending")], CELLS)
    assert summary["score"] is None and summary["per_function"] == {}


class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.text, self.scripts = [], [], 0

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self.scripts += tag == "script"

    def handle_data(self, data):
        self.text.append(data)


def test_render_html_is_self_contained_and_escapes_student_text():
    images = {"histogram": "AAAA", "pass_rate": "BBBB", "runtime": "CCCC"}
    page_text = render_html(summarize("tiny", ROWS, CELLS), images)
    page = _Page()
    page.feed(page_text)
    text = " ".join(page.text)
    assert page.scripts == 0
    srcs = [attrs["src"] for tag, attrs in page.tags if tag == "img"]
    assert srcs == [f"data:image/png;base64,{images[k]}"
                    for k in ("histogram", "pass_rate", "runtime")]
    assert all(attrs.get("alt") for tag, attrs in page.tags if tag == "img")
    assert "<oops>" not in page_text and "the kernel died <oops>" in text  # escaped, then shown
    assert "Failed submissions (1)" in text and "Needs manual grading (1)" in text
    assert "mean 3.667" in text and "67 %" in text  # g's pass rate
    # review 23e, N4: five students, not "submissions"; the mean is of the 3 graded only
    assert "5 students (failed: 1, graded: 2, needs manual grading: 1, pending: 1)" in text
    assert ("Score out of 6, of the 3 graded or needing manual grading (2 other students left "
            "out): mean 3.667") in text, text


def test_the_report_says_the_mean_leaves_out_a_student_without_a_submission():
    """Review 23e, N4: a student who handed nothing in (0 in grades.csv and the export) is
    not in the mean, and the page says so rather than read as the class mean."""
    rows = [_row("ann", "graded", 6.0), _row("bob", "no submission")]
    summary = summarize("tiny", rows, CELLS)
    assert (summary["n_students"], summary["n_scored"]) == (2, 1)
    page = _Page()
    page.feed(render_html(summary, {"histogram": "A", "pass_rate": "B", "runtime": "C"}))
    text = " ".join(page.text)
    assert "2 students (graded: 1, no submission: 1)" in text, text
    assert "of the 1 graded (1 other student left out): mean 6" in text, text


# --- the report after a real batch: what the run's tail reads and reuses --------------------

LOOP = '''def squares(n):
    out = []
    for i in range(n):
        out.append(i * i)
    return out
'''
COPY = '''def squares(count):
    # my own work
    result = []
    for k in range(count):
        result.append(k * k)
    return result
'''


@pytest.fixture(scope="module")
def graded_batch(tmp_path_factory):
    """The demo course, four students (ann and eve hand in the same loop, renamed), graded by
    ``dlcourse grade`` on its local cluster (the path that finds copied work meanwhile)."""
    from dlgrade.course import Course, tools_env
    from dlgrade.sandbox import demo

    root = tmp_path_factory.mktemp("report-batch")
    os.chmod(root, 0o755)  # the sandboxed kernel runs as another user
    demo.make_course(str(root))
    for student, code in (("ann", LOOP), ("bob", "def squares(n):\n    return [0] * n\n"),
                          ("cid", "def squares(n):\n    return [i * i for i in range(n)]\n"),
                          ("eve", COPY)):
        demo.submit(str(root), student, code)
    dlcourse = os.path.join(os.path.dirname(sys.executable), "dlcourse")
    proc = subprocess.run([dlcourse, "--course", str(root), "grade", demo.ASSIGNMENT,
                           "--workers", "2", "--no-progress"], capture_output=True, text=True,
                          env=tools_env(dict(os.environ)))
    assert proc.returncode in (0, 2), proc.stdout + proc.stderr
    return Course(root), demo.ASSIGNMENT


@pytest.mark.slow
def test_the_copied_work_found_while_the_batch_graded_is_the_reports(graded_batch):
    from dlgrade.similarity import class_copies

    course, assignment = graded_batch
    report = json.loads((course.output_dir(assignment) / "report.json").read_text())
    assert [(m["a"], m["b"]) for m in report["copied_work"]] == [("ann", "eve")]
    assert report["copied_work"] == [m.as_dict() for m in class_copies(course, assignment)]


@pytest.mark.slow
def test_copies_the_thread_could_not_find_are_found_by_the_report(graded_batch, monkeypatch):
    import dlgrade.engine
    from dlgrade.engine import _ReportMeanwhile
    from dlgrade.report import report_outputs

    course, assignment = graded_batch

    def broken(*args, **kwargs):
        raise RuntimeError("copydetect failed")

    monkeypatch.setattr(dlgrade.engine, "class_copies", broken)
    assert _ReportMeanwhile(course, assignment).copies() is None
    monkeypatch.undo()
    report_outputs(course, assignment, None)  # None: found here, as without the thread
    report = json.loads((course.output_dir(assignment) / "report.json").read_text())
    assert [(m["a"], m["b"]) for m in report["copied_work"]] == [("ann", "eve")]


@pytest.mark.slow
def test_rows_read_with_the_prefetch_are_those_read_lazily(graded_batch, monkeypatch):
    import dlgrade.report
    from dlgrade.report import collect_rows, open_statuses, report_outputs

    course, assignment = graded_batch
    with course.gradebook() as gb:  # a hand grade and comment, as formgrader gives them
        grade = gb.find_grade("test_squares_hidden", "ps1", assignment, "bob")
        grade.manual_score = 1.0
        gb.find_comment("squares", "ps1", assignment, "bob").manual_comment = "ok"
        gb.db.commit()
    _, rows = report_outputs(course, assignment)
    prefetched, _ = collect_rows(course, assignment)
    monkeypatch.setattr(dlgrade.report, "load_submissions", lambda gb, assignment: [])
    lazily, _ = collect_rows(course, assignment)
    assert prefetched == lazily
    assert {r["student"]: r["score"] for r in lazily}["bob"] == 1.0
    # the run's open statuses come from the rows it wrote: the same as a fresh read
    assert open_statuses(course, assignment, rows=rows) == open_statuses(course, assignment)
