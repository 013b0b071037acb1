"""What the tripwire between judged calls costs (``dlgrade.judge_tripwire``).

From the judge's ``start`` request every thread of the kernel carries a C profiler (function
calls only) whenever no record runs there, and the agent reads and wipes those records at the
end of every request. This prints, measured in turn in the same run (times are printed, never
asserted; the load average too):

* one whole call request as the agent serves it (``handle``: parse, decode, recorded call of
  exercise 02's ``sigmoid``, reply) without and with the tripwire, with six idle threads as a
  kernel has;
* code run under the tripwire: exercise 07's ``conv2d`` (Python loops calling numpy, the
  worst case) and exercise 06's ``fit_mlp_classifier`` (scikit-learn training), without and
  with it. In grading only what runs between the grader's requests of a test cell is under
  it; the tripwires rest while the student's own cells run (a mark request ends each test
  cell), so this is the cost a cell *would* pay, an upper bound.

Usage::

    python benchmarks/judge_tripwire.py [--repeat 30] [--quick]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from judge_recorder import _solution  # noqa: E402 - the benchmarks folder is not a package


def _off(wire) -> None:
    """Every thread's tripwire off (the baseline of a pair of measurements)."""
    for state in list(wire.wires):
        wire.states.clear_profile(state)
    wire.armed = False


def _on(wire) -> None:
    wire.armed = True
    for state, (ident, _) in wire.states.states().items():
        wire.place(state, ident)
    wire.check()


def _pairs(wire, work, repeat: int) -> tuple[float, float]:
    times = ([], [])
    for _ in range(repeat):
        for armed, out in ((False, times[0]), (True, times[1])):
            (_on if armed else _off)(wire)
            start = time.perf_counter()
            work()
            out.append(time.perf_counter() - start)
    _on(wire)
    return statistics.median(times[0]), statistics.median(times[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--quick", action="store_true", help="a smoke run (3 repeats)")
    args = parser.parse_args()
    repeat = 3 if args.quick else args.repeat

    from dlgrade import judge_agent, judge_tripwire
    from dlgrade.judge_wire import dumps, encode

    stop = threading.Event()
    for _ in range(6):
        threading.Thread(target=stop.wait, daemon=True).start()
    rng = np.random.default_rng(0)
    sigmoid = _solution("02_neuron", "sigmoid")["sigmoid"]
    conv2d = _solution("07_architectures", "conv2d")["conv2d"]
    fit = _solution("06_practical_example", "fit_mlp_classifier")["fit_mlp_classifier"]
    t = rng.normal(scale=5.0, size=254)
    X_img, K = rng.normal(size=(12, 12)), rng.normal(size=(3, 3))
    X, y = rng.normal(size=(200, 2)), rng.integers(0, 2, size=200)
    judge_agent.handle(dumps({"op": "start"}))
    wire = judge_tripwire.tripwire()
    if not wire.armed:
        print("the tripwire does not run here (not CPython 3.11, 64-bit); nothing to measure")
        return
    request = dumps({"op": "call", "fn": judge_agent._as_ref(sigmoid),
                     "args": encode([t]), "kwargs": encode({}), "errstate": np.geterr(),
                     "in_place": False})

    def call_request():
        judge_agent.handle(request)

    print(f"load average {os.getloadavg()[0]:.1f}; median of {repeat} runs each, without "
          "and with the tripwire, in turn; 6 idle threads")
    for label, work in (("call request (02 sigmoid)", call_request),
                        ("under it: conv2d (07, loops)", lambda: conv2d(X_img, K)),
                        ("under it: fit_mlp (06)", lambda: fit(X, y, seed=0))):
        plain, armed = _pairs(wire, work, repeat)
        print(f"  {label:30s} without {plain * 1e3:8.2f} ms   with {armed * 1e3:8.2f} ms   "
              f"ratio {armed / plain:5.2f}x")
    stop.set()


if __name__ == "__main__":
    main()
