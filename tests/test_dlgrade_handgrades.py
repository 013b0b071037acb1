"""dlgrade.handgrades without a grading run: what a hand grade is, the digests that decide
whether it still applies, and ``dlcourse mark`` / save / restore on a real SQLite gradebook
filled through nbgrader's API (an assignment of one notebook with a written answer and a test)."""

from __future__ import annotations

import warnings
from types import SimpleNamespace

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
from sqlalchemy.exc import SAWarning

from dlgrade.course import CONFIG_NAME, Course
from dlgrade.handgrades import (
    answer_keys,
    hand_digest,
    hand_grades_path,
    is_hand_grade,
    mark,
    read_hand_grades,
    restore_hand_grades,
    save_hand_grades,
    waits_for_hand,
    write_hand_grades,
)


def _meta(grade_id, *, grade=False, solution=False, locked=False, points=0):
    meta = {"grade_id": grade_id, "grade": grade, "solution": solution, "locked": locked,
            "schema_version": 3}
    if grade:
        meta["points"] = points
    return {"nbgrader": meta}


def _notebook(answer="Because the loss is convex.", code="def f(x):\n    return 2 * x\n",
              test="assert f(1) == 2\n"):
    return new_notebook(cells=[
        new_code_cell(code, metadata=_meta("f", solution=True)),
        new_markdown_cell(answer, metadata=_meta("answer", grade=True, solution=True, points=2)),
        new_code_cell(test, metadata=_meta("test_f", grade=True, locked=True, points=3)),
    ])


def _grade(name="answer", manual=None, needs=False):
    return SimpleNamespace(name=name, manual_score=manual, needs_manual_grade=needs)


def test_what_counts_as_a_hand_grade():
    assert not is_hand_grade(_grade())  # no manual score at all
    assert is_hand_grade(_grade(manual=1.0))  # formgrader: a score, nobody waiting
    assert is_hand_grade(_grade(manual=1.0, needs=True))  # a script set it, flag left on
    # ... unless the grader itself zeroed the cell (a finding): that waits for a person
    assert not is_hand_grade(_grade(manual=0.0, needs=True), flagged=["answer"])
    assert waits_for_hand(_grade(manual=0.0, needs=True), flagged=["answer"])
    assert waits_for_hand(_grade(needs=True))
    assert not waits_for_hand(_grade(manual=1.0, needs=True))
    assert not waits_for_hand(_grade())


def test_answer_keys_follow_what_the_grader_judged(tmp_path):
    path = tmp_path / "nb.ipynb"

    def keys(**parts):
        nbformat.write(_notebook(**parts), str(path))
        return answer_keys(path)

    base = keys()
    assert set(base) == {"answer", "test_f"}  # graded cells only; "f" is not graded
    other_answer = keys(answer="Because it is linear.")
    assert other_answer["answer"] != base["answer"]
    assert other_answer["test_f"] == base["test_f"]  # tests run the code, not the prose
    other_code = keys(code="def f(x):\n    return x + x\n")
    assert other_code["answer"] == base["answer"]
    assert other_code["test_f"] != base["test_f"]  # ... every code cell the student wrote
    assert keys(test="assert f(2) == 4\n") == base  # a locked cell is not the student's
    path.write_text("{not json")
    assert answer_keys(path) == {}
    assert answer_keys(tmp_path / "missing.ipynb") == {}


def test_the_hand_grades_file_is_written_whole_and_removed_when_empty(tmp_path):
    (tmp_path / CONFIG_NAME).write_text("c = get_config()\n")
    course = Course(tmp_path)
    assert read_hand_grades(course, "a1", "ann") == {}
    grades = {"nb/answer": {"score": 1.5, "comment": "ok", "key": "abc"}}
    write_hand_grades(course, "a1", "ann", grades)
    path = hand_grades_path(course, "a1", "ann")
    assert path == tmp_path.resolve() / "grading" / "a1" / "hand_grades" / "ann.json"
    assert read_hand_grades(course, "a1", "ann") == grades
    assert not path.with_suffix(".tmp").exists()
    write_hand_grades(course, "a1", "ann", {})
    assert not path.exists()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("{half a file")
    assert read_hand_grades(course, "a1", "ann") == {}


