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
import select
import signal
import sys

if __package__:
    from . import cgroup
    from . import policy as _policy
else:  # imported by the kernelspec's wrapper run as a script (see launch.py)
    import cgroup  # type: ignore[no-redef]
    import policy as _policy  # type: ignore[no-redef]

_libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)

MNT_DETACH = 2
CLONE_NEWNS = 0x00020000
CLONE_NEWUSER = 0x10000000
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
PR_CAPBSET_DROP = 24
PR_CAP_AMBIENT = 47
PR_CAP_AMBIENT_CLEAR_ALL = 4
#: Mount flags a bind remount must keep (a user namespace may not clear them: EPERM).
# (1024, 2048, 4096: MS_NOATIME, MS_NODIRATIME, MS_RELATIME)
KEEP_FLAGS = MS_NOSUID | MS_NODEV | MS_NOEXEC | 1024 | 2048 | 4096

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


def unmount(target: str) -> None:
    """Detach the mount at ``target`` (``umount2(target, MNT_DETACH)``)."""
    _check(_libc.umount2(os.fsencode(target), ctypes.c_int(MNT_DETACH)), f"umount({target!r})")


def runtime_tmpfs(target: str) -> bool:
    """Mount a tiny tmpfs (64 KB, 32 files) on a kernel's host runtime folder, as root only.

    The folder holds the connection file and the kernel's sockets, and the kernel may write
    there: without its own tmpfs a kernel could fill the host's ``/tmp`` through it (768 MB
    and 20 000 files were tried). Returns False where mounting is not allowed (rootless mode):
    there only ``RLIMIT_FSIZE`` bounds each file, and the folder goes with the kernel.
    """
    if os.geteuid() != 0:
        return False
    try:
        _tmpfs(target, "64k", mode="0700", inodes=32)
    except SandboxError:
        return False
    return True


def prctl(option: int, arg: int) -> None:
    _check(_libc.prctl(ctypes.c_int(option), ctypes.c_ulong(arg), 0, 0, 0), "prctl")


def bind(source: str, target: str, readonly: bool = False) -> None:
    """Bind-mount ``source`` over ``target``, optionally read-only."""
    mount(source, target, None, MS_BIND)
    if readonly:
        remount_readonly(target)


def _tmpfs(target: str, size: str, mode: str = "1777", inodes: int = 4096) -> None:
    """A private tmpfs capped in bytes (``size``) and in files and folders (``nr_inodes``)."""
    mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV,
          f"size={size},nr_inodes={inodes},mode={mode}")


def remount_readonly(target: str) -> None:
    """Make the mount at ``target`` read-only, keeping the flags it already has.

    Inside a user namespace (rootless mode) the kernel refuses a remount that would clear
    a locked flag such as ``noexec`` with EPERM, so the current flags are read first.
    """
    keep = os.statvfs(target).f_flag & KEEP_FLAGS
    mount(None, target, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | keep)


def kernel_uid(host_pid: int) -> int:
    """A fresh unprivileged uid per kernel (no passwd entry, owns no file on the host).

    One uid per kernel keeps the process-count limit (RLIMIT_NPROC counts per uid) and
    signals separate between kernels that run at the same time in parallel workers. The
    waiter's host pid makes it unique among running kernels.
    """
    return 2_000_000_000 + host_pid


def _blocker(path: str, cover=()) -> str | None:
    """The outermost ancestor of ``path`` that other users cannot traverse (e.g. /root), or
    that lies in ``cover`` (folders replaced by an allow-list view, e.g. the grader's home)."""
    parts = path.strip("/").split("/")
    for i in range(1, len(parts)):
        ancestor = "/" + "/".join(parts[:i])
        if ancestor in cover:
            return ancestor
        try:
            if not os.stat(ancestor).st_mode & 0o001:
                return ancestor
        except OSError:
            return None
    return None


