"""The rootless path: a user namespace that maps only the grader's uid, and why it may be refused.

Without root the sandbox's namespaces are created inside a new user namespace, where the
grader's process holds the capabilities to build the kernel's mounts (and gives them up
before the student's code runs). :func:`userns_blocker` names the kernel setting that
forbids unprivileged user namespaces, with the command that allows them.
"""

from __future__ import annotations

import os

if __package__:
    from . import syscalls
else:  # imported by the kernelspec's wrapper run as a script (see launch.py)
    import syscalls  # type: ignore[no-redef]


def enter_user_namespace(uid: int, gid: int) -> None:
    """Rootless mode: new user namespace plus the usual ones, mapping only ``uid``/``gid``.

    The process keeps its uid (inside and outside are the same number) and gains, inside
    the new namespace only, the capabilities to build the kernel's mounts; it drops them
    before the student's code runs (:func:`dlgrade.sandbox.syscalls.drop_capabilities`).
    """
    syscalls.unshare(syscalls.CLONE_NEWUSER | syscalls.NAMESPACES)
    for name, text in (("setgroups", "deny"), ("gid_map", f"{gid} {gid} 1"),
                       ("uid_map", f"{uid} {uid} 1")):
        with open(f"/proc/self/{name}", "w") as fh:
            fh.write(text)


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
