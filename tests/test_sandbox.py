"""The sandboxed kernelspec under plain ``nbgrader autograde`` (no dlcourse CLI involved).

A tiny course (dlgrade.sandbox.demo) is graded by the nbgrader command line with the
course's nbgrader_config.py calling ``configure_nbgrader(c)``. A snooping submission tries
to copy the instructor's solution; hostile ones crash, segfault or exhaust memory. Only
they fail; the honest student's grade is unaffected.
"""

import json
import os
import shutil
import subprocess
import sys

import pytest

from dlgrade.course import run_nbgrader, tools_env
from dlgrade.sandbox import demo, jail, kernelspec

pytestmark = pytest.mark.slow

needs_sandbox = pytest.mark.skipif(jail.probe() is not None,
                                   reason=f"sandbox unavailable here: {jail.probe()}")

CORRECT = "def squares(n):\n    return [i * i for i in range(n)]\n"
SNOOP = '''import json, os
def squares(n):
    return []
root = os.path.abspath("../../..")
try:  # copy the instructor's solution cell, if it can be read
    nb = json.load(open(os.path.join(root, "solutions", "ps1", "ps1.ipynb")))
    exec("".join(nb["cells"][1]["source"]))
    print("READ THE SOLUTION")
except OSError as exc:
    print("solution hidden:", type(exc).__name__)
try:
    print("gradebook bytes:", len(open(os.path.join(root, "gradebook.db"), "rb").read()))
except OSError as exc:
    print("gradebook hidden:", type(exc).__name__)
'''
CRASH = "import os\nos._exit(1)\n"
SEGFAULT = "import ctypes\nctypes.string_at(0)\n"
MEMORY_BOMB = "hog = [bytearray(2**28) for _ in range(64)]\n" + CORRECT


@pytest.fixture
def course(course_dir):
    return demo.make_course(course_dir, timeout=20)


@needs_sandbox
def test_plain_nbgrader_autograde_is_sandboxed(course):
    for student, code in [("alice", CORRECT), ("mallory", SNOOP), ("crash", CRASH),
                          ("segv", SEGFAULT), ("hog", MEMORY_BOMB)]:
        demo.submit(course, student, code)
    env = dict(os.environ, DLCOURSE_SANDBOX_MEMORY="1G")
    proc = run_nbgrader(course, "autograde", demo.ASSIGNMENT, env=env, check=False)
    scores = demo.scores(course)
    assert scores["alice"] == 3.0, proc.stderr[-3000:]
    assert scores["mallory"] == 0.0
    out = demo.outputs(course, "mallory")
    assert "solution hidden: FileNotFoundError" in out
    assert "gradebook hidden:" in out  # /dev/null on a nodev mount: PermissionError
    assert "READ THE SOLUTION" not in out
    # The crashing ones fail alone: no score for them (nbgrader removes their notebook).
    for student in ("crash", "segv"):
        assert scores.get(student, 0.0) == 0.0
    assert scores.get("hog", 0.0) == 0.0

    # Control: with the sandbox off, the very same submission reads the solution.
    env_off = dict(os.environ, DLCOURSE_SANDBOX="0")
    run_nbgrader(course, "autograde", demo.ASSIGNMENT, "--student", "mallory", "--force",
                 env=env_off)
    assert "READ THE SOLUTION" in demo.outputs(course, "mallory")
    assert demo.scores(course)["mallory"] == 3.0


def test_kernelspec_is_installed_idempotently_and_refreshed_when_stale(tmp_path):
    folder = kernelspec.install_kernelspec(prefix=str(tmp_path))
    path = os.path.join(folder, "kernel.json")
    spec = json.load(open(path))
    assert spec["metadata"]["kernel_provisioner"]["provisioner_name"] == "dlcourse-sandbox"
    assert spec["argv"][1].endswith(os.path.join("dlgrade", "sandbox", "launch.py"))
    assert "{connection_file}" in spec["argv"]
    stamp = os.stat(path).st_mtime_ns
    kernelspec.install_kernelspec(prefix=str(tmp_path))
    assert os.stat(path).st_mtime_ns == stamp  # unchanged spec: not rewritten
    with open(path, "w") as fh:
        json.dump({"argv": ["python"]}, fh)
    kernelspec.install_kernelspec(prefix=str(tmp_path))
    assert json.load(open(path)) == spec


def test_configure_nbgrader_selects_the_sandboxed_kernel(monkeypatch):
    from traitlets.config import Config

    from dlgrade.sandbox import configure_nbgrader

    monkeypatch.delenv("DLCOURSE_FORKSERVER_SOURCES", raising=False)
    c = Config()
    c.CourseDirectory.source_directory = "solutions"
    configure_nbgrader(c)
    assert c.Execute.kernel_name == kernelspec.KERNEL_NAME
    assert c.Execute.shutdown_kernel == "immediate"
    assert os.path.exists(os.path.join(kernelspec.kernelspec_dir(), "kernel.json"))
    # the fork server is told where the instructor's notebooks are, to preload their imports
    assert os.environ["DLCOURSE_FORKSERVER_SOURCES"] == "solutions"


