"""dlgrade.report's pure functions: the numbers of report.json and the page report.html.

The whole run (status files, gradebook, files written) in tests/test_grading.py."""

from html.parser import HTMLParser

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
