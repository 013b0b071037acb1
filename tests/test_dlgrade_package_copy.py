"""dlgrade.package_copy: the advisory flag on answers that look like the package pasted in.

Fairness (no honest answer of tests/independent, tests/mistakes or the solutions is flagged)
and the catch (every paste variant of tests/submissions/pasted.py is) on the texts alone; the
real grading paths are in tests/test_package_copy_grading.py, the rates per assignment in
benchmarks/package_copy.py.
"""

from __future__ import annotations

import ast
import importlib
import textwrap

import pytest

from dlcourse.checks import ASSIGNMENTS
from dlgrade import package_copy as pc
from tests.independent import variants
from tests.submissions.pasted import VARIANTS, graded_functions, pasted_cells, solution_cells

SOFTMAX = '''
def softmax(Z):
    Z = as_float_array(Z, 'Z')
    if Z.ndim == 0 or Z.shape[-1] == 0:
        raise ValueError(f'Z has shape {Z.shape}, expected at least one value along the last axis')
    E = np.exp(Z - Z.max(axis=-1, keepdims=True))
    return E / E.sum(axis=-1, keepdims=True)
'''
AS_FLOAT = textwrap.dedent(__import__("inspect").getsource(
    importlib.import_module("dlcourse._validation").as_float_array))


def _flagged(*cells: str, asked=("softmax",)) -> list[str]:
    return [c.name for c in pc.find_copies([textwrap.dedent(c) for c in cells], list(asked))]


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_no_honest_answer_is_flagged(assignment):
    asked = graded_functions(assignment)
    texts = {f"independent {name}": list(answers.values())
             for name, answers in variants(assignment).items()}
    mistakes = importlib.import_module(f"tests.mistakes.ex{assignment}").MISTAKES
    texts.update({f"mistake {m['function']}: {m['why'][:40]}": [m["source"]] for m in mistakes})
    texts["solution"] = list(solution_cells(assignment).values())
    flagged = {who: pc.describe(found) for who, cells in texts.items()
               if (found := pc.find_copies(cells, asked))}
    assert flagged == {}


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("assignment", ["04_activations", "10_attention"])
def test_every_paste_variant_is_flagged_on_every_function_large_enough(assignment, variant):
    asked = graded_functions(assignment)
    package = pc.package_functions()
    large = [name for name in asked if name in package and
             max(sum(g.values()) for _, g in package[name]) >= pc.MIN_GRAMS]
    found = pc.find_copies(list(pasted_cells(assignment, variant).values()), asked)
    assert [c.name for c in found] == large
    assert all(c.share >= pc.THRESHOLD for c in found)


def test_dead_statements_identity_wrappers_and_names_change_nothing():
    pasted = '''
    def _keep(value, *rest):
        """Nothing."""
        unused = 3
        return value

    same = lambda x: x

    def _twice(x):
        return _keep(same(x))

    def softmax(scores):
        "My own softmax!"
        if False:
            print("never")
        _k = 0
        while 0:
            pass
        scores = as_float_array(_twice(scores), 'scores')
        "a note"
        if scores.ndim == 0 or _keep(scores).shape[-1] == 0:
            raise ValueError(f'wrong: {scores.shape}')
        exps = np.exp(scores - same(scores).max(axis=-1, keepdims=True))
        junk = exps + 1
        more = junk * 2
        return exps / exps.sum(axis=-1, keepdims=True)
    '''
    assert _flagged(AS_FLOAT, pasted) == ["softmax"]
    found = pc.find_copies([AS_FLOAT, textwrap.dedent(pasted)], ["softmax"])
    assert found[0].package == "dlcourse.activations.softmax" and found[0].share == 1.0


