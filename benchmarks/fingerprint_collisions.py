"""False positives of the judge's fingerprints: honest and mistaken answers against the package.

Every function of the independent correct answers (tests/independent), of the seeded mistakes
(tests/mistakes) and of the course's solution notebooks is fingerprinted and compared with the
table of the installed ``dlcourse`` package, three ways:

* ``names kept``: global and attribute names are part of the fingerprint (main before review
  21c's Rv3);
* ``globals blind``: only global (and module-level) names stand for their order of first use;
* ``all names blind``: attribute names too (what :mod:`dlgrade.judge_fingerprint` does now).

For each it prints how many named functions equal a package function (a match counts only for
code the submitted text does not define, or for a handed-in text judged a copy) and how many
are *called a copy* by :meth:`dlgrade.judge_code.CodePolicy.copied` (what would cost a student
points). Then, for the current fingerprint, the nearest package function of every independent
answer by similarity of the instruction streams (difflib's ratio over the fingerprint's steps),
the closest first. Nothing is timed or asserted; the test that no honest answer is called a
copy is in tests/test_dlgrade_judge_code.py.

Usage::

    python benchmarks/fingerprint_collisions.py [--nearest N]
    python benchmarks/fingerprint_collisions.py --quick   # current fingerprint only, 20 answers
"""

from __future__ import annotations

import argparse
import difflib
import dis
import importlib
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from dlgrade import judge_fingerprint as jf  # noqa: E402
from dlgrade.judge_code import CodePolicy  # noqa: E402

ASSIGNMENTS = sorted(p.stem for p in (REPO / "tests" / "independent").glob("ex*.py"))
GLOBAL_OPS = frozenset(dis.opmap[name] for name in (
    "LOAD_GLOBAL", "STORE_GLOBAL", "DELETE_GLOBAL", "LOAD_NAME", "STORE_NAME", "DELETE_NAME",
    "IMPORT_NAME"))
MODES = {"names kept": frozenset(), "globals blind": GLOBAL_OPS,
         "all names blind": frozenset(dis.hasname)}


def texts() -> dict[str, list[tuple[str, str]]]:
    """source kind -> [(label, text of one cell)]"""
    from tests.independent import variants

    found: dict[str, list[tuple[str, str]]] = {"independent": [], "mistakes": [],
                                                 "solutions": []}
    for stem in ASSIGNMENTS:
        number = stem[2:]
        for variant, answers in variants(number).items():
            for function, text in answers.items():
                found["independent"].append((f"{stem}:{variant}:{function}", text))
        module = importlib.import_module(f"tests.mistakes.{stem}")
        for index, mistake in enumerate(module.MISTAKES):
            found["mistakes"].append((f"{stem}:{index}:{mistake['function']}",
                                      mistake["source"]))
    for notebook in sorted((REPO / "solutions").glob("*/*.ipynb")):
        cells = json.loads(notebook.read_text())["cells"]
        for index, cell in enumerate(cells):
            if cell["cell_type"] == "code":
                found["solutions"].append((f"{notebook.stem}:cell{index}",
                                           "".join(cell["source"])))
    return found


def reset() -> None:
    jf._PACKAGE_TABLE.clear()
    jf._PACKAGE_DOCS.clear()


def tally(found, modes) -> None:
    for mode in modes:
        ops = MODES[mode]
        jf._NAME_OPS = ops
        reset()
        table = jf.package_fingerprints()
        print(f"\n== {mode}: {len(table)} distinct package fingerprints")
        for kind, items in found.items():
            named = equal = copies = 0
            shown = []
            for label, text in items:
                copied = CodePolicy([text]).copied()
                # the text as a whole and each statement alone: one function counted once
                units = {(code.co_qualname, jf.fingerprint(code)): code
                         for code in jf._units(text, "<cell>", flag_variants=False)}
                for code in units.values():
                    if code.co_name in jf._UNNAMED or len(code.co_code) < jf.TRIVIAL_BYTES:
                        continue
                    named += 1
                    digest = jf.fingerprint(code)
                    if digest in table:
                        equal += 1
                        shown.append(f"   {label} {code.co_name} = {table[digest]}"
                                     f"{' (CALLED A COPY)' if digest in copied else ''}")
                    copies += digest in copied
            print(f"  {kind:12s} {len(items):4d} texts, {named:4d} named function units, "
                  f"{equal:3d} equal to a package function, {copies} called a copy")
            for line in sorted(set(shown))[:12]:
                print(line)


def nearest(found, count: int, limit: int | None = None) -> None:
    jf._NAME_OPS = MODES["all names blind"]
    package = []
    for path in sorted(Path(jf.package_root()).rglob("*.py")):
        for code in jf._units(path.read_text(encoding="utf-8"), str(path), flag_variants=False):
            if code.co_name not in jf._UNNAMED and len(code.co_code) >= jf.TRIVIAL_BYTES:
                package.append((f"{path.stem}.{code.co_qualname}", jf._shape(code)[0]))
    pairs = []
    seen = set()
    for label, text in found["independent"][:limit]:
        for code in jf._units(text, "<cell>", flag_variants=False):
            if code.co_name in jf._UNNAMED or len(code.co_code) < jf.TRIVIAL_BYTES:
                continue
            steps = jf._shape(code)[0]
            if (label, steps) in seen:
                continue
            seen.add((label, steps))
            matcher = difflib.SequenceMatcher(autojunk=False)
            matcher.set_seq2(steps)
            best = (0.0, "")
            for name, other in package:
                matcher.set_seq1(other)
                if matcher.real_quick_ratio() <= best[0] or matcher.quick_ratio() <= best[0]:
                    continue
                best = max(best, (matcher.ratio(), name))
            pairs.append((best[0], label, code.co_name, best[1], len(code.co_code)))
    pairs.sort(reverse=True)
    print(f"\n== nearest package function of each independent answer ({len(pairs)} "
          f"function units; ratio 1.0 = the same instruction stream), top {count}:")
    for ratio, label, name, other, size in pairs[:count]:
        print(f"  {ratio:.3f}  {label} ({name}, {size} bytes)  ~ dlcourse.{other}")
    above = sum(ratio >= 0.9 for ratio, *_ in pairs)
    print(f"  {above} of {len(pairs)} at 0.9 or more, "
          f"{sum(ratio == 1.0 for ratio, *_ in pairs)} at 1.0")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nearest", type=int, default=15)
    parser.add_argument("--quick", action="store_true",
                        help="the current fingerprint only, nearest matches of 20 answers")
    args = parser.parse_args()
    found = texts()
    tally(found, ["all names blind"] if args.quick else list(MODES))
    nearest(found, args.nearest, 20 if args.quick else None)


if __name__ == "__main__":
    main()
