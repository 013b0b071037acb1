"""Per-student isolation of the grading sandbox, proved with real kernels.

Every kernel comes from the same fork server (this test process's), as in a grading
worker; each test also checks the sandbox-off control where a leak is possible, so the
tests can fail.
"""

import json
import os
import socket

import pytest

from dlgrade.sandbox import jail
from dlgrade.sandbox.kernels import run_code

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(jail.probe() is not None,
                       reason=f"sandbox unavailable here: {jail.probe()}"),
]

OFF = {"DLCOURSE_SANDBOX": "0"}


def test_state_set_by_one_student_is_invisible_to_the_next(tmp_path, monkeypatch):
    from dlgrade.sandbox import forkserver

    # a fresh fork server that has preloaded scikit-learn, as for an assignment importing it
    monkeypatch.setenv("DLCOURSE_FORKSERVER_PRELOAD", "sklearn.linear_model")
    forkserver.shutdown()
    polluter = """
import builtins, os, sys, types, random
import numpy as np
LEAKED_GLOBAL = 1
builtins.LEAKED_BUILTIN = 2
np.isclose = lambda *a, **k: True
np.testing.assert_allclose = lambda *a, **k: None
sys.modules["leaked_module"] = types.ModuleType("leaked_module")
os.environ["LEAKED_ENV"] = "1"
np.random.seed(1234)
random.seed(1234)
import sklearn, sklearn.linear_model  # preloaded by the fork server when a test imports it
sklearn.linear_model.LogisticRegression = None
sklearn.set_config(assume_finite=True)
print("polluted")
"""
    probe = """
import builtins, json, os, sys, random
import numpy as np
print(json.dumps({
    "preloaded": "sklearn.linear_model" in sys.modules,
    "global": "LEAKED_GLOBAL" in globals(),
    "builtin": hasattr(builtins, "LEAKED_BUILTIN"),
    "isclose": bool(np.isclose(1.0, 2.0)),
    "assert_allclose_patched": np.testing.assert_allclose.__name__ == "<lambda>",
    "module": "leaked_module" in sys.modules,
    "env": "LEAKED_ENV" in os.environ,
    "np_random": float(np.random.rand()),
    "py_random": random.random(),
    "sklearn_patched": __import__("sklearn.linear_model").linear_model.LogisticRegression is None,
    "sklearn_config": __import__("sklearn").get_config()["assume_finite"],
}))
"""
    assert run_code(polluter, cwd=str(tmp_path)).stdout.strip() == "polluted"
    first = json.loads(run_code(probe, cwd=str(tmp_path)).stdout)
    second = json.loads(run_code(probe, cwd=str(tmp_path)).stdout)
    assert first["preloaded"] and second["preloaded"]
    for seen in (first, second):
        assert not any(seen[k] for k in ("global", "builtin", "isclose",
                                        "assert_allclose_patched", "module", "env",
                                        "sklearn_patched", "sklearn_config")), seen
    # Fresh random state per kernel: not the polluter's seed, not a copy of the server's.
    import numpy as np

    seeded = np.random.RandomState(1234).rand()
    assert seeded not in (first["np_random"], second["np_random"])
    assert first["np_random"] != second["np_random"]
    assert first["py_random"] != second["py_random"]


@pytest.fixture
def course(course_dir):
    """A course folder (outside /tmp) holding a secret in every place a student must not read."""
    root = course_dir
    files = {
        "nbgrader_config.py": "c = get_config()\n",
        "gradebook.db": "SECRET-GRADEBOOK",
        "solutions/ps1/ps1.ipynb": "SECRET-SOLUTION",
        "submitted/alice/ps1/ps1.ipynb": "SECRET-ALICE-SUBMISSION",
        "autograded/alice/ps1/ps1.ipynb": "SECRET-ALICE-AUTOGRADED",
        "feedback/alice/ps1/ps1.html": "SECRET-FEEDBACK",
        "submitted/bob/ps1/ps1.ipynb": "SECRET-BOB-ORIGINAL",
        "autograded/bob/ps1/ps1.ipynb": "bob's own notebook",
        "exercises/ps1/ps1.ipynb": "public release",
    }
    for rel, text in files.items():
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as fh:
            fh.write(text)
    return root


