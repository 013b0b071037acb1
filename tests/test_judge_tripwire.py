"""Review 21c's holes J, J2, H, H2 and W3 through one whole notebook (05) on both paths: plain
``nbgrader autograde`` with the project's config (N) and ``dlcourse grade`` (G).

Each hook sees the judge's arguments outside the record of the graded call and runs the
package's implementation there; the graded function then returns what the hook kept:

* J (``dense_backward``): ``json.loads`` replaced; the agent's own parse of the request runs it.
* J2 (``mlp_gradients``): the same hook reads the request out of the kernel's parse of the
  whole execute_request (jupyter's ``Session``), before the agent runs at all.
* H and H2 (``train``, calls taken in turn): ``np.geterr`` replaced (the recorder reads the
  error state before it starts) and ``np.errstate`` replaced by a subclass (the agent enters it
  before the recorder); both walk up to the agent's frame holding the decoded arguments.
* W3 (``numerical_gradient``): the kernel's ``raw_input`` replaced; the agent calls it while
  the record is paused for the judge's ``f``.

Main gave every one of these tests full points (the mutation check in the issue's note). The
tripwire (:mod:`dlgrade.judge_tripwire`) sees the package's code run outside the records: every
hooked function earns nothing. The honest 05 keeps every point in the fairness suites
(tests/test_exercise_fairness.py), which run through the same judge.
"""

from __future__ import annotations

import nbformat
import pytest

from tests.submissions.attacks import autograde, dlcourse_grade, notebook, scores
from tests.submissions.crafted import make_course, project_config, sandbox_config, submit

pytestmark = pytest.mark.slow

#: every hook: one store of results, the package's functions fetched when needed
COMMON = '''
import json, pkgutil
from sys import _getframe

_kept = {}
_MODULES = {"dense_backward": "layers", "mlp_gradients": "backprop", "train": "backprop",
            "numerical_gradient": "gradcheck"}

def _ref(name):
    return pkgutil.resolve_name("dl" + "course." + _MODULES[name] + ":" + name)

def _keep(name, args, kwargs):
    _kept[name] = ([np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in args],
                   _ref(name)(*args, **kwargs))

def _kept_for(name, first):
    entry = _kept.pop(name, None)
    if entry is None or not entry[0]:
        return None
    same = entry[0][0] is first or (np.shape(entry[0][0]) == np.shape(first) and
                                    np.array_equal(entry[0][0], first))
    return entry[1] if same else None

def _decoded(request, name):
    """the judge's request for ``name`` (a dict), its arguments decoded, or None"""
    if type(request) is not dict or request.get("op") != "call":
        return None
    if type(request.get("fn")) is not dict or request["fn"].get("name") != name:
        return None
    decode = pkgutil.resolve_name("dl" + "grade.judge_wire:decode")
    return decode(request["args"], lambda o: None), decode(request["kwargs"], lambda o: None)

_real_loads = json.loads

def _loads(text, *a, **k):
    found = _real_loads(text, *a, **k)
    try:
        # J: the agent's own parse of the request
        call = _decoded(found, "dense_backward")
        if call is not None:
            _keep("dense_backward", *call)
        # J2: jupyter's parse of the execute_request that carries the request
        if type(found) is dict and type(found.get("user_expressions")) is dict:
            expression = found["user_expressions"].get("r")
            if type(expression) is str and "handle(" in expression:
                import ast
                start = expression.index("handle(") + 7
                inner = _real_loads(ast.literal_eval(expression[start:-1]))
                call = _decoded(inner, "mlp_gradients")
                if call is not None:
                    _keep("mlp_gradients", *call)
    except Exception:
        pass
    return found

list(map(setattr, [json], ["loads"], [_loads]))

_seen = []

def _from_agent_frame(hook):
    """H, H2: the agent's frame, where the call's arguments are decoded already; the calls
    of train are taken in turn by the two hooks"""
    frame = _getframe(2)
    while frame is not None:
        names = frame.f_locals
        if frame.f_code.co_name == "_recorded_call" and "fn" in names and "kwargs" in names:
            args = names["args"]
            if names["fn"].__name__ != "train" or \
                    any(seen is args for seen in _seen):
                return
            if (len(_seen) % 2 == 0) != (hook == "H2"):
                return
            _seen.append(args)
            _kept["train"] = (args, _ref("train")(*args, **names["kwargs"]))
            return
        frame = frame.f_back

_real_geterr, _real_errstate = np.geterr, np.errstate

def _geterr():
    _from_agent_frame("H")
    return _real_geterr()

class _errstate(_real_errstate):
    def __init__(self, **kwargs):
        _from_agent_frame("H2")
        super().__init__(**kwargs)

list(map(setattr, [np, np], ["geterr", "errstate"], [_geterr, _errstate]))

from IPython import get_ipython as _ipython
_kernel = _ipython().kernel
_real_raw_input = _kernel.raw_input
_job = []

def _raw_input(prompt=""):
    # W3: runs while the record is paused for the judge's f
    if _job:
        job = _job.pop()
        job()
    return _real_raw_input(prompt)

list(map(setattr, [_kernel], ["raw_input"], [_raw_input]))
'''

