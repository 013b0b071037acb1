"""What a kernel writes to its stdout/stderr reaches the grader's log labelled and capped."""

from __future__ import annotations

import os

#: Prefix of every line the kernel writes to its stdout/stderr file descriptors, as it
#: reaches the grader's log: a kernel cannot write a line that looks like nbgrader's own.
KERNEL_LOG_PREFIX = b"[student kernel] "


class KernelOutputRelay:
    """Copies what the kernel writes to its fds 1 and 2 (a pipe) to the grader's stderr,
    each line prefixed, control characters replaced, at most ``limit`` bytes in all.

    Without it the kernel's fds 1 and 2 would be the grader's own (ipykernel echoes
    low-level writes there), so ``os.write(2, b"[AutogradeApp] ERROR ...")`` from a cell
    would forge a line of the instructor's log, and a flood would fill it. (The waiter runs
    it from its wait loop: after ``unshare(CLONE_NEWPID)`` a process cannot start threads.)
    """

    def __init__(self, limit: int, out: int = 2) -> None:
        self.limit, self.out = limit, out
        self.pending, self.written, self.dropped = b"", 0, 0

    #: Room kept for the note that says output was dropped.
    NOTE_ROOM = 200

    def _emit(self, line: bytes, note: bool = False) -> None:
        text = KERNEL_LOG_PREFIX + bytes(c if c >= 32 or c == 9 else 63 for c in line) + b"\n"
        if not note and self.written + len(text) > self.limit - self.NOTE_ROOM:
            if not self.dropped:  # said at once: the waiter may be killed before finish()
                self._emit(b"... more bytes of kernel output dropped (at most %d bytes "
                           b"are kept per kernel)" % self.limit, note=True)
            self.dropped += len(line) + 1
            return
        self.written += len(text)
        try:
            os.write(self.out, text)
        except OSError:
            pass

    def feed(self, chunk: bytes) -> None:
        self.pending += chunk
        *lines, self.pending = self.pending.split(b"\n")
        for line in lines:
            self._emit(line)
        while len(self.pending) > 4096:  # a line without end: pass it on in pieces
            self._emit(self.pending[:4096])
            self.pending = self.pending[4096:]

    def finish(self) -> None:
        if self.pending:
            self._emit(self.pending)
            self.pending = b""
        if self.dropped:
            self.dropped, dropped = 0, self.dropped
            self._emit(f"... {dropped} bytes of kernel output dropped in all".encode(),
                       note=True)
