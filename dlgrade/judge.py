"""The trusted judge: test cells run in the grading process, not in the student's kernel.

nbgrader runs every cell of a submission, test cells included, in the student's kernel, so a
solution cell can replace what the tests call (``assert_close``, ``check_sigmoid``), rewrite
later cells (IPython's input transformers) or print the hidden tests' source (``In``). With
:class:`JudgedExecute` in place of nbgrader's ``Execute``:

* the student's (sandboxed) kernel runs the student's cells and the notebook's locked setup
  cells, as before;
* each test cell (``grade: true``, not a solution cell) runs here, in a namespace holding the
  real test helpers: the imports of the notebook's locked setup cells, executed in this process
  from the gradebook-restored cells (:mod:`dlgrade.sanitize` rebuilds locked cells before
  execution). Names the test needs that are not bound here (``sigmoid``, ``neuron``, data the
  student computed) are fetched from the student's kernel: plain data is copied, functions and
  other objects become :class:`Remote` references whose calls, attribute reads and items are
  served by :mod:`dlgrade.judge_agent` in the kernel over the kernel's own Jupyter channels
  (:class:`Channel`), with values in :mod:`dlgrade.judge_wire`'s format (no pickle);
* the test's output and exception become the cell's outputs, so nbgrader's ``SaveAutoGrades``
  scores it as before, and hidden tests never reach the kernel.

``assert_own_implementation`` on a :class:`Remote` analyses the submitted source (solution
cells and the ``.py`` files handed in beside the notebook) with :mod:`dlgrade.judge_source`.

Switch: ``DLCOURSE_JUDGE=0`` (or ``c.JudgedExecute.judge = False``) runs test cells in the
kernel as stock nbgrader does. A student's self-check in Jupyter is unchanged: it never uses
this module.
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import functools
import io
import os
import time
import traceback
import types
import warnings
from pathlib import Path
from queue import Empty

import numpy as np
from jupyter_client.utils import ensure_async
from jupyter_core.utils import run_sync
from nbclient.exceptions import CellExecutionComplete, DeadKernelError
from nbformat.notebooknode import NotebookNode
from nbgrader.converters.autograde import Autograde
from nbgrader.preprocessors import Execute
from traitlets import Bool, Float, Integer, default

from . import judge_source
from .grader_memory import ensure_capped
from .judge_channel import (
    Channel,
    JudgeError,
    PackageCodeError,
    Remote,
    SilencedWarning,
)
from .judge_code import CodePolicy
from .judge_procs import HoldError, ProcessHold, kernel_of
from .kernel_channels import EXIT_GRACE, GradingStopped
from .package_copy import beside_code, describe, review
from .sandbox import kernel_package
from .shape_errors import YOUR_CODE

__all__ = ["Channel", "JudgeError", "JudgedExecute", "Remote", "install", "is_test_cell"]


def is_test_cell(cell) -> bool:
    """nbgrader's autograded test cell: code, ``grade`` and not ``solution``."""
    meta = cell.get("metadata", {}).get("nbgrader", {}) or {}
    return cell.get("cell_type") == "code" and bool(meta.get("grade")) \
        and not meta.get("solution")


def _is_setup_cell(cell) -> bool:
    meta = cell.get("metadata", {}).get("nbgrader", {}) or {}
    return cell.get("cell_type") == "code" and bool(meta.get("locked")) \
        and not meta.get("grade") and not meta.get("solution")


# --------------------------------------------------------------------------- remote objects


def _names(tree: ast.AST) -> tuple[set, set]:
    """(names loaded, names bound anywhere) in a cell's syntax tree."""
    loaded, bound = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (loaded if isinstance(node.ctx, ast.Load) else bound).add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, ast.alias):
            bound.add((node.asname or node.name).split(".")[0])
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
    return loaded, bound


@functools.lru_cache(maxsize=512)
def _cell_names(source: str, filename: str) -> tuple[frozenset, frozenset]:
    """:func:`_names` of a test cell's source, parsed once per grading process: the same test
    cells (restored from the release) come back for every student (~2 ms each)."""
    loaded, bound = _names(ast.parse(source, filename))
    return frozenset(loaded), frozenset(bound)


