"""Review 21e's F2 and F5b through one whole notebook (04), under plain ``nbgrader autograde``
with the project's config (N) and under ``dlcourse grade`` (G), with the sandbox on.

* ``forge-record`` (F2): every graded function runs the package's function found through
  ``from sys import modules``, clears the judge's record and rebuilds it (a function made
  from the record's mark, then the grader's own ``Recorder.judged`` on a stand-in).
* ``patch-agent`` (F5b): the first cell patches the agent in the kernel (the Recorder's
  ``report``, the tripwire's ``check``, the agent's captured ``_REPORT`` and its integrity list
  taken again), and every graded function is ``return modules["dl" + "course.activations"].f(t)``.

Before the kernel build both earned 16/16 under N and G with no finding (review 21e). Now a
judged kernel holds no implementation of the package (dlgrade.sandbox.kernel_package): the
function they reach is a stub that raises, so each earns nothing and says why; the honest
student keeps every point.
"""

from __future__ import annotations

import json

import nbformat
import pytest

from tests.submissions.attacks import autograde, dlcourse_grade, honest_and_earned, notebook
from tests.submissions.crafted import make_course, project_config, sandbox_config, submit

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(sandbox_config()[1] is not None,
                       reason=f"the kernel build needs the sandbox: {sandbox_config()[1]}"),
]

A = "04_activations"
FUNCTIONS = ["relu", "relu_grad", "sigmoid_grad", "tanh_grad", "leaky_relu", "leaky_relu_grad",
             "softmax"]

FORGE = '''
from sys import modules
_busy = []

class _Stand:
    _calls = 0

def _answer(fn, reference, *args):
    if _busy:
        return None
    record = modules["dl" + "grade.judge_code"]._ACTIVE[-1]
    result = reference(*args)
    record._profiler.clear()
    type(lambda: 0)(record._mark, {})()
    _busy.append(1)
    try:
        type(record).judged(_Stand(), fn, *args)
    finally:
        _busy.clear()
    return result
'''

PATCH = '''
from sys import modules
_s = setattr
_jc = modules["dl" + "grade.judge_code"]
_s(_jc.Recorder, "report", lambda self: {"package": [], "other": [], "silenced": [],
                                         "switched": [], "pauses": self.pauses})
_jt = modules["dl" + "grade.judge_tripwire"]
_s(_jt.Tripwire, "check", lambda self, rest=False: {"package": [], "other": [], "unseen": []})
_ja = modules["dl" + "grade.judge_agent"]
_s(_ja, "_REPORT", _jc.Recorder.report)
_s(_ja, "_GRADER_CODE", _ja._grader_code())
'''


def _cells(setup: str, body: str) -> dict[str, str]:
    cells = {}
    for number, name in enumerate(FUNCTIONS):
        signature = "t, alpha=0.01" if name.startswith("leaky") else \
            ("Z" if name == "softmax" else "t")
        passed = signature.replace("=0.01", "")
        head = setup if number == 0 else ""
        cells[name] = head + f"\ndef {name}({signature}):\n    return " + \
            body.format(name=name, args=passed) + "\n"
    return cells


ATTACKS = {
    "forge-record": _cells(FORGE, "_answer({name}, modules['dl' + 'course.activations'].{name}, "
                                   "{args})"),
    "patch-agent": _cells(PATCH, "modules['dl' + 'course.activations'].{name}({args})"),
}


def _course(tmp_path, config):
    course = make_course(tmp_path / "course", assignments=(), extra_config=config,
                         copy_from_repo=[A])
    for student, cells in ATTACKS.items():
        submit(course, A, student, notebook(A, cells))
    submit(course, A, "honest", notebook(A))
    return course


def _check(course):
    honest, earned = honest_and_earned(course, A, ATTACKS)
    assert sum(honest.values()) == 16, honest
    assert earned == dict.fromkeys(ATTACKS, 0), earned
    for student in ATTACKS:
        nb = nbformat.read(course / "autograded" / student / A / f"{A}.ipynb", 4)
        reasons = [str(output.get("evalue", "")) for cell in nb.cells
                   if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", "")
                   .startswith("test_") for output in cell.get("outputs", [])
                   if output.get("output_type") == "error"]
        assert len(reasons) == 14, (student, reasons)  # every test cell says why
        for reason in reasons:
            assert "is not available while a notebook is graded" in reason or \
                "ran during the call" in reason, (student, reason)


def test_forged_records_and_patched_agents_earn_nothing_under_plain_nbgrader(tmp_path):
    course = _course(tmp_path, project_config())
    autograde(course, A)
    _check(course)


def test_forged_records_and_patched_agents_earn_nothing_under_dlcourse_grade(tmp_path):
    course = _course(tmp_path, sandbox_config()[0])
    dlcourse_grade(course, A, workers=1, check=False)
    _check(course)
    statuses = {student: json.loads((course / "grading" / A / "status" /
                                     f"{student}.json").read_text())["status"]
                for student in [*ATTACKS, "honest"]}
    assert statuses["honest"] == "graded"
