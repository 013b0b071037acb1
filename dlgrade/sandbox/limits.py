"""The kernel's resource limits: per-process rlimits and the cgroup of the whole kernel.

``setrlimit(2)`` caps address space, CPU time, processes + threads (per uid), file size and
core dumps of the kernel process; a cgroup (:mod:`dlgrade.sandbox.cgroup`) caps the memory and
pids of the kernel and all its children together. The values come from the
:class:`~dlgrade.sandbox.policy.Policy`.
"""

from __future__ import annotations

import os
import resource

if __package__:
    from . import cgroup, syscalls
else:  # imported by the kernelspec's wrapper run as a script (see launch.py)
    import cgroup  # type: ignore[no-redef]
    import syscalls  # type: ignore[no-redef]


def apply_rlimits(policy) -> None:
    """Set the policy's rlimits on this process (soft = hard)."""
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


def kernel_group(policy, name: str):
    """The kernel's cgroup (memory and pids caps for the whole kernel), or None."""
    if policy.group_memory_bytes is None and policy.group_pids is None:
        return None
    if cgroup.detect() is None:
        if policy.rootless:
            return None  # documented: rootless mode keeps the per-process rlimits only
        raise syscalls.SandboxError(
            "no writable cgroup hierarchy with the memory and pids controllers "
            "(set DLCOURSE_SANDBOX_GROUP_MEMORY=none and "
            "DLCOURSE_SANDBOX_GROUP_PIDS=none to grade without group caps)")
    try:
        return cgroup.KernelGroup(name, policy.group_memory_bytes, policy.group_pids)
    except OSError as exc:
        raise syscalls.SandboxError(f"cannot create the kernel's cgroup: {exc}") from None


def end_group(group) -> None:
    if group is not None:
        group.leave(os.getpid())
        group.remove()