def _write_notebook(path, *sources):
    import nbformat

    os.makedirs(os.path.dirname(path), exist_ok=True)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    nbformat.write(nb, path)


def test_notebook_imports_reads_every_absolute_import(tmp_path):
    from dlgrade.sandbox.forkserver import notebook_imports, source_imports

    path = str(tmp_path / "src" / "ps1" / "ps1.ipynb")
    _write_notebook(
        path,
        "%matplotlib inline\nimport numpy as np, json.decoder\n",
        "def f():\n    from sklearn.linear_model import LogisticRegression\n    return 1\n",
        "from . import sibling\nfrom .. import cousin\n",  # relative: not preloadable
        "def broken(:\n    import should_not_be_seen\n",  # does not parse: skipped
        "!pip list\nimport email.parser\nimport numpy\n",
    )
    assert notebook_imports(path) == ["numpy", "json.decoder", "sklearn.linear_model",
                                      "email.parser"]
    _write_notebook(str(tmp_path / "src" / "ps2" / "ps2.ipynb"),
                    "import no_such_module_anywhere\nimport csv\n")
    assert source_imports(str(tmp_path / "src")) == (
        "numpy", "json.decoder", "sklearn.linear_model", "email.parser", "csv")
    assert notebook_imports(str(tmp_path / "missing.ipynb")) == []
    (tmp_path / "bad.ipynb").write_text("{not json")
    assert notebook_imports(str(tmp_path / "bad.ipynb")) == []


def test_fork_server_preloads_what_the_source_notebooks_import(tmp_path):
    """What the instructor's notebooks import is imported once in the server, so each
    forked kernel starts with it (scikit-learn costs ~0.9 s per kernel otherwise)."""
    _write_notebook(str(tmp_path / "solutions" / "ps1" / "ps1.ipynb"),
                    "from sklearn.linear_model import LogisticRegression\n"
                    "from dlcourse.testing import assert_close\n")
    wanted = "m in ('sklearn.linear_model', 'dlcourse.testing', 'numpy')"
    # ... but nothing of the course package: every kernel is a copy of the server, and a judged
    # kernel must hold no implementation of it (dlgrade.sandbox.kernel_package)
    assert _preloaded(tmp_path, "solutions", wanted) == "['numpy', 'sklearn.linear_model']"
    assert "sklearn.linear_model" not in _preloaded(tmp_path, tmp_path / "elsewhere", wanted)


def _preloaded(tmp_path, sources, wanted: str) -> str:
    """The modules of the fork server's ``sys.modules`` that ``wanted`` (an expression of
    ``m``) keeps, once it has preloaded what the notebooks under ``sources`` import."""
    code = ("import os, sys\nfrom dlgrade.sandbox import forkserver\n"
            "env = forkserver.server_env(os.environ)\n"
            "assert 'DLCOURSE_FORKSERVER_SOURCES' not in env\n"
            "os.environ.clear(); os.environ.update(env); forkserver._preload()\n"
            f"print(sorted(m for m in sys.modules if {wanted}))\n")
    env = dict(os.environ, DLCOURSE_FORKSERVER_SOURCES=str(sources))
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env,
                          capture_output=True, text=True, check=True)
    return done.stdout.split("\n")[0]


def test_fork_server_preloads_what_the_course_package_imports_inside_its_functions(tmp_path):
    """``dlcourse.data.load_digits`` imports scikit-learn only when called: exercise 08's
    notebook names ``dlcourse.data``, so the server imports ``sklearn.datasets`` once (each
    kernel paid ~1.75 s of CPU for it) -- and still nothing of the course package."""
    from dlgrade.sandbox.forkserver import package_imports

    assert "sklearn.datasets" in package_imports("dlcourse.data")
    assert not [n for n in package_imports("dlcourse.data") if n.startswith("dlcourse")]
    assert package_imports("sklearn.datasets") == package_imports("dlcourse") == []
    assert package_imports("dlcourse.no_such_module") == []
    _write_notebook(str(tmp_path / "solutions" / "ps8" / "ps8.ipynb"),
                    "from dlcourse.data import load_digits\n")
    assert _preloaded(tmp_path, "solutions", "m == 'sklearn.datasets' or "
                      "m.startswith('dlcourse')") == "['sklearn.datasets']"


