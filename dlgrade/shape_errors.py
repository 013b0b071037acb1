"""Plain feedback for numpy's shape errors: the student's own line and the shapes involved.

numpy says ``operands could not be broadcast together with shapes (4,3) (4,)`` or ``matmul:
Input operand 1 has a mismatch in its core dimension 0, ...``: true, but it names neither the
student's line nor what to change. :func:`explain` turns such an error into one paragraph:
where in the student's code it happened (from the kernel's traceback, or from the line the
judge's agent sends along, :mod:`dlgrade.judge_agent`) and what the shapes mean.
"""

from __future__ import annotations

import re

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_BROADCAST = re.compile(r"operands could not be broadcast together with shapes "
                        r"((?:\([\d, ]*\)\s*)+)")
_MATMUL = re.compile(r"matmul: Input operand (\d) has a mismatch in its core dimension (\d).*?"
                     r"\(size (\d+) is different from (\d+)\)", re.DOTALL)
_DOT = re.compile(r"shapes (\([\d, ]*\)) and (\([\d, ]*\)) not aligned: (\d+) \(dim (\d)\) != "
                  r"(\d+) \(dim (\d)\)")
#: the line the judge adds to a test's traceback (dlgrade.judge._error)
YOUR_CODE = "In your code: "
#: IPython's frame header and marked line: ``Cell In[7], line 3, in mse(y, y_hat)`` and
#: ``----> 3     return ...``
_IPY_FRAME = re.compile(r"^Cell In\s*\[\d*\], line (\d+)(?:, in (\w+))?", re.MULTILINE)
_IPY_MARK = re.compile(r"^-+> *(\d+)\s?(.*)$", re.MULTILINE)


def shape_hint(message: str) -> str | None:
    """What a numpy shape error's message means, in plain words; ``None`` for other errors.

    >>> shape_hint("operands could not be broadcast together with shapes (4,3) (4,) ")
    ... # doctest: +NORMALIZE_WHITESPACE
    'Arrays of shapes (4,3) and (4,) cannot be combined element by element: numpy compares
     the shapes from the right, and each pair of sizes must be equal or one of them 1 (here 3
     and 4). Print the shapes of the arrays on that line (x.shape) and reshape or transpose
     the one that is wrong.'
    >>> shape_hint("division by zero") is None
    True
    """
    m = _BROADCAST.search(message)
    if m:
        shapes = re.findall(r"\([\d, ]*\)", m.group(1))
        sizes = [[int(s) for s in re.findall(r"\d+", shape)] for shape in shapes]
        clash = _first_clash(sizes)
        here = f" (here {clash[0]} and {clash[1]})" if clash else ""
        return (f"Arrays of shapes {' and '.join(shapes)} cannot be combined element by "
                "element: numpy compares the shapes from the right, and each pair of sizes "
                f"must be equal or one of them 1{here}. Print the shapes of the arrays on that "
                "line (x.shape) and reshape or transpose the one that is wrong.")
    m = _MATMUL.search(message)
    if m:
        return (f"In A @ B the last size of A must equal the first size of B (of a 2-D B: "
                f"its rows); here they are {m.group(4)} and {m.group(3)}. Print A.shape and "
                "B.shape on that line: is an array transposed, or are X and W in the wrong "
                "order (rows of X are samples, W has shape (n_in, n_out))?")
    m = _DOT.search(message)
    if m:
        return (f"np.dot of shapes {m.group(1)} and {m.group(2)}: the last size of the first "
                f"({m.group(3)}) must equal the first size of the second ({m.group(5)}). "
                "Print both shapes on that line: is one of them transposed?")
    return None


def _first_clash(sizes: list[list[int]]) -> tuple[int, int] | None:
    """The first pair of sizes, from the right, that neither equal nor 1."""
    width = max(len(s) for s in sizes)
    for k in range(1, width + 1):
        seen = {s[-k] for s in sizes if len(s) >= k and s[-k] != 1}
        if len(seen) > 1:
            a, b = sorted(seen)
            return a, b
    return None


def student_line(traceback_text: str) -> str | None:
    """``"mse, line 3: return ..."``: the innermost line of the student's code in a test's
    traceback (the judge's ``In your code:`` line, or IPython's last cell frame)."""
    text = _ANSI.sub("", traceback_text)
    for line in reversed(text.splitlines()):
        if line.startswith(YOUR_CODE):
            return line[len(YOUR_CODE):].strip()[:300]
    frames = list(_IPY_FRAME.finditer(text))
    if not frames:
        return None
    last = frames[-1]
    mark = _IPY_MARK.search(text, last.end())
    code = mark.group(2).strip() if mark else ""
    where = f"{last.group(2)}, line {last.group(1)}" if last.group(2) else \
        f"line {last.group(1)}"
    return (f"{where}: {code}" if code else where)[:300]


def explain(ename: str, evalue: str, traceback_text: str = "") -> str | None:
    """One paragraph for a numpy shape error (``None`` for any other error): the student's
    line when the traceback names it, and :func:`shape_hint`."""
    if ename != "ValueError":
        return None
    hint = shape_hint(str(evalue))
    if hint is None:
        return None
    where = student_line(traceback_text)
    at = f" in your code at {where}" if where else ""
    return f"numpy shape error{at}. {hint}"
