"""Student-derived text, made safe to print: for a terminal, a log line or a CSV cell.

A student chooses the names of the files in a submission (and of the entries in an uploaded
zip), and text derived from them reaches the instructor: ``dlcourse collect``'s listing, the
status lines of ``dlcourse grade``, ``grades.csv``, the warnings of :mod:`dlgrade.safe_files`
under plain nbgrader. Written raw, such a name is a terminal command (review 21i, finding 2):
``ESC ] 52`` sets the clipboard, ``ESC ] 0`` the window title, a carriage return or a newline
overwrites or forges a status line. Unicode's format characters (category Cf) do no harm to
the terminal but to the reader (review 21k, finding 4): a right-to-left override (U+202E)
shows a refused ``x\u202enib.exe`` as ``xexe.bin`` and the rest of the line backwards
(Trojan Source), isolates, marks, zero-width characters and the BOM hide or reorder what is
there. :func:`printable` shows every such character escaped.
(:class:`dlgrade.sandbox.relay.KernelOutputRelay` does the same for a kernel's raw output, on
bytes, inside the sandbox's waiter.)
"""

from __future__ import annotations

import re

__all__ = ["has_controls", "printable"]

#: Unicode's format characters (category Cf, Unicode 14/15: bidi embeddings, overrides,
#: isolates and marks, zero-width characters, the BOM, the soft hyphen, tags, ...);
#: tests/test_student_text_printable.py checks the list against :mod:`unicodedata`
_FORMAT = ("\xad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e\u200b-\u200f"
           "\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U000110bd"
           "\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
           "\U000e0001\U000e0020-\U000e007f")
#: C0 controls, DEL, C1 controls, the Unicode line and paragraph separators, format characters
_CONTROLS = re.compile(f"[\x00-\x1f\x7f-\x9f\u2028\u2029{_FORMAT}]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escaped(match: re.Match) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def printable(text) -> str:
    """``text`` with every control or format character shown as an escape (``\\x1b``,
    ``\\n``, ``\\u202e``, ...).

    Everything else (letters of any script, spaces, backslashes) stays as it is, so text that
    holds no control character comes back unchanged and a second call changes nothing.

    >>> printable("a\\x1b]0;TITLE\\x07\\rgraded.bin")
    'a\\\\x1b]0;TITLE\\\\x07\\\\rgraded.bin'
    >>> printable("report\\u202eFDP.bin")
    'report\\\\u202eFDP.bin'
    >>> printable("ok: café.txt")
    'ok: café.txt'
    """
    return _CONTROLS.sub(_escaped, str(text))


def has_controls(text: str) -> bool:
    """Whether ``text`` holds a character :func:`printable` would escape."""
    return _CONTROLS.search(text) is not None
