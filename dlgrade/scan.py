"""Static scan of a submission for code that defeats the tests instead of passing them.

The autograder runs the student's cells and the test cells in one kernel, so a student cell
can change what the tests see: ``np.isclose = lambda *a, **k: True``, a rebound ``assert``
helper, a patched ``builtins.abs``, or a call into the package's reference implementation
(``from dlcourse.neuron import neuron``). Running the code cannot reveal this (the tests just
pass), reading it can. :func:`scan_submission` parses every cell the student controls with
:mod:`ast` and reports each such construct as a :class:`Finding`; the grader then gives no
points for the affected tests and flags the submission for manual grading.

The scan is deliberately strict: a false alarm costs an instructor one look at the notebook,
a miss gives a cheater full marks. It is still a reading of names and spellings: it follows
aliases, reads the code in the strings that ``timeit`` and the ``%time``/``%timeit``/
``%config`` magics run, and flags a string built at run time where it knows the runner, but a
route it does not know passes it (review 21e). Code that must not reach the kernel at all
belongs out of the kernel, not on this list.
"""

from __future__ import annotations

import ast
import importlib.util
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

#: Modules whose import alone lets a cell rewrite objects the tests use.
DANGEROUS_MODULES = {
    "ctypes": "can rewrite interpreter memory",
    "gc": "can reach and modify objects the tests use",
    "importlib": "imports code dynamically",
    "unittest.mock": "patches functions the tests use",
    "mock": "patches functions the tests use",
    "inspect": "can inspect and rewrite the calling test",
    "dlgrade": "is the grader itself (its record of what runs among it)",
    "ipykernel": "reaches the kernel's own threads and channels",
    # pickle's GLOBAL opcode imports any module and fetches any name from it, no import
    # statement needed: pickle.loads(b"cdlcourse.activations\nsigmoid\n.")
    "pickle": "loads any function of any module by a name the scan cannot read",
    "_pickle": "loads any function of any module by a name the scan cannot read",
    "copyreg": "loads any function of any module by a name the scan cannot read",
    "shelve": "loads any function of any module by a name the scan cannot read",
    "dill": "loads any function of any module by a name the scan cannot read",
    "cloudpickle": "loads any function of any module by a name the scan cannot read",
    "marshal": "loads code objects the scan cannot read",
    # the C profiler the grader records a judged call with: its objects can be found and
    # wiped (review 21d, T4, T1-T3)
    "_lsprof": "reaches the profiler that records what a judged call runs",
    "cProfile": "reaches the profiler that records what a judged call runs",
    "profile": "replaces the profiler that records what a judged call runs",
    "pkgutil": "imports code by a name the scan cannot read (pkgutil.resolve_name)",
    # review 21e: the builtins by other names, and modules that run code written in a string
    # (F4 ran a whole attack, unobfuscated, from a string no list of names can read)
    "builtins": "holds getattr, setattr and __import__ under names the scan cannot follow",
    "code": "runs Python code given as a string (code.InteractiveInterpreter)",
    "codeop": "compiles Python code given as a string",
    "doctest": "runs Python code written inside strings (docstring examples)",
    "pydoc": "imports code by a name given as a string (pydoc.locate)",
    "runpy": "runs modules and files the scan cannot read",
    "pdb": "runs Python code given as a string (pdb.run)",
    "bdb": "runs Python code given as a string",
    "trace": "runs Python code given as a string (trace.Trace().run)",
    "logging.config": "imports and calls functions named in strings",
    "zipimport": "imports code from archives the scan cannot read",
}
#: Names (``types.X`` or ``from types import X``) that build functions out of code objects:
#: someone else's code under the student's name or with another file name.
CODE_BUILDERS = {"FunctionType", "LambdaType", "CodeType", "MethodType", "ModuleType",
                 "CellType"}
#: Double-underscore attributes that reach or rebuild code, globals and attributes around
#: the scan (``object.__getattribute__(f, "__" + "code" + "__")``).
DUNDER_ACCESS = {"__dict__", "__globals__", "__code__", "__builtins__", "__closure__",
                 "__subclasses__", "__defaults__", "__kwdefaults__", "__getattribute__",
                 "__reduce__", "__reduce_ex__", "__setstate__", "__func__", "__wrapped__",
                 # review 21e: a base class's method around an override (``type(w).__mro__``),
                 # the frames of a caught exception, the builtins module (``len.__self__``)
                 "__mro__", "__bases__", "__base__", "__traceback__", "__self__",
                 "__import__"}
#: Builtins that reach attributes, modules or code by a name given as a value. Called under
#: their own name the scan reads the call; loaded as a value (an alias ``_g = getattr``, an
#: argument ``map(setattr, ...)``, ``functools.reduce(getattr, ...)``) they escape it.
NAMED_BUILTINS = {"getattr", "setattr", "delattr", "__import__", "vars", "globals", "locals",
                  "eval", "exec", "compile"}
#: Modules whose attributes the scan checks only when read from the module itself
#: (``sys.modules``, ``timeit.Timer``): handed around as a value (``map(getattr, [sys], ...)``, a
#: function's argument) they are read under a name the scan cannot follow.
NAMED_MODULES = {"sys", "timeit"}
#: Callables that run code given as a string: {qualified name: its code parameters (position,
#: keyword)}. A constant string is read as code and scanned; anything else the scan cannot
#: read (a string built at run time) is a finding.
STRING_RUNNERS = {"timeit.timeit": ((0, "stmt"), (1, "setup")),
                  "timeit.repeat": ((0, "stmt"), (1, "setup")),
                  "timeit.Timer": ((0, "stmt"), (1, "setup"))}
#: Names that evaluate strings as code, unpickle bytes or reach the shell, whatever object
#: they are read from.
_UNPICKLES = ("unpickles bytes, which import any function of any module by a name the scan "
              "cannot read")
