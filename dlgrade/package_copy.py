"""An advisory flag: answers that look like the package's own function pasted in.

The judge takes points for the package's code *running* and for exact copies of its bytecode
(:mod:`dlgrade.judge_code`); a paste of the package's source with a dead line added compiles
in the student's cell and is "own" code to both (review 21f, item P). A text-similarity check
that took points away (branch h21-sim, reverted) cost honest students points: answers in the
course's style were matched against *any* package function. This module only *flags*: the
instructor reads "graded, flagged for review: sigmoid, relu look like copies of
dlcourse.activations (91 %, 88 %)" and the points stay.

What is compared, and why it is fair:

- only an answer function whose name is an answer the assignment asks for (a solution cell's
  ``grade_id``) *and* a function of the package, and only with the package's function of that
  name (plus the package's private helpers and ``dlcourse._validation`` checks it calls; the
  answer brings the functions of its own text it calls);
- both sides are normalised first, removing what a paste can change for free: identifiers
  (every name that is not a built-in reads ``V``; attribute and keyword names stay, they are
  the API called), docstrings, comments and layout (the AST has none), constants (``C``,
  strings and f-strings ``S``), dead statements (``pass``, bare constants, assignments to
  names never read, ``if False:`` / ``while 0:`` blocks, the ``else`` of an ``if True:``) and
  calls of identity wrappers the answer defines (``def _i(x): return x``, ``_i = lambda x:
  x``, wrappers of wrappers);
- the normalised trees are compared as multisets of token 5-grams of their pre-order walk
  (node kinds, operators, kept names): share = common 5-grams / the larger side's 5-grams,
  and containment = common 5-grams / the package side's (how much of the package function is
  in the answer: one call of an unrelated helper of the answer's own does not dilute a paste,
  review 21l #3); the larger of the two is compared with the threshold (honest answers reach
  66 % by containment, ``benchmarks/package_copy.py --measure contained``);
- an answer function's helpers are followed by name and through an attribute naming one of
  the answer's functions (``_SM.as_float_array(...)``, ``self.check(...)``: review 21l #2);
- below :data:`MIN_GRAMS` 5-grams on the package's side nothing is said: a one-line
  ``sigmoid`` written the obvious way *is* the package's text.

Why AST token n-grams rather than :mod:`dlgrade.similarity`'s winnowing: the normalisation
(dead code, wrappers) needs the tree anyway, functions are short (winnowing keeps one
fingerprint in a window and loses most of a 40-token function), and counting every 5-gram of
two small trees is exact and deterministic without copydetect's salted hashing.
``benchmarks/package_copy.py`` prints both rates (honest functions flagged, pasted functions
flagged) per assignment and the cost per submission.
"""

from __future__ import annotations

import ast
import builtins
import copy
import hashlib
import os
import stat
from collections import Counter, deque
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from .judge_fingerprint import package_root
from .judge_source import handed_in_py

#: token n-gram length
N = 5
#: a package function with fewer n-grams (with its helpers) is never compared: too small
MIN_GRAMS = 40
#: share of common n-grams from which an answer is flagged (package side of LONG_GRAMS or
#: more); a shorter function needs more evidence: see :func:`threshold`
THRESHOLD = 0.8
#: from this many n-grams on the package's side the plain THRESHOLD applies
LONG_GRAMS = 120
#: the share asked of the shortest compared function (MIN_GRAMS n-grams)
SHORT_THRESHOLD = 0.95
#: bounds on the check's work (review 21j): characters of submitted code, AST nodes of it,
#: rounds of wrapper-of-wrapper resolution and of dead-code removal, alias hops. Past one
#: of them the check says :data:`TOO_LARGE` in the flag's place (no points are touched).
MAX_CHARS = 300_000
MAX_NODES = 60_000
MAX_ROUNDS = 12
#: functions met from one compared function (itself and the helpers it reaches, breadth first)
MAX_REACHED = 64
#: what the flag says when a bound above is passed (or the tree is too deep to walk)
TOO_LARGE = "not compared: answer too large for the copy check"
#: modules of the package never compared (the tests' reference answers, the helpers of checks)
NOT_COMPARED = ("checks", "testing", "own_work", "selfcheck", "exercise_cells")
#: the package's module of shared argument checks: its functions count as helpers by any name
VALIDATION = "_validation"

_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
_BUILTINS = frozenset(dir(builtins))


class TooLarge(Exception):
    """The submitted code passes a bound of the check's work (see :data:`MAX_NODES`)."""

    def __init__(self) -> None:
        super().__init__(TOO_LARGE)