@functools.lru_cache(maxsize=512)
def _cell_code(source: str, filename: str) -> tuple[types.CodeType, types.CodeType | None]:
    """A test cell's code, compiled once per grading process: the cell without its last line
    when that is an expression, and that expression (evaluated for the cell's result), or
    None. Code objects are immutable, so every student's run may share them."""
    tree = ast.parse(source, filename)
    last = None
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        last = compile(ast.Expression(tree.body.pop().value), filename, "eval")
    return compile(tree, filename, "exec"), last


def _stream(name: str, text: str) -> NotebookNode:
    return NotebookNode(output_type="stream", name=name, text=text)


def _error(error: BaseException, visible_tb: bool) -> NotebookNode:
    ename = type(error).__name__
    evalue = str(error)
    lines = []
    if visible_tb:
        frames = [f for f in traceback.extract_tb(error.__traceback__)
                  if f.filename.startswith("<test ")]
        if frames:
            lines.append("Traceback (most recent call last):")
            lines.extend(line.rstrip("\n") for line in traceback.format_list(frames))
    if getattr(error, "student_line", ""):
        lines.append(YOUR_CODE + error.student_line)
    lines.append(f"\x1b[0;31m{ename}\x1b[0m: {evalue}")
    return NotebookNode(output_type="error", ename=ename, evalue=evalue, traceback=lines)


class _Capture(io.StringIO):
    """Output of a judged test: capped, so a flood fails the test instead of the batch."""

    def __init__(self, limit: int):
        super().__init__()
        self.limit = limit
        self.dropped = 0

    def write(self, text):
        room = self.limit - self.tell()
        if room < len(text):
            self.dropped += len(text) - max(room, 0)
            text = text[:max(room, 0)]
        return super().write(text)