STRING_EVALUATORS = {
    "get_type_hints": "evaluates the strings in annotations as code",
    "InteractiveShell": "is the shell that runs the tests (it runs any string as a cell)",
    "dictConfig": "imports and calls functions named in strings",
    "fileConfig": "imports and calls functions named in strings",
    "read_pickle": _UNPICKLES,
    "ForkingPickler": _UNPICKLES,
    "send_bytes": "sends raw bytes that the other end " + _UNPICKLES,
}
#: Functions flagged by their module's name (``joblib.load``, ``from joblib import load``).
QUALIFIED_FLAGS = {"joblib.load": _UNPICKLES, "multiprocessing.reduction": _UNPICKLES}
#: The public names of ``collections.namedtuple`` objects, which start with an underscore.
NAMEDTUPLE_API = {"_replace", "_asdict", "_fields", "_make", "_field_defaults"}
#: Calls that run code the scan cannot see.
DYNAMIC_CALLS = {"exec", "eval", "compile", "__import__", "setattr", "delattr", "globals", "vars",
                 "locals", "reload"}
#: Attributes of ``sys`` that reach other modules or the running frames.
SYS_DANGEROUS = {"modules", "settrace", "setprofile", "_getframe", "meta_path", "path_hooks",
                 "breakpointhook", "__breakpointhook__",
                 "addaudithook", "excepthook", "displayhook", "getprofile", "gettrace",
                 "_current_frames", "_current_exceptions"}
#: Attributes that reach the grader's record of a judged call, or the frames (the grader's
#: among them) whose variables hold it (review 21d, T4, T1-T3): ``sys.getprofile()`` under
#: another name, ``gc.get_objects()`` reached without ``import gc``, a frame's ``f_locals``.
RECORD_ACCESS = {"getprofile", "gettrace", "getstats", "get_objects", "get_referrers",
                 "get_referents", "f_locals", "f_back", "f_globals", "f_builtins", "tb_frame",
                 "gi_frame", "cr_frame", "ag_frame", "_current_frames", "_getframe"}
#: Calls that import a module or fetch a function by a name given as a value
#: (``pkgutil.resolve_name("dl" + "grade.judge_tripwire:_sentinel")``)
NAMED_IMPORTS = {"resolve_name", "import_module", "find_spec", "module_from_spec"}
#: Callables that read an attribute (or call a method) named by a value, like ``getattr``:
#: ``operator.attrgetter("err" + "state")(np)`` reaches what no attribute name shows, and
#: ``string.Formatter().get_field("0._mark", [rec], {})`` does the same.
NAMED_ACCESS = {"attrgetter", "methodcaller", "get_field"}
#: IPython line/cell magics harmless for grading.
SAFE_MAGICS = {"matplotlib", "time", "timeit", "precision", "config", "pprint", "who", "whos"}
#: Calls that read or write an attribute named by a value: harmless on the student's own
#: objects, a way around the scan on a module (``getattr(builtins, 'setattr')``).
ATTRIBUTE_CALLS = {"getattr", "setattr", "delattr", "hasattr"}
#: Parts of the IPython shell that change how later cells (the tests among them) are read,
#: run or recorded, or that hold the namespace and the input history the tests live in.
IPYTHON_HOOKS = {
    "user_ns": "the namespace the tests read",
    "user_global_ns": "the namespace the tests read",
    "user_ns_hidden": "the namespace the tests read",
    "input_transformers_post": "rewrites every later cell, the tests included",
    "input_transformers_cleanup": "rewrites every later cell, the tests included",
    "input_transformer_manager": "rewrites every later cell, the tests included",
    "ast_transformers": "rewrites every later cell, the tests included",
    "events": "runs code around every later cell, the tests included",
    "run_cell": "runs code the scan cannot see",
    "history_manager": "holds the code of the test cells",
}
#: Names IPython binds to the input history: the source of every cell run so far, hidden
#: tests included.
HISTORY_NAMES = {"In", "_ih", "Out", "_oh", "_i", "_ii", "_iii", "_dh"}
#: Suffixes of files Python would import from the working folder, besides ``.py``, that a
#: scan cannot read.
UNREADABLE_CODE = (".so", ".pyd", ".pyc", ".pth", ".pyx", ".egg", ".whl", ".zip")


@dataclass(frozen=True)
class Finding:
    """One suspicious construct.

    Attributes
    ----------
    cell_index : int
        Index of the cell in the submitted notebook.
    line : int
        Line inside the cell (1-based).
    kind : str
        ``"override"`` (changes a module, builtin or test helper), ``"dynamic"`` (runs code the
        scan cannot check) or ``"reference"`` (uses the package's reference implementation).
    message : str
        What was found, in words an instructor can act on.
    names : tuple of str
        For ``"reference"``: the top-level names the offending cell defines (the affected
        functions). Empty for the others, which affect every test.
    """

    cell_index: int
    line: int
    kind: str
    message: str
    names: tuple = ()
    file: str = ""  # an extra file handed in beside the notebook ("" for a notebook cell)

    def describe(self) -> str:
        where = self.file or f"cell {self.cell_index}"
        where += f", line {self.line}" if self.line else ""
        return f"{where}: {self.message}"


@dataclass
class ScanContext:
    """What the release notebook allows: its imports and the names the tests read."""

    allowed_imports: set = field(default_factory=set)  # (module, name or None, bound name)
    test_names: set = field(default_factory=set)  # free names the test cells read
    protected: set = field(default_factory=set)  # test names that must not be rebound
    solution_names: set = field(default_factory=set)  # names students are asked to define
    package: str = "dlcourse"
    # attributes with one leading underscore the assignment's own cells use
    private_names: set = field(default_factory=set)