def threshold(package_grams: int) -> float:
    """The share from which an answer is flagged against a package function of
    ``package_grams`` n-grams: :data:`SHORT_THRESHOLD` at :data:`MIN_GRAMS`, falling
    linearly to :data:`THRESHOLD` at :data:`LONG_GRAMS` (a short function written from the
    exercise's hint is near the package's text; review 21j's honest sigmoid scored 85 %).

    >>> threshold(40), threshold(80), threshold(120), threshold(500)
    (0.95, 0.875, 0.8, 0.8)
    """
    if package_grams >= LONG_GRAMS:
        return THRESHOLD
    short = max(0, LONG_GRAMS - max(package_grams, MIN_GRAMS)) / (LONG_GRAMS - MIN_GRAMS)
    return round(THRESHOLD + (SHORT_THRESHOLD - THRESHOLD) * short, 4)


@dataclass(frozen=True)
class Copy:
    """An answer function that looks like the package's function ``package``."""

    name: str
    package: str     # dlcourse.<module>.<name>
    share: float
    #: where the look-alike sits when not in a ``def`` of the asked name: ``"def _impl"``
    #: or ``"a lambda"`` (review 21k: a paste under another name, rebound in one line)
    found_in: str = ""

    @property
    def module(self) -> str:
        return self.package.rsplit(".", 1)[0]

    @property
    def label(self) -> str:
        return f"{self.name} (in {self.found_in})" if self.found_in else self.name


def describe(copies: list[Copy]) -> str:
    """The flag in plain words, grouped by module, or ``""`` for none.

    >>> describe([Copy("sigmoid", "dlcourse.activations.sigmoid", 0.914),
    ...           Copy("relu", "dlcourse.activations.relu", 0.88)])
    'sigmoid, relu look like copies of dlcourse.activations (91 %, 88 %)'
    >>> describe([Copy("softmax", "dlcourse.activations.softmax", 1.0, "def _impl")])
    'softmax (in def _impl) looks like a copy of dlcourse.activations (100 %)'
    """
    by_module: dict[str, list[Copy]] = {}
    for found_copy in copies:
        by_module.setdefault(found_copy.module, []).append(found_copy)
    parts = []
    for module, found in by_module.items():
        names = ", ".join(c.label for c in found)
        shares = ", ".join(f"{int(c.share * 100)} %" for c in found)
        verb = "looks like a copy" if len(found) == 1 else "look like copies"
        parts.append(f"{names} {verb} of {module} ({shares})")
    return "; ".join(parts)


# --------------------------------------------------------------------------- normalising


def _constant(node) -> tuple[bool, object]:
    if isinstance(node, ast.Constant):
        return True, node.value
    return False, None


class _Dead(ast.NodeTransformer):
    """Drop dead statements from every statement list (see the module doc)."""

    def __init__(self, read: set[str]):
        self.read = read
        self.changed = False

    def visit(self, node):
        result = super().visit(node)
        if result is not node:
            self.changed = True
        return result

    def _body(self, body: list) -> list:
        if len(body) == 1 and isinstance(body[0], ast.Pass):
            return body  # what an emptied block holds: nothing more to drop
        kept = []
        for stmt in body:
            stmt = self.visit(stmt)
            if stmt is None:
                continue
            kept.extend(stmt if isinstance(stmt, list) else [stmt])
        return kept

    def generic_visit(self, node):
        for part in ("body", "orelse", "finalbody"):
            value = getattr(node, part, None)
            if isinstance(value, list) and value and isinstance(value[0], ast.stmt):
                setattr(node, part, self._body(value) or [ast.Pass()])
        if hasattr(node, "handlers"):
            node.handlers = [self.visit(h) for h in node.handlers]
        return node

    def visit_Pass(self, node):
        return None

    def visit_Expr(self, node):
        return None if isinstance(node.value, ast.Constant) else node

    def visit_If(self, node):
        known, value = _constant(node.test)
        if known:
            return self._body(node.body if value else node.orelse) or None
        return self.generic_visit(node)

    def visit_While(self, node):
        known, value = _constant(node.test)
        if known and not value:
            return self._body(node.orelse) or None
        return self.generic_visit(node)

    def _unread(self, targets) -> bool:
        return all(isinstance(t, ast.Name) and t.id not in self.read for t in targets)

    def visit_Assign(self, node):
        return None if self._unread(node.targets) else node

    def visit_AnnAssign(self, node):
        return None if self._unread([node.target]) else node

    def visit_AugAssign(self, node):
        return None if self._unread([node.target]) else node

    def visit_FunctionDef(self, node):
        return self.generic_visit(node)

    visit_AsyncFunctionDef = visit_FunctionDef