def _expose(paths, cover=()) -> None:
    """Make ``paths`` reachable for the kernel without opening their parents.

    A Python installed under ``/root`` (pyenv) cannot be read by another uid because /root
    is 0700. In the kernel's mount namespace the blocking folder is replaced by an empty
    tmpfs into which only the needed paths are bind-mounted back. Folders in ``cover`` are
    treated the same way even when they are open: the host's top-level folders outside the
    system ones (:func:`dlgrade.sandbox.policy.host_cover`) and, rootless, the grader's home,
    whose files the kernel could otherwise read as the grader's own uid. A shown path that
    is itself a covered folder is shown whole.
    """
    cover = [c for c in cover if c and c != "/" and os.path.isdir(c)]
    by_blocker: dict = {c: [] for c in cover}
    for path in sorted(set(paths)):
        if not os.path.isdir(path):
            continue
        blocker = path if path in cover else _blocker(path, cover)
        if blocker is not None:
            by_blocker.setdefault(blocker, []).append(path)
    for blocker, inner in sorted(by_blocker.items()):
        if any(blocker.startswith(other + "/") for other in by_blocker):
            continue  # a folder inside another replaced one: handled there
        fds = [(p, os.open(p, os.O_PATH | os.O_DIRECTORY)) for p in inner]
        for other, more in by_blocker.items():  # paths of nested replaced folders
            if other.startswith(blocker + "/"):
                fds += [(p, os.open(p, os.O_PATH | os.O_DIRECTORY)) for p in more]
        _tmpfs(blocker, "1m", mode="0755", inodes=1024)
        for path, fd in sorted(fds):
            os.makedirs(path, exist_ok=True)
            mount(f"/proc/self/fd/{fd}", path, None, MS_BIND | MS_REC)
            os.close(fd)


def _read_only_elsewhere(writable) -> None:
    """Remount every mount of this namespace read-only except ``writable`` (and below).

    A kernel runs under a uid that owns no file, yet world-writable folders on the host
    would let one student leave files for the next: outside its private scratch space and
    working folder, the kernel's whole view is read-only. (In rootless mode the kernel runs
    as the grader's uid, so this is what keeps it from writing the grader's files.)
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
            remount_readonly(point)
        except (SandboxError, OSError):
            pass  # a mount that is covered by another one or cannot change: skip it


def drop_capabilities() -> None:
    """Give up every capability (rootless mode: those held in the new user namespace).

    The kernel keeps the grader's uid, so nothing is regained by setuid programs or exec;
    with no CAP_SYS_ADMIN it cannot unmount the covers or remount anything writable.
    """
    for cap in range(64):
        if _libc.prctl(ctypes.c_int(PR_CAPBSET_DROP), ctypes.c_ulong(cap), 0, 0, 0) != 0:
            break  # past the last capability this kernel knows
    _libc.prctl(ctypes.c_int(PR_CAP_AMBIENT), ctypes.c_ulong(PR_CAP_AMBIENT_CLEAR_ALL), 0, 0, 0)

    class Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

    class Data(ctypes.Structure):
        _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                    ("inheritable", ctypes.c_uint32)]

    header = Header(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3
    data = (Data * 2)()
    _check(_libc.capset(ctypes.byref(header), ctypes.byref(data)), "capset")


def capabilities() -> int:
    """The effective capability mask of this process (from /proc/self/status)."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("CapEff:"):
                return int(line.split()[1], 16)
    return 0


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
    # File descriptors on what must stay reachable, taken before anything is covered.
    own_fd = os.open(policy.workdir, os.O_PATH | os.O_DIRECTORY)
    run_fd = os.open(policy.runtime_dir, os.O_PATH | os.O_DIRECTORY)

    def fd_path(fd: int) -> str:
        return f"/proc/self/fd/{fd}"

    mount(None, "/", None, MS_REC | MS_PRIVATE)  # nothing propagates back to the host
    # An allow-list view of the host: every top-level folder outside the system ones (and,
    # rootless, the grader's home) is covered; the Python installation, the packages, the
    # course (its private folders hidden below) and the working folder are bound back.
    shown = list(policy.expose) + [policy.workdir]
    if policy.course_root:
        shown.append(policy.course_root)
    _expose(shown, cover=policy.cover)  # also opens paths under a folder with mode 0700
    # A private, size-capped /tmp holds everything the sandbox needs as scratch space. What
    # the kernel must read from under the host's /tmp (a course, venv or package checked out
    # there, as CI does) is bound back read-only into it.
    under_tmp = sorted({p for p in policy.expose if p.startswith("/tmp/") and os.path.isdir(p)})
    tmp_fds = [(p, os.open(p, os.O_PATH | os.O_DIRECTORY)) for p in under_tmp]
    _tmpfs("/tmp", policy.tmp_size, inodes=policy.tmp_inodes)
    for path, fd in tmp_fds:
        os.makedirs(path, exist_ok=True)
        mount(fd_path(fd), path, None, MS_BIND | MS_REC)
        remount_readonly(path)
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
        remount_readonly(path)

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
    # A working folder under one of them (a Dask station's copy of the course lives in
    # /var/tmp) is bound back at its own path: Python imports a helper module beside the
    # notebook by that path, not through the current-directory handle.
    for shared in ("/dev/shm", "/var/tmp", "/run", "/dev/mqueue"):
        if os.path.isdir(shared) and not os.path.islink(shared):
            holds = policy.workdir.startswith(shared + os.sep)
            here = os.open(".", os.O_PATH | os.O_DIRECTORY) if holds else None
            try:
                _tmpfs(shared, "16m", inodes=1024)
            except SandboxError:
                pass
            else:
                if here is not None:
                    os.makedirs(policy.workdir, mode=0o755, exist_ok=True)
                    bind(fd_path(here), policy.workdir)
                    os.chdir(policy.workdir)
            finally:
                if here is not None:
                    os.close(here)
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

    if policy.rootless:
        drop_capabilities()
    else:
        os.setgroups([])
        os.setresgid(gid, gid, gid)
        os.setresuid(uid, uid, uid)
    prctl(PR_SET_NO_NEW_PRIVS, 1)
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # after setuid: credential changes clear it
    if capabilities() != 0 or (not policy.rootless and 0 in (os.geteuid(), os.getuid())):
        raise SandboxError("could not drop root")


