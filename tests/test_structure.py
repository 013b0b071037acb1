"""The packages' structure drawn from their own imports: no module imports itself in a circle.

Every ``import`` and ``from ... import`` of a ``dlcourse`` or ``dlgrade`` module is read from the
source (top-level and inside functions alike: a lazy import hides an edge, it does not remove
it), and the strongly connected components of that graph must all be single modules. Also the
rule that keeps the student install light: ``dlcourse`` never imports ``dlgrade``.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("dlcourse", "dlgrade")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {_module_name(p): p
            for package in PACKAGES for p in sorted((ROOT / package).rglob("*.py"))}


def _targets(node, name: str, is_package: bool, known) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names if alias.name in known]
    if node.level:
        base = name.split(".") if is_package else name.split(".")[:-1]
        base = base[:len(base) - (node.level - 1)]
        source = ".".join(base + ([node.module] if node.module else []))
    else:
        source = node.module or ""
    submodules = [f"{source}.{a.name}" for a in node.names if f"{source}.{a.name}" in known]
    # `from . import x` needs the package only to be importing already; other names come from it
    whole = [source] if len(submodules) < len(node.names) and source in known else []
    return whole + submodules


def import_graph() -> dict[str, set[str]]:
    known = modules()
    graph: dict[str, set[str]] = defaultdict(set)
    for name, path in known.items():
        is_package = path.name == "__init__.py"
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                graph[name].update(t for t in _targets(node, name, is_package, known) if t != name)
    return {name: graph[name] for name in known}


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_the_circle_finder_finds_a_circle_and_accepts_a_tree():
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert circles({"a": {"b", "c"}, "b": {"c"}, "c": set()}) == []


def test_no_module_of_either_package_imports_itself_in_a_circle():
    graph = import_graph()
    assert "dlgrade.engine" in graph and "dlcourse.mlp" in graph
    assert circles(graph) == []


def test_the_teaching_package_never_imports_the_grading_tool():
    graph = import_graph()
    leaks = {name: sorted(t for t in targets if t.startswith("dlgrade"))
             for name, targets in graph.items() if name.startswith("dlcourse")}
    assert {name: t for name, t in leaks.items() if t} == {}


def test_each_package_docstring_names_every_module_it_has():
    """The module maps in dlcourse/__init__.py and dlgrade/__init__.py match the files."""
    import dlcourse
    import dlgrade

    for package in (dlcourse, dlgrade):
        folder = ROOT / package.__name__
        names = {p.stem for p in folder.glob("*.py") if p.stem != "__init__"}
        names |= {p.parent.name for p in folder.glob("*/__init__.py")}
        missing = sorted(n for n in names
                         if f"``{n}``" not in package.__doc__
                         and f"{package.__name__}.{n}`" not in package.__doc__)
        assert missing == [], f"{package.__name__}/__init__.py does not name {missing}"


# -- function-level imports: only where they spare a slow import ------------------------------

#: third-party packages that take tenths of a second (jupyter_client with zmq) to seconds
#: (nbgrader) to import, with what each brings along (read from sys.modules after importing it
#: alone)
_KERNEL_CLIENT = {"jupyter_client", "zmq"}
SLOW_TO_IMPORT = {
    "nbgrader": {"nbgrader", "nbconvert", "nbclient", "nbformat", "jsonschema", "sqlalchemy",
                 *_KERNEL_CLIENT},
    "nbconvert": {"nbconvert", "nbclient", "nbformat", "jsonschema", *_KERNEL_CLIENT},
    "nbclient": {"nbclient", "nbformat", "jsonschema", *_KERNEL_CLIENT},
    "nbformat": {"nbformat", "jsonschema"},
    "jupyter_client": _KERNEL_CLIENT,
    "zmq": {"zmq"},
    "jsonschema": {"jsonschema"},
    "sqlalchemy": {"sqlalchemy"},
    "distributed": {"distributed", "dask"},
    "dask": {"dask"},
    "matplotlib": {"matplotlib"},
    "copydetect": {"copydetect", "matplotlib"},
    "rich": {"rich"},
    "playwright": {"playwright"},
    "IPython": {"IPython"},
}
#: modules whose imports follow where they run, not this rule: the sandbox (its jail side runs
#: as plain scripts in a fresh process, the fork server imports before it forks) and the
#: judge's agent and recorder, which run inside the student's kernel
OWN_RULES = ("dlgrade.sandbox", "dlgrade.judge_agent", "dlgrade.judge_code",
             "dlgrade.judge_fingerprint", "dlgrade.judge_watch")
#: lazy imports kept on purpose although the module loads the same packages already, or where
#: the reading above cannot see the cost
DELIBERATE = {
    # export builds its nbgrader plugins (FORMATS) when it is imported: a call, not an import
    ("dlgrade.cli", "dlgrade.export"),
    # imported in the parent before Dask forks its workers, so that each starts with them
    ("dlgrade.cluster", "nbgrader.apps.api"),
    ("dlgrade.cluster", "dlgrade.feedback"), ("dlgrade.cluster", "dlgrade.html_safety"),
    ("dlgrade.cluster", "dlgrade.judge"), ("dlgrade.cluster", "dlgrade.outputs"),
    ("dlgrade.cluster", "dlgrade.sanitize"), ("dlgrade.cluster", "dlgrade.scan"),
    ("dlgrade.cluster", "dlgrade.worker"),
}


def _resolve(node, name: str, is_package: bool, known) -> list[str]:
    """The modules a lazy import loads (in-package ones by name, others by their dotted name)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    inside = _targets(node, name, is_package, known)
    if inside:
        return inside
    return [node.module or ""]


