"""The package's text handed in with small changes: copies found by how much text they share.

:mod:`dlgrade.judge_fingerprint` recognises the package's functions by their bytecode, which is
exact: one dead statement (``_k = 0``) at the top of every pasted function gives other
bytecode, and the package's source handed in that way earned every point of exercises 04, 05
and 10 (review 21f, P). Here a submitted function is compared by its text instead: the share
of its copydetect fingerprints (winnowed k-grams, :mod:`dlgrade.similarity`'s settings and
stable hashes) found in the package's text. An inserted statement, renamed locals, docstrings
kept or dropped, independent statements swapped each change the fingerprints around the edit
and leave the rest, so such a copy (with the helpers it calls) still shares 70-99 % of its
text with the package.

What is compared
    Both sides are normalised alike: the function's syntax tree with every docstring in it
    dropped, printed again by ``ast.unparse`` (one layout, one quote style, no comments, no
    redundant parentheses), then copydetect's filter (names become ``V``/``F``, strings ``S``,
    whitespace goes). The package's side is every function and method of the installed
    ``dlcourse`` except :data:`NOT_COMPARED`: ``dlcourse.checks`` and ``dlcourse.testing`` hold
    the hidden tests' reference answers, written as plainly as any student writes the function
    (the course's own ``conv2d`` solution is 96 % the text of ``reference_conv2d``, an
    independent correct answer 68 %), so sharing text with them shows nothing.

The unit: a function, with the functions of the submission it calls
    Points follow functions, so each function gets its own verdict. It is judged by its own
    text, and by its text together with the submission's functions it calls (directly or
    through others: names it loads that the submission defines): the package's graded
    functions are thin (``causal_mask`` is two lines; its text is mostly in the
    ``check_positive_int`` it calls), and a pasted function cut into several small ones is
    one text again. A helper that is a copy takes the points of every graded function that
    reaches it (:meth:`dlgrade.judge_source.SourceIndex.problem` follows the calls).

Too small to judge
    A text of fewer than :data:`MIN_FINGERPRINTS` fingerprints is never judged: short correct
    code is the same text whoever writes it. Measured on every answer of tests/independent,
    every seeded mistake of tests/mistakes and every solution notebook (512 functions;
    ``benchmarks/package_similarity.py`` prints the table):
    the independent ``softmax_cross_entropy`` (the log-sum-exp, 26 fingerprints) is 63 % the
    package's text and an independent ``softmax`` (16) 99 %, while no honest text of 30
    fingerprints or more reaches 51 %. The package's helpers pasted with a dead statement
    have 18-120 fingerprints and share 78-99 %; its one-line activations (``relu``:
    ``return _out(np.maximum(...))``) have under 10 and stay unjudged, like an honest
    one-liner.

What it cannot see: the package's code retyped with real changes (other expressions, other
order throughout) shares too little text; so may a copy with a dead statement between every
two lines (of 05's and 10's graded functions, half are then still caught, through the
helpers they call).
"""

from __future__ import annotations

import ast
import bisect
import os
from collections import Counter
from dataclasses import dataclass

from . import similarity
from .judge_fingerprint import package_root

__all__ = ["MIN_FINGERPRINTS", "NOT_COMPARED", "Submission", "Verdict", "cell_code",
           "package_index"]

#: Fewest fingerprints a text must have to be judged (see the module doc for the numbers)
MIN_FINGERPRINTS = 30
#: Share of a text found in the package's from which it is a copy (the class-wide pair
#: check's threshold, :data:`dlgrade.similarity.THRESHOLD`)
THRESHOLD = similarity.THRESHOLD
#: Modules of the package its text is not compared with (the hidden tests' reference answers)
NOT_COMPARED = ("dlcourse.checks", "dlcourse.testing")
#: At most this many of the package's functions are named in a verdict
NAMED = 3

_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)


def cell_code(source: str) -> str:
    """Python of a cell: IPython magics and shell lines blanked (kept as line numbers)."""
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line
                     for line in source.splitlines())


def _drop_docstrings(tree: ast.AST) -> ast.AST:
    """``tree`` (changed in place) without the docstring of any function or class in it."""
    for node in ast.walk(tree):
        if isinstance(node, (*_FUNCTIONS, ast.ClassDef)) and node.body and \
                isinstance(node.body[0], ast.Expr) and \
                isinstance(node.body[0].value, ast.Constant) and \
                isinstance(node.body[0].value.value, str):
            node.body = node.body[1:] or [ast.Pass()]
    return tree