def _drop_docstrings(node: ast.AST) -> None:
    for sub in ast.walk(node):
        if isinstance(sub, (*_FUNCTIONS, ast.ClassDef)) and sub.body and \
                isinstance(sub.body[0], ast.Expr) and isinstance(sub.body[0].value, ast.Constant):
            sub.body = sub.body[1:] or [ast.Pass()]


def _assigned(node: ast.AST) -> list[str] | None:
    """The names a statement :class:`_Dead` may drop assigns (``a = ...``, ``a: T = ...``,
    ``a += ...``, plain names only), or None for any other node."""
    if isinstance(node, ast.Assign):
        targets = node.targets
    elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
        targets = [node.target]
    else:
        return None
    if all(isinstance(t, ast.Name) for t in targets):
        return [t.id for t in targets]
    return None


def _live(node: ast.AST) -> set[str]:
    """Names whose value is used in ``node``: read outside an assignment to plain names, or
    read by an assignment to a name that is itself used (transitively). One pass and a
    closure, so a chain of dead assignments ``a1 = a0``, ``a2 = a1``, ... of any length goes
    at once (review 21k #7: one round per link reached the check's bound with 47 lines)."""
    roots: set[str] = set()
    feeds: dict[str, list[list[str]]] = {}
    todo = [node]
    while todo:
        sub = todo.pop()
        targets = _assigned(sub)
        if targets is not None:
            reads = [n.id for n in ast.walk(sub) if isinstance(n, ast.Name)
                     and isinstance(n.ctx, ast.Load)]
            for target in targets:
                feeds.setdefault(target, []).append(reads)
            continue
        if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Load):
            roots.add(sub.id)
        todo.extend(ast.iter_child_nodes(sub))
    live: set[str] = set()
    names = list(roots)
    while names:
        name = names.pop()
        if name in live:
            continue
        live.add(name)
        for reads in feeds.pop(name, ()):
            names.extend(reads)
    return live


def _inline(node: ast.AST, wrappers: frozenset[str]) -> ast.AST:
    """``node`` with every call ``w(e)`` of an identity wrapper ``w`` replaced by ``e``."""
    class Inline(ast.NodeTransformer):
        def visit_Call(self, call):
            self.generic_visit(call)
            if isinstance(call.func, ast.Name) and call.func.id in wrappers and \
                    len(call.args) == 1 and not call.keywords and \
                    not isinstance(call.args[0], ast.Starred):
                return call.args[0]
            return call
    return Inline().visit(node)


def normalised(node: ast.AST, wrappers: frozenset[str] = frozenset(),
               in_place: bool = False) -> ast.Module:
    """A module holding the function ``node`` (a copy unless ``in_place``) with docstrings,
    identity wrappers' calls and dead statements removed (assignments to names never read:
    until none is left)."""
    tree = ast.Module(body=[node if in_place else copy.deepcopy(node)], type_ignores=[])
    _drop_docstrings(tree)
    if wrappers:
        tree = _inline(tree, wrappers)
    for _ in range(MAX_ROUNDS * 4):  # a round drops every dead assignment; the next ones
        dead = _Dead(_live(tree))       # what an emptied ``if False:`` block left unread
        tree = dead.visit(tree)
        if not dead.changed:
            return tree
    raise TooLarge


def _identity(node: ast.AST, in_place: bool = False) -> bool:
    """Whether ``node`` (a function or a lambda) returns its only positional argument as is
    (a function is normalised first: in place if ``in_place``, a copy the caller owns)."""
    if isinstance(node, ast.Lambda):
        args, body = node.args, node.body
    elif isinstance(node, _FUNCTIONS):
        stmts = normalised(node, in_place=in_place).body[0].body
        if len(stmts) != 1 or not isinstance(stmts[0], ast.Return):
            return False
        args, body = node.args, stmts[0].value
    else:
        return False
    positional = args.posonlyargs + args.args
    return bool(positional) and isinstance(body, ast.Name) and body.id == positional[0].arg


def tokens(node: ast.AST) -> list[str]:
    """The pre-order token walk of a normalised tree (see the module doc)."""
    out: list[str] = []

    def walk(sub):
        if isinstance(sub, (ast.expr_context,)):
            return
        if isinstance(sub, ast.Name):
            out.append(sub.id if sub.id in _BUILTINS else "V")
            return
        if isinstance(sub, ast.Constant):
            out.append("S" if isinstance(sub.value, (str, bytes)) else "C")
            return
        if isinstance(sub, ast.JoinedStr):
            out.append("S")
            return
        out.append(type(sub).__name__)
        if isinstance(sub, ast.Attribute):
            out.append("." + sub.attr)
        elif isinstance(sub, ast.keyword):
            out.append(f"{sub.arg}=")
        for child in ast.iter_child_nodes(sub):
            walk(child)
        if isinstance(sub, (ast.stmt,)):
            out.append("/")
    for stmt in node.body[0].body if isinstance(node, ast.Module) else node.body:
        walk(stmt)
    return out


