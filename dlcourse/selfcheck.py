"""Check an exercise notebook from the command line: ``dlcourse check NOTEBOOK``.

Runs the notebook top to bottom in a fresh kernel with nbgrader's validator (as
``nbgrader validate`` does, but with an exit status: ``nbgrader validate`` exits 0
even when tests fail) and reports, per function, whether its test cells pass.
On a student's copy only the visible tests exist; hidden tests run at grading time.

Usage::

    python -m dlcourse.selfcheck exercises/02_neuron/02_neuron.ipynb

or ``dlcourse check NOTEBOOK...`` (the same :func:`main`). Exit status: 0 when every function of
every notebook passes, 1 when a function fails or a notebook has a problem (a modified
locked cell, a deleted test cell, a changed cell type), 2 for bad usage (no such file, not an
exercise notebook, unknown option).
"""

from __future__ import annotations

import argparse
import dataclasses
import re
import sys
from pathlib import Path

from dlcourse.testing import CheckResult

__all__ = ["NotebookReport", "check_notebook", "main"]

_TEST_ID = re.compile(r"^test_(?P<function>.+?)(?P<hidden>_hidden)?$")


@dataclasses.dataclass
class NotebookReport:
    """Outcome of :func:`check_notebook`.

    Attributes
    ----------
    path : Path
        The notebook checked.
    results : list of CheckResult
        One entry per function, in notebook order; ``status`` is ``"pass"`` or ``"fail"``.
    problems : list of str
        Problems with the notebook itself (a modified locked cell, a changed cell type,
        no test cells).
    """

    path: Path
    results: list[CheckResult]
    problems: list[str]

    @property
    def passed(self) -> bool:
        return not self.problems and bool(self.results) and all(r.passed for r in self.results)

    def format(self) -> str:
        """The report as text, one line per function."""
        lines = [f"Checking {self.path} (visible tests; hidden tests run at grading time)", ""]
        width = max((len(r.function) for r in self.results), default=10)
        for result in self.results:
            label = "PASS" if result.passed else "FAIL"
            lines.append(f"  {label}  {result.function:<{width}}  {result.message}".rstrip())
        lines += [f"  PROBLEM  {problem}" for problem in self.problems]
        passed = sum(r.passed for r in self.results)
        lines += ["", f"{passed} of {len(self.results)} functions pass."]
        return "\n".join(lines)


_EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Exit|Interrupt)\b")


def _last_line(error: str) -> str:
    """The exception line of a traceback, e.g. ``AssertionError: mse(...) is 9, expected 3``."""
    from nbconvert.filters import strip_ansi

    lines = [line.strip() for line in strip_ansi(error).splitlines() if line.strip()]
    exception_lines = [line for line in lines if _EXCEPTION_LINE.match(line)]
    line = exception_lines[-1] if exception_lines else (lines[-1] if lines else "failed")
    if line.startswith("NotImplementedError"):
        return "not implemented yet (still raises NotImplementedError)"
    return line


def _changed_cells(notebook) -> list[str]:
    """Locked cells whose source differs from the release (nbgrader's checksums)."""
    from nbgrader import utils

    changed = []
    for cell in notebook.cells:
        meta = cell.metadata.get("nbgrader", {})
        if "checksum" not in meta:
            continue
        if utils.is_locked(cell) and utils.compute_checksum(cell) != meta["checksum"]:
            changed.append(meta.get("grade_id", "a locked cell"))
        if meta.get("cell_type") and meta["cell_type"] != cell.cell_type:
            changed.append(f"{meta.get('grade_id', 'a cell')} (its type changed)")
    return changed


def _deleted_tests(notebook) -> dict[str, list[str]]:
    """``{function: [grade ids of its missing test cells]}``.

    Each function has a solution cell whose ``grade_id`` is its name and a visible test cell
    ``test_<name>``; a missing one was deleted. The grader restores it and runs it, so a
    check that passed without it would promise points the student does not have. (Hidden
    tests run only at grading, whether their cell is there or not.)
    """
    ids, functions = set(), []
    for cell in notebook.cells:
        meta = cell.metadata.get("nbgrader", {})
        gid = meta.get("grade_id")
        if not gid:
            continue
        ids.add(gid)
        if meta.get("solution") and not meta.get("grade") and cell.cell_type == "code":
            functions.append(gid)
    return {function: [f"test_{function}"] for function in functions
            if f"test_{function}" not in ids}


