"""Review 21e's scan-clean attacks through the real ``dlcourse grade`` (sandbox where it runs):
each lands in "needs manual grading" with the scan's reason and its line, earns nothing, and
its feedback is held; the honest student beside them is graded in full.

Under ``dlcourse grade`` the static scan is the defence that reads the code before it runs.
Review 21e wrote the grader's record of a call over with code the scan let through:

* ``forge-fromsys`` (F2): ``from sys import modules``, the running Recorder read through its
  private attributes (``_ACTIVE``, ``_profiler``, ``_mark``) and a function rebuilt from the
  mark's code with ``type(lambda: 0)``.
* ``timeit-string`` (F4): the same attack as plain Python inside a string that ``timeit`` runs.
* ``getattr-alias`` (F1): ``_g = getattr``, called under the alias.
* ``written-module``: the same text written to a ``.py`` file by the notebook and imported.

The attacks are the review's F2 cell text cut down to the tiny assignment's ``sigmoid``. With
the scan before review 21e's stop-gap all four were graded "graded", 5 of 5 points (the forge
holds against the judge's own-work check).
"""

from __future__ import annotations

import json

import pytest

from tests.submissions.crafted import (
    dlcourse,
    make_course,
    make_variant,
    sandbox_config,
    submit,
    tiny_notebook,
)

pytestmark = pytest.mark.slow

#: review 21e's F2 forge: run the package's function, wipe the record of the call, then call
#: a function rebuilt from the mark's code and the grader's own ``judged`` on a stand-in, so
#: that the record holds what the check asks for and nothing of the package
FORGE = '''
_busy = []

class _Stand:
    _calls = 0

def _answer(fn, ref, *args):
    if _busy:
        return None
    rec = modules["dl" + "grade.judge_code"]._ACTIVE[-1]
    result = ref(*args)
    rec._profiler.clear()
    type(lambda: 0)(rec._mark, {})()
    _busy.append(1)
    try:
        type(rec).judged(_Stand(), fn, *args)
    finally:
        _busy.clear()
    return result

def sigmoid(t):
    return _answer(sigmoid, modules["dl" + "course.activations"].sigmoid, t)
'''

#: F2: ``from sys import modules`` (the old scan flagged only the attribute ``sys.modules``)
FORGE_FROMSYS = "from sys import modules\n" + FORGE

#: F4: the same in a string that timeit runs (the old scan read no string)
TIMEIT_STRING = (
    "import timeit\n"
    f"_box = {{'CODE': {('from sys import modules' + FORGE)!r}}}\n"
    "timeit.timeit('exec(CODE, globals())', number=1, globals=_box)\n"
    "sigmoid = _box['sigmoid']\n"
)

#: F1: ``getattr`` under an alias (the old scan read getattr(...) only under that name)
GETATTR_ALIAS = "import sys\n_g = getattr\nmodules = _g(sys, 'mod' + 'ules')\n" + FORGE

#: the same written to a file while the notebook runs and imported (the scan reads no string)
WRITTEN_MODULE = (
    f"_text = {('from sys import modules' + FORGE)!r}\n"
    "with open('forge_made.py', 'w') as _out:\n"
    "    _out.write(_text)\n"
    "from forge_made import sigmoid\n"
)

#: student -> (cell text, words of the reason, the line they are found on)
ATTACKS = {
    "forge-fromsys": (FORGE_FROMSYS, "imports sys.modules", "line 1"),
    "timeit-string": (TIMEIT_STRING, "in the code timeit.timeit() runs: calls exec()", "line 3"),
    "getattr-alias": (GETATTR_ALIAS, "uses getattr as a value", "line 2"),
    "written-module": (WRITTEN_MODULE, "imports forge_made, a module that is neither "
                                       "installed nor handed in", "line 4"),
}


def _with_sigmoid(text: str) -> str:
    import nbformat

    nb = tiny_notebook()
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "sigmoid":
            cell.source = text
        elif cell.metadata.get("nbgrader", {}).get("grade_id") == "mse":
            cell.source = "def mse(y, y_hat):\n    return float(np.mean((np.asarray(y, float) " \
                          "- np.asarray(y_hat, float)) ** 2))\n"
    return nbformat.writes(nb)


def test_review_21e_attacks_need_manual_grading_under_dlcourse_grade(tmp_path):
    course = make_course(tmp_path / "course", extra_config=sandbox_config()[0])
    dlcourse("release", cwd=course)
    paths = (course / "exercises/tiny/tiny.ipynb", course / "solutions/tiny/tiny.ipynb")
    for student, (text, _, _) in ATTACKS.items():
        submit(course, "tiny", student, _with_sigmoid(text))
    submit(course, "tiny", "honest", make_variant("correct", *paths))
    run = dlcourse("grade", "tiny", "--workers", "2", "--no-progress", cwd=course)
    statuses = {student: json.loads((course / "grading/tiny/status" / f"{student}.json")
                                    .read_text())
                for student in [*ATTACKS, "honest"]}
    honest = statuses["honest"]
    assert (honest["status"], honest["score"]) == ("graded", 5.0), (honest, run.stdout)
    for student, (_, words, line) in ATTACKS.items():
        status = statuses[student]
        assert status["status"] == "needs manual grading", (student, status)
        assert f"cell 2, {line}: {words}" in status["reason"], (student, status["reason"])
        assert status["score"] == 0.0, (student, status)
        assert status["feedback"] == [], (student, status)  # held until someone has looked
