"""A deadline per submission, on the grading side, that no kernel can talk its way past.

A kernel that corrupts or floods its channels (a cell writing to every descriptor from 3 to
199 hits its own ZeroMQ sockets) may never answer again, and nbgrader may then wait for it
longer than any cell timeout. :class:`SubmissionDeadline` watches one submission from a
thread of the grading process:

1. at the deadline it kills every kernel this process started (each kernel's process
   group: the sandbox's waiter, and with it the kernel's whole PID namespace), so nbgrader
   sees a dead kernel and returns;
2. if nbgrader still has not returned ``grace`` seconds later (a client thread waiting
   for the dead kernel's channels), a SIGALRM raises :class:`DeadlineExpired` in the main
   thread, which the context manager swallows. (A real signal: it also breaks a blocking
   wait on a lock, which ``_thread.interrupt_main`` does not. Used in the main thread
   only; elsewhere step 1 is all there is.)

Either way the submission ends as ``failed: timeout ...`` and the process goes on with the
next one. It depends on nothing but the provisioner's record of live kernels, so any
grading loop (the worker pool of :mod:`dlgrade.engine`, a Dask task) can use it::

    with SubmissionDeadline(seconds) as watch:
        result = grader.grade(student)
    result = watch.outcome(result)
"""

from __future__ import annotations

import os
import signal
import threading
import time

#: Process groups of the kernels this process has started and not yet cleaned up
#: (filled by :class:`dlgrade.sandbox.provisioner.SandboxProvisioner`).
LIVE_KERNELS: set[int] = set()


def kill_kernels() -> int:
    """SIGKILL the process group of every live kernel of this process; return how many."""
    killed = 0
    for pgid in list(LIVE_KERNELS):
        try:
            os.killpg(pgid, signal.SIGKILL)
            killed += 1
        except (ProcessLookupError, PermissionError):
            pass
        LIVE_KERNELS.discard(pgid)
    return killed


class DeadlineExpired(BaseException):
    """Raised in the main thread when a submission overran its deadline and its grace."""


def _on_alarm(signum, frame):
    raise DeadlineExpired()


class SubmissionDeadline:
    """Context manager: kill the submission's kernels after ``seconds``, then interrupt."""

    def __init__(self, seconds: float, grace: float = 10.0) -> None:
        if not seconds > 0:
            raise ValueError(f"seconds: expected a positive deadline, got {seconds!r}")
        self.seconds, self.grace = float(seconds), float(grace)
        self.expired = False
        self.killed = 0
        self._timer: threading.Timer | None = None
        self._alarm = False
        self._old_handler = None
        self._started = 0.0

    def _expire(self) -> None:
        self.expired = True
        self.killed = kill_kernels()

    def __enter__(self) -> SubmissionDeadline:
        self._started = time.monotonic()
        timer = threading.Timer(self.seconds, self._expire)
        timer.daemon = True
        self._timer = timer
        timer.start()
        self._alarm = threading.current_thread() is threading.main_thread()
        if self._alarm:
            self._old_handler = signal.signal(signal.SIGALRM, _on_alarm)
            signal.setitimer(signal.ITIMER_REAL, self.seconds + self.grace)
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        self._timer.cancel()
        if self._alarm:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self._old_handler)
        if exc_type is DeadlineExpired:
            self.expired = True
            self.killed = self.killed or kill_kernels()
            return True
        return False

    def outcome(self, result: dict | None) -> dict:
        """``result`` unchanged, or the ``failed: timeout`` result when the deadline hit."""
        if not self.expired:
            return result
        return {"status": "failed",
                "reason": (f"timeout: no result within {self.seconds:.0f} s; the kernel was "
                           "killed (it stopped answering, e.g. its channels were flooded)"),
                "runtime": round(time.monotonic() - self._started, 3)}