def check_notebook(path: str | Path, timeout: int = 120) -> NotebookReport:
    """Run an exercise notebook and report which functions pass their tests.

    Parameters
    ----------
    path : str or Path
        An exercise notebook (a student's copy of ``exercises/<a>/<a>.ipynb``, or a
        source notebook from ``solutions/``).
    timeout : int
        Seconds allowed per cell.

    Returns
    -------
    NotebookReport
    """
    import nbformat
    from nbgrader.validator import Validator
    from traitlets.config import Config

    path = Path(path)
    if not path.is_file():
        raise ValueError(f"path must be an existing notebook file; got {str(path)!r}")
    notebook = nbformat.read(path, as_version=4)
    tests: dict[str, list[str]] = {}  # function -> sources of its test cells
    for cell in notebook.cells:
        meta = cell.metadata.get("nbgrader", {})
        match = _TEST_ID.match(meta.get("grade_id", ""))
        if meta.get("grade") and cell.cell_type == "code" and match:
            tests.setdefault(match["function"], []).append(cell.source.strip())
    problems = [f"the locked cell {name} was modified: restore it from the original notebook"
                for name in _changed_cells(notebook)]
    deleted = _deleted_tests(notebook)
    problems += [f"the test cell {gid} of {function} was deleted: restore it from the original "
                 "notebook (grading puts it back and runs it)"
                 for function, gids in deleted.items() for gid in gids]
    if not tests and not deleted:
        return NotebookReport(path, [], problems + ["no autograded test cells: is this an "
                                                    "exercise notebook?"])
    config = Config()
    config.Execute.timeout = timeout
    config.Validator.ignore_checksums = True  # reported above, per cell
    outcome = Validator(config=config).validate(str(path))
    if "type_changed" in outcome:
        problems.append("the type of a cell was changed (code <-> markdown): restore it")
    failed = {entry["source"]: _last_line(entry.get("raw_error", "")) for entry in
              outcome.get("failed", [])}
    results = []
    order = list(tests) + [f for f in deleted if f not in tests]
    for function in order:
        sources = tests.get(function, [])
        errors = [failed[source] for source in sources if source in failed]
        if function in deleted:
            results.append(CheckResult(function, "fail", "its test cell was deleted: "
                                       + ", ".join(deleted[function])))
        elif "type_changed" in outcome:
            results.append(CheckResult(function, "fail", "not run"))
        elif errors:
            results.append(CheckResult(function, "fail", errors[0]))
        else:
            results.append(CheckResult(function, "pass"))
    return NotebookReport(path, results, problems)


def main(argv: list[str] | None = None, prog: str = "python -m dlcourse.selfcheck") -> int:
    """Command-line entry: check each notebook, print the report, return the exit status
    (0 all pass, 1 a function fails or a notebook has a problem, 2 bad usage)."""
    parser = argparse.ArgumentParser(
        prog=prog, description="Run the visible tests of exercise notebooks, one line per "
        "function. Exit status: 0 when every function passes, 1 when one fails or a notebook "
        "has a problem, 2 for bad usage (no such file, not an exercise notebook). Hidden tests "
        "run only at grading time.")
    parser.add_argument("notebooks", nargs="+", help="exercise notebook(s) to check")
    parser.add_argument("--timeout", type=int, default=120, help="seconds per cell (default 120)")
    args = parser.parse_args(argv)
    status = 0
    for name in args.notebooks:
        try:
            report = check_notebook(name, timeout=args.timeout)
        except ValueError as error:
            print(f"{prog}: {error}", file=sys.stderr)
            status = max(status, 2)
            continue
        print(report.format())
        if not report.results:
            status = max(status, 2)
        elif not report.passed:
            status = max(status, 1)
    return status


if __name__ == "__main__":
    raise SystemExit(main())