def grams(token_list: list[str]) -> Counter:
    """The multiset of :data:`N`-grams of a token list."""
    return Counter(tuple(token_list[i:i + N]) for i in range(len(token_list) - N + 1))


def share(a: Counter, b: Counter) -> float:
    """Common n-grams over the larger side's count (0 when either is empty)."""
    if not a or not b:
        return 0.0
    common = sum((a & b).values())
    return common / max(sum(a.values()), sum(b.values()))


def contained(ours: Counter, theirs: Counter) -> float:
    """Common n-grams over the package side's count: how much of the package function (with
    its helpers) is in the answer, whatever the answer adds (review 21l #3: one call of an
    unrelated 9-line helper in a paste grew the answer's side and took ``share`` to 60 %)."""
    if not ours or not theirs:
        return 0.0
    return sum((ours & theirs).values()) / sum(theirs.values())


def similarity(ours: Counter, theirs: Counter) -> float:
    """What is compared with the threshold: the larger of :func:`share` and
    :func:`contained` (``benchmarks/package_copy.py`` measures each on honest answers)."""
    return max(share(ours, theirs), contained(ours, theirs))


def _referenced(node: ast.AST, attributes: bool = False) -> set[str]:
    """Every name ``node`` reads (a helper may be called through a wrapper, ``_i(f)(x)``);
    with ``attributes`` also every attribute it reads (``_SM.as_float_array``,
    ``self.helper``: review 21l #2, a paste kept as static methods; the caller looks each
    up among the answer's own functions, so ``np.exp`` reaches nothing unless the answer
    defines an ``exp``)."""
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)
            and isinstance(n.ctx, ast.Load)} | \
        {n.attr for n in ast.walk(node) if attributes and isinstance(n, ast.Attribute)
         and isinstance(n.ctx, ast.Load)}


def _with_helpers(name: str, lookup) -> list[ast.AST]:
    """The function ``lookup(name)`` and the functions it reaches by name (transitively,
    ``lookup(other)`` giving each or None), in the order met."""
    return _reached(lookup(name), lookup)


def _reached(first: ast.AST, lookup) -> list[ast.AST]:
    """``first`` and the functions it reaches by name through ``lookup`` (see above)."""
    found, todo, seen = [first], deque([first]), {id(first)}
    while todo:
        for callee in sorted(_referenced(todo.popleft())):
            node = lookup(callee)
            if node is not None and id(node) not in seen:
                seen.add(id(node))
                found.append(node)
                todo.append(node)
    return found


def _lookup(defined: dict[str, ast.AST], wrappers: frozenset[str] = frozenset()):
    """``lookup(name)``: the normalised function ``name`` of ``defined`` (normalised in place,
    once) or None; wrappers are none."""
    done: dict[str, ast.Module] = {}

    def lookup(name: str):
        node = defined.get(name)
        if node is None or name in wrappers:
            return None
        if name not in done:
            done[name] = normalised(node, wrappers, in_place=True)
        return done[name]
    return lookup


def _grams_of(nodes: list[ast.Module], memo: dict) -> Counter:
    """The n-grams of the normalised ``nodes`` together; ``memo`` keeps each node's (by
    ``id``) for the other functions that reach it."""
    total: Counter = Counter()
    for node in nodes:
        kept = memo.get(id(node))
        if kept is None or kept[0] is not node:  # the node itself is kept: its id stays its
            kept = memo[id(node)] = (node, grams(tokens(node)))
        total += kept[1]
    return total


# --------------------------------------------------------------------------- the package


@lru_cache(maxsize=4)
def _package(root: str) -> dict[str, list[tuple[str, Counter]]]:
    """name -> [(dlcourse.<module>.<name>, its n-grams with its helpers')] of every top-level
    function of the package's modules (read from the files: nothing of the package runs)."""
    modules: dict[str, dict[str, ast.AST]] = {}
    for file in sorted(os.listdir(root)):
        module = file[:-3]
        if not file.endswith(".py") or module in NOT_COMPARED or module == "__init__":
            continue
        try:
            with open(os.path.join(root, file), encoding="utf-8") as handle:
                tree = ast.parse(handle.read())
        except (OSError, UnicodeDecodeError, SyntaxError, ValueError):
            continue
        modules[module] = {n.name: n for n in tree.body if isinstance(n, _FUNCTIONS)}
    anywhere: dict[str, ast.AST] = {}  # a name defined in several modules: the first
    for module in sorted(modules, key=lambda m: m != VALIDATION):
        for name, node in modules[module].items():
            anywhere.setdefault(name, node)
    everywhere = _lookup(anywhere)
    out: dict[str, list[tuple[str, Counter]]] = {}
    memo: dict = {}
    for module, functions in modules.items():
        own = _lookup(functions)
        for name in functions:
            if name.startswith("_"):
                continue
            # the module's own functions first, then those it imports from the others
            nodes = _with_helpers(name, lambda n, own=own: own(n) or everywhere(n))
            out.setdefault(name, []).append((f"dlcourse.{module}.{name}",
                                             _grams_of(nodes, memo)))
    return out


