"""Check an exercise notebook from the command line: ``dlcourse check NOTEBOOK``.

Checks that the notebook keeps the release's structure (:mod:`dlcourse.exercise_cells`: locked
cells unchanged, no test cell deleted, grade ids intact), runs it top to bottom in a fresh kernel
(nbclient), and reports, per function, whether its test cells pass, scoring a test cell as
nbgrader does. It needs no nbgrader (students install only the teaching package) and, unlike
``nbgrader validate``, exits with a status. On a student's copy only the visible tests exist;
hidden tests run at grading time.

Usage::

    python -m dlcourse.selfcheck exercises/02_neuron/02_neuron.ipynb

or ``dlcourse check NOTEBOOK...`` (the same :func:`main`). Exit status: 0 when every function of
every notebook passes, 1 when a function fails or a notebook has a problem (a modified
locked cell, a deleted test cell, a changed cell type), 2 for bad usage (no such file, not an
exercise notebook, unknown option).
"""

from __future__ import annotations

import argparse
import atexit
import dataclasses
import re
import sys
from pathlib import Path

import nbformat
import zmq
from ipykernel.kernelspec import RESOURCES, get_kernel_dict
from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError

from dlcourse import exercise_cells
from dlcourse.checks import CheckResult

__all__ = ["NotebookReport", "check_notebook", "main"]