def _to_python(source: str) -> str:
    """Turn IPython syntax (magics, shell escapes) into plain Python the ast module can read."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager

        return TransformerManager().transform_cell(source)
    except Exception:  # IPython missing or confused: fall back to the raw text
        return source


def _parse(source: str):
    try:
        return ast.parse(_to_python(source))
    except (SyntaxError, ValueError):
        return None


def _imports(tree) -> list[tuple[str, str | None, str]]:
    """(module, imported name or None, bound name) for every import in ``tree``."""
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                bound = alias.asname or alias.name.split(".")[0]
                out.append((alias.name, None, bound))
        elif isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                out.append((node.module, alias.name, alias.asname or alias.name))
    return out


def _loaded_names(tree) -> set:
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def _stored_names(tree) -> set:
    stored = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)
              and isinstance(n.ctx, (ast.Store, ast.Del))}
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            stored.add(node.name)
        elif isinstance(node, ast.arg):
            stored.add(node.arg)
    return stored


def _toplevel_defined(tree) -> set:
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                names |= {n.id for n in ast.walk(t) if isinstance(n, ast.Name)}
    return names


def context_from_notebooks(release_nb, source_nb=None, package: str = "dlcourse") -> ScanContext:
    """Build the :class:`ScanContext` of an assignment.

    Parameters
    ----------
    release_nb : NotebookNode
        The student version (what students received).
    source_nb : NotebookNode, optional
        The instructor version with hidden tests; its test cells are read too.
    """
    ctx = ScanContext(package=package)
    for nb in (release_nb, source_nb):
        if nb is None:
            continue
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            tree = _parse(cell.source)
            if tree is None:
                continue
            meta = cell.metadata.get("nbgrader", {})
            ctx.private_names |= _definitions([tree]).private | {
                n.attr for n in ast.walk(tree)
                if isinstance(n, ast.Attribute) and _is_private(n.attr)}
            imports = _imports(tree)
            ctx.allowed_imports |= set(imports)
            if meta.get("solution"):
                ctx.solution_names |= _toplevel_defined(tree)
            elif meta.get("grade") or meta.get("locked"):
                ctx.test_names |= _loaded_names(tree) - _stored_names(tree)
    ctx.test_names -= ctx.solution_names
    # star imports bind names the scan cannot list: every free name of a test is protected
    ctx.protected = set(ctx.test_names)
    return ctx


def _is_private(name: str) -> bool:
    """``_x`` and ``__x`` (not ``__x__``, not ``_``, not a namedtuple method)."""
    return name.startswith("_") and name.strip("_") != "" and \
        not (name.startswith("__") and name.endswith("__")) and name not in NAMEDTUPLE_API


@dataclass(frozen=True)
class _Definitions:
    """What the submission defines itself: its classes and functions, and the private
    attributes it gives its own objects (``self._cache = ...``, ``_count = 0`` in a class)."""

    classes: frozenset = frozenset()
    functions: frozenset = frozenset()
    private: frozenset = frozenset()


def _definitions(trees) -> _Definitions:
    classes, functions, private = set(), set(), set()
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                classes.add(node.name)
                for item in node.body:  # names bound in the class body are its attributes
                    if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                        private.add(item.name)
                    elif isinstance(item, (ast.Assign, ast.AnnAssign)):
                        targets = item.targets if isinstance(item, ast.Assign) else [item.target]
                        private |= {n.id for t in targets for n in ast.walk(t)
                                    if isinstance(n, ast.Name)}
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                functions.add(node.name)
            elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Lambda):
                functions |= {t.id for t in node.targets if isinstance(t, ast.Name)}
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, (ast.Store, ast.Del)):
                private.add(node.attr)
    return _Definitions(frozenset(classes), frozenset(functions),
                        frozenset(n for n in private if _is_private(n)))


#: Why a private attribute is a finding, after "uses rec._mark, "
_PRIVATE_WHY = ("a private attribute (one leading underscore) of an object the notebook does "
                "not define: the grader keeps its record of a call and its tripwire in such "
                "attributes")
#: The options in front of the code of ``%time`` and ``%timeit`` (``%timeit -n10 -r3 f(x)``)
_MAGIC_OPTIONS = {
    "time": re.compile(r"^(\s*--[A-Za-z][\w-]*)*"),
    "timeit": re.compile(r"^(\s*(-[tcqo]*[nrpv]\s*\S+|-[tcqo]+))*"),
}


def _through_class(target) -> bool:
    """Whether an assignment target reaches an object's class (``x.__class__.predict``)."""
    node = target.value
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        if isinstance(node, ast.Attribute) and node.attr == "__class__":
            return True
        node = node.value
    return False


def _root_name(node):
    """Name at the root of ``a.b.c`` / ``a[0].b`` / ``a().b`` chains (``None`` if not a Name)."""
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def _dotted(node) -> str:
    try:
        return ast.unparse(node)
    except Exception:  # pragma: no cover - ast.unparse handles every expression node
        return "<expression>"