FORKED_CHILD = '''import importlib.util, os, sys
from dlgrade.sandbox import forkserver
forkserver._preload()
forkserver._read_code_tables()
from dlgrade import judge_code
import ipykernel.kernelbase, jupyter_client.session
pid = os.fork()
if pid == 0:
    read = set(judge_code._FILE_CODES)
    record = judge_code._Record()
    record.enable()
    out = [sys.getprofile() is None, importlib.util.module_from_spec(sys.__spec__) is sys,
           sys.getprofile() is None, type(judge_code._getprofile()).__name__]
    record.disable()
    mine = lambda *a: None
    sys.setprofile(mine)
    out.append(sys.getprofile() is mine)
    sys.setprofile(None)
    own = [ipykernel.kernelbase.Kernel.dispatch_shell, jupyter_client.session.Session.send]
    out.append(all(judge_code._genuine(f.__code__) for f in own))
    out.append(set(judge_code._FILE_CODES) == read)  # nothing had to be read in the child
    # and the loop's and the agent's code is classified already, each kind the child's own
    # reading of that code object (read afresh here, not from the table)
    from dlgrade import judge_agent
    kinds = judge_code.Recorder._kinds
    recorder = judge_code.Recorder(skip=judge_agent._GRADER)
    handle = judge_agent.handle.__code__
    out.append(kinds.get(id(handle)) == (handle, "grader") and len(kinds) > 100 and all(
        judge_code._code_kind(code, recorder.skip, recorder._roots, recorder._package) == kind
        for code, kind in list(kinds.values())))
    print(out, flush=True)
    os._exit(0)
os.waitpid(pid, 0)
'''


def test_a_forked_kernel_starts_with_the_profilers_hidden_and_its_loop_tables_read():
    """The server hides the grader's profilers from ``sys.getprofile``, reads the code
    tables of the kernel's message loop and classifies that code before it forks, so no
    judged kernel pays for any of it again (~100 ms of CPU each): a forked child finds all
    done, in ``sys`` and in CPython's saved copy of it alike, a student's own profile is
    still theirs to read, and every kind found classified is the child's own reading."""
    done = subprocess.run([sys.executable, "-c", FORKED_CHILD], capture_output=True,
                          text=True, check=True)
    assert done.stdout.strip() == "[True, True, True, '_Record', True, True, True, True]", (
        done.stdout + done.stderr)


def test_fork_server_loads_no_grading_tool():
    """The server (``python -m dlgrade.sandbox.forkserver``), of which every kernel is a
    copy, loads the sandbox's own modules only: importing the ``dlgrade`` package does not
    pull in nbgrader, Dask or the engine (that cost ~1.5 s of CPU per grading process)."""
    code = ("import sys\nimport dlgrade.sandbox.forkserver, dlgrade.sandbox.jail, "
            "dlgrade.sandbox.launch\n"
            "print(sorted(m for m in ('nbgrader', 'distributed', 'dlgrade.engine', "
            "'dlgrade.cluster', 'sqlalchemy') if m in sys.modules))\n"
            "import dlgrade\nprint(dlgrade.grade_assignment.__module__)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    # the package's public names still work: loaded on first use
    assert done.stdout.split("\n")[:2] == ["[]", "dlgrade.engine"], done.stdout


@needs_sandbox
def test_without_privileges_the_kernel_is_refused_with_a_clear_message(course):
    """Without CAP_SYS_ADMIN the kernel must not start unsandboxed."""
    if os.geteuid() != 0:
        pytest.skip("as a normal user the rootless mode applies: its refusal is tested in "
                    "tests/test_rootless.py")
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("setpriv (util-linux) not installed")
    demo.submit(course, "alice", CORRECT)
    proc = subprocess.run(
        [setpriv, "--bounding-set=-all", "--inh-caps=-all", "--",
         os.path.join(os.path.dirname(sys.executable), "nbgrader"), "autograde",
         demo.ASSIGNMENT],
        cwd=course, env=tools_env(), capture_output=True, text=True)
    log = proc.stdout + proc.stderr
    assert "dlcourse sandbox: cannot isolate the student's kernel" in log, log[-3000:]
    assert "DLCOURSE_SANDBOX=0" in log
    assert demo.scores(course).get("alice", 0.0) == 0.0


def test_fork_server_shuts_down_cleanly_on_request():
    """Closing the handle makes the server see EOF and exit by itself (exit 0), rather than
    being killed after a timeout because a reader still held the socket open."""
    from dlgrade.sandbox import forkserver

    forkserver.shutdown()
    server = forkserver.get_server()
    assert server.alive()
    forkserver.shutdown()
    assert server.process.returncode == 0
    assert forkserver._SERVER is None


def test_a_grading_process_starts_its_fork_server_early_for_the_sandboxed_kernel_only():
    """``start_fork_server`` (called when a grading process is ready) starts the server the
    first kernel launch would start, without waiting for its imports; its first request
    waits for them. With any other kernel it starts nothing."""
    from traitlets.config import Config

    from dlgrade.sandbox import KERNEL_NAME, forkserver
    from dlgrade.worker import start_fork_server

    forkserver.shutdown()
    other = Config()
    other.Execute.kernel_name = "python3"
    start_fork_server(other)
    assert forkserver._SERVER is None
    sandboxed = Config()
    sandboxed.Execute.kernel_name = KERNEL_NAME
    try:
        start_fork_server(sandboxed)
        server = forkserver._SERVER
        assert server is not None and server.alive() and not server._ready
        assert forkserver.get_server() is server  # the launch finds it, and waits for it
        assert server._ready
        assert server.request(op="wait", pid=1) == {"code": None}  # it answers requests
    finally:
        forkserver.shutdown()
    assert server.process.returncode == 0