@pytest.fixture
def graded(tmp_path, empty_gradebook):
    """A course whose gradebook holds ann's autograded submission of a1: test_f passed (3 of
    3), the written answer waits for a hand grade; her autograded notebook is on disk."""
    (tmp_path / CONFIG_NAME).write_text("c = get_config()\n")
    course = Course(tmp_path)
    empty_gradebook(tmp_path)
    with course.gradebook() as gb:
        gb.add_assignment("a1")
        gb.add_notebook("nb", "a1")
        gb.add_solution_cell("f", "nb", "a1")
        gb.add_solution_cell("answer", "nb", "a1")
        gb.add_grade_cell("answer", "nb", "a1", max_score=2, cell_type="markdown")
        gb.add_grade_cell("test_f", "nb", "a1", max_score=3, cell_type="code")
        gb.add_student("ann")
    _autograde(course)
    write_answer(course, _notebook())
    return course


def _autograde(course):
    """What a regrade does to the gradebook: a fresh submission with the test's score."""
    with course.gradebook() as gb:
        try:
            gb.remove_submission("a1", "ann")
        except Exception:  # noqa: BLE001 - the first time there is none
            pass
        with warnings.catch_warnings():  # nbgrader's add_submission trips an autoflush warning
            warnings.simplefilter("ignore", SAWarning)
            gb.add_submission("a1", "ann")
        test = gb.find_grade("test_f", "nb", "a1", "ann")
        test.auto_score, test.needs_manual_grade = 3.0, False
        gb.find_grade("answer", "nb", "a1", "ann").needs_manual_grade = True
        gb.db.commit()


def write_answer(course, nb):
    folder = course.autograded_dir / "ann" / "a1"
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(folder / "nb.ipynb"))


@pytest.mark.slow  # a real SQLite gradebook (the empty one is made once per process)
def test_mark_gives_and_takes_a_hand_grade(graded):
    result = mark(graded, "a1", "ann", "answer", 1.5, "clear argument")
    assert result == {"score": 4.5, "max_score": 5.0, "penalty": 0.0, "notebook": "nb",
                      "waiting": []}
    saved = read_hand_grades(graded, "a1", "ann")
    assert saved == {"nb/answer": {"score": 1.5, "comment": "clear argument",
                                   "key": answer_keys(graded.autograded_dir / "ann" / "a1"
                                                      / "nb.ipynb")["answer"],
                                   "max": 2.0}}  # the cell's points when it was graded
    with graded.gradebook() as gb:
        assert gb.find_comment("answer", "nb", "a1", "ann").manual_comment == "clear argument"
        digest = hand_digest(gb.find_submission("a1", "ann"))
    assert digest != ""
    result = mark(graded, "a1", "ann", "answer", None)  # removed: the cell waits again
    assert result["waiting"] == ["answer"] and result["score"] == 3.0
    assert read_hand_grades(graded, "a1", "ann") == {}
    with graded.gradebook() as gb:
        # the comment stays, so the digest differs from "" but also from the graded one
        assert hand_digest(gb.find_submission("a1", "ann")) not in ("", digest)


@pytest.mark.slow
@pytest.mark.parametrize("args, words", [
    (("zed", "answer", 1.0), "student: 'zed' is not on the roster (no such student in the "
                             "gradebook, and no submission of a1)"),
    (("ann", "nope", 1.0), "cell: got 'nope', expected a graded cell of a1: answer, test_f"),
    (("ann", "answer", 2.5), "score: got 2.5, expected a number from 0 to 2 (the points of "
                             "answer)"),
    (("ann", "answer", -1.0), "score: got -1, expected a number from 0 to 2"),
    # review 23b, R5: was nbgrader's raw "No such taskcomment", after the score was set
    (("ann", "test_f", 1.0, "see me"), "comment: test_f is a test cell, which takes no "
                                       "comment; comments go on answer cells: answer, f"),
])
def test_mark_refuses_what_is_not_a_grade_and_changes_nothing(graded, args, words):
    with pytest.raises(ValueError) as error:
        mark(graded, "a1", *args)
    assert str(error.value).startswith(words)
    with graded.gradebook() as gb:
        grade = gb.find_grade("answer", "nb", "a1", "ann")
        assert grade.manual_score is None and grade.needs_manual_grade
        assert gb.find_grade("test_f", "nb", "a1", "ann").manual_score is None
    assert read_hand_grades(graded, "a1", "ann") == {}


