"""``assert_own_implementation`` for the judge: read the submitted source, not live objects.

In the kernel, :func:`dlcourse.testing.assert_own_implementation` follows a function's globals
and closures to any ``dlcourse`` or deep-learning-framework object it reaches. The judge only
holds a :class:`dlgrade.judge.Remote` for the student's function, and anything the kernel says
about it could be forged, so it applies the same rules to the source handed in: the
notebook's code cells (tests excluded) and every ``.py`` file beside it.

A function fails when its definition (followed through the student's own helper functions
and modules) imports ``dlcourse`` or a framework, uses a name bound to one (``from
dlcourse.activations import relu``; a name that a ``from dlcourse... import *`` provides), or
is itself such a name. Dynamic tricks (``importlib.import_module("dl" + "course")``,
``pickle.loads``, ``marshal``, ``runpy``, ``sys.modules``) are out of reach of a static reading:
for those the judge also asks the kernel where the function's code objects come from
(:meth:`dlgrade.judge.Channel.origin`, which reads ``co_filename`` and ``__module__`` through
globals, closures and defaults), and :mod:`dlgrade.scan` flags them for review.
"""

from __future__ import annotations

import ast
import contextlib
import importlib
import re
from pathlib import Path

from dlcourse import testing
from dlcourse.own_work import FRAMEWORKS as _FRAMEWORKS

from .judge_code import UNSEEN

_PACKAGE_TEXT = re.compile(r"dlcourse(\.\w+)*")

_current = None


def _forbidden(module: str) -> bool:
    root = module.split(".", 1)[0]
    return root == "dlcourse" or root in _FRAMEWORKS


def _cell_code(source: str) -> str:
    """Python of a cell: IPython magics and shell lines blanked (kept as line numbers)."""
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line
                     for line in source.splitlines())


class _Module:
    def __init__(self, sources):
        self.bindings: dict[str, list] = {}
        self.stars: list[str] = []
        for source in sources:
            try:
                tree = ast.parse(_cell_code(source))
            except (SyntaxError, ValueError):
                continue
            for node in tree.body:
                self._bind(node)

    def _add(self, name, kind, payload):
        self.bindings.setdefault(name, []).append((kind, payload))

    def _bind(self, node):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            self._add(node.name, "def", node)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    self._add(alias.asname, "module", alias.name)
                else:
                    self._add(alias.name.split(".")[0], "module", alias.name.split(".")[0])
        elif isinstance(node, ast.ImportFrom):
            module = "." * node.level + (node.module or "")
            for alias in node.names:
                if alias.name == "*":
                    self.stars.append(module)
                else:
                    self._add(alias.asname or alias.name, "from", (module, alias.name))
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for sub in ast.walk(target):
                    if isinstance(sub, ast.Name) and node.value is not None:
                        self._add(sub.id, "value", node.value)
        elif isinstance(node, (ast.If, ast.Try, ast.With, ast.For, ast.While)):
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.stmt):
                    self._bind(child)
                elif isinstance(child, ast.ExceptHandler):
                    for stmt in child.body:
                        self._bind(stmt)


