"""Memory and process caps for a whole kernel (the kernel and every child it forks).

``RLIMIT_AS`` and ``RLIMIT_NPROC`` bound each process; a kernel that forks three children
each touching 1.5 GB stays under a 4 GB address-space limit per process yet takes 4.5 GB
of the grading host. A cgroup per kernel caps the sum. Both hierarchies are supported:

- cgroup v1 (this machine kind): the ``memory`` and ``pids`` controllers, each mounted at
  ``/sys/fs/cgroup/<controller>``; limits ``memory.limit_in_bytes`` and ``pids.max``;
- cgroup v2 (current distributions): one tree at ``/sys/fs/cgroup`` with ``memory.max``
  and ``pids.max``, usable when the grader's own cgroup may enable both controllers for
  its children (root, or a systemd-delegated subtree).

Creating groups needs write access to the hierarchy: root, or a delegated subtree. In
rootless mode without one, :func:`detect` returns None and only the per-process rlimits
apply (documented in the instructors' guide).
"""

from __future__ import annotations

import os
import time

ROOT = "/sys/fs/cgroup"


def _own_path(controller: str | None, proc_cgroup: str = "/proc/self/cgroup") -> str | None:
    """This process's cgroup path for ``controller`` (None: the v2 unified entry)."""
    try:
        with open(proc_cgroup) as fh:
            lines = fh.read().splitlines()
    except OSError:
        return None
    for line in lines:
        _, controllers, path = line.split(":", 2)
        names = controllers.split(",") if controllers else []
        if (controller is None and not names and line.startswith("0::")) or controller in names:
            return path
    return None


def _writable(folder: str) -> bool:
    return os.path.isdir(folder) and os.access(folder, os.W_OK)


def detect(root: str = ROOT) -> str | None:
    """``"v1"`` or ``"v2"`` when per-kernel groups with memory and pids caps can be made."""
    v1 = [os.path.join(root, c, (_own_path(c) or "/").lstrip("/")) for c in ("memory", "pids")]
    if all(_writable(f) and os.path.exists(os.path.join(f, "cgroup.procs")) for f in v1):
        return "v1"
    own = _own_path(None)
    if own is not None:
        folder = os.path.join(root, own.lstrip("/"))
        try:
            with open(os.path.join(root, "cgroup.controllers")) as fh:
                available = fh.read().split()
        except OSError:
            return None
        if {"memory", "pids"} <= set(available) and _writable(folder):
            return "v2"
    return None


#: Prefix of the kernels' cgroups (``dlcourse-kernel-<pid>-<random>``).
PREFIX = "dlcourse-kernel-"


def sweep(parent: str, older_than: float = 60.0) -> int:
    """Remove the empty kernel cgroups under ``parent`` older than ``older_than`` seconds;
    return how many went.

    A kernel's waiter removes its group when the kernel ends, but a waiter killed with the
    kernel's process group (an immediate shutdown) cannot; an empty cgroup costs little, yet
    thousands piled up in a day of grading. ``rmdir`` refuses a group that still holds a
    process; the age keeps a group just made by another kernel, not yet joined, in place.
    """
    removed = 0
    now = time.time()
    try:
        names = [n for n in os.listdir(parent) if n.startswith(PREFIX)]
    except OSError:
        return 0
    for name in names:
        folder = os.path.join(parent, name)
        try:
            if now - os.stat(folder).st_mtime < older_than:
                continue
            os.rmdir(folder)
            removed += 1
        except OSError:
            pass
    return removed


class KernelGroup:
    """One cgroup (v1: one per controller) holding a kernel and all its children."""

    def __init__(self, name: str, memory_bytes: int | None, pids: int | None,
                 root: str = ROOT, kind: str | None = None) -> None:
        self.kind = kind or detect(root)
        if self.kind is None:
            raise OSError("no writable cgroup hierarchy with memory and pids controllers")
        self.folders: list[str] = []
        self.parents: list[str] = []
        if self.kind == "v1":
            for controller in ("memory", "pids"):
                parent = os.path.join(root, controller, (_own_path(controller) or "/").lstrip("/"))
                self._make(parent, name)
            mem, pid = self.folders
            if memory_bytes is not None:
                self._write(mem, "memory.limit_in_bytes", memory_bytes)
                try:  # memory + swap, where swap accounting is on
                    self._write(mem, "memory.memsw.limit_in_bytes", memory_bytes)
                except OSError:
                    pass
            if pids is not None:
                self._write(pid, "pids.max", pids)
        else:
            parent = os.path.join(root, (_own_path(None) or "/").lstrip("/"))
            try:
                self._write(parent, "cgroup.subtree_control", "+memory +pids")
            except OSError:
                pass  # already enabled, or the parent holds processes (then mkdir tells)
            self._make(parent, name)
            if memory_bytes is not None:
                self._write(self.folders[0], "memory.max", memory_bytes)
                self._write(self.folders[0], "memory.swap.max", 0)
            if pids is not None:
                self._write(self.folders[0], "pids.max", pids)

    def _make(self, parent: str, name: str) -> None:
        sweep(parent)
        folder = os.path.join(parent, name)
        os.mkdir(folder)
        self.folders.append(folder)
        self.parents.append(parent)

    @staticmethod
    def _write(folder: str, name: str, value) -> None:
        path = os.path.join(folder, name)
        if name == "memory.swap.max" and not os.path.exists(path):
            return
        with open(path, "w") as fh:
            fh.write(str(value))

    def add(self, pid: int) -> None:
        """Move ``pid`` (and its future children) into the group."""
        for folder in self.folders:
            self._write(folder, "cgroup.procs", pid)

    def leave(self, pid: int) -> None:
        """Move ``pid`` back to where it came from (so the group can be removed)."""
        for parent in self.parents:
            try:
                self._write(parent, "cgroup.procs", pid)
            except OSError:
                pass

    def peak_memory(self) -> int | None:
        """Highest memory use of the group so far, in bytes (None if not reported)."""
        name = "memory.max_usage_in_bytes" if self.kind == "v1" else "memory.peak"
        try:
            with open(os.path.join(self.folders[0], name)) as fh:
                return int(fh.read())
        except (OSError, ValueError):
            return None

    def remove(self, wait: float = 2.0) -> None:
        """Remove the group once its processes are gone (they were killed with the kernel)."""
        deadline = time.monotonic() + wait
        for folder in self.folders:
            while True:
                try:
                    os.rmdir(folder)
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        break
                    time.sleep(0.02)
