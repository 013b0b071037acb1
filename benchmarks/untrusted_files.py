"""What reading submissions as untrusted data and cleaning pages costs, per student.

Two ratios, each against the old way measured in the same run (times are printed, never
asserted):

* files: ``dlgrade.safe_files.read_folder`` (lstat, O_NOFOLLOW, fstat checks, caps) against
  the old ``rglob`` + ``is_file`` + ``read_bytes`` on a submission folder of the real
  exercise 02's solved notebook plus five small data files;
* pages: the feedback exporter with cleaned content and a Content-Security-Policy
  (``dlgrade.html_safety.CSPHTMLExporter``) against nbconvert's plain ``HTMLExporter`` on the
  same notebook.

Usage::

    python benchmarks/untrusted_files.py [--repeat 200]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent


def _medians(old, new, repeat: int) -> tuple[float, float]:
    """Median seconds of ``old()`` and ``new()``, called in turn (a busy machine slows both)."""
    times = ([], [])
    for _ in range(repeat):
        for fn, out in ((old, times[0]), (new, times[1])):
            start = time.perf_counter()
            fn()
            out.append(time.perf_counter() - start)
    return statistics.median(times[0]), statistics.median(times[1])


def _old_files(base: Path) -> dict:
    return {str(p.relative_to(base)): p.read_bytes() for p in sorted(base.rglob("*"))
            if p.is_file() and ".ipynb_checkpoints" not in p.parts}


def main() -> None:
    from nbconvert.exporters import HTMLExporter

    from dlgrade.html_safety import CSPHTMLExporter
    from dlgrade.safe_files import read_folder

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--quick", action="store_true", help="a smoke run: 20 repeats")
    args = parser.parse_args()
    if args.quick:
        args.repeat = 20
    notebook = ROOT / "solutions" / "02_neuron" / "02_neuron.ipynb"
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "02_neuron"
        folder.mkdir()
        (folder / notebook.name).write_bytes(notebook.read_bytes())
        for i in range(5):
            (folder / f"data{i}.csv").write_text("x,y\n" + "1,2\n" * 200)
        old, new = _medians(lambda: _old_files(folder), lambda: read_folder(folder),
                            args.repeat)
        assert read_folder(folder)[0] == _old_files(folder)
    print(f"files  old {old * 1e3:.3f} ms  safe_files {new * 1e3:.3f} ms  "
          f"ratio {new / old:.2f}x")
    nb = nbformat.read(str(notebook), as_version=4)
    pages = max(3, args.repeat // 20)
    plain, clean = _medians(lambda: HTMLExporter().from_notebook_node(nb),
                            lambda: CSPHTMLExporter().from_notebook_node(nb), pages)
    print(f"pages  HTMLExporter {plain * 1e3:.1f} ms  CSPHTMLExporter {clean * 1e3:.1f} ms  "
          f"ratio {clean / plain:.2f}x")


if __name__ == "__main__":
    main()