class SourceIndex:
    """The student's source: the notebook (``__main__``) and modules by dotted name."""

    def __init__(self, cells, files: dict[str, str], copy_of=None):
        self.modules = {"__main__": _Module(cells)}
        for name, text in files.items():
            self.modules[name] = _Module([text])
        #: ``copy_of(function_node) -> "dlcourse.module.name" | None``: a function of the
        #: submission that is the package's own text handed in (``CodePolicy.copy_of``)
        self.copy_of = copy_of

    # -- the check ----------------------------------------------------------------------
    def problem(self, name: str) -> str | None:
        """How ``name`` of the notebook reaches a finished implementation, or None.

        Raises LookupError if the notebook does not define ``name`` at all."""
        seen = set()
        if not self._bound("__main__", name):
            raise LookupError(name)
        return self._name("__main__", name, seen)

    def silencing(self, name: str) -> str | None:
        """How the notebook's ``name`` (or a function of the submission it calls) switches
        warnings off (``np.errstate``, ``warnings.catch_warnings``, ...), or None."""
        todo, seen = [("__main__", name)], set()
        while todo:
            module, current = todo.pop()
            if (module, current) in seen or module not in self.modules:
                continue
            seen.add((module, current))
            for kind, payload in self.modules[module].bindings.get(current, []):
                if kind == "from":
                    origin = self._resolve_module(payload[0], module)
                    todo.append((origin, payload[1]))
                    continue
                if kind not in ("def", "value"):
                    continue
                for sub in ast.walk(payload):
                    word = sub.attr if isinstance(sub, ast.Attribute) else \
                        sub.id if isinstance(sub, ast.Name) else \
                        sub.value if isinstance(sub, ast.Constant) else None
                    if isinstance(sub, ast.alias):
                        word = sub.name.rpartition(".")[2]
                    if isinstance(word, str) and word in testing._SILENCERS:
                        return f"it calls {word}"
                    if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Load):
                        todo.append((module, sub.id))
        return None

    def _bound(self, module, name):
        index = self.modules[module]
        return name in index.bindings or any(self._star_has(star, module, name)
                                             for star in index.stars)

    def _resolve_module(self, module: str, base: str) -> str:
        if module.startswith("."):
            package = base.split(".")[:-1]
            dots = len(module) - len(module.lstrip("."))
            package = package[:len(package) - (dots - 1)] if dots > 1 else package
            rest = module.lstrip(".")
            return ".".join(package + ([rest] if rest else []))
        return module

    def _star_has(self, star, base, name):
        module = self._resolve_module(star, base)
        if module in self.modules:
            return self._bound(module, name)
        if module.split(".", 1)[0] == "dlcourse":
            with contextlib.suppress(Exception):
                imported = importlib.import_module(module)
                public = getattr(imported, "__all__", None)
                return name in (public if public is not None else
                                [n for n in vars(imported) if not n.startswith("_")])
        return False

    def _name(self, module, name, seen):
        key = (module, name)
        if key in seen:
            return None
        seen.add(key)
        index = self.modules[module]
        if name in index.bindings:
            kind, payload = index.bindings[name][-1]
            if kind == "module":
                if _forbidden(payload):
                    return f"it uses `{name}`, the module {payload}"
                return None
            if kind == "from":
                origin = self._resolve_module(payload[0], module)
                if _forbidden(origin):
                    return f"it uses `{name}` from {origin}"
                if origin in self.modules:
                    return self._name(origin, payload[1], seen)
                if f"{origin}.{payload[1]}" in self.modules:
                    return None
                return None
            return self._code(module, payload, seen)
        for star in index.stars:
            origin = self._resolve_module(star, module)
            if origin in self.modules and self._bound(origin, name):
                return self._name(origin, name, seen)
            if _forbidden(origin) and self._star_has(star, module, name):
                return f"it uses `{name}` from {origin}"
        return None

    def _code(self, module, node, seen):
        if self.copy_of is not None:
            copied = self.copy_of(node)
            if copied:
                return (f"`{node.name}` is a copy of {copied}, the package's code handed in as "
                        "the student's own text")
        local = set()
        for sub in ast.walk(node):
            if isinstance(sub, ast.arg):
                local.add(sub.arg)
            elif isinstance(sub, ast.Name) and not isinstance(sub.ctx, ast.Load):
                local.add(sub.id)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            local.discard(node.name)
        for sub in ast.walk(node):
            if isinstance(sub, ast.Import):
                for alias in sub.names:
                    if _forbidden(alias.name):
                        return f"it imports {alias.name}"
                    local.add((alias.asname or alias.name).split(".")[0])
            elif isinstance(sub, ast.ImportFrom):
                origin = self._resolve_module("." * sub.level + (sub.module or ""), module)
                if _forbidden(origin):
                    return f"it imports {origin}"
                for alias in sub.names:
                    local.discard(alias.asname or alias.name)
                    if origin in self.modules and alias.name != "*":
                        found = self._name(origin, alias.name, seen)
                        if found:
                            return found
            elif isinstance(sub, ast.Attribute):
                if sub.attr == "dlcourse" or sub.attr in _FRAMEWORKS:
                    return f"it uses {sub.attr}"
                found = self._attribute(module, sub, local, seen)
                if found:
                    return found
            elif isinstance(sub, ast.Constant) and isinstance(sub.value, str) and \
                    _PACKAGE_TEXT.fullmatch(sub.value):
                return f"it names the module {sub.value}"
        for sub in ast.walk(node):
            if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Load) and \
                    sub.id not in local:
                if sub.id == "dlcourse" or sub.id in _FRAMEWORKS:
                    return f"it imports {sub.id}"
                found = self._name(module, sub.id, seen)
                if found:
                    return found
        return None

    def _attribute(self, module, node, local, seen):
        """``helper.f`` where ``helper`` is one of the student's modules: follow ``f``."""
        parts = []
        base = node
        while isinstance(base, ast.Attribute):
            parts.append(base.attr)
            base = base.value
        if not isinstance(base, ast.Name) or base.id in local:
            return None
        bindings = self.modules[module].bindings.get(base.id)
        if not bindings or bindings[-1][0] != "module":
            return None
        dotted = bindings[-1][1]
        for attr in reversed(parts):
            if dotted in self.modules and self._bound(dotted, attr):
                return self._name(dotted, attr, seen)
            dotted = f"{dotted}.{attr}"
        return None


#: the ``.py`` files beside the notebook read, at most, and the size of each read
EXTRA_LIMIT = 200
EXTRA_MAX_BYTES = 2_000_000


