"""Copied work: pairs of submissions whose own code is suspiciously similar.

Built on copydetect (a maintained winnowing detector after MOSS, Schleimer, Wilkerson and
Aiken 2003): each student's answer cells are tokenised with Pygments, every name becomes
one token (``V``/``F``), comments and whitespace are dropped, strings become ``S``; k-grams
of that text are hashed and winnowed into fingerprints. Fingerprints of the released
template's code are removed first (copydetect's boilerplate), so the code every student
was given never counts.

A pair's score is the share of each side's fingerprinted code found in the other, the
smaller of the two (so a short answer inside a long one is not a match in both
directions). A pair is listed at or above :data:`THRESHOLD`. The value was chosen on the
course's own independent correct answers (``tests/independent``): answers to the same
contract written independently share short passages (``np.asarray(X, dtype=float)``) but
stay well below it, while a copy with renamed variables scores near 1
(``tests/test_dlgrade_lms.py`` checks both).

copydetect hashes its k-grams with Python's ``hash()``, which is salted anew in every
process (``PYTHONHASHSEED``): the same two answers then score differently from one run to
the next (0.25 in one run, 0.33 in another, measured on the independent answers). The k-grams
are hashed here with BLAKE2b instead, so a pair's score is the same in every run and on every
machine.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import itertools
from dataclasses import dataclass, field

import numpy as np

# copydetect (with its own imports) and nbformat (with jsonschema) take about a second each:
# they are imported where a comparison or a notebook read happens, so importing this module
# (the report does, for THRESHOLD) costs nothing.

NOISE = 25    # k: shortest shared run of normalised characters that counts (copydetect default)
GUARANTEE = 30  # a shared run this long is always found (copydetect default)
THRESHOLD = 0.6


@dataclass
class Match:
    """Two students, their score (0-1) and the passages they share (original text)."""

    a: str
    b: str
    score: float
    passages: list = field(default_factory=list)  # [(text in a, text in b), ...]

    def as_dict(self) -> dict:
        return {"a": self.a, "b": self.b, "score": round(self.score, 3),
                "passages": [list(p) for p in self.passages]}


def stable_kgram_hashes(text: str, k: int):
    """The 64-bit BLAKE2b hash of every ``k``-character run of ``text`` (int64 array of
    ``len(text) - k + 1`` values): copydetect's ``hashed_kgrams`` without the per-process salt.

    >>> a, b = stable_kgram_hashes("abcabc", 3), stable_kgram_hashes("xabc", 3)
    >>> len(a), bool(a[0] == a[3] == b[1]), bool(a[0] == a[1])
    (4, True, False)
    """
    return np.array([int.from_bytes(hashlib.blake2b(text[i:i + k].encode(), digest_size=8)
                                    .digest(), "little", signed=True)
                     for i in range(len(text) - k + 1)], dtype=np.int64)


@contextlib.contextmanager
def _stable_hashing():
    """copydetect fingerprints with :func:`stable_kgram_hashes` inside the block."""
    from copydetect import utils

    salted = utils.hashed_kgrams
    utils.hashed_kgrams = stable_kgram_hashes
    try:
        yield
    finally:
        utils.hashed_kgrams = salted


def _fingerprint(code: str, boilerplate):
    from copydetect.detector import CodeFingerprint

    with _stable_hashing():
        return CodeFingerprint("answer.py", NOISE, GUARANTEE - NOISE + 1,
                               boilerplate=np.array(sorted(boilerplate)) if boilerplate else None,
                               fp=io.StringIO(code), language="python")


def compare(a: str, b: str, template: str = "") -> tuple[float, list[tuple[str, str]]]:
    """Score (0-1) and shared passages of two pieces of code, ``template`` code excluded.

    >>> s, _ = compare("def f(x):\\n    total = 0\\n    for v in x:\\n        total += v * v\\n"
    ...                "    return total / len(x)\\n",
    ...                "def g(y):\\n    acc = 0\\n    for w in y:\\n        acc += w * w\\n"
    ...                "    return acc / len(y)\\n")
    >>> s > 0.9
    True
    """
    from copydetect.detector import compare_files

    boiler = _fingerprint(template, None).hashes if template.strip() else set()
    fa, fb = _fingerprint(a, boiler), _fingerprint(b, boiler)
    if not fa.hashes or not fb.hashes:
        return 0.0, []
    _, (s1, s2), (sl1, sl2) = compare_files(fa, fb)
    if not len(sl1) or not len(sl1[0]):
        return 0.0, []
    passages = [(fa.raw_code[int(x0):int(x1)].strip(), fb.raw_code[int(y0):int(y1)].strip())
                for x0, x1, y0, y1 in zip(sl1[0], sl1[1], sl2[0], sl2[1], strict=False)]
    return float(min(s1, s2)), passages


def answer_code(nb) -> str:
    """The student's own code: the code of a notebook's answer (solution) cells."""
    return "\n\n".join(c.source for c in nb.cells if c.cell_type == "code"
                       and c.metadata.get("nbgrader", {}).get("solution"))


def find_copies(answers: dict[str, str], template: str = "",
                threshold: float = THRESHOLD) -> list[Match]:
    """Pairs of ``{student: code}`` scoring at least ``threshold``, highest first."""
    from copydetect.detector import compare_files

    boiler = _fingerprint(template, None).hashes if template.strip() else set()
    prints = {s: _fingerprint(code, boiler) for s, code in sorted(answers.items())}
    found = []
    for (sa, fa), (sb, fb) in itertools.combinations(prints.items(), 2):
        if not fa.hashes or not fb.hashes:
            continue
        _, (s1, s2), (sl1, sl2) = compare_files(fa, fb)
        score = float(min(s1, s2))
        if score >= threshold and len(sl1[0]):
            passages = [(fa.raw_code[int(x0):int(x1)].strip(),
                         fb.raw_code[int(y0):int(y1)].strip())
                        for x0, x1, y0, y1 in zip(sl1[0], sl1[1], sl2[0], sl2[1], strict=False)]
            found.append(Match(sa, sb, score, passages))
    return sorted(found, key=lambda m: (-m.score, m.a, m.b))


def class_copies(course, assignment: str, threshold: float = THRESHOLD) -> list[Match]:
    """:func:`find_copies` over the submitted notebooks of ``assignment``, the released
    notebooks' answer cells (the template) excluded."""
    import nbformat

    def read(path):
        try:
            return answer_code(nbformat.read(path, as_version=4))
        except Exception:  # noqa: BLE001 - an unreadable notebook is reported elsewhere
            return ""

    template = "\n\n".join(read(p) for p in sorted(
        (course.release_dir / assignment).glob("*.ipynb")))
    answers = {}
    for student in course.students(assignment):
        folder = course.submitted_dir / student / assignment
        answers[student] = "\n\n".join(read(p) for p in sorted(folder.glob("*.ipynb")))
    return find_copies(answers, template, threshold)
