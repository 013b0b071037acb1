"""dlgrade.scan without nbgrader: what the static scan flags (overrides, dynamic tricks,
references to the course package, reaching the shell) and what it must leave alone (every
independent correct answer, honest getattr and magics)."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[1]


def _locked(nb) -> set[str]:
    """The grade ids of the notebook's locked cells (what the scan is told to leave alone)."""
    return {c.metadata["nbgrader"]["grade_id"] for c in nb.cells
            if c.metadata.get("nbgrader", {}).get("locked")}


def _tiny_context():
    """The tiny assignment's notebook and the scan's context for it."""
    from dlgrade.scan import context_from_notebooks
    from tests.submissions.crafted import tiny_notebook

    source = tiny_notebook()
    return source, context_from_notebooks(source, source)


def _solution_contexts():
    """(assignment, solution notebook, the scan's context, its locked grade ids) for every
    assignment of the course whose solution is in the repository."""
    from dlcourse.checks import ASSIGNMENTS
    from dlgrade.scan import context_from_notebooks

    for assignment in ASSIGNMENTS:
        path = REPO / "solutions" / assignment / f"{assignment}.ipynb"
        if not path.exists():
            continue
        source = nbformat.read(str(path), 4)
        yield assignment, source, context_from_notebooks(source, source), _locked(source)


def _with_answers(source, answers: dict[str, str]):
    """A copy of ``source`` whose code cells ``{grade_id: text}`` hold the given text."""
    nb = nbformat.reads(nbformat.writes(source), 4)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.cell_type == "code" and grade_id in answers:
            cell.source = answers[grade_id]
    return nb


def _tiny_scan(tmp_path, student_code):
    from dlgrade.scan import scan_submission

    source, ctx = _tiny_context()
    sub = nbformat.v4.new_notebook()
    sub.cells = [c for c in source.cells]
    sub.cells[2] = nbformat.v4.new_code_cell(student_code)
    return scan_submission(sub, ctx, _locked(source))


HONEST = """\
import math
import numpy as np
X = np.linspace(-1, 1, 5)
total = sum(abs(x) for x in X)
def sigmoid(t):
    np.random.default_rng(0)
    return 1 / (1 + np.exp(-np.asarray(t)))
"""


def test_scan_leaves_honest_code_alone(tmp_path):
    assert _tiny_scan(tmp_path, HONEST) == []


