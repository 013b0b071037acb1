"""The per-submission deadline (dlgrade.deadline) against a kernel that floods its channels.

A cell that writes a line to every descriptor from 3 to 199 corrupts the kernel's own
ZeroMQ sockets; the client then waits for it without end (a jupyter_client channel thread
never stops). The deadline kills the kernel's process group, interrupts the wait, and the
submission ends ``failed: timeout`` while the process stays usable.
"""

import os
import time

import pytest

from dlgrade import deadline
from dlgrade.deadline import SubmissionDeadline
from dlgrade.sandbox import jail
from dlgrade.sandbox.kernels import run_code

FLOOD_FDS = """
import os
for fd in range(3, 200):
    try:
        os.write(fd, b"garbage line\\n")
    except OSError:
        pass
print("done")
"""


def test_a_deadline_must_be_positive():
    with pytest.raises(ValueError, match="seconds"):
        SubmissionDeadline(0)


def test_a_submission_within_its_deadline_keeps_its_result():
    with SubmissionDeadline(30) as watch:
        result = {"status": "graded"}
    assert not watch.expired and watch.outcome(result) == {"status": "graded"}


STALL = """
import signal
signal.signal(signal.SIGINT, signal.SIG_IGN)
while True:
    pass
"""


@pytest.mark.slow
@pytest.mark.skipif(jail.probe() is not None, reason="sandbox unavailable here")
def test_a_kernel_that_never_answers_is_killed_at_the_deadline(tmp_path):
    """The client would wait 600 s (its own timeout); the deadline ends it after ~10 s."""
    start = time.monotonic()
    with SubmissionDeadline(10, grace=5) as watch:
        run_code(STALL, cwd=str(tmp_path), timeout=600)
    assert watch.expired and watch.killed == 1
    assert time.monotonic() - start < 60
    outcome = watch.outcome(None)
    assert outcome["status"] == "failed" and outcome["reason"].startswith("timeout")
    assert not deadline.LIVE_KERNELS
    # the same process grades the next student normally
    assert run_code("print(6 * 7)", cwd=str(tmp_path)).stdout.strip() == "42"


@pytest.mark.slow
@pytest.mark.skipif(jail.probe() is not None, reason="sandbox unavailable here")
def test_a_kernel_that_floods_its_channels_cannot_stall_the_grader(tmp_path):
    """Writing to every fd 3-199 sometimes leaves the client waiting without end (seen here:
    a channel thread that never stops); with the deadline the wait is bounded either way."""
    start = time.monotonic()
    with SubmissionDeadline(20, grace=5) as watch:
        run_code(FLOOD_FDS, cwd=str(tmp_path), timeout=10)
    assert time.monotonic() - start < 90
    assert watch.expired == (watch.outcome({"status": "graded"})["status"] == "failed")
    assert not deadline.LIVE_KERNELS
    assert run_code("print(6 * 7)", cwd=str(tmp_path)).stdout.strip() == "42"


def test_kill_kernels_ends_each_live_process_group():
    import subprocess

    proc = subprocess.Popen(["sleep", "60"], start_new_session=True)
    deadline.LIVE_KERNELS.add(proc.pid)
    assert deadline.kill_kernels() == 1
    assert proc.wait(timeout=10) == -9
    assert not deadline.LIVE_KERNELS and os.path.exists("/proc/self")