@pytest.mark.slow
def test_mark_says_why_a_student_has_nothing_to_mark(graded):
    """Review 23, D10: not "run dlcourse grade first" when grading ran: a failed grading
    (its reason), nothing handed in, handed in but not graded yet (only then)."""
    from dlgrade.status import write_status

    with graded.gradebook() as gb:
        gb.add_student("bob")
        gb.add_student("cid")
    (graded.submitted_dir / "cid" / "a1").mkdir(parents=True)
    cases = {"bob": "student: 'bob' handed in nothing for a1: nothing to mark",
             "cid": "student: 'cid' handed in a1, but it is not graded yet: run `dlcourse "
                    "grade a1` first"}
    for student, words in cases.items():
        with pytest.raises(ValueError) as error:
            mark(graded, "a1", student, "answer", 1.0)
        assert str(error.value) == words
    # a failed run's record wins over an older gradebook entry: nothing is marked
    write_status(graded, "a1", {"student": "ann", "status": "failed",
                                "reason": "nb.ipynb is empty (0 bytes)"})
    with pytest.raises(ValueError) as error:
        mark(graded, "a1", "ann", "answer", 1.0)
    assert str(error.value) == ("student: ann's submission of a1 could not be graded "
                                "(nb.ipynb is empty (0 bytes)): nothing to mark")
    with graded.gradebook() as gb:
        assert gb.find_grade("answer", "nb", "a1", "ann").manual_score is None
    assert read_hand_grades(graded, "a1", "ann") == {}


@pytest.mark.slow
def test_a_hand_grade_outlives_a_regrade_while_the_answer_is_the_same(graded):
    mark(graded, "a1", "ann", "answer", 2.0, "full marks")
    with graded.gradebook() as gb:
        saved = save_hand_grades(gb, graded, "a1", "ann")
    assert set(saved) == {"nb/answer"}
    _autograde(graded)  # the regrade clears the gradebook entry ...
    with graded.gradebook() as gb:
        assert gb.find_grade("answer", "nb", "a1", "ann").manual_score is None
        kept, notes = restore_hand_grades(gb, graded, "a1", "ann")  # ... and this puts it back
        grade = gb.find_grade("answer", "nb", "a1", "ann")
        assert (kept, notes) == ({"answer"}, [])
        assert (grade.manual_score, grade.needs_manual_grade) == (2.0, False)
        assert gb.find_comment("answer", "nb", "a1", "ann").manual_comment == "full marks"
    assert read_hand_grades(graded, "a1", "ann") == saved

    # the student rewrote the answer: the old hand grade no longer applies
    write_answer(graded, _notebook(answer="Because I said so."))
    _autograde(graded)
    with graded.gradebook() as gb:
        kept, notes = restore_hand_grades(gb, graded, "a1", "ann")
        grade = gb.find_grade("answer", "nb", "a1", "ann")
        assert kept == set()
        assert notes == ["hand grade of answer (2) dropped: the answer changed since it was "
                         "graded; grade it again"]
        assert grade.manual_score is None and grade.needs_manual_grade
    assert read_hand_grades(graded, "a1", "ann") == {}


def _hand_in_late(course, hours, autograde_penalty):
    """ann handed in ``hours`` after a1's due date; autograde's late penalty (nbgrader's
    ``AssignLatePenalties``, which sees the automatic 3 points only) is on her notebook."""
    import datetime as dt

    with course.gradebook() as gb:
        due = dt.datetime(2026, 12, 1, 12, 0)
        gb.find_assignment("a1").duedate = due
        sub = gb.find_submission("a1", "ann")
        sub.timestamp = due + dt.timedelta(hours=hours)
        sub.notebooks[0].late_submission_penalty = autograde_penalty
        gb.db.commit()


