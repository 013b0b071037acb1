"""Enter the grading sandbox: namespaces, a private filesystem view, resource limits, no root.

Everything here is done with system calls (``unshare(2)``, ``mount(2)``, ``setrlimit(2)``,
``setresuid(2)``) from Python, so the same code serves the exec'd kernel wrapper
(:mod:`dlgrade.sandbox.launch`) and the fork server (:mod:`dlgrade.sandbox.forkserver`).
It is what ``unshare -m -n -p``, ``mount --bind``, ``prlimit`` and ``setpriv`` do on the
command line, without the extra processes.

Process layout (both launch paths)::

    waiter  (root, new mount/net/pid/ipc namespaces; forwards signals, exits with the kernel)
      └── kernel  (pid 1 of its pid namespace, private mounts, rlimits, unprivileged uid)

When the kernel (pid 1) ends, the Linux kernel kills every process left in its pid
namespace, so a fork bomb or a background process never outlives the submission.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import resource
import signal
import sys

_libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)

CLONE_NEWNS = 0x00020000
CLONE_NEWIPC = 0x08000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
MS_RDONLY = 1
MS_NOSUID = 2
MS_NODEV = 4
MS_NOEXEC = 8
MS_REMOUNT = 32
MS_BIND = 4096
MS_REC = 16384
MS_PRIVATE = 1 << 18
PR_SET_PDEATHSIG = 1
PR_SET_NO_NEW_PRIVS = 38

#: Exit code of the waiter when the sandbox cannot be entered.
EXIT_SANDBOX_FAILED = 97


class SandboxError(RuntimeError):
    """The sandbox could not be set up (the kernel is not started unsandboxed)."""


def _check(ret: int, what: str) -> None:
    if ret != 0:
        err = ctypes.get_errno()
        raise SandboxError(f"{what} failed: [Errno {err}] {os.strerror(err)}")


def unshare(flags: int) -> None:
    """Move the calling process into new namespaces (``unshare(2)``)."""
    _check(_libc.unshare(ctypes.c_int(flags)), "unshare")


def mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None):
    """Thin wrapper of ``mount(2)``."""
    def enc(text):
        return None if text is None else os.fsencode(text)

    ret = _libc.mount(enc(source), enc(target), enc(fstype), ctypes.c_ulong(flags), enc(data))
    _check(ret, f"mount({source!r} -> {target!r}, {fstype!r})")


def prctl(option: int, arg: int) -> None:
    _check(_libc.prctl(ctypes.c_int(option), ctypes.c_ulong(arg), 0, 0, 0), "prctl")


def bind(source: str, target: str, readonly: bool = False) -> None:
    """Bind-mount ``source`` over ``target``, optionally read-only."""
    mount(source, target, None, MS_BIND)
    if readonly:
        mount(None, target, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)


def _tmpfs(target: str, size: str, mode: str = "1777") -> None:
    mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV, f"size={size},mode={mode}")


def kernel_uid(host_pid: int) -> int:
    """A fresh unprivileged uid per kernel (no passwd entry, owns no file on the host).

    One uid per kernel keeps the process-count limit (RLIMIT_NPROC counts per uid) and
    signals separate between kernels that run at the same time in parallel workers. The
    waiter's host pid makes it unique among running kernels.
    """
    return 2_000_000_000 + host_pid


def _blocker(path: str) -> str | None:
    """The outermost ancestor of ``path`` that other users cannot traverse (e.g. /root)."""
    parts = path.strip("/").split("/")
    for i in range(1, len(parts)):
        ancestor = "/" + "/".join(parts[:i])
        try:
            if not os.stat(ancestor).st_mode & 0o001:
                return ancestor
        except OSError:
            return None
    return None


def _expose(paths) -> None:
    """Make ``paths`` reachable for an unprivileged kernel without opening their parents.

    A Python installed under ``/root`` (pyenv) cannot be read by another uid because /root
    is 0700. In the kernel's mount namespace the blocking folder is replaced by an empty
    tmpfs into which only the needed paths are bind-mounted back.
    """
    by_blocker: dict = {}
    for path in sorted(set(paths)):
        if not os.path.isdir(path):
            continue
        blocker = _blocker(path)
        if blocker is not None:
            by_blocker.setdefault(blocker, []).append(path)
    for blocker, inner in by_blocker.items():
        fds = [(p, os.open(p, os.O_PATH | os.O_DIRECTORY)) for p in inner]
        _tmpfs(blocker, "1m", mode="0755")
        for path, fd in fds:
            os.makedirs(path, exist_ok=True)
            mount(f"/proc/self/fd/{fd}", path, None, MS_BIND | MS_REC)
            os.close(fd)


def _read_only_elsewhere(writable) -> None:
    """Remount every mount of this namespace read-only except ``writable`` (and below).

    A kernel runs under a uid that owns no file, yet world-writable folders on the host
    would let one student leave files for the next: outside its private scratch space and
    working folder, the kernel's whole view is read-only.
    """
    with open("/proc/self/mountinfo") as fh:
        points = [line.split()[4] for line in fh]
    seen = set()
    for raw in points:
        point = raw.encode().decode("unicode_escape")  # \040 -> space, as the kernel escapes
        if point in seen or any(point == w or point.startswith(w.rstrip("/") + "/")
                                for w in writable):
            continue
        seen.add(point)
        try:
            mount(None, point, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)
        except SandboxError:
            pass  # a mount that is covered by another one or cannot change: skip it


def enter(policy, uid: int) -> None:
    """Called in the kernel process, as root, inside fresh namespaces: build its world.

    Parameters
    ----------
    policy : dlgrade.sandbox.policy.Policy
        What to hide, what to keep writable, which limits to apply.
    """
    gid = uid
    # File descriptors on what must stay reachable, taken before anything is covered.
    own_fd = os.open(policy.workdir, os.O_PATH | os.O_DIRECTORY)
    run_fd = os.open(policy.runtime_dir, os.O_PATH | os.O_DIRECTORY)

    def fd_path(fd: int) -> str:
        return f"/proc/self/fd/{fd}"

    mount(None, "/", None, MS_REC | MS_PRIVATE)  # nothing propagates back to the host
    _expose(list(policy.expose) + [policy.workdir])  # e.g. a course folder with mode 0700
    # A private, size-capped /tmp holds everything the sandbox needs as scratch space. What
    # the kernel must read from under the host's /tmp (a course, venv or package checked out
    # there, as CI does) is bound back read-only into it.
    under_tmp = sorted({p for p in policy.expose if p.startswith("/tmp/") and os.path.isdir(p)})
    tmp_fds = [(p, os.open(p, os.O_PATH | os.O_DIRECTORY)) for p in under_tmp]
    _tmpfs("/tmp", policy.tmp_size)
    for path, fd in tmp_fds:
        os.makedirs(path, exist_ok=True)
        mount(fd_path(fd), path, None, MS_BIND | MS_REC)
        mount(None, path, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)
        os.close(fd)
    scratch = "/tmp/.dlcourse"
    os.makedirs(scratch + "/empty", mode=0o555)
    os.chmod(scratch, 0o711)

    readonly_later = []
    for i, path in enumerate(policy.hide_dirs):
        if not os.path.isdir(path):  # e.g. the course itself lies under the private /tmp
            continue
        if policy.workdir.startswith(path + os.sep):
            # Hide the folder but keep the student's own working folder at its place.
            skel = os.path.join(scratch, f"skel{i}")
            os.makedirs(os.path.join(skel, os.path.relpath(policy.workdir, path)), mode=0o755)
            bind(skel, path)
            readonly_later.append(path)
        else:
            bind(scratch + "/empty", path, readonly=True)
    for path in policy.hide_files:
        if os.path.exists(path):
            bind("/dev/null", path, readonly=True)
    own = os.fstat(own_fd)
    try:
        now = os.stat(policy.workdir)
    except FileNotFoundError:
        now = None
    if now is None or (now.st_dev, now.st_ino) != (own.st_dev, own.st_ino):
        os.makedirs(policy.workdir, exist_ok=True)
        bind(fd_path(own_fd), policy.workdir)
    for path in readonly_later:
        mount(None, path, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)

    # The kernel's ipc sockets and connection file live in a per-kernel folder under /tmp.
    os.makedirs(policy.runtime_dir, mode=0o700, exist_ok=True)
    bind(fd_path(run_fd), policy.runtime_dir)
    os.close(run_fd)
    for name in [policy.runtime_dir] + [
        os.path.join(policy.runtime_dir, f) for f in os.listdir(policy.runtime_dir)
    ]:
        os.chown(name, uid, gid)

    # The working folder: writable through an overlay whose changes vanish with the kernel.
    upper, work = scratch + "/upper", scratch + "/work"
    os.makedirs(upper)
    os.makedirs(work)
    try:
        mount("overlay", policy.workdir, "overlay", MS_NOSUID | MS_NODEV,
              f"lowerdir={policy.workdir},upperdir={upper},workdir={work}")
        os.chown(policy.workdir, uid, gid)  # copy-up of the folder only, the host keeps root's
    except SandboxError as exc:  # no overlayfs: the folder stays read-only for the kernel
        print(f"dlcourse sandbox: working folder is read-only ({exc})", file=sys.stderr)
    os.close(own_fd)
    os.chdir(policy.workdir)

    # Other places every user may write to (or connect to: /run holds Unix sockets such as
    # a database's) become private and empty.
    for shared in ("/dev/shm", "/var/tmp", "/run", "/dev/mqueue"):
        if os.path.isdir(shared) and not os.path.islink(shared):
            try:
                _tmpfs(shared, "16m")
            except SandboxError:
                pass
    _read_only_elsewhere([policy.workdir, policy.runtime_dir, "/tmp", "/dev", "/proc",
                          "/var/tmp", "/run"])
    try:  # a /proc that shows only this pid namespace
        mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    except SandboxError as exc:
        print(f"dlcourse sandbox: host /proc stays visible ({exc})", file=sys.stderr)

    limits = {
        resource.RLIMIT_AS: policy.memory_bytes,
        resource.RLIMIT_CPU: policy.cpu_seconds,
        resource.RLIMIT_NPROC: policy.nproc,
        resource.RLIMIT_FSIZE: policy.file_bytes,
        resource.RLIMIT_CORE: 0,
    }
    for which, value in limits.items():
        if value is not None:
            resource.setrlimit(which, (value, value))  # soft = hard: pid 1 ignores SIGXCPU

    os.setgroups([])
    os.setresgid(gid, gid, gid)
    os.setresuid(uid, uid, uid)
    prctl(PR_SET_NO_NEW_PRIVS, 1)
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # after setuid: credential changes clear it
    if os.geteuid() == 0 or os.getuid() == 0:
        raise SandboxError("could not drop root")


def spawn(policy, run_kernel) -> int:
    """Run ``run_kernel()`` sandboxed; called in the waiter, returns the exit code to use.

    The waiter unshares mount, network, pid and ipc namespaces, forks the kernel (pid 1 of
    the new pid namespace), forwards interrupts to it and waits for it.
    """
    try:
        unshare(CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWPID | CLONE_NEWIPC)
    except SandboxError as exc:
        print(unavailable_message(str(exc)), file=sys.stderr, flush=True)
        return EXIT_SANDBOX_FAILED
    uid = kernel_uid(os.getpid())
    alive_r, alive_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            os.close(alive_w)
            os.setsid()
            enter(policy, uid)
            # The waiter may have died before PDEATHSIG was armed: then stop here.
            os.set_blocking(alive_r, False)
            try:
                if os.read(alive_r, 1) == b"":
                    os._exit(1)
            except BlockingIOError:
                pass
            code = run_kernel()
        except BaseException as exc:  # noqa: BLE001 - report and leave, never return to caller
            print(f"dlcourse sandbox: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
            code = EXIT_SANDBOX_FAILED
        finally:
            os._exit(code if isinstance(code, int) else 1)
    os.close(alive_r)

    def forward(signum, frame):
        try:  # pid 1 ignores SIGTERM without a handler: make "terminate" mean kill
            os.kill(pid, signal.SIGKILL if signum == signal.SIGTERM else signum)
        except ProcessLookupError:
            pass

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1,
                signal.SIGUSR2):
        signal.signal(sig, forward)
    while True:
        try:
            _, status = os.waitpid(pid, 0)
            break
        except ChildProcessError:
            return 1
    if os.WIFSIGNALED(status):
        return 128 + os.WTERMSIG(status)
    return os.WEXITSTATUS(status)


def unavailable_message(reason: str) -> str:
    return (
        "dlcourse sandbox: cannot isolate the student's kernel "
        f"({reason}). The sandbox needs Linux namespaces and root (or CAP_SYS_ADMIN, "
        "CAP_SETUID, CAP_SETGID) in the grading process; the kernel was NOT started. "
        "To grade without isolation (unsafe with untrusted notebooks) set DLCOURSE_SANDBOX=0."
    )


def probe() -> str | None:
    """Return None if the sandbox can be entered here, else the reason it cannot."""
    if not sys.platform.startswith("linux"):
        return f"platform {sys.platform} is not Linux"
    pid = os.fork()
    if pid == 0:
        try:
            unshare(CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWPID | CLONE_NEWIPC)
            mount(None, "/", None, MS_REC | MS_PRIVATE)
            os.setresgid(65534, 65534, 65534)
            os.setresuid(65534, 65534, 65534)
            os._exit(0)
        except SandboxError:
            os._exit(1)
        except PermissionError:
            os._exit(2)
        except BaseException:  # noqa: BLE001
            os._exit(3)
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    return {0: None, 1: "unshare/mount not permitted", 2: "setuid not permitted"}.get(
        code, f"probe failed ({code})")


__all__ = ["SandboxError", "enter", "spawn", "probe", "unavailable_message", "kernel_uid"]