def _top_level_imports(tree):
    """Imports that run when the module is imported (not those inside functions)."""
    todo = list(tree.body)
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        todo.extend(ast.iter_child_nodes(node))


def _function_imports(tree):
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for sub in ast.walk(node):
                if isinstance(sub, (ast.Import, ast.ImportFrom)):
                    yield sub


def slow_imports() -> dict[str, set[str]]:
    """Per module of both packages: the slow third-party packages importing it loads."""
    known = modules()
    direct: dict[str, set[str]] = {}
    for name, path in known.items():
        is_package = path.name == "__init__.py"
        direct[name] = set()
        for node in _top_level_imports(ast.parse(path.read_text(), str(path))):
            direct[name].update(_resolve(node, name, is_package, known))
        parent = name.rpartition(".")[0]
        if parent in known:  # importing a submodule runs its package's __init__ first
            direct[name].add(parent)
    slow: dict[str, set[str]] = {}

    def of(target: str, seen=()) -> set[str]:
        if target not in known:
            return set(SLOW_TO_IMPORT.get(target.split(".")[0], ()))
        if target not in slow:
            if target in seen:
                return set()
            slow[target] = set().union(*(of(t, (*seen, target)) for t in direct[target]))
        return slow[target]

    for name in known:
        of(name)
    return slow


def lazy_imports_that_spare_nothing() -> list[str]:
    known = modules()
    slow = slow_imports()
    found = []
    for name, path in known.items():
        if not name.startswith("dlgrade") or name.startswith(OWN_RULES):
            continue
        is_package = path.name == "__init__.py"
        for node in _function_imports(ast.parse(path.read_text(), str(path))):
            for target in _resolve(node, name, is_package, known):
                brings = (slow[target] if target in known
                          else set(SLOW_TO_IMPORT.get(target.split(".")[0], ())))
                if not brings - slow[name] and (name, target) not in DELIBERATE:
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno} imports {target}")
    return found


def test_the_slow_import_reader_follows_the_packages_own_imports():
    slow = slow_imports()
    assert "nbgrader" in slow["dlgrade.late"]  # late subclasses an nbgrader plugin
    assert "nbgrader" in slow["dlgrade.engine"]  # through cluster -> safe_files
    assert slow["dlgrade.course"] == set()  # on the path of every `dlcourse` command
    assert "matplotlib" in slow["dlcourse.plotting"]


def test_function_level_imports_only_spare_a_slow_import():
    """An import inside a function must keep a slow package (nbgrader, nbformat, Dask, rich,
    matplotlib, ...) out of a module that does not load it already; any other belongs at the
    top of the module, where a reader sees what the module depends on."""
    assert lazy_imports_that_spare_nothing() == []


def test_the_command_line_loads_no_slow_package_before_a_command_runs():
    """`dlcourse grade --help`, a usage error and every command's start import dlgrade.cli and
    dlgrade.course only: the check above reads imports, this one runs them (it sees a slow
    package loaded by a call at import time, as dlgrade.export's plugin registry does)."""
    code = ("import sys, dlgrade.cli, dlgrade.course\n"
            f"print(sorted(p for p in {sorted(SLOW_TO_IMPORT)!r} if p in sys.modules))\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"
