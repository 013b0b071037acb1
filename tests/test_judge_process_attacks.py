"""Review 21d's holes X1, X3, X5 and AH through whole notebooks: the kernel's other processes
are held stopped by the grading process (dlgrade.judge_procs) during every test cell, under
plain ``nbgrader autograde`` with the project's config (N) and ``dlcourse grade`` (G).

Each hostile student of 04 replaces ``relu`` only (its two tests); the other answers are the
solution's, so the rest of the notebook is graded as usual:

* X1 "grandchild-cont": a server two forks below the kernel computes the package's ``relu``;
  the graded function continues it (``os.kill(server, SIGCONT)``) and asks it. Main's
  in-kernel freeze compared direct children only: 2/2.
* X3 "lazy-direct": no signal; a direct child server gets the argument, the graded function
  returns a lazy sequence whose ``[i]`` reads the answer the server computed between two of
  the judge's calls (main thawed the processes between calls): 2/2. Held for the whole cell,
  the server never answers.
* X5 "hide-veto": an audit hook of the student's (installed through ``pkgutil``) refuses the
  kernel's ``os.listdir("/proc/...")`` and ``os.kill(..., SIGSTOP)``, so main's kernel saw no
  child and stopped none; the graded function continues a direct child server and asks it:
  2/2. Reads and signals now happen in the grading process.
* AH "audit-hook": the hook runs the package's ``relu`` on the decoded arguments when main's
  recorder stopped the kernel's idle child (the ``os.kill`` event), before its profiler
  started: 2/2. The kernel no longer stops anything.

An honest student whose ``relu`` cell also ran a joblib (loky) demo, leaving two worker
processes, keeps every point (review 21d, HF-N).
"""

from __future__ import annotations

import json

import nbformat
import pytest

from tests.submissions.attacks import autograde, dlcourse_grade, notebook, scores
from tests.submissions.crafted import make_course, project_config, sandbox_config, submit

pytestmark = pytest.mark.slow

ASSIGNMENT = "04_activations"
#: a server process answering ``relu`` with the package's, over two pipes; ``_DIRECT``
#: says whether it is the kernel's child or its grandchild (below an idle middle process)
SERVER = r'''
import io, json, os, select, signal, struct, time, pkgutil
import numpy as np

def _send(fd, data):
    data = struct.pack("<Q", len(data)) + data
    while data:
        data = data[os.write(fd, data):]

def _receive(fd):
    def exact(k):
        out = b""
        while len(out) < k:
            chunk = os.read(fd, k - len(out))
            if not chunk:
                raise EOFError
            out += chunk
        return out
    return exact(struct.unpack("<Q", exact(8))[0])

def _array(a):
    f = io.BytesIO()
    np.save(f, np.asarray(a), allow_pickle=False)
    return f.getvalue()

def _serve():
    reference = pkgutil.resolve_name("dl" + "course.activations:relu")
    while True:
        t = np.load(io.BytesIO(_receive(_ask_r)), allow_pickle=False)
        _send(_answer_w, _array(reference(t)))

_ask_r, _ask_w = os.pipe()
_answer_r, _answer_w = os.pipe()
if os.fork() == 0:
    try:
        if not _DIRECT and os.fork() != 0:
            while True:
                time.sleep(3600)
        _send(_answer_w, struct.pack("<Q", os.getpid()))
        _serve()
    finally:
        os._exit(0)
_server = struct.unpack("<Q", _receive(_answer_r))[0]

def _ask(t):
    os.kill(_server, signal.SIGCONT)
    _send(_ask_w, _array(t))
    return np.load(io.BytesIO(_receive(_answer_r)), allow_pickle=False)
'''
LAZY = '''
class _Lazy:
    def __init__(self, n):
        self._n, self._v = n, None
    def __len__(self):
        return self._n
    def __getitem__(self, i):
        if self._v is None:
            # the answer computed between the judge's calls, or zeros when none came
            if select.select([_answer_r], [], [], 2.0)[0]:
                self._v = np.load(io.BytesIO(_receive(_answer_r)), allow_pickle=False)
            else:
                self._v = np.zeros(self._n)
        return self._v[i]

def relu(t):
    t = np.asarray(t, dtype=float)
    if t.ndim == 0:
        return _ask(t)
    _send(_ask_w, _array(t))
    return _Lazy(len(t))
'''
VETO = '''
def _veto(event, args):
    if event == "os.listdir" and str(args[0]).startswith("/proc"):
        raise PermissionError(args[0])
    if event == "os.kill" and len(args) > 1 and args[1] == signal.SIGSTOP:
        raise PermissionError("no")

pkgutil.resolve_name("sys:addaudithook")(_veto)

def relu(t):
    return _ask(t)
'''
AUDIT_HOOK = '''
import os, time, pkgutil
import numpy as np

_frame = pkgutil.resolve_name("sys:_getframe")
_stash = {}

def _hook(event, args):
    if event != "os.kill" or len(args) < 2 or args[1] != 19:
        return
    f = _frame(1)
    while f is not None:
        local = f.f_locals
        if "fn" in local and "args" in local and "kwargs" in local:
            if getattr(local["fn"], "__name__", "") == "relu":
                reference = pkgutil.resolve_name("dl" + "course.activations:relu")
                _stash["relu"] = (local["args"][0], reference(*local["args"]))
            return
        f = f.f_back

if os.fork() == 0:
    while True:
        time.sleep(3600)
pkgutil.resolve_name("sys:addaudithook")(_hook)

def relu(t):
    got = _stash.pop("relu", None)
    if got is not None and got[0] is t:
        return got[1]
    return np.zeros(np.shape(t))
'''
HONEST_LOKY = '''
from joblib import Parallel, delayed

def relu(t):
    return np.maximum(t, 0.0)

# a demo: two worker processes stay, idle, for the rest of the notebook
print(Parallel(n_jobs=2, backend="loky")(delayed(abs)(i) for i in range(-2, 2)))
'''
STUDENTS = {
    "grandchild-cont": SERVER.replace("_DIRECT", "False") + "\ndef relu(t):\n    return _ask(t)\n",
    "lazy-direct": SERVER.replace("_DIRECT", "True") + LAZY,
    "hide-veto": SERVER.replace("_DIRECT", "True") + VETO,
    "audit-hook": AUDIT_HOOK,
    "honest-loky": HONEST_LOKY,
}
RELU_TESTS = ("test_relu", "test_relu_hidden")
FULL = 16  # every test of 04


