"""One assignment's lock: the commands that write what a grading run reads never overlap it.

``dlcourse grade`` reads the submitted files, the source notebooks, the due dates and the
status records of an assignment for minutes; ``collect`` (the submitted files), ``release``
(the source notebooks and the gradebook's cells, the due date) and ``extend`` (a due date,
a status record) write them, and ``export`` reads what the run writes. Each takes the
assignment's lock, ``<output>/<a>/.grading.lock``
(the kernel's ``flock``, so a process that dies releases it):

* a grading run of the whole assignment and every writer hold it alone (``LOCK_EX``);
* the shards of one batch (``--shard i/N``) share it (``LOCK_SH``) and each also holds its own
  shard's file alone, so shards do not wait for each other, and a collect waits for none of
  them to start.

A second one stops at once with :class:`Busy`, which names the holder by the command and
options it wrote into the lock file (``dlcourse grade tiny --force``), its pid and host.
``mark`` takes it too: a run saves the hand grades of the students it grades before it clears
them and puts back what it saved (:mod:`dlgrade.handgrades`), so a hand grade given
meanwhile was lost (review 23k, finding 7). A roster import touches no assignment's files,
except one with ``--assignment`` (a Moodle grading worksheet, whose times go to the notebooks
collected), which takes it; so does ``collect --revert``.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import socket
from pathlib import Path

from .course import Course

LOCK_FILE = ".grading.lock"
#: the lock of the time records shared by the shards of one batch (:func:`records_lock`)
RECORDS_LOCK_FILE = ".records.lock"


class Busy(RuntimeError):
    """Another command holds the lock of this assignment (or shard)."""


def _holder(path: Path, assignment: str) -> str:
    """``another `dlcourse grade tiny --force` is running on this course (pid 12 on vm)``,
    read from the lock file (its first line the pid and host, its second the command)."""
    try:
        lines = path.read_text().splitlines()
    except OSError:
        lines = []
    where = lines[0].strip() if lines and lines[0].strip() else "pid unknown"
    if len(lines) > 1 and lines[1].strip():
        return f"another `{lines[1].strip()}` is running on this course ({where})"
    # taken a moment ago and not signed yet: its command is not known (never guessed)
    return f"another dlcourse command of {assignment} is running on this course ({where})"


def _shard_holders(folder: Path, assignment: str) -> list[str]:
    """The holders named in the shard lock files that some run holds now."""
    out = []
    for path in sorted(folder.glob(".grading-*-of-*.lock")):
        with open(path, "a+") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                out.append(_holder(path, assignment))
            else:
                fcntl.flock(handle, fcntl.LOCK_UN)
    return out


def _take(handle, mode: int, path: Path, assignment: str, then: str) -> None:
    try:
        fcntl.flock(handle, mode | fcntl.LOCK_NB)
    except BlockingIOError:
        shards = mode == fcntl.LOCK_EX and path.name == LOCK_FILE  # held by shards?
        names = _shard_holders(path.parent, assignment) if shards else []
        if not names or path.read_text().strip():
            names.insert(0, _holder(path, assignment))
        raise Busy(f"{'; '.join(names)}; nothing was changed: {then}") from None


def _sign(handle, command: str) -> None:
    handle.seek(0)
    handle.truncate()
    handle.write(f"pid {os.getpid()} on {socket.gethostname()}\n{command}\n")
    handle.flush()


@contextlib.contextmanager
def assignment_lock(course: Course, assignment: str, command: str, shard=None):
    """Hold ``assignment``'s lock while the block runs, for ``command`` (the words a refused
    second command names, e.g. ``"dlcourse collect 02_neuron"``).

    ``shard`` ``(i, N)``: share the assignment's lock with the batch's other shards and hold
    shard i's alone.

    Raises
    ------
    Busy
        If another command holds the lock (or this shard's), naming it; nothing was done.
    """
    folder = course.output_dir(assignment)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / LOCK_FILE
    then = "wait for it to end, or stop it and run this command again"
    with contextlib.ExitStack() as stack:
        handle = stack.enter_context(open(path, "a+"))
        _take(handle, fcntl.LOCK_SH if shard else fcntl.LOCK_EX, path, assignment, then)
        stack.callback(fcntl.flock, handle, fcntl.LOCK_UN)
        if shard:
            own = folder / f".grading-{shard[0]}-of-{shard[1]}.lock"
            handle = stack.enter_context(open(own, "a+"))
            _take(handle, fcntl.LOCK_EX, own, assignment, then)
            stack.callback(fcntl.flock, handle, fcntl.LOCK_UN)
        _sign(handle, command)
        stack.callback(handle.truncate, 0)  # runs before its unlock: a free lock names no one
        yield


@contextlib.contextmanager
def assignments_lock(course: Course, assignments, command: str):
    """:func:`assignment_lock` of every one of ``assignments`` (a release of several)."""
    with contextlib.ExitStack() as stack:
        for name in assignments:
            stack.enter_context(assignment_lock(course, name, command.replace("NAME", name)))
        yield


@contextlib.contextmanager
def records_lock(course: Course, assignment: str):
    """Hold ``assignment``'s lock of its shared time records (the time sources and file times
    of :mod:`dlgrade.time_records`) while the block reads and rewrites them: the shards of one
    batch hold the assignment's lock together and each gives its own students a Moodle
    worksheet's times, so without it one shard's rewrite dropped another's. It waits (a
    moment: no grading happens under it)."""
    folder = course.output_dir(assignment)
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / RECORDS_LOCK_FILE, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
