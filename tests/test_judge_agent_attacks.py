"""Review 21c's holes L, W, M and O through whole notebooks: plain ``nbgrader autograde`` with
the project's config (N) and ``dlcourse grade`` (G), several students per run.

* L (02): ``sigmoid`` returns an object whose ``__getattr__`` runs the package's sigmoid when
  the agent reads it, after the recorded call ended ("lazy-ref"), or the naive formula inside
  a hidden ``np.errstate`` ("lazy-silenced"). Main gave both every sigmoid point.
* M (02): the agent's ``handle`` replaced by one answering 21 M empty lists ("big-reply"): main
  parsed each reply for tens of seconds, test after test (~5 min on N; G held the station until
  the deadline with the reason "stopped answering"). Now the notebook stops at once with the
  reason "the judge's agent in the kernel was replaced or broken".
* O (02): a correct sigmoid returning an object array of Python floats ("honest-object") keeps
  every point (main read it element by element and timed out under G's load).
* W (05): ``numerical_gradient`` keeps the judge's ``f``; ``mlp_gradients`` and ``train`` call
  it later with an argument whose ``__getattr__`` runs the package's implementation while the
  record was paused for the callback ("paused-ref"; main: 22/22).

The channel-level checks of the same holes: tests/test_judge_agent_encoding.py.
"""

from __future__ import annotations

import json

import nbformat
import pytest

from tests.submissions.attacks import autograde, dlcourse_grade, notebook, scores
from tests.submissions.crafted import REPO, make_course, project_config, sandbox_config, submit

pytestmark = pytest.mark.slow

#: 02's other answers, calling the student's own stable sigmoid instead of ``sigmoid``
STABLE = "def _sig(t):\n    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(t, dtype=float)))\n"
LAZY = '''
import pickle

class _Lazy:
    def __init__(self, job):
        self._job, self._v = job, None
    def __getattr__(self, name):
        if self._v is None:
            self._v = np.asarray(self._job())
        raise AttributeError(name)
    def __len__(self):
        return len(self._v)
    def __getitem__(self, i):
        return self._v[i]
'''
#: the naive formula's overflow warning switched off through a name built at run time
HIDDEN = '''with object.__getattribute__(np, "err" + "state")(all="ignore"):
                self._v = np.asarray(self._job())'''
NEURON_ATTACKS = {
    "lazy-ref": LAZY + STABLE + '''
def _fetch():  # fetched when used, so no global holds the package's function
    return pickle.loads(b"c" + b"dl" + b"course.activations\\nsigmoid\\n.")

def sigmoid(t):
    if np.ndim(t) == 0:
        return float(_sig(t))
    return _Lazy(lambda: _fetch()(t))
''',
    "lazy-silenced": LAZY.replace("self._v = np.asarray(self._job())", HIDDEN) + STABLE + '''
def sigmoid(t):
    if np.ndim(t) == 0:
        return float(_sig(t))
    return _Lazy(lambda: 1.0 / (1.0 + np.exp(-np.asarray(t, dtype=float))))
''',
    "big-reply": STABLE + '''
import pickle

def sigmoid(t):
    return _sig(t)

_BIG = '{"ok":[' + '[],' * 21_000_000 + '[]]}'
pickle.loads(b"cbuiltins\\nsetattr\\n(cimportlib\\nimport_module\\n(V" + b"dl" +
             b"grade.judge_agent\\ntRVhandle\\nc__main__\\n_answer\\ntR.")
''',
    "honest-object": '''
import math

def _one(x):
    x = float(x)
    return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))

def sigmoid(t):
    if np.ndim(t) == 0:
        return _one(t)
    return np.array([_one(x) for x in np.ravel(t)], dtype=object).reshape(np.shape(t))
''',
}
# the replaced handle must exist before pickle binds it
NEURON_ATTACKS["big-reply"] = NEURON_ATTACKS["big-reply"].replace(
    "pickle.loads(", "def _answer(text):\n    return _BIG\n\npickle.loads(", 1)
#: students whose sigmoid cell is replaced and whose other answers use ``_sig``
OWN_HELPER = ("lazy-ref", "lazy-silenced")
SIGMOID_TESTS = ("test_sigmoid", "test_sigmoid_hidden")