NAMESPACES = CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWPID | CLONE_NEWIPC


def enter_user_namespace(uid: int, gid: int) -> None:
    """Rootless mode: new user namespace plus the usual ones, mapping only ``uid``/``gid``.

    The process keeps its uid (inside and outside are the same number) and gains, inside
    the new namespace only, the capabilities to build the kernel's mounts; it drops them
    before the student's code runs (:func:`drop_capabilities`).
    """
    unshare(CLONE_NEWUSER | NAMESPACES)
    for name, text in (("setgroups", "deny"), ("gid_map", f"{gid} {gid} 1"),
                       ("uid_map", f"{uid} {uid} 1")):
        with open(f"/proc/self/{name}", "w") as fh:
            fh.write(text)


def _kernel_group(policy, name: str):
    """The kernel's cgroup (memory and pids caps for the whole kernel), or None."""
    if policy.group_memory_bytes is None and policy.group_pids is None:
        return None
    if cgroup.detect() is None:
        if policy.rootless:
            return None  # documented: rootless mode keeps the per-process rlimits only
        raise SandboxError("no writable cgroup hierarchy with the memory and pids controllers "
                           "(set DLCOURSE_SANDBOX_GROUP_MEMORY=none and "
                           "DLCOURSE_SANDBOX_GROUP_PIDS=none to grade without group caps)")
    try:
        return cgroup.KernelGroup(name, policy.group_memory_bytes, policy.group_pids)
    except OSError as exc:
        raise SandboxError(f"cannot create the kernel's cgroup: {exc}") from None


def spawn(policy, run_kernel) -> int:
    """Run ``run_kernel()`` sandboxed; called in the waiter, returns the exit code to use.

    The waiter joins the kernel's cgroup, unshares mount, network, pid and ipc namespaces
    (and, rootless, a user namespace), forks the kernel (pid 1 of the new pid namespace),
    forwards interrupts to it and waits for it.
    """
    try:
        # pid and a random part: pids are reused, and a group left by a killed waiter
        # (cgroup.sweep removes those) must not stop the next kernel that gets its pid
        group = _kernel_group(policy, f"{cgroup.PREFIX}{os.getpid()}-{os.urandom(4).hex()}")
        if group is not None:
            group.add(os.getpid())  # the kernel and all its children inherit it
    except (SandboxError, OSError) as exc:
        print(unavailable_message(str(exc), policy.rootless), file=sys.stderr, flush=True)
        return EXIT_SANDBOX_FAILED
    try:
        if policy.rootless:
            uid, gid = os.getuid(), os.getgid()
            enter_user_namespace(uid, gid)
        else:
            unshare(NAMESPACES)
            uid = gid = kernel_uid(os.getpid())
    except (SandboxError, OSError) as exc:
        reason = str(exc)
        if policy.rootless:
            reason = userns_blocker() or reason
        print(unavailable_message(reason, policy.rootless), file=sys.stderr, flush=True)
        _end_group(group)
        return EXIT_SANDBOX_FAILED
    code = _fork_kernel(policy, run_kernel, uid, gid)
    _end_group(group)
    return code