def _course(root, config: str):
    course = make_course(root, assignments=(), extra_config=config, timeout=10,
                         copy_from_repo=[ASSIGNMENT])
    for student, relu in STUDENTS.items():
        submit(course, ASSIGNMENT, student, notebook(ASSIGNMENT, {"relu": relu}))
    return course


def _problems(scores: dict) -> list[str]:
    problems = []
    total = sum(scores.get("honest-loky", {}).values())
    if total != FULL:
        problems.append(f"honest-loky has {total}/{FULL}: {scores.get('honest-loky')}")
    for student in ("grandchild-cont", "lazy-direct", "hide-veto", "audit-hook"):
        got = scores.get(student, {})
        problems += [f"{student} earned {test}" for test in RELU_TESTS if got.get(test, 0)]
    return problems


def _assert_reasons(course) -> None:
    """The servers continued from the graded function lost their points for what the grader
    saw (not for a wrong answer): the relu tests' output names it."""
    for student in ("grandchild-cont", "hide-veto"):
        path = course / "autograded" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
        outputs = [json.dumps(cell.get("outputs", []))
                   for cell in nbformat.read(path, 4).cells
                   if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "test_relu"]
        assert outputs and "which the grader had stopped, ran or ended during it" in \
            outputs[0], (student, outputs)


def test_plain_nbgrader_autograde(tmp_path):
    # the cell timeout of make_course (a held server makes a call wait for it)
    course = _course(tmp_path / "course", project_config(keep_cell_timeout=False))
    # the real package in the kernel: the process hold is tested here (with the kernel build
    # the package's code is not there to run: tests/test_judge_kernel_build.py)
    autograde(course, ASSIGNMENT, kernel_build=False)
    assert _problems(scores(course, ASSIGNMENT)) == []
    _assert_reasons(course)


def test_dlcourse_grade(tmp_path):
    sandbox, _ = sandbox_config()
    course = _course(tmp_path / "course", sandbox)
    # the real package in the kernel, as above
    dlcourse_grade(course, ASSIGNMENT, workers=2, check=False, kernel_build=False)
    assert _problems(scores(course, ASSIGNMENT)) == []
    _assert_reasons(course)
