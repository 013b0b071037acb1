"""The course's own text as a data set: dlcourse.data.load_course_text and scripts/course_text.py.

The text is a frozen snapshot of the chapters' prose (chapter 18 trains a character-level
transformer on it, so a typo fix in a chapter must not change the book's numbers). These tests
check what the script extracts, that the package reads the shipped file, and that the snapshot
has not drifted far from the chapters: once it has, run ``scripts/course_text.py`` again.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from dlcourse.data import load_course_text

ROOT = Path(__file__).resolve().parents[1]
#: The largest share of paragraphs that may differ between the snapshot and the chapters.
MAX_DRIFT = 0.10


def _script():
    path = ROOT / "scripts" / "course_text.py"
    spec = importlib.util.spec_from_file_location("course_text", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_load_course_text_is_the_shipped_ascii_prose():
    text = load_course_text()
    assert text == (ROOT / "dlcourse" / "course_text.txt").read_text(encoding="ascii")
    assert text.isascii() and len(text) > 100_000
    lines = text.splitlines()
    assert lines[0] == "Motivation" and "" not in lines
    assert not any(marker in text for marker in ("```", "{doc}", "$", ":::", "<a href", "\\"))
    # the chapters in the book's order: each chapter's title is a paragraph of its own
    script = _script()
    titles = [script.title(path) for path in script.chapter_files()]
    positions = [lines.index(title) for title in titles]
    assert positions == sorted(positions), titles


def test_the_snapshot_has_not_drifted_far_from_the_chapters():
    script = _script()
    gone, added = script.drift(load_course_text(), script.course_paragraphs())
    assert gone <= MAX_DRIFT and added <= MAX_DRIFT, (
        f"dlcourse/course_text.txt is stale: {gone:.0%} of its paragraphs are no longer in the "
        f"chapters and {added:.0%} of the chapters' paragraphs are not in it (at most "
        f"{MAX_DRIFT:.0%} each); run `.venv/bin/python scripts/course_text.py` and check the "
        "claims of chapter 18 (its character-level transformer trains on this text)"
    )


def test_the_extraction_keeps_prose_only(tmp_path):
    script = _script()
    (tmp_path / "other.md").write_text("# The Other Chapter\n\nText.\n")
    page = tmp_path / "page.md"
    page.write_text(
        "---\nkernelspec:\n  name: python3\n---\n\n"
        "# A Title\n\n"
        "(sec-label)=\n"
        "Some **bold** and *italic* words\nover two lines, with `code`.\n\n"
        "```{code-cell} ipython3\nprint('not prose')\n```\n\n"
        "$$\nx = 1\n$$\n\n"
        "| a | table |\n|---|---|\n\n"
        "See {doc}`other` and {doc}`a label <other>` and [a link](https://example.org).\n"
        "* a list item\n* another one, caf\u00e9 \u00d7 2\n\n"
        "The best $\\theta^*$ fits $f(x_i, \\theta^*) \\approx y_i$ (for all $i$), costs $$5\n"
        "and **is** fine; a factor $1 - \\eta\\lambda$.\n\n"
        "<a href='x'>html</a>\n"
    )
    assert script.prose(page) == [
        "A Title",
        "Some bold and italic words over two lines, with code.",
        "See The Other Chapter and a label and a link.",
        "a list item",
        "another one, cafe 2",
        "The best fits (for all), costs $$5 and is fine; a factor.",
    ]


def test_drift_counts_changed_paragraphs_both_ways():
    script = _script()
    assert script.drift("a\nb\nc\nd\n", ["a", "b", "c", "d"]) == (0.0, 0.0)
    assert script.drift("a\nb\nc\nd\n", ["a", "b", "c", "e", "f"]) == (
        pytest.approx(0.25), pytest.approx(0.4))
