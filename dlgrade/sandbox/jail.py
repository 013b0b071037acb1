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

This module puts the steps in order; each concept lives in its own module:
:mod:`~dlgrade.sandbox.syscalls` (the system calls), :mod:`~dlgrade.sandbox.view` (the
kernel's filesystem view), :mod:`~dlgrade.sandbox.limits` (rlimits and the kernel's cgroup),
:mod:`~dlgrade.sandbox.userns` (the rootless user namespace) and
:mod:`~dlgrade.sandbox.relay` (the kernel's output in the grader's log).
"""

from __future__ import annotations

import os
import select
import signal
import sys

if __package__:
    from . import cgroup, limits, relay, syscalls, userns, view
    from . import policy as _policy
else:  # imported by the kernelspec's wrapper run as a script (see launch.py)
    import cgroup  # type: ignore[no-redef]
    import limits  # type: ignore[no-redef]
    import policy as _policy  # type: ignore[no-redef]
    import relay  # type: ignore[no-redef]
    import syscalls  # type: ignore[no-redef]
    import userns  # type: ignore[no-redef]
    import view  # type: ignore[no-redef]

# Names other modules and tests use from here (the sandbox's public face).
SandboxError = syscalls.SandboxError
PR_SET_PDEATHSIG = syscalls.PR_SET_PDEATHSIG
prctl, unmount = syscalls.prctl, syscalls.unmount
runtime_tmpfs = view.runtime_tmpfs
userns_blocker = userns.userns_blocker
NAMESPACES = syscalls.NAMESPACES

#: Exit code of the waiter when the sandbox cannot be entered.
EXIT_SANDBOX_FAILED = 97


def kernel_uid(host_pid: int) -> int:
    """A fresh unprivileged uid per kernel (no passwd entry, owns no file on the host).

    One uid per kernel keeps the process-count limit (RLIMIT_NPROC counts per uid) and
    signals separate between kernels that run at the same time in parallel workers. The
    waiter's host pid makes it unique among running kernels.
    """
    return 2_000_000_000 + host_pid


def enter(policy, uid: int, gid: int | None = None) -> None:
    """Called in the kernel process inside fresh namespaces: build its world.

    As root (root mode) it ends by switching to ``uid``; in rootless mode (a new user
    namespace that maps only the grader's uid) it ends by dropping every capability.

    Parameters
    ----------
    policy : dlgrade.sandbox.policy.Policy
        What to hide, what to keep writable, which limits to apply.
    uid, gid : int
        The kernel's ids (gid defaults to uid).
    """
    gid = uid if gid is None else gid
    view.build(policy, uid, gid)
    limits.apply_rlimits(policy)
    if policy.rootless:
        syscalls.drop_capabilities()
    else:
        os.setgroups([])
        os.setresgid(gid, gid, gid)
        os.setresuid(uid, uid, uid)
    prctl(syscalls.PR_SET_NO_NEW_PRIVS, 1)
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # after setuid: credential changes clear it
    if syscalls.capabilities() != 0 or (not policy.rootless and 0 in (os.geteuid(), os.getuid())):
        raise SandboxError("could not drop root")


def spawn(policy, run_kernel) -> int:
    """Run ``run_kernel()`` sandboxed; called in the waiter, returns the exit code to use.

    The waiter joins the kernel's cgroup, unshares mount, network, pid and ipc namespaces
    (and, rootless, a user namespace), forks the kernel (pid 1 of the new pid namespace),
    forwards interrupts to it and waits for it.
    """
    try:
        # pid and a random part: pids are reused, and a group left by a killed waiter
        # (cgroup.sweep removes those) must not stop the next kernel that gets its pid
        group = limits.kernel_group(policy, f"{cgroup.PREFIX}{os.getpid()}-{os.urandom(4).hex()}")
        if group is not None:
            group.add(os.getpid())  # the kernel and all its children inherit it
    except (SandboxError, OSError) as exc:
        print(unavailable_message(str(exc), policy.rootless), file=sys.stderr, flush=True)
        return EXIT_SANDBOX_FAILED
    try:
        if policy.rootless:
            uid, gid = os.getuid(), os.getgid()
            userns.enter_user_namespace(uid, gid)
        else:
            syscalls.unshare(NAMESPACES)
            uid = gid = kernel_uid(os.getpid())
    except (SandboxError, OSError) as exc:
        reason = str(exc)
        if policy.rootless:
            reason = userns_blocker() or reason
        print(unavailable_message(reason, policy.rootless), file=sys.stderr, flush=True)
        limits.end_group(group)
        return EXIT_SANDBOX_FAILED
    code = _fork_kernel(policy, run_kernel, uid, gid)
    limits.end_group(group)
    return code


def _fork_kernel(policy, run_kernel, uid: int, gid: int) -> int:
    alive_r, alive_w = os.pipe()
    log_r, log_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            os.close(alive_w)
            os.close(log_r)
            os.dup2(log_w, 1)  # the grader's stdout/stderr are never the kernel's
            os.dup2(log_w, 2)
            os.close(log_w)
            os.setsid()
            enter(policy, uid, gid)
            # The waiter may have died before PDEATHSIG was armed: then stop here.
            os.set_blocking(alive_r, False)
            try:
                if os.read(alive_r, 1) == b"":
                    os._exit(1)
            except BlockingIOError:
                pass
            os.close(alive_r)  # no descriptor of the waiter's stays open in the kernel
            code = run_kernel()
        except BaseException as exc:  # noqa: BLE001 - report and leave, never return to caller
            print(f"dlcourse sandbox: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
            code = EXIT_SANDBOX_FAILED
        finally:
            os._exit(code if isinstance(code, int) else 1)
    os.close(alive_r)
    os.close(log_w)
    relay_out = relay.KernelOutputRelay(policy.log_bytes)
    pidfd = os.pidfd_open(pid)

    def forward(signum, frame):
        try:  # pid 1 ignores SIGTERM without a handler: make "terminate" mean kill
            os.kill(pid, signal.SIGKILL if signum == signal.SIGTERM else signum)
        except ProcessLookupError:
            pass

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1,
                signal.SIGUSR2):
        signal.signal(sig, forward)
    watched = [log_r, pidfd]
    status = None
    while status is None:
        ready, _, _ = select.select(watched, [], [])
        if log_r in ready:
            chunk = os.read(log_r, 65536)
            if chunk:
                relay_out.feed(chunk)
            else:
                watched.remove(log_r)
        if pidfd in ready:
            try:
                _, status = os.waitpid(pid, 0)
            except ChildProcessError:
                status = 1 << 8
    # the kernel's pid namespace is gone, and with it every writer of the pipe: drain it
    while log_r in watched and select.select([log_r], [], [], 1.0)[0]:
        chunk = os.read(log_r, 65536)
        if not chunk:
            break
        relay_out.feed(chunk)
    relay_out.finish()
    for fd in (log_r, pidfd, alive_w):
        os.close(fd)
    if os.WIFSIGNALED(status):
        return 128 + os.WTERMSIG(status)
    return os.WEXITSTATUS(status)


def unavailable_message(reason: str, rootless: bool = False) -> str:
    if rootless:
        needs = ("Without root the sandbox needs unprivileged user namespaces (with mount, "
                 "network, PID and IPC namespaces inside)")
    else:
        needs = ("As root the sandbox needs Linux namespaces and CAP_SYS_ADMIN, CAP_SETUID, "
                 "CAP_SETGID in the grading process (run as a normal user for the rootless mode)")
    return (
        "dlcourse sandbox: cannot isolate the student's kernel "
        f"({reason}). {needs}; the kernel was NOT started. "
        "To grade without isolation (unsafe with untrusted notebooks) set DLCOURSE_SANDBOX=0."
    )


def _probe_child(rootless: bool) -> None:
    try:
        if rootless:
            userns.enter_user_namespace(os.getuid(), os.getgid())
        else:
            syscalls.unshare(NAMESPACES)
        syscalls.mount(None, "/", None, syscalls.MS_REC | syscalls.MS_PRIVATE)
        if rootless:
            syscalls.tmpfs("/tmp", "1m", inodes=16)
        else:
            os.setresgid(65534, 65534, 65534)
            os.setresuid(65534, 65534, 65534)
        os._exit(0)
    except (SandboxError, OSError) as exc:
        if isinstance(exc, PermissionError) and not rootless:
            os._exit(2)
        os._exit(1)
    except BaseException:  # noqa: BLE001
        os._exit(3)


def probe(rootless: bool | None = None) -> str | None:
    """Return None if the sandbox can be entered here, else the reason it cannot.

    ``rootless`` defaults to the mode this process would use (:func:`rootless_mode`).
    """
    if not sys.platform.startswith("linux"):
        return f"platform {sys.platform} is not Linux"
    if rootless is None:
        rootless = rootless_mode()
    pid = os.fork()
    if pid == 0:
        _probe_child(rootless)
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    if code == 0:
        return None
    if rootless:
        return userns_blocker() or "creating a user namespace with mounts failed"
    return {1: "unshare/mount not permitted", 2: "setuid not permitted"}.get(
        code, f"probe failed ({code})")


def rootless_mode(env=None) -> bool:
    """See :func:`dlgrade.sandbox.policy.rootless_mode`."""
    return _policy.rootless_mode(env)


__all__ = ["SandboxError", "enter", "spawn", "probe", "unavailable_message", "kernel_uid",
           "rootless_mode", "userns_blocker"]