def package_functions() -> dict[str, list[tuple[str, Counter]]]:
    """The package's comparable functions by name (built once per process)."""
    return _package(package_root())


# --------------------------------------------------------------------------- an answer


def _cell_code(source: str) -> str:
    """Python of a cell: IPython magics and shell lines blanked."""
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line
                     for line in source.splitlines())


@dataclass
class Answer:
    """What the submitted texts define: ``defined`` the functions by name (the last
    definition wins, as when the notebook runs top to bottom; aliases ``name = other``
    resolved), ``every`` every definition of each name (notebook cells and beside files:
    each is compared), ``wrappers`` the names of identity wrappers, ``lambdas`` every lambda,
    ``unfollowed`` name -> how a binding of that name the check cannot follow binds it
    (``softmax, = (_impl,)``, ``softmax = partial(_impl)``, a class, ``:=``, ...)."""

    defined: dict[str, ast.AST]
    every: dict[str, list[ast.AST]]
    wrappers: frozenset[str]
    lambdas: list[ast.Lambda] = field(default_factory=list)
    unfollowed: dict[str, str] = field(default_factory=dict)


def _definitions(tree: ast.Module):
    """Every ``def`` of ``tree`` at any depth (under ``if``/``try``/``with``/loops, in classes
    and functions too: wherever the judge could find it), every plain assignment
    ``name = <lambda>`` (a wrapper may be local) and every ``name = <name>`` at module level
    or under such blocks (an alias; inside a function it binds a local: review 21k #7, a
    47-line ``a1 = a0``, ``a2 = a1``, ... chain in a pasted function read as aliases passed
    the check's bound)."""
    for node in ast.walk(tree):
        if isinstance(node, _FUNCTIONS):
            yield node.name, node
        elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Lambda):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    yield target.id, node.value
    todo = list(tree.body)
    while todo:  # the module's scope only
        node = todo.pop()
        if isinstance(node, (*_FUNCTIONS, ast.ClassDef)) or \
                not isinstance(node, (ast.stmt, ast.ExceptHandler)):
            continue
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Name):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    yield target.id, node.value
        for part in ("body", "orelse", "finalbody", "handlers"):
            todo.extend(getattr(node, part, ()))


#: how a module-level ``name = <value>`` binds, by the value's kind (a name or a lambda is
#: followed; anything else is not)
_VALUE_KINDS = {ast.Call: "a call's result", ast.Attribute: "an attribute",
                ast.Subscript: "a subscript"}
_NAMESPACES = frozenset({"globals", "vars", "locals"})


def _stored(target: ast.AST) -> list[str]:
    return [n.id for n in ast.walk(target) if isinstance(n, ast.Name)]


def _unfollowed(tree: ast.Module):
    """(name, how) of every binding of ``tree``'s module namespace the check does not follow
    to a ``def`` or lambda: a class, an unpacking or a call's result assigned, a ``for``
    target, ``with ... as``, ``:=``, an import under another name, a ``global`` statement
    in a function, ``globals().update(name=...)`` / ``globals()["name"] = ...``."""
    todo = list(tree.body)
    while todo:  # the module's scope: function, lambda and class bodies are other scopes
        node = todo.pop()
        if isinstance(node, ast.ClassDef):
            yield node.name, "a class"
            continue
        if isinstance(node, (*_FUNCTIONS, ast.Lambda)):
            continue
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if not isinstance(target, ast.Name):
                    yield from ((n, "an unpacking assignment") for n in _stored(target))
                elif not isinstance(node.value, (ast.Name, ast.Lambda)):
                    yield target.id, _VALUE_KINDS.get(type(node.value), "an expression")
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            yield from ((n, "an annotated assignment") for n in _stored(node.target))
        elif isinstance(node, ast.AugAssign):
            yield from ((n, "an augmented assignment") for n in _stored(node.target))
        elif isinstance(node, (ast.For, ast.AsyncFor)):
            yield from ((n, "a for loop") for n in _stored(node.target))
        elif isinstance(node, ast.withitem) and node.optional_vars is not None:
            yield from ((n, "a with statement") for n in _stored(node.optional_vars))
        elif isinstance(node, ast.NamedExpr):
            yield from ((n, "an assignment expression (:=)") for n in _stored(node.target))
        elif isinstance(node, ast.ExceptHandler) and node.name:
            yield node.name, "an except clause"
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            yield from ((a.asname, "an import of another name") for a in node.names
                        if a.asname and a.asname != a.name.rsplit(".", 1)[-1])
        todo.extend(ast.iter_child_nodes(node))
    for node in ast.walk(tree):  # bindings from anywhere into the module's namespace
        if isinstance(node, ast.Global):
            yield from ((n, "a global statement in a function") for n in node.names)
        elif isinstance(node, ast.Call) and _namespace(node.func):
            yield from ((kw.arg, "globals()") for kw in node.keywords if kw.arg)
            yield from ((a.value, "globals()") for a in node.args[:1]
                        if isinstance(a, ast.Constant) and isinstance(a.value, str))
        elif isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Store) and \
                _namespace(node.value, attribute=False) and \
                isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str):
            yield node.slice.value, "globals()"
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and \
                node.func.id == "setattr" and len(node.args) >= 2 and \
                isinstance(node.args[1], ast.Constant) and isinstance(node.args[1].value, str):
            yield node.args[1].value, "setattr"