class _CellScanner(ast.NodeVisitor):
    def __init__(self, ctx: ScanContext, modules: dict, cell_index: int, defined: tuple,
                 defs: _Definitions = _Definitions()):
        self.ctx = ctx
        self.modules = modules  # names bound to imported modules anywhere in the notebook
        self.cell_index = cell_index
        self.defined = defined
        self.defs = defs  # what the whole submission defines itself
        self.findings: list[Finding] = []
        self.depth = 0
        self._callees: set = set()  # id() of the nodes called right where they are read
        self._read_from: set = set()  # id() of the names an attribute is read from
        # id() of ``globals()`` calls handed to timeit as the namespace of a string it runs
        # (``timeit.timeit("f(x)", globals=globals())``): the string is what is scanned
        self._timing_namespace: set = set()

    def add(self, node, kind, message, names=()):
        if any(f.kind == kind and f.message == message for f in self.findings):
            return  # one finding per construct and cell: its first line
        self.findings.append(
            Finding(self.cell_index, getattr(node, "lineno", 0), kind, message, tuple(names))
        )

    # -- code written inside strings ------------------------------------------------------
    def _scan_text(self, node, text: str, what: str, depth: int) -> bool:
        """Scan ``text`` as the code it becomes when ``what`` runs it; each finding is
        reported at ``node``. Returns False if the text is not Python the scan can read."""
        tree = _parse(text)
        if tree is None:
            return False
        modules = {**self.modules, **_module_names(self.ctx, [tree])}
        inner = _CellScanner(self.ctx, modules, self.cell_index, self.defined, self.defs)
        inner.depth = depth
        inner.visit(tree)
        for f in inner.findings:
            self.add(node, f.kind, f"{what}: {f.message}", f.names)
        return True

    def _qualified(self, node) -> str | None:
        """``timeit.Timer`` for ``ti.Timer`` after ``import timeit as ti`` (or ``T`` after
        ``from timeit import Timer as T``); None unless rooted at an imported name."""
        parts = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name) or node.id not in self.modules:
            return None
        return ".".join([self.modules[node.id], *reversed(parts)])

    def _check_string_runner(self, node, runner: str):
        """A call of :data:`STRING_RUNNERS`: its code arguments must be written out."""
        if any(isinstance(a, ast.Starred) for a in node.args) or \
                any(kw.arg is None for kw in node.keywords):
            self.add(node, "dynamic", f"calls {runner}() with arguments unpacked from a value, "
                                      "which runs code the scan cannot read")
            return
        keywords = {kw.arg: kw.value for kw in node.keywords}
        namespace = keywords.get("globals")
        if isinstance(namespace, ast.Call) and isinstance(namespace.func, ast.Name) and \
                namespace.func.id == "globals" and not namespace.args and not namespace.keywords:
            self._timing_namespace.add(id(namespace))
        for position, keyword in STRING_RUNNERS[runner]:
            value = node.args[position] if position < len(node.args) else keywords.get(keyword)
            if value is None or isinstance(value, ast.Lambda) or (
                    isinstance(value, ast.Name) and value.id in self.defs.functions):
                continue  # a callable written out: its code is scanned where it is
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                self._scan_text(node, value.value, f"in the code {runner}() runs", 1)
            else:
                self.add(node, "dynamic", f"calls {runner}() with {_dotted(value)}, which runs "
                                          "code given as a value the scan cannot read (a "
                                          "lambda or a string written out can be read)")

    def _check_magic(self, node, method: str, name, line, cell):
        """IPython magics: harmless ones pass, ``%time``/``%timeit``/``%config`` have the code
        they run scanned, any other is a finding."""
        if name not in SAFE_MAGICS:
            self.add(node, "dynamic", f"runs the IPython magic %{name}")
            return
        if name not in _MAGIC_OPTIONS and isinstance(line, str) and ("{" in line or "$" in line):
            # IPython puts the values of {name} and $name into the line first
            self.add(node, "dynamic", f"runs the IPython magic %{name} with a variable's value "
                                      "put into it, which the scan cannot read")
            return
        if name not in {"time", "timeit", "config"}:
            return
        texts = [line, cell] if method == "run_cell_magic" else [line]
        if not all(isinstance(t, str) for t in texts):
            self.add(node, "dynamic", f"runs the IPython magic %{name} with code built at run "
                                      "time, which the scan cannot read")
            return
        if name == "config":
            if "=" not in line:
                return  # shows a setting, changes nothing
            if not re.match(r"\s*InlineBackend\.\w+\s*=", line):
                self.add(node, "dynamic", f"runs %config {line.strip()[:60]}, which changes the "
                                          "shell that runs the tests")
                return
            texts = ["cfg." + line]  # what IPython runs, in the namespace of the tests
        else:
            texts[0] = _MAGIC_OPTIONS[name].sub("", texts[0], count=1)
        for text in texts:
            if text.strip() and not self._scan_text(node, text, f"in %{name}", 0):
                self.add(node, "dynamic", f"runs the IPython magic %{name} with code the scan "
                                          "cannot read")

    # -- writes to modules, builtins and test helpers ------------------------------------
    def _check_target(self, target, node):
        if isinstance(target, (ast.Tuple, ast.List)):
            for elt in target.elts:
                self._check_target(elt, node)
            return
        if isinstance(target, ast.Starred):
            self._check_target(target.value, node)
            return
        if isinstance(target, (ast.Attribute, ast.Subscript)):
            root = _root_name(target)
            if root in self.modules or root in {"builtins", "__builtins__", "sys"}:
                self.add(node, "override", f"overrides {_dotted(target)}")
            elif root in self.ctx.test_names and root not in self.ctx.solution_names:
                self.add(node, "override", f"modifies {_dotted(target)}, which the tests use")
            elif isinstance(target.value, ast.Call) or _through_class(target):
                # type(model).predict = ..., model.__class__.predict = ...: changes the class
                # of a library object for every object of it (review 21c, A3)
                self.add(node, "override", f"writes through {_dotted(target)}")
        elif isinstance(target, ast.Name) and self.depth == 0:
            self._check_rebind(target.id, node)

    def _check_rebind(self, name, node):
        if name in self.ctx.solution_names:
            return
        if name in self.ctx.protected:
            self.add(node, "override", f"rebinds {name!r}, which the tests use")
        elif name in {"__builtins__", "builtins"}:
            self.add(node, "override", f"rebinds {name!r}")

    def visit_AugAssign(self, node):
        self._check_target(node.target, node)
        self.generic_visit(node)

    def visit_AnnAssign(self, node):
        self._check_target(node.target, node)
        self._check_annotation(node.annotation)
        self.generic_visit(node)

    def visit_Delete(self, node):
        for t in node.targets:
            self._check_target(t, node)
        self.generic_visit(node)

    def visit_For(self, node):
        self._check_target(node.target, node)
        self.generic_visit(node)

    def visit_With(self, node):
        for item in node.items:
            if item.optional_vars is not None:
                self._check_target(item.optional_vars, node)
        self.generic_visit(node)

    def visit_Global(self, node):
        for name in node.names:
            self._check_rebind(name, node)

    def _visit_def(self, node):
        if self.depth == 0:
            self._check_rebind(node.name, node)
        self._check_annotation(getattr(node, "returns", None))
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1

    visit_FunctionDef = visit_AsyncFunctionDef = visit_ClassDef = _visit_def

    def visit_Lambda(self, node):
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1

    # -- imports -----------------------------------------------------------------------
    def _check_import(self, node, module, name, bound):
        if (module, name, bound) in self.ctx.allowed_imports:
            return
        top = module.split(".")[0]
        full = module if name is None else f"{module}.{name}"
        if top == self.ctx.package:
            self.add(node, "reference", f"imports {full} from the course package",
                     tuple(sorted(set(self.defined) | {bound})))
            return
        if module == "sys" and name is not None and (name in SYS_DANGEROUS or name == "*"):
            self.add(node, "dynamic", f"imports sys.{name}")
            return
        if name in {"sys", "builtins"}:
            self.add(node, "dynamic", f"imports the module {name} through {module}, around "
                                      "the scan's checks")
            return
        if name in STRING_EVALUATORS:
            self.add(node, "dynamic", f"imports {full}, which {STRING_EVALUATORS[name]}")
            return
        if name is not None and self._foreign_private(name):
            self.add(node, "dynamic", f"imports {full}, {_PRIVATE_WHY}")
            return
        private_parts = [part for part in module.split(".") if _is_private(part)]
        if private_parts and not any(full == bad or full.startswith(bad + ".")
                                     or module == bad for bad in DANGEROUS_MODULES):
            # _ctypes, _thread, a library's _private module: the interpreter's and the
            # libraries' insides, which no answer needs (the dangerous ones say more below)
            self.add(node, "dynamic", f"imports {full}, from the private module "
                                      f"{private_parts[0]} (the insides of the interpreter or "
                                      "a library, which reach what the scan checks by name)")
            return
        for bad, why in DANGEROUS_MODULES.items():
            if full == bad or full.startswith(bad + ".") or module == bad:
                self.add(node, "dynamic", f"imports {full} ({why})")
                return
        if module == "types" and name in CODE_BUILDERS:
            self.add(node, "dynamic", f"imports types.{name}, which builds functions out of "
                                      "code objects (another function's code under a new name)")
            return
        if self.depth == 0 and bound in self.ctx.protected:
            self.add(node, "override", f"import rebinds {bound!r}, which the tests use")

    def visit_Import(self, node):
        for alias in node.names:
            self._check_import(node, alias.name, None, alias.asname or alias.name.split(".")[0])

    def visit_ImportFrom(self, node):
        module = ("." * node.level) + (node.module or "")
        for alias in node.names:
            if alias.name == "*" and module.split(".")[0] == self.ctx.package:
                if (module, "*", "*") not in self.ctx.allowed_imports:
                    self.add(node, "reference", f"imports * from {module}", self.defined)
                continue
            self._check_import(node, module, alias.name, alias.asname or alias.name)

    # -- calls and attribute reads -------------------------------------------------------
    def _check_attribute_call(self, node, name):
        """``getattr(obj, 'name')`` and friends: flagged on a module, builtins or sys, with a
        computed name, or with a name the scan flags when written as ``obj.name``."""
        if len(node.args) < 2:
            return
        obj, attr = node.args[0], node.args[1]
        root = _root_name(obj)
        if root in self.modules or root in {"builtins", "__builtins__", "sys"}:
            self.add(node, "dynamic", f"calls {name}() on the module {_dotted(obj)}, which "
                                      "reaches what the tests use around the scan")
        elif not (isinstance(attr, ast.Constant) and isinstance(attr.value, str)):
            self.add(node, "dynamic", f"calls {name}() with a computed attribute name "
                                      f"({_dotted(attr)}), which the scan cannot check")
        elif attr.value.startswith("__") or attr.value in IPYTHON_HOOKS or \
                attr.value in DYNAMIC_CALLS or attr.value in SYS_DANGEROUS:
            self.add(node, "dynamic", f"calls {name}() for {attr.value!r}")
        elif name != "hasattr" and self._foreign_private(attr.value):
            self.add(node, "dynamic", f"calls {name}() for {attr.value!r}, {_PRIVATE_WHY}")

    def _is_get_ipython(self, node) -> bool:
        if not isinstance(node, ast.Call):
            return False
        func = node.func
        return (isinstance(func, ast.Name) and func.id == "get_ipython") or \
            (isinstance(func, ast.Attribute) and func.attr == "get_ipython")

    def _is_function(self, node) -> bool:
        return isinstance(node, ast.Lambda) or (isinstance(node, ast.Name)
                                                 and node.id in self.defs.functions)

    def _check_builders(self, node):
        """Function objects built by hand: ``type(lambda: 0)(code, {})``, ``super(type(w), w)``."""
        func = node.func
        if isinstance(func, ast.Name) and func.id == "type" and len(node.args) == 1 and \
                self._is_function(node.args[0]):
            self.add(node, "dynamic", f"uses {_dotted(node)}, the type of functions "
                                      "(types.FunctionType), which builds functions out of code "
                                      "objects (another function's code under a new name)")
        elif ((isinstance(func, ast.Call) and isinstance(func.func, ast.Name) and
               func.func.id == "type" and len(func.args) == 1) or
              (isinstance(func, ast.Attribute) and func.attr == "__class__")) and \
                len(node.args) >= 2:
            self.add(node, "dynamic", f"calls {_dotted(func)}(...) with raw parts: builds an "
                                      "object of another object's type by hand (a function out "
                                      "of a code object)")
        elif isinstance(func, ast.Name) and func.id == "super" and len(node.args) == 2 and not (
                isinstance(node.args[0], ast.Name) and node.args[0].id in self.defs.classes):
            self.add(node, "dynamic", f"calls {_dotted(node)} on a class the notebook does not "
                                      "define: reaches a base class's method around an override")

    def visit_Call(self, node):
        func = node.func
        self._callees.add(id(func))
        self._check_builders(node)
        runner = self._qualified(func)
        if runner in STRING_RUNNERS:
            self._check_string_runner(node, runner)
        for kw in node.keywords:
            if kw.arg == "allow_pickle" and not (isinstance(kw.value, ast.Constant)
                                                 and not kw.value.value):
                self.add(node, "dynamic", f"calls {_dotted(func)}() with allow_pickle, which "
                                          + _UNPICKLES)
        if isinstance(func, ast.Name) and func.id in ATTRIBUTE_CALLS:
            if func.id in DYNAMIC_CALLS:
                self.add(node, "dynamic", f"calls {func.id}(), which can change code the tests use")
            self._check_attribute_call(node, func.id)
        elif isinstance(func, ast.Name) and func.id in DYNAMIC_CALLS:
            if id(node) not in self._timing_namespace:
                self.add(node, "dynamic", f"calls {func.id}(), which can change code the tests "
                                          "use")
        elif isinstance(func, (ast.Name, ast.Attribute)) and \
                (func.id if isinstance(func, ast.Name) else func.attr) in NAMED_ACCESS:
            name = func.id if isinstance(func, ast.Name) else func.attr
            self.add(node, "dynamic", f"calls {name}(), which reaches attributes by a name "
                                      "the scan cannot check")
        elif isinstance(func, ast.Attribute) and self._is_get_ipython(func.value) and \
                func.attr in {"run_line_magic", "run_cell_magic", "system", "getoutput"}:
            # what IPython makes of %magic and !shell lines: judged by the magic, and the
            # get_ipython() call inside is not flagged again
            if func.attr in {"system", "getoutput"}:
                self.add(node, "dynamic", "runs a shell command")
            else:
                texts = [a.value if isinstance(a, ast.Constant) else None for a in node.args]
                name, line, cell = (texts + [None, None, None])[:3]
                self._check_magic(node, func.attr, name, line, cell)
            for arg in [*node.args, *node.keywords]:
                self.visit(arg)
            return
        elif isinstance(func, (ast.Name, ast.Attribute)) and \
                (func.id if isinstance(func, ast.Name) else func.attr) in NAMED_IMPORTS:
            name = func.id if isinstance(func, ast.Name) else func.attr
            target = node.args[0] if node.args else None
            text = target.value if isinstance(target, ast.Constant) and \
                isinstance(target.value, str) else None
            if text is None or text.split(".")[0].split(":")[0] in {"dlgrade",
                                                                     self.ctx.package}:
                what = repr(text) if text is not None else "a name built at run time"
                self.add(node, "dynamic", f"calls {name}() for {what}, which imports code the "
                                          "scan cannot check (the grader or the course package)")
        elif self._is_get_ipython(node):
            self.add(node, "dynamic", "calls get_ipython(): the shell that runs the tests "
                                      "(their namespace, input transformers, event hooks)")
        elif isinstance(func, ast.Attribute) and func.attr == "replace" and \
                any((kw.arg or "").startswith("co_") for kw in node.keywords):
            self.add(node, "dynamic", f"calls {_dotted(func)}() with co_* fields: rebuilds a "
                                      "code object (another file name, other constants)")
        elif isinstance(func, ast.Attribute) and func.attr in {
                "update", "setdefault", "__setitem__", "__setattr__", "__delattr__", "pop"}:
            root = _root_name(func)
            if root in self.modules or root in {"builtins", "__builtins__"} or (
                isinstance(func.value, ast.Call)
                and isinstance(func.value.func, ast.Name)
                and func.value.func.id in {"globals", "vars"}
            ):
                self.add(node, "override", f"calls {_dotted(func)}()")
        self.generic_visit(node)

    def _known_attribute(self, node, root) -> bool:
        """The attribute checks of the first scans; True when one of them matched."""
        if node.attr in IPYTHON_HOOKS and (node.attr != "events" or root == "get_ipython"):
            self.add(node, "dynamic", f"uses {_dotted(node)} ({IPYTHON_HOOKS[node.attr]})")
        elif node.attr in {"register", "unregister"} and isinstance(node.value, ast.Attribute) \
                and node.value.attr == "events":
            self.add(node, "dynamic", f"uses {_dotted(node)} "
                                      "(runs code around every later cell, the tests included)")
        elif (root == "sys" or self.modules.get(root) == "sys") and \
                isinstance(node.value, ast.Name) and node.attr in SYS_DANGEROUS:
            self.add(node, "dynamic", f"uses sys.{node.attr}")
        elif node.attr in RECORD_ACCESS:
            self.add(node, "dynamic", f"uses {_dotted(node)}, which reaches the grader's record "
                                      "of what a judged call runs (or the frames that hold it)")
        elif node.attr in DUNDER_ACCESS:
            self.add(node, "dynamic", f"uses {_dotted(node)}")
        elif node.attr in CODE_BUILDERS:
            self.add(node, "dynamic", f"uses {_dotted(node)}, which builds functions out of "
                                      "code objects (another function's code under a new name)")
        elif root is not None and isinstance(node.value, ast.Name) and root in self.modules \
                and self.modules[root].split(".")[0] == self.ctx.package:
            # dlcourse.neuron.neuron(...) without an import of its own
            full = f"{self.modules[root]}.{node.attr}"
            allowed = {m if n is None else f"{m}.{n}" for m, n, _ in self.ctx.allowed_imports}
            parts = full.split(".")
            prefixes = {".".join(parts[:k]) for k in range(2, len(parts) + 1)}
            if not prefixes & allowed:
                self.add(node, "reference", f"uses {full} from the course package",
                         self.defined)
        else:
            return False
        return True

    def _foreign_private(self, name: str) -> bool:
        """A private name the submission does not define and the assignment does not use."""
        return _is_private(name) and name not in self.defs.private and \
            name not in self.ctx.private_names

    def visit_Attribute(self, node):
        root = _root_name(node)
        if isinstance(node.value, ast.Name):
            self._read_from.add(id(node.value))
        qualified = self._qualified(node)
        if self._known_attribute(node, root):
            pass
        elif node.attr in {"sys", "builtins"} and root in self.modules:
            self.add(node, "dynamic", f"uses {_dotted(node)}: the module {node.attr} reached "
                                      "through another module, around the scan's checks")
        elif node.attr in {"getattr", "setattr", "delattr"}:
            self.add(node, "dynamic", f"uses {_dotted(node)}: the builtin {node.attr}() under "
                                      "another name, which the scan cannot follow")
        elif node.attr in STRING_EVALUATORS:
            self.add(node, "dynamic", f"uses {_dotted(node)}, which "
                                      f"{STRING_EVALUATORS[node.attr]}")
        elif node.attr == "get_ipython" and id(node) not in self._callees:
            self.add(node, "dynamic", f"uses {_dotted(node)} as a value: the shell that runs "
                                      "the tests, under a name the scan cannot follow")
        elif node.attr in NAMED_ACCESS and id(node) not in self._callees:
            self.add(node, "dynamic", f"uses {_dotted(node)} as a value: it reaches attributes "
                                      "by a name the scan cannot check")
        elif node.attr == "mro":
            self.add(node, "dynamic", f"uses {_dotted(node)}, the classes a class inherits "
                                      "from: reaches a base class's method around an override")
        elif qualified in QUALIFIED_FLAGS:
            self.add(node, "dynamic", f"uses {qualified}, which {QUALIFIED_FLAGS[qualified]}")
        elif node.attr == "__class__" and self._is_function(node.value):
            self.add(node, "dynamic", f"uses {_dotted(node)}, the type of functions "
                                      "(types.FunctionType), which builds functions out of code "
                                      "objects (another function's code under a new name)")
        elif qualified in STRING_RUNNERS and id(node) not in self._callees:
            self.add(node, "dynamic", f"hands {_dotted(node)} around as a value: it runs code "
                                      "given as a string, and the scan reads only its direct "
                                      "calls")
        elif self._foreign_private(node.attr):
            self.add(node, "dynamic", f"uses {_dotted(node)}, {_PRIVATE_WHY}")
        self.generic_visit(node)

    def visit_Assign(self, node):
        if isinstance(node.value, ast.Name) and all(isinstance(t, ast.Name) for t in node.targets):
            self._read_from.add(id(node.value))  # b = sys: an alias the scan follows
        for t in node.targets:
            self._check_target(t, node)
        self.generic_visit(node)

    def visit_arg(self, node):
        self._check_annotation(node.annotation)
        self.generic_visit(node)

    def _check_annotation(self, annotation):
        """A string annotation is code that ``typing.get_type_hints`` (and what calls it,
        ``functools.singledispatch``) evaluates."""
        if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str) and \
                not self._scan_text(annotation, annotation.value, "in the annotation", 1):
            self.add(annotation, "dynamic", f"has the annotation {annotation.value[:40]!r}, "
                                            "which is not Python the scan can read")

    def visit_Name(self, node):
        loaded = isinstance(node.ctx, ast.Load)
        if node.id in {"__builtins__", "__loader__", "__spec__"}:
            self.add(node, "dynamic", f"uses {node.id}")
        elif node.id == "get_ipython" and not loaded:
            self.add(node, "override", "rebinds get_ipython")
        elif node.id == "get_ipython" and id(node) not in self._callees:
            self.add(node, "dynamic", "uses get_ipython as a value: the shell that runs the "
                                      "tests, under a name the scan cannot follow")
        elif node.id in HISTORY_NAMES or (node.id.startswith("_i") and node.id[2:].isdigit()):
            self.add(node, "dynamic", f"reads {node.id}, IPython's input history, which holds "
                                      "the code of the test cells (hidden ones included)")
        elif node.id == "breakpoint" and loaded:
            self.add(node, "dynamic", "uses breakpoint(), which imports and calls the function "
                                      "named by the environment (PYTHONBREAKPOINT)")
        elif loaded and node.id in NAMED_ACCESS and id(node) not in self._callees:
            self.add(node, "dynamic", f"uses {node.id} as a value: it reaches attributes by a "
                                      "name the scan cannot check")
        elif loaded and self.modules.get(node.id, "").split(".")[-1] in NAMED_ACCESS and \
                node.id not in NAMED_ACCESS:
            self.add(node, "dynamic", f"uses {node.id} ({self.modules[node.id]}), which reaches "
                                      "attributes by a name the scan cannot check")
        elif node.id in NAMED_BUILTINS and loaded and id(node) not in self._callees:
            self.add(node, "dynamic", f"uses {node.id} as a value (an alias, or an argument as "
                                      f"in map({node.id}, ...)): its calls then escape the scan")
        elif node.id in STRING_EVALUATORS and loaded:
            self.add(node, "dynamic", f"uses {node.id}, which {STRING_EVALUATORS[node.id]}")
        elif loaded and self.modules.get(node.id) in QUALIFIED_FLAGS:
            self.add(node, "dynamic", f"uses {self.modules[node.id]}, which "
                                      f"{QUALIFIED_FLAGS[self.modules[node.id]]}")
        elif loaded and self.modules.get(node.id) in STRING_RUNNERS and \
                id(node) not in self._callees:
            self.add(node, "dynamic", f"hands {node.id} ({self.modules[node.id]}) around as a "
                                      "value: it runs code given as a string, and the scan "
                                      "reads only its direct calls")
        elif loaded and self.modules.get(node.id) in NAMED_MODULES and \
                id(node) not in self._read_from:
            self.add(node, "dynamic", f"hands the module {self.modules[node.id]} around as a "
                                      "value (as in map(getattr, [sys], ...)): what is read from "
                                      "it then escapes the scan")


