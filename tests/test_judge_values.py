"""Issue 21 items 4 and 5 as a hostile student would try them, through plain
``nbgrader autograde`` with the project's config and through ``dlcourse grade``.

Each hostile submission is the instructor's solution of a real assignment with one function
replaced by a trick that forged points (or a function handed over from the package) before
the judge owned its values:

* item 4: ``fit_neuron`` that zeroes the test's ``X`` and ``y`` and returns zeros; NaN weights;
  ``tanh_grad`` / ``leaky_relu_grad`` that overwrite their input and return ones;
  ``init_params`` that returns ``[]`` on a second identical call; a naive sigmoid whose overflow
  warning is silenced; a seed planted in numpy's global random state for the next student;
* item 5: the package's own ``sigmoid`` reached through ``pickle``, ``marshal``,
  ``importlib`` + ``pkgutil``, ``__import__``, ``runpy`` or ``sys.modules``.

Every trick must earn none of the points of the function it touches, while the honest
solution keeps full points. The same tests run against main's code before this change
(the mutation check in the issue note) failed for every trick.
"""

from __future__ import annotations

import textwrap

import nbformat
import pytest

from tests.submissions.attacks import autograde, dlcourse_grade, notebook, scores
from tests.submissions.crafted import make_course, project_config, sandbox_config, submit

pytestmark = pytest.mark.slow

SIGMOID = """
        def _honest(t):
            t = np.asarray(t, dtype=float)
            e = np.exp(-np.abs(t))
            return np.where(t >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
        """

#: student -> (assignment, {grade_id: new source}, tests that must earn 0)
ATTACKS = {
    "zeroes-xy": ("02_neuron", {"fit_neuron": """
        def fit_neuron(X, y, lr, n_steps):
            X[...] = 0.0
            y[...] = 0.0
            return np.zeros(X.shape[1]), 0.0
        """}, ["test_fit_neuron", "test_fit_neuron_hidden"]),
    "nan-fit": ("02_neuron", {"fit_neuron": """
        def fit_neuron(X, y, lr, n_steps):
            return np.full(np.shape(X)[1], np.nan), 0.0
        """}, ["test_fit_neuron", "test_fit_neuron_hidden"]),
    "hushed-sigmoid": ("02_neuron", {"sigmoid": """
        import warnings

        def sigmoid(t):
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                out = 1.0 / (1.0 + np.exp(-np.asarray(t, dtype=float)))
            return out if out.ndim else float(out)
        """}, ["test_sigmoid", "test_sigmoid_hidden"]),
    "pickled": ("02_neuron", {"sigmoid": """
        import pickle
        sigmoid = pickle.loads(b"cdlcourse.activations\\nsigmoid\\n.")
        """}, ["test_sigmoid", "test_sigmoid_hidden"]),
    "pickled-wrapped": ("02_neuron", {"sigmoid": """
        import pickle
        _ref = pickle.loads(bytes([99]) + b"dl" + b"course.activations\\nsigmoid\\n.")

        def sigmoid(t):
            return _ref(t)
        """}, ["test_sigmoid", "test_sigmoid_hidden"]),
    "marshalled": ("02_neuron", {"sigmoid": """
        import importlib, marshal, types
        _mod = importlib.import_module("dl" + "course.activations")
        _code = marshal.loads(marshal.dumps(_mod.sigmoid.__code__))
        sigmoid = types.FunctionType(_code, dict(vars(_mod), __name__="__main__"), "sigmoid")
        """}, ["test_sigmoid", "test_sigmoid_hidden"]),
    "walks-packages": ("02_neuron", {"sigmoid": """
        import importlib, pkgutil
        _root = importlib.import_module("dl" + "course")
        for _info in pkgutil.walk_packages(_root.__path__, _root.__name__ + "."):
            _mod = importlib.import_module(_info.name)
            if callable(getattr(_mod, "sig" + "moid", None)):
                sigmoid = getattr(_mod, "sig" + "moid")
                break
        """}, ["test_sigmoid", "test_sigmoid_hidden"]),
    "dunder-import": ("02_neuron", {"sigmoid": """
        def sigmoid(t, _f=__import__("dl" + "course.activations", fromlist=["x"]).sigmoid):
            return _f(t)
        """}, ["test_sigmoid", "test_sigmoid_hidden"]),
    "runpy": ("02_neuron", {"sigmoid": """
        import runpy
        sigmoid = runpy.run_module("dl" + "course.activations")["sigmoid"]
        """}, ["test_sigmoid", "test_sigmoid_hidden"]),
    "sys-modules": ("02_neuron", {"sigmoid": """
        import sys
        __import__("dl" + "course.activations")
        sigmoid = vars(sys.modules["dl" + "course.activations"])["sigmoid"]
        """}, ["test_sigmoid", "test_sigmoid_hidden"]),
    "empty-again": ("03_networks", {"init_params": """
        _calls = {}

        def init_params(layer_sizes, rng=None):
            key = (tuple(layer_sizes), rng if isinstance(rng, int) else None)
            _calls[key] = _calls.get(key, 0) + 1
            if _calls[key] == 2:
                return []
            gen = np.random.default_rng(rng)
            return [(gen.normal(scale=np.sqrt(2.0 / m), size=(m, n)), np.zeros(n))
                    for m, n in zip(layer_sizes[:-1], layer_sizes[1:])]
        """}, ["test_init_params", "test_init_params_hidden"]),
    "overwrites-input": ("04_activations", {"tanh_grad": """
        def tanh_grad(t):
            t[...] = 0.0
            return np.ones_like(t)
        """, "leaky_relu_grad": """
        def leaky_relu_grad(t, alpha=0.01):
            t[...] = 1.0
            return np.ones_like(t)
        """}, ["test_tanh_grad", "test_tanh_grad_hidden", "test_leaky_relu_grad",
               "test_leaky_relu_grad_hidden"]),
    # a covert channel between students: the first plants a seed in numpy's global state from
    # inside a judged call, the second answers right only if it finds that seed
    "a-seeder": ("02_neuron", {"sigmoid": SIGMOID + "\x00" + """

        def sigmoid(t):
            np.random.seed(424242)
            return _honest(t) if np.ndim(t) else float(_honest(t))
        """}, []),
    "b-receiver": ("02_neuron", {"sigmoid": SIGMOID + "\x00" + """

        _MAGIC = np.random.RandomState(424242).random_sample()
        _opened = []

        def sigmoid(t):
            if np.random.random() == _MAGIC:
                _opened.append(True)
            if not _opened:
                return np.zeros_like(np.asarray(t, dtype=float))
            return _honest(t) if np.ndim(t) else float(_honest(t))
        """}, ["test_sigmoid", "test_sigmoid_hidden"]),
}
ASSIGNMENTS = sorted({assignment for assignment, _, _ in ATTACKS.values()})
#: student -> tests it must earn: the seeder's sigmoid is right, only its side effect is not
EARNED = {"a-seeder": ["test_sigmoid", "test_sigmoid_hidden"]}