def _namespace(node: ast.AST, attribute: bool = True) -> bool:
    """Whether ``node`` is ``globals()`` (``vars()``, ``locals()``), or with ``attribute``
    a method of it (``globals().update``, ``.setdefault``, ``.__setitem__``)."""
    if attribute:
        if not isinstance(node, ast.Attribute):
            return False
        node = node.value
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and \
        node.func.id in _NAMESPACES


def answer_functions(sources: list[str]) -> Answer:
    """The functions of the submitted texts (see :class:`Answer`). A text that does not
    parse adds nothing; past the bounds of the check's work, :class:`TooLarge`."""
    if sum(len(source) for source in sources) > MAX_CHARS:
        raise TooLarge
    every: dict[str, list[ast.AST]] = {}
    aliases: dict[str, str] = {}
    lambdas: dict[str, ast.AST] = {}
    every_lambda: list[ast.Lambda] = []
    unfollowed: dict[str, str] = {}
    nodes = 0
    for source in sources:
        try:
            tree = ast.parse(_cell_code(source))
        except (SyntaxError, ValueError, MemoryError, RecursionError):
            continue
        for name, node in _definitions(tree):
            nodes += 1
            if isinstance(node, ast.Name):
                aliases[name] = node.id
            elif isinstance(node, ast.Lambda):
                lambdas[name] = node
            else:
                every.setdefault(name, []).append(node)
                aliases.pop(name, None)
        for node in ast.walk(tree):
            nodes += 1
            if isinstance(node, ast.Lambda):
                every_lambda.append(node)
        if nodes > MAX_NODES:
            raise TooLarge
        for name, how in _unfollowed(tree):
            unfollowed.setdefault(name, how)
    resolved: dict[str, str] = {}
    for name in aliases:  # softmax = _softmax_impl (= another alias ...), each hop once
        path, target = [], name
        while target in aliases and target not in resolved and target not in path:
            path.append(target)
            target = aliases[target]
        target = resolved.get(target, target)
        resolved.update(dict.fromkeys(path, target))
    for name, target in resolved.items():
        if target in every and target != name:
            every.setdefault(name, []).extend(every[target])
    defined = {name: nodes_[-1] for name, nodes_ in every.items()}
    wrappers = {name for name, node in lambdas.items() if _identity(node)}
    for _ in range(MAX_ROUNDS):  # a wrapper of a wrapper is one once the inner one is inlined
        found = {name for name, node in defined.items()
                 if name not in wrappers and _may_be_identity(node, wrappers) and
                 _identity(_inline(copy.deepcopy(node), frozenset(wrappers)), in_place=True)}
        if not found:
            return Answer(defined, every, frozenset(wrappers), every_lambda, unfollowed)
        wrappers |= found
    raise TooLarge


def _may_be_identity(node: ast.AST, wrappers) -> bool:
    """A quick look before :func:`_identity`: a top-level ``return`` of the first positional
    argument, as is or through a known wrapper."""
    positional = node.args.posonlyargs + node.args.args
    if not positional:
        return False
    for stmt in node.body:
        value = stmt.value if isinstance(stmt, ast.Return) else None
        while isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and \
                value.func.id in wrappers and len(value.args) == 1:
            value = value.args[0]
        if isinstance(value, ast.Name) and value.id == positional[0].arg:
            return True
    return False


