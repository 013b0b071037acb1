"""Student-derived text, made safe to print: for a terminal, a log line or a CSV cell.

A student chooses the names of the files in a submission (and of the entries in an uploaded
zip), and text derived from them reaches the instructor: ``dlcourse collect``'s listing, the
status lines of ``dlcourse grade``, ``grades.csv``, the warnings of :mod:`dlgrade.safe_files`
under plain nbgrader. Written raw, such a name is a terminal command (review 21i, finding 2):
``ESC ] 52`` sets the clipboard, ``ESC ] 0`` the window title, a carriage return or a newline
overwrites or forges a status line. :func:`printable` shows every such character escaped.
(:class:`dlgrade.sandbox.relay.KernelOutputRelay` does the same for a kernel's raw output, on
bytes, inside the sandbox's waiter.)
"""

from __future__ import annotations

import re

__all__ = ["has_controls", "printable"]

#: C0 controls, DEL, C1 controls, and the Unicode line and paragraph separators
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escaped(match: re.Match) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text) -> str:
    """``text`` with every control character shown as an escape (``\\x1b``, ``\\n``, ...).

    Everything else (letters of any script, spaces, backslashes) stays as it is, so text that
    holds no control character comes back unchanged and a second call changes nothing.

    >>> printable("a\\x1b]0;TITLE\\x07\\rgraded.bin")
    'a\\\\x1b]0;TITLE\\\\x07\\\\rgraded.bin'
    >>> printable("ok: café.txt")
    'ok: café.txt'
    """
    return _CONTROLS.sub(_escaped, str(text))


def has_controls(text: str) -> bool:
    """Whether ``text`` holds a character :func:`printable` would escape."""
    return _CONTROLS.search(text) is not None
