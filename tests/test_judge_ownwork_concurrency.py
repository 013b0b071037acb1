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

import os

import nbformat
import pytest

from dlgrade.course import run_nbgrader
from tests.submissions.crafted import dlcourse, make_course, sandbox_config, submit
from tests.test_judge_ownwork import ASSIGNMENT, GUARDED, _notebook, _project_config, _scores

pytestmark = pytest.mark.slow

PICKLE = '''
import pickle
_ref = [pickle.loads(b"c" + b"dl" + b"course.activations\\nsigmoid\\n.")]
'''
#: student -> new source of the sigmoid cell
ATTACKS = {
    "thread-pool": PICKLE + '''
from concurrent.futures import ThreadPoolExecutor
_pool = ThreadPoolExecutor(1)

def sigmoid(t):
    return _pool.submit(_ref[0], t).result()
''',
    "thread-plain": PICKLE + '''
import threading

def sigmoid(t):
    box = []
    worker = threading.Thread(target=lambda: box.append(_ref[0](t)))
    worker.start()
    worker.join()
    return box[0]
''',
    "thread-timer": PICKLE + '''
import threading

def sigmoid(t):
    box = []
    timer = threading.Timer(0, lambda: box.append(_ref[0](t)))
    timer.start()
    timer.join()
    return box[0]
''',
    "thread-from-c": PICKLE + '''
import _thread, threading, time

def sigmoid(t):
    box, lock, running = [], threading.Lock(), _thread._count()
    lock.acquire()
    list(map(_thread.start_new_thread, [lambda: (box.append(_ref[0](t)), lock.release())],
             [()]))
    lock.acquire()
    while _thread._count() > running:
        time.sleep(0.001)
    return box[0]
''',
    "thread-queue": PICKLE + '''
import queue, threading
_jobs, _answers = queue.Queue(), queue.Queue()

def _serve():
    while True:
        _answers.put(_ref[0](_jobs.get()))

threading.Thread(target=_serve, daemon=True).start()

def sigmoid(t):
    _jobs.put(t)
    return _answers.get()
''',
    # finding 3b: the naive formula, its warnings silenced under a name built at run time,
    # inside a thread (the run-time record of silencers is per thread)
    "silenced-in-thread": '''
import operator, threading

def sigmoid(t):
    box = []
    def work():
        with operator.attrgetter("err" + "st" + "ate")(np)(all="ignore"):
            box.append(1.0 / (1.0 + np.exp(-np.asarray(t, dtype=float))))
    worker = threading.Thread(target=work)
    worker.start()
    worker.join()
    out = box[0]
    return out if out.ndim else float(out)
''',
    "pause-recorder": PICKLE + '''
from dlgrade.judge_code import _ACTIVE

def sigmoid(t):
    _ACTIVE[-1].pause()
    try:
        return _ref[0](t)
    finally:
        _ACTIVE[-1].resume()
''',
    # the same without an import of dlgrade (G's scan flags the import)
    "pause-pickled": PICKLE + '''
_active = pickle.loads(b"c" + b"dl" + b"grade.judge_code\\n_ACTIVE\\n.")

def sigmoid(t):
    _active[-1].pause()
    try:
        return _ref[0](t)
    finally:
        _active[-1].resume()
''',
    # a function compiled under a library file's name switches the profiler off and on
    "libname-toggle": PICKLE + """
import os, sys
_text = '''
def sigmoid(t):
    profiler = sys.getprofile()
    profiler.disable()
    try:
        return _ref[0](t)
    finally:
        profiler.enable()
'''
_space = {"sys": sys, "_ref": _ref}
exec(compile(_text, os.__file__, "exec"), _space)
sigmoid = _space["sigmoid"]
""",
    "child-server": '''
import json, subprocess, sys
_CHILD = ("import sys, json\\n"
          "from dl" "course.activations import sigmoid\\n"
          "for line in sys.stdin:\\n"
          "    print(json.dumps(sigmoid(json.loads(line)).tolist()), flush=True)\\n")
_server = subprocess.Popen([sys.executable, "-c", _CHILD], stdin=subprocess.PIPE,
                           stdout=subprocess.PIPE, text=True)

def sigmoid(t):
    _server.stdin.write(json.dumps(np.asarray(t, dtype=float).tolist()) + "\\n")
    _server.stdin.flush()
    out = np.array(json.loads(_server.stdout.readline()))
    return out if out.ndim else float(out)
''',
    "fork": PICKLE + '''
import os

def sigmoid(t):
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.write(write, pickle.dumps(_ref[0](t)))
        os._exit(0)
    os.close(write)
    data = b""
    while chunk := os.read(read, 65536):
        data += chunk
    os.close(read)
    os.waitpid(pid, 0)
    return pickle.loads(data)
''',
    "package-file": '''
from activations_copy import sigmoid
''',
}


