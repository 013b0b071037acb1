"""What one ``dlcourse grade --student`` regrade costs, with and without a local Dask cluster.

Builds the course of ``scripts/term_demo.py`` in a temporary folder, grades it once, then
regrades one student ``--repeat`` times each way, alternating (so both see the same load):

* ``cluster``: the batch of one goes through a local Dask cluster, as before issue 23;
* ``here``: the same grading station runs in this process (``DaskPool.GRADE_ONE_HERE``).

Prints the median of each and their ratio, measured in the same run, with the load average;
nothing is asserted.

Usage::

    python benchmarks/student_regrade.py [--repeat 3]
    python benchmarks/student_regrade.py --quick    # a smoke run: one regrade each way
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="a smoke run: one regrade each way")
    args = parser.parse_args(argv)
    if args.quick:
        args.repeat = 1

    from dlgrade.cluster import DaskPool
    from dlgrade.collect import collect
    from dlgrade.course import Course, run_nbgrader
    from dlgrade.engine import grade_assignment
    from dlgrade.roster import import_roster
    from scripts.term_demo import setup

    base = os.environ.get("DLCOURSE_TEST_COURSE_BASE") or (
        "/srv" if os.access("/srv", os.W_OK) else None)
    with tempfile.TemporaryDirectory(prefix="dlgrade-regrade-", dir=base) as tmp:
        folder = Path(tmp)
        setup(folder)
        course = Course(folder / "course")
        import_roster(course, folder / "roster.csv")
        run_nbgrader(course.root, "generate_assignment", "tiny", "--force", "--log-level=WARN")
        collect(course, "tiny", folder / "submissions.zip")
        grade_assignment(course, "tiny", progress=False)
        times = {"cluster": [], "here": []}
        for _ in range(args.repeat):
            for way in ("cluster", "here"):
                DaskPool.GRADE_ONE_HERE = way == "here"
                start = time.perf_counter()
                grade_assignment(Course(course.root), "tiny", progress=False, only=["mgarcia"])
                times[way].append(time.perf_counter() - start)
        DaskPool.GRADE_ONE_HERE = True
    cluster, here = (statistics.median(times[k]) for k in ("cluster", "here"))
    print(f"one --student regrade, median of {args.repeat} (load average "
          f"{os.getloadavg()[0]:.1f}):")
    print(f"  through a local Dask cluster  {cluster:6.1f} s  "
          f"({', '.join(f'{t:.1f}' for t in times['cluster'])})")
    print(f"  in this process               {here:6.1f} s  "
          f"({', '.join(f'{t:.1f}' for t in times['here'])})")
    print(f"  ratio cluster / here          {cluster / here:6.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
