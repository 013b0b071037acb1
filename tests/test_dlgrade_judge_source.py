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
