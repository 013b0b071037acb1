"""How long the book takes to build: cold (from clean), warm (cache kept), slowest chapters.

Builds a temporary copy of the repository, so the working tree and its _build are untouched:

* cold: ``jupyter-book build . -W -n --keep-going`` with no _build at all (every notebook runs);
* warm: ``make book``'s rebuild, i.e. ``rm -rf _build/html`` and build again with the
  jupyter-cache in ``_build/.jupyter_cache`` kept (no notebook runs when no code changed);
* per chapter: the execution time jupyter-cache recorded for each notebook in the cold build.

Targets on the 2-core course machine: cold <= 180 s, warm <= 20 s, no chapter over 30 s.
Times are printed, never asserted; warm/cold is printed as a ratio measured in the same run.

Usage::

    python benchmarks/book.py            # cold once, warm three times (median)
    python benchmarks/book.py --quick    # a smoke run: every step once, notebooks cached

``--quick`` (``make bench-smoke``, right after ``make book``) starts the copy with the working
tree's ``_build/.jupyter_cache`` when there is one, so its first build runs only the notebooks
changed since that build; the times it prints are then no cold-build times (it says so).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
SKIP = {".venv", "node_modules", "_build", ".git", ".pytest_cache", ".ruff_cache", "__pycache__"}
TARGETS = {"cold": 180.0, "warm": 20.0, "chapter": 30.0}


def copy_sources(dst: Path) -> None:
    shutil.copytree(
        ROOT,
        dst,
        symlinks=True,
        ignore=lambda folder, names: [n for n in names if n in SKIP or n.endswith(".egg-info")],
    )
    if (ROOT / "node_modules").is_dir():
        (dst / "node_modules").symlink_to(ROOT / "node_modules")


def build(src: Path) -> float:
    """Run the CI build in ``src``; return its wall time in seconds (exit on failure)."""
    env = dict(
        os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", PYTHONHASHSEED="0"
    )
    start = time.perf_counter()
    proc = subprocess.run(
        [str(BIN / "jupyter-book"), "build", ".", "-W", "-n", "--keep-going"],
        cwd=src,
        env=env,
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(
            f"build failed (exit {proc.returncode}):\n{proc.stdout[-3000:]}{proc.stderr[-3000:]}"
        )
    return elapsed


def seed_cache(src: Path) -> bool:
    """Copy the working tree's jupyter-cache into the copy ``src`` (--quick); False: none."""
    cache = ROOT / "_build" / ".jupyter_cache"
    if not cache.is_dir():
        return False
    shutil.copytree(cache, src / "_build" / ".jupyter_cache")
    return True


def chapter_times(src: Path) -> list[tuple[str, float]]:
    """(document, execution seconds) for every notebook jupyter-cache executed, slowest first
    (a record copied in by --quick names the notebook in the working tree)."""
    from jupyter_cache import get_cache

    cache = get_cache(src / "_build" / ".jupyter_cache")
    rows = []
    for record in cache.list_cache_records():
        seconds = record.data.get("execution_seconds")
        if seconds is not None:
            uri = Path(record.uri)
            base = src if uri.is_relative_to(src) else ROOT
            rows.append((uri.relative_to(base).as_posix(), float(seconds)))
    return sorted(rows, key=lambda row: row[1], reverse=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="a smoke run: the working tree's notebook cache, one warm rebuild")
    parser.add_argument(
        "--top", type=int, default=5, help="how many of the slowest chapters to list"
    )
    args = parser.parse_args(argv)

    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="dlcourse-book-bench-") as tmp:
        src = Path(tmp) / "src"
        copy_sources(src)
        subprocess.run(
            [sys.executable, "-m", "dlcourse.assets"], cwd=src, check=True, capture_output=True
        )
        seeded = args.quick and seed_cache(src)

        cold = build(src)
        chapters = chapter_times(src)
        warm_runs = []
        for _ in range(1 if args.quick else 3):
            shutil.rmtree(src / "_build" / "html")
            warm_runs.append(build(src))
        warm = statistics.median(warm_runs)

    executed = sum(seconds for _, seconds in chapters)
    load = os.getloadavg()[0]
    print(
        f"book build on {os.cpu_count()} CPUs ({'quick' if args.quick else 'full'} run; "
        f"load average {load_before:.1f} before, {load:.1f} after: compare only quiet runs)"
    )
    if seeded:
        print("  --quick: the copy started with the working tree's notebook cache, so the first "
              "build is no cold build and the execution times are those of the cached runs")
        print(f"  first build (cache copied):  {cold:7.1f} s   (no cold build: no target)")
        print(f"  warm rebuild (cache kept):   {warm:7.1f} s   target <= {TARGETS['warm']:.0f} s")
        print(f"  notebook execution (cached): {executed:7.1f} s   ({len(chapters)} notebooks)")
    else:
        print(f"  cold build (from clean):     {cold:7.1f} s   target <= {TARGETS['cold']:.0f} s")
        print(
            f"  warm rebuild (cache kept):   {warm:7.1f} s   target <= {TARGETS['warm']:.0f} s"
            f"   (median of {len(warm_runs)}; warm/cold = {warm / cold:.2f})"
        )
        print(
            f"  notebook execution in cold:  {executed:7.1f} s   "
            f"({executed / cold:.0%} of the cold build, {len(chapters)} notebooks)"
        )
    print(f"  slowest chapters (execution, target <= {TARGETS['chapter']:.0f} s each):")
    for doc, seconds in chapters[: args.top]:
        flag = "  OVER TARGET" if seconds > TARGETS["chapter"] else ""
        print(f"    {seconds:6.1f} s  {doc}{flag}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
