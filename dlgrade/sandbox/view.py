"""The kernel's filesystem view: an allow-list of the host, private scratch space, read-only.

Built in the kernel's own mount namespace (as root, or rootless in a user namespace) by
:func:`build`, before the kernel drops its privileges:

- every top-level host folder outside the system ones, rootless the grader's home, and the
  course folder are empty tmpfs into which only the Python installation, the packages, the
  shown folders and the working folder are bound back (:func:`_expose`,
  :func:`dlgrade.sandbox.policy.host_cover`): nothing else of the course is in sight, not even
  a file made there after the kernel started;
- as a second layer the course's private folders and files are covered by name
  (``solutions/``, ``gradebook.db``, the folders its ``nbgrader_config.py`` names, ...);
- for a judged notebook, the ``dlcourse`` package's folder shows its kernel build (stubs, no
  implementation: :mod:`dlgrade.sandbox.kernel_package`) in place of the real files;
- ``/tmp``, ``/dev/shm``, ``/var/tmp``, ``/run`` and ``/dev/mqueue`` are private size-capped tmpfs;
- ``/dev`` holds only what a kernel uses (:data:`DEVICES` and the ``/proc/self/fd`` links),
  read-only: the host's terminals, console, disks and kernel log are out of sight;
- the working folder is an overlay whose changes vanish with the kernel;
- everything else is remounted read-only, and ``/proc`` shows only the kernel's pid namespace.
"""

from __future__ import annotations

import os
import re
import sys

if __package__:
    from . import syscalls
else:  # imported by the kernelspec's wrapper run as a script (see launch.py)
    import syscalls  # type: ignore[no-redef]

