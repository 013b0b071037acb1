"""Sphinx extension: a cell's printed text shows the same whatever way the kernel flushed it.

A kernel sends ``print`` output in chunks, cut wherever its flush timer fires; on a busy
machine that can be in the middle of a line (``"same loss:"`` then ``" True\\n"``). myst-nb's
``nb_merge_streams`` joins the chunks but strips each one and adds a newline, so the page
showed ``same loss:`` and ``True`` on two lines on one build and one line on the next, and it
changed the chunks of the notebook it saves in place. This replacement joins the chunks of
each stream exactly as they were written, on copies: the page shows what a terminal would.
"""

import copy
import re

import myst_nb.core.render as render

_BACKSPACE = re.compile(r"[^\n]\x08")
_CARRIAGE_RETURN = re.compile(r".*\r(?=[^\n])")


def merge_streams(outputs):
    """Join every stream output of a cell into one per stream name (stdout first), exactly."""
    merged, streams = [], {}
    for output in outputs:
        if output["output_type"] != "stream":
            merged.append(output)
        elif output["name"] in streams:
            streams[output["name"]]["text"] += output["text"]
        else:
            streams[output["name"]] = copy.deepcopy(output)
            merged.append(streams[output["name"]])
    for output in streams.values():
        text = output["text"]
        while True:
            shorter = _BACKSPACE.sub("", text)
            if shorter == text:
                break
            text = shorter
        output["text"] = _CARRIAGE_RETURN.sub("", text)
    # stdout before stderr when they follow each other (their order between chunks is racy)
    for i in range(len(merged) - 1):
        a, b = merged[i], merged[i + 1]
        if a["output_type"] == b["output_type"] == "stream" and a["name"] == "stderr":
            merged[i], merged[i + 1] = b, a
    return merged


def setup(app):
    render.coalesce_streams = merge_streams
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1.0"}