def test_the_obvious_formula_without_the_package_helpers_is_not_flagged():
    honest = '''
    def softmax(Z):
        Z = np.asarray(Z, dtype=float)
        if Z.ndim == 0 or Z.shape[-1] == 0:
            raise ValueError(f"Z has shape {Z.shape}, expected at least one score")
        E = np.exp(Z - np.max(Z, axis=-1, keepdims=True))
        return E / np.sum(E, axis=-1, keepdims=True)
    '''
    assert _flagged(honest) == []
    assert pc.scores([textwrap.dedent(honest)], ["softmax"])["softmax"][0] < pc.THRESHOLD


def test_small_functions_and_names_the_assignment_does_not_ask_for_say_nothing():
    relu = "def relu(t):\n    _k = 0\n    return np.maximum(t, 0.0)\n"
    assert _flagged(relu, asked=["relu"]) == []  # a one-liner cannot be told from honest work
    assert _flagged(AS_FLOAT, SOFTMAX, asked=["relu"]) == []  # softmax is not asked for
    assert _flagged(AS_FLOAT, SOFTMAX) == ["softmax"]


def test_unreadable_cells_add_nothing_and_magics_are_ignored():
    assert _flagged("def softmax(:\n", "%timeit 1\n" + AS_FLOAT, SOFTMAX) == ["softmax"]
    assert _flagged("def softmax(:\n") == []


def test_describe_groups_by_module_in_plain_words():
    found = [pc.Copy("sigmoid_grad", "dlcourse.activations.sigmoid_grad", 0.999),
             pc.Copy("softmax", "dlcourse.activations.softmax", 0.91),
             pc.Copy("layernorm_forward", "dlcourse.normalization.layernorm_forward", 0.85)]
    assert pc.describe(found) == (
        "sigmoid_grad, softmax look like copies of dlcourse.activations (99 %, 91 %); "
        "layernorm_forward looks like a copy of dlcourse.normalization (85 %)")
    assert pc.describe([]) == ""


# --------------------------------------------------------------------------- review 21j

def _sigmoid_family() -> dict[str, str]:
    """Review 21j's honest stable sigmoids written from 02's hint (dtype x scalar unwrap)."""
    unwraps = {"none": "    return {w}\n",
               "[()]": "    s = {w}\n    return s[()] if s.ndim == 0 else s\n",
               "float()": "    s = {w}\n    return float(s) if s.ndim == 0 else s\n",
               ".item()": "    s = {w}\n    return s.item() if s.ndim == 0 else s\n",
               "if-ndim": "    s = {w}\n    if s.ndim == 0:\n        return s[()]\n    return s\n"}
    where = "np.where(t >= 0, 1.0 / (1.0 + e), e / (1.0 + e))"
    return {f"dtype={dtype} unwrap={key}":
            f"def sigmoid(t):\n    t = np.asarray(t, dtype={dtype})\n    e = np.exp(-np.abs(t))\n"
            + unwrap.format(w=where)
            for dtype in ("float", "np.float64") for key, unwrap in unwraps.items()}


def test_honest_sigmoids_from_the_hint_and_review_21j_answers_are_not_flagged():
    from tests.submissions.honest_21j import H
    texts = {name: (["import numpy as np", src], ["sigmoid"])
             for name, src in _sigmoid_family().items()}
    for student, by_assignment in H.items():
        for assignment, answers in by_assignment.items():
            # honB's softmax is the package's retyped: review 21j left it out as not honest
            cells = [src for name, src in answers.items() if (student, name) != ("honB", "softmax")]
            texts[f"{student} {assignment}"] = (["import numpy as np", *cells],
                                                graded_functions(assignment))
    assert len(texts) == 16
    flagged = {who: pc.describe(found) for who, (cells, asked) in texts.items()
               if (found := pc.find_copies(cells, asked))}
    assert flagged == {}


def test_the_threshold_rises_as_the_package_function_gets_shorter():
    assert pc.threshold(pc.MIN_GRAMS) == pc.SHORT_THRESHOLD
    assert pc.threshold(pc.LONG_GRAMS) == pc.threshold(10 * pc.LONG_GRAMS) == pc.THRESHOLD
    assert pc.SHORT_THRESHOLD > pc.threshold(58) > pc.threshold(100) > pc.THRESHOLD


