"""The grading process's own memory cap, and its peak memory per submission.

The grading process reads every message a student's kernel sends it; ZeroMQ assembles a
message whole, whatever its number of parts, before anyone can look at it
(:mod:`dlgrade.kernel_channels`). So the process runs under an address-space cap
(``RLIMIT_AS``, soft limit): what it holds once nbgrader is loaded plus
``DLCOURSE_GRADER_MEMORY`` (default :data:`DEFAULT_ALLOWANCE`; ``none`` switches it off).
Past it an allocation fails: inside ZeroMQ the message is refused and the connection dropped
(the kernel's notebook then stops with a reason), in Python a ``MemoryError`` fails that one
submission. The process and the batch go on.

Set by :func:`dlgrade.worker.worker_main` (each Dask station's grading child, and the
in-process ``--student`` path) when it is ready, and by
:class:`dlgrade.judge.JudgedExecute` on its first notebook in a plain ``nbgrader autograde``.
Kernels started afterwards do not keep it: the sandbox sets its own cap
(``DLCOURSE_SANDBOX_MEMORY``); with the sandbox off they inherit it.
"""

from __future__ import annotations

import os
import resource

from .sandbox.policy import parse_size

#: Address space the grading process may add to what it holds when the cap is set.
DEFAULT_ALLOWANCE = "2G"

_capped: int | None = None


def allowance(env=None) -> int | None:
    """Bytes from ``DLCOURSE_GRADER_MEMORY`` (``512M``, ``2G``, ...), or None (``none``)."""
    text = (env or os.environ).get("DLCOURSE_GRADER_MEMORY", DEFAULT_ALLOWANCE).strip()
    if text.lower() in ("none", "off", "0"):
        return None
    return parse_size(text, "DLCOURSE_GRADER_MEMORY")


def address_space() -> int:
    """This process's address space now (``VmSize``), in bytes."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def cap_memory(extra: int | None) -> int | None:
    """Cap this process's address space at what it holds now plus ``extra`` bytes (never
    above a cap already set); returns the cap, or None when ``extra`` is None."""
    global _capped
    if extra is None:
        return None
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    cap = address_space() + extra
    for limit in (soft, hard):
        if limit != resource.RLIM_INFINITY:
            cap = min(cap, limit)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    _capped = cap
    return cap


def ensure_capped() -> int | None:
    """:func:`cap_memory` with :func:`allowance`, once per process."""
    if _capped is not None:
        return _capped
    return cap_memory(allowance())


def reset_peak() -> None:
    """Start the peak resident memory (``ru_maxrss``) afresh (Linux >= 4.0)."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


def peak_mb() -> float:
    """Peak resident memory since :func:`reset_peak` (or the start), in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