def _package_copy() -> str:
    """The package's ``_validation.py`` and ``activations.py`` as one file, verbatim but for
    the lines a file of its own cannot keep (the relative import, the ``__future__`` line)."""
    from dlgrade.judge_code import package_root

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
        path = submit(course, ASSIGNMENT, student, _notebook(answer))
        if student == "package-file":
            (path.parent / "activations_copy.py").write_text(_package_copy())
    submit(course, ASSIGNMENT, "honest", _notebook(None))
    return course


def _unearned(scores) -> list[str]:
    problems = []
    for student in _attacks():
        got = scores.get(student)
        if got is None:
            problems.append(f"{student}: not graded")
            continue
        problems += [f"{student} earned {got.get(test)} on {test}" for test in GUARDED
                     if got.get(test)]
    honest = scores.get("honest", {})
    problems += [f"honest lost {test}" for test, score in honest.items()
                 if score == 0 and test.startswith("test_")]
    return problems if honest else problems + ["honest: not graded"]


@pytest.fixture(scope="module")
def autograded(tmp_path_factory):
    course = _course(tmp_path_factory.mktemp("concurrency") / "course", _project_config())
    old = os.environ.pop("DLCOURSE_JUDGE", None)
    try:
        run_nbgrader(course, "generate_assignment", ASSIGNMENT, "--force", "--log-level=WARN")
        run_nbgrader(course, "autograde", ASSIGNMENT, "--force", "--log-level=WARN")
    finally:
        if old is not None:
            os.environ["DLCOURSE_JUDGE"] = old
    return course, _scores(course)


def test_plain_nbgrader_autograde_gives_no_point_out_of_the_recorders_sight(autograded):
    _, scores = autograded
    assert _unearned(scores) == []


def _said(course, student, grade_id="test_sigmoid") -> str:
    path = course / "autograded" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    nb = nbformat.read(path, 4)
    cell = next(c for c in nb.cells
                if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id)
    return " ".join(str(o.get("evalue", "")) + str(o.get("text", "")) for o in cell.outputs)


@pytest.mark.parametrize("student, words", [
    ("thread-plain", "it started a thread"),
    ("thread-from-c", "it started a thread"),
    ("thread-queue", "thread(s) the kernel did not start were running"),
    ("silenced-in-thread", "it started a thread"),
    ("pause-recorder", "paused 1 time(s) outside the judge's own calls"),
    ("pause-pickled", "paused 1 time(s) outside the judge's own calls"),
    ("libname-toggle", "paused 1 time(s) outside the judge's own calls"),
    ("child-server", "child process(es) of the kernel were running"),
    ("fork", "it started a process (os.fork)"),
    ("package-file", "handed in as the student's own text"),
    ("pasted-package", "handed in as the student's own text"),
])
def test_the_reasons_say_what_was_seen(autograded, student, words):
    course, _ = autograded
    assert words in _said(course, student)


def test_dlcourse_grade_gives_no_point_out_of_the_recorders_sight(tmp_path):
    sandbox, _ = sandbox_config()
    course = _course(tmp_path / "course", sandbox)  # dlcourse grade installs the judge itself
    dlcourse("release", cwd=course)
    dlcourse("grade", ASSIGNMENT, "--workers", "2", "--no-progress", cwd=course)
    assert _unearned(_scores(course)) == []
