"""The rootless sandbox: a user namespace instead of root, and a clear refusal where
unprivileged user namespaces are switched off (never a silent run without the sandbox).

As root (CI) the rootless code path is forced with DLCOURSE_SANDBOX_ROOTLESS=1;
scripts/test_rootless.sh runs this module, the isolation tests and the hostile batch as an
unprivileged user, where the rootless mode is the only one.
"""

import json
import os
import shutil
import subprocess
import sys

import pytest

from dlgrade.sandbox import jail, policy
from dlgrade.sandbox.kernels import run_code

pytestmark = pytest.mark.slow  # sandboxed kernels: not in `make test-fast`

ROOTLESS = {"DLCOURSE_SANDBOX_ROOTLESS": "1"}
needs_userns = pytest.mark.skipif(jail.probe(rootless=True) is not None,
                                  reason=f"no user namespaces here: {jail.probe(rootless=True)}")


@pytest.mark.parametrize("rel, value, name", [
    ("kernel/unprivileged_userns_clone", "0", "kernel.unprivileged_userns_clone"),
    ("user/max_user_namespaces", "0", "user.max_user_namespaces"),
    ("kernel/apparmor_restrict_unprivileged_userns", "1",
     "kernel.apparmor_restrict_unprivileged_userns"),
])
def test_the_setting_that_forbids_user_namespaces_is_named_with_its_fix(tmp_path, rel, value,
                                                                          name):
    for other, ok in [("kernel/unprivileged_userns_clone", "1"),
                      ("user/max_user_namespaces", "15000"),
                      ("kernel/apparmor_restrict_unprivileged_userns", "0")]:
        (tmp_path / other).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / other).write_text(ok + "\n")
    assert jail.userns_blocker(str(tmp_path)) is None
    (tmp_path / rel).write_text(value + "\n")
    reason = jail.userns_blocker(str(tmp_path))
    assert f"{name}={value}" in reason and "sysctl -w " + name in reason
    message = jail.unavailable_message(reason, rootless=True)
    assert "NOT started" in message and "DLCOURSE_SANDBOX=0" in message
    assert "user namespaces" in message


def test_rootless_mode_is_chosen_without_root_or_when_asked():
    assert policy.rootless_mode(ROOTLESS)
    assert policy.rootless_mode({}) == (os.geteuid() != 0)


@needs_userns
def test_grading_stops_with_the_setting_named_when_user_namespaces_are_off(tmp_path):
    """A real failure: inside a user namespace whose user.max_user_namespaces is 0, the
    rootless sandbox cannot be entered; starting a kernel raises the message, runs nothing."""
    unshare = shutil.which("unshare")
    if unshare is None:
        pytest.skip("unshare (util-linux) not installed")
    code = (
        "import sys\n"
        "from dlgrade.sandbox.kernels import run_code\n"
        "try:\n"
        "    run = run_code('print(\"STUDENT CODE RAN\")', cwd=sys.argv[1])\n"
        "    print('ran:', run.stdout)\n"
        "except RuntimeError as exc:\n"
        "    print('refused:', exc)\n"
    )
    (tmp_path / "start_kernel.py").write_text(code)
    script = ("echo 0 > /proc/sys/user/max_user_namespaces && "
              f"exec {sys.executable} {tmp_path / 'start_kernel.py'} {tmp_path}")
    proc = subprocess.run([unshare, "--user", "--map-root-user", "sh", "-c", script],
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, **ROOTLESS})
    out = proc.stdout + proc.stderr
    assert "refused: dlcourse sandbox: cannot isolate the student's kernel" in out, out[-3000:]
    assert "user.max_user_namespaces=0" in out and "sysctl -w user.max_user_namespaces" in out
    assert "STUDENT CODE RAN" not in out


SNOOP = """
import json, os
def can_write(path):
    try:
        with open(path, "w") as fh:
            fh.write("x")
        return True
    except OSError:
        return False
home = HOME
try:
    solutions = sorted(os.listdir(os.path.join(ROOT, "solutions")))
except OSError as exc:
    solutions = type(exc).__name__
print(json.dumps({
    "uid": os.getuid(),
    "caps": int(open("/proc/self/status").read().split("CapEff:")[1].split()[0], 16),
    "home": sorted(os.listdir(home)) if os.path.isdir(home) else None,
    "solutions": solutions,
    "write_course": can_write(os.path.join(ROOT, "planted.txt")),
    "write_tmp": can_write("/tmp/scratch.txt"),
    "terminals": sorted(os.listdir("/dev/pts")) if os.path.isdir("/dev/pts") else [],
    "shown": bool(SHOWN) and os.path.isdir(SHOWN),
    "write_shown": bool(SHOWN) and can_write(os.path.join(SHOWN, "planted.txt")),
}))
"""


def _snoop(root: str, env: dict, shown: str = "") -> dict:
    """:data:`SNOOP`'s answer from a kernel started in ``root``'s ``autograded/bob/ps1``
    (``shown``: a folder the kernel also tries to write into, as ``SHOWN``)."""
    for rel in ["solutions/ps1/ps1.ipynb", "nbgrader_config.py", "autograded/bob/ps1/x.ipynb"]:
        os.makedirs(os.path.dirname(os.path.join(root, rel)), exist_ok=True)
        open(os.path.join(root, rel), "w").close()
    home = os.path.realpath(os.path.expanduser("~"))
    code = f"ROOT = {root!r}\nHOME = {home!r}\nSHOWN = {shown!r}\n" + SNOOP
    run = run_code(code, cwd=os.path.join(root, "autograded", "bob", "ps1"), env=env)
    assert run.status == "ok", run
    return json.loads(run.stdout)


