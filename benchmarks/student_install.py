"""How big the student install is: ``pip install <wheel>`` against the instructors' ``[grading]``.

Builds the ``dlcourse`` wheel from this checkout, installs it into two fresh virtual environments
(the lock, requirements.txt, as constraints: the course venv's versions) and prints, for each,
``du -sh`` of the venv and the number of distributions, then the student venv's size per
distribution, grouped by why it is there:

* the scientific stack: numpy, SciPy (scikit-learn needs it), scikit-learn, matplotlib and what
  they pull in;
* the notebook runner ``dlcourse check`` needs: nbformat, nbclient, jupyter_client, pyzmq,
  ipykernel (with IPython, jedi, debugpy);
* the venv's own tools (pip, setuptools), there in every venv.

Issue 24's target for the student venv is 250 MB; the scientific stack alone is larger, which the
table shows. Sizes are printed, never asserted.

Usage::

    python benchmarks/student_install.py            # build, two fresh venvs (needs the index)
    python benchmarks/student_install.py --quick    # no install: the same table computed from
                                                    # the course venv's metadata (dlcourse's
                                                    # dependency closure, sizes from RECORD)
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
GROUPS = {
    "scientific stack": ["numpy", "scipy", "scikit-learn", "matplotlib", "threadpoolctl"],
    "notebook runner (dlcourse check)": ["nbformat", "nbclient", "jupyter-client", "pyzmq",
                                         "ipykernel"],
    "venv tools": ["pip", "setuptools"],
    "the course package": ["dlcourse"],
}
HEAVY = ("nbgrader", "jupyterlab", "jupyter-server", "sqlalchemy", "alembic", "nbconvert")

# Run inside an interpreter: every installed distribution, its bytes on disk (the files its
# RECORD lists, compiled .pyc included) and its unconditional and extra requirements.
_INVENTORY = r"""
import importlib.metadata as md, json, os
out = {}
for dist in md.distributions():
    size = 0
    for file in dist.files or []:
        try:
            size += os.path.getsize(file.locate())
        except OSError:
            pass
    out[dist.metadata["Name"]] = {"bytes": size, "requires": dist.requires or []}
print(json.dumps(out))
"""


def inventory(python: Path) -> dict[str, dict]:
    """``{canonical name: {"bytes": int, "requires": [str]}}`` of the venv of ``python``."""
    proc = subprocess.run([str(python), "-c", _INVENTORY], capture_output=True, text=True,
                          check=True)
    return {canonicalize_name(k): v for k, v in json.loads(proc.stdout).items()}


def closure(dists: dict[str, dict], roots: list[str], extras: tuple[str, ...] = ()) -> set[str]:
    """Names of ``roots`` and everything they require (``extras`` of the roots included),
    among the installed ``dists``."""
    seen: set[str] = set()
    todo = [(canonicalize_name(r), extras) for r in roots]
    while todo:
        name, wanted = todo.pop()
        if name in seen or name not in dists:
            continue
        seen.add(name)
        for line in dists[name]["requires"]:
            req = Requirement(line)
            if req.marker is None or any(req.marker.evaluate({"extra": e}) for e in
                                         (*wanted, "")):
                todo.append((canonicalize_name(req.name), tuple(req.extras)))
    return seen


def du(path: Path) -> str:
    return subprocess.run(["du", "-sh", str(path)], capture_output=True, text=True,
                          check=True).stdout.split()[0]


def share_table(dists: dict[str, dict], installed: set[str]) -> None:
    """The installed distributions' bytes, by group, the largest of each group named."""
    total = sum(dists[n]["bytes"] for n in installed)
    left = set(installed)
    print(f"\n{'group':36} {'MB':>7} {'share':>6}  largest")
    for group, roots in GROUPS.items():
        members = closure(dists, roots) & left
        left -= members
        size = sum(dists[n]["bytes"] for n in members)
        top = sorted(members, key=lambda n: -dists[n]["bytes"])[:5]
        named = ", ".join(f"{n} {dists[n]['bytes'] / 1e6:.0f}" for n in top)
        print(f"{group:36} {size / 1e6:7.1f} {size / total:6.0%}  {named}")
    if left:
        size = sum(dists[n]["bytes"] for n in left)
        print(f"{'other':36} {size / 1e6:7.1f} {size / total:6.0%}  {', '.join(sorted(left))}")
    print(f"{'total (files listed in RECORD)':36} {total / 1e6:7.1f}")


def build_wheel(out: Path) -> Path:
    """The wheel ``make wheel`` builds, from a copy of the sources (no build/ in the checkout)."""
    src = out / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    for package in ("dlcourse", "dlgrade"):
        shutil.copytree(ROOT / package, src / package,
                        ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--disable-pip-version-check",
                    "--no-deps", "-w", str(out / "dist"), str(src)], check=True)
    return next((out / "dist").glob("dlcourse-*.whl"))


def fresh_venv(folder: Path, requirement: str, constraints: Path) -> tuple[Path, float]:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True)
    subprocess.run([str(folder / "bin" / "python"), "-m", "pip", "install", "--quiet",
                    "--disable-pip-version-check", "-c", str(constraints), requirement],
                   check=True, stderr=subprocess.DEVNULL)
    return folder / "bin" / "python", time.perf_counter() - start


def quick() -> None:
    dists = inventory(Path(sys.executable))
    # The course venv's dlcourse is an editable install whose metadata dates from `make
    # install`: take its requirements from pyproject.toml as it is now.
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    dists["dlcourse"]["requires"] = project["dependencies"] + [
        f'{req}; extra == "{extra}"'
        for extra, reqs in project["optional-dependencies"].items() for req in reqs]
    student = closure(dists, ["dlcourse"]) | {"pip", "setuptools"} & set(dists)
    instructors = closure(dists, ["dlcourse"], ("grading",)) | {"pip", "setuptools"} & set(dists)
    for label, names in (("student (dlcourse)", student),
                         ("instructors (dlcourse[grading])", instructors)):
        size = sum(dists[n]["bytes"] for n in names)
        print(f"{label:34} {len(names):4d} distributions {size / 1e6:7.1f} MB (RECORD sizes)")
    print("instructors-only in the student set:", sorted(student & set(HEAVY)) or "none")
    share_table(dists, student)


def full() -> None:
    with tempfile.TemporaryDirectory(prefix="student-install-") as tmp:
        tmp = Path(tmp)
        wheel = build_wheel(tmp)
        constraints = tmp / "constraints.txt"
        constraints.write_text("".join(
            line + "\n" for line in (ROOT / "requirements.txt").read_text().splitlines()
            if line.strip() and not line.startswith(("-e", "#"))))
        sizes = {}
        for label, requirement in (("student", str(wheel)),
                                   ("instructors", f"{wheel}[grading]")):
            python, seconds = fresh_venv(tmp / label, requirement, constraints)
            dists = inventory(python)
            sizes[label] = (du(tmp / label), len(dists), dists)
            heavy = sorted(set(dists) & set(HEAVY)) or "none"
            print(f"{label:12} pip install {Path(requirement).name:40} du -sh {sizes[label][0]:>5}"
                  f"  {len(dists):4d} distributions  {seconds:5.0f} s  heavy: {heavy}")
        dists = sizes["student"][2]
        share_table(dists, set(dists))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="no install: compute the table from the course venv's metadata")
    args = parser.parse_args(argv)
    if args.quick:
        quick()
    else:
        full()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