def _penalty(course):
    with course.gradebook() as gb:
        sub = gb.find_submission("a1", "ann")
        return float(sub.score), float(sub.late_submission_penalty or 0)


@pytest.mark.slow
def test_hand_points_pay_the_late_penalty_under_zero(graded):
    """Review 23c, F1: under ``zero`` a late student kept the written answer's points (the
    penalty was autograde's, on the automatic part only); mark, and the hand grade put back
    after a regrade, now penalise the whole score with the course's configured plugin."""
    (graded.root / CONFIG_NAME).write_text(
        "c = get_config()\nc.LateSubmissionPlugin.penalty_method = 'zero'\n")
    course = Course(graded.root)
    _hand_in_late(course, 2.5, 3.0)
    result = mark(course, "a1", "ann", "answer", 1.5)
    assert (result["score"], result["penalty"]) == (0.0, 4.5)
    assert _penalty(course) == (4.5, 4.5)
    with course.gradebook() as gb:
        save_hand_grades(gb, course, "a1", "ann")
    _autograde(course)  # a regrade: a fresh entry, autograde's penalty on 3 points
    _hand_in_late(course, 2.5, 3.0)
    with course.gradebook() as gb:
        assert restore_hand_grades(gb, course, "a1", "ann") == ({"answer"}, [])
    assert _penalty(course) == (4.5, 4.5)
    result = mark(course, "a1", "ann", "answer", None)  # taken away: the penalty shrinks too
    assert (result["score"], result["penalty"]) == (0.0, 3.0)


@pytest.mark.slow
def test_mark_uses_the_policy_the_student_was_graded_under(graded):
    """``--late-policy 10%/h:50%`` was given to the grading run (its status record's settings),
    not written in nbgrader_config.py: mark applies that policy to the whole score."""
    import json

    from dlgrade.status import write_status

    late = {"AssignLatePenalties": {"plugin_class": "dlgrade.late.PerHourPenalty"},
            "PerHourPenalty": {"per_hour": 0.1, "cap": 0.5}}
    write_status(graded, "a1", {"student": "ann", "assignment": "a1", "status": "graded",
                                "settings": json.dumps({"late": late})})
    _hand_in_late(graded, 2.5, 0.9)  # 3 started hours: 30 % of the automatic 3 points
    result = mark(graded, "a1", "ann", "answer", 1.5)
    assert result["penalty"] == pytest.approx(1.35)  # 30 % of 4.5
    assert result["score"] == pytest.approx(3.15)
    _hand_in_late(graded, 0, None)  # on time after all (e.g. an extension): no penalty
    assert mark(graded, "a1", "ann", "answer", 2.0)["penalty"] == 0.0


def test_an_answer_that_differs_in_whitespace_only_keeps_its_key(tmp_path):
    """Review 23c, F6: an editor that saves a final newline (or CRLF line ends) does not
    change the answer a hand grade judged; a changed word does. ``exact`` is the byte-for-byte
    digest saved before, which a restore still accepts."""
    import nbformat

    def keys(text, exact=False):
        nb = nbformat.v4.new_notebook()
        cell = nbformat.v4.new_markdown_cell(text)
        cell.metadata["nbgrader"] = {"grade": True, "solution": True, "grade_id": "answer",
                                     "points": 1, "schema_version": 3}
        nb.cells.append(cell)
        path = tmp_path / "nb.ipynb"
        nbformat.write(nb, path)
        return answer_keys(path, exact=exact)["answer"]

    same = keys("In the middle.\nWhere w.x + b = 0.")
    assert keys("In the middle.\r\nWhere w.x + b = 0.  \n\n") == same
    assert keys("In the middle.\nWhere w.x + b = 1.") != same
    assert keys("In the middle.\n", exact=True) != keys("In the middle.", exact=True)