def student_cells(nb, locked_ids: set) -> list[int]:
    """Indices of the code cells whose code actually runs as the student wrote it.

    A cell keeping the id of a locked (test or provided) cell is replaced by the original at
    grading, so it is skipped, but only its last occurrence: nbgrader keeps the last of
    duplicated ids and runs the earlier copies as ordinary cells.
    """
    last = {}
    for i, cell in enumerate(nb.cells):
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if gid in locked_ids:
            last[gid] = i
    replaced = set(last.values())
    return [i for i, c in enumerate(nb.cells) if c.get("cell_type") == "code" and i not in replaced]


def _module_names(ctx: ScanContext, trees) -> dict:
    """``{bound name: module}`` for every import of the release and of ``trees``, plus plain
    aliases (``b = builtins``), so an alias reaches no further than the module itself."""
    modules = {}
    every_import = list(ctx.allowed_imports)
    for tree in trees:
        every_import += _imports(tree)
    for module, name, bound in every_import:
        if name is not None:
            modules[bound] = f"{module}.{name}"
        elif bound == module.split(".")[0]:
            modules[bound] = bound
        else:
            modules[bound] = module
    changed = True
    while changed:  # aliases of aliases
        changed = False
        for tree in trees:
            for node in ast.walk(tree):
                if isinstance(node, ast.Assign) and isinstance(node.value, ast.Name) and \
                        node.value.id in modules:
                    for t in node.targets:
                        if isinstance(t, ast.Name) and t.id not in modules:
                            modules[t.id] = modules[node.value.id]
                            changed = True
    return modules