@dataclasses.dataclass
class NotebookReport:
    """Outcome of :func:`check_notebook`.

    Attributes
    ----------
    path : Path
        The notebook checked.
    results : list of CheckResult
        One entry per function, in notebook order; ``status`` is ``"pass"``, ``"fail"``, or
        ``"problem"`` (not checked: its test cell was modified).
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
            label = {"pass": "PASS", "problem": "PROBLEM"}.get(result.status, "FAIL")
            lines.append(f"  {label}  {result.function:<{width}}  {result.message}".rstrip())
        lines += [f"  PROBLEM  {problem}" for problem in self.problems]
        passed = sum(r.passed for r in self.results)
        lines += ["", f"{passed} of {len(self.results)} functions pass."]
        return "\n".join(lines)


_EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Exit|Interrupt)\b")
# An ANSI escape sequence (colours in IPython's tracebacks): ESC [ parameters final-byte.
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]")


def _timeout_error(timeout: int) -> dict:
    """What a cell that ran past the timeout shows (the kernel is interrupted, the run goes on)."""
    return {"ename": "CellTimeoutError", "evalue": "", "traceback": [
        f"CellTimeoutError: still running after {timeout} s (--timeout): an endless loop?"]}


def _last_line(error: str) -> str:
    """The exception line of a traceback, e.g. ``AssertionError: mse(...) is 9, expected 3``."""
    lines = [line.strip() for line in _ANSI.sub("", error).splitlines() if line.strip()]
    exception_lines = [line for line in lines if _EXCEPTION_LINE.match(line)]
    line = exception_lines[-1] if exception_lines else (lines[-1] if lines else "failed")
    if line.startswith("NotImplementedError"):
        return "not implemented yet (still raises NotImplementedError)"
    return line


def _failure(cell) -> str | None:
    """Why an executed test cell loses its points at grading, or None when it earns them.

    As nbgrader scores a code grade cell: an error or anything written to stderr means zero
    points; a numeric result below the cell's points means partial credit; anything else, full
    points. The text returned is the error and stderr output (for :func:`_last_line`).
    """
    errors = ["\n".join(o.get("traceback", [])) for o in cell.outputs
              if o.output_type == "error"]
    errors += [o.get("text", "") for o in cell.outputs
               if o.output_type == "stream" and o.get("name") == "stderr"]
    if errors:
        return "\n".join(errors)
    points = float(cell.metadata["nbgrader"].get("points", 0))
    for output in cell.outputs:
        if output.output_type == "execute_result":
            try:
                score = float(output.get("data", {}).get("text/plain", ""))
            except ValueError:
                return None
            return ("partial credit: passed some but not all of the tests"
                    if 0 <= score < points else None)
    return None


class _ThisPython(KernelSpecManager):
    """Kernel specs that always name ipykernel in the running Python (``sys.executable``)."""

    def get_kernel_spec(self, kernel_name):
        return KernelSpec(resource_dir=RESOURCES, **get_kernel_dict())


def _kernel_manager() -> AsyncKernelManager:
    """A kernel of this very Python (the one ``dlcourse`` is installed in, whatever kernels
    Jupyter knows), whose channels are encrypted when the kernel and pyzmq support it."""
    options = {}
    # ipykernel warns "Kernel is running over TCP without encryption ... susceptible to
    # eavesdropping" unless the manager hands the kernel CurveZMQ keys; "auto" does when the
    # kernelspec says the kernel supports them (jupyter_client >= 8.10, ipykernel >= 7.4).
    if "transport_encryption" in AsyncKernelManager.class_trait_names() and zmq.has("curve"):
        options["transport_encryption"] = "auto"
    return AsyncKernelManager(kernel_name="python3", kernel_spec_manager=_ThisPython(),
                              **options)


def _run(notebook, folder: Path, timeout: int) -> str | None:
    """Execute ``notebook`` in place in a fresh kernel started in ``folder``, going on after
    errors; a problem message when the kernel died before the end, else None."""
    def record_timeout(cell, cell_index, execute_reply):
        # An interrupted cell's reply is the timeout error; make it an output of the cell.
        content = execute_reply.get("content", {})
        if content.get("status") == "error" and not any(
                o.output_type == "error" and o.get("ename") == content.get("ename")
                for o in cell.outputs):
            cell.outputs.append(nbformat.v4.new_output(
                "error", ename=content.get("ename", ""), evalue=content.get("evalue", ""),
                traceback=content.get("traceback") or [content.get("ename", "error")]))

    client = NotebookClient(notebook, km=_kernel_manager(), timeout=timeout, allow_errors=True,
                            interrupt_on_timeout=True, error_on_timeout=_timeout_error(timeout),
                            on_cell_executed=record_timeout,
                            resources={"metadata": {"path": str(folder)}})
    try:
        client.execute(cleanup_kc=True)  # shut the kernel down (nbclient keeps a km it was given)
    except DeadKernelError:
        return ("the kernel died while running the notebook (does the code call exit() or use "
                "up the memory?): the cells after that did not run")
    except RuntimeError as error:  # nbclient's word for a kernel that never answered
        atexit.unregister(client._cleanup_kernel)  # nothing left to clean up; no exit noise
        return f"no Python kernel could be started to run the notebook ({error})"
    return None


def check_notebook(path: str | Path, timeout: int = 120) -> NotebookReport:
    """Run an exercise notebook and report which functions pass their tests.

    The notebook's structure is checked first (:func:`dlcourse.exercise_cells.structure_problems`:
    modified or renamed locked cells, deleted test cells, missing solution cells, broken grade
    ids), then the notebook runs top to bottom in a fresh kernel of this Python, in its own
    folder. A function passes when each of its test cells runs without an error.

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
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"path must be an existing notebook file; got {str(path)!r}")
    notebook = nbformat.read(path, as_version=4)
    cells = exercise_cells.read_cells(notebook)
    problems = exercise_cells.structure_problems(notebook)
    deleted = exercise_cells.deleted_tests(cells)
    missing = exercise_cells.missing_solutions(cells)
    if not cells.tests and not deleted:
        return NotebookReport(path, [], problems + ["no autograded test cells: is this an "
                                                    "exercise notebook?"])
    not_run = exercise_cells.type_changed(notebook)
    if not_run:
        problems.append("the type of a cell was changed (code <-> markdown): restore it")
    else:
        for cell in notebook.cells:  # outputs saved with the file are not this run's
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = [], None
        died = _run(notebook, path.resolve().parent, timeout)
        if died:
            problems.append(died)
    def edited(function: str) -> list[str]:
        """The function's test cells whose source differs from the release."""
        return [notebook.cells[i].metadata["nbgrader"]["grade_id"]
                for i in cells.tests.get(function, [])
                if "checksum" in notebook.cells[i].metadata.get("nbgrader", {})
                and exercise_cells.checksum(notebook.cells[i])
                != notebook.cells[i].metadata["nbgrader"]["checksum"]]

    results = []
    for function in cells.functions:
        ran = [notebook.cells[i] for i in cells.tests.get(function, [])]
        errors = [error for error in map(_failure, ran) if error is not None]
        if function in deleted:
            results.append(CheckResult(function, "fail", "its test cell was deleted: "
                                       + ", ".join(deleted[function])))
        elif function in missing:
            results.append(CheckResult(function, "fail", "its solution cell is missing"))
        elif not_run or not all(cell.get("execution_count") or not cell.source.strip()
                                for cell in ran):
            results.append(CheckResult(function, "fail", "not run"))
        elif edited(function):
            # the student's own version of the test passing says nothing about the function
            results.append(CheckResult(function, "problem", "not checked: its test cell "
                                       + ", ".join(edited(function)) + " was modified; restore "
                                       "it from the original notebook"))
        elif errors:
            results.append(CheckResult(function, "fail", _last_line(errors[0])))
        else:
            results.append(CheckResult(function, "pass"))
    missing_names = _defined_nowhere(notebook, cells)
    if missing_names:
        problems.append(f"the test cells use {', '.join(missing_names)}, which no cell defines "
                        "or imports: was a locked cell deleted (the setup cell that imports "
                        "them)? restore it from the original notebook (grading puts it back)")
    return NotebookReport(path, results, problems)


_NOT_DEFINED = re.compile(r"name '(\w+)' is not defined")


def _defined_nowhere(notebook, cells) -> list[str]:
    """Names a test cell failed on (``NameError``) that appear in the test cells' own code
    and in no other cell: an instructor's helper whose locked set-up cell the student deleted
    (review 23d, P7), not a slip in the student's own function (which the student's cell
    names)."""
    tests = {i for indices in cells.tests.values() for i in indices}
    others = "\n".join(c.source for i, c in enumerate(notebook.cells) if i not in tests)
    test_code = "\n".join(notebook.cells[i].source for i in tests)
    names = []
    for i in sorted(tests):
        for output in notebook.cells[i].get("outputs", []):
            found = _NOT_DEFINED.search(output.get("evalue", "")) \
                if output.get("output_type") == "error" and output.get("ename") == "NameError" \
                else None
            name = found.group(1) if found else None
            if (name and name not in names and re.search(rf"\b{name}\b", test_code)
                    and not re.search(rf"\b{name}\b", others)):
                names.append(name)
    return names


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
