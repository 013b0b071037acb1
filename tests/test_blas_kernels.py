"""The same book on every processor: every chapter prints the same text whatever BLAS kernel runs.

numpy's OpenBLAS picks a kernel for the processor it runs on (Haswell, Zen, SkylakeX, ...), and
each kernel rounds the last bits differently. A fit that runs "until converged" amplifies those
bits, so a chapter can print 0.973 on one laptop and 0.970 on another, or warn on one only (and
a warning fails the ``-W`` build). ``OPENBLAS_CORETYPE`` forces a kernel; Prescott and
Sandybridge run on every x86-64 processor, so this test builds the book under both, besides the
default kernel of this machine (under ``make test``: the build it has just made), and compares
the text output of every code cell.

Figures may differ in their pixels; printed text may not. The builds run side by side
with the same ``-W -n --keep-going`` flags as ``make book``, from clean, into temporary folders.
"""

from __future__ import annotations

import os
import platform
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "_ext"))
from stream_merge import merge_streams  # noqa: E402 (the book's own merge: compare what it shows)

BIN = Path(sys.executable).parent
#: Kernels every x86-64 processor can run, unlike the default one picked for this processor.
FORCED_KERNELS = ("Prescott", "Sandybridge")
#: Object addresses (``<Figure ... at 0x7f...>``) differ from run to run on any machine.
ADDRESS = re.compile(r"\b0x[0-9a-fA-F]+")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        platform.machine() not in ("x86_64", "AMD64"), reason="the forced kernels are x86-64 ones"
    ),
]


def cell_texts(notebook: Path) -> list[str]:
    """The text a reader sees under each code cell (streams and text/* results), in order."""
    nb = nbformat.read(notebook, as_version=4)
    texts = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        parts = []
        for out in merge_streams(cell.get("outputs", [])):
            if out.output_type == "stream":
                parts.append(f"[{out.name}] {out.text}")
            elif out.output_type in ("execute_result", "display_data"):
                for mime, value in sorted(out.get("data", {}).items()):
                    if mime.startswith("text/"):
                        text = value if isinstance(value, str) else "".join(value)
                        parts.append(f"[{mime}] {text}")
            elif out.output_type == "error":
                parts.append(f"[error] {out.ename}: {out.evalue}")
        texts.append(f"cell {index}:\n" + ADDRESS.sub("0x?", "".join(parts)))
    return texts


def executed_notebooks(build_root: Path) -> dict[str, Path]:
    """The executed chapter notebooks of a build, by path relative to the book."""
    folder = build_root / "_build" / "jupyter_execute"
    return {str(p.relative_to(folder)): p for p in sorted(folder.rglob("*.ipynb"))}


def start_build(out: Path, coretype: str | None) -> subprocess.Popen:
    env = dict(
        os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", PYTHONHASHSEED="0"
    )
    env.pop("OPENBLAS_CORETYPE", None)
    if coretype:
        env["OPENBLAS_CORETYPE"] = coretype
    log = open(out.parent / f"{out.name}.log", "w")  # noqa: SIM115 (closed with the process)
    proc = subprocess.Popen(
        [str(BIN / "jupyter-book"), "build", str(ROOT), "-W", "-n", "--keep-going",
         "--path-output", str(out)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    proc.log_path = Path(log.name)
    log.close()
    return proc


@pytest.fixture(scope="module")
def builds(tmp_path_factory) -> dict[str, Path]:
    """Build roots by kernel name ("default" plus the forced ones)."""
    base = tmp_path_factory.mktemp("kernels")
    subprocess.run(
        [sys.executable, "-m", "dlcourse.assets"], cwd=ROOT, check=True, capture_output=True
    )
    # The default kernel is built here too, not taken from a `make book` of a working tree:
    # a cached build leaves stale or empty notebooks in _build/jupyter_execute for chapters it
    # did not re-run. Under `make test` (DLCOURSE_BOOK_BUILT=1) the site was just built and
    # the book tests check that very build, so its executed notebooks are the default kernel's
    # text (CI's clone is clean: every chapter ran), and one build of three is spared.
    wanted = {name: base / name for name in ("default", *FORCED_KERNELS)}
    if os.environ.get("DLCOURSE_BOOK_BUILT") == "1":
        if not executed_notebooks(ROOT):
            pytest.fail("DLCOURSE_BOOK_BUILT=1 but _build/jupyter_execute holds no notebook: "
                        "run `make book`")
        wanted["default"] = ROOT
    procs = {}
    for name, out in wanted.items():
        if out == ROOT:
            continue
        out.mkdir()
        procs[name] = start_build(out, None if name == "default" else name)
    failures = []
    for name, proc in procs.items():
        if proc.wait() != 0:
            failures.append(f"--- {name}:\n{proc.log_path.read_text()[-3000:]}")
    assert not failures, "jupyter-book build -W failed under a forced kernel:\n" + "\n".join(
        failures
    )
    return wanted


@pytest.mark.parametrize("kernel", FORCED_KERNELS)
def test_every_cell_prints_the_same_text_as_with_the_default_kernel(builds, kernel):
    default = executed_notebooks(builds["default"])
    forced = executed_notebooks(builds[kernel])
    assert default, "the default build has no executed notebooks"
    assert sorted(forced) == sorted(default)
    differing, n_cells = [], 0
    for name, path in default.items():
        want, got = cell_texts(path), cell_texts(forced[name])
        n_cells += len(want)
        for a, b in zip(want, got, strict=True):
            if a != b:
                differing.append(f"{name} {a.splitlines()[0]}\n  default: {a!r}\n  {kernel}: {b!r}")
    print(f"{kernel}: {len(default)} notebooks, {n_cells} code cells compared, "
          f"{len(differing)} differing")
    assert not differing, f"{len(differing)} cells print other text under {kernel}:\n" + "\n".join(
        differing
    )