def _paste04() -> list[str]:
    return list(pasted_cells("04_activations", "docs").values())


ASKED04 = ["sigmoid_grad", "softmax"]


def _indent(src: str, head: str, tail: str = "") -> str:
    return head + "\n" + textwrap.indent(src, "    ") + "\n" + tail


@pytest.mark.parametrize("wrap", [
    ("if True:", ""),
    ("try:", "except ImportError:\n    raise"),
    ("with open(__file__) if False else __import__('contextlib').nullcontext():", ""),
    ("for _once in range(1):", ""),
])
def test_definitions_nested_under_top_level_blocks_are_read(wrap):
    cells = [_indent(c, *wrap) for c in _paste04()]
    assert [c.name for c in pc.find_copies(cells, ASKED04)] == ASKED04


def test_a_decoy_beside_the_notebook_hides_no_pasted_definition():
    decoy = "def softmax(Z):\n    return 0\n\ndef sigmoid_grad(t):\n    return 0\n"
    assert [c.name for c in pc.find_copies(_paste04() + [decoy], ASKED04)] == ASKED04
    assert [c.name for c in pc.find_copies([decoy] + _paste04(), ASKED04)] == ASKED04


def test_an_alias_resolves_to_the_function_it_names():
    cells = _renamed04()
    cells.append("softmax = _softmax_impl\nsg = _sigmoid_grad_impl\nsigmoid_grad = sg\n")
    assert [c.name for c in pc.find_copies(cells, ASKED04)] == ASKED04


def test_a_chain_of_identity_wrappers_is_bounded_and_said(monkeypatch):
    calls = []
    identity = pc._identity
    monkeypatch.setattr(pc, "_identity", lambda node, **kw: calls.append(1) or identity(node, **kw))
    n = 4000  # review 21j: 134 kB, 20 s on the unbounded check
    chain = "".join(f"def h{i}(x):\n    return h{i + 1}(x)\n" for i in range(n))
    chain += f"def h{n}(x):\n    return x\n"
    assert pc.review([chain + "def softmax(Z):\n    return h0(Z)\n"], ["softmax"]) == pc.TOO_LARGE
    assert len(calls) <= (pc.MAX_ROUNDS + 1) * 2  # only wrappers found so far are tried again
    # a short chain is still resolved: the paste behind three wrappers is flagged
    short = "def a(x):\n    return x\ndef b(x):\n    return a(x)\ndef c(x):\n    return b(x)\n"
    assert [c.name for c in pc.review([short] + _paste04(), ASKED04)] == ASKED04