@pytest.mark.parametrize("code, kind, words", [
    ("np.isclose = lambda *a, **k: True", "override", "np.isclose"),
    ("import numpy\nnumpy.testing.assert_allclose = print", "override", "assert_allclose"),
    ("setattr(np, 'isclose', lambda *a, **k: True)", "dynamic", "setattr"),
    ("import builtins\nbuiltins.all = lambda x: True", "override", "builtins.all"),
    ("__builtins__.abs = lambda x: 0", "override", "__builtins__"),
    ("def abs(x):\n    return 0", "override", "'abs'"),
    ("np = None", "override", "'np'"),
    ("from numpy import isclose as np", "override", "'np'"),
    ("import sys\nsys.modules['numpy'] = None", "dynamic", "sys.modules"),
    ("exec('np.isclose = 1')", "dynamic", "exec"),
    ("import ctypes", "dynamic", "ctypes"),
    # issue 21 review finding 3: the student paused the grader's recorder
    ("from dlgrade.judge_code import _ACTIVE\n_ACTIVE[-1].pause()", "dynamic",
     "dlgrade.judge_code._ACTIVE"),
    ("import dlgrade.judge_agent as agent", "dynamic", "the grader itself"),
    ("from ipykernel.kernelapp import IPKernelApp", "dynamic", "the kernel's own threads"),
    # issue 21 review 21b holes 1 and 4: the package or the grader reached through pickle
    # (no import names them), code objects relabelled and rebuilt into functions
    ("import pickle\nR = pickle.loads(b'c' + b'dl' + b'grade.judge_code\\nRecorder\\n.')",
     "dynamic", "imports pickle"),
    ("from copyreg import _reconstructor", "dynamic", "copyreg"),
    ("import marshal", "dynamic", "marshal"),
    ("f = object.__getattribute__(g, '__' + 'code' + '__')", "dynamic", "__getattribute__"),
    ("import types\nf = types.FunctionType(c, {})", "dynamic", "types.FunctionType"),
    ("from types import FunctionType", "dynamic", "types.FunctionType"),
    ("c2 = c.replace(co_filename=np.__file__)", "dynamic", "co_* fields"),
    ("model.__class__.predict = functools.partialmethod(rule)", "override", "__class__"),
    ("type(model).predict = rule", "override", "writes through"),
    ("from unittest import mock", "dynamic", "mock"),
    ("globals().update(abs=len)", "dynamic", "globals"),
    ("from dlcourse.activations import sigmoid", "reference", "dlcourse.activations.sigmoid"),
    ("import dlcourse\ndef sigmoid(t):\n    return dlcourse.activations.sigmoid(t)", "reference",
     "dlcourse"),
    # review 21d, T4 and T1-T3: the grader's record reached and wiped, its sentinel called
    ("import sys as _s\ndef sigmoid(t):\n    _s.getprofile().clear()", "dynamic",
     "sys.getprofile"),
    ("import _lsprof\n_lsprof.Profiler.clear(p)", "dynamic", "imports _lsprof"),
    ("import cProfile", "dynamic", "imports cProfile"),
    ("w = getter()\nw.clear()\nx = q.getprofile()", "dynamic", "q.getprofile"),
    ("objs = g.get_objects()", "dynamic", "g.get_objects"),
    ("r = g.get_referrers(x)", "dynamic", "g.get_referrers"),
    ("marks = [e.code for e in w.getstats()]", "dynamic", "w.getstats"),
    ("import sys\nv = sys.exc_info()[2].tb_frame.f_back.f_locals", "dynamic", "f_locals"),
    ("def gen():\n    yield 1\nf = gen().gi_frame", "dynamic", "gi_frame"),
    ("import types\nc = types.CellType(1)", "dynamic", "types.CellType"),
    ("import pkgutil", "dynamic", "imports pkgutil"),
    ("s = p.resolve_name('dl' + 'grade.judge_tripwire:_sentinel')", "dynamic",
     "resolve_name() for a name built at run time"),
    ("s = p.resolve_name('dlgrade.judge_tripwire:_sentinel')", "dynamic",
     "resolve_name() for 'dlgrade.judge_tripwire:_sentinel'"),
    ("m = il.import_module(name)", "dynamic", "import_module()"),
    ("get_ipython().system('cat ../../solutions/*/*.ipynb')", "dynamic", "shell"),
    ("!cat ../../solutions/tiny/tiny.ipynb", "dynamic", "shell"),
])
def test_scan_flags_cheats(tmp_path, code, kind, words):
    findings = _tiny_scan(tmp_path, code)
    assert any(f.kind == kind and words in f.message for f in findings), findings


@pytest.mark.parametrize("code, words", [
    ("get_ipython().input_transformers_post.append(lambda lines: ['pass\\n'])",
     "input_transformers_post"),
    ("ip = get_ipython()\nip.ast_transformers.append(None)", "ast_transformers"),
    ("get_ipython().user_ns['check_sigmoid'] = lambda f: None", "user_ns"),
    ("import builtins\n_sa = getattr(builtins, 'setattr')", "getattr() on the module builtins"),
    ("import sys\n_m = getattr(sys, 'modules')['dlcourse.testing']", "getattr() on the module sys"),
    ("import builtins\nb = builtins\nb.abs = len", "overrides b.abs"),
    ("x = getattr(object(), 'set' + 'attr')", "computed attribute name"),
    ("x = getattr(object(), '__class__')", "'__class__'"),
    ("ip = get_ipython()", "calls get_ipython()"),
    ("from IPython import get_ipython as g\ng().events.register('pre_run_cell', print)",
     "events.register"),
    ("import base64, zlib\nprint(base64.b64encode(zlib.compress('\\n'.join(In).encode())))",
     "input history"),
    ("print(_ih[-1])", "input history"),
    ("%history", "%history"),
    ("import operator\nes = operator.attrgetter('err' + 'state')(np)", "attrgetter()"),
    ("from operator import methodcaller\nmethodcaller('se' + 'terr', all='ignore')(np)",
     "methodcaller()"),
])
def test_scan_flags_reaching_the_shell(tmp_path, code, words):
    findings = _tiny_scan(tmp_path, code)
    assert any(f.kind in {"dynamic", "override"} and words in f.message for f in findings), \
        findings