CELLS = {
    "dense_backward": COMMON + '''
def dense_backward(dZ, X, W):
    kept = _kept_for("dense_backward", dZ)
    return kept if kept is not None else (dZ @ W.T, X.T @ dZ, dZ.sum(axis=0))
''',
    "numerical_gradient": '''
_records = pkgutil.resolve_name("dl" + "grade.judge_code:_ACTIVE")

def _unrecorded(job):
    # the record stays paused while the job calls f (each call would resume it)
    saved = list(_records)
    _records.clear()
    try:
        return job()
    finally:
        _records.extend(saved)

def numerical_gradient(f, x, eps=1e-6):
    box = []
    _job.append(lambda: box.append(_unrecorded(
        lambda: _ref("numerical_gradient")(f, x, eps))))
    f(x)
    _job.clear()
    if box:
        return box[0]
    return np.zeros(np.shape(x))
''',
    "mlp_gradients": '''
def mlp_gradients(X, y, params, hidden_activation="relu"):
    kept = _kept_for("mlp_gradients", X)
    return kept if kept is not None else (0.0, {})
''',
    "train": '''
def train(X, y, layer_sizes, lr, n_epochs, rng=None):
    kept = _kept_for("train", X)
    return kept if kept is not None else ({}, [])
''',
}
#: grade id -> points, for every test of a hooked function
HOOKED = {"test_dense_backward": 2, "test_dense_backward_hidden": 2,
          "test_numerical_gradient": 2, "test_numerical_gradient_hidden": 2,
          "test_mlp_gradients": 3, "test_mlp_gradients_hidden": 5,
          "test_train": 3, "test_train_hidden": 3}


def _course(root, config: str):
    course = make_course(root, assignments=(), extra_config=config,
                         copy_from_repo=["05_backprop"])
    submit(course, "05_backprop", "hooks", notebook("05_backprop", CELLS))
    return course


def _earned(course) -> dict[str, float]:
    """The points the student ``hooks`` earned on the hooked functions' tests."""
    got = scores(course, "05_backprop")["hooks"]
    return {test: got.get(test) for test in HOOKED if got.get(test)}


def _reasons(course) -> str:
    """The feedback's text of the graded notebook (the reasons shown to the student)."""
    path = course / "autograded" / "hooks" / "05_backprop" / "05_backprop.ipynb"
    nb = nbformat.read(path, 4)
    return "\n".join(str(output.get("evalue", "")) for cell in nb.cells
                     for output in cell.get("outputs", []))


def _assert_reasons(course) -> None:
    reasons = _reasons(course)
    for package in ("dlcourse.layers.dense_backward", "dlcourse.backprop.mlp_gradients",
                    "dlcourse.backprop.train", "dlcourse.gradcheck.numerical_gradient"):
        assert f"{package} ran, in the kernel outside the graded calls" in reasons, reasons


def test_plain_nbgrader_autograde(tmp_path):
    course = _course(tmp_path / "course", project_config())
    autograde(course, "05_backprop")
    assert _earned(course) == {}
    _assert_reasons(course)


def test_dlcourse_grade(tmp_path):
    sandbox, _ = sandbox_config()
    course = _course(tmp_path / "course", sandbox)
    dlcourse_grade(course, "05_backprop", workers=1, check=False)
    assert _earned(course) == {}
    _assert_reasons(course)
