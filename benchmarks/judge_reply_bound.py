"""What a huge reply costs the judge, with and without the bound on lists and objects.

Review 21c's hole M: a replaced agent answered every request with ``{"ok":[[],[],...]}``, 21 M
empty lists in just under the 64 M characters a message may have. Parsing one such reply took
the judge tens of seconds under load (plus the garbage collector walking 21 M objects), per
test cell. :func:`dlgrade.judge_wire.loads` now counts brackets and braces first and refuses a
message with more than ``MAX_CONTAINERS`` of them.

Prints the time of ``json.loads`` of that reply (the old path) and of ``loads`` refusing it,
measured in the same run, and their ratio; also the time to parse the largest legal message of
the same kind (``MAX_CONTAINERS`` lists), the most a reply can now cost. Nothing is asserted.

Usage::

    python benchmarks/judge_reply_bound.py            # 21 M lists, as in the review
    python benchmarks/judge_reply_bound.py --lists 5000000
    python benchmarks/judge_reply_bound.py --quick    # just over the bound (CI's smoke run)
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import time

from dlgrade.judge_wire import MAX_CONTAINERS, WireError, loads


def _reply(lists: int) -> str:
    return '{"ok":[' + "[]," * (lists - 1) + "[]]}"


def _timed(work) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lists", type=int, default=21_000_000)
    parser.add_argument("--quick", action="store_true",
                        help="a reply just over the bound instead (a few seconds)")
    args = parser.parse_args()
    lists = MAX_CONTAINERS + 10 if args.quick else args.lists
    text = _reply(lists)

    def refuse():
        try:
            loads(text)
        except WireError:
            return
        raise SystemExit("the reply was not refused")

    def parse_old():
        json.loads(text)
        gc.collect()

    largest = _reply(MAX_CONTAINERS - 2)  # with the outer object and list

    def parse_largest():
        loads(largest)
        gc.collect()

    old = _timed(parse_old)
    new = _timed(refuse)
    bound = _timed(parse_largest)
    print(f"load average {os.getloadavg()[0]:.1f}; reply of {len(text):,} characters, "
          f"{lists:,} empty lists")
    print(f"json.loads (before): {old:8.3f} s")
    print(f"loads refuses it   : {new:8.3f} s   ratio before/after {old / max(new, 1e-9):.0f}x")
    print(f"largest legal reply ({MAX_CONTAINERS:,} lists) parsed: {bound:.3f} s "
          f"({bound / max(old, 1e-9):.2f} of the old cost)")


if __name__ == "__main__":
    main()
