"""dlgrade.judge_similarity: the package's text handed in with small changes is a copy; no
honest answer is (review 21f, P). Real package, real copydetect; no grading here (the
graded runs are in tests/test_judge_similarity_grading.py)."""

from __future__ import annotations

import ast
import importlib
import inspect
import re
import textwrap

import nbformat
import pytest

import dlcourse.attention
from dlgrade import judge_similarity as js
from dlgrade.judge_code import CodePolicy, _digests
from dlgrade.judge_source import SourceIndex
from tests.independent import variants
from tests.submissions.crafted import REPO
from tests.submissions.pasted import VARIANTS, graded_functions, pasted_cells

ASSIGNMENTS = sorted(p.name for p in (REPO / "solutions").iterdir() if p.name[:2].isdigit())
SETUP = "import numpy as np\n"


def _honest_submissions():
    for assignment in ASSIGNMENTS:
        nb = nbformat.read(REPO / "solutions" / assignment / f"{assignment}.ipynb", 4)
        yield f"solution {assignment}", [c.source for c in nb.cells if c.cell_type == "code"
                                         and c.metadata.get("nbgrader", {}).get("solution")]
        for name, answers in variants(assignment).items():
            yield f"independent {assignment} {name}", list(answers.values())
        for mistake in importlib.import_module(f"tests.mistakes.ex{assignment}").MISTAKES:
            yield f"mistake {assignment} {mistake['why']}", [mistake["source"]]


def test_no_honest_answer_solution_or_mistake_is_judged_a_copy():
    """Every function of every independent correct answer, every solution notebook's answers
    and every seeded mistake, read as one submission (so a function is judged with the
    submission's functions it calls): none is the package's text, none loses a point."""
    judged, submissions = {}, 0
    for label, texts in _honest_submissions():
        submissions += 1
        cells = [SETUP, *texts]
        copies = js.Submission(cells).copies()
        if copies:
            judged[label] = [(node.name, verdict.describe()) for node, verdict in copies]
        policy = CodePolicy(cells)
        assert policy.similar() == {}, label
        for node in js.Submission(texts).functions:
            assert policy.copy_of(node) is None, (label, node.name)
    assert submissions > 150
    assert judged == {}


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("assignment", ["05_backprop", "10_attention"])
def test_the_package_pasted_with_small_changes_earns_nothing(assignment, variant):
    """Review 21f's P: the package's modules pasted into the first cell, every function with
    a dead statement added (docstrings kept or not, locals renamed, independent statements
    swapped): each graded function is a copy, by its text or by the helpers it calls, and
    the finding names the package's function and the share."""
    cells = [SETUP, *pasted_cells(assignment, variant).values()]
    policy = CodePolicy(cells)
    graded = graded_functions(assignment)
    # the bytecode comparison alone sees none of the graded functions (nor their helpers)
    assert not any(_digests(node) & policy.exact_copies() for node in policy.submission.functions
                   if node.name in graded or node.name.startswith("_check"))
    index = SourceIndex(cells, {}, copy_of=policy.copy_of)
    for name in graded:
        problem = index.problem(name)
        assert problem is not None, name
        found = re.search(r"is a copy of (dlcourse\.[\w.]+).* \((\d+) % of its text", problem)
        assert found, problem
        assert int(found[2]) >= 60 and "the package's code handed in" in problem
    # the control: the same cells read without the copy check find nothing
    assert all(SourceIndex(cells, {}).problem(name) is None for name in graded)


def test_one_line_activations_are_never_judged():
    """04's package functions are one line each (``relu`` is ``_out(np.maximum(...))``): an
    honest answer is the same text, so they are too small to judge, pasted or not. The
    larger ``softmax``, and ``sigmoid_grad`` with the ``sigmoid`` it calls, are."""
    cells = [SETUP, *pasted_cells("04_activations", "stripped").values()]
    index = SourceIndex(cells, {}, copy_of=CodePolicy(cells).copy_of)
    judged = {name for name in graded_functions("04_activations") if index.problem(name)}
    assert judged == {"softmax", "sigmoid_grad"}
    honest = SETUP + "def relu(t):\n    return np.maximum(np.asarray(t, dtype=np.float64), 0.0)\n"
    submission = js.Submission([honest])
    (share, count), _ = submission.scores(submission.functions[0])
    assert count < js.MIN_FINGERPRINTS and submission.verdict(submission.functions[0]) is None


def test_a_text_below_the_minimum_is_not_judged_even_when_it_is_the_package():
    """The package's own ``_row_max`` (16 fingerprints) word for word: all of its text is the
    package's, and still no verdict, because an honest row maximum is written the same way."""
    text = SETUP + textwrap.dedent(inspect.getsource(dlcourse.attention._row_max))
    submission = js.Submission([text])
    node = submission.functions[0]
    (share, count), _ = submission.scores(node)
    assert share > 0.9 and count < js.MIN_FINGERPRINTS
    assert submission.verdict(node) is None


def _with_dead_statement(function) -> str:
    """The package's ``function`` without its docstring, ``_k = 0`` its first statement."""
    node = js._drop_docstrings(ast.parse(textwrap.dedent(inspect.getsource(function)))).body[0]
    node.body.insert(0, ast.parse("_k = 0").body[0])
    return ast.unparse(node)