BACKPROP_CELLS = {
    "numerical_gradient": '''
import pickle
_kept = []

def numerical_gradient(f, x, eps=1e-6):
    _kept.append(f)
    grad = np.zeros(np.shape(x), dtype=float)
    for index in np.ndindex(grad.shape):
        original = x[index]
        x[index] = original + eps
        up = float(f(x))
        x[index] = original - eps
        down = float(f(x))
        x[index] = original
        grad[index] = (up - down) / (2.0 * eps)
    return grad
''',
    "mlp_gradients": '''
def _ref(name):
    return pickle.loads(b"c" + b"dl" + b"course.backprop\\n" + name.encode() + b"\\n.")

class _Trigger:
    def __init__(self, job):
        self.job, self.box = job, []
    def __getattr__(self, name):
        if not self.box:
            self.box.append(self.job())
        raise AttributeError(name)

def _while_paused(job):
    trigger = _Trigger(job)
    try:
        _kept[0](0.0, _unused=trigger)
    except Exception:
        pass
    return trigger.box[0] if trigger.box else None

def mlp_gradients(X, y, params, hidden_activation="relu"):
    return _while_paused(lambda: _ref("mlp_gradients")(X, y, params, hidden_activation))
''',
    "train": '''
def train(X, y, layer_sizes, lr, n_epochs, rng=None):
    return _while_paused(lambda: _ref("train")(X, y, layer_sizes, lr, n_epochs, rng))
''',
}
STOLEN_TESTS = ("test_mlp_gradients", "test_mlp_gradients_hidden", "test_train",
                "test_train_hidden")


def _neuron_cells(student: str) -> dict[str, str]:
    cells = {"sigmoid": NEURON_ATTACKS[student]}
    if student in OWN_HELPER:  # the other answers keep working with the student's helper
        source = nbformat.read(REPO / "solutions" / "02_neuron" / "02_neuron.ipynb", 4)
        for cell in source.cells:
            grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
            if grade_id in ("neuron", "binary_cross_entropy", "fit_neuron"):
                cells[grade_id] = "\n".join(
                    line for line in cell.source.replace("sigmoid(", "_sig(").splitlines()
                    if "### " not in line)
    return cells


def _course(root, config: str):
    course = make_course(root, assignments=(), extra_config=config,
                         copy_from_repo=["02_neuron", "05_backprop"])
    for student in NEURON_ATTACKS:
        submit(course, "02_neuron", student, notebook("02_neuron", _neuron_cells(student)))
    submit(course, "02_neuron", "honest", notebook("02_neuron"))
    submit(course, "05_backprop", "paused-ref", notebook("05_backprop", BACKPROP_CELLS))
    return course


def _check(neuron: dict, backprop: dict, scanned: bool = False) -> list[str]:
    """What went wrong: points earned by an attack, or lost by an honest answer. With
    ``scanned`` (``dlcourse grade``) an attack's whole notebook may be at 0 and held for
    review by the scan (its ``pickle``), which is one of the outcomes wanted."""
    problems = []
    full = {"test_sigmoid": 1, "test_sigmoid_hidden": 2, "test_neuron": 1,
            "test_neuron_hidden": 1, "test_binary_cross_entropy": 1,
            "test_binary_cross_entropy_hidden": 2, "test_fit_neuron": 2,
            "test_fit_neuron_hidden": 2}
    for student in ("honest", "honest-object"):
        got = neuron.get(student, {})
        problems += [f"{student} lost {t}" for t, points in full.items() if got.get(t) != points]
    for student in OWN_HELPER:
        got = neuron.get(student, {})
        problems += [f"{student} earned {t}" for t in SIGMOID_TESTS if got.get(t, 0)]
        # the rest of the notebook is graded as usual (its own helper is honest)
        problems += [f"{student} lost {t}" for t in ("test_neuron", "test_fit_neuron")
                     if got.get(t) != full[t] and not scanned]
    if sum(neuron.get("big-reply", {}).values()):
        problems.append(f"big-reply earned {neuron['big-reply']}")
    got = backprop.get("paused-ref", {})
    problems += [f"paused-ref earned {t}" for t in STOLEN_TESTS if got.get(t, 0)]
    problems += [f"paused-ref lost {t}" for t in ("test_numerical_gradient",)
                 if got.get(t) != 2 and not scanned]
    return problems


def test_plain_nbgrader_autograde(tmp_path):
    course = _course(tmp_path / "course", project_config())
    # big-reply's notebook stops with an error: nbgrader reports it and goes on
    autograde(course, "02_neuron", check=False)
    autograde(course, "05_backprop")
    assert _check(scores(course, "02_neuron"), scores(course, "05_backprop")) == []


def test_dlcourse_grade(tmp_path):
    sandbox, _ = sandbox_config()
    course = _course(tmp_path / "course", sandbox)  # dlcourse grade installs the judge itself
    dlcourse_grade(course, "02_neuron", "05_backprop", workers=2, check=False)
    assert _check(scores(course, "02_neuron"), scores(course, "05_backprop"),
                  scanned=True) == []
    for assignment, student in (("02_neuron", "lazy-ref"), ("02_neuron", "lazy-silenced"),
                                ("05_backprop", "paused-ref")):
        status = json.loads((course / "grading" / assignment / "status" / f"{student}.json")
                            .read_text())
        assert status["status"] == "needs manual grading", status  # never plain "graded"
    status = json.loads((course / "grading" / "02_neuron" / "status" / "big-reply.json")
                        .read_text())
    assert status["status"] == "failed", status
    assert "judge's agent in the kernel was replaced or broken" in status["reason"], status
    assert "lists and objects was refused" in status["reason"], status