SNOOP = """
import json, os
found = {}
for rel in ["gradebook.db", "solutions/ps1/ps1.ipynb", "submitted/alice/ps1/ps1.ipynb",
            "autograded/alice/ps1/ps1.ipynb", "feedback/alice/ps1/ps1.html",
            "submitted/bob/ps1/ps1.ipynb", "nbgrader_config.py"]:
    try:
        found[rel] = open(os.path.join(ROOT, rel)).read()
    except OSError as exc:
        found[rel] = type(exc).__name__
listing = {}
for rel in ["solutions", "submitted", "autograded", "feedback"]:
    try:
        listing[rel] = sorted(os.listdir(os.path.join(ROOT, rel)))
    except OSError as exc:
        listing[rel] = type(exc).__name__
own = open("ps1.ipynb").read()
with open("scratch.txt", "w") as fh:
    fh.write("written by the kernel")
print(json.dumps({"found": found, "listing": listing, "own": own,
                  "scratch": open("scratch.txt").read(), "public":
                  open(os.path.join(ROOT, "exercises/ps1/ps1.ipynb")).read()}))
"""


def test_kernel_cannot_read_solutions_gradebook_or_other_students(course):
    workdir = os.path.join(course, "autograded", "bob", "ps1")
    code = f"ROOT = {course!r}\n" + SNOOP
    seen = json.loads(run_code(code, cwd=workdir).stdout)
    assert not any("SECRET" in text for text in seen["found"].values()), seen["found"]
    assert seen["listing"]["solutions"] == []
    assert seen["listing"]["submitted"] == []
    assert seen["listing"]["feedback"] == []
    assert seen["listing"]["autograded"] == ["bob"]  # only the student's own folder
    assert seen["own"] == "bob's own notebook"
    assert seen["scratch"] == "written by the kernel"  # the working folder is writable
    assert seen["public"] == "public release"
    # ... and what the kernel wrote vanished with it: the host folder is unchanged.
    assert sorted(os.listdir(workdir)) == ["ps1.ipynb"]
    # The exec'd kernelspec wrapper (no fork server) builds the same view.
    execd = json.loads(run_code(code, cwd=workdir, env={"DLCOURSE_FORKSERVER": "0"}).stdout)
    assert execd["found"] == seen["found"] and execd["listing"] == seen["listing"]

    # Control: without the sandbox the same code reads everything.
    leaked = json.loads(run_code(code, cwd=workdir, env=OFF).stdout)
    assert leaked["found"]["solutions/ps1/ps1.ipynb"] == "SECRET-SOLUTION"
    assert leaked["found"]["gradebook.db"] == "SECRET-GRADEBOOK"
    os.remove(os.path.join(workdir, "scratch.txt"))


def test_kernel_has_no_network(tmp_path):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    port = server.getsockname()[1]
    code = f"""
import socket
try:
    socket.create_connection(("127.0.0.1", {port}), timeout=3).close()
    print("connected")
except OSError as exc:
    print("blocked", type(exc).__name__)
"""
    try:
        assert run_code(code, cwd=str(tmp_path)).stdout.startswith("blocked")
        assert run_code(code, cwd=str(tmp_path), env=OFF).stdout.strip() == "connected"
    finally:
        server.close()


def test_memory_bomb_gets_memory_error_and_kernel_survives(tmp_path):
    run = run_code("x = bytearray(3 * 2**30)", cwd=str(tmp_path),
                   env={"DLCOURSE_SANDBOX_MEMORY": "1G"})
    assert run.status == "error" and run.error.startswith("MemoryError"), run
    assert not run.died


def test_cpu_hog_kernel_is_killed_and_the_next_kernel_runs(tmp_path):
    run = run_code("while True:\n    pass", cwd=str(tmp_path),
                   env={"DLCOURSE_SANDBOX_CPU": "2"}, timeout=30)
    assert run.died, run
    assert run_code("print(6 * 7)", cwd=str(tmp_path)).stdout.strip() == "42"


