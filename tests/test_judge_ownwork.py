"""Issue 21 item 5 after the hostile review: the package's ``sigmoid`` however it is kept.

The review (notes/review-21-hostile.md, holes 1, 2, 3 and 5) earned full points on
exercise 02 with the package's own ``sigmoid`` kept in a list, a dict, ``vars(module)``, a
``SimpleNamespace``, a callable object, a tuple default, a ``pickle.loads`` result inside a
list, or the package's source text exec'd under another file name, and with the naive formula
whose warnings were switched off through ``operator.attrgetter("err" + "st" + "ate")(np)``.
Each is a submission here, graded through plain ``nbgrader autograde`` with the project's
config and through ``dlcourse grade``: none may earn a point on the sigmoid tests, and the
honest solution keeps every point. The judge sees them by what runs during the judged call
(:mod:`dlgrade.judge_code`), not by how the reference is written.
"""

from __future__ import annotations

import nbformat
import pytest

from tests.submissions.attacks import autograde, dlcourse_grade, notebook, scores
from tests.submissions.crafted import REPO, make_course, project_config, sandbox_config, submit

pytestmark = pytest.mark.slow

ASSIGNMENT = "02_neuron"
GET = '''
import importlib
_mod = importlib.import_module("dl" + "course.activations")
'''
#: A function of the cell that writes the package's module ``path`` without docstrings or
#: relative imports (the helper they import is replaced by a stand-in)
STRIP = '''
import ast as _ast
def _strip(path):
    tree = _ast.parse(open(path).read())
    for node in _ast.walk(tree):
        if isinstance(node, (_ast.FunctionDef, _ast.ClassDef)) and node.body and \\
                isinstance(node.body[0], _ast.Expr) and \\
                isinstance(getattr(node.body[0], "value", None), _ast.Constant):
            node.body = node.body[1:] or [_ast.Pass()]
    tree.body = [n for n in tree.body if not (isinstance(n, _ast.ImportFrom) and n.level)]
    return _ast.unparse(tree) + "\\nas_float_array = None\\n"
'''
#: student -> new source of the sigmoid cell
ATTACKS = {
    "in-list": GET + '''
_box = [_mod.sigmoid]

def sigmoid(t):
    return _box[0](t)
''',
    "in-dict": GET + '''
_table = {"s": _mod.sigmoid}

def sigmoid(t):
    return _table["s"](t)
''',
    "in-vars": GET + '''
_names = vars(_mod)

def sigmoid(t):
    return _names["sig" + "moid"](t)
''',
    "in-namespace": GET + '''
import types
_space = types.SimpleNamespace(f=_mod.sigmoid)

def sigmoid(t):
    return _space.f(t)
''',
    "callable-object": GET + '''
class _Sigmoid:
    def __init__(self, f):
        self.f = f

    def __call__(self, t):
        return self.f(t)

sigmoid = _Sigmoid(_mod.sigmoid)
''',
    "tuple-default": GET + '''
def sigmoid(t, _f=(_mod.sigmoid,)):
    return _f[0](t)
''',
    "pickle-in-list": '''
import pickle
_box = [pickle.loads(b"c" + b"dl" + b"course.activations\\nsigmoid\\n.")]

def sigmoid(t):
    return _box[0](t)
''',
    "exec-source": '''
import importlib.util
_ns = {}
for _name in ("_validation", "activations"):
    _path = importlib.util.find_spec("dl" + "course." + _name).origin
    with open(_path) as _file:
        _text = _file.read().replace("from ._validation import", "# from ._validation import")
    exec(compile(_text, "<cell>", "exec"), _ns)
sigmoid = _ns["sigmoid"]
''',
    "attrgetter-errstate": '''
import operator

def sigmoid(t):
    with operator.attrgetter("err" + "st" + "ate")(np)(all="ignore"):
        out = 1.0 / (1.0 + np.exp(-np.asarray(t, dtype=float)))
    return out if out.ndim else float(out)
''',
    # review 21b hole 1: the package's functions rebuilt with numpy's file name, every dunder
    # reached through object.__getattribute__ (the recorder took library code by its name)
    "relabelled": '''
import pickle, types
def _get(obj, name):
    return object.__getattribute__(obj, "__" + name + "__")
_ref = pickle.loads(b"c" + b"dl" + b"course.activations\\nsigmoid\\n.")
_space = dict(_get(_ref, "glob" + "als"))
for _key, _value in list(_space.items()):
    if isinstance(_value, types.FunctionType):
        _space[_key] = types.FunctionType(
            _get(_value, "co" + "de").replace(co_filename=np.__file__), _space, _key)
sigmoid = _space["sigmoid"]
''',
    # hole 2: the naive formula in errstate(all="ignore"), relabelled as numpy's code
    "relabelled-silencer": '''
import types
def _naive(t):
    with object.__getattribute__(np, "err" + "state")(all="ignore"):
        out = 1.0 / (1.0 + np.exp(-np.asarray(t, dtype=float)))
    return out if out.ndim else float(out)
_code = object.__getattribute__(_naive, "__co" + "de__")
sigmoid = types.FunctionType(_code.replace(co_filename=np.__file__), globals(), "sigmoid")
''',
    # hole 3: the package's file read at run time, docstrings dropped, imported from a module
    # written to the working folder (no fingerprint of the old kind matched)
    "stripped-module": STRIP + '''
import importlib.util
with open("helpers_made.py", "w") as _out:
    _out.write(_strip(importlib.util.find_spec("dl" + "course.activations").origin))
from helpers_made import sigmoid
''',
    # hole 4: the grader's Recorder loaded through pickle (no import of dlgrade) and its
    # report replaced by an empty one
    "pickled-recorder": '''
import pickle
_rec = pickle.loads(b"c" + b"dl" + b"grade.judge_code\\nRecorder\\n.")
_rec.report = lambda self: {"package": [], "other": [], "silenced": [], "switched": []}
_box = [pickle.loads(b"c" + b"dl" + b"course.activations\\nsigmoid\\n.")]

def sigmoid(t):
    return _box[0](t)
''',
    # review 21c, Rv3: the package's sigmoid rebuilt in memory with every global and
    # attribute name renamed (np reached through a proxy of the student's), spelled so that
    # G's scan flags nothing; fingerprints that kept names took it for other code
    "renamed-names": '''
import dis, pkgutil
_mod = pkgutil.resolve_name("dl" + "course.activations")
class _Prefixed:
    def __init__(self, inner):
        self.inner = inner
    def __getattr__(self, name):
        return getattr(self.inner, name[3:])
def _own_out(values):
    return values[()] if np.ndim(values) == 0 else values
def _renamed(code):
    consts = tuple(_renamed(c) if type(c) is type(code) else c for c in code.co_consts)
    return code.replace(**{"co_filename": "<cell>", "co_consts": consts,
                           "co_names": tuple("_n_" + n for n in code.co_names)})
_space = {"_n_np": _Prefixed(np), "_n__out": _own_out, "__builtins__": __builtins__}
sigmoid = type(_own_out)(_renamed(dis.Bytecode(_mod.sigmoid).codeobj), _space, "sigmoid")
''',
}