def test_scan_leaves_honest_getattr_and_magics_alone(tmp_path):
    code = ("%matplotlib inline\nclass Model:\n    coef = 1.0\n"
            "w = getattr(Model(), 'coef')\nok = hasattr(Model, 'coef')\n")
    assert _tiny_scan(tmp_path, code) == []


def test_scan_reads_extra_files(tmp_path):
    from dlgrade.scan import scan_extra_files
    from tests.submissions.crafted import EXTRA_FILES

    _, ctx = _tiny_context()
    folder = tmp_path / "sub"
    folder.mkdir()
    (folder / "tiny.ipynb").write_text("{}")
    (folder / "notes.txt").write_text("my notes")
    (folder / "plots.py").write_text("import numpy as np\n\ndef grid(n):\n"
                                     "    return np.linspace(0, 1, n)\n")
    assert scan_extra_files(folder, ["tiny"], ctx) == []
    for name, text in EXTRA_FILES["extra_file"].items():
        (folder / name).write_text(text)
    (folder / "numpy.py").write_text("isclose = None\n")
    (folder / "pkg").mkdir()
    (folder / "pkg" / "fast.cpython-311-x86_64-linux-gnu.so").write_bytes(b"\x7fELF")
    found = [f.describe() for f in scan_extra_files(folder, ["tiny"], ctx)]
    assert any(d.startswith("helper_utils.py, line 6:") and "setattr" in d for d in found), found
    assert any(d.startswith("numpy.py:") and "shadows the module 'numpy'" in d for d in found)
    assert any(d.startswith("pkg/fast.cpython") and "cannot read" in d for d in found), found


def test_scan_accepts_every_independent_answer(tmp_path):
    """The wider scan gives no finding on any correct answer of tests/independent (a false
    alarm would zero an honest student's tests until an instructor looks), also where it reads
    the submission folder (imports of modules neither installed nor handed in)."""
    from dlgrade.scan import scan_extra_files, scan_submission
    from tests.independent import variants

    checked = 0
    for assignment, source, ctx, locked in _solution_contexts():
        for name, answers in variants(assignment).items():
            nb = _with_answers(source, answers)
            assert scan_submission(nb, ctx, locked) == [], (assignment, name)
            folder = tmp_path / assignment / name
            folder.mkdir(parents=True)
            nbformat.write(nb, folder / f"{assignment}.ipynb")
            assert scan_extra_files(folder, [assignment], ctx) == [], (assignment, name)
            checked += 1
    assert checked > 0


def test_scan_reference_import_names_the_function(tmp_path):
    findings = _tiny_scan(tmp_path, "from dlcourse.activations import sigmoid")
    assert {n for f in findings for n in f.names} == {"sigmoid"}


# --- review 21e: the spellings the scan missed (issue 21, the scan's stop-gap) ----------------

