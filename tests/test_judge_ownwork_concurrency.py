"""Issue 21 item 5 after the second hostile review: the reference out of the recorder's sight.

notes/review-21.md, findings 3, 3b and 3c: exercise 02 earned full points, with no finding,
by running the package's ``sigmoid`` in a thread (a pool made at module level, a plain thread,
a timer, ``_thread`` started from C code, a thread of an earlier cell fed through a queue), in a
child process (one started by an earlier cell and fed over a pipe, a fork), with the judge's
recorder paused by the student (through an import of ``dlgrade`` or a pickle of it, or from
code compiled under a library file's name), with warnings silenced inside a thread, and by
handing in the package's own file beside the notebook (or pasting it into the cell). Each is a
submission here, graded through plain ``nbgrader autograde`` with the project's config and
through ``dlcourse grade``: none earns a point on the sigmoid tests, the honest solution keeps
every point, and the reasons say what was seen.
"""

from __future__ import annotations

import json
import os

import nbformat
import pytest

from tests import hostile_code
from tests.submissions.attacks import autograde, dlcourse_grade, notebook, scores
from tests.submissions.crafted import REPO, make_course, project_config, sandbox_config, submit
from tests.test_judge_ownwork import ASSIGNMENT, GUARDED

pytestmark = pytest.mark.slow

#: student -> new source of the sigmoid cell (tests/hostile_code.py)
ATTACKS = {route: hostile_code.cell(route) for route in (
    "thread-pool", "thread-plain", "thread-timer", "thread-from-c", "thread-queue",
    "c-idle-thread", "iopub-loop", "silenced-in-thread", "pause-recorder", "pause-pickled",
    "libname-toggle", "child-server", "fork")}
ATTACKS["package-file"] = '''
from activations_copy import sigmoid
'''


def _package_copy() -> str:
    """The package's ``_validation.py`` and ``activations.py`` as one file, verbatim but for
    the lines a file of its own cannot keep (the relative import, the ``__future__`` line)."""
    from dlgrade.judge_fingerprint import package_root

    parts = []
    for name in ("_validation.py", "activations.py"):
        with open(os.path.join(package_root(), name), encoding="utf-8") as handle:
            parts.append(handle.read())
    return "\n".join(line for line in "\n".join(parts).splitlines()
                     if not line.startswith(("from __future__", "from ._validation")))


def _attacks() -> dict[str, str]:
    attacks = dict(ATTACKS)
    # the package's text pasted into the cell, docstrings and all
    attacks["pasted-package"] = _package_copy()
    return attacks


def _course(root, config: str):
    course = make_course(root, assignments=(), extra_config=config,
                         copy_from_repo=[ASSIGNMENT])
    for student, answer in _attacks().items():
        path = submit(course, ASSIGNMENT, student, notebook(ASSIGNMENT, {"sigmoid": answer}))
        if student == "package-file":
            (path.parent / "activations_copy.py").write_text(_package_copy())
    submit(course, ASSIGNMENT, "honest", notebook(ASSIGNMENT))
    submit(course, ASSIGNMENT, "honest-demo", notebook(ASSIGNMENT,
                                                       {"sigmoid": _honest_with_demo()}))
    return course


