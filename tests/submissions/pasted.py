"""The package's source handed in as a student's answers, with small mechanical changes.

Review 21f's attack P: the judged kernel holds no implementation of ``dlcourse``, so a student
pastes the package's modules that a graded function needs into the first answer cell and
defines every graded function again in its own cell. One dead statement per function (``_k =
0``, or ``if False: pass``) gives each another bytecode than the package's, so the exact
comparison of :mod:`dlgrade.judge_fingerprint` does not see it. :func:`pasted_cells` writes
these answers; its variants are the mechanical changes a student makes without rewriting
anything (the flag of :mod:`dlgrade.package_copy` must see each):

* ``docs``: every docstring kept word for word, nothing renamed, ``_k = 0`` added;
* ``stripped``: docstrings dropped, ``if False: pass`` added (compiled away: the judge's exact
  bytecode check still takes this one's points);
* ``renamed``: docstrings dropped, ``_k = 0`` added, every local variable renamed (``arr`` ->
  ``my_arr_v``);
* ``reordered``: docstrings dropped, ``_k = 0`` added, each pair of neighbouring statements
  that do not depend on each other swapped (``Q`` checked after ``K``);
* ``wrapped``: ``renamed`` with every third name read wrapped in an identity function
  ``_same(name)`` defined in the cell (the dodge of the reverted text check, review P-wrap;
  not ``_i``, which IPython rebinds to the last input after every cell).

Relative and ``__future__`` imports are left out (the student's cell has the names already),
with the two edits review 21f needed so that :mod:`dlgrade.scan` sends nothing to a person:
``dlcourse.data``'s course-text loader and module ``__getattr__`` left out, and one
``hasattr(..., "__len__")`` spelled as an ``isinstance``.
"""

from __future__ import annotations

import ast

import nbformat

from tests.submissions.crafted import REPO

#: assignment -> the package's modules its graded functions need, in dependency order
MODULES = {
    "04_activations": ["_validation", "activations"],
    "05_backprop": ["_validation", "activations", "data", "initialization", "losses", "layers",
                    "gradcheck", "backprop"],
    "10_attention": ["_validation", "attention", "normalization"],
}
VARIANTS = ("docs", "stripped", "renamed", "reordered", "wrapped")
#: functions of the package a pasted copy leaves out (see the module doc)
_LEFT_OUT = ("load_course_text", "__getattr__", "__dir__")
#: the dead line of each variant: ``if False: pass`` compiles to nothing (the exact bytecode
#: check of dlgrade.judge_code still sees that copy); ``_k = 0`` changes the bytecode
_DEAD = {"stripped": "if False:\n    pass"}
_ASSIGN = "_k = 0"
_IDENTITY = "def _same(x):\n    return x\n\n\n"


def graded_functions(assignment: str) -> list[str]:
    """The grade ids of the answer cells of ``assignment``, in notebook order."""
    nb = nbformat.read(REPO / "solutions" / assignment / f"{assignment}.ipynb", 4)
    return [c.metadata["nbgrader"]["grade_id"] for c in nb.cells
            if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("solution")]


def _docstring(node) -> bool:
    return bool(node.body) and isinstance(node.body[0], ast.Expr) and \
        isinstance(node.body[0].value, ast.Constant) and isinstance(node.body[0].value.value, str)


def _names(node, stored: bool) -> set[str]:
    """Names a statement binds (``stored``; a subscript or attribute store binds its base) or
    reads."""
    found = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Load) != stored:
            found.add(sub.id)
        elif stored and isinstance(sub, (ast.Subscript, ast.Attribute)) and \
                not isinstance(sub.ctx, ast.Load):
            base = sub.value
            while isinstance(base, (ast.Subscript, ast.Attribute)):
                base = base.value
            if isinstance(base, ast.Name):
                found.add(base.id)
    return found


def _independent(first, second) -> bool:
    """Whether two neighbouring statements give the same result in either order: neither
    leaves the function or the loop, neither is a call made for what it changes (a bare
    call, ``out=``), neither binds a name the other uses, and no random generator is drawn
    from in both."""
    leaves = (ast.Return, ast.Raise, ast.Break, ast.Continue, ast.Yield, ast.YieldFrom,
              ast.Global, ast.Nonlocal, ast.FunctionDef, ast.ClassDef)
    if any(isinstance(sub, leaves) for node in (first, second) for sub in ast.walk(node)):
        return False
    if isinstance(first, ast.Expr) or isinstance(second, ast.Expr) or \
            any(isinstance(sub, ast.keyword) and sub.arg == "out"
                for node in (first, second) for sub in ast.walk(node)):
        return False
    a_binds, b_binds = _names(first, True), _names(second, True)
    a_uses, b_uses = _names(first, False) | a_binds, _names(second, False) | b_binds
    if a_binds & b_uses or b_binds & a_uses:
        return False
    draws = [any("rng" in name or "random" in name for name in _names(node, False))
             for node in (first, second)]
    return not all(draws)


