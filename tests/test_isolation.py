"""Per-student isolation of the grading sandbox, proved with real kernels.

Every kernel comes from the same fork server (this test process's), as in a grading
worker; each test also checks the sandbox-off control where a leak is possible, so the
tests can fail.
"""

import json
import os
import socket
import time

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
try:
    public = open(os.path.join(ROOT, "exercises/ps1/ps1.ipynb")).read()
except OSError as exc:
    public = type(exc).__name__
print(json.dumps({"found": found, "listing": listing, "own": own,
                  "scratch": open("scratch.txt").read(), "public": public}))
"""


def test_kernel_cannot_read_solutions_gradebook_or_other_students(course):
    workdir = os.path.join(course, "autograded", "bob", "ps1")
    code = f"ROOT = {course!r}\n" + SNOOP
    seen = json.loads(run_code(code, cwd=workdir).stdout)
    assert not any("SECRET" in text for text in seen["found"].values()), seen["found"]
    # The course folder is an allow-list: only the path down to the working folder exists.
    assert seen["listing"]["solutions"] == "FileNotFoundError"
    assert seen["listing"]["submitted"] == "FileNotFoundError"
    assert seen["listing"]["feedback"] == "FileNotFoundError"
    assert seen["listing"]["autograded"] == ["bob"]  # only the student's own folder
    assert seen["own"] == "bob's own notebook"
    assert seen["scratch"] == "written by the kernel"  # the working folder is writable
    assert seen["public"] == "FileNotFoundError"  # not needed: the kernel has its own copy
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


def test_kernel_cannot_read_the_solutions_of_the_checkout_it_imports_dlcourse_from(tmp_path):
    """An editable install (``make install``) puts the package beside ``solutions/`` (every
    exercise's hidden tests) and ``tests/independent`` (correct answers): a kernel found them
    from ``np.__file__`` or ``dlcourse.__file__`` and printed them into its feedback (hostile
    review of issue 21). The sandbox hides the checkout's private folders."""
    from dlgrade.sandbox.policy import checkout_private_dirs

    private = checkout_private_dirs()
    if not private:
        pytest.skip("dlcourse is not imported from a source checkout here")
    code = """
import json, os, dlcourse
checkout = os.path.dirname(os.path.dirname(dlcourse.__file__))
seen = {}
for rel in ("solutions/02_neuron/02_neuron.ipynb", "tests/independent/ex02_neuron.py"):
    try:
        with open(os.path.join(checkout, rel)) as fh:
            seen[rel] = "BEGIN HIDDEN" in fh.read() or "VARIANTS" in fh.read() or "read"
    except OSError as error:
        seen[rel] = type(error).__name__
import dlcourse.activations
seen["package"] = float(dlcourse.activations.sigmoid(0.0))
print(json.dumps(seen))
"""
    seen = json.loads(run_code(code, cwd=str(tmp_path)).stdout)
    assert seen["package"] == 0.5  # the package itself stays importable
    assert seen["solutions/02_neuron/02_neuron.ipynb"] in ("FileNotFoundError", "PermissionError")
    assert seen["tests/independent/ex02_neuron.py"] in ("FileNotFoundError", "PermissionError")
    # Control: without the sandbox the same code reads them.
    leaked = json.loads(run_code(code, cwd=str(tmp_path), env=OFF).stdout)
    assert leaked["solutions/02_neuron/02_neuron.ipynb"] is True
    assert leaked["tests/independent/ex02_neuron.py"] is not False
    assert leaked["tests/independent/ex02_neuron.py"] not in ("FileNotFoundError",
                                                             "PermissionError")


HOST_HUNT = """
import glob, json, os
found = {"solutions": [], "gradebooks": [], "read": {}}
# What a hostile submission would do: look for every clone's solutions and every course's
# gradebook anywhere on the host (a few levels deep from /, deeper in the top-level folder
# that holds the decoys: /srv, or the rootless run's base), and try the decoys' exact paths.
top = "/" + DECOYS.strip("/").split("/")[0] + "/"
for start, depths in (("/", range(0, 4)), (top, range(0, DECOYS.count("/") + 2))):
    for depth in depths:
        found["solutions"] += glob.glob(start + "*/" * depth + "solutions/*/*.ipynb")
        found["gradebooks"] += glob.glob(start + "*/" * depth + "gradebook.db")
found["solutions"] = sorted(set(found["solutions"]))
found["gradebooks"] = sorted(set(found["gradebooks"]))
found["solutions"] = [p for p in found["solutions"] if p.startswith(DECOYS)]
found["gradebooks"] = [p for p in found["gradebooks"] if p.startswith(DECOYS)]
for path in PATHS:
    try:
        with open(path) as fh:
            found["read"][path] = fh.read()
    except OSError as exc:
        found["read"][path] = type(exc).__name__
try:
    found["listing"] = os.listdir(DECOYS)
except OSError as exc:
    found["listing"] = type(exc).__name__
try:
    found["own_exercise"] = open(os.path.join(OWN, "exercises/ps1/ps1.ipynb")).read()
except OSError as exc:
    found["own_exercise"] = type(exc).__name__
found["etc"] = sorted(os.listdir("/etc"))
try:
    open("/etc/left-for-the-next-student", "w").close()
    found["etc_write"] = "written"
except OSError as exc:
    found["etc_write"] = type(exc).__name__
print(json.dumps(found))
"""


def test_kernel_cannot_find_other_checkouts_or_other_courses_on_the_host(course_dir):
    """Hostile review 21b, hole 6: the kernel globbed ``/work/*/solutions/03_networks/*.ipynb``
    (another clone of the repository: a later exercise's hidden tests) and printed it into
    its feedback; other courses' gradebooks and students' notebooks were as open. The kernel's
    view is an allow-list: system folders, Python, the packages, its own working folder."""
    own = os.path.join(course_dir, "current")
    decoy_files = {
        "clone/pyproject.toml": "[project]\nname = 'dlcourse'\n",
        "clone/solutions/03_networks/03_networks.ipynb": "BEGIN HIDDEN TESTS of the clone",
        "other-course/nbgrader_config.py": "c = get_config()\n",
        "other-course/gradebook.db": "OTHER-COURSE-GRADES",
        "other-course/solutions/ps1/ps1.ipynb": "OTHER-COURSE-SOLUTION",
        "other-course/autograded/carol/ps1/ps1.ipynb": "CAROL-GRADED-NOTEBOOK",
        "current/nbgrader_config.py": "c = get_config()\n",
        "current/exercises/ps1/ps1.ipynb": "public release",
        "current/autograded/bob/ps1/ps1.ipynb": "bob's own notebook",
    }
    for rel, text in decoy_files.items():
        path = os.path.join(course_dir, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as fh:
            fh.write(text)
    for folder, dirs, files in os.walk(course_dir):  # world-readable, as a clone usually is
        for name in dirs:
            os.chmod(os.path.join(folder, name), 0o755)
        for name in files:
            os.chmod(os.path.join(folder, name), 0o644)
    secrets = [os.path.join(course_dir, rel) for rel in decoy_files
               if not rel.startswith(("current/", "clone/pyproject"))
               and not rel.endswith("nbgrader_config.py")]
    code = (f"DECOYS = {course_dir!r}\nOWN = {own!r}\nPATHS = {secrets!r}\n" + HOST_HUNT)
    workdir = os.path.join(own, "autograded", "bob", "ps1")
    seen = json.loads(run_code(code, cwd=workdir, timeout=120).stdout)
    assert seen["solutions"] == [] and seen["gradebooks"] == [], seen
    assert all(v in ("FileNotFoundError", "PermissionError") for v in seen["read"].values()), seen
    # of its own course only the working folder: the release folder beside it is covered too
    assert seen["own_exercise"] == "FileNotFoundError"
    # /etc is an allow-list too (pip.conf, npmrc, ssh/, postgresql/ left out), read-only.
    from dlgrade.sandbox.policy import etc_entries

    assert seen["etc"] == sorted(os.path.basename(p) for p in etc_entries())
    assert seen["etc"] != sorted(os.listdir("/etc"))
    assert seen["etc_write"] in ("OSError", "PermissionError"), seen["etc_write"]
    # Control: without the sandbox the same code finds every decoy.
    leaked = json.loads(run_code(code, cwd=workdir, env=OFF, timeout=120).stdout)
    assert len(leaked["solutions"]) == 2 and len(leaked["gradebooks"]) == 1, leaked
    assert leaked["read"][os.path.join(course_dir, "other-course/gradebook.db")] == \
        "OTHER-COURSE-GRADES"


def test_a_helper_module_beside_the_notebook_imports_when_the_folder_is_under_var_tmp():
    """A Dask station keeps its course copy in /var/tmp, which the sandbox replaces by a
    private tmpfs: the working folder must stay reachable at its own path, or Python cannot
    import the student's ``my_helpers.py`` (an honest student lost the points of every
    function using it under `dlcourse grade`: issue 21 hostile review, finding 11)."""
    import shutil
    import tempfile

    base = tempfile.mkdtemp(prefix="dlcourse-test-", dir="/var/tmp")
    try:
        workdir = os.path.join(base, "autograded", "bob", "a1")
        os.makedirs(workdir)
        with open(os.path.join(workdir, "my_helpers.py"), "w") as fh:
            fh.write("ANSWER = 42\n")
        os.chmod(base, 0o755)
        run = run_code("import os, my_helpers\nprint(my_helpers.ANSWER, os.getcwd())",
                       cwd=workdir)
        assert run.stdout.split() == ["42", workdir], (run.stdout, run.error)
    finally:
        shutil.rmtree(base, ignore_errors=True)


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


def _processes_in(pid_ns: str) -> list:
    """Host pids of the processes in the pid namespace ``pid_ns`` (e.g. ``pid:[4026532301]``)."""
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.readlink(f"/proc/{entry}/ns/pid") == pid_ns:
                    pids.append(int(entry))
            except OSError:
                continue
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
    print("stopped after", n, type(exc).__name__, os.readlink("/proc/self/ns/pid"))
"""
    run = run_code(bomb, cwd=str(tmp_path), env={"DLCOURSE_SANDBOX_NPROC": "64"})
    assert run.stdout.startswith("stopped after"), run
    assert int(run.stdout.split()[2]) < 64
    # Only this kernel's pid namespace counts: other kernels (parallel graders) may be running.
    pid_ns = run.stdout.split()[-1]
    import time

    deadline = time.time() + 30
    while _processes_in(pid_ns) and time.time() < deadline:
        time.sleep(0.1)
    assert not _processes_in(pid_ns), "processes of the fork bomb outlived its kernel"
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


CHILDREN_TOUCH = """
import json, os, time
pids = []
for _ in range(3):
    pid = os.fork()
    if pid == 0:
        block = bytearray(150 * 2**20)
        for i in range(0, len(block), 4096):
            block[i] = 1  # touch every page: resident memory, not just address space
        time.sleep(2)
        os._exit(0)
    pids.append(pid)
print(json.dumps([os.waitstatus_to_exitcode(os.waitpid(p, 0)[1]) for p in pids]))
"""


def test_memory_of_the_kernel_and_its_children_is_capped_together(tmp_path):
    """Three children each under the per-process cap (RLIMIT_AS) but over the group's cap
    together: the cgroup kills one, and without a group cap (control) all three finish."""
    from dlgrade.sandbox import cgroup, policy

    if policy.rootless_mode() and cgroup.detect() is None:
        pytest.skip("rootless without a delegated cgroup: only per-process rlimits apply "
                    "(the documented bound: NPROC x MEMORY)")
    capped = run_code(CHILDREN_TOUCH, cwd=str(tmp_path), env={
        "DLCOURSE_SANDBOX_GROUP_MEMORY": "256M", "DLCOURSE_SANDBOX_MEMORY": "1G"})
    codes = json.loads(capped.stdout)
    assert -9 in codes, capped  # the group's OOM killer ended at least one child
    free = run_code(CHILDREN_TOUCH, cwd=str(tmp_path), env={
        "DLCOURSE_SANDBOX_GROUP_MEMORY": "none", "DLCOURSE_SANDBOX_MEMORY": "1G"})
    assert json.loads(free.stdout) == [0, 0, 0], free


def test_private_tmp_is_capped_in_files_not_only_bytes(tmp_path):
    """Empty files cost no bytes: nr_inodes on the private /tmp stops a file flood."""
    flood = """
import os
n = 0
try:
    for n in range(60000):
        open(f"/tmp/f{n}", "w").close()
    print("made", n + 1)
except OSError as exc:
    print("stopped at", n, exc.errno)
"""
    run = run_code(flood, cwd=str(tmp_path), env={"DLCOURSE_SANDBOX_TMP_INODES": "2000"})
    assert run.stdout.startswith("stopped at"), run
    assert int(run.stdout.split()[2]) < 2000
    assert run.stdout.split()[3] == "28"  # ENOSPC


RUNTIME_FLOOD = """
import os
from ipykernel.connect import get_connection_file
run = os.path.dirname(get_connection_file())
n = 0
try:
    for n in range(20000):
        open(os.path.join(run, f"f{n}"), "w").close()
    print("files", n + 1)
except OSError as exc:
    print("files stopped at", n, exc.errno)
try:
    with open(os.path.join(run, "big"), "wb") as f:
        for _ in range(64):
            f.write(b"x" * 2**20)
    print("bytes 64 MB")
except OSError as exc:
    print("bytes stopped", exc.errno)
"""


@pytest.mark.skipif(os.geteuid() != 0, reason="rootless: the runtime folder is a host folder "
                    "(files capped in size by RLIMIT_FSIZE, not in number)")
def test_runtime_folder_is_a_tiny_tmpfs(tmp_path):
    """The kernel's connection file and sockets live in a host folder it may write to: on
    its own tmpfs a flood of files or bytes there stops at once, not in the host's /tmp."""
    run = run_code(RUNTIME_FLOOD, cwd=str(tmp_path))
    lines = run.stdout.splitlines()
    assert lines[0].startswith("files stopped at") and int(lines[0].split()[3]) < 40, run
    assert lines[1].startswith("bytes stopped"), run
    free = run_code(RUNTIME_FLOOD, cwd=str(tmp_path), env=OFF).stdout.splitlines()
    assert free == ["files 20000", "bytes 64 MB"]


FORGE = r"""
import os, subprocess
line = b"[AutogradeApp] ERROR forged by the student\n"
os.write(1, line)
os.write(2, line)
subprocess.run("echo '[AutogradeApp] ERROR forged by a child' >&2", shell=True)
os.write(2, b"x" * 200000 + b"\n")  # a flood: capped in the grader's log
files = []
for fd in range(3, 200):  # what else is open: the kernel's own sockets, pipes, /dev files
    try:
        target = os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        continue
    if target.startswith("/") and not target.startswith(("/dev/", "/tmp/")):
        files.append(target)
print("files open:", files)
"""


@pytest.mark.parametrize("env", [{}, {"DLCOURSE_FORKSERVER": "0"}], ids=["forked", "execd"])
def test_kernel_cannot_write_a_line_into_the_graders_log(tmp_path, capfd, env):
    """The kernel's fds 1 and 2 are a pipe the waiter reads: every line reaches the grader's
    stderr prefixed and capped, so no line of the log can be forged; no other descriptor
    of the kernel is a file of the grader's (fds 3-199: tests/test_dlgrade_deadline.py)."""
    from dlgrade.sandbox import forkserver

    forkserver.shutdown()  # the next server starts with this test's captured stderr
    capfd.readouterr()
    run = run_code(FORGE, cwd=str(tmp_path), env=env)
    assert "files open: []" in run.stdout, run  # no log file or course file of the grader
    forkserver.shutdown()
    err = capfd.readouterr().err
    lines = err.splitlines()
    assert not [ln for ln in lines if ln.startswith("[AutogradeApp]")], err[-2000:]
    assert any(ln.startswith("[student kernel] [AutogradeApp] ERROR forged by a child")
               for ln in lines), err[-2000:]
    assert len(err) < 100_000  # 64K by default, plus the note of what was dropped
    assert "more bytes of kernel output dropped" in err


def test_without_the_sandbox_the_forged_line_reaches_the_log(tmp_path, capfd):
    """Control for the test above."""
    from dlgrade.sandbox import forkserver

    forkserver.shutdown()
    capfd.readouterr()
    run_code(FORGE, cwd=str(tmp_path), env=OFF)
    forkserver.shutdown()
    err = capfd.readouterr().err
    assert any(ln.startswith("[AutogradeApp] ERROR forged") for ln in err.splitlines())


def test_unix_sockets_on_the_host_are_out_of_reach(course):
    """A Unix socket of the grader's (here in the course folder and in /tmp) cannot be
    connected to; abstract sockets live in the host's network namespace."""
    paths = [os.path.join(course, "grader.sock"), os.path.join("/tmp", f"g{os.getpid()}.sock")]
    servers = []
    for path in paths:
        server = socket.socket(socket.AF_UNIX)
        server.bind(path)
        os.chmod(path, 0o777)
        server.listen(1)
        servers.append(server)
    abstract = socket.socket(socket.AF_UNIX)
    abstract.bind(f"\0dlcourse-test-{os.getpid()}")
    abstract.listen(1)
    code = f"""
import socket
for where in {paths!r} + ["\\0dlcourse-test-{os.getpid()}"]:
    s = socket.socket(socket.AF_UNIX)
    try:
        s.connect(where)
        print("connected", repr(where))
    except OSError as exc:
        print("blocked", repr(where), type(exc).__name__)
"""
    try:
        workdir = os.path.join(course, "autograded", "bob", "ps1")
        out = run_code(code, cwd=workdir).stdout
        assert "connected" not in out, out
        assert run_code(code, cwd=workdir, env=OFF).stdout.count("connected") == 3
    finally:
        for server in servers + [abstract]:
            server.close()
        for path in paths:
            os.remove(path)


def test_sweep_removes_only_old_empty_kernel_groups(tmp_path):
    """Groups left by waiters killed with their kernel are removed; a group just made by
    another kernel, a group still holding something and other folders stay."""
    from dlgrade.sandbox.cgroup import PREFIX, sweep

    old = time.time() - 3600
    for name, filled, age in [(f"{PREFIX}11-aa", False, old), (f"{PREFIX}12-bb", False, None),
                              (f"{PREFIX}13-cc", True, old), ("other-group", False, old)]:
        folder = tmp_path / name
        folder.mkdir()
        if filled:
            (folder / "cgroup.procs").write_text("4242\n")  # rmdir refuses, as for a live group
        if age is not None:
            os.utime(folder, (age, age))
    assert sweep(str(tmp_path)) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        f"{PREFIX}12-bb", f"{PREFIX}13-cc", "other-group"]



def test_fork_server_loads_the_judges_agent_before_the_kernel_starts(tmp_path):
    """The judge's agent (and its recorder, fingerprints, thread watch and wire format) is
    imported once in the fork server, not in every kernel; an exec'd kernel has none of it
    until the judge's first call."""
    probe = ("import sys\nprint('agent', 'dlgrade.judge_agent' in sys.modules, "
             "'dlgrade.judge_code' in sys.modules)\n")
    forked = run_code(probe, cwd=str(tmp_path))
    execd = run_code(probe, cwd=str(tmp_path), env={"DLCOURSE_FORKSERVER": "0"})
    assert forked.stdout.strip() == "agent True True", forked
    assert execd.stdout.strip() == "agent False False", execd


def test_debug_lines_give_the_kernels_cpu_on_the_graders_stderr_only(tmp_path, capfd):
    """With DLCOURSE_SANDBOX_DEBUG the forked kernel reports its CPU time after its start-up
    and after each cell, on the grader's stderr; nothing of it reaches the cell's output."""
    from dlgrade.sandbox import forkserver

    forkserver.shutdown()  # the next server starts with this test's captured stderr
    capfd.readouterr()
    run = run_code("print('hi')\n", cwd=str(tmp_path), env={"DLCOURSE_SANDBOX_DEBUG": "1"})
    forkserver.shutdown()
    err = capfd.readouterr().err
    assert run.stdout == "hi\n", run
    assert not run.stderr, run
    lines = [ln for ln in err.splitlines() if ln.startswith("[student kernel] [")]
    for what in ("initialize", "start", "cell done"):
        assert any(ln.endswith("] " + what) and " cpu " in ln for ln in lines), err[-2000:]


def test_fork_server_reads_the_agents_code_tables_before_it_forks(tmp_path):
    """A forked kernel finds the code tables of the agent's usual files read (the identity
    check of library and grader code, dlgrade.judge_code._genuine), and they are the
    server's: the same in two kernels, whatever the first one did to its copy."""
    probe = ("import json, sys\njc = sys.modules['dlgrade.judge_code']\n"
             "print(json.dumps(sorted(f'{p}|{h}' for p, h in jc._FILE_CODES)))\n"
             "jc._FILE_CODES.clear()\n")
    first = json.loads(run_code(probe, cwd=str(tmp_path)).stdout)
    second = json.loads(run_code(probe, cwd=str(tmp_path)).stdout)
    assert first == second
    import inspect

    import dlgrade.judge_agent as agent

    assert f"{inspect.__file__}|cached" in first
    assert any(entry.startswith(agent.__file__ + "|") for entry in first)
