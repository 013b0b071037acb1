"""The kernel build of ``dlcourse``: what a graded notebook's kernel may import, no implementation.

Under the judge (:mod:`dlgrade.judge`) the tests and the checks run in the grading process with
the real package; the student's kernel only runs the student's cells and the notebook's locked
setup cells, which import ``dlcourse.checks.exNN``, names of ``dlcourse.testing`` and (08)
``dlcourse.data.load_digits``. A kernel that holds the real package can run its implementation
from a graded function and then hide that from any check made in the same process (review 21e:
the judge's record forged or its agent patched). So the sandbox binds this build over the
package's folder (:mod:`dlgrade.sandbox.view`): the same module names and file paths, and

* every function and class of the package is a stub of the same name that raises
  :class:`NotAvailableWhileGraded` ("dlcourse.activations.relu is not available while a notebook
  is graded: graded answers must be your own code"), from a code object compiled at the
  package's path, so the judge's record still names it if a graded call runs it;
* the ``check_*`` functions of ``dlcourse.checks`` and ``self_check`` print one line (the
  checks run when the notebook is graded, in the grading process) and return None;
* kept real, because they hold no graded implementation and the kernel needs them: the value
  assertions of ``dlcourse.testing`` (not ``reference_numerical_gradient``: exercise 05 grades
  a numerical gradient), ``dlcourse.own_work`` (the judge's agent walks a student's function
  with it), and ``dlcourse.data.load_digits`` (a data set);
* module constants that are plain literals are kept; any other module value (a dict of
  functions, an object) is a stand-in that raises when used.

The build is made from the installed package's source text (nothing of it is imported), once
per digest of that text, in the grader's cache folder, and precompiled.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.util
import os
import py_compile
import shutil
import sys
import tempfile

#: Bump when the generated text changes: a new digest, a new build.
GENERATOR_VERSION = 1

#: Modules kept whole (module path relative to the package, without ``.py``).
REAL_MODULES = frozenset({"own_work"})
#: Modules kept real except the listed top-level functions (stubbed).
REAL_EXCEPT = {"testing": frozenset({"reference_numerical_gradient"})}
#: Modules stubbed except the listed top-level functions (kept real, as the rest of the
#: module's own text around them: imports and constants).
REAL_ONLY = {"data": frozenset({"load_digits"})}
#: Imports kept in a stubbed module: the package's own and numpy (already imported by every
#: kernel). Others (scikit-learn, matplotlib, ...) would only cost time.
KEPT_IMPORTS = ("numpy", "dlcourse", "__future__")

_SUPPORT = '''"""Support of the kernel build of dlcourse (dlgrade.sandbox.kernel_package)."""


class NotAvailableWhileGraded(RuntimeError):
    """A part of the course package a graded notebook's kernel does not have."""


class Unavailable:
    """Stands for a module value of the package (a table of functions, an object)."""

    def __init__(self, name):
        object.__setattr__(self, "_name", name)

    def _refuse(self, *args, **kwargs):
        raise NotAvailableWhileGraded(
            f"{object.__getattribute__(self, '_name')} is not available while a notebook is "
            "graded: graded answers must be your own code")

    __call__ = __getitem__ = __iter__ = __len__ = __contains__ = _refuse

    def __getattr__(self, attr):
        self._refuse()

    def __repr__(self):
        return f"<{object.__getattribute__(self, '_name')}: not available while graded>"
