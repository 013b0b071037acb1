"""What importing dlgrade's modules costs, against another commit of this repository.

Each module is imported alone in a fresh interpreter of this venv (``-X importtime`` off, the
wall time of the import statement only), once from this checkout and once from ``--baseline``
(``git archive`` of that commit's ``dlcourse`` and ``dlgrade`` into a temporary folder),
alternating, ``--repeat`` times each. Printed: the median per tree, the ratio checkout /
baseline, and the slow packages (nbgrader, nbformat, Dask, ...) the import loaded. The two trees
are measured in the same run, so a busy machine slows both alike; the ratio is the figure to
read. Nothing is asserted.

Usage::

    python benchmarks/import_cost.py --baseline main
    python benchmarks/import_cost.py --baseline 159d3c9 --repeat 9 dlgrade.cli dlgrade.course
    python benchmarks/import_cost.py --quick          # 3 repeats of three modules
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODULES = ["dlgrade.cli", "dlgrade.course", "dlgrade.handgrades", "dlgrade.report",
           "dlgrade.worker", "dlgrade.engine", "dlgrade.judge"]
SLOW = ["nbgrader", "nbconvert", "nbformat", "sqlalchemy", "distributed", "rich", "matplotlib",
        "copydetect", "jupyter_client"]

# the child: put TREE first, drop the editable install's finder (it would import this
# checkout whatever sys.path says), import MODULE and print the seconds and the slow packages
CHILD = """
import sys, time
tree, module, slow = sys.argv[1], sys.argv[2], sys.argv[3].split(",")
sys.meta_path[:] = [f for f in sys.meta_path if "editable" not in repr(f).lower()]
sys.path.insert(0, tree)
start = time.perf_counter()
__import__(module)
seconds = time.perf_counter() - start
loaded = sys.modules[module].__file__
assert loaded.startswith(tree), (loaded, tree)
print(seconds, " ".join(p for p in slow if p in sys.modules))
"""


def export_tree(ref: str, folder: Path) -> Path:
    """``ref``'s dlcourse and dlgrade folders, unpacked into ``folder``."""
    data = subprocess.run(["git", "archive", "--format=tar", ref, "dlcourse", "dlgrade"],
                          cwd=ROOT, capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        archive.extractall(folder, filter="data")
    return folder


def measure(tree: Path, module: str) -> tuple[float, str]:
    out = subprocess.run([sys.executable, "-c", CHILD, str(tree), module, ",".join(SLOW)],
                         capture_output=True, text=True, env={**os.environ, "PYTHONPATH": ""})
    if out.returncode != 0:
        return float("nan"), f"failed: {out.stderr.strip().splitlines()[-1]}"
    seconds, _, loaded = out.stdout.strip().partition(" ")
    return float(seconds), loaded


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", default=None)
    parser.add_argument("--baseline", default="main", help="git ref to compare with")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    modules = args.modules or (MODULES[:3] if args.quick else MODULES)
    repeat = 3 if args.quick else args.repeat
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="dlcourse-import-cost-") as scratch:
        base = export_tree(args.baseline, Path(scratch))
        trees = {"checkout": ROOT, "baseline": base}
        print(f"import cost, median of {repeat}, checkout vs {args.baseline} "
              f"(load average {load:.1f})")
        print(f"{'module':22s} {'checkout s':>10s} {'baseline s':>10s} {'ratio':>6s}  "
              "slow packages loaded (checkout | baseline)")
        for module in modules:
            times = {name: [] for name in trees}
            loaded = {}
            for _ in range(repeat):
                for name, tree in trees.items():
                    seconds, loaded[name] = measure(tree, module)
                    times[name].append(seconds)
            mine, theirs = (statistics.median(times[n]) for n in trees)
            print(f"{module:22s} {mine:10.3f} {theirs:10.3f} {mine / theirs:6.2f}  "
                  f"{loaded['checkout'] or '-'} | {loaded['baseline'] or '-'}")


if __name__ == "__main__":
    main()
