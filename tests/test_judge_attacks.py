"""Issue 16's attacks against the trusted judge, through plain ``nbgrader autograde`` and
``dlcourse grade``, with the judge on; and the same submissions with it off (stock in-kernel
tests) to show it is the judge that holds.

Each attack (tests/submissions/crafted.py) pairs a wrong ``sigmoid`` with a trick that forged
the sigmoid tests' points or leaked the hidden tests' source while tests ran in the student's
kernel: IPython input transformers, checks replaced through ``getattr``/``user_ns``, a
``helper_utils.py`` handed in beside the notebook, the input history ``In`` or a
``pre_run_cell`` hook printed zlib/base64-encoded.
"""

from __future__ import annotations

import nbformat
import pytest

from dlgrade.course import run_nbgrader
from tests.submissions.crafted import (
    ISSUE16_KINDS,
    decoded_outputs,
    dlcourse,
    hidden_test_lines,
    make_course,
    make_variant,
    project_config,
    sandbox_config,
    submit,
)

pytestmark = pytest.mark.slow

ATTACKS = ISSUE16_KINDS
FORGING = ["input-transformer", "getattr-override", "extra-file"]
LEAKING = ["leaks-history", "leaks-hook"]
SIGMOID_TESTS = ("test_sigmoid", "test_sigmoid_hidden")


def _course(root):
    course = make_course(root, extra_config=project_config())
    assert "install_judge(c)" in (course / "nbgrader_config.py").read_text()
    run_nbgrader(course, "generate_assignment", "tiny", "--force", "--log-level=WARN")
    release = course / "exercises" / "tiny" / "tiny.ipynb"
    source = course / "solutions" / "tiny" / "tiny.ipynb"
    for kind in ["correct", "partly_wrong", *ATTACKS]:
        submit(course, "tiny", kind.replace("_", "-"), make_variant(kind, release, source), kind)
    return course, release, source


def _cell_scores(course):
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        scores = {}
        for submission in gb.assignment_submissions("tiny"):
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    scores.setdefault(submission.student.id, {})[grade.name] = \
                        float(grade.score or 0)
        return scores


def _shown(path) -> tuple[str, str]:
    """(what the autograded notebook prints, that text with every base64/zlib blob decoded)."""
    graded = nbformat.read(str(path), 4)
    printed = "".join(str(out.get("text", "")) + str(out.get("evalue", "")) +
                      "".join(out.get("traceback", []))
                      for c in graded.cells if c.cell_type == "code"
                      for out in c.get("outputs", []))
    return printed, decoded_outputs(printed)


@pytest.fixture(scope="module")
def autograded(tmp_path_factory):
    """The batch through plain ``nbgrader autograde`` with the project's config, the judge on
    and then off (DLCOURSE_JUDGE=0)."""
    import os

    results = {}
    for judge in ("1", "0"):
        course, release, source = _course(tmp_path_factory.mktemp(f"judge{judge}") / "course")
        old = os.environ.get("DLCOURSE_JUDGE")
        os.environ["DLCOURSE_JUDGE"] = judge
        try:
            run_nbgrader(course, "autograde", "tiny", "--force", "--log-level=WARN")
        finally:
            if old is None:
                os.environ.pop("DLCOURSE_JUDGE")
            else:
                os.environ["DLCOURSE_JUDGE"] = old
        results[judge] = (course, _cell_scores(course), hidden_test_lines(source, release))
    return results


def test_honest_submissions_score_the_same_with_and_without_the_judge(autograded):
    for judge in ("1", "0"):
        _, scores, _ = autograded[judge]
        assert sum(scores["correct"].values()) == 5, (judge, scores["correct"])
        assert sum(scores["partly-wrong"].values()) == 2, (judge, scores["partly-wrong"])


@pytest.mark.parametrize("student", FORGING)
def test_judge_gives_a_wrong_sigmoid_no_sigmoid_points(autograded, student):
    _, scores, _ = autograded["1"]
    assert [scores[student][t] for t in SIGMOID_TESTS] == [0, 0], scores[student]


@pytest.mark.parametrize("student", FORGING)
def test_without_the_judge_the_same_attacks_forge_the_points(autograded, student):
    _, scores, _ = autograded["0"]
    assert [scores[student][t] for t in SIGMOID_TESTS] == [1, 2], scores[student]


@pytest.mark.parametrize("student", LEAKING)
def test_judge_keeps_hidden_tests_out_of_the_kernel(autograded, student):
    course, _, hidden = autograded["1"]
    assert hidden
    printed, shown = _shown(course / "autograded" / student / "tiny" / "tiny.ipynb")
    assert not [ln for ln in hidden if ln in shown], shown[:2000]
    # without the judge the same notebook prints them
    course, _, hidden = autograded["0"]
    printed, shown = _shown(course / "autograded" / student / "tiny" / "tiny.ipynb")
    assert "secret-sigmoid-two" not in printed and "secret-sigmoid-two" in shown


def test_dlcourse_grade_uses_the_judge(tmp_path):
    """``dlcourse grade`` (its worker installs the judge whatever the course config says)."""
    sandbox, _ = sandbox_config()
    course = make_course(tmp_path / "course", extra_config=sandbox)  # no judge line
    dlcourse("release", cwd=course)
    release = course / "exercises" / "tiny" / "tiny.ipynb"
    source = course / "solutions" / "tiny" / "tiny.ipynb"
    for kind in ["correct", *ATTACKS]:
        submit(course, "tiny", kind.replace("_", "-"), make_variant(kind, release, source), kind)
    dlcourse("grade", "tiny", "--workers", "2", "--no-progress", cwd=course)
    scores = _cell_scores(course)
    assert sum(scores["correct"].values()) == 5
    for student in FORGING:
        assert [scores[student][t] for t in SIGMOID_TESTS] == [0, 0], (student, scores)
    hidden = hidden_test_lines(source, release)
    for student in LEAKING:
        _, shown = _shown(course / "autograded" / student / "tiny" / "tiny.ipynb")
        assert not [ln for ln in hidden if ln in shown], student
        for page in (course / "feedback" / student / "tiny").glob("*.html"):
            text = page.read_text()
            assert not [ln for ln in hidden if ln in decoded_outputs(text) or ln in text]