'''

_PREAMBLE = ("from dlcourse._kernel_build import NotAvailableWhileGraded as _NotAvailable  "
             "# noqa\nfrom dlcourse._kernel_build import Unavailable as _Unavailable  # noqa\n")


def _message(dotted: str) -> str:
    return (f"{dotted} is not available while a notebook is graded: graded answers must be "
            "your own code")


def _function_stub(name: str, dotted: str, checks: bool) -> str:
    if checks and (name == "self_check" or name.startswith("check_")):
        line = (f"{name}: the checks run when the notebook is graded (the grader runs them "
                "with the course package); nothing is checked in this kernel")
        return (f"def {name}(*args, **kwargs):\n    print({line!r})\n    return None\n")
    return f"def {name}(*args, **kwargs):\n    raise _NotAvailable({_message(dotted)!r})\n"


def _class_stub(name: str, dotted: str) -> str:
    return (f"class {name}:\n    def __init__(self, *args, **kwargs):\n"
            f"        raise _NotAvailable({_message(dotted)!r})\n")


def _kept_import(node: ast.stmt) -> bool:
    if isinstance(node, ast.ImportFrom):
        return node.level > 0 or (node.module or "").split(".")[0] in KEPT_IMPORTS
    if isinstance(node, ast.Import):
        return all(alias.name.split(".")[0] in KEPT_IMPORTS for alias in node.names)
    return False


def _literal(node: ast.expr) -> bool:
    try:
        ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False
    return True


def _targets(node: ast.stmt) -> list[str]:
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    names = []
    for target in targets:
        for sub in ast.walk(target):
            if isinstance(sub, ast.Name):
                names.append(sub.id)
    return names


def stub_text(source: str, module: str) -> str:
    """The kernel build's text of the package module ``module`` (``"activations"``,
    ``"checks.ex04_activations"``, ``"__init__"``) whose real text is ``source``."""
    tree = ast.parse(source)
    dotted_module = "dlcourse" if module == "__init__" else \
        "dlcourse." + module.removesuffix(".__init__")
    checks = module.split(".")[0] == "checks"
    lines = source.splitlines(keepends=True)
    if module in REAL_MODULES:
        return source
    keep_real = REAL_ONLY.get(module)
    stub_only = REAL_EXCEPT.get(module)
    real_text = keep_real is not None or stub_only is not None
    out: list[str] = []
    future = [n for n in tree.body if isinstance(n, ast.ImportFrom) and n.module == "__future__"]
    out += ["from __future__ import annotations\n"] if future else []
    out.append(_PREAMBLE)
    for node in tree.body:
        if node in future:
            continue
        start = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
        text = "".join(lines[start - 1:node.end_lineno])
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            name = node.name
            real = (keep_real is not None and name in keep_real) or \
                   (stub_only is not None and name not in stub_only)
            if real:
                out.append(text)
            elif name.startswith("__") and name.endswith("__"):
                continue  # a module's __getattr__ / __dir__: nothing to stand in for
            elif isinstance(node, ast.ClassDef):
                out.append(_class_stub(name, f"{dotted_module}.{name}"))
            else:
                out.append(_function_stub(name, f"{dotted_module}.{name}", checks))
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            if real_text or _kept_import(node):
                out.append(text)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)) and \
                getattr(node, "value", None) is not None:
            if real_text or _literal(node.value):
                out.append(text)
            else:
                for name in _targets(node):
                    out.append(f"{name} = _Unavailable({dotted_module + '.' + name!r})\n")
        elif real_text and not isinstance(node, ast.Expr):
            out.append(text)  # module code of a module kept (mostly) real
    return "\n".join(out)


def package_dir() -> str:
    """The real folder of the installed ``dlcourse`` package (without importing it)."""
    spec = importlib.util.find_spec("dlcourse")
    if spec is None or not spec.origin:
        raise RuntimeError("the dlcourse package is not installed in this Python")
    return os.path.realpath(os.path.dirname(spec.origin))


def _sources(root: str) -> list[tuple[str, str]]:
    """(relative path, text) of every ``.py`` file of the package, in a fixed order."""
    found = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            if name.endswith(".py"):
                path = os.path.join(folder, name)
                with open(path, encoding="utf-8") as handle:
                    found.append((os.path.relpath(path, root), handle.read()))
    return found


def digest(root: str | None = None) -> str:
    """A digest of the package's source text, this generator (its version and its own text)
    and this Python's version."""
    sha = hashlib.sha256(f"{GENERATOR_VERSION} {sys.version}".encode())
    with open(__file__, "rb") as handle:
        sha.update(handle.read())
    for relative, text in _sources(root or package_dir()):
        sha.update(relative.encode() + b"\0" + text.encode() + b"\0")
    return sha.hexdigest()[:24]


def cache_root() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "dlcourse-kernel-package")


def _write(target: str, root: str) -> None:
    """Write the build of the package at ``root`` into ``target`` (a new folder) and compile
    it as if it lay at ``root`` (the path the kernel sees)."""
    for relative, text in _sources(root):
        module = relative.removesuffix(".py").replace(os.sep, ".")
        path = os.path.join(target, relative)
        os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(stub_text(text, module))
    with open(os.path.join(target, "_kernel_build.py"), "w", encoding="utf-8") as handle:
        handle.write(_SUPPORT)
    for folder, _, files in os.walk(target):
        os.chmod(folder, 0o755)
        for name in files:
            path = os.path.join(folder, name)
            os.chmod(path, 0o644)
            if name.endswith(".py"):
                shown = os.path.join(root, os.path.relpath(path, target))
                py_compile.compile(path, dfile=shown, doraise=True)
    for folder, _, files in os.walk(target):
        os.chmod(folder, 0o755)
        for name in files:
            os.chmod(os.path.join(folder, name), 0o644)


_BUILT: dict[str, str] = {}


def ensure() -> str:
    """The folder of the kernel build of the installed package, made if missing.

    Made once per digest (cached in this process and on disk under :func:`cache_root`);
    several grading processes may race: each writes a private folder and renames it into
    place, the first one wins.
    """
    root = package_dir()
    key = digest(root)
    if key in _BUILT and os.path.isdir(_BUILT[key]):
        return _BUILT[key]
    final = os.path.join(cache_root(), key, "dlcourse")
    if not os.path.isfile(os.path.join(final, "_kernel_build.py")):
        os.makedirs(os.path.dirname(final), mode=0o755, exist_ok=True)
        os.chmod(os.path.dirname(final), 0o755)
        scratch = tempfile.mkdtemp(prefix=".build-", dir=os.path.dirname(final))
        try:
            _write(os.path.join(scratch, "dlcourse"), root)
            try:
                os.rename(os.path.join(scratch, "dlcourse"), final)
            except OSError:
                if not os.path.isfile(os.path.join(final, "_kernel_build.py")):
                    raise
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    _BUILT[key] = final
    return final