def _as_function(node: ast.Lambda) -> ast.FunctionDef:
    """A lambda as the ``def`` of the same body (``return <body>``): what it is compared as."""
    function = ast.FunctionDef(name="<lambda>", args=node.args,
                               body=[ast.Return(value=node.body)], decorator_list=[],
                               returns=None, type_comment=None)
    return ast.copy_location(function, node)


def _candidates(answer: Answer, lookup):
    """(the ``def``'s name or ``None`` for a lambda, its normalised tree) of every function
    of the answer, whatever its name (review 21k: a paste under another name, bound to the
    asked name by a line the check cannot follow); identity wrappers are none."""
    seen: set[int] = set()
    for nodes in answer.every.values():
        for node in nodes:
            if id(node) in seen or node.name in answer.wrappers:
                continue
            seen.add(id(node))
            if node is answer.defined.get(node.name):
                yield node.name, lookup(node.name)
            else:  # an earlier definition, or one in another file: normalised on its own
                yield node.name, normalised(node, answer.wrappers)
    for node in answer.lambdas:
        if not _identity(node):
            yield None, normalised(_as_function(node), answer.wrappers)


def _reached_grams(first: ast.Module, lookup, memo: dict, cap: int) -> tuple[Counter, int]:
    """The n-grams (and their count) of ``first`` with the answer's functions it reaches by
    name, met breadth first, up to :data:`MAX_REACHED` functions and ``cap`` n-grams (past
    ``cap`` the share is under 0.5 against every package function compared: stop there)."""
    total: Counter = Counter()
    size, todo, seen = 0, deque([first]), {id(first)}
    while todo:
        node = todo.popleft()
        kept = memo.get(id(node))
        if kept is None or kept[0] is not node:  # the node itself is kept: its id stays its
            node_grams = grams(tokens(node))
            kept = memo[id(node)] = (node, node_grams, sum(node_grams.values()),
                                     sorted(_referenced(node, attributes=True)))
        if size + kept[2] > cap:  # skipped, not the end: a large decoy helper met first
            continue                  # leaves room for the pasted helpers after it
        total += kept[1]
        size += kept[2]
        for callee in kept[3]:
            if len(seen) >= MAX_REACHED:
                break
            helper = lookup(callee)
            if helper is not None and id(helper) not in seen:
                seen.add(id(helper))
                todo.append(helper)
    return total, size


def _check(sources: list[str], asked: list[str]):
    """(name -> [(best share, the package side's n-grams, dlcourse.<module>.<name>, where the
    best share was found: ``""`` for a definition of that name, ``"def x"``, ``"a lambda"``)
    for each package function of that name], name -> how an asked name is bound where the
    check cannot follow it). Every function of the answer, whatever its name, is compared
    with every asked package function; :class:`TooLarge` past the check's bounds."""
    package = package_functions()
    wanted = [name for name in asked if name in package]
    if not wanted:
        return {}, {}
    try:
        answer = answer_functions(sources)
        memo, lookup = {}, _lookup(answer.defined, answer.wrappers)
        theirs = [(name, qualified, their, sum(their.values()))
                  for name in wanted for qualified, their in package[name]]
        cap = 2 * max(size for *_, size in theirs)
        own_names = {name: {n.name for n in answer.every.get(name, ())} for name in wanted}
        best: dict[tuple[str, str], tuple[float, bool, str]] = {}
        for def_name, first in _candidates(answer, lookup):
            ours, size = _reached_grams(first, lookup, memo, cap)
            for name, qualified, their, their_size in theirs:
                own = def_name in own_names[name]
                if not own and min(size, their_size) < max(size, their_size) / 2:
                    continue  # under 0.5 whatever is in common: only the own name's is said
                found_in = "" if own else f"def {def_name}" if def_name else "a lambda"
                key = (name, qualified)
                best[key] = max(best.get(key, (0.0, False, "")),
                                (similarity(ours, their), own, found_in))
        out: dict[str, list[tuple[float, int, str, str]]] = {}
        for name, qualified, _, their_size in theirs:
            if (name, qualified) in best:
                score, _, found_in = best[(name, qualified)]
                out.setdefault(name, []).append((score, their_size, qualified, found_in))
        unfollowed = {name: answer.unfollowed[name] for name in wanted
                      if name in answer.unfollowed}
        return out, unfollowed
    except RecursionError:  # review 21j: a 1000-term ``t + t + ...`` is too deep to walk
        raise TooLarge from None


def _copies(compared: dict) -> list[Copy]:
    found = []
    for name, candidates in compared.items():
        hits = [(score, qualified, found_in) for score, size, qualified, found_in in candidates
                if size >= MIN_GRAMS and score >= threshold(size)]
        if hits:
            score, qualified, found_in = max(hits)
            found.append(Copy(name, qualified, score, found_in))
    return found