def scan_submission(nb, ctx: ScanContext, locked_ids: set) -> list[Finding]:
    """Return every :class:`Finding` in the cells the student controls.

    Parameters
    ----------
    nb : NotebookNode
        The submitted notebook.
    ctx : ScanContext
        From :func:`context_from_notebooks`.
    locked_ids : set of str
        ``grade_id`` of every locked cell of the source notebook (replaced at grading).
    """
    indices = student_cells(nb, locked_ids)
    trees = {i: _parse(nb.cells[i].source) for i in indices}
    parsed = [t for t in trees.values() if t is not None]
    modules = _module_names(ctx, parsed)
    defs = _definitions(parsed)
    findings: list[Finding] = []
    for i in indices:
        tree = trees[i]
        if tree is None:
            continue
        scanner = _CellScanner(ctx, modules, i, tuple(sorted(_toplevel_defined(tree))), defs)
        scanner.visit(tree)
        findings.extend(scanner.findings)
    # a reference import in one cell taints the cells that use the imported name
    ref_bound = set()
    for f in findings:
        if f.kind == "reference":
            tree = trees[f.cell_index]
            ref_bound |= {b for m, n, b in _imports(tree) if m.split(".")[0] == ctx.package}
    if ref_bound:
        for i in indices:
            tree = trees[i]
            if tree is None or any(f.cell_index == i for f in findings if f.kind == "reference"):
                continue
            used = _loaded_names(tree) & ref_bound
            if used:
                findings.append(Finding(
                    i, 0, "reference",
                    f"uses {', '.join(sorted(used))} imported from the course package",
                    tuple(sorted(_toplevel_defined(tree))),
                ))
    return findings


