"""The packages' structure drawn from their own imports: no module imports itself in a circle.

Every ``import`` and ``from ... import`` of a ``dlcourse`` or ``dlgrade`` module is read from the
source (top-level and inside functions alike: a lazy import hides an edge, it does not remove
it), and the strongly connected components of that graph must all be single modules. Also the
rule that keeps the student install light: ``dlcourse`` never imports ``dlgrade``.
"""

from __future__ import annotations

import ast
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