def _sandbox_processes(only_uid=None) -> list:
    """Pids of processes running with a sandbox uid (2e9 + waiter pid), or with ``only_uid``."""
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/status") as fh:
                    uid = next(int(line.split()[1]) for line in fh if line.startswith("Uid:"))
            except (OSError, StopIteration):
                continue
            if (uid == only_uid) if only_uid is not None else uid >= 2_000_000_000:
                pids.append(int(entry))
    return pids


def test_fork_bomb_is_capped_and_nothing_outlives_the_kernel(tmp_path):
    bomb = """
import os, time
n = 0
try:
    while True:
        if os.fork() == 0:
            time.sleep(600)
            os._exit(0)
        n += 1
except OSError as exc:
    print("stopped after", n, type(exc).__name__, "uid", os.getuid())
"""
    run = run_code(bomb, cwd=str(tmp_path), env={"DLCOURSE_SANDBOX_NPROC": "64"})
    assert run.stdout.startswith("stopped after"), run
    assert int(run.stdout.split()[2]) < 64
    # Only this kernel's uid counts: other sandboxed kernels (parallel graders) may be running.
    kernel_uid = int(run.stdout.split()[-1])
    import time

    deadline = time.time() + 30
    while _sandbox_processes(kernel_uid) and time.time() < deadline:
        time.sleep(0.1)
    assert not _sandbox_processes(kernel_uid), "processes of the fork bomb outlived its kernel"
    assert run_code("print('next')", cwd=str(tmp_path)).stdout.strip() == "next"


def test_kernel_cannot_see_or_signal_the_grader(tmp_path):
    code = f"""
import os
print(os.getppid())
try:
    os.kill({os.getpid()}, 0)
    print("can signal the grader")
except OSError as exc:
    print("cannot signal the grader", type(exc).__name__)
"""
    out = run_code(code, cwd=str(tmp_path)).stdout.splitlines()
    assert out[0] == "0"  # pid 1 of its own pid namespace: no visible parent
    assert out[1].startswith("cannot signal the grader")
    control = run_code(code, cwd=str(tmp_path), env=OFF).stdout.splitlines()
    assert control[1] == "can signal the grader"


def test_forked_kernel_shuts_down_gracefully_by_itself(tmp_path):
    """A shutdown request ends the forked kernel cleanly (exit 0, not killed)."""
    import asyncio

    from jupyter_client.manager import AsyncKernelManager

    async def graceful():
        km = AsyncKernelManager(kernel_name="dlcourse-sandbox")
        await km.start_kernel(cwd=str(tmp_path))
        kc = km.client()
        kc.start_channels()
        await kc.wait_for_ready(timeout=60)
        reply = await kc.execute_interactive("x = 1", timeout=30)
        kc.stop_channels()
        provisioner = km.provisioner
        await km.request_shutdown()
        for _ in range(300):
            code = await provisioner.poll()
            if code is not None:
                break
            await asyncio.sleep(0.01)
        await km.shutdown_kernel(now=True)
        return reply["content"]["status"], code

    assert asyncio.run(graceful()) == ("ok", 0)


def test_kernel_cannot_leave_files_for_the_next_student(course):
    """World-writable host folders are read-only inside; scratch space is per kernel."""
    drop = os.path.join(course, "drop")
    os.makedirs(drop)
    os.chmod(drop, 0o1777)
    workdir = os.path.join(course, "autograded", "bob", "ps1")
    code = f"""
import os
for path in [{drop!r} + "/note.txt", "/tmp/note.txt", "/var/tmp/note.txt", "/dev/shm/note.txt"]:
    try:
        with open(path, "w") as fh:
            fh.write("from the previous student")
        print("wrote", path)
    except OSError as exc:
        print("blocked", path, type(exc).__name__)
"""
    out = run_code(code, cwd=workdir).stdout
    assert f"blocked {drop}/note.txt" in out
    assert os.listdir(drop) == []
    reader = """
import os
print([p for p in ["/tmp/note.txt", "/var/tmp/note.txt", "/dev/shm/note.txt"]
       if os.path.exists(p)])
"""
    assert run_code(reader, cwd=workdir).stdout.strip() == "[]"
    # Control: without the sandbox the drop folder takes the file.
    run_code(f"open({drop!r} + '/note.txt', 'w').write('x')", cwd=workdir, env=OFF)
    assert os.listdir(drop) == ["note.txt"]