def normalised(node: ast.AST) -> str:
    """The text of a function as it is compared: its docstrings dropped, printed again by
    ``ast.unparse`` (``node`` itself is not changed).

    >>> tree = ast.parse('def f(a):\\n    "Doc."\\n    return ((a + 1))  # one more\\n')
    >>> normalised(tree.body[0])
    'def f(a):\\n    return a + 1'
    """
    return ast.unparse(_drop_docstrings(ast.parse(ast.unparse(node))))


# --------------------------------------------------------------------------- the package


@dataclass(frozen=True)
class _Index:
    root: str
    fingerprint: object          # copydetect's CodeFingerprint of all the functions' text
    starts: tuple[int, ...]      # where each function's text starts in it
    names: tuple[str, ...]       # dlcourse.module.qualname of each


_INDEX: dict[str, _Index] = {}


def _module_functions(tree: ast.Module):
    """(qualified name, node) of the functions of a module and the methods of its classes."""
    for node in tree.body:
        if isinstance(node, _FUNCTIONS):
            yield node.name, node
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, _FUNCTIONS):
                    yield f"{node.name}.{item.name}", item


def package_index() -> _Index:
    """The fingerprints of the installed package's functions (without :data:`NOT_COMPARED`),
    read from its files (nothing of it runs). Built once per process (half a second of
    tokenising 250 kB of code, and copydetect's import: ``benchmarks/package_similarity.py``
    measures it); a grading worker builds it before its first student
    (:func:`dlgrade.worker.worker_main`)."""
    root = package_root()
    cached = _INDEX.get("dlcourse")
    if cached is not None and cached.root == root:
        return cached
    pieces, starts, names = [], [], []
    offset = 0
    for folder, subfolders, files in os.walk(root):
        subfolders.sort()
        for file in sorted(files):
            if not file.endswith(".py"):
                continue
            path = os.path.join(folder, file)
            relative = os.path.relpath(os.path.splitext(path)[0], root).split(os.sep)
            module = ".".join(["dlcourse", *[p for p in relative if p != "__init__"]])
            if any(module == skip or module.startswith(skip + ".") for skip in NOT_COMPARED):
                continue
            try:
                with open(path, encoding="utf-8") as handle:
                    tree = _drop_docstrings(ast.parse(handle.read(), path))
            except (OSError, UnicodeDecodeError, SyntaxError, ValueError):
                continue
            for qualname, node in _module_functions(tree):
                text = similarity.filtered_text(ast.unparse(node))
                pieces.append(text)
                starts.append(offset)
                names.append(f"{module}.{qualname}")
                offset += len(text)
    index = _Index(root, similarity._fingerprint("".join(pieces), None, filtered=True),
                   tuple(starts), tuple(names))
    _INDEX["dlcourse"] = index
    return index


# --------------------------------------------------------------------------- a verdict


@dataclass(frozen=True)
class Verdict:
    """A submitted function that is the package's text: the share of its text (with the
    submission's functions it calls, ``calls``) found in the package's, how many fingerprints
    that text has, and the package's functions holding most of it, most first."""

    share: float
    fingerprints: int
    package: tuple[str, ...]
    calls: tuple[str, ...] = ()

    def describe(self) -> str:
        """What the finding says after "is a copy of", e.g. ``dlcourse.attention._check_qkv
        (95 % of its text is the package's text)``."""
        percent = int(self.share * 100)  # 0.599 is not called 60 %
        calls = ""
        if self.calls:
            listed = ", ".join(self.calls[:NAMED]) + (", ..." if len(self.calls) > NAMED else "")
            calls = f", with {listed} that it calls,"
        names = self.package[0] if len(self.package) == 1 else \
            f"{', '.join(self.package[:-1])} and {self.package[-1]}"
        return f"{names} ({percent} % of its text{calls} is the package's text)"