def test_too_large_or_too_deep_answers_are_said_not_raised():
    huge = "x = 0\n" * (pc.MAX_CHARS // 6 + 1)
    assert pc.review([huge] + _paste04(), ASKED04) == pc.TOO_LARGE
    many = "".join(f"def f{i}(x):\n    return x + {i}\n" for i in range(pc.MAX_NODES // 8))
    assert pc.review([many], ASKED04) == pc.TOO_LARGE
    for body in ("+".join(["t"] * 1000), "+".join(["t"] * 3000)):  # review 21j's deep.py
        deep = f"import numpy as np\ndef softmax(t):\n    return {body}\n"
        assert pc.review([deep], ["softmax"]) in (pc.TOO_LARGE, [])
        unreached = deep.replace("def softmax", "def helper") + SOFTMAX
        assert pc.review([unreached], ["softmax"]) in (pc.TOO_LARGE, [])


# --------------------------------------------------------------------------- review 21k

def _renamed04() -> list[str]:
    """04's paste with the asked functions renamed ``_<name>_impl`` (review 21k's j_*)."""
    def renamed(src):
        tree = ast.parse(src)
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name in ASKED04:
                node.name = f"_{node.name}_impl"
        return ast.unparse(tree)
    return [renamed(c) for c in _paste04()]


def _without(cells: list[str], name: str) -> list[str]:
    """``cells`` with the top-level ``def name`` taken out."""
    def without(src):
        tree = ast.parse(src)
        tree.body = [n for n in tree.body if getattr(n, "name", None) != name]
        return ast.unparse(tree)
    return [without(c) for c in cells]


#: review 21k's one-line bindings of a paste kept under another name (bin/batch2j.py)
BINDINGS = {
    "tuple": "sigmoid_grad, = (_sigmoid_grad_impl,)\nsoftmax, = (_softmax_impl,)\n",
    "class": "class _SM:\n    def __call__(self, Z):\n        return _softmax_impl(Z)\n"
             "softmax = _SM()\nclass _SG:\n    def __call__(self, t):\n"
             "        return _sigmoid_grad_impl(t)\nsigmoid_grad = _SG()\n",
    "partial": "import functools\nsigmoid_grad = functools.partial(_sigmoid_grad_impl)\n"
               "softmax = functools.partial(_softmax_impl)\n",
    "identity call": "sigmoid_grad = (lambda f: f)(_sigmoid_grad_impl)\n"
                     "softmax = (lambda f: f)(_softmax_impl)\n",
    "walrus": "(sigmoid_grad := _sigmoid_grad_impl)\n(softmax := _softmax_impl)\n",
    "for": "for sigmoid_grad in [_sigmoid_grad_impl]: pass\nfor softmax in [_softmax_impl]: pass\n",
    "globals": "globals().update(sigmoid_grad=_sigmoid_grad_impl, softmax=_softmax_impl)\n",
    "none": "",  # the paste sits in the notebook under another name, the answers unwritten
}


@pytest.mark.parametrize("binding", BINDINGS)
def test_a_paste_under_another_name_is_flagged_however_it_is_bound(binding):
    found = pc.review(_renamed04() + [BINDINGS[binding]], ASKED04)
    assert [(c.name, c.found_in) for c in found] == [
        ("sigmoid_grad", "def _sigmoid_grad_impl"), ("softmax", "def _softmax_impl")]
    assert pc.describe(found) == (
        "sigmoid_grad (in def _sigmoid_grad_impl), softmax (in def _softmax_impl) look like "
        "copies of dlcourse.activations (100 %, 100 %)")


def test_a_paste_in_a_lambda_or_a_method_is_compared_too():
    paste = _paste04()
    helpers = _without(paste, "sigmoid_grad")
    as_def = "def _g(t):\n    return sigmoid(t) * (1.0 - sigmoid(t))\n"
    as_lambda = "sigmoid_grad = lambda t: sigmoid(t) * (1.0 - sigmoid(t))\n"
    # a lambda is compared as the def of the same body: the same share
    assert pc.scores(helpers + [as_lambda], ASKED04)["sigmoid_grad"] == \
        pc.scores(helpers + [as_def], ASKED04)["sigmoid_grad"]
    assert pc.scores(helpers + [as_lambda], ASKED04)["sigmoid_grad"][0] > \
        pc.scores(helpers + ["f = lambda t: t\n"], ASKED04)["sigmoid_grad"][0]
    method = ("class Act:\n" + textwrap.indent(_renamed04()[-1], "    ")
              .replace("(Z)", "(self, Z)", 1) + "\nsoftmax = Act()._softmax_impl\n")
    assert [(c.name, c.found_in) for c in pc.find_copies(_without(paste, "softmax") + [method],
                                                         ["softmax"])] \
        == [("softmax", "def _softmax_impl")]


def test_an_asked_name_bound_where_the_check_cannot_follow_is_said():
    own = ("import functools\n"
           "def _mine(Z, axis=-1):\n    Z = np.asarray(Z, dtype=float)\n"
           "    shifted = Z - np.max(Z, axis=axis, keepdims=True)\n"
           "    e = np.exp(shifted)\n    return e / np.sum(e, axis=axis, keepdims=True)\n")
    said = {
        "softmax = functools.partial(_mine, axis=-1)\n": "softmax is bound by a call's result",
        "softmax, = (_mine,)\n": "softmax is bound by an unpacking assignment",
        "class softmax:\n    pass\n": "softmax is bound by a class",
        "(softmax := _mine)\n": "softmax is bound by an assignment expression (:=)",
        "globals()['softmax'] = _mine\n": "softmax is bound by globals()",
    }
    for binding, text in said.items():
        assert pc.review([own + binding], ASKED04) == (
            f"{text}: the copy check cannot tell what runs under that name"), binding
    # followed bindings, names too small to compare and names not asked say nothing
    assert pc.review([own + "softmax = _mine\n"], ASKED04) == []
    assert pc.review([own + "relu = functools.partial(np.maximum, 0.0)\n"],
                     ["relu", "softmax"]) == []
    assert pc.review([own + "softmax = functools.partial(_mine)\n"], ["sigmoid_grad"]) == []
    # a paste found elsewhere is said as the copy, the other name's binding beside it
    mixed = pc.review(_renamed04() + ["softmax, = (_softmax_impl,)\n"
                                      "sigmoid_grad = functools.partial(abs)\n"], ["softmax"])
    assert mixed[0].found_in == "def _softmax_impl"
    binding = "softmax = functools.partial(_mine)\nsigmoid_grad, = (_sigmoid_grad_impl,)\n"
    both = pc.review(_without(_renamed04(), "_softmax_impl") + [own, binding], ASKED04)
    assert both == ("sigmoid_grad (in def _sigmoid_grad_impl) looks like a copy of "
                    "dlcourse.activations (100 %); softmax is bound by a call's result: the "
                    "copy check cannot tell what runs under that name")


@pytest.mark.parametrize("links", [3, 47, 400])
def test_a_long_dead_assignment_chain_in_a_paste_is_dropped_not_too_large(links):
    """Review 21k #7: ``a1 = a0`` ... ``a46 = a45`` inside a pasted softmax (14 kB) turned
    "looks like a copy (100 %)" into "answer too large" (function-local assignments were read
    as module aliases, one hop per link). A module-level alias chain of any length resolves."""
    chain = "    a0 = Z\n" + "".join(f"    a{i} = a{i - 1}\n" for i in range(1, links))
    cells = _without(_paste04(), "softmax")
    pasted = SOFTMAX.replace("def softmax(Z):\n", "def softmax(Z):\n" + chain)
    assert [(c.name, c.share) for c in pc.review(cells + [pasted], ASKED04)] == [
        ("sigmoid_grad", 1.0), ("softmax", 1.0)]
    aliases = "".join(f"s{i} = s{i - 1}\n" for i in range(1, links)) + f"softmax = s{links - 1}\n"
    renamed = _without(_renamed04(), "_softmax_impl")
    impl = SOFTMAX.replace("def softmax", "def _impl")
    found = pc.review(renamed + [impl, "s0 = _impl\n" + aliases], ASKED04)
    assert [(c.name, c.found_in) for c in found] == [
        ("sigmoid_grad", "def _sigmoid_grad_impl"), ("softmax", "")]


# --------------------------------------------------------------------------- review 21l

def test_a_py_file_the_check_cannot_read_is_said_and_every_py_is_in_the_key(tmp_path):
    from dlgrade.judge_source import EXTRA_LIMIT, EXTRA_MAX_BYTES
    impl = "import numpy as np\n" + AS_FLOAT + textwrap.dedent(SOFTMAX)
    (tmp_path / "impl.py").write_text(impl)
    small = pc.beside_code(tmp_path)
    assert (small.texts, small.notes) == ([impl], [])
    # review 21l #1: padded past the size read, the paste was skipped without a word
    (tmp_path / "impl.py").write_text(impl + "#" + "x" * EXTRA_MAX_BYTES + "\n")
    big = pc.beside_code(tmp_path)
    assert (big.texts, big.notes) == ([], ["not compared: impl.py is too large for the copy check"])
    # the key holds the bytes of every .py file, read or not: one byte changed, another key
    assert pc.beside_code(tmp_path).digest == big.digest != small.digest
    (tmp_path / "impl.py").write_text(impl + "#" + "y" * EXTRA_MAX_BYTES + "\n")
    assert pc.beside_code(tmp_path).digest != big.digest
    (tmp_path / "impl.py").write_text(impl)
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "latin.py").write_bytes(b"# -*- coding: latin-1 -*-\nX = '\xe9'\n")
    odd = pc.beside_code(tmp_path)
    assert odd.notes == ["not compared: pkg/latin.py cannot be read (UnicodeDecodeError)"]
    assert odd.digest != small.digest
    for i in range(EXTRA_LIMIT):
        (tmp_path / f"a{i:03d}.py").write_text("X = 1\n")
    many = pc.beside_code(tmp_path)
    assert many.notes == ["not compared: impl.py is past the first 200 .py files",
                          "not compared: pkg/latin.py is past the first 200 .py files"]
    assert impl not in many.texts


def _class_paste(call: str) -> str:
    """SOFTMAX and its helper as methods of a class, the helper called as ``call``."""
    methods = textwrap.indent("@staticmethod\n" + AS_FLOAT + "\n@staticmethod\n" +
                              textwrap.dedent(SOFTMAX).replace("as_float_array(Z", call + "(Z"),
                              "    ")
    return "import numpy as np\nclass _SM:\n" + methods + \
        "\ndef softmax(Z):\n    return _SM.softmax(Z)\n"


def test_helpers_reached_through_an_attribute_are_followed():
    # review 21l #2: static methods called as _SM.name and a two-line def wrapper (59 %)
    assert _flagged(_class_paste("_SM.as_float_array")) == ["softmax"]
    bound = _class_paste("self.as_float_array").replace("@staticmethod\n\n    def softmax(Z",
                                                        "def softmax(self, Z")
    assert "def softmax(self, Z)" in bound and _flagged(bound) == ["softmax"]
    # an attribute reaches only the answer's own functions: np.exp is no helper
    honest = ("def softmax(Z):\n    Z = np.asarray(Z, dtype=float)\n"
              "    e = np.exp(Z - Z.max(axis=-1, keepdims=True))\n"
              "    return e / e.sum(axis=-1, keepdims=True)\n")
    assert _flagged(honest) == []


DECOY = '''
def _trace(x, label="x"):
    info = {"label": label, "shape": getattr(x, "shape", None), "dtype": str(x.dtype)}
    if info["shape"] is not None and len(info["shape"]) > 3:
        info["big"] = True
        info["first"] = [int(s) for s in info["shape"][:3]]
    else:
        info["big"] = False
    return info
'''


@pytest.mark.parametrize("lines", [1, 40])
def test_a_decoy_helper_called_in_a_paste_does_not_dilute_it(lines):
    # review 21l #3: one call of an unrelated helper grew the answer's side (share 60 %);
    # with 40 more lines the helper alone passes the work bound, met before the pasted one
    decoy = DECOY.replace("    return info", "    info['n'] = 0\n" * lines + "    return info")
    paste = textwrap.dedent(SOFTMAX).replace("'Z')\n", "'Z')\n    _trace(Z, 'sm')\n", 1)
    cells = [decoy, AS_FLOAT, paste]
    assert _flagged(*cells) == ["softmax"]
    (score, size), = pc.scores(cells, ["softmax"]).values()
    assert score >= pc.threshold(size)