def scan_extra_files(folder, notebooks, ctx: ScanContext) -> list[Finding]:
    """Scan the files handed in beside the notebooks.

    nbgrader copies every file of the submission into the folder the kernel runs in, and that
    folder is on ``sys.path``: a ``helper.py`` the notebook imports runs in the kernel like a
    cell, unseen by :func:`scan_submission`. Every ``.py`` file below ``folder`` is scanned as
    one more cell; a file that shadows a module the tests import (``numpy.py``) and code Python
    can import but the scan cannot read (``.so``, ``.pyc``, ``.pth``, archives) are findings of
    their own.

    Parameters
    ----------
    folder : path-like
        The student's submission folder of the assignment.
    notebooks : iterable of str
        Names (without ``.ipynb``) of the assignment's notebooks, skipped here.
    ctx : ScanContext
        From :func:`context_from_notebooks`.
    """
    folder = Path(folder)
    skip = {f"{name}.ipynb" for name in notebooks}
    tested_modules = {m.split(".")[0] for m, _, _ in ctx.allowed_imports}
    findings: list[Finding] = []
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or path.name in skip or ".ipynb_checkpoints" in path.parts:
            continue
        rel = path.relative_to(folder).as_posix()
        top = rel.split("/")[0]
        stem = top[:-3] if top.endswith(".py") else top
        if stem in tested_modules and (path.suffix == ".py" or len(rel.split("/")) > 1):
            findings.append(Finding(-1, 0, "override", f"shadows the module {stem!r}, which "
                                    "the tests import", file=rel))
        if path.suffix == ".py":
            try:
                source = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                findings.append(Finding(-1, 0, "dynamic", "Python file the scan cannot read",
                                        file=rel))
                continue
            tree = _parse(source)
            if tree is None:
                continue  # a syntax error: importing it fails, it changes nothing
            scanner = _CellScanner(ctx, _module_names(ctx, [tree]), -1, (),
                                   _definitions([tree]))
            scanner.visit(tree)
            findings += [Finding(f.cell_index, f.line, f.kind, f.message, f.names, file=rel)
                         for f in scanner.findings]
        elif path.name.endswith(UNREADABLE_CODE):
            findings.append(Finding(-1, 0, "dynamic", "code Python can import but the scan "
                                    "cannot read", file=rel))
    return findings + _unknown_imports(folder, notebooks, ctx)


