"""dlgrade.judge_source without a kernel: the source-based own-implementation and silenced-
warnings checks follow the student's own helpers (cells and handed-in modules) and name how a
function reaches the course package or a framework; a judge reference checked outside a
judged test fails with a clear message."""

from __future__ import annotations

import pytest

from dlgrade import judge_source
from dlgrade.judge_source import SourceIndex, extra_files

NOTEBOOK = ['''
import numpy as np
from dlcourse.testing import assert_close
from dlcourse.activations import relu as _relu
import helper_utils
from helper_utils import helper
''', '''
def honest(z):
    return np.maximum(z, 0.0)

def wraps(z):
    return _relu(z)

def via_helper(z):
    return helper(z)

def via_module(z):
    return helper_utils.deep(z)

def via_own(z):
    return wraps(z)

def imports_inside(z):
    import torch
    return torch.relu(z)

def uses_test_helper(z):
    assert_close(z, z, "z")
    return z

alias = _relu
lam = lambda z: np.maximum(z, 0)
''']
FILES = {"helper_utils": '''
import numpy as np
from dlcourse.activations import sigmoid

def helper(z):
    return np.tanh(z)

def deep(z):
    return sigmoid(z)
'''}


@pytest.mark.parametrize("name, words", [
    ("honest", None), ("lam", None), ("via_helper", None),
    ("wraps", "from dlcourse.activations"),
    ("via_module", "from dlcourse.activations"),
    ("via_own", "from dlcourse.activations"),
    ("imports_inside", "imports torch"),
    ("uses_test_helper", "from dlcourse.testing"),
    ("alias", "from dlcourse.activations"),
])
def test_source_check_follows_own_code(name, words):
    problem = SourceIndex(NOTEBOOK, FILES).problem(name)
    if words is None:
        assert problem is None
    else:
        assert words in problem


def test_source_check_sees_star_imports_and_missing_definitions():
    index = SourceIndex(["from dlcourse.checks.ex02_neuron import *\n"
                         "def sneaky(t):\n    return check_sigmoid(t)\n"], {})
    assert "check_sigmoid" in index.problem("sneaky")
    with pytest.raises(LookupError):
        index.problem("never_defined")



SILENCING = '''
import numpy as np
from tools import hush

def quiet(z):
    with np.errstate(over="ignore"):
        return np.exp(z)

def via_quiet(z):
    return quiet(z) + 1

def plain(z):
    return np.exp(z)

def hushed_module(z):
    return hush(z)
'''
TOOLS = '''
import warnings

def hush(z):
    with warnings.catch_warnings():
        return z
'''


@pytest.mark.parametrize("name, words", [
    ("plain", None),
    ("quiet", "it calls errstate"),
    ("via_quiet", "it calls errstate"),
    ("hushed_module", "it calls catch_warnings"),
])
def test_silencing_is_found_through_helpers(name, words):
    assert SourceIndex([SILENCING], {"tools": TOOLS}).silencing(name) == words


def test_magics_and_broken_cells_do_not_hide_the_rest():
    index = SourceIndex(["%matplotlib inline\n!pip install torch\nimport numpy as np\n",
                         "def broken(:\n",
                         "import torch\ndef f(x):\n    return torch.relu(x)\n"], {})
    assert index.problem("f") == "it imports torch"


def test_modules_in_packages_and_relative_imports_are_followed():
    files = {"pkg": "", "pkg.inner": "from .deep import g\n",
             "pkg.deep": "from dlcourse.losses import mse as g\n"}
    index = SourceIndex(["from pkg.inner import g\ndef f(y, t):\n    return g(y, t)\n"],
                        files)
    assert index.problem("f") == "it uses `g` from dlcourse.losses"


def test_extra_files_are_the_handed_in_python_files_by_module_name(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("X = 1\n")
    (tmp_path / "pkg" / "mod.py").write_text("Y = 2\n")
    (tmp_path / "helper.py").write_text("Z = 3\n")
    (tmp_path / "big.py").write_text("#" * 100)
    (tmp_path / "notes.txt").write_text("not python")
    assert extra_files(tmp_path, max_bytes=50) == {"helper": "Z = 3\n", "pkg": "X = 1\n",
                                                   "pkg.mod": "Y = 2\n"}
    assert len(extra_files(tmp_path, limit=2)) == 2
    assert extra_files(tmp_path / "missing") == {}


def test_a_reference_is_checked_only_inside_a_judged_test():
    class Handle:  # what the judge holds for a student's function
        _label = "sigmoid"

    with pytest.raises(AssertionError, match="cannot be checked outside a judged test"):
        judge_source.check_remote(Handle(), "sigmoid")
    index = SourceIndex(["def sigmoid(z):\n    return z\n"], {})
    with judge_source.judging(index):
        with judge_source.judging(None):
            assert judge_source._current is None
        assert judge_source._current is index
    assert judge_source._current is None


def _without_docstring(source: str) -> str:
    import ast

    tree = ast.parse(source)
    function = tree.body[0]
    if isinstance(function.body[0], ast.Expr) and isinstance(function.body[0].value, ast.Constant):
        function.body = function.body[1:]
    return ast.unparse(tree)


def test_a_pasted_copy_of_the_package_is_found_in_the_text_alone():
    """Review 21e: with no implementation in the kernel to run, pasting the package's source
    is what remains; the submitted text is compared with the package's functions (the rules
    of CodePolicy.copied: long code, the package's docstring, or several of its functions in
    one text), for the graded function and the helpers it calls."""
    import inspect
    import textwrap

    import dlcourse.activations
    import dlcourse.conv
    from dlgrade.judge_code import CodePolicy

    setup = "import numpy as np\n"
    pasted_doc = inspect.getsource(dlcourse.activations.relu)  # short, with its docstring
    stripped_long = _without_docstring(textwrap.dedent(inspect.getsource(dlcourse.conv.conv2d)))
    helper = "def my_sigmoid(t):\n    return helper_copy(t)\n"
    own_relu = "def own_relu(z):\n    return np.where(z > 0, z, 0.0)\n"
    cells = [setup, pasted_doc, stripped_long.replace("def conv2d", "def my_conv"),
             helper + _without_docstring(inspect.getsource(dlcourse.activations.softmax))
             .replace("def softmax", "def helper_copy"), own_relu]
    policy = CodePolicy(cells)
    index = SourceIndex(cells, {}, copy_of=policy.copy_of)
    assert index.problem("relu") == ("`relu` is a copy of dlcourse.activations.relu, the "
                                     "package's code handed in as the student's own text")
    assert "is a copy of dlcourse.conv.conv2d" in index.problem("my_conv")
    assert index.problem("my_sigmoid") == (
        "`helper_copy` is a copy of dlcourse.activations.softmax, the package's code handed "
        "in as the student's own text")
    assert index.problem("own_relu") is None
    # Control: the same text without the check is clean (nothing imports the package).
    plain = SourceIndex(cells, {})
    assert [plain.problem(n) for n in ("relu", "my_conv", "my_sigmoid")] == [None] * 3
    # A short function written like the package's, without its docstring, is not a copy: a
    # student may write relu that way by chance.
    short = [setup, _without_docstring(pasted_doc)]
    assert SourceIndex(short, {}, copy_of=CodePolicy(short).copy_of).problem("relu") is None