#: (cell text, words the finding's message must hold): every spelling of review 21e's table
#: "The scan, spelling by spelling" the old scan let through, and the neighbours found with them
REVIEW_21E_SPELLINGS = [
    ("import sys\n_g = getattr\nf = _g(sys, '_get' + 'frame')(0)", "uses getattr as a value"),
    ("import sys\nf = list(map(getattr, [sys], ['mod' + 'ules']))[0]",
     "map(getattr, ...)"),
    ("import sys\nf = list(map(getattr, [sys], ['mod' + 'ules']))[0]",
     "hands the module sys around as a value"),
    ("import functools, sys\nm = functools.reduce(getattr, ['modules'], sys)",
     "uses getattr as a value"),
    ("import sys, builtins\nm = builtins.getattr(sys, 'modules')", "imports builtins"),
    ("import sys, builtins\nm = builtins.getattr(sys, 'modules')",
     "the builtin getattr() under another name"),
    ("from builtins import getattr as g", "imports builtins"),
    ("from sys import modules, _getframe as gf", "imports sys.modules"),
    ("from sys import modules, _getframe as gf", "imports sys._getframe"),
    ("from sys import getprofile", "imports sys.getprofile"),
    ("from sys import *", "imports sys.*"),
    ("from os import sys\nm = sys.modules", "imports the module sys through os"),
    ("import os\nm = os.sys.modules", "the module sys reached through another module"),
    ("_imp = __import__\ngc = _imp('g' + 'c')", "uses __import__ as a value"),
    ("b = print.__self__", "print.__self__"),
    ("F = type(lambda: 0)\nf = F(code, {})", "the type of functions"),
    ("def g():\n    pass\nf = type(g)(code, {})", "the type of functions"),
    ("f = (lambda: 0).__class__(code, {})", "the type of functions"),
    ("f = type(w)(code, {})", "with raw parts"),
    ("f = np.mean.__class__(code, {})", "with raw parts"),
    ("g = get_ipython\ng().ex('import gc')", "uses get_ipython as a value"),
    ("import IPython\ng = IPython.get_ipython", "IPython.get_ipython as a value"),
    ("base = type(w).__mro__[1]\nbase.clear(w)", "__mro__"),
    ("base = type(w).__bases__[0]", "__bases__"),
    ("super(type(w), w).clear()", "on a class the notebook does not define"),
    ("try:\n    1 / 0\nexcept Exception as e:\n    tb = e.__traceback__", "__traceback__"),
    # the grader's objects reached through their private attributes (F2, F5b, T1F)
    ("rec = m._ACTIVE[-1]", "m._ACTIVE, a private attribute"),
    ("rec._profiler.clear()", "rec._profiler, a private attribute"),
    ("f = type(lambda: 0)(rec._mark, {})", "rec._mark, a private attribute"),
    ("w = jc._getprofile()", "jc._getprofile"),
    ("mark = jc._TRIPWIRE[0]", "jc._TRIPWIRE"),
    ("code = getattr(rec, '_mark')", "getattr() for '_mark'"),
    ("from json import _default_decoder", "imports json._default_decoder"),
    ("import json\nlist(map(setattr, [json], ['loads'], [hook]))", "uses setattr as a value"),
    # code written in a string, run by the standard library (F4 and its neighbours)
    ("import timeit\nbox = {}\ntimeit.timeit('exec(CODE, globals())', number=1, globals=box)",
     "in the code timeit.timeit() runs: calls exec()"),
    ("import timeit\ntimeit.timeit('import gc', number=1)",
     "in the code timeit.timeit() runs: imports gc"),
    ("import timeit\ntimeit.timeit('sigmoid(0)', globals=globals()); g = globals()",
     "calls globals()"),
    ("import timeit\nCODE = 'import gc'\ntimeit.timeit(CODE, number=1)",
     "calls timeit.timeit() with CODE"),
    ("from timeit import Timer as T\nT(stmt='pass', setup=CODE).timeit(1)",
     "calls timeit.Timer() with CODE"),
    ("import timeit\nkw = {'stmt': CODE}\ntimeit.repeat(**kw)", "arguments unpacked"),
    ("import timeit\nT = timeit.Timer\nT(CODE).timeit(1)", "hands timeit.Timer around"),
    ("import timeit as t\nrun = [t][0]", "hands the module timeit around"),
    ("import code\ncode.InteractiveInterpreter({}).runsource('import gc')", "imports code"),
    ("import doctest\ndoctest.run_docstring_examples('>>> import gc', {})", "imports doctest"),
    ("import pydoc\nrec = pydoc.locate('dl' + 'grade.judge_code._ACTIVE')", "imports pydoc"),
    ("import runpy\nrunpy.run_path('x.py')", "imports runpy"),
    ("import pdb\npdb.run('import gc')", "imports pdb"),
    ("import logging\nlogging.config.dictConfig(cfg)", "logging.config.dictConfig"),
    ("import typing\ndef f(x: \"__import__('gc')\"):\n    pass\ntyping.get_type_hints(f)",
     "in the annotation: calls __import__()"),
    ("import typing\nh = typing.get_type_hints(f)", "evaluates the strings in annotations"),
    ("from typing import get_type_hints as hints", "evaluates the strings in annotations"),
    ("from IPython.core.interactiveshell import InteractiveShell\n"
     "InteractiveShell.instance().ex('import gc')", "the shell that runs the tests"),
    ("import string\nrec = string.Formatter().get_field('0._ACTIVE', [m], {})[0]",
     "get_field()"),
    # pickles by other doors than the pickle module, and a base class by mro()
    ("a = np.load('w.npy', allow_pickle=True)", "with allow_pickle"),
    ("from joblib import load\nm = load('m.joblib')", "joblib.load, which unpickles"),
    ("import joblib\nm = joblib.load('m.joblib')", "joblib.load, which unpickles"),
    ("import multiprocessing as mp\na, b = mp.Pipe()\na.send_bytes(blob)\nrec = b.recv()",
     "a.send_bytes"),
    ("from multiprocessing import reduction\nx = reduction.ForkingPickler.loads(blob)",
     "multiprocessing.reduction"),
    ("base = type(w).mro()[1]", "type(w).mro"),
    # more doors to a name given as a value
    ("import os\nos.putenv('PYTHONBREAKPOINT', 'importlib.import_module')\n"
     "jc = breakpoint('dl' + 'grade.judge_code')", "breakpoint()"),
    ("import sys\nhook = sys.breakpointhook", "sys.breakpointhook"),
    ("from operator import attrgetter as ag\nrec = ag('_ACT' + 'IVE')(jc)",
     "ag (operator.attrgetter)"),
    ("import operator\nag = operator.attrgetter\nrec = ag('_ACT' + 'IVE')(jc)",
     "operator.attrgetter as a value"),
    ("from operator import attrgetter\nfs = list(map(attrgetter, ['_ACT' + 'IVE']))",
     "uses attrgetter as a value"),
    ("import _ctypes", "private module _ctypes"),
    ("from _thread import start_new_thread", "private module _thread"),
    ("from sklearn.neural_network._base import ACTIVATIONS", "private module _base"),
    # IPython magics that run the code written after them
    ("%timeit -n1 -r1 import gc", "in %timeit: imports gc"),
    ("%%timeit -n1 import gc\npass", "in %timeit: imports gc"),
    ("%%time\nimport gc\n", "in %time: imports gc"),
    ("%time _g = getattr", "in %time: uses getattr as a value"),
    ("%config InlineBackend.figure_format = __import__('gc')", "in %config: calls __import__()"),
    ("%config InteractiveShell.autocall = 2", "changes the shell that runs the tests"),
    ("%config InlineBackend.rc = {CODE}", "a variable's value put into it"),
    ("get_ipython().run_line_magic('time', CODE)", "code built at run time"),
]