def _importable(top: str) -> bool:
    """Whether the grading environment has a top-level module ``top`` (nothing is imported)."""
    if top in sys.stdlib_module_names or top == "__main__":
        return True
    try:
        return importlib.util.find_spec(top) is not None
    except Exception:  # noqa: BLE001 - a finder that fails on a name: not importable
        return False


def _unknown_imports(folder: Path, notebooks, ctx: ScanContext) -> list[Finding]:
    """Imports of modules that are neither installed nor handed in: a file the notebook writes
    while it runs (``open("m.py", "w").write(code)``, then ``import m``) is code no scan reads."""
    # a module handed in: a .py file, or a folder holding one (a package); not a data file
    # that the notebook could rename or fill with code while it runs
    handed_in = set()
    if folder.is_dir():
        handed_in = {path.stem for path in folder.glob("*.py")} | {
            path.name for path in folder.iterdir()
            if path.is_dir() and any(path.rglob("*.py"))}
    known = handed_in | {m.split(".")[0] for m, _, _ in ctx.allowed_imports}
    import nbformat  # kept lazy: dlgrade.worker imports this module and loads nbformat late

    sources = []  # (cell index, file name, source)
    for name in notebooks:
        path = folder / f"{name}.ipynb"
        try:
            nb = nbformat.read(path, as_version=4)
        except Exception:  # noqa: BLE001 - missing or unreadable: the worker says so
            continue
        sources += [(i, "", c.source) for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    for path in sorted(folder.rglob("*.py")):
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue  # said by scan_extra_files
        if ".ipynb_checkpoints" not in path.parts:
            sources.append((-1, path.relative_to(folder).as_posix(), text))
    findings, seen = [], set()
    for index, file, source in sources:
        tree = _parse(source)
        if tree is None:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                tops = [alias.name.split(".")[0] for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                tops = [node.module.split(".")[0]]
            else:
                continue
            for top in tops:
                if top in known or (index, file, top) in seen or _importable(top):
                    continue
                seen.add((index, file, top))
                findings.append(Finding(index, node.lineno, "dynamic", f"imports {top}, a module "
                                        "that is neither installed nor handed in: a file written "
                                        "while the notebook runs, whose code the scan cannot "
                                        "read", file=file))
    return findings
