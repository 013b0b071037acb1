"""Write dlcourse/course_text.txt: the prose of the course's chapters as plain text.

Chapter 18 trains a character-level transformer on it (``dlcourse.data.load_course_text``).
The file ships inside the package, so a student who runs the chapter's notebook from the
wheel, offline and without the course's sources, trains on the same text as the book.

What counts as prose: the paragraphs, list items and headings of the chapter pages in
``_toc.yml``'s "The lecture" and "Going further" parts, in that order. Left out: the front
matter, every fenced block (code cells, figures, directives), display maths, tables and raw
HTML. Inside the prose, inline maths (``$...$``) is dropped, since its LaTeX source is not
prose (the sentence around it keeps its words, with a gap where the formula was), ``{doc}``
links become the linked chapter's title, Markdown links their text, emphasis and inline-code
marks are dropped, and every character is reduced to ASCII (accents dropped, symbols without
an ASCII form removed). One paragraph per line.

The file is a frozen snapshot, like a data set: fixing a typo in a chapter does not change
it, nor the numbers chapter 18 prints from it. ``tests/test_course_text.py`` fails once the
chapters have drifted too far from it (see ``drift``); then run this script again and check
chapter 18's claims.

Usage::

    .venv/bin/python scripts/course_text.py           # rewrite the file
    .venv/bin/python scripts/course_text.py --check   # print how far the chapters have drifted
"""

from __future__ import annotations

import argparse
import re
import sys
import unicodedata
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "dlcourse" / "course_text.txt"
#: The parts of _toc.yml whose chapters are taken, in the book's order.
PARTS = ("The lecture", "Going further")

ROLE = re.compile(r"\{doc\}`(?:([^`<]*?)\s*<([^>]+)>|([^`]+))`")
LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
OTHER_ROLE = re.compile(r"\{[a-z]+\}`([^`]*)`")
HTML_TAG = re.compile(r"<[^>]+>")
#: Inline maths: a single ``$`` (not ``$$``, not escaped) to the next one.
INLINE_MATH = re.compile(r"(?<![\\$])\$(?!\$)[^$]+?(?<!\\)\$")
#: Left behind by a dropped formula: a space before punctuation, brackets with nothing inside.
GAP_BEFORE_PUNCT = re.compile(r"\s+([,.;:!?)])")
EMPTY_BRACKETS = re.compile(r"\(\s*[,;]?\s*\)")
MARKS = re.compile(r"\*\*|__|(?<![\w$])\*(?=\S)|(?<=\S)\*(?![\w$])|`")


def chapter_files() -> list[Path]:
    """The chapter sources of the lecture and "Going further", in the book's order."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    files = []
    for part in toc["parts"]:
        if part.get("caption") in PARTS:
            files += [ROOT / f"{entry['file']}.md" for entry in part["chapters"]]
    return files


def title(path: Path) -> str:
    """The first level-1 heading of a chapter file."""
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    return path.stem


def _doc_title(match: re.Match, folder: Path) -> str:
    label, target, bare = match.groups()
    if label:
        return label
    target = (target or bare).strip()
    path = (folder / target).with_suffix(".md")
    return title(path) if path.is_file() else Path(target).name


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def prose(path: Path) -> list[str]:
    """The paragraphs of one chapter, cleaned to plain ASCII text, one string each."""
    lines = path.read_text(encoding="utf-8").splitlines()
    if lines and lines[0] == "---":  # front matter
        lines = lines[lines.index("---", 1) + 1 :]
    paragraphs, current = [], []
    fence = None  # the opening fence while inside a fenced block
    in_math = False

    def flush():
        if current:
            paragraphs.append(" ".join(current))
            current.clear()

    for raw in lines:
        line = raw.strip()
        if fence is not None:
            if line.startswith(fence) and line.strip("`~:") == "":
                fence = None
            continue
        if line.startswith(("```", "~~~", ":::")):
            flush()
            fence = re.match(r"[`~:]+", line).group(0)
            continue
        if line.startswith("$$"):
            flush()
            in_math = not (in_math or (line.endswith("$$") and len(line) > 2))
            continue
        if in_math:
            continue
        if not line or line.startswith(("|", "<", "+++")) or re.fullmatch(r"\(.*\)=", line):
            flush()
            continue
        if line.startswith("#"):
            flush()
            current.append(line.lstrip("#").strip())
            flush()
            continue
        if re.match(r"([*-]|\d+\.) ", line):  # a list item starts a paragraph of its own
            flush()
            line = re.sub(r"^([*-]|\d+\.) ", "", line)
        current.append(line)
    flush()

    cleaned = []
    for text in paragraphs:
        text = INLINE_MATH.sub("", text)
        text = ROLE.sub(lambda m: _doc_title(m, path.parent), text)
        text = LINK.sub(r"\1", text)
        text = OTHER_ROLE.sub(r"\1", text)
        text = HTML_TAG.sub("", text)
        text = MARKS.sub("", text)
        text = re.sub(r"\s+", " ", _ascii(text)).strip()
        text = GAP_BEFORE_PUNCT.sub(r"\1", EMPTY_BRACKETS.sub("", text))
        text = re.sub(r"\s+", " ", text).strip()
        if text:
            cleaned.append(text)
    return cleaned


def course_paragraphs() -> list[str]:
    """Every chapter's paragraphs, chapter after chapter."""
    return [p for path in chapter_files() for p in prose(path)]


def drift(shipped: str, paragraphs: list[str]) -> tuple[float, float]:
    """How far the chapters are from the shipped text.

    Returns the share of the shipped paragraphs no longer found in the chapters, and the
    share of the chapters' paragraphs not in the shipped text (both 0 when up to date).
    """
    old = shipped.splitlines()
    old_set, new_set = set(old), set(paragraphs)
    gone = sum(p not in new_set for p in old) / max(len(old), 1)
    added = sum(p not in old_set for p in paragraphs) / max(len(paragraphs), 1)
    return gone, added


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="only print the drift")
    args = parser.parse_args(argv)
    paragraphs = course_paragraphs()
    if args.check:
        gone, added = drift(OUT.read_text(encoding="ascii"), paragraphs)
        print(f"shipped paragraphs no longer in the chapters: {gone:.1%}; "
              f"chapter paragraphs not in the shipped text: {added:.1%}")
        return 0
    OUT.write_text("\n".join(paragraphs) + "\n", encoding="ascii")
    text = OUT.read_text(encoding="ascii")
    print(f"wrote {OUT.relative_to(ROOT)}: {len(paragraphs)} paragraphs, {len(text)} characters, "
          f"{len(set(text))} distinct")
    return 0


if __name__ == "__main__":
    sys.exit(main())