@pytest.mark.parametrize("code, words", REVIEW_21E_SPELLINGS)
def test_scan_flags_review_21e_spellings(tmp_path, code, words):
    findings = _tiny_scan(tmp_path, code)
    assert any(f.kind == "dynamic" and words in f.message for f in findings), \
        [f.message for f in findings]


#: honest code that looks like the spellings above: each must pass the scan untouched
HONEST_LOOK_ALIKES = [
    # private attributes of the notebook's own objects, and public names ending in "_"
    "class Net:\n    _count = 0\n    def __init__(self):\n        self._w = None\n"
    "        self.__secret = 1\n    def w(self):\n        return self._w, self.__secret\n"
    "net = Net()\nprint(net._w, Net._count)",
    "from dataclasses import dataclass\n@dataclass\nclass Box:\n    _size: int = 0\n"
    "print(Box()._size)",
    "from collections import namedtuple\nP = namedtuple('P', 'x y')\np = P(1, 2)._replace(x=3)\n"
    "print(p._asdict(), P._fields)",
    "from sklearn.neural_network import MLPClassifier\nm = MLPClassifier(max_iter=5)\n"
    "print(m.get_params())\ndef shapes(model):\n    return [w.shape for w in model.coefs_], "
    "model.n_iter_",
    # getattr and friends called under their own names on the notebook's objects
    "class M:\n    coef = 1.0\nw = getattr(M(), 'coef', 0.0)\nok = hasattr(M, 'coef')",
    # timing the student's own function
    "import timeit\nt = timeit.timeit(lambda: sigmoid(0.5), number=10)",
    "import timeit\nt = timeit.timeit('sigmoid(0.5)', setup='from __main__ import sigmoid', "
    "number=10)",
    "from timeit import default_timer\nstart = default_timer()",
    "import timeit\nx = np.ones(3)\nt = timeit.timeit('sigmoid(x)', globals=globals(), number=5)",
    "import timeit\ndef work():\n    return sigmoid(1.0)\nt = timeit.repeat(work, number=3, "
    "repeat=2)",
    "%timeit sigmoid(0.5)",
    "%timeit -n 10 -r 3 sigmoid(0.5)",
    "%%timeit -n5\nsigmoid(np.ones(3))",
    "%time y = sigmoid(np.ones(3))",
    "%%time\ny = sigmoid(np.ones(3))",
    "%config InlineBackend.figure_format = 'retina'",
    # sys, types and typing used for what they are for
    "import sys\nprint(sys.version_info >= (3, 9), sys.float_info.eps, sys.maxsize)",
    "from typing import Optional\ndef f(x: 'np.ndarray', k: Optional[int] = None) -> 'float':\n"
    "    return float(np.sum(x))",
    "import functools, operator\ntotal = functools.reduce(operator.add, [1, 2, 3])\n"
    "xs = sorted(map(abs, [-2, 1]), key=float)",
    "class Base:\n    def f(self):\n        return 1\nclass Child(Base):\n    def f(self):\n"
    "        return super(Child, self).f() + super().f()",
    "print(type(np.ones(2)).__name__, type(3) is int, isinstance(None, type(None)))",
    "import re\npattern = re.compile(r'\\d+')",
    "import os\nif os.path.exists('w.npy'):\n    w = np.load('w.npy')\n"
    "    v = np.load('w.npy', allow_pickle=False)",
    "from joblib import Parallel, delayed\n"
    "out = Parallel(n_jobs=2)(delayed(sigmoid)(v) for v in [0.0, 1.0])",
    "import multiprocessing as mp\na, b = mp.Pipe()\na.send(1.0)\nprint(b.recv())",
    "try:\n    1 / 0\nexcept ZeroDivisionError as error:\n    print('caught', error)",
]


