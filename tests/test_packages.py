"""The two packages of pyproject.toml: ``dlcourse`` (students) and ``dlgrade`` (instructors).

The teaching package never imports the grading tool, and every import of each package is
declared: ``dlcourse``'s in the core dependencies, ``dlgrade``'s in the core or the ``grading``
extra. (That a plain ``pip install`` really works is tests/test_install.py.)
"""

from __future__ import annotations

import ast
import importlib.metadata
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def _imports(package: str) -> dict[str, set[str]]:
    """Absolute module names each file of ``package`` imports (or names as a string constant
    that starts like a module path, e.g. for importlib), by file. A file's sibling modules
    imported by bare name (sandbox files also run as scripts) are not counted."""
    out = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        siblings = {p.stem for p in path.parent.glob("*.py")}
        names = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module)
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                if re.fullmatch(r"dlgrade(\.\w+)*(:\w+)?", node.value):
                    names.add(node.value)
        out[str(path.relative_to(ROOT))] = {n for n in names if n.split(".")[0] not in siblings}
    return out


def test_the_teaching_package_never_imports_the_grading_tool():
    offenders = {path: sorted(n for n in names if n.split(".")[0] == "dlgrade")
                 for path, names in _imports("dlcourse").items()}
    assert not {k: v for k, v in offenders.items() if v}


def test_importing_every_teaching_module_loads_nothing_of_the_grading_tool():
    code = ("import importlib, pkgutil, sys, dlcourse, dlcourse.checks\n"
            "for pkg in (dlcourse, dlcourse.checks):\n"
            "    for m in pkgutil.iter_modules(pkg.__path__, pkg.__name__ + '.'):\n"
            "        importlib.import_module(m.name)\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dlgrade', 'click', "
            "'rich')))\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, env={"MPLBACKEND": "Agg", "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", re.split(r"[\s<>=!~\[;]", name, maxsplit=1)[0]).lower()


def _distributions(package: str) -> set[str]:
    """Distributions providing the third-party modules ``package`` imports."""
    providers = importlib.metadata.packages_distributions()
    dists = set()
    for names in _imports(package).values():
        for name in names:
            top = name.split(".")[0]
            if top in sys.stdlib_module_names or top in ("dlcourse", "dlgrade"):
                continue
            assert top in providers, f"{package} imports {top}, which no installed package provides"
            dists |= {_normalize(d) for d in providers[top]}
    return dists


@pytest.mark.parametrize("package, declared", [
    ("dlcourse", PYPROJECT["project"]["dependencies"]),
    ("dlgrade", PYPROJECT["project"]["dependencies"]
     + PYPROJECT["project"]["optional-dependencies"]["grading"]),
])
def test_every_import_is_declared(package, declared):
    missing = _distributions(package) - {_normalize(d) for d in declared}
    assert not missing, f"{package} imports from {sorted(missing)}, not declared in pyproject.toml"


def test_the_grading_commands_are_registered_for_the_dlcourse_command():
    entry_points = PYPROJECT["project"]["entry-points"]["dlcourse.commands"]
    assert set(entry_points) == {"release", "collect", "grade", "report", "roster", "extend",
                                 "export", "mark", "timezone"}
    assert all(target.startswith("dlgrade.cli:") for target in entry_points.values())
    import click

    from dlgrade import cli

    for name, target in entry_points.items():  # each names a click command that exists
        assert isinstance(getattr(cli, target.split(":")[1]), click.Command), name
    provisioner = PYPROJECT["project"]["entry-points"]["jupyter_client.kernel_provisioners"]
    assert list(provisioner.values()) == ["dlgrade.sandbox.provisioner:SandboxProvisioner"]