def handed_in_py(folder: Path, limit: int = EXTRA_LIMIT, max_bytes: int = EXTRA_MAX_BYTES):
    """(path, module name, text or None, why not read) of every ``.py`` path under
    ``folder``, sorted: the text of the first ``limit`` regular files of at most
    ``max_bytes`` that decode; for any other, None and why (``"is too large ..."``), or
    ``""`` for what names no module (a top-level ``__init__.py``, a folder named ``x.py``)."""
    if not folder.is_dir():
        return
    for index, path in enumerate(sorted(folder.rglob("*.py"))):
        parts = list(path.relative_to(folder).with_suffix("").parts)
        if parts and parts[-1] == "__init__":
            parts.pop()
        module = ".".join(parts)
        if not parts or path.is_dir():
            yield path, module, None, ""
            continue
        if index >= limit:
            yield path, module, None, f"is past the first {limit} .py files"
            continue
        try:
            if path.stat().st_size > max_bytes:
                yield path, module, None, "is too large for the copy check"
                continue
            yield path, module, path.read_text(), ""
        except (OSError, UnicodeDecodeError) as error:
            yield path, module, None, f"cannot be read ({type(error).__name__})"


def extra_files(folder: Path, limit: int = EXTRA_LIMIT,
                max_bytes: int = EXTRA_MAX_BYTES) -> dict[str, str]:
    """The ``.py`` files handed in with the notebook, by module name (see
    :func:`handed_in_py` for those left out)."""
    return {module: text for _, module, text, _ in handed_in_py(folder, limit, max_bytes)
            if text is not None}


def check_remote(func, label: str) -> None:
    """``assert_own_implementation`` for a :class:`dlgrade.judge.Remote` (see the module doc)."""
    if _current is None:
        raise AssertionError(f"{label} cannot be checked outside a judged test")
    name = object.__getattribute__(func, "_label") or func.__name__
    try:
        how = _current.problem(name)
    except LookupError:
        raise AssertionError(f"{label} is not defined in the submitted notebook: write it "
                             f"with `def {label}(...)` in its cell") from None
    if not how:
        # the kernel's view as well (untrusted, so it can only add a finding): a function
        # reached by pickle, marshal, importlib, runpy or sys.modules keeps the package's
        # code objects, which no reading of the source sees
        channel = object.__getattribute__(func, "_channel")
        tag = object.__getattribute__(func, "_tag")
        found = channel.origin(tag)
        if found:
            how = f"{found}, found in your kernel"
        elif tag.get("id") in channel.package_users:  # seen when one of its calls ran
            how = channel.package_users[tag["id"]]
    if how and any(f" {fw}" in how or f"`{fw}" in how or how.endswith(fw) or
                   f" {fw}." in how for fw in _FRAMEWORKS):
        raise AssertionError(
            f"{label} hands the work to a deep-learning framework ({how}): write your own "
            "implementation with numpy; answers built on a framework's layers or automatic "
            "differentiation earn no points")
    if how and how.endswith(UNSEEN):  # nothing is known of what ran: no accusation
        raise AssertionError(
            f"{label} could not be checked for own work ({how.removesuffix(UNSEEN)}, so what "
            "it ran cannot be told): a graded function must run alone in the grader's call; "
            "such a call earns no points")
    if how:
        raise AssertionError(
            f"{label} uses the course package's own implementation ({how}): write the "
            "function yourself with numpy; answers that import the package's implementation "
            "earn no points")


def check_silencing(func, label: str) -> str | None:
    """:func:`dlcourse.testing.assert_no_silenced_warnings` for a Remote: the source handed
    in, then the kernel's view."""
    name = object.__getattribute__(func, "_label") or func.__name__
    how = _current.silencing(name) if _current is not None else None
    if not how:
        channel = object.__getattribute__(func, "_channel")
        how = channel.origin(object.__getattribute__(func, "_tag"), op="silences")
    return how


def register(remote_class: type) -> None:
    """Let :func:`dlcourse.testing.assert_own_implementation` check judge references
    (instances of ``remote_class``, the judge's :class:`~dlgrade.judge.Remote`, passed in so that
    this module does not import the judge that imports it)."""
    testing.register_own_implementation_check(remote_class, check_remote)
    testing.register_in_place_call(remote_class, _call_in_place)
    testing.register_silencing_check(remote_class, check_silencing)


def _call_in_place(func, *args, **kwargs):
    """:func:`dlcourse.testing.call_in_place` for a Remote: the student's changes come back."""
    channel = object.__getattribute__(func, "_channel")
    return channel.call(object.__getattribute__(func, "_tag"), args, kwargs, in_place=True)


@contextlib.contextmanager
def judging(index: SourceIndex | None):
    global _current
    previous, _current = _current, index
    try:
        yield
    finally:
        _current = previous
