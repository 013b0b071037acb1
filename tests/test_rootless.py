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
print(json.dumps({
    "uid": os.getuid(),
    "caps": int(open("/proc/self/status").read().split("CapEff:")[1].split()[0], 16),
    "home": sorted(os.listdir(home)) if os.path.isdir(home) else None,
    "solutions": sorted(os.listdir(os.path.join(ROOT, "solutions"))),
    "write_course": can_write(os.path.join(ROOT, "planted.txt")),
    "write_tmp": can_write("/tmp/scratch.txt"),
    "terminals": sorted(os.listdir("/dev/pts")) if os.path.isdir("/dev/pts") else [],
}))
"""


@needs_userns
def test_rootless_kernel_has_no_capabilities_and_sees_no_home(course_dir):
    """The kernel runs as the grader's own uid: so the grader's home is replaced by an
    allow-list view, every capability is dropped and the whole view outside scratch space
    and the working folder is read-only."""
    root = course_dir
    for rel in ["solutions/ps1/ps1.ipynb", "nbgrader_config.py", "autograded/bob/ps1/x.ipynb"]:
        os.makedirs(os.path.dirname(os.path.join(root, rel)), exist_ok=True)
        open(os.path.join(root, rel), "w").close()
    home = os.path.realpath(os.path.expanduser("~"))
    code = f"ROOT = {root!r}\nHOME = {home!r}\n" + SNOOP
    workdir = os.path.join(root, "autograded", "bob", "ps1")
    seen = json.loads(run_code(code, cwd=workdir, env=ROOTLESS).stdout)
    assert seen["caps"] == 0 and seen["uid"] == os.getuid()
    assert seen["solutions"] == []
    assert not seen["write_course"] and seen["write_tmp"]
    assert seen["terminals"] == []  # the grader's own terminals (review 21g, TTY)
    visible = set(seen["home"] or [])
    assert visible <= {".pyenv", os.path.basename(root)}, visible  # only what the kernel needs
    assert not os.path.exists(os.path.join(root, "planted.txt"))
    control = json.loads(run_code(code, cwd=workdir, env={"DLCOURSE_SANDBOX": "0"}).stdout)
    assert control["solutions"] == ["ps1"] and control["write_course"]
    os.remove(os.path.join(root, "planted.txt"))


@needs_userns
def test_a_course_path_with_letters_beyond_ascii_is_read_only_too(course_dir):
    """The mount points are read from /proc/self/mountinfo as bytes: a course under
    ``Übung kurs`` (a UTF-8 letter and a space) is remounted read-only like any other, so a
    rootless kernel (the grader's own uid) cannot plant a file in it (review 21g, UNI: it
    planted ``dlgrade/__init__.py`` there, which the next nbgrader command ran)."""
    root = os.path.join(course_dir, "Übung kurs")
    for rel in ["solutions/ps1/ps1.ipynb", "nbgrader_config.py", "autograded/bob/ps1/x.ipynb"]:
        os.makedirs(os.path.dirname(os.path.join(root, rel)), exist_ok=True)
        open(os.path.join(root, rel), "w").close()
    home = os.path.realpath(os.path.expanduser("~"))
    code = f"ROOT = {root!r}\nHOME = {home!r}\n" + SNOOP
    workdir = os.path.join(root, "autograded", "bob", "ps1")
    run = run_code(code, cwd=workdir, env=ROOTLESS)
    assert run.status == "ok", run
    seen = json.loads(run.stdout)
    assert not seen["write_course"] and seen["write_tmp"]
    assert seen["solutions"] == []
    assert not os.path.exists(os.path.join(root, "planted.txt"))
