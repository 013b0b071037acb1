"""The system calls the sandbox is built from, called through libc with ``ctypes``.

``unshare(2)``, ``mount(2)`` / ``umount2(2)``, ``prctl(2)`` and ``capset(2)`` with the flag values
the kernel headers give them; every failure raises :class:`SandboxError` with ``errno``'s text.
No policy here: what to mount where is :mod:`dlgrade.sandbox.view`'s business.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os

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

#: The namespaces every kernel gets (rootless mode adds a user namespace).
NAMESPACES = CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWPID | CLONE_NEWIPC


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


def prctl(option: int, arg: int) -> None:
    _check(_libc.prctl(ctypes.c_int(option), ctypes.c_ulong(arg), 0, 0, 0), "prctl")


def bind(source: str, target: str, readonly: bool = False) -> None:
    """Bind-mount ``source`` over ``target``, optionally read-only."""
    mount(source, target, None, MS_BIND)
    if readonly:
        remount_readonly(target)


def tmpfs(target: str, size: str, mode: str = "1777", inodes: int = 4096) -> None:
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