class JudgedExecute(Execute):
    """nbgrader's ``Execute`` with test cells run by the trusted judge (see the module doc)."""

    judge = Bool(help="Run test cells in the grading process (the trusted judge) instead of "
                      "the student's kernel; DLCOURSE_JUDGE=0 switches it off.").tag(config=True)
    judge_output_limit = Integer(1_000_000, help="Characters of output a judged test cell may "
                                                 "print.").tag(config=True)

    log_package_copies = Bool(True, help="Compute the advisory package-copy flag "
                                         "(dlgrade.package_copy) of each notebook and log it: "
                                         "plain `nbgrader autograde` has no other place for "
                                         "it. `dlcourse grade` turns it off: its grading "
                                         "process puts the flag into the status record "
                                         "itself.").tag(config=True)

    cap_memory = Bool(False, help="Cap this process's memory (dlgrade.grader_memory) before the "
                                   "first notebook; the project's nbgrader_config.py sets it "
                                   "for plain `nbgrader autograde`.").tag(config=True)

    @default("judge")
    def _judge_default(self):
        return os.environ.get("DLCOURSE_JUDGE", "1") != "0"

    # -- per notebook ---------------------------------------------------------------------
    def preprocess(self, nb, resources=None, km=None):
        self._channel = None
        self._namespace = None
        self._student_names = set()
        self._source_index = None
        self._code_policy = None
        # numpy's global random state travels with the judge's calls (a student's function
        # may draw from it or reseed it, as in one process): each notebook starts from the
        # state the grading process had and leaves it so, so nothing flows between students
        random_state = np.random.get_state()  # noqa: NPY002
        if self.cap_memory:  # plain nbgrader autograde: this process gets its memory cap too
            ensure_capped()
        if self.judge:
            self._prepare(nb, resources or {})
            if self.log_package_copies:
                self._warn_package_copies(nb, resources or {})
        try:
            return super().preprocess(nb, resources, km)
        finally:
            np.random.set_state(random_state)  # noqa: NPY002
            if self._channel is not None:
                self._channel.close()
                self._channel = None

    def _warn_package_copies(self, nb, resources) -> None:
        """The advisory flag of :mod:`dlgrade.package_copy` in nbgrader's log (plain
        ``nbgrader autograde`` has no status to carry it; ``dlcourse grade`` puts it in the
        student's status): answers that look like the package's functions pasted in. It costs
        no point; a failure to read it never stops the grading."""
        try:
            asked = [c.metadata["nbgrader"]["grade_id"] for c in nb.cells
                     if c.cell_type == "code" and c.get("metadata", {}).get("nbgrader", {})
                     .get("solution") and c.metadata["nbgrader"].get("grade_id")]
            path = (resources.get("metadata") or {}).get("path") or "."
            texts = [c.source for c in nb.cells if c.cell_type == "code"]
            files = beside_code(Path(path))
            found = review(texts + files.texts, asked)
            parts = [found if isinstance(found, str) else describe(found), *files.notes]
            said = "; ".join(part for part in parts if part)
        except Exception as error:  # noqa: BLE001 - advisory: grading goes on
            self.log.warning("the package-copy flag could not be computed: %s", error)
            return
        if said:
            who = (resources.get("nbgrader") or {}).get("student") or path
            self.log.warning("%s: flagged for review (points kept): %s", who, said)

    def _prepare(self, nb, resources) -> None:
        self._namespace = {"__name__": "__judge__", "__builtins__": builtins}
        path = (resources.get("metadata") or {}).get("path") or "."
        student_cells = [c.source for c in nb.cells
                         if c.cell_type == "code" and not is_test_cell(c)]
        files = judge_source.extra_files(Path(path))
        self._code_policy = CodePolicy(student_cells + list(files.values()))
        self._source_index = judge_source.SourceIndex(student_cells, files,
                                                      copy_of=self._code_policy.copy_of)
        judge_source.register(Remote)
        for cell in nb.cells:
            if _is_setup_cell(cell):
                try:
                    tree = ast.parse(cell.source)
                except SyntaxError:
                    continue
                imports = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
                if imports:
                    module = ast.Module(body=imports, type_ignores=[])
                    exec(compile(module, "<setup imports>", "exec"), self._namespace)  # noqa: S102

    def preprocess_cell(self, cell, resources, index):
        self._timed_out = False
        if self.judge and self._channel is None:
            # before the notebook's first cell: the kernel's own threads, seen before any of
            # the student's code could start one (dlgrade.judge_watch._Watch); if this fails,
            # the agent takes them at its first call (the judged calls report their own error)
            try:
                self._open_channel().start()
            except JudgeError as error:
                self.log.warning("the judge could not take the kernel's own threads before "
                                 "the first cell: %s", error)
        if not (self.judge and is_test_cell(cell) and cell.source.strip()):
            try:
                result = super().preprocess_cell(cell, resources, index)
            except Exception as error:
                if "Timeout waiting for IOPub output" in str(error):
                    # the cell's last output may be stuck behind a message being refused
                    self._await_dropped_link()
                    self._check_channels()
                    flood = self._judged_flood()
                    if flood is not None:
                        raise GradingStopped(flood) from error
                self._check_channels()
                raise
        else:
            self._check_assign_resources(resources)
            self._judge_cell(cell)
            result = cell, self.resources
        self._check_channels()
        timed_out = self._timed_out or (self._channel is not None and self._channel.timed_out)
        if timed_out and cell.cell_type == "code":
            if self._channel is not None:
                self._channel.timed_out = False
            self._require_answer(cell, index)
        return result

    async def async_start_new_kernel(self, **kwargs):
        """Start the kernel; a judged one gets the kernel build of ``dlcourse``
        (``DLCOURSE_KERNEL_PACKAGE``, :mod:`dlgrade.sandbox.kernel_package`): the sandbox binds
        it over the package's folder, so the kernel holds none of the package's
        implementations (the tests and checks run here, with the real package). Without the
        judge the test cells run in the kernel and need the real package.
        ``DLCOURSE_KERNEL_BUILD=0`` in the grader's environment gives judged kernels the real
        package too: only for testing the judge's own record of what runs (the tests of
        review 21d's and earlier attacks), never for grading untrusted work."""
        if self.judge and os.environ.get("DLCOURSE_KERNEL_BUILD", "1") != "0":
            env = dict(kwargs.get("env") or os.environ)
            env["DLCOURSE_KERNEL_PACKAGE"] = kernel_package.ensure()
            kwargs["env"] = env
        return await super().async_start_new_kernel(**kwargs)

    start_new_kernel = run_sync(async_start_new_kernel)  # nbclient's sync name calls its own

    # -- a kernel out of bounds, or one that stopped answering, ends the notebook ---------
    probe_timeout = Float(None, allow_none=True,
                          help="Seconds a kernel has, after a cell timed out, to answer an "
                               "empty request; if it does not, the notebook stops there "
                               "(default: the cell timeout).").tag(config=True)

    async def _async_poll_output_msg(self, parent_msg_id, cell, cell_index):
        """nbclient's wait for a cell's output, which also counts the output that came
        meanwhile for other requests: for the judge's (by test cell), or for no request known
        here. Output of a judged call (e.g. a thread it started that prints) that kept coming
        after its test cell is then named as such, not as the next cell's (review 21k #5)."""
        self._output_seen = {"own": 0}
        while True:
            msg = await ensure_async(self.kc.iopub_channel.get_msg(timeout=None))
            parent = (msg.get("parent_header") or {}).get("msg_id")
            if parent == parent_msg_id:
                self._output_seen["own"] += msg.get("msg_type") != "status"
                try:
                    self.process_message(msg, cell, cell_index)
                except CellExecutionComplete:
                    return
            elif msg.get("msg_type") != "status":
                sent = self._channel.sent if self._channel is not None else {}
                where = ("judged", sent[parent]) if parent in sent else "other"
                self._output_seen[where] = self._output_seen.get(where, 0) + 1

    def _judged_flood(self) -> str | None:
        """Why a cell timed out waiting for its output when most of what came meanwhile was
        the output of the judged calls of a test cell before it, or None."""
        seen = getattr(self, "_output_seen", None) or {}
        judged = {key[1]: n for key, n in seen.items() if isinstance(key, tuple)}
        if not judged or sum(judged.values()) < seen.get("own", 0):
            return None
        test = max(judged, key=judged.get)
        return (f"timed out: the output of the judged calls of test cell {test!r} (e.g. a "
                "thread one of them started) kept coming after that cell, more than the "
                f"grader could take in time: the next cell's end did not arrive within "
                f"{self.iopub_timeout:g} s; grading stopped")

    async def _async_handle_timeout(self, timeout, cell=None):
        self._timed_out = True
        return await super()._async_handle_timeout(timeout, cell)

    def _kernel_alive(self) -> bool:
        """Whether the kernel process lives (a moment given to one that is exiting)."""
        for _ in range(int(EXIT_GRACE / 0.1)):
            if not run_sync(self.km.is_alive)():
                return False
            time.sleep(0.1)
        return True

    def _await_dropped_link(self, seconds: float = 10.0) -> None:
        """Give a message that ZeroMQ is still receiving (or refusing) ``seconds`` to end."""
        channel = getattr(self.kc, "_iopub_channel", None)
        if channel is None or not hasattr(channel, "link_dropped"):
            return
        end = time.monotonic() + seconds
        while time.monotonic() < end and not channel.link_dropped():
            time.sleep(0.1)

    def _check_channels(self) -> None:
        """Raise :class:`dlgrade.kernel_channels.GradingStopped` if the kernel sent a message
        out of bounds or broke a connection to this process, on nbclient's channels or the
        judge's, at any time during the cell (the mark stays, whatever the test caught)."""
        clients = [c for c in (self.kc, self._channel.client if self._channel else None)
                   if c is not None and hasattr(c, "check_links")]
        # a mark already set is the first thing that went wrong (e.g. the judge's request that
        # could not be sent): it is the reason, before the links it may have broken since
        for client in sorted(clients, key=lambda c: c.broken is None):
            client.check_links(self._kernel_alive)
        if self._channel is not None:
            self._channel.drain()
            if self._channel.broken is not None:
                self._stop_broken()

    def _stop_broken(self) -> None:
        """After a malformed reply, or an agent that broke its protocol, the notebook stops:
        the agent was replaced or broken, so no later answer could be trusted, and every later
        test would wait on it again (review 21c, hole M); the tests left earn nothing."""
        raise GradingStopped(f"the judge's agent in the kernel was replaced or broken: "
                             f"{self._channel.broken}; the tests after it were not run")

    def _require_answer(self, cell, index: int) -> None:
        """After a cell timed out (the kernel was interrupted): the kernel must answer an empty
        request within :attr:`probe_timeout`, or the notebook stops here instead of waiting a
        whole timeout for each cell left."""
        wait = self.probe_timeout if self.probe_timeout is not None else (self.timeout or 60)

        async def answered() -> bool:
            msg_id = await ensure_async(self.kc.execute("", silent=True, store_history=False,
                                                        allow_stdin=False))
            end = time.monotonic() + wait
            while (left := end - time.monotonic()) > 0:
                try:
                    msg = await self.kc.shell_channel.get_msg(timeout=left)
                except Empty:
                    return False
                if msg.get("parent_header", {}).get("msg_id") == msg_id:
                    return True
            return False

        if run_sync(answered)():
            return
        if not run_sync(self.km.is_alive)():
            raise DeadKernelError("Kernel died")
        name = cell.metadata.get("nbgrader", {}).get("grade_id") or f"#{index}"
        left = sum(1 for c in self.nb.cells[index + 1:]
                   if c.cell_type == "code" and c.source.strip())
        raise GradingStopped(
            f"the kernel stopped answering: cell {name} timed out and the kernel did not "
            f"answer the grader within {wait:g} s more (its channels flooded or broken, or "
            f"code that ignores the interrupt); the {left} code cell(s) after it were not run")

    def _open_channel(self) -> Channel:
        if self._channel is None:
            info = self.km.get_connection_info(session=False)  # with the signing key

            def interrupt():
                run_sync(self.km.interrupt_kernel)()

            def alive():
                return bool(run_sync(self.km.is_alive)())

            self._channel = Channel(info, timeout=self.timeout, interrupt=interrupt,
                                    every_few=self._drain_iopub, alive=alive)
            self._channel.code_policy = self._code_policy
        return self._channel

    def _process_hold(self) -> ProcessHold | None:
        """The holder of the kernel's other processes (:mod:`dlgrade.judge_procs`), or None
        when the kernel's process is not known here (a kernel not started by this process)."""
        pid = getattr(getattr(self.km, "provisioner", None), "pid", None)
        if not isinstance(pid, int) or pid <= 1:
            self.log.warning("the judge cannot hold the kernel's other processes: the "
                             "kernel's process id is unknown")
            return None
        return ProcessHold(kernel_of(pid))

    def _drain_iopub(self) -> None:
        """Drop the busy/idle messages the judge's requests left on nbclient's IOPub socket,
        so that they never fill its queue (zmq drops messages past its high-water mark).
        A message out of bounds met here stops the notebook (:meth:`_check_channels`)."""
        async def drain():
            while True:
                try:
                    msg = await self.kc.iopub_channel.get_msg(timeout=0)
                except Empty:
                    return
                if msg.get("buffers"):  # no output the grader keeps has buffers
                    continue

        try:
            run_sync(drain)()
        except GradingStopped:
            raise
        except Exception:  # noqa: BLE001 - a drain that fails leaves messages queued, no more
            pass

    def _judge_cell(self, cell) -> None:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", "test")
        hidden = "BEGIN HIDDEN TESTS" in cell.source
        cell.outputs = []
        out, err = _Capture(self.judge_output_limit), _Capture(self.judge_output_limit)
        namespace = self._namespace

        def show(message, category, filename, lineno, file=None, line=None):
            out.write(warnings.formatwarning(message, category, filename, lineno, line))

        error = None
        result = None
        unheld = None
        try:
            loaded, bound = _cell_names(cell.source, f"<test {grade_id}>")
            wanted = {n for n in loaded - bound
                      if n not in vars(builtins) and
                      (n not in namespace or n in self._student_names)}
            for name in self._student_names & wanted:
                namespace.pop(name, None)
            if self._channel is not None:
                self._channel.start_cell()
            channel = self._open_channel()
            channel.cell = grade_id
            if channel.processes is None:
                channel.processes = self._process_hold()
            if channel.processes is not None:  # released in the finally below
                channel.processes.hold()
            if wanted:
                fetched = self._open_channel().get(wanted)
                namespace.update(fetched)
                self._student_names |= set(fetched)
            code, last_code = _cell_code(cell.source, f"<test {grade_id}>")
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), \
                    warnings.catch_warnings(), judge_source.judging(self._source_index):
                warnings.simplefilter("default")
                warnings.simplefilter("ignore", SilencedWarning)
                warnings.showwarning = show
                exec(code, namespace)  # noqa: S102 - the gradebook's test code
                if last_code is not None:
                    result = eval(last_code, namespace)  # noqa: S307 - the gradebook's code
        except Exception as caught:  # noqa: BLE001 - a failing test is an output, as in a kernel
            error = caught
        finally:
            if self._channel is not None and self._channel.processes is not None:
                if self._channel.processes.refused:  # even if the test caught the error
                    unheld = self._channel.processes.unheld()
                self._channel.processes.release()  # whatever happened, they run again
        if self._channel is not None:
            # what the kernel ran outside the graded calls up to now (a hook on the reply's
            # way out): the cell earns nothing if the package's implementation ran there
            try:
                reason = self._channel.end_cell()
            except Exception as caught:  # noqa: BLE001 - as a failing test
                reason, error = None, error or caught
            if reason is not None and not isinstance(error, PackageCodeError):
                error = PackageCodeError(reason)
        if unheld is not None and not isinstance(error, PackageCodeError):
            # a process the grader could not hold: a person decides (dlgrade.worker)
            error = error if isinstance(error, HoldError) else HoldError(unheld)
            self._drain_iopub()
        if out.getvalue():
            cell.outputs.append(_stream("stdout", out.getvalue()))
        if err.getvalue():
            cell.outputs.append(_stream("stderr", err.getvalue()))
        if out.dropped or err.dropped:
            error = error or JudgeError(f"the test printed more than {self.judge_output_limit} "
                                        "characters; the rest was dropped")
        if error is not None:
            cell.outputs.append(_error(error, visible_tb=not hidden))
        elif result is not None:
            cell.outputs.append(NotebookNode(output_type="execute_result", metadata={},
                                             execution_count=None,
                                             data={"text/plain": repr(result)[:10000]}))


# --------------------------------------------------------------------------- configuration


def install(c) -> None:
    """Make nbgrader's autograde use :class:`JudgedExecute` instead of ``Execute``.

    Idempotent, and it keeps every other entry of ``c.Autograde.autograde_preprocessors``
    (the list other installers, e.g. :func:`dlgrade.outputs.install`, extend) in place.
    """
    steps = c.Autograde.get("autograde_preprocessors")
    if not isinstance(steps, (list, tuple)):
        steps = Autograde.class_traits()["autograde_preprocessors"].default()
    steps = list(steps)
    name = f"{__name__}.JudgedExecute"
    replaced = []
    for step in steps:
        if step is Execute or step == "nbgrader.preprocessors.Execute" or \
                getattr(step, "__name__", "") == "Execute" and \
                getattr(step, "__module__", "").startswith("nbgrader."):
            replaced.append(JudgedExecute)
        elif step is JudgedExecute or step == name:
            replaced.append(JudgedExecute)
        else:
            replaced.append(step)
    if JudgedExecute not in replaced:
        replaced.insert(0, JudgedExecute)
    c.Autograde.autograde_preprocessors = replaced
    # Execute.* settings (timeout, kernel, ...) reach the subclass: traitlets reads the
    # config sections of every class in its MRO.