class _Change(ast.NodeTransformer):
    def __init__(self, variant: str):
        self.variant = variant

    def visit_FunctionDef(self, node):
        self.generic_visit(node)
        doc = node.body[:1] if _docstring(node) else []
        body = node.body[len(doc):]
        if self.variant in ("renamed", "wrapped"):
            arguments = {a.arg for a in ast.walk(node.args) if isinstance(a, ast.arg)}
            local = {sub.id for sub in ast.walk(node) if isinstance(sub, ast.Name) and
                     isinstance(sub.ctx, ast.Store)} - arguments
            for sub in ast.walk(node):
                if isinstance(sub, ast.Name) and sub.id in local:
                    sub.id = f"my_{sub.id.lower()}_v"
        if self.variant == "reordered":
            i = 0
            while i + 1 < len(body):
                if _independent(body[i], body[i + 1]):
                    body[i], body[i + 1] = body[i + 1], body[i]
                    i += 2
                else:
                    i += 1
        if self.variant == "wrapped":
            reads = [sub for stmt in body for sub in ast.walk(stmt)
                     if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Load)]
            for sub in reads[2::3]:
                sub.id = f"_same({sub.id})"  # printed as a call by ast.unparse
        keep = doc if self.variant == "docs" else []
        dead = ast.parse(_DEAD.get(self.variant, _ASSIGN)).body[0]
        node.body = keep + [dead] + (body or [ast.Pass()])
        return node

    visit_AsyncFunctionDef = visit_FunctionDef


def _module_text(module: str, variant: str) -> str:
    tree = ast.parse((REPO / "dlcourse" / f"{module}.py").read_text())
    kept = []
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and (node.level or node.module == "__future__"):
            continue
        if isinstance(node, ast.FunctionDef) and node.name in _LEFT_OUT:
            continue
        if variant != "docs" and isinstance(node, ast.Expr) and \
                isinstance(node.value, ast.Constant):
            continue
        kept.append(node)
    tree.body = kept
    if variant != "docs":
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef) and _docstring(node):
                node.body = node.body[1:] or [ast.Pass()]
    text = ast.unparse(_Change(variant).visit(tree))
    if variant == "wrapped":
        text = _IDENTITY + text
    return text.replace("not hasattr(layer_sizes, '__len__')",
                        "not isinstance(layer_sizes, (list, tuple, np.ndarray))")


def modules(assignment: str) -> list[str]:
    """The package's modules to paste for ``assignment``: :data:`MODULES` (checked to grade as
    the package does), else every module defining a graded function and the modules they
    import, each after those it imports (the text alone: what the flag reads)."""
    if assignment in MODULES:
        return MODULES[assignment]
    graded = set(graded_functions(assignment))
    trees = {path.stem: ast.parse(path.read_text())
             for path in sorted((REPO / "dlcourse").glob("*.py"))
             if path.stem not in ("checks", "testing", "__init__")}
    order: list[str] = []

    def add(module: str) -> None:
        if module in order or module not in trees:
            return
        for node in trees[module].body:
            if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module:
                add(node.module)
        order.append(module)

    for module, tree in trees.items():
        if graded & {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}:
            add(module)
    return order


def pasted_cells(assignment: str, variant: str) -> dict[str, str]:
    """``{grade_id: source}`` of the answer cells: the modules of :func:`modules` pasted with
    ``variant``'s changes into the first cell, and each graded function's pasted definition
    again in its own cell (a graded function the package lacks keeps the solution's cell)."""
    if variant not in VARIANTS:
        raise ValueError(f"variant is {variant!r}, expected one of {VARIANTS}")
    text = "\n\n".join(_module_text(module, variant) for module in modules(assignment))
    definitions = {node.name: ast.unparse(node) for node in ast.parse(text).body
                   if isinstance(node, ast.FunctionDef)}
    graded = graded_functions(assignment)
    solution = solution_cells(assignment)
    return {grade_id: (text + "\n\n" if i == 0 else "")
            + definitions.get(grade_id, solution[grade_id]) + "\n"
            for i, grade_id in enumerate(graded)}


def solution_cells(assignment: str) -> dict[str, str]:
    """``{grade_id: source}`` of the answer cells of the solution notebook."""
    nb = nbformat.read(REPO / "solutions" / assignment / f"{assignment}.ipynb", 4)
    return {c.metadata["nbgrader"]["grade_id"]: c.source for c in nb.cells
            if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("solution")}