def test_run_code_works_inside_a_running_event_loop(tmp_path):
    # Playwright's sync API (browser tests, same pytest process) keeps a loop running.
    import asyncio

    async def inside_a_loop():
        return run_code("print(6 * 7)", cwd=str(tmp_path))

    assert asyncio.run(inside_a_loop()).stdout.strip() == "42"


MEMORY_SCAN = r"""
import ctypes, re
# the secret's two halves: the whole secret is never spelled out in this process by the scan
head, tail = bytes.fromhex(HEAD_HEX), bytes.fromhex(TAIL_HEX)
found = 0
with open("/proc/self/maps") as maps:
    regions = [line.split() for line in maps]
for fields in regions:
    if not fields[1].startswith("rw") or (len(fields) > 5 and fields[5].startswith(("/", "["))
                                          and fields[5] != "[heap]"):
        continue  # the process's own writable, anonymous memory (heap, arenas), read in place
    start, end = (int(x, 16) for x in fields[0].split("-"))
    view = memoryview((ctypes.c_char * (end - start)).from_address(start)).cast("B")
    for match in re.finditer(re.escape(head), view):
        found += bytes(view[match.end():match.end() + len(tail)]) == tail
print("found", found)
"""


def test_fork_server_memory_holds_no_solution_text(course, monkeypatch):
    """Kernels are forked from the server, so they inherit its memory: the server must never
    have read the instructor's notebooks (it is only told which modules to import)."""
    from dlgrade.sandbox import forkserver

    secret = "SECRET-SOLUTION-" + "7f3a9c" * 4
    nb = {"cells": [{"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
                     "source": f"import wave\nANSWER = {secret!r}\n" * 50}],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    with open(os.path.join(course, "solutions", "ps1", "ps1.ipynb"), "w") as fh:
        json.dump(nb, fh)
    monkeypatch.setenv("DLCOURSE_FORKSERVER_SOURCES", os.path.join(course, "solutions"))
    forkserver.shutdown()  # the next kernel comes from a server started with these sources
    half = len(secret) // 2
    code = MEMORY_SCAN.replace("HEAD_HEX", repr(secret[:half].encode().hex())).replace(
        "TAIL_HEX", repr(secret[half:].encode().hex()))
    control = run_code(f"x = {secret!r}\n" + code, cwd=course)  # the scan can find it
    assert control.stdout.strip().startswith("found") and control.stdout.split()[-1] != "0", control
    run = run_code("import sys\nprint('preloaded', 'wave' in sys.modules)\n" + code,
                   cwd=course)
    assert "preloaded True" in run.stdout, run
    assert run.stdout.strip().endswith("found 0"), run


@pytest.mark.parametrize("env", [{}, {"DLCOURSE_FORKSERVER": "0"}, OFF],
                         ids=["forked", "execd", "sandbox-off"])
def test_warnings_go_to_stdout_so_they_cost_no_points(tmp_path, env):
    """nbgrader scores a test cell with stderr output 0: a warning raised by correct code must
    be shown to the student, not turned into a silent zero. Explicit writes to stderr and
    errors still reach stderr."""
    code = """
import sys, warnings
import numpy as np
warnings.warn("a harmless warning")
np.exp(np.array([1000.0]))  # RuntimeWarning: overflow
print("done")
sys.stderr.write("written to stderr on purpose\\n")
"""
    run = run_code(code, cwd=str(tmp_path), env=env)
    assert run.status == "ok", run
    assert "UserWarning: a harmless warning" in run.stdout, run
    assert "RuntimeWarning: overflow" in run.stdout, run
    assert "done" in run.stdout
    assert run.stderr == "written to stderr on purpose\n", run