def find_copies(sources: list[str], asked: list[str]) -> list[Copy]:
    """The answers among ``asked`` (the assignment's answer functions) whose package function
    of the same name some function of the submission looks like, in ``asked``'s order. Every
    function is compared, whatever its name and wherever it sits (a decoy beside the notebook
    or a paste under another name hides nothing); :class:`TooLarge` when the submitted code
    passes the check's bounds."""
    return _copies(_check(sources, asked)[0])


def unfollowed_text(unfollowed: dict[str, str]) -> str:
    """What the flag says of asked names bound where the check cannot follow them.

    >>> unfollowed_text({"softmax": "a call's result"})
    "softmax is bound by a call's result: the copy check cannot tell what runs under that name"
    """
    if not unfollowed:
        return ""
    names = ", ".join(f"{name} is bound by {how}" for name, how in unfollowed.items())
    it = "that name" if len(unfollowed) == 1 else "those names"
    return f"{names}: the copy check cannot tell what runs under {it}"


def review(sources: list[str], asked: list[str]) -> list[Copy] | str:
    """:func:`find_copies`; or the flag's whole text when there is more to say: :data:`TOO_LARGE`
    when the check's bounds are passed, and an asked name of a package function large enough
    to compare that no copy was found for but that is bound by something the check cannot
    follow (``softmax, = (_impl,)``, ``softmax = partial(_impl)``, a class): said, since what
    runs under that name was not read (see :func:`unfollowed_text`)."""
    try:
        compared, unfollowed = _check(sources, asked)
    except TooLarge:
        return TOO_LARGE
    found = _copies(compared)
    flagged = {c.name for c in found}
    package = package_functions()
    unsaid = {name: how for name, how in unfollowed.items() if name not in flagged and
              max(sum(g.values()) for _, g in package[name]) >= MIN_GRAMS}
    if not unsaid:
        return found
    return "; ".join([describe(found)] * bool(found) + [unfollowed_text(unsaid)])


def text_digest(sources: list[str]) -> str:
    """SHA-256 of the texts the check read (in order, each told from the next): an
    instructor's review of a flag (:mod:`dlgrade.flag_reviews`) holds while the submission
    gives the check this same text.

    >>> text_digest(["a", "b"]) == text_digest(["a", "b"]) != text_digest(["ab"])
    True
    """
    h = hashlib.sha256()
    for text in sources:
        data = text.encode("utf-8", "surrogatepass")
        h.update(len(data).to_bytes(8, "big") + data)
    return h.hexdigest()


def _file_digest(h, path) -> None:
    """Add ``path``'s kind and, for a regular file (a link followed), its bytes to ``h``."""
    try:
        if os.path.islink(path):
            h.update(b"link:" + os.fsencode(os.readlink(path)) + b"\0")
        if not stat.S_ISREG(os.stat(path).st_mode):  # a fifo, a folder: never opened
            h.update(b"other\0")
            return
        with open(path, "rb") as handle:
            h.update(b"file:" + hashlib.file_digest(handle, "sha256").digest())
    except OSError as error:
        h.update(f"unreadable:{type(error).__name__}\0".encode())


@dataclass(frozen=True)
class Beside:
    """The ``.py`` files handed in beside a notebook as the flag sees them (finding 1 of
    review 21l: a file over the size read was skipped without a word, and outside the key)."""

    #: the texts the check compares
    texts: list[str]
    #: what the flag says of each file that can run but was not read
    notes: list[str]
    #: SHA-256 over every ``.py`` path's name and bytes, whatever its size: a file added,
    #: changed or removed gives another key (an instructor's review no longer holds)
    digest: str


def beside_code(folder) -> Beside:
    """:class:`Beside` of the folder a notebook was handed in (see
    :func:`dlgrade.judge_source.handed_in_py`)."""
    folder = Path(folder)
    texts, notes, h = [], [], hashlib.sha256()
    for path, _, text, why in handed_in_py(folder):
        name = path.relative_to(folder).as_posix()
        data = os.fsencode(name)
        h.update(len(data).to_bytes(8, "big") + data)
        _file_digest(h, path)
        if text is not None:
            texts.append(text)
        elif why:
            notes.append(f"not compared: {name} {why}")
    return Beside(texts, notes, h.hexdigest())


def scores(sources: list[str], asked: list[str]) -> dict[str, tuple[float, int]]:
    """name -> (best share, the package side's n-grams) of every comparable answer, also the
    small ones and those under the threshold (the benchmark's table); a share under 0.5 of a
    function not named as asked is not counted (it could not be said)."""
    return {name: max((score, size) for score, size, *_ in candidates)
            for name, candidates in _check(sources, asked)[0].items()}
