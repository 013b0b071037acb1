"""Static scan of a submission for code that defeats the tests instead of passing them.

The autograder runs the student's cells and the test cells in one kernel, so a student cell
can change what the tests see: ``np.isclose = lambda *a, **k: True``, a rebound ``assert``
helper, a patched ``builtins.abs``, or a call into the package's reference implementation
(``from dlcourse.neuron import neuron``). Running the code cannot reveal this (the tests just
pass), reading it can. :func:`scan_submission` parses every cell the student controls with
:mod:`ast` and reports each such construct as a :class:`Finding`; the grader then gives no
points for the affected tests and flags the submission for manual grading.

The scan is deliberately strict: a false alarm costs an instructor one look at the notebook,
a miss gives a cheater full marks.
"""

from __future__ import annotations

import ast
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
}
#: Names (``types.X`` or ``from types import X``) that build functions out of code objects:
#: someone else's code under the student's name or with another file name.
CODE_BUILDERS = {"FunctionType", "LambdaType", "CodeType", "MethodType", "ModuleType",
                 "CellType"}
#: Double-underscore attributes that reach or rebuild code, globals and attributes around
#: the scan (``object.__getattribute__(f, "__" + "code" + "__")``).
DUNDER_ACCESS = {"__dict__", "__globals__", "__code__", "__builtins__", "__closure__",
                 "__subclasses__", "__defaults__", "__kwdefaults__", "__getattribute__",
                 "__reduce__", "__reduce_ex__", "__setstate__", "__func__", "__wrapped__"}
#: Calls that run code the scan cannot see.
DYNAMIC_CALLS = {"exec", "eval", "compile", "__import__", "setattr", "delattr", "globals", "vars",
                 "locals", "reload"}
#: Attributes of ``sys`` that reach other modules or the running frames.
SYS_DANGEROUS = {"modules", "settrace", "setprofile", "_getframe", "meta_path", "path_hooks",
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
#: ``operator.attrgetter("err" + "state")(np)`` reaches what no attribute name shows.
NAMED_ACCESS = {"attrgetter", "methodcaller"}
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
    def __init__(self, ctx: ScanContext, modules: set, cell_index: int, defined: tuple):
        self.ctx = ctx
        self.modules = modules  # names bound to imported modules anywhere in the notebook
        self.cell_index = cell_index
        self.defined = defined
        self.findings: list[Finding] = []
        self.depth = 0

    def add(self, node, kind, message, names=()):
        self.findings.append(
            Finding(self.cell_index, getattr(node, "lineno", 0), kind, message, tuple(names))
        )

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

    def visit_Assign(self, node):
        for t in node.targets:
            self._check_target(t, node)
        self.generic_visit(node)

    def visit_AugAssign(self, node):
        self._check_target(node.target, node)
        self.generic_visit(node)

    def visit_AnnAssign(self, node):
        self._check_target(node.target, node)
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
            if alias.name == "*":
                if module.split(".")[0] == self.ctx.package and (module, "*", "*") not in \
                        self.ctx.allowed_imports:
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

    def _is_get_ipython(self, node) -> bool:
        if not isinstance(node, ast.Call):
            return False
        func = node.func
        return (isinstance(func, ast.Name) and func.id == "get_ipython") or \
            (isinstance(func, ast.Attribute) and func.attr == "get_ipython")

    def visit_Call(self, node):
        func = node.func
        if isinstance(func, ast.Name) and func.id in ATTRIBUTE_CALLS:
            if func.id in DYNAMIC_CALLS:
                self.add(node, "dynamic", f"calls {func.id}(), which can change code the tests use")
            self._check_attribute_call(node, func.id)
        elif isinstance(func, ast.Name) and func.id in DYNAMIC_CALLS:
            self.add(node, "dynamic", f"calls {func.id}(), which can change code the tests use")
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
                magic = node.args[0] if node.args else None
                name = magic.value if isinstance(magic, ast.Constant) else None
                if name not in SAFE_MAGICS:
                    self.add(node, "dynamic", f"runs the IPython magic %{name}")
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

    def visit_Attribute(self, node):
        root = _root_name(node)
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
        elif root is not None and isinstance(node.value, ast.Name) and root in self.modules:
            # dlcourse.neuron.neuron(...) without an import of its own
            module = self.modules[root]
            if module.split(".")[0] == self.ctx.package:
                full = f"{module}.{node.attr}"
                allowed = {m if n is None else f"{m}.{n}" for m, n, _ in self.ctx.allowed_imports}
                parts = full.split(".")
                prefixes = {".".join(parts[:k]) for k in range(2, len(parts) + 1)}
                if not prefixes & allowed:
                    self.add(node, "reference", f"uses {full} from the course package",
                             self.defined)
        self.generic_visit(node)

    def visit_Name(self, node):
        if node.id in {"__builtins__", "__loader__", "__spec__"}:
            self.add(node, "dynamic", f"uses {node.id}")
        elif node.id == "get_ipython" and not isinstance(node.ctx, ast.Load):
            self.add(node, "override", "rebinds get_ipython")
        elif node.id in HISTORY_NAMES or (node.id.startswith("_i") and node.id[2:].isdigit()):
            self.add(node, "dynamic", f"reads {node.id}, IPython's input history, which holds "
                                      "the code of the test cells (hidden ones included)")


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
    modules = _module_names(ctx, [t for t in trees.values() if t is not None])
    findings: list[Finding] = []
    for i in indices:
        tree = trees[i]
        if tree is None:
            continue
        scanner = _CellScanner(ctx, modules, i, tuple(sorted(_toplevel_defined(tree))))
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
            scanner = _CellScanner(ctx, _module_names(ctx, [tree]), -1, ())
            scanner.visit(tree)
            findings += [Finding(f.cell_index, f.line, f.kind, f.message, f.names, file=rel)
                         for f in scanner.findings]
        elif path.name.endswith(UNREADABLE_CODE):
            findings.append(Finding(-1, 0, "dynamic", "code Python can import but the scan "
                                    "cannot read", file=rel))
    return findings
