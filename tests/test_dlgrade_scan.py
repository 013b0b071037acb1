"""dlgrade.scan without nbgrader: what the static scan flags (overrides, dynamic tricks,
references to the course package, reaching the shell) and what it must leave alone (every
independent correct answer, honest getattr and magics)."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[1]


def _tiny_scan(tmp_path, student_code):
    from dlgrade.scan import context_from_notebooks, scan_submission
    from tests.submissions.crafted import tiny_notebook

    source = tiny_notebook()
    ctx = context_from_notebooks(source, source)
    locked = {c.metadata["nbgrader"]["grade_id"] for c in source.cells
              if c.metadata.get("nbgrader", {}).get("locked")}
    sub = nbformat.v4.new_notebook()
    sub.cells = [c for c in source.cells]
    sub.cells[2] = nbformat.v4.new_code_cell(student_code)
    return scan_submission(sub, ctx, locked)


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
    from dlgrade.scan import context_from_notebooks, scan_extra_files
    from tests.submissions.crafted import EXTRA_FILES, tiny_notebook

    source = tiny_notebook()
    ctx = context_from_notebooks(source, source)
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


def test_scan_accepts_every_independent_answer():
    """The wider scan gives no finding on any correct answer of tests/independent (a false
    alarm would zero an honest student's tests until an instructor looks)."""
    from dlcourse.checks import ASSIGNMENTS
    from dlgrade.scan import context_from_notebooks, scan_submission
    from tests.independent import variants

    checked = 0
    for assignment in ASSIGNMENTS:
        path = REPO / "solutions" / assignment / f"{assignment}.ipynb"
        if not path.exists():
            continue
        source = nbformat.read(str(path), 4)
        ctx = context_from_notebooks(source, source)
        locked = {c.metadata["nbgrader"]["grade_id"] for c in source.cells
                  if c.metadata.get("nbgrader", {}).get("locked")}
        for name, answers in variants(assignment).items():
            nb = nbformat.reads(nbformat.writes(source), 4)
            for cell in nb.cells:
                gid = cell.metadata.get("nbgrader", {}).get("grade_id")
                if cell.cell_type == "code" and gid in answers:
                    cell.source = answers[gid]
            assert scan_submission(nb, ctx, locked) == [], (assignment, name)
            checked += 1
    assert checked > 0


def test_scan_reference_import_names_the_function(tmp_path):
    findings = _tiny_scan(tmp_path, "from dlcourse.activations import sigmoid")
    assert {n for f in findings for n in f.names} == {"sigmoid"}
