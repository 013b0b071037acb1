"""The kernel build of dlcourse (dlgrade.sandbox.kernel_package): a judged kernel holds no
implementation of the package (review 21e: a graded function that runs the package's code can
hide it from any check made in the same process, so the code must not be there at all).

The build itself is checked without a kernel; then real sandboxed kernels (the fork server's
and the exec'd wrapper's) are given it as the judge gives it, each with the sandbox-off or
build-off control where a leak is possible.
"""

import json
import os
import subprocess
import sys

import pytest

from dlgrade.judge_fingerprint import fingerprint, package_fingerprints
from dlgrade.sandbox import jail, kernel_package
from dlgrade.sandbox.kernels import run_code

needs_sandbox = pytest.mark.skipif(jail.probe() is not None,
                                   reason=f"sandbox unavailable here: {jail.probe()}")

MESSAGE = ("dlcourse.activations.relu is not available while a notebook is graded: graded "
           "answers must be your own code")


@pytest.fixture(scope="module")
def build():
    return kernel_package.ensure()


def _in_build(build, code):
    """Run ``code`` in a plain Python with the build in place of the package."""
    env = dict(os.environ, PYTHONPATH=os.path.dirname(build))
    done = subprocess.run([sys.executable, "-c", code], cwd=os.path.dirname(build), env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_every_module_of_the_build_imports_and_holds_no_implementation(build):
    out = _in_build(build, """
import importlib, json, pkgutil, sys, types
import dlcourse
names = [m.name for m in pkgutil.walk_packages(dlcourse.__path__, "dlcourse.")]
for name in names:
    importlib.import_module(name)
codes = []
for name in ["dlcourse"] + names:
    for value in vars(sys.modules[name]).values():
        for fn in [value] + ([m for m in vars(value).values()] if isinstance(value, type) else []):
            if isinstance(fn, types.FunctionType) and fn.__module__.startswith("dlcourse"):
                codes.append([fn.__module__, fn.__qualname__])
heavy = sorted(m for m in ("sklearn", "matplotlib", "scipy", "nbformat") if m in sys.modules)
print(json.dumps({"file": dlcourse.__file__, "heavy": heavy, "n": len(names), "codes": codes}))
""")
    seen = json.loads(out)
    assert seen["file"].startswith(build)
    assert seen["n"] > 30 and seen["heavy"] == []  # every module, and only numpy is imported
    # No code object of the build is one of the package's functions, apart from the parts
    # kept real on purpose (the assertions, the own-work walk, load_digits).
    table = package_fingerprints()
    real = set()
    for folder, _, files in os.walk(build):
        for name in files:
            if name.endswith(".py"):
                path = os.path.join(folder, name)
                with open(path) as fh:
                    text = fh.read()
                found = compile(text, path, "exec")
                stack = [found]
                while stack:
                    code = stack.pop()
                    stack += [c for c in code.co_consts if hasattr(c, "co_code")]
                    if fingerprint(code) in table:
                        real.add(table[fingerprint(code)].split(".")[1])
    assert real <= {"testing", "own_work", "data", "checks"}, real
    with open(os.path.join(build, "testing.py")) as fh:
        testing_text = fh.read()
    assert "def assert_close(" in testing_text
    assert "_np.ndindex" not in testing_text  # reference_numerical_gradient is a stub
    with open(os.path.join(build, "activations.py")) as fh:
        assert "np.maximum" not in fh.read()


def test_stubs_raise_plainly_and_checks_print_one_line(build):
    out = _in_build(build, """
import json
import numpy as np
from dlcourse.checks.ex04_activations import *
from dlcourse.testing import assert_close, self_check, reference_numerical_gradient
import dlcourse, dlcourse.activations, dlcourse.data
seen = {"check": check_relu(lambda t: t), "self_check": self_check(globals(), "04")}
for label, call in (("relu", lambda: dlcourse.activations.relu(np.ones(2))),
                    ("MLP", lambda: dlcourse.MLP([2, 1])),
                    ("table", lambda: dlcourse.ACTIVATIONS["relu"]),
                    ("reference", lambda: reference_numerical_gradient(sum, np.ones(2)))):
    try:
        call()
        seen[label] = "ran"
    except Exception as error:
        seen[label] = [type(error).__name__, str(error)]
assert_close(np.ones(2), [1.0, 1.0], "y")
seen["digits"] = list(dlcourse.data.load_digits()[0].shape)
print(json.dumps(seen))
""")
    lines = out.strip().split("\n")
    seen = json.loads(lines[-1])
    assert seen["check"] is None and seen["self_check"] is None
    assert lines[0].startswith("check_relu: the checks run when the notebook is graded")
    assert seen["relu"] == ["NotAvailableWhileGraded", MESSAGE]
    assert seen["MLP"][1].startswith("dlcourse.mlp.MLP is not available while a notebook")
    assert seen["table"][1].startswith("dlcourse.activations.ACTIVATIONS is not available")
    assert seen["reference"][1].startswith("dlcourse.testing.reference_numerical_gradient")
    assert seen["digits"] == [1797, 64]  # 08's data set stays real


def test_the_build_is_made_once_per_package_text(build, tmp_path, monkeypatch):
    assert kernel_package.ensure() == build
    assert os.path.basename(os.path.dirname(build)) == kernel_package.digest()
    # precompiled: every module has its bytecode beside it
    cached = os.listdir(os.path.join(build, "__pycache__"))
    assert any(name.startswith("activations.") for name in cached)
    # another cache folder: built again there, the same text
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    kernel_package._BUILT.clear()
    other = kernel_package.ensure()
    assert other.startswith(str(tmp_path)) and other != build
    with open(os.path.join(other, "activations.py")) as a, \
            open(os.path.join(build, "activations.py")) as b:
        assert a.read() == b.read()
    kernel_package._BUILT.clear()


PROBE = """
import json, os, sys, importlib.util
seen = {"loaded": sorted(m for m in sys.modules if m.startswith("dlcourse"))}
real = importlib.util.find_spec("dlcourse.activations").origin
with open(real) as fh:
    text = fh.read()
seen["file_has_implementation"] = "np.maximum" in text
import dlcourse.activations
seen["code_file"] = dlcourse.activations.relu.__code__.co_filename == real
try:
    seen["relu"] = float(dlcourse.activations.relu(2.0))
except Exception as error:
    seen["relu"] = str(error)
print(json.dumps(seen))
"""


@needs_sandbox
@pytest.mark.slow
@pytest.mark.parametrize("fork", ["1", "0"])
def test_a_judged_kernel_cannot_run_or_read_the_package(build, tmp_path, fork):
    env = {"DLCOURSE_KERNEL_PACKAGE": build, "DLCOURSE_FORKSERVER": fork}
    seen = json.loads(run_code(PROBE, cwd=str(tmp_path), env=env).stdout)
    assert seen["loaded"] == []  # a fresh kernel holds nothing of the package
    assert seen["relu"] == MESSAGE
    assert seen["code_file"] is True  # the stub sits at the package's path (the judge's test)
    assert seen["file_has_implementation"] is False
    # Control: a kernel the judge did not start (nbgrader validate: tests in the kernel) has
    # the real package.
    env.pop("DLCOURSE_KERNEL_PACKAGE")
    control = json.loads(run_code(PROBE, cwd=str(tmp_path), env=env).stdout)
    assert control["relu"] == 2.0 and control["file_has_implementation"] is True


NOTEBOOK_PROBE = """
import json, os
seen = {}
for name in ("graded.ipynb", "data.csv"):
    try:
        seen[name] = open(name).read()
    except OSError as exc:
        seen[name] = type(exc).__name__
try:
    with open("graded.ipynb", "w") as fh:
        fh.write("x")
    seen["write"] = "written"
except OSError as exc:
    seen["write"] = type(exc).__name__
print(json.dumps(seen))
"""


@needs_sandbox
@pytest.mark.slow
def test_a_judged_kernel_cannot_read_the_graded_notebook(build, tmp_path):
    """nbgrader grades the notebook in its working folder with the test cells restored, hidden
    parts included: a judged kernel (its tests run in the grading process) cannot read it or
    replace it, and still reads the data files beside it (review 21f, HT)."""
    (tmp_path / "graded.ipynb").write_text("HIDDEN-TEST-LINE")
    (tmp_path / "data.csv").write_text("1,2\n")
    seen = json.loads(run_code(NOTEBOOK_PROBE, cwd=str(tmp_path),
                               env={"DLCOURSE_KERNEL_PACKAGE": build}).stdout)
    assert "HIDDEN" not in seen["graded.ipynb"] and seen["data.csv"] == "1,2\n", seen
    assert seen["write"] != "written", seen
    assert (tmp_path / "graded.ipynb").read_text() == "HIDDEN-TEST-LINE"
    # Control: a kernel the judge did not start (its tests run in the kernel) reads it.
    control = json.loads(run_code(NOTEBOOK_PROBE, cwd=str(tmp_path), env={}).stdout)
    assert control["graded.ipynb"] == "HIDDEN-TEST-LINE", control


@needs_sandbox
def test_a_kernel_with_a_wrong_build_path_is_not_started(tmp_path, capfd):
    """Fail closed: a kernel the judge asked the build for never falls back to the package."""
    with pytest.raises(RuntimeError, match="died"):
        run_code("print('started')", cwd=str(tmp_path),
                 env={"DLCOURSE_KERNEL_PACKAGE": str(tmp_path), "DLCOURSE_FORKSERVER": "0"},
                 timeout=20)
    assert "DLCOURSE_KERNEL_PACKAGE: expected the absolute path of a kernel build" in \
        capfd.readouterr().err


HUNT = """
import json, os
PACKAGE = os.path.dirname(__import__("importlib.util").util.find_spec("dlcourse").origin)
found = []
roots = [r for r in ROOTS if os.path.isdir(r)]
for root in roots:
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in ("proc", "sys", "dev")]
        for name in files:
            path = os.path.join(folder, name)
            lower = name.lower()
            if lower.startswith("dlcourse") and lower.endswith((".whl", ".tar.gz", ".zip")):
                found.append(path)
            elif name == "activations.py" and os.path.basename(folder) == "dlcourse" \\
                    and not path.startswith(PACKAGE + os.sep):
                found.append(path)
            elif name == "activations.py" and path.startswith(PACKAGE + os.sep):
                try:
                    with open(path) as fh:
                        if "np.maximum" in fh.read():
                            found.append(path)
                except OSError:
                    pass
            elif name in ("RECORD", "SOURCES.txt") and "dlcourse" in folder:
                try:
                    with open(path) as fh:
                        for line in fh:
                            entry = line.split(",")[0].strip()
                            if entry.endswith("activations.py"):
                                for base in (folder, os.path.dirname(folder)):
                                    candidate = os.path.join(base, entry)
                                    if os.path.isfile(candidate) and \\
                                            not candidate.startswith(PACKAGE + os.sep):
                                        found.append(candidate)
                except OSError:
                    pass
print(json.dumps(sorted(set(found))))
"""


@needs_sandbox
@pytest.mark.slow
def test_no_copy_of_the_package_source_is_readable_in_a_judged_kernel(build, tmp_path):
    """The kernel looks everywhere it can (the venv, the course, the checkout's build
    folders, /tmp, /root, /srv, /home, /work, /opt) for the package's source: a wheel, a
    ``build/lib`` copy, the book's build, files listed in a RECORD; it finds none."""
    import dlcourse

    checkout = os.path.dirname(os.path.dirname(os.path.realpath(dlcourse.__file__)))
    roots = sorted({sys.prefix, checkout, "/tmp", "/root", "/srv", "/home", "/work", "/opt",
                    os.path.expanduser("~")})
    code = f"ROOTS = {roots!r}\n" + HUNT
    found = json.loads(run_code(code, cwd=str(tmp_path), timeout=300,
                                env={"DLCOURSE_KERNEL_PACKAGE": build}).stdout)
    assert found == []
    # Control: the same hunt in the package's folder finds the real file without the build.
    package = os.path.realpath(os.path.dirname(dlcourse.__file__))
    code = f"ROOTS = {[package]!r}\n" + HUNT
    leaked = json.loads(run_code(code, cwd=str(tmp_path), env={"DLCOURSE_SANDBOX": "0"}).stdout)
    assert leaked == [os.path.join(package, "activations.py")]


def test_the_copies_of_the_package_in_a_checkout_are_private(tmp_path, monkeypatch):
    """setuptools' ``build/lib``, the book's ``_build`` and ``_site_extra`` (the wheel it
    publishes), ``dist`` and the egg-info of the checkout the package is imported from are
    hidden from kernels like its ``solutions/``."""
    import importlib.machinery
    import importlib.util

    from dlgrade.sandbox import policy

    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (tmp_path / "dlcourse").mkdir()
    (tmp_path / "dlcourse" / "__init__.py").write_text("")
    copies = ("build", "_build", "_site_extra", "dist", "dlcourse.egg-info", "solutions")
    for name in copies + ("chapters",):
        (tmp_path / name).mkdir()
    spec = importlib.machinery.ModuleSpec("dlcourse", None,
                                          origin=str(tmp_path / "dlcourse" / "__init__.py"))
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: spec if name == "dlcourse" else None)
    hidden = {os.path.basename(d) for d in policy.checkout_private_dirs()}
    assert hidden == set(copies)