def _end_group(group) -> None:
    if group is not None:
        group.leave(os.getpid())
        group.remove()


#: Prefix of every line the kernel writes to its stdout/stderr file descriptors, as it
#: reaches the grader's log: a kernel cannot write a line that looks like nbgrader's own.
KERNEL_LOG_PREFIX = b"[student kernel] "


class KernelOutputRelay:
    """Copies what the kernel writes to its fds 1 and 2 (a pipe) to the grader's stderr,
    each line prefixed, control characters replaced, at most ``limit`` bytes in all.

    Without it the kernel's fds 1 and 2 would be the grader's own (ipykernel echoes
    low-level writes there), so ``os.write(2, b"[AutogradeApp] ERROR ...")`` from a cell
    would forge a line of the instructor's log, and a flood would fill it. (The waiter runs
    it from its wait loop: after ``unshare(CLONE_NEWPID)`` a process cannot start threads.)
    """

    def __init__(self, limit: int, out: int = 2) -> None:
        self.limit, self.out = limit, out
        self.pending, self.written, self.dropped = b"", 0, 0

    #: Room kept for the note that says output was dropped.
    NOTE_ROOM = 200

    def _emit(self, line: bytes, note: bool = False) -> None:
        text = KERNEL_LOG_PREFIX + bytes(c if c >= 32 or c == 9 else 63 for c in line) + b"\n"
        if not note and self.written + len(text) > self.limit - self.NOTE_ROOM:
            if not self.dropped:  # said at once: the waiter may be killed before finish()
                self._emit(b"... more bytes of kernel output dropped (at most %d bytes "
                           b"are kept per kernel)" % self.limit, note=True)
            self.dropped += len(line) + 1
            return
        self.written += len(text)
        try:
            os.write(self.out, text)
        except OSError:
            pass

    def feed(self, chunk: bytes) -> None:
        self.pending += chunk
        *lines, self.pending = self.pending.split(b"\n")
        for line in lines:
            self._emit(line)
        while len(self.pending) > 4096:  # a line without end: pass it on in pieces
            self._emit(self.pending[:4096])
            self.pending = self.pending[4096:]

    def finish(self) -> None:
        if self.pending:
            self._emit(self.pending)
            self.pending = b""
        if self.dropped:
            self.dropped, dropped = 0, self.dropped
            self._emit(f"... {dropped} bytes of kernel output dropped in all".encode(),
                       note=True)


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
    relay = KernelOutputRelay(policy.log_bytes)
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
                relay.feed(chunk)
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
        relay.feed(chunk)
    relay.finish()
    for fd in (log_r, pidfd, alive_w):
        os.close(fd)
    if os.WIFSIGNALED(status):
        return 128 + os.WTERMSIG(status)
    return os.WEXITSTATUS(status)


#: Kernel settings that switch unprivileged user namespaces off: (file under /proc/sys,
#: value that blocks, sysctl name, how to allow them again).
USERNS_SETTINGS = (
    ("kernel/unprivileged_userns_clone", "0", "kernel.unprivileged_userns_clone",
     "sysctl -w kernel.unprivileged_userns_clone=1"),
    ("user/max_user_namespaces", "0", "user.max_user_namespaces",
     "sysctl -w user.max_user_namespaces=15000"),
    ("kernel/apparmor_restrict_unprivileged_userns", "1",
     "kernel.apparmor_restrict_unprivileged_userns",
     "sysctl -w kernel.apparmor_restrict_unprivileged_userns=0, or an AppArmor profile "
     "that allows 'userns,' for the grading Python"),
)


def userns_blocker(sysctl_root: str = "/proc/sys") -> str | None:
    """Which kernel setting forbids unprivileged user namespaces here, with its fix (or None)."""
    for rel, blocking, name, fix in USERNS_SETTINGS:
        try:
            with open(os.path.join(sysctl_root, rel)) as fh:
                value = fh.read().strip()
        except OSError:
            continue
        if value == blocking:
            return (f"unprivileged user namespaces are switched off by {name}={value}; "
                    f"an administrator can allow them with '{fix}' (persist it in "
                    "/etc/sysctl.d/), or grade as root")
    return None


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
            enter_user_namespace(os.getuid(), os.getgid())
        else:
            unshare(NAMESPACES)
        mount(None, "/", None, MS_REC | MS_PRIVATE)
        if rootless:
            _tmpfs("/tmp", "1m", inodes=16)
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
