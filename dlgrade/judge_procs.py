"""The kernel's other processes, held stopped by the grading process while a test cell runs.

A process the student's code left (a server started by an earlier cell, joblib's workers)
could compute the course package's answer out of the kernel's sight while the judge calls the
student's function. So while the judge runs a test cell, every process descended from the
kernel (grandchildren too), other than the kernel itself, is stopped from *this* process
(``SIGSTOP``, which cannot be caught or ignored), waited for until the Linux kernel reports it
stopped, and continued when the cell ends, whatever happened in it. After each judged call
the tree is walked again: a process that appeared, or one of those held that used CPU time
since it was stopped (continued by the student's code, ``os.kill(pid, SIGCONT)``), means the
call could not be checked for own work.

Everything here runs in the grading process: the student's code in the kernel cannot veto a
read of ``/proc`` or a signal (an audit hook there sees none of it), and nothing in the
kernel runs before the judged call's record starts. In the sandbox the kernel is pid 1 of its
own pid namespace, so every orphan is re-parented to it and stays in the walk. Without the
sandbox an orphan (a process whose parent exited) is re-parented outside the kernel's tree
and is not held; the kernel's own watch (:mod:`dlgrade.judge_watch`) still sees its direct
children.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time

#: seconds a process has to stop after ``SIGSTOP`` (a sleeping worker on a loaded machine
#: may take a while to be scheduled and take the signal)
STOP_WAIT = 5.0
#: walks of the tree while stopping it (a process that forked while being stopped: its child)
MAX_ROUNDS = 20
#: processes held at most (a notebook that left more cannot be checked)
MAX_PROCESSES = 4096


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children", encoding="ascii") as handle:
                found.extend(int(child) for child in handle.read().split())
        except (OSError, ValueError):
            continue
    return found


def descendants(pid: int) -> list[int]:
    """Process ids of the children of ``pid``, their children, and so on."""
    found: dict[int, None] = {}
    todo = _children(pid)
    while todo and len(found) < MAX_PROCESSES:
        child = todo.pop()
        if child not in found:
            found[child] = None
            todo.extend(_children(child))
    return list(found)


def _stat(pid: int | str) -> tuple[str, int, int, bool] | None:
    """(state, start time, utime + stime, blocked) of ``/proc/<pid>/stat``, or None (gone).
    ``blocked``: off the run queue, waiting (the wchan flag; it also reads 0 when this
    process may not look at ``pid``'s kernel stack)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
            fields = handle.read().rpartition(")")[2].split()
        # after the name: state is field 3, utime 14, stime 15, starttime 22, wchan 35
        return (fields[0], int(fields[19]), int(fields[11]) + int(fields[12]),
                fields[32] != "0")
    except (OSError, IndexError, ValueError):
        return None


def usage(pid: int) -> tuple | None:
    """What tells whether process ``pid`` ran: its start time (the same pid reused is another
    process), each thread's time on a CPU in nanoseconds and times scheduled
    (``/proc/<pid>/task/<tid>/schedstat``), and the process's utime + stime in clock ticks.
    None when it is gone."""
    stat = _stat(pid)
    if stat is None:
        return None
    threads = []
    try:
        tasks = sorted(os.listdir(f"/proc/{pid}/task"))
    except OSError:
        return None
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/schedstat", encoding="ascii") as handle:
                run_ns, _, slices = handle.read().split()[:3]
            threads.append((task, int(run_ns), int(slices)))
        except (OSError, ValueError):
            threads.append((task, None, None))
    return stat[1], tuple(threads), stat[2]


def _stack_hidden(pid: int) -> bool:
    """Whether this process may not read ``pid``'s kernel-side state (then its wchan flag
    always reads 0 and says nothing)."""
    try:
        os.readlink(f"/proc/{pid}/exe")
    except PermissionError:
        return True
    except OSError:
        pass
    return False


def stopped(pid: int) -> bool:
    """Whether every thread of ``pid`` is stopped (state T or t, and off the run queue) or
    the process has ended (Z, X, or gone).

    A thread shows T from the moment it takes ``SIGSTOP``, but it may still be on the run
    queue until it has switched itself out (preempted on its way, e.g. by the parent it
    notifies): it then runs once more later, and what it used changes after it was read
    (review 21d, HF-N). So T counts only with the wchan flag of ``/proc/<pid>/stat`` set,
    which Linux sets only for a task that is blocked and off the run queue."""
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return True
    for task in tasks:
        stat = _stat(f"{pid}/task/{task}")
        if stat is None or stat[0] in ("Z", "X"):
            continue
        if stat[0] not in ("T", "t"):
            return False
        if not stat[3] and not _stack_hidden(pid):
            return False
    return True


class HoldError(RuntimeError):
    """A judged call that could not be judged because a process of the kernel could not be
    held stopped: the test cell waits for a person ("needs manual grading"), it is not
    counted against the student (:mod:`dlgrade.worker` flags it)."""


def kernel_of(root: int) -> int:
    """The kernel's process id, given the process the kernel manager started: in the sandbox
    that is the waiter, whose one child is the kernel, pid 1 of a pid namespace of its own;
    otherwise the kernel itself."""
    try:
        own = os.readlink(f"/proc/{root}/ns/pid")
    except OSError:
        return root
    for child in _children(root):
        try:
            if os.readlink(f"/proc/{child}/ns/pid") != own:
                return child
        except OSError:
            continue
    return root


class ProcessHold:
    """The kernel's other processes, stopped from the grading process (:meth:`hold`), checked
    after each judged call (:meth:`check`) and continued (:meth:`release`).

    Parameters
    ----------
    kernel : int
        Process id of the kernel (its descendants are held; the kernel is not).
    wait : float, optional
        Seconds each process has to stop.
    """

    def __init__(self, kernel: int, wait: float = STOP_WAIT):
        if not isinstance(kernel, int) or kernel <= 1:
            raise ValueError(f"kernel must be the kernel's process id (an int > 1), got "
                             f"{kernel!r}")
        self.kernel = kernel
        self.wait = wait
        #: pid -> what :func:`usage` read once it was stopped
        self.held: dict[int, tuple | None] = {}
        #: pids that did not stop within ``wait`` seconds (or may not be signalled)
        self.unstoppable: list[int] = []
        #: a judged call of this test cell met :attr:`unstoppable` (:class:`HoldError`)
        self.refused = False

    def _stop_new(self) -> list[int]:
        """Stop every descendant not held yet (walking again until none is new); their ids."""
        new: list[int] = []
        for _ in range(MAX_ROUNDS):
            fresh = [pid for pid in descendants(self.kernel)
                     if pid not in self.held and pid not in new]
            if not fresh:
                break
            for pid in fresh:
                try:
                    os.kill(pid, signal.SIGSTOP)
                except ProcessLookupError:
                    pass
                except OSError:  # not this process's to stop: its own reason, at each call
                    self.held[pid] = None
                    self.unstoppable.append(pid)
                    continue
                new.append(pid)
        if new:
            self._settle(new)
        return new

    def _settle(self, pids: list[int]) -> None:
        """Wait until ``pids`` are stopped, then read what each used so far."""
        deadline = time.monotonic() + self.wait
        waiting = list(pids)
        while waiting:
            waiting = [pid for pid in waiting if not stopped(pid)]
            if not waiting or time.monotonic() >= deadline:
                break
            time.sleep(0.002)
        for pid in pids:
            stat = _stat(pid)
            # an ended process (a zombie its parent has not reaped yet) cannot run again
            self.held[pid] = None if stat is None or stat[0] in ("Z", "X") else usage(pid)
        self.unstoppable += [pid for pid in waiting if pid not in self.unstoppable]

    def hold(self) -> None:
        """Stop the kernel's other processes (a test cell starts)."""
        self.refused = False
        self._stop_new()

    def unheld(self) -> str | None:
        """Why the calls of this test cell could not be judged because of processes the
        grader could not hold, or None. Not the student's fault as far as the grader can
        tell (a process busy in the operating system, or one it may not signal): the test
        cell waits for a person (:class:`HoldError`)."""
        if not self.unstoppable:
            return None
        return (f"a child process could not be held: {len(self.unstoppable)} process(es) left "
                f"by earlier cells did not stop within {self.wait:g} s (or may not be signalled "
                "by the grader) when it paused them for this test cell, so what they did "
                "during the calls is unknown; needs manual grading")

    def check(self) -> str | None:
        """After a judged call: why the kernel's other processes may have worked for it, or
        None. Processes that appeared are stopped too, and what every held one used is read
        again, so the next call is judged on its own.

        Raises
        ------
        HoldError
            A process of the kernel could not be stopped for this test cell
            (:meth:`unheld`); :attr:`refused` is then set until the next :meth:`hold`.
        """
        if self.unstoppable:
            self.refused = True
            raise HoldError(self.unheld())
        if not self.held and not descendants(self.kernel):
            return None  # the usual case, one walk: the kernel has no other process
        found = []
        # a process held as ended (None: a zombie or gone) cannot run; one held stopped that
        # used CPU time, or ended, was continued (SIGCONT or SIGKILL come from the kernel)
        ran = [pid for pid, before in self.held.items()
               if before is not None and usage(pid) != before]
        for pid in ran:
            del self.held[pid]
        tree = set(descendants(self.kernel))
        new = self._stop_new()
        started = [pid for pid in new if pid not in ran]
        for pid in ran:
            if pid not in tree:  # ended (or its pid is another process's now): not held
                continue
            if pid not in new:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGSTOP)
                self._settle([pid])
        if started:
            found.append(f"{len(started)} process(es) of the kernel started during it")
        if ran:
            found.append(f"{len(ran)} process(es) left by earlier cells, which the grader had "
                         "stopped, ran or ended during it (continued by the student's code)")
        if self.unstoppable:  # one that appeared, or ran, and would not stop again
            self.refused = True
            raise HoldError("; ".join(found + [self.unheld()]))
        return "; ".join(found) if found else None

    def release(self) -> None:
        """Continue every held process (the test cell ended, or failed)."""
        for pid in self.held:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGCONT)
        self.held = {}
        self.unstoppable = []