@needs_userns
def test_rootless_kernel_has_no_capabilities_and_sees_no_home(course_dir):
    """The kernel runs as the grader's own uid: so the grader's home is replaced by an
    allow-list view, every capability is dropped and the whole view outside scratch space
    and the working folder is read-only."""
    root = course_dir
    seen = _snoop(root, ROOTLESS)
    assert seen["caps"] == 0 and seen["uid"] == os.getuid()
    assert seen["solutions"] == "FileNotFoundError"  # the course folder is an allow-list
    assert not seen["write_course"] and seen["write_tmp"]
    assert seen["terminals"] == []  # the grader's own terminals (review 21g, TTY)
    visible = set(seen["home"] or [])
    assert visible <= {".pyenv", os.path.basename(root)}, visible  # only what the kernel needs
    assert not os.path.exists(os.path.join(root, "planted.txt"))
    control = _snoop(root, {"DLCOURSE_SANDBOX": "0"})
    assert control["solutions"] == ["ps1"] and control["write_course"]
    os.remove(os.path.join(root, "planted.txt"))


@needs_userns
def test_a_shown_folder_with_letters_beyond_ascii_is_read_only_too(course_dir):
    """The mount points are read from /proc/self/mountinfo as bytes: a folder shown to the
    kernel (``DLCOURSE_SANDBOX_SHOW``, here ``Übung daten``: a UTF-8 letter and a space) is
    remounted read-only like any other, so a rootless kernel (the grader's own uid) cannot
    write into it (review 21g, UNI: such a path was garbled, never made read-only, and the
    kernel planted ``dlgrade/__init__.py`` in the course, which the next nbgrader command ran)."""
    shown = os.path.join(course_dir, "Übung daten")
    os.makedirs(shown)
    seen = _snoop(os.path.join(course_dir, "Übung kurs"),
                  {**ROOTLESS, "DLCOURSE_SANDBOX_SHOW": shown}, shown=shown)
    assert seen["shown"] is True  # the kernel sees the folder ...
    assert not seen["write_shown"] and seen["write_tmp"]  # ... and cannot write into it
    assert os.listdir(shown) == []


DEVICES = """
import json, os, subprocess
def opens(path, flags):
    try:
        os.close(os.open(path, flags))
        return True
    except OSError:
        return False
host = HOST
with open("/dev/urandom", "rb") as fh:
    noise = len(fh.read(16))
with open("/dev/null", "w") as fh:
    fh.write("x")
echo = subprocess.run(["/bin/sh", "-c", "echo ok > /dev/stdout"], capture_output=True,
                      stdin=subprocess.DEVNULL, text=True).stdout
print(json.dumps({
    "seen": sorted(os.listdir("/dev")),
    "noise": noise, "echo": echo, "fd": os.path.isdir("/dev/fd"),
    "opened": [p for p in host if opens(p, os.O_WRONLY | os.O_NOCTTY | os.O_NONBLOCK)
               or opens(p, os.O_RDONLY | os.O_NOCTTY | os.O_NONBLOCK)],
    "write_dev": opens("/dev/planted", os.O_CREAT | os.O_WRONLY),
    "write_shm": opens("/dev/shm/scratch", os.O_CREAT | os.O_WRONLY),
}))
"""


@pytest.mark.parametrize("env", [pytest.param({}, id="root-or-rootless"),
                                 pytest.param(ROOTLESS, id="rootless", marks=needs_userns)])
def test_a_kernel_sees_only_the_devices_it_uses(course_dir, env):
    """/dev in the kernel's view is an allow-list: null, zero, full, random, urandom and the
    /proc/self/fd links, read-only. The host's terminals, console and tty0.. (writable by a
    rootless kernel started by root: uid 0 in its namespace owns them), /dev/tty, /dev/ptmx,
    /dev/kmsg (the kernel log) and the disks are not there; scratch in /dev/shm still works."""
    from dlgrade.sandbox import jail as sandbox_jail

    if sandbox_jail.probe(rootless=bool(env) or None) is not None:
        pytest.skip("no sandbox on this machine")
    wanted = {"null", "zero", "full", "random", "urandom"}
    host = sorted(os.path.join("/dev", n) for n in os.listdir("/dev")
                  if n not in wanted | {"fd", "stdin", "stdout", "stderr", "shm", "mqueue", "pts"}
                  and not os.path.isdir(os.path.join("/dev", n)))
    run = run_code(f"HOST = {host!r}\n" + DEVICES, cwd=course_dir, env=env)
    assert run.status == "ok", run
    seen = json.loads(run.stdout)
    assert set(seen["seen"]) == wanted | {"fd", "stdin", "stdout", "stderr", "shm", "mqueue",
                                          "pts"}, seen["seen"]
    assert seen["opened"] == [], seen["opened"]
    assert seen["noise"] == 16 and seen["echo"] == "ok\n" and seen["fd"]
    assert not seen["write_dev"] and seen["write_shm"]
