"""Cap what a graded notebook keeps of its cells' output, in bytes, per cell and per notebook.

A submission that prints 50 MB is graded normally (nbgrader scores the cells before this
step runs), but its autograded notebook, and the feedback page made from it, would keep all
50 MB. nbgrader's own ``LimitOutput`` counts lines only: one line of 50 MB passes it.

:class:`CapOutputBytes` is an nbconvert preprocessor that nbgrader's autograde step runs
after ``SaveAutoGrades`` (:func:`install` puts it there, from ``nbgrader_config.py`` through
:func:`dlgrade.sandbox.configure_nbgrader`, so ``dlcourse grade`` and plain
``nbgrader autograde`` both get it). It keeps outputs in order until a cell's or the
notebook's budget is spent, shortens the output that crosses it, drops the rest and says so
in a visible note. Error outputs and stderr streams are shortened but never dropped, so the
saved notebook still shows why a test cell scored 0.
"""

from __future__ import annotations

import json

from nbconvert.preprocessors import Preprocessor
from nbformat import from_dict
from traitlets import Bool, Integer

NOTE = "[output truncated: {shown} of {total} bytes shown; limit {limit} bytes {scope}]\n"


def output_bytes(output) -> int:
    """Size of one output as saved in the notebook (its JSON, UTF-8)."""
    return len(json.dumps(output, ensure_ascii=False).encode("utf-8"))


def _cut_text(text, n_bytes: int) -> str:
    text = "".join(text) if isinstance(text, list) else str(text)
    return text.encode("utf-8")[:max(n_bytes, 0)].decode("utf-8", errors="ignore")


def _shrink(output, room: int):
    """A copy of ``output`` that fits in about ``room`` bytes, or None if nothing useful fits."""
    kind = output.get("output_type")
    if kind == "stream":
        short = dict(output)
        short["text"] = _cut_text(output.get("text", ""), room - 64)
        return short
    if kind == "error":
        short = dict(output)
        short["evalue"] = _cut_text(output.get("evalue", ""), min(2000, room // 2))
        lines, used = [], 0
        for line in output.get("traceback", []):
            size = len(line.encode("utf-8")) + 4
            if used + size > max(room // 2, 2000):
                lines.append("... traceback truncated ...")
                break
            lines.append(line)
            used += size
        short["traceback"] = lines
        return short
    data = output.get("data", {})
    if "text/plain" in data:  # a big result or display: keep the start of its text form
        short = {k: v for k, v in output.items() if k != "data"}
        short["data"] = {"text/plain": _cut_text(data["text/plain"], room - 128)}
        return short
    return None


def cap_outputs(outputs, limit: int, scope: str) -> tuple[list, int]:
    """Outputs of one cell within ``limit`` bytes (plus a note), and the bytes they use.

    Parameters
    ----------
    outputs : list of dict
        A code cell's outputs (nbformat 4).
    limit : int
        Bytes the cell's outputs may take.
    scope : str
        Words for the note ("per cell", "per notebook").
    """
    sizes = [output_bytes(o) for o in outputs]
    total = sum(sizes)
    if total <= limit:
        return list(outputs), total
    kept, used = [], 0
    for output, size in zip(outputs, sizes, strict=True):
        kind = output.get("output_type")
        keep_anyway = kind == "error" or (kind == "stream" and output.get("name") == "stderr")
        if used + size <= limit:
            kept.append(output)
            used += size
            continue
        room = limit - used
        short = _shrink(output, room) if (room > 256 or keep_anyway) else None
        if short is None and keep_anyway:
            short = _shrink(output, 512)
        if short is not None:
            kept.append(short)
            used += output_bytes(short)
    note = {"output_type": "stream", "name": "stdout",
            "text": NOTE.format(shown=used, total=total, limit=limit, scope=scope)}
    kept.append(note)
    return kept, used + output_bytes(note)


class CapOutputBytes(Preprocessor):
    """Cap each code cell's saved output at ``cell_bytes`` and the notebook's at
    ``notebook_bytes`` (``-1``: no cap), with a visible note where output was cut."""

    # on when registered: nbgrader registers its steps without enabling them
    enabled = Bool(True).tag(config=True)
    cell_bytes = Integer(256 * 1024, help="bytes of output kept per cell (-1: no limit)"
                         ).tag(config=True)
    notebook_bytes = Integer(4 * 1024 * 1024, help="bytes of output kept per notebook "
                             "(-1: no limit)").tag(config=True)

    def preprocess(self, nb, resources):
        left = self.notebook_bytes
        for cell in nb.cells:
            if cell.get("cell_type") != "code" or not cell.get("outputs"):
                continue
            limits = [(self.cell_bytes, "per cell")] if self.cell_bytes >= 0 else []
            if self.notebook_bytes >= 0:
                limits.append((max(left, 0), "per notebook"))
            if limits:
                limit, scope = min(limits)
                outputs, used = cap_outputs(cell.outputs, limit, scope)
                cell.outputs = [_node(o) for o in outputs]
                if self.notebook_bytes >= 0:
                    left -= used
        return nb, resources


def _node(output):
    return from_dict(output)


def install(c) -> None:
    """Add :class:`CapOutputBytes` to nbgrader's autograde steps in config ``c``, right after
    ``SaveAutoGrades`` (grades come from the full output; only what is saved is capped)."""
    from nbgrader.converters.autograde import Autograde  # nbgrader: seconds; a caller's need

    name = "dlgrade.outputs.CapOutputBytes"
    default = Autograde.class_traits()["autograde_preprocessors"].default()
    steps = list(c.Autograde.get("autograde_preprocessors", default))
    if any(getattr(s, "__name__", s) in (name, "CapOutputBytes") for s in steps):
        return
    names = [getattr(s, "__name__", str(s)) for s in steps]
    at = names.index("SaveAutoGrades") + 1 if "SaveAutoGrades" in names else len(steps)
    steps.insert(at, CapOutputBytes)
    c.Autograde.autograde_preprocessors = steps
