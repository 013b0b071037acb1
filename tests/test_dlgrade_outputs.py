"""Output caps (dlgrade.outputs): per cell and per notebook, in bytes, with a visible note.

Fast unit tests of :func:`cap_outputs` and the preprocessor, then the real thing: a
submission printing 50 MB graded by plain ``nbgrader autograde`` (the course's
nbgrader_config.py) and by ``dlcourse grade``: the grade is right, the saved notebook and
the feedback page are small and say that output was cut.
"""

import glob
import os

import nbformat
import pytest

from dlgrade.course import run_nbgrader
from dlgrade.outputs import CapOutputBytes, cap_outputs, install, output_bytes
from dlgrade.sandbox import demo


def stream(text, name="stdout"):
    return {"output_type": "stream", "name": name, "text": text}


def test_small_output_is_kept_as_it_is():
    outs = [stream("hello\n"), {"output_type": "execute_result", "execution_count": 1,
                                "metadata": {}, "data": {"text/plain": "42"}}]
    kept, used = cap_outputs(outs, 10_000, "per cell")
    assert kept == outs and used == sum(output_bytes(o) for o in outs)


def test_one_long_line_is_cut_in_bytes_with_a_note():
    kept, used = cap_outputs([stream("é" * 1_000_000)], 10_000, "per cell")
    assert used <= 10_000 + 200
    assert kept[0]["text"].startswith("éé") and len(kept[0]["text"]) < 10_000
    assert "output truncated" in kept[-1]["text"] and "per cell" in kept[-1]["text"]


def test_errors_and_stderr_are_shortened_but_never_dropped():
    """nbgrader scores a cell with an error or stderr output 0: the saved notebook must still
    show why, even when the budget was spent before it."""
    error = {"output_type": "error", "ename": "AssertionError", "evalue": "x" * 50_000,
             "traceback": ["line"] * 10_000}
    kept, _ = cap_outputs([stream("a" * 20_000), stream("boom\n" * 10_000, "stderr"), error],
                          5_000, "per cell")
    kinds = [(o["output_type"], o.get("name")) for o in kept]
    assert ("stream", "stderr") in kinds and ("error", None) in kinds
    assert sum(output_bytes(o) for o in kept) < 20_000


def test_the_notebook_budget_is_shared_by_its_cells():
    nb = nbformat.v4.new_notebook()
    for _ in range(5):
        cell = nbformat.v4.new_code_cell("print('x' * 10**6)")
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="x" * 10**6)]
        nb.cells.append(cell)
    cap = CapOutputBytes(cell_bytes=400_000, notebook_bytes=1_000_000)
    nb, _ = cap.preprocess(nb, {})
    sizes = [sum(output_bytes(o) for o in c.outputs) for c in nb.cells]
    assert all(s <= 400_300 for s in sizes), sizes
    assert sum(sizes) <= 1_000_000 + 5 * 300, sizes
    assert "per notebook" in nb.cells[-1].outputs[-1]["text"]


def test_the_cap_works_when_registered_as_nbgrader_registers_its_steps():
    """nbgrader calls ``exporter.register_preprocessor(cls)`` without ``enabled=True``."""
    from nbconvert.exporters import NotebookExporter

    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("print('x' * 10**6)")
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="x" * 10**6)]
    nb.cells.append(cell)
    exporter = NotebookExporter()
    exporter.register_preprocessor(CapOutputBytes)
    text, _ = exporter.from_notebook_node(nb)
    assert len(text) < 300_000 and "output truncated" in text


def test_install_puts_the_cap_after_the_grades_are_saved():
    from traitlets.config import Config

    c = Config()
    install(c)
    install(c)  # idempotent
    names = [getattr(s, "__name__", s) for s in c.Autograde.autograde_preprocessors]
    assert names.count("CapOutputBytes") == 1
    assert names.index("CapOutputBytes") == names.index("SaveAutoGrades") + 1


FLOOD = "def squares(n):\n    return [i * i for i in range(n)]\nprint('x' * 50_000_000)\n"


@pytest.mark.slow
@pytest.mark.parametrize("how", ["nbgrader", "dlcourse"])
def test_fifty_megabytes_of_output_are_graded_but_not_kept(course_dir, how):
    from tests.submissions.crafted import dlcourse

    course = demo.make_course(course_dir, timeout=60)
    demo.submit(course, "flood", FLOOD)
    demo.submit(course, "alice", "def squares(n):\n    return [i * i for i in range(n)]\n")
    if how == "nbgrader":
        run_nbgrader(course, "autograde", demo.ASSIGNMENT)
    else:
        dlcourse("grade", demo.ASSIGNMENT, "--no-progress", cwd=course)
    assert demo.scores(course) == {"flood": 3.0, "alice": 3.0}
    saved = os.path.join(course, "autograded", "flood", demo.ASSIGNMENT, "ps1.ipynb")
    assert os.path.getsize(saved) < 1_000_000
    assert "output truncated" in demo.outputs(course, "flood")
    if how == "dlcourse":
        pages = glob.glob(os.path.join(course, "**", "flood", "**", "*.html"), recursive=True)
        assert pages and all(os.path.getsize(p) < 2_000_000 for p in pages), pages