MS_BIND, MS_NODEV, MS_NOEXEC = syscalls.MS_BIND, syscalls.MS_NODEV, syscalls.MS_NOEXEC
MS_NOSUID, MS_PRIVATE, MS_REC = syscalls.MS_NOSUID, syscalls.MS_PRIVATE, syscalls.MS_REC
SandboxError, bind, mount = syscalls.SandboxError, syscalls.bind, syscalls.mount
remount_readonly, tmpfs = syscalls.remount_readonly, syscalls.tmpfs


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
        tmpfs(target, "64k", mode="0700", inodes=32)
    except SandboxError:
        return False
    return True



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
    system ones (:func:`dlgrade.sandbox.policy.host_cover`), rootless the grader's home, whose
    files the kernel could otherwise read as the grader's own uid, and the course folder.
    A shown path that is itself a covered folder is shown whole.

    Covered folders are replaced outermost first, and every shown path under one is bound
    back after it: a covered folder inside another (the course under ``/srv``) stays covered
    even when a shown path holds it (``/srv/courses`` shown, the course inside).
    """
    cover = [c for c in cover if c and c != "/" and os.path.isdir(c)]
    blockers = set(cover)
    shown = []
    for path in sorted(set(paths)):
        if not os.path.isdir(path):
            continue
        blocker = path if path in cover else _blocker(path, cover)
        if blocker is not None:
            blockers.add(blocker)
            shown.append(path)
    # Handles on the real folders, taken before anything is covered.
    fds = [(p, os.open(p, os.O_PATH | os.O_DIRECTORY)) for p in shown]
    try:
        for blocker in sorted(blockers, key=lambda b: (b.count("/"), b)):
            if not os.path.isdir(blocker):
                continue  # inside a folder covered before, and nothing of it shown
            tmpfs(blocker, "1m", mode="0755", inodes=1024)
            for path, fd in fds:
                if path == blocker or path.startswith(blocker + "/"):
                    os.makedirs(path, exist_ok=True)
                    mount(f"/proc/self/fd/{fd}", path, None, MS_BIND | MS_REC)
    finally:
        for _, fd in fds:
            os.close(fd)


def _only_in_etc(keep, etc: str = "/etc") -> None:
    """Replace ``etc`` by a tmpfs holding only the entries ``keep`` (absolute paths in it):
    folders and files are bound back, symbolic links made again with the same target."""
    held = []
    for path in keep:
        if os.path.dirname(path) != etc or not os.path.lexists(path):
            continue
        if os.path.islink(path):
            held.append((path, os.readlink(path), None))
        else:
            held.append((path, None, os.open(path, os.O_PATH)))
    tmpfs(etc, "1m", mode="0755", inodes=1024)
    for path, target, fd in held:
        if target is not None:
            os.symlink(target, path)
            continue
        if os.path.isdir(f"/proc/self/fd/{fd}"):
            os.mkdir(path, 0o755)
        else:
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o644))
        mount(f"/proc/self/fd/{fd}", path, None, MS_BIND | MS_REC)
        os.close(fd)


def mount_points(text: bytes) -> list[str]:
    r"""The mount points of ``/proc/self/mountinfo``'s ``text``, in its order.

    The kernel writes each point's bytes as they are, except space, tab, newline and backslash,
    which it writes as three octal digits (``\040``); a point is those bytes undone, read as
    a file name (``os.fsdecode``). Decoding the line as ``unicode_escape`` instead turned every
    byte of a UTF-8 letter into its own character (``/srv/Übung`` into ``/srv/Ã\x9cbung``), so
    such a mount was never remounted read-only (review 21g, UNI).

    >>> mount_points("22 1 0:21 / /srv/\u00dcbung\\040kurs rw - ext4 /dev/sda rw\n".encode())
    ['/srv/Übung kurs']
    """
    points = []
    for line in text.splitlines():
        fields = line.split(b" ")
        if len(fields) > 4:
            raw = re.sub(rb"\\([0-7]{3})", lambda m: bytes([int(m.group(1), 8)]), fields[4])
            points.append(os.fsdecode(raw))
    return points


def _read_only_elsewhere(writable) -> None:
    """Remount every mount of this namespace read-only except ``writable`` (and below).

    A kernel runs under a uid that owns no file, yet world-writable folders on the host
    would let one student leave files for the next: outside its private scratch space and
    working folder, the kernel's whole view is read-only. (In rootless mode the kernel runs
    as the grader's uid, so this is what keeps it from writing the grader's files.)

    Then each point is checked: one still writable (a remount that failed and is not covered
    by a read-only mount above it) stops the kernel's start, never a silent skip.
    """
    with open("/proc/self/mountinfo", "rb") as fh:
        points = mount_points(fh.read())

    def kept(point: str) -> bool:
        return any(point == w or point.startswith(w.rstrip("/") + "/") for w in writable)

    seen = set()
    for point in points:
        if point in seen or kept(point):
            continue
        seen.add(point)
        try:
            remount_readonly(point)
        except (SandboxError, OSError):
            pass  # a mount covered by another one or that cannot change: checked below
    for point in seen:
        try:
            flags = os.statvfs(point).f_flag
        except OSError:
            continue  # a point the view no longer reaches (covered, or gone)
        if not flags & os.ST_RDONLY and not _pseudo(point):
            raise SandboxError(f"the sandbox could not make {point!r} read-only in the "
                               "kernel's view; the kernel is not started")


#: kernel file systems whose mount cannot hold the grader's files (writes are refused by
#: their own rules, not by the mount flag)
_PSEUDO = ("/proc", "/sys", "/dev")


def _pseudo(point: str) -> bool:
    return any(point == p or point.startswith(p + "/") for p in _PSEUDO)


#: The device nodes a kernel uses (Python, numpy, zmq, subprocess): all of them mode 0666 on
#: any Linux. Not the terminals (a rootless kernel runs as the grader's uid, which owns the
#: instructor's terminal: review 21g, TTY), the console and tty0.. (root's: writable by a
#: kernel that is uid 0 in its user namespace), disks, /dev/kmsg (the kernel log, readable by
#: all), /dev/ptmx.
DEVICES = ("null", "zero", "full", "random", "urandom")
_DEV_LINKS = {"fd": "/proc/self/fd", "stdin": "/proc/self/fd/0",
              "stdout": "/proc/self/fd/1", "stderr": "/proc/self/fd/2"}


def _only_devices(dev: str = "/dev") -> None:
    """Replace ``dev`` by a small tmpfs that holds the host's :data:`DEVICES` (each bound
    from the host's node), the ``/proc/self/fd`` links and empty ``shm``, ``mqueue`` and
    ``pts`` folders. The tmpfs itself is made read-only by :func:`build` once ``shm`` and
    ``mqueue`` have their own mounts; the nodes stay usable (their mounts are not ``nodev``)."""
    held = [(name, os.open(os.path.join(dev, name), os.O_PATH))
            for name in DEVICES if os.path.exists(os.path.join(dev, name))]
    tmpfs(dev, "64k", mode="0755", inodes=64)
    for name, fd in held:
        node = os.path.join(dev, name)
        os.close(os.open(node, os.O_CREAT | os.O_WRONLY, 0o666))
        mount(f"/proc/self/fd/{fd}", node, None, MS_BIND)
        os.close(fd)
    for name, target in _DEV_LINKS.items():
        os.symlink(target, os.path.join(dev, name))
    for name in ("shm", "mqueue", "pts"):
        os.mkdir(os.path.join(dev, name), 0o755)


def build(policy, uid: int, gid: int) -> None:
    """Build the kernel's view described by ``policy`` (see the module's docstring); the
    writable places (working folder, runtime folder, scratch) are handed to ``uid``/``gid``."""
    # File descriptors on what must stay reachable, taken before anything is covered.
    own_fd = os.open(policy.workdir, os.O_PATH | os.O_DIRECTORY)
    run_fd = os.open(policy.runtime_dir, os.O_PATH | os.O_DIRECTORY)
    build_fd = (os.open(policy.kernel_package, os.O_PATH | os.O_DIRECTORY)
                if policy.kernel_package and policy.package_dir else None)

    def fd_path(fd: int) -> str:
        return f"/proc/self/fd/{fd}"

    mount(None, "/", None, MS_REC | MS_PRIVATE)  # nothing propagates back to the host
    # An allow-list view of the host: every top-level folder outside the system ones (and,
    # rootless, the grader's home) and the course folder are covered; the Python
    # installation, the packages, the shown folders and the working folder are bound back.
    shown = list(policy.expose) + [policy.workdir]
    _expose(shown, cover=policy.cover)  # also opens paths under a folder with mode 0700
    if policy.etc_keep is not None:
        _only_in_etc(policy.etc_keep)
    # A private, size-capped /tmp holds everything the sandbox needs as scratch space. What
    # the kernel must read from under the host's /tmp (a course, venv or package checked out
    # there, as CI does) is bound back read-only into it.
    under_tmp = sorted({p for p in policy.expose if p.startswith("/tmp/") and os.path.isdir(p)})
    tmp_fds = [(p, os.open(p, os.O_PATH | os.O_DIRECTORY)) for p in under_tmp]
    tmpfs("/tmp", policy.tmp_size, inodes=policy.tmp_inodes)
    for path, fd in tmp_fds:
        os.makedirs(path, exist_ok=True)
        mount(fd_path(fd), path, None, MS_BIND | MS_REC)
        remount_readonly(path)
        os.close(fd)
    if build_fd is not None:
        # The course package as the kernel sees it: the kernel build (stubs, no implementation;
        # dlgrade.sandbox.kernel_package) at the real package's path, so module names and the
        # judge's test of where code comes from stay the same and the real files are out of sight.
        bind(fd_path(build_fd), policy.package_dir, readonly=True)
        os.close(build_fd)
    scratch = "/tmp/.dlcourse"
    os.makedirs(scratch + "/empty", mode=0o555)
    os.chmod(scratch, 0o711)
    _only_devices()

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
                tmpfs(shared, "16m", inodes=1024)
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
    if policy.kernel_package and policy.package_dir:
        # A judged kernel's tests run in the grading process, yet the notebook nbgrader grades
        # lies in the working folder with every test cell restored, hidden parts included: a
        # cell could read and print them (review 21f, HT). Such a kernel cannot read notebooks.
        for name in sorted(os.listdir(policy.workdir)):
            path = os.path.join(policy.workdir, name)
            if name.endswith(".ipynb") and os.path.isfile(path) and not os.path.islink(path):
                bind("/dev/null", path, readonly=True)
    remount_readonly("/dev")  # the tmpfs only: the device nodes and shm, mqueue are own mounts
    _read_only_elsewhere([policy.workdir, policy.runtime_dir, "/tmp", "/dev", "/proc",
                          "/var/tmp", "/run"])
    try:  # a /proc that shows only this pid namespace
        mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    except SandboxError as exc:
        print(f"dlcourse sandbox: host /proc stays visible ({exc})", file=sys.stderr)
