"""What recording the code a judged call runs costs (``dlgrade.judge_code.Recorder``).

The judge's agent wraps each call of a student's function in a ``sys.setprofile`` hook that
notes every code object run (issue 21 item 5: own work checked by what ran). This prints the
ratio of a call with the recorder to the same call without it, measured in turn in the same
run (times are printed, never asserted), for three kinds of graded functions:

* ``sigmoid``: exercise 02's solution, vectorised numpy (a handful of calls per test);
* ``conv2d``: exercise 07's solution, Python loops over output positions calling numpy
  (the worst case: many small numpy calls, each a profiler event);
* ``fit_mlp_classifier``: exercise 06's solution, scikit-learn training (library code).

The recorder's report (fingerprints of the student's code objects) is included in the timed
part, and so is its watch of other threads and processes (issue 21 review finding 3), whose
share of a recorded call is printed last. The whole test cell also pays the kernel round
trip, which this leaves out, so the ratios are an upper bound for a judged test cell.

Usage::

    python benchmarks/judge_recorder.py [--repeat 30] [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def _solution(assignment: str, grade_id: str) -> dict:
    nb = json.loads((ROOT / "solutions" / assignment / f"{assignment}.ipynb").read_text())
    namespace: dict = {}
    for cell in nb["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell["cell_type"] == "code" and meta.get("grade_id") == grade_id:
            exec(compile("import numpy as np\n" + "".join(cell["source"]),  # noqa: S102
                         f"<{grade_id}>", "exec"), namespace)
    return namespace


def _medians(plain, recorded, repeat: int) -> tuple[float, float]:
    times = ([], [])
    for _ in range(repeat):
        for fn, out in ((plain, times[0]), (recorded, times[1])):
            start = time.perf_counter()
            fn()
            out.append(time.perf_counter() - start)
    return statistics.median(times[0]), statistics.median(times[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--quick", action="store_true", help="a smoke run (3 repeats)")
    args = parser.parse_args()
    repeat = 3 if args.quick else args.repeat

    from dlgrade.judge_code import Recorder

    rng = np.random.default_rng(0)
    sigmoid = _solution("02_neuron", "sigmoid")["sigmoid"]
    conv2d = _solution("07_architectures", "conv2d")["conv2d"]
    fit = _solution("06_practical_example", "fit_mlp_classifier")["fit_mlp_classifier"]
    t = rng.normal(scale=5.0, size=254)
    X_img, K = rng.normal(size=(2, 12, 12)), rng.normal(size=(3, 3))
    X, y = rng.normal(size=(200, 2)), rng.integers(0, 2, size=200)
    skip = (str(ROOT / "dlgrade"),)
    cases = [("sigmoid (02)", lambda: sigmoid(t)),
             ("conv2d (07, loops)", lambda: conv2d(X_img[0], K)),
             ("fit_mlp_classifier (06)", lambda: fit(X, y, seed=0))]
    load = os.getloadavg()[0]
    print(f"load average {load:.1f}; median of {repeat} calls each, with and without the "
          "recorder, in turn")
    for label, call in cases:
        try:
            call()
        except TypeError:
            print(f"  {label}: skipped (the solution's signature changed)")
            continue

        def recorded(call=call):
            with Recorder(skip=skip) as recorder:
                call()
            recorder.report()

        plain_s, recorded_s = _medians(call, recorded, repeat)
        print(f"  {label:26s} plain {plain_s * 1e3:8.2f} ms   recorded {recorded_s * 1e3:8.2f} ms"
              f"   ratio {recorded_s / plain_s:5.2f}x")
    # the part of each recorded call that watches other threads and processes (two
    # snapshots, the other threads' profile functions set and cleared, the comparison),
    # against a recorded call of the sigmoid, same run
    import threading

    from dlgrade.judge_watch import _watch

    # a kernel has about six threads of its own (IOPub, control, heartbeat, history, parent
    # poller, pyzmq's garbage collector): as many idle ones here, each profiled per call
    stop = threading.Event()
    for _ in range(6):
        threading.Thread(target=stop.wait, daemon=True).start()
    watch = _watch()

    def watched():  # as a recorded call does: a profile function on each other thread
        now = watch.now()
        before = watch.snapshot(now)
        watch.begin(now)
        now = watch.now()
        others, _ = watch.end(now)
        watch.findings(before, watch.snapshot(now), frozenset(ident for ident, _ in others))

    def recorded_sigmoid():
        with Recorder(skip=skip) as recorder:
            sigmoid(t)
        recorder.report()

    watch_s, sigmoid_s = _medians(watched, recorded_sigmoid, max(repeat, 30))
    print(f"  thread/process watch per call {watch_s * 1e3:.3f} ms, "
          f"{watch_s / sigmoid_s:.0%} of a recorded sigmoid call (which includes it), "
          f"{threading.active_count() - 1} other threads")
    stop.set()


if __name__ == "__main__":
    main()