@pytest.mark.parametrize("code", HONEST_LOOK_ALIKES)
def test_scan_leaves_honest_look_alikes_alone(tmp_path, code):
    assert [f.describe() for f in _tiny_scan(tmp_path, code)] == []


def test_scan_reports_each_construct_once_with_its_line(tmp_path):
    code = ("import numpy as np\n\n_g = getattr\nx = _g\n"
            "def sigmoid(t, rec=None):\n    rec._mark\n    rec._mark\n"
            "    return 1 / (1 + np.exp(-t))\n")
    found = [f.describe() for f in _tiny_scan(tmp_path, code)]
    assert found == [
        "cell 2, line 3: uses getattr as a value (an alias, or an argument as in "
        "map(getattr, ...)): its calls then escape the scan",
        "cell 2, line 6: uses rec._mark, a private attribute (one leading underscore) of an "
        "object the notebook does not define: the grader keeps its record of a call and its "
        "tripwire in such attributes",
    ], found


def test_scan_accepts_private_attributes_the_assignment_uses(tmp_path):
    """A private attribute that the assignment's own cells use is no finding in the student's."""
    from dlgrade.scan import context_from_notebooks, scan_submission
    from tests.submissions.crafted import tiny_notebook

    source = tiny_notebook()  # not _tiny_context(): the assignment's own cells change first
    source.cells[0].source += "\nclass Helper:\n    _scale = 2.0\n"
    ctx = context_from_notebooks(source, source)
    sub = nbformat.v4.new_notebook()
    sub.cells = list(source.cells)
    sub.cells[2] = nbformat.v4.new_code_cell("def sigmoid(t):\n    return Helper._scale * t\n")
    assert scan_submission(sub, ctx, {"setup"}) == []
    sub.cells[2] = nbformat.v4.new_code_cell("def sigmoid(t):\n    return Helper._shift * t\n")
    assert [f.message for f in scan_submission(sub, ctx, {"setup"})] == [
        "uses Helper._shift, a private attribute (one leading underscore) of an object the "
        "notebook does not define: the grader keeps its record of a call and its tripwire in "
        "such attributes"]


def _chapter_cells():
    import jupytext

    for path in sorted((REPO / "chapters").glob("*.md")):
        cells = [c for c in jupytext.read(path).cells if c.cell_type == "code"]
        if cells:
            yield path.name, cells


#: what the scan flags in the chapters, and why a graded answer must not do it either
CHAPTER_FINDINGS = (
    "imports inspect",  # the chapter shows the package's source; inspect rewrites frames
    "reads Out",  # notation.md prints earlier outputs; the history holds the hidden tests
    "runs the IPython magic %pip",  # open_notebook.md installs the package
    "runs the IPython magic %bash",
)


