"""The advisory package-copy flag (dlgrade.package_copy): fairness, catch rate and cost.

Per assignment, a table row of

* ``honest``: functions of honest answers flagged / compared: every variant of
  tests/independent (course_style included: argument checks raising ValueError as the
  package's, the chapters' names, the formula written the obvious way) and every seeded
  mistake of tests/mistakes (a wrong answer is still the student's own);
* ``pasted``: functions flagged / compared of the package's source pasted with mechanical
  changes (tests/submissions/pasted.py: one dead line per function with docstrings kept or
  dropped, renamed locals, swapped statements, every third name read wrapped in ``_i(x)``);
* ``small``: graded functions the package defines that are too small to say anything about
  (under ``MIN_GRAMS`` 5-grams, e.g. a one-line ``relu``): never flagged, pasted or not;
* the highest honest share and the lowest pasted share of the compared functions, against the
  threshold. Every function of a submission, whatever its name, is compared with each asked
  package function (review 21k), so an honest helper that resembled some asked function
  would show here.

Then the cost: building the package's table once per process, and one submission's check
(the whole pasted 10_attention, the largest text) timed over repeated runs. Nothing is
asserted here; tests/test_dlgrade_package_copy.py holds the assertions.

Usage::

    python benchmarks/package_copy.py [--quick] [--measure both|share|contained]
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from dlcourse.checks import ASSIGNMENTS  # noqa: E402
from dlgrade import package_copy as pc  # noqa: E402
from tests.independent import variants  # noqa: E402
from tests.submissions.pasted import (  # noqa: E402
    VARIANTS,
    graded_functions,
    pasted_cells,
    solution_cells,
)


def honest_texts(assignment: str) -> list[list[str]]:
    """The honest submissions of ``assignment``: one list of cell sources each."""
    texts = [list(answers.values()) for answers in variants(assignment).values()]
    mistakes = importlib.import_module(f"tests.mistakes.ex{assignment}").MISTAKES
    texts += [[m["source"]] for m in mistakes]
    return [*texts, list(solution_cells(assignment).values())]


def tally(texts: list[list[str]], asked: list[str]) -> tuple[int, int, float, float, int]:
    """(flagged, compared, highest share, lowest share) of the compared answers, and how many
    texts the flag says something else of (an asked name bound where the check cannot follow
    it, or too large)."""
    flagged = compared = said = 0
    shares = []
    for cells in texts:
        found = {c.name for c in pc.find_copies(cells, asked)}
        said += isinstance(pc.review(cells, asked), str)
        for name, (share, size) in pc.scores(cells, asked).items():
            if size < pc.MIN_GRAMS:
                continue
            compared += 1
            flagged += name in found
            shares.append(share)
    return flagged, compared, max(shares, default=0.0), min(shares, default=0.0), said


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="two assignments, fewer timings")
    parser.add_argument("--measure", choices=["both", "share", "contained"], default="both",
                        help="compare with the threshold the flag's measure (both: the larger "
                             "of the two), or one of them alone (to see how near honest answers "
                             "come by each)")
    args = parser.parse_args()
    if args.measure != "both":
        pc.similarity = getattr(pc, args.measure)
        print(f"measure: {args.measure} alone (not what the flag uses)")
    chosen = ["04_activations", "10_attention"] if args.quick else ASSIGNMENTS

    start = time.perf_counter()
    package = pc.package_functions()
    built = time.perf_counter() - start
    print(f"threshold {pc.SHORT_THRESHOLD:.0%} (at {pc.MIN_GRAMS}) falling to {pc.THRESHOLD:.0%} "
          f"(from {pc.LONG_GRAMS}) of common {pc.N}-grams; functions under "
          f"{pc.MIN_GRAMS} {pc.N}-grams are not compared\n")
    print(f"{'assignment':22s} {'honest flagged':>15s} {'pasted flagged':>15s} "
          f"{'small':>6s} {'max honest':>11s} {'min pasted':>11s}")
    totals, notes = [0, 0, 0, 0], 0
    for assignment in chosen:
        asked = graded_functions(assignment)
        small = sorted(name for name in asked if name in package and
                       max(sum(g.values()) for _, g in package[name]) < pc.MIN_GRAMS)
        h_flag, h_comp, h_max, _, h_said = tally(honest_texts(assignment), asked)
        notes += h_said
        p_flag, p_comp, _, p_min, _ = tally(
            [list(pasted_cells(assignment, v).values()) for v in VARIANTS], asked)
        totals = [totals[0] + h_flag, totals[1] + h_comp, totals[2] + p_flag, totals[3] + p_comp]
        print(f"{assignment:22s} {f'{h_flag}/{h_comp}':>15s} {f'{p_flag}/{p_comp}':>15s} "
              f"{len(small):>6d} {h_max:>11.0%} {p_min:>11.0%}"
              + (f"   small: {', '.join(small)}" if small else ""))
    print(f"{'all':22s} {f'{totals[0]}/{totals[1]}':>15s} {f'{totals[2]}/{totals[3]}':>15s}")
    print(f"honest submissions the flag says something else of (a name bound where the check "
          f"cannot follow it, too large): {notes}")

    cells = list(pasted_cells("10_attention", "wrapped").values())
    asked = graded_functions("10_attention")
    runs = 5 if args.quick else 50
    start = time.perf_counter()
    for _ in range(runs):
        pc.find_copies(cells, asked)
    each = (time.perf_counter() - start) / runs
    size = sum(len(c) for c in cells)
    print(f"\ncost: the package's table {built * 1000:.0f} ms once per grading process; one "
          f"submission (pasted 10_attention, {size // 1000} kB of code) {each * 1000:.1f} ms "
          f"(mean of {runs})")


if __name__ == "__main__":
    main()
