"""Review 21d's holes T4, T1 and T3 through one whole notebook (04) and plain ``nbgrader
autograde`` with the project's config, the path without the scan, and the real package in the
kernel (``DLCOURSE_KERNEL_BUILD=0``): the judge's record alone must hold. (With the kernel build
there is no implementation of the package to run and then wipe: tests/test_judge_kernel_build.py.)

Every attacker runs the package's implementation and then wipes the profiler that recorded it:
found through ``gc`` (``sys.getprofile()`` no longer hands the grader's profilers out) and
cleared with the C base method, around any override, after which the grader's old named
sentinel is called so that the record looks whole.

* ``wipe-in-call`` (T4): inside the judged call itself.
* ``wipe-in-hook`` (T1): a ``json.loads`` hook runs the reference on the judge's arguments while
  the agent parses the request, before the record starts (the tripwire's record).
* ``wipe-in-finalizer`` (T3): a finalizer on the judge's argument runs the reference once the
  record has ended; the graded function returns a lazy sequence the judge reads later.

Before the marks each of them earned all 16 points (review 21d; the mutation check in the
note). Now the record of every such call lacks its mark: "the record of this call was wiped"
or "the grader's record between calls was wiped", and the call earns nothing. The honest
student keeps every point. The thread variant (T2) is in tests/test_judge_tripwire_unit.py.
"""

from __future__ import annotations

import nbformat
import pytest

from tests.submissions.attacks import autograde, dlcourse_grade, honest_and_earned, notebook
from tests.submissions.crafted import make_course, project_config, submit

pytestmark = pytest.mark.slow

A = "04_activations"
FUNCTIONS = ["relu", "relu_grad", "sigmoid_grad", "tanh_grad", "leaky_relu", "leaky_relu_grad",
             "softmax"]

#: the shared part of every attack: the package's function by a name built at run time, and
#: the wipe of every profiler in the process
WIPE = '''
import gc, json, pkgutil, weakref, _lsprof
import numpy as np

def _reference(name):
    return pkgutil.resolve_name("dl" + "course.activations:" + name)

def _wipe():
    for profiler in [o for o in gc.get_objects() if isinstance(o, _lsprof.Profiler)]:
        _lsprof.Profiler.clear(profiler)
    try:
        pkgutil.resolve_name("dl" + "grade.judge_tripwire:_sentinel")()
    except Exception:
        pass
'''

IN_CALL = WIPE + '''
def _answer(name, *args):
    result = _reference(name)(*args)
    _wipe()
    return result
'''

IN_HOOK = WIPE + '''
_kept = []
_parse = json.loads

def _hook(text, *args, **kwargs):
    request = _parse(text, *args, **kwargs)
    try:
        if type(request) is dict and request.get("op") == "call" and \\
                request["fn"].get("name") in _NAMES:
            decode = pkgutil.resolve_name("dl" + "grade.judge_wire:decode")
            values = decode(request["args"], lambda o: None)
            _kept.append((np.array(values[0], copy=True),
                          _reference(request["fn"]["name"])(*values)))
            del _kept[:-4]
            _wipe()
    except Exception:
        pass
    return request

_NAMES = set(FUNCTION_NAMES)
json.loads = _hook

def _answer(name, first, *rest):
    for seen, result in reversed(_kept):
        if np.shape(seen) == np.shape(first) and np.array_equal(seen, first):
            return result
    return np.zeros_like(np.asarray(first, dtype=float))
'''

IN_FINALIZER = WIPE + '''
class _Later:
    def __init__(self, n):
        self.n = n
        self.box = []
    def __len__(self):
        return self.n
    def __getitem__(self, i):
        return self.box[0][i]

def _fill(box, name, args):
    box.append(_reference(name)(*args))
    _wipe()

def _answer(name, first, *rest):
    later = _Later(len(first))
    weakref.finalize(first, _fill, later.box, name, (np.array(first, copy=True), *rest))
    return later
'''

ATTACKS = {"wipe-in-call": IN_CALL, "wipe-in-hook": IN_HOOK, "wipe-in-finalizer": IN_FINALIZER}


def _cells(setup: str) -> dict[str, str]:
    cells = {}
    for number, name in enumerate(FUNCTIONS):
        signature = "t, alpha=0.01" if name.startswith("leaky") else \
            ("Z" if name == "softmax" else "t")
        passed = signature.replace("=0.01", "")
        head = setup.replace("FUNCTION_NAMES", repr(FUNCTIONS)) if number == 0 else ""
        cells[name] = head + f"\ndef {name}({signature}):\n    return _answer({name!r}, {passed})\n"
    return cells


def _reasons(course, student: str) -> str:
    nb = nbformat.read(course / "autograded" / student / A / f"{A}.ipynb", 4)
    return "\n".join(str(output.get("evalue", "")) for cell in nb.cells
                     for output in cell.get("outputs", []))


def _course(tmp_path, config: str):
    course = make_course(tmp_path / "course", assignments=(), extra_config=config,
                         copy_from_repo=[A])
    for student, setup in ATTACKS.items():
        submit(course, A, student, notebook(A, _cells(setup)))
    submit(course, A, "honest", notebook(A))
    return course


def test_a_wiped_record_earns_nothing_under_plain_nbgrader_autograde(tmp_path):
    course = _course(tmp_path, project_config())
    autograde(course, A, kernel_build=False)
    honest, earned = honest_and_earned(course, A, ATTACKS)
    assert sum(honest.values()) == 16, honest
    assert earned == dict.fromkeys(ATTACKS, 0), earned
    for student in ATTACKS:
        reasons = _reasons(course, student)
        assert "wiped" in reasons, (student, reasons[-2000:])


def test_a_wiped_record_earns_nothing_under_dlcourse_grade(tmp_path):
    """The same batch through ``dlcourse grade`` (sandbox where it runs): the scan flags the
    routes to the record (``gc``, ``_lsprof``, ``pkgutil``) for manual grading, and no call of
    the attackers earns a point; the honest student is graded in full."""
    import json

    from tests.submissions.crafted import sandbox_config

    course = _course(tmp_path, sandbox_config()[0])
    dlcourse_grade(course, A, workers=1, check=False)
    honest, earned = honest_and_earned(course, A, ATTACKS)
    assert sum(honest.values()) == 16, honest
    assert earned == dict.fromkeys(ATTACKS, 0), earned
    statuses = {student: json.loads((course / "grading" / A / "status" /
                                     f"{student}.json").read_text())
                for student in [*ATTACKS, "honest"]}
    assert statuses["honest"]["status"] == "graded"
    for student in ATTACKS:
        status = json.dumps(statuses[student])
        assert statuses[student]["status"] != "graded", (student, status[:2000])
        assert "_lsprof" in status or "gc" in status, (student, status[:2000])