def test_scan_accepts_chapter_code():
    """The book's own code is honest code written the way students learn to write it: the
    scan flags nothing in it but the few constructs listed (none of them the stop-gap's)."""
    from dlgrade.scan import ScanContext, scan_submission

    checked = 0
    for name, cells in _chapter_cells():
        nb = nbformat.v4.new_notebook()
        nb.cells = cells
        findings = scan_submission(nb, ScanContext(package="dlcourse"), set())
        # the chapters import the package: that is what chapters do, not a graded answer
        odd = [f.describe() for f in findings if f.kind != "reference"
               and not f.message.startswith(CHAPTER_FINDINGS)]
        assert odd == [], (name, odd)
        checked += len(cells)
    assert checked > 100


def test_scan_accepts_every_release_notebook(tmp_path):
    """A student who hands in the notebook as released, or with the instructor's solutions
    filled in, is not flagged (the notebook alone, or read from its submission folder)."""
    from dlcourse.checks import ASSIGNMENTS
    from dlgrade.scan import context_from_notebooks, scan_extra_files, scan_submission
    from tests.submissions.crafted import solved

    checked = 0
    for assignment in ASSIGNMENTS:
        release = REPO / "exercises" / assignment / f"{assignment}.ipynb"
        source = REPO / "solutions" / assignment / f"{assignment}.ipynb"
        if not (release.exists() and source.exists()):
            continue
        release_nb, source_nb = nbformat.read(str(release), 4), nbformat.read(str(source), 4)
        ctx = context_from_notebooks(release_nb, source_nb)
        locked = _locked(source_nb)
        assert scan_submission(release_nb, ctx, locked) == [], assignment
        answer = solved(release_nb, source_nb)
        assert scan_submission(answer, ctx, locked) == [], assignment
        folder = tmp_path / assignment
        folder.mkdir()
        nbformat.write(answer, folder / f"{assignment}.ipynb")
        assert scan_extra_files(folder, [assignment], ctx) == [], assignment
        checked += 1
    assert checked > 0


def test_scan_flags_imports_of_modules_written_at_run_time(tmp_path):
    """A notebook that writes a ``.py`` file and imports it runs code no scan reads: an import
    of a module that is neither installed nor handed in is a finding (with its cell and line);
    installed modules and files handed in are not."""
    from dlgrade.scan import scan_extra_files
    from tests.submissions.crafted import tiny_notebook

    _, ctx = _tiny_context()
    folder = tmp_path / "sub"
    folder.mkdir()
    nb = tiny_notebook()
    nb.cells[2].source = ("with open('made_now.py', 'w') as out:\n    out.write(TEXT)\n"
                          "import json, numpy.linalg, sklearn\nfrom made_now import sigmoid\n"
                          "from helper_mine import grid\nimport made_now as again\n"
                          "import made_data\n")
    nbformat.write(nb, folder / "tiny.ipynb")
    (folder / "made_data.txt").write_text("a data file the notebook could rename")
    (folder / "helper_mine.py").write_text("import numpy as np\nimport made_too\n\n"
                                          "def grid(n):\n    return np.linspace(0, 1, n)\n")
    found = [f.describe() for f in scan_extra_files(folder, ["tiny"], ctx)]
    why = "a module that is neither installed nor handed in"
    assert found == [f"cell 2, line 4: imports made_now, {why}: a file written while the "
                     "notebook runs, whose code the scan cannot read",
                     f"cell 2, line 7: imports made_data, {why}: a file written while the "
                     "notebook runs, whose code the scan cannot read",
                     f"helper_mine.py, line 2: imports made_too, {why}: a file written while "
                     "the notebook runs, whose code the scan cannot read"], found


def test_scan_leaves_seeded_mistakes_to_the_tests():
    """The seeded mistakes of tests/mistakes are honest wrong answers: none of them trips a
    check for code the scan cannot follow (a ``dynamic`` finding). The few that are attacks
    of the hostile reviews filed there (their ``why`` says so) are left out: being flagged is
    right for them."""
    import importlib

    from dlgrade.scan import scan_submission

    checked = 0
    for assignment, source, ctx, locked in _solution_contexts():
        for mistake in importlib.import_module(f"tests.mistakes.ex{assignment}").MISTAKES:
            if any(word in mistake["why"] for word in ("hostile", "review 2")):
                continue
            nb = _with_answers(source, {mistake["function"]: mistake["source"]})
            dynamic = [f.describe() for f in scan_submission(nb, ctx, locked)
                       if f.kind != "override"]
            assert dynamic == [], (assignment, mistake["function"], mistake["why"], dynamic)
            checked += 1
    assert checked > 50