def _without_docstrings(path) -> str:
    """The package's module at ``path`` with every docstring and relative import left out."""
    import ast

    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and \
                ast.get_docstring(node, clean=False) is not None:
            node.body = node.body[1:] or [ast.Pass()]
    tree.body = [n for n in tree.body if not (isinstance(n, ast.ImportFrom) and
                                              (n.level or n.module == "__future__"))]
    return "as_float_array = np.asarray\n" + ast.unparse(tree)


# hole 3b: the package's module, docstrings stripped, handed in as the student's own text
ATTACKS["stripped-pasted"] = _without_docstrings(REPO / "dlcourse" / "activations.py")
GUARDED = ["test_sigmoid", "test_sigmoid_hidden"]


def _course(root, config: str):
    course = make_course(root, assignments=(), extra_config=config,
                         copy_from_repo=[ASSIGNMENT])
    for student, answer in ATTACKS.items():
        submit(course, ASSIGNMENT, student, notebook(ASSIGNMENT, {"sigmoid": answer}))
    submit(course, ASSIGNMENT, "honest", notebook(ASSIGNMENT))
    return course


def _unearned(scores) -> list[str]:
    problems = []
    for student in ATTACKS:
        got = scores.get(student)
        if got is None:
            problems.append(f"{student}: not graded")
            continue
        problems += [f"{student} earned {got[test]} on {test}" for test in GUARDED if got[test]]
    honest = scores.get("honest", {})
    problems += [f"honest lost {test}" for test, score in honest.items()
                 if score == 0 and test.startswith("test_")]
    return problems if honest else problems + ["honest: not graded"]


@pytest.fixture(scope="module")
def autograded(tmp_path_factory):
    course = _course(tmp_path_factory.mktemp("ownwork") / "course", project_config())
    assert "install_judge(c)" in (course / "nbgrader_config.py").read_text()
    # the real package in the kernel: what the record sees is tested here (with the kernel
    # build the package's code is not there to run: tests/test_judge_kernel_build.py)
    autograde(course, ASSIGNMENT, kernel_build=False)
    return course, scores(course, ASSIGNMENT)


def test_plain_nbgrader_autograde_gives_no_point_to_the_package_however_kept(autograded):
    _, scores = autograded
    assert _unearned(scores) == []


def test_the_reasons_name_what_ran(autograded):
    course, _ = autograded

    def said(student, grade_id="test_sigmoid"):
        path = course / "autograded" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
        nb = nbformat.read(path, 4)
        cell = next(c for c in nb.cells
                    if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id)
        return " ".join(str(o.get("evalue", "")) + str(o.get("text", ""))
                        for o in cell.outputs)

    assert "dlcourse.activations.sigmoid ran during the call" in said("in-list")
    assert "dlcourse.activations.sigmoid ran during the call" in said("pickle-in-list")
    assert "a copy of dlcourse.activations.sigmoid" in said("exec-source")
    assert "switched warnings off while it ran" in said("attrgetter-errstate")


def test_dlcourse_grade_gives_no_point_to_the_package_however_kept(tmp_path):
    sandbox, _ = sandbox_config()
    course = _course(tmp_path / "course", sandbox)  # dlcourse grade installs the judge itself
    dlcourse_grade(course, ASSIGNMENT, workers=2)
    assert _unearned(scores(course, ASSIGNMENT)) == []