def _honest_with_demo() -> str:
    """The solution's sigmoid, then a demo that leaves a thread pool and a waiting thread
    alive while the graded cells run."""
    source = nbformat.read(REPO / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", 4)
    answer = next(c.source for c in source.cells
                  if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "sigmoid")
    return answer.replace("### BEGIN SOLUTION", "").replace("### END SOLUTION", "") + \
        hostile_code.HONEST_DEMO


def _unearned(scores, failed=None) -> list[str]:
    """What an attack student earned out of the recorder's sight, and what an honest control
    lost. ``failed``: attack students the grader failed with a reason (``dlcourse grade``'s
    status records): they earn nothing either (a forking student whose kernel stops answering
    on a loaded machine is failed, not graded: CI run 19)."""
    problems = []
    for student in _attacks():
        got = scores.get(student)
        if got is None and student in (failed or {}):
            continue
        if got is None:
            problems.append(f"{student}: not graded")
            continue
        problems += [f"{student} earned {got.get(test)} on {test}" for test in GUARDED
                     if got.get(test)]
    for control in ("honest", "honest-demo"):
        honest = scores.get(control)
        if not honest:
            problems.append(f"{control}: not graded")
            continue
        problems += [f"{control} lost {test}" for test, score in honest.items()
                     if score == 0 and test.startswith("test_")]
    return problems


#: The cell timeout of this course (the project's is 60 s). The child-server student's calls
#: never answer once the judge stops its child, so each of its sigmoid test cells runs until
#: the timeout; 20 s still leaves an honest exercise-02 cell (well under a second) room on a
#: loaded machine, and spares the batch minutes of waiting.
CELL_TIMEOUT = 20


@pytest.fixture(scope="module")
def autograded(tmp_path_factory):
    config = f"{project_config()}\nc.Execute.timeout = {CELL_TIMEOUT}\n"
    course = _course(tmp_path_factory.mktemp("concurrency") / "course", config)
    # the real package in the kernel: the record's sight is tested here (with the kernel
    # build the package's code is not there to run: tests/test_judge_kernel_build.py)
    autograde(course, ASSIGNMENT, kernel_build=False)
    return course, scores(course, ASSIGNMENT)


def test_plain_nbgrader_autograde_gives_no_point_out_of_the_recorders_sight(autograded):
    _, scores = autograded
    assert _unearned(scores) == []


def _said(course, student, grade_id="test_sigmoid") -> str:
    path = course / "autograded" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    nb = nbformat.read(path, 4)
    cell = next(c for c in nb.cells
                if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id)
    return " ".join(str(o.get("evalue", "")) + str(o.get("text", "")) for o in cell.outputs)


#: a thread started, or the record paused, is seen by the call's record or by the tripwire
#: between the grader's requests (dlgrade.judge_tripwire), whichever sees it first
THREAD = ("it started a thread", "a thread started between the grader's requests")
PAUSED = ("paused 1 time(s) outside the judge's own calls",
          "in the kernel outside the graded calls")


@pytest.mark.parametrize("student, words", [
    ("thread-plain", THREAD),
    ("thread-from-c", THREAD),
    ("thread-queue", "dlcourse.activations.sigmoid ran during the call"),
    ("c-idle-thread", "dlcourse.activations.sigmoid ran during the call"),
    ("iopub-loop", "dlcourse.activations.sigmoid ran during the call"),
    ("silenced-in-thread", THREAD),
    ("pause-recorder", PAUSED),
    ("pause-pickled", PAUSED),
    ("libname-toggle", PAUSED),
    ("child-server", "ran for more than"),  # stopped while the call runs: no answer
    ("fork", "it started a process (os.fork)"),
    ("package-file", "handed in as the student's own text"),
    ("pasted-package", "handed in as the student's own text"),
])
def test_the_reasons_say_what_was_seen(autograded, student, words):
    """The reason names what was seen: by the call's record or, for a thread started or a
    record paused between the grader's requests, by the tripwire (either may see it first)."""
    course, _ = autograded
    said = _said(course, student)
    assert any(w in said for w in ((words,) if isinstance(words, str) else words)), said


def test_dlcourse_grade_gives_no_point_out_of_the_recorders_sight(tmp_path):
    sandbox, _ = sandbox_config()
    course = _course(tmp_path / "course", sandbox)  # dlcourse grade installs the judge itself
    dlcourse_grade(course, ASSIGNMENT, workers=2)
    statuses = [json.loads(p.read_text())
                for p in (course / "grading" / ASSIGNMENT / "status").glob("*.json")]
    failed = {row["student"]: row["reason"] for row in statuses
              if row.get("status") == "failed" and row.get("reason")}
    assert _unearned(scores(course, ASSIGNMENT), failed) == []