def _split_attention() -> str:
    """The package's scaled dot-product attention cut into small functions: ``_check_qkv`` one
    function per check (its two assignments moved into the caller), the kernels it runs
    pasted with a dead statement each. Every function is too small to judge alone."""
    source = textwrap.dedent(inspect.getsource(dlcourse.attention._check_qkv))
    body = [ast.unparse(node) for node in js._drop_docstrings(ast.parse(source)).body[0].body]
    pieces = {"_convert": ("Q, K, V", body[0], "Q, K, V"), "_check_q": ("Q", body[1], "Q"),
              "_check_k": ("Q, K, lead, d_k", body[3], "K"),
              "_check_v": ("Q, V, lead, n_k", body[5], "V")}
    functions = []
    for i, (name, (arguments, statement, result)) in enumerate(pieces.items()):
        lines = "\n".join("    " + line for line in statement.splitlines())
        functions.append(f"def {name}({arguments}):\n    _k = {i}\n{lines}\n"
                         f"    return {result}\n")
    attention = dlcourse.attention
    functions += [_with_dead_statement(f) for f in (attention._row_max, attention._row_sum,
                                                    attention._softmax_rows,
                                                    attention._attention)]
    glue = ("def scaled_dot_product_attention(Q, K, V, mask=None):\n"
            "    Q, K, V = _convert(Q, K, V)\n    Q = _check_q(Q)\n"
            f"    {body[2]}\n    K = _check_k(Q, K, lead, d_k)\n"
            f"    {body[4]}\n    V = _check_v(Q, V, lead, n_k)\n"
            "    return _attention(Q, K, V, mask)\n")
    return "\n\n".join(functions) + "\n\n" + glue


def test_a_pasted_function_cut_into_small_ones_is_one_text_again():
    """Per function, but with the functions it calls: no piece is large enough to judge, the
    pieces that call none are no copies, the graded function that calls them all is."""
    text = _split_attention()
    submission = js.Submission([SETUP, text])
    for node in submission.functions:
        (_, alone), _ = submission.scores(node)
        assert alone < js.MIN_FINGERPRINTS, node.name
        if not submission.calls(node):
            assert submission.verdict(node) is None, node.name
    verdict = submission.verdict(submission.defined["scaled_dot_product_attention"])
    assert verdict is not None and verdict.calls[:4] == ("_convert", "_check_q", "_check_k",
                                                          "_check_v")
    assert verdict.package[0] == "dlcourse.attention._check_qkv"
    problem = SourceIndex([SETUP, text], {}, copy_of=CodePolicy([SETUP, text]).copy_of) \
        .problem("scaled_dot_product_attention")
    assert "with _convert, _check_q, _check_k, ... that it calls," in problem


def test_the_finding_names_the_package_function_and_the_share():
    cells = [SETUP, *pasted_cells("10_attention", "renamed").values()]
    policy = CodePolicy(cells)
    node = next(n for n in policy.submission.functions if n.name == "_check_qkv")
    assert re.fullmatch(r"dlcourse\.attention\._check_qkv \(9\d % of its text is the "
                        r"package's text\)", policy.copy_of(node))
    problem = SourceIndex(cells, {}, copy_of=policy.copy_of).problem("causal_mask")
    assert re.fullmatch(r"`causal_mask` is a copy of dlcourse\._validation\.check_positive_int"
                        r"((, | and )[\w.]+)* \(\d\d % of its text, with check_positive_int that "
                        r"it calls, is the package's text\), the package's code handed in as "
                        r"the student's own text", problem), problem


def test_a_pasted_helper_that_ran_during_a_call_is_named():
    """What the kernel ran (the judge's record: fingerprints of the code objects): a pasted
    helper reached in a way the reading of the text does not follow (``globals()[...]``)."""
    cells = [SETUP, *pasted_cells("10_attention", "stripped").values()]
    policy = CodePolicy(cells)
    node = next(n for n in policy.submission.functions if n.name == "_check_qkv")
    digest = next(iter(_digests(node)))
    assert digest in policy.copied() and digest not in policy.exact_copies()
    said = policy.package_use({"other": [[digest, "_check_qkv"]]})
    assert said.startswith("it ran `_check_qkv`, a copy of dlcourse.attention._check_qkv (")
    # an honest helper that ran is nothing
    honest = [SETUP, "def _shape(a):\n    return np.asarray(a).shape\n"]
    other = CodePolicy(honest)
    mine = next(iter(_digests(other.submission.functions[0])))
    assert other.package_use({"other": [[mine, "_shape"]]}) is None


def test_the_package_is_read_once_per_process_and_not_for_small_text(monkeypatch):
    monkeypatch.setattr(js, "_INDEX", {})
    small = js.Submission([SETUP, "def relu(t):\n    return np.maximum(t, 0)\n"])
    assert small.copies() == [] and js._INDEX == {}  # nothing large enough to judge
    first = js.package_index()
    assert js.package_index() is first
    assert not any(name.startswith(js.NOT_COMPARED) for name in first.names)
    assert "dlcourse.attention._check_qkv" in first.names