def _notebook(assignment: str, answers: dict[str, str]) -> str:
    """The solution with ``answers`` in; an answer's parts (split at ``\\x00``, each indented
    on its own) are dedented one by one and joined by a blank line."""
    return notebook(assignment, {
        grade_id: "\n\n".join(textwrap.dedent(part).strip() for part in answer.split("\x00"))
        for grade_id, answer in answers.items()})


def _course(root, config: str):
    course = make_course(root, assignments=(), extra_config=config, copy_from_repo=ASSIGNMENTS)
    for student, (assignment, answers, _) in ATTACKS.items():
        submit(course, assignment, student, _notebook(assignment, answers))
    for assignment in ASSIGNMENTS:
        submit(course, assignment, "honest", _notebook(assignment, {}))
    return course


def _scores(course) -> dict[tuple[str, str], dict[str, float]]:
    """``{(student, assignment): {grade name: score}}`` over every assignment of the batch."""
    return {(student, assignment): grades for assignment in ASSIGNMENTS
            for student, grades in scores(course, assignment).items()}


def _unearned(scores) -> list[str]:
    """Points a trick earned on the tests of the function it touches, and honest points lost."""
    problems = []
    for student, (assignment, _, guarded) in ATTACKS.items():
        got = scores.get((student, assignment))
        if got is None:
            problems.append(f"{student}: not graded")
            continue
        problems += [f"{student} earned {got[test]} on {test}" for test in guarded if got[test]]
    for student, tests in EARNED.items():
        got = scores.get((student, ATTACKS[student][0]), {})
        problems += [f"{student} lost {test}" for test in tests if not got.get(test)]
    for assignment in ASSIGNMENTS:
        honest = scores[("honest", assignment)]
        problems += [f"honest lost {test} in {assignment}" for test, score in honest.items()
                     if score == 0 and test.startswith("test_")]
    return problems


@pytest.fixture(scope="module")
def autograded(tmp_path_factory):
    course = _course(tmp_path_factory.mktemp("values") / "course", project_config())
    assert "install_judge(c)" in (course / "nbgrader_config.py").read_text()
    for assignment in ASSIGNMENTS:
        autograde(course, assignment)
    return course, _scores(course)


def test_plain_nbgrader_autograde_gives_no_point_to_a_trick(autograded):
    _, scores = autograded
    assert _unearned(scores) == []


def test_the_reasons_say_what_was_found(autograded):
    course, _ = autograded

    def said(student, assignment, grade_id):
        nb = nbformat.read(course / "autograded" / student / assignment / f"{assignment}.ipynb", 4)
        cell = next(c for c in nb.cells
                    if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id)
        return " ".join(str(o.get("evalue", "")) for o in cell.outputs)

    assert "found in your kernel" in said("pickled", "02_neuron", "test_sigmoid")
    assert "dlcourse.activations" in said("marshalled", "02_neuron", "test_sigmoid")
    assert "switches warnings off" in said("hushed-sigmoid", "02_neuron", "test_sigmoid")
    assert "w[0] is nan" in said("nan-fit", "02_neuron", "test_fit_neuron")


def test_dlcourse_grade_gives_no_point_to_a_trick(tmp_path):
    sandbox, _ = sandbox_config()
    course = _course(tmp_path / "course", sandbox)  # dlcourse grade installs the judge itself
    dlcourse_grade(course, *ASSIGNMENTS, workers=2)
    assert _unearned(_scores(course)) == []