def _score(filtered: str, small: bool = False) -> tuple[float, int, tuple[str, ...]]:
    """(share found in the package, fingerprints, package functions) of a filtered text; for
    a text too small to judge the package is not read (share 0) unless ``small``."""
    from copydetect.detector import compare_files

    fingerprint = similarity._fingerprint(filtered, None, filtered=True)
    count = len(fingerprint.hashes)
    if count < MIN_FINGERPRINTS and not small or not count:
        return 0.0, count, ()
    index = package_index()
    shared = fingerprint.hashes & index.fingerprint.hashes
    if not shared:
        return 0.0, count, ()
    _, (share, _), _ = compare_files(fingerprint, index.fingerprint)
    votes: Counter = Counter()
    for digest in shared:
        votes.update({index.names[bisect.bisect_right(index.starts, int(position)) - 1]
                      for position in index.fingerprint.hash_idx[digest]})
    ranked = sorted(votes.items(), key=lambda item: (-item[1], item[0]))
    top = ranked[0][1]
    named = tuple(name for name, count_ in ranked[:NAMED] if count_ * 3 >= top)
    return float(share), count, named


class Submission:
    """The functions of the submitted text (notebook cells, ``.py`` files) and their verdicts.

    ``verdict(node)`` judges a function of this text (or an equal node of another reading of
    it); nothing is computed before the first call, and each text once."""

    def __init__(self, texts: list[str]):
        #: top-level functions by name, the last definition of a name winning (as it does
        #: when the notebook runs top to bottom)
        self.defined: dict[str, ast.AST] = {}
        #: every function of the text, nested ones and methods too
        self.functions: list[ast.AST] = []
        for text in texts:
            try:
                tree = ast.parse(cell_code(text))
            except (SyntaxError, ValueError, MemoryError, RecursionError):
                continue
            for node in tree.body:
                if isinstance(node, _FUNCTIONS):
                    self.defined[node.name] = node
            self.functions += [node for node in ast.walk(tree) if isinstance(node, _FUNCTIONS)]
        self._filtered: dict[str, str] = {}   # normalised text -> copydetect's filtered text
        self._verdicts: dict[str, Verdict | None] = {}

    def _text(self, node) -> tuple[str, str]:
        key = normalised(node)
        if key not in self._filtered:
            self._filtered[key] = similarity.filtered_text(key)
        return key, self._filtered[key]

    def calls(self, node) -> list:
        """The submission's functions that ``node`` calls, directly or through others, in the
        order they are first met (``node`` itself left out)."""
        found, todo = [], [node]
        while todo:
            current = todo.pop(0)
            for sub in ast.walk(current):
                if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Load):
                    callee = self.defined.get(sub.id)
                    if callee is not None and sub.id != getattr(node, "name", None) and \
                            callee not in found:
                        found.append(callee)
                        todo.append(callee)
        return found

    def scores(self, node) -> tuple[tuple[float, int], tuple[float, int] | None]:
        """((share, fingerprints) of the function's own text, the same of its text with the
        functions it calls or None when it calls none): what :meth:`verdict` decides on,
        measured also below :data:`MIN_FINGERPRINTS` (for the fairness table)."""
        _, own = self._text(node)
        alone = _score(own, small=True)[:2]
        callees = self.calls(node)
        if not callees:
            return alone, None
        text = own + "".join(self._text(callee)[1] for callee in callees)
        return alone, _score(text, small=True)[:2]

    def verdict(self, node) -> Verdict | None:
        """The :class:`Verdict` if the function ``node`` is the package's text, else None."""
        if not isinstance(node, _FUNCTIONS):
            return None
        key, own = self._text(node)
        if key in self._verdicts:
            return self._verdicts[key]
        found = None
        share, count, named = _score(own)
        if count >= MIN_FINGERPRINTS and share >= THRESHOLD:
            found = Verdict(share, count, named)
        else:
            callees = self.calls(node)
            if callees:
                text = own + "".join(self._text(callee)[1] for callee in callees)
                share, count, named = _score(text)
                if count >= MIN_FINGERPRINTS and share >= THRESHOLD:
                    found = Verdict(share, count, named,
                                    tuple(callee.name for callee in callees))
        self._verdicts[key] = found
        return found

    def copies(self) -> list[tuple[ast.AST, Verdict]]:
        """Every function of the submission that is the package's text, with its verdict."""
        return [(node, verdict) for node in self.functions
                if (verdict := self.verdict(node)) is not None]
