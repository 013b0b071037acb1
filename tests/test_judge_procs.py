"""dlgrade.judge_procs: the grading process holds a kernel's other processes stopped.

Real processes stand in for the kernel and what its cells left: a "kernel" (a Python process)
with a child and a grandchild that both wake every millisecond, as a server or joblib's
workers would.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time

import pytest

from dlgrade.judge_procs import HoldError, ProcessHold, descendants, kernel_of, stopped, usage

#: a parent whose child forks a grandchild; all three wake every millisecond; the kernel
#: starts one more child when it reads a line from its stdin
TREE = r"""
import os, subprocess, sys, threading, time
def busy():
    while True:
        time.sleep(0.001)
if os.fork() == 0:
    if os.fork() == 0:
        busy()
    busy()
def more():
    sys.stdin.readline()
    subprocess.Popen([sys.executable, "-c", "import time\nwhile True: time.sleep(0.001)"])
threading.Thread(target=more, daemon=True).start()
busy()
"""


@pytest.fixture
def tree():
    kernel = subprocess.Popen([sys.executable, "-c", TREE], stdin=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 20
        while len(descendants(kernel.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(descendants(kernel.pid)) == 2
        yield kernel
    finally:
        for pid in descendants(kernel.pid):
            os.kill(pid, signal.SIGKILL)
        kernel.kill()
        kernel.wait()


def test_every_descendant_is_held_until_released(tree):
    hold = ProcessHold(tree.pid)
    hold.hold()
    below = descendants(tree.pid)
    assert sorted(hold.held) == sorted(below) and all(stopped(pid) for pid in below)
    assert not stopped(tree.pid)  # the kernel itself runs
    time.sleep(0.2)
    assert hold.check() is None  # held processes do not run, whatever their timers say
    hold.release()
    assert not any(stopped(pid) for pid in below)
    assert hold.held == {}


def test_a_grandchild_continued_from_the_kernel_is_seen_and_stopped_again(tree):
    hold = ProcessHold(tree.pid)
    hold.hold()
    grandchild = next(pid for pid in descendants(tree.pid) if pid not in
                      {int(c) for c in open(f"/proc/{tree.pid}/task/{tree.pid}/children")
                       .read().split()})
    os.kill(grandchild, signal.SIGCONT)  # what the student's graded function would do
    time.sleep(0.1)
    assert "1 process(es) left by earlier cells, which the grader had stopped, ran" in \
        hold.check()
    assert stopped(grandchild)
    assert hold.check() is None  # the next call is judged on its own
    hold.release()


def test_a_process_started_during_a_call_is_seen_and_held(tree):
    hold = ProcessHold(tree.pid)
    hold.hold()
    tree.stdin.write(b"go\n")
    tree.stdin.flush()
    deadline = time.monotonic() + 20
    while len(descendants(tree.pid)) < 3 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert "1 process(es) of the kernel started during it" in hold.check()
    assert len(hold.held) == 3 and all(stopped(pid) for pid in hold.held)
    assert hold.check() is None
    hold.release()


def test_a_process_that_will_not_stop_has_its_own_reason(tree):
    hold = ProcessHold(tree.pid, wait=0.0)  # no time to take the signal
    hold.hold()
    if hold.unstoppable:  # almost always: none was scheduled in no time at all
        with pytest.raises(HoldError, match="a child process could not be held") as raised:
            hold.check()
        assert "needs manual grading" in str(raised.value)
        assert "ran or ended" not in str(raised.value)  # not the student's code's doing
        assert hold.refused and hold.unheld() == str(raised.value)
    hold.release()
    assert all(not stopped(pid) for pid in descendants(tree.pid))
    hold.hold()  # the next test cell starts afresh
    assert not hold.refused
    hold.release()


def test_a_held_process_counts_as_stopped_only_off_the_run_queue(tree):
    """SIGSTOP shows as state T before the thread has switched itself out; stopped() waits
    for the wchan flag too, so what it used is read only once it can no longer change."""
    child = descendants(tree.pid)[0]
    os.kill(child, signal.SIGSTOP)
    try:
        deadline = time.monotonic() + 20
        while not stopped(child) and time.monotonic() < deadline:
            time.sleep(0.002)
        assert stopped(child)
        tasks = os.listdir(f"/proc/{child}/task")
        for task in tasks:
            with open(f"/proc/{child}/task/{task}/stat") as handle:
                fields = handle.read().rpartition(")")[2].split()
            assert fields[0] == "T" and fields[32] == "1"  # stopped, and blocked
        before = usage(child)
        time.sleep(0.05)
        assert usage(child) == before
    finally:
        os.kill(child, signal.SIGCONT)
    deadline = time.monotonic() + 20
    while stopped(child) and time.monotonic() < deadline:
        time.sleep(0.002)
    assert not stopped(child)


#: a "kernel" that used a real joblib/loky pool (as exercise 06's demo does) and idles
LOKY = r"""
import sys, time
from joblib import Parallel, delayed
print(sum(Parallel(n_jobs=2, backend="loky")(delayed(abs)(-i) for i in range(40))), flush=True)
while True:
    time.sleep(0.01)
"""


def test_an_idle_loky_pool_never_counts_as_running_under_load():
    """Review 21d, HF-N: an honest student's loky workers, held on a loaded machine, must
    never be taken for processes that ran during a call. Busy loops beside them keep both
    cores full while the grader holds, waits and checks them again and again."""
    pytest.importorskip("joblib")
    busy = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(4)]
    kernel = subprocess.Popen([sys.executable, "-c", LOKY], stdout=subprocess.PIPE, text=True)
    try:
        assert kernel.stdout.readline().strip() == str(sum(range(40)))
        workers = descendants(kernel.pid)
        assert len(workers) >= 2  # loky's workers (and its resource tracker)
        for _ in range(25):
            hold = ProcessHold(kernel.pid)
            hold.hold()
            assert sorted(hold.held) == sorted(descendants(kernel.pid))
            for _ in range(3):  # three judged calls in a test cell
                time.sleep(0.01)
                assert hold.check() is None
            hold.release()
            time.sleep(0.005)
    finally:
        for pid in descendants(kernel.pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        kernel.kill()
        kernel.wait()
        for proc in busy:
            proc.kill()
            proc.wait()


def test_the_kernel_of_a_process_without_a_pid_namespace_is_itself(tree):
    assert kernel_of(tree.pid) == tree.pid


def test_a_kernel_id_that_is_not_a_process_id_is_refused():
    with pytest.raises(ValueError, match="kernel must be the kernel's process id"):
        ProcessHold("123")
    with pytest.raises(ValueError, match="got 1"):
        ProcessHold(1)
