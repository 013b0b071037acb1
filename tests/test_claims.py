"""The habit that keeps the chapters' text true: claims checked where they are computed.

A number, ranking or comparison that a chapter's text states is asserted in a hidden cell
(tag ``remove-cell``) right after the code that computes it, with a message that names the
chapter file: ``assert <condition>, "claim in <file>: '<fragment>' -- <what differs>"``. The
book executes every chapter with errors not allowed, so a claim that stops matching its
number fails the ``-W`` build. These tests read the chapter sources only (no build): every
executable chapter has such cells, each names its own file, and each really asserts.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import jupytext
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]


def executable_chapters() -> list[str]:
    """Chapter pages in _toc.yml written as MyST notebooks (a kernelspec in the front matter)."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    docs = []

    def walk(node):
        if isinstance(node, dict):
            if "file" in node:
                docs.append(node["file"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(toc["parts"])
    out = []
    for doc in docs:
        path = ROOT / f"{doc}.md"
        if doc.startswith("chapters/") and path.is_file():
            head = path.read_text(encoding="utf-8").split("\n---", 1)[0]
            if head.startswith("---") and "kernelspec" in head:
                out.append(doc)
    return out


def claim_cells(doc: str) -> list[str]:
    """Sources of the hidden code cells of ``doc`` that assert something."""
    nb = jupytext.read(ROOT / f"{doc}.md", fmt="md:myst")
    return [
        cell.source
        for cell in nb.cells
        if cell.cell_type == "code"
        and "remove-cell" in cell.metadata.get("tags", [])
        and any(isinstance(node, ast.Assert) for node in ast.walk(ast.parse(cell.source)))
    ]


def test_the_book_has_executable_chapters():
    chapters = executable_chapters()
    assert "chapters/07_activations" in chapters and len(chapters) >= 12, chapters


@pytest.mark.parametrize("doc", executable_chapters())
def test_chapter_checks_its_claims_where_it_computes_them(doc):
    cells = claim_cells(doc)
    assert cells, (
        f"{doc}.md states results but no hidden cell (tag remove-cell) asserts them; add "
        f"`assert <condition>, \"claim in {Path(doc).name}.md: '<fragment>' -- <what differs>\"` "
        "after the code that computes each number, ranking or comparison the text states"
    )
    name = f"claim in {Path(doc).name}.md"
    for source in cells:
        asserts = [n for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Assert)]
        without_message = [ast.unparse(a.test)[:60] for a in asserts if a.msg is None]
        assert without_message == [], (
            f"{doc}.md: claim assertions without a message naming the sentence: {without_message}"
        )
        assert name in source, (
            f"{doc}.md: a claim cell's messages do not say '{name}', so a failing build would "
            f"not tell which chapter's sentence is wrong:\n{source[:300]}"
        )


@pytest.mark.parametrize("doc", executable_chapters())
def test_claim_cells_are_hidden_and_not_trivially_true(doc):
    for source in claim_cells(doc):
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Assert):
                assert not (isinstance(node.test, ast.Constant) and node.test.value), (
                    f"{doc}.md: `assert {ast.unparse(node.test)}` cannot fail"
                )
    # A claim cell shown on the page would show the reader the checking code, not the chapter.
    nb = jupytext.read(ROOT / f"{doc}.md", fmt="md:myst")
    shown = [
        c.source[:80]
        for c in nb.cells
        if c.cell_type == "code"
        and re.search(r"claim in \S+\.md", c.source)
        and "remove-cell" not in c.metadata.get("tags", [])
    ]
    assert shown == [], f"{doc}.md: claim checks in cells the page shows: {shown}"
