"""A long-lived grading process: loads nbgrader once, then grades one student at a time.

Starting nbgrader costs 2-4 s, grading a small notebook about 1 s, so each worker imports
nbgrader once and calls its Python API (:class:`nbgrader.apps.api.NbGraderAPI`) for every
student it is handed. The engine (:mod:`dlgrade.engine`) talks to it over a pipe:
it sends ``{"student": ...}`` and receives the result of :func:`grade_student`.

Each worker runs in its own session (process group), so the engine can kill a stuck worker
together with the kernels it started, and writes nbgrader's log to a file instead of the
terminal where the progress bar is drawn.
"""

from __future__ import annotations

import ast
import ctypes
import os
import re
import shutil
import signal
import sys
import time
import traceback
from pathlib import Path

from . import grader_memory
from .course import Course, ensure_tools_on_path
from .deadline import SubmissionDeadline
from .package_copy import beside_code, describe, package_functions, review, text_digest
from .sandbox import KERNEL_NAME, forkserver
from .scan import context_from_notebooks, scan_extra_files, scan_submission
from .speedups import share_metadata_validators

# nbgrader, nbformat and the modules built on them (judge, feedback, sanitize, ...) take
# seconds to import: the functions that grade import them, so the engine and the cluster
# read this module's names (STATION_SLACK, clear_student, ...) without that cost.

#: Failure reasons recognised in nbgrader's log, most specific first.
FAILURE_PATTERNS = [
    # nbgrader's OverwriteCells restores a deleted test cell after the cell before it in the
    # source; when that one is gone too (cells pasted into a new notebook) it stops with a
    # KeyError: the student's file, not the grader, is at fault
    (r"add_missing_grade_cells",
     "the notebook lacks cells of the released notebook that the grader needs to put the "
     "tests back (its cells were pasted into a new notebook, or an editor dropped their "
     "metadata); download the released notebook again, paste the answers into it and hand "
     "it in again"),
    (r"DeadKernelError|Kernel died|kernel died|KernelDied",
     "the kernel died (crash, os._exit, or a memory/CPU/process limit was hit)"),
    (r"UnresponsiveKernelError|could not interrupt",
     "timed out: the code ignored the interrupt"),
    (r"CellTimeoutError|TimeoutError|Timeout waiting|timed out",
     "timed out"),
    (r"NotJSONError|JSONDecodeError|not valid JSON",
     "the notebook is not valid JSON"),
    (r"MemoryError", "the grading process ran out of memory (its cap: DLCOURSE_GRADER_MEMORY); "
                     "a notebook that sends huge messages or outputs?"),
    (r"Inconsistent checksums", "test cells were tampered with beyond repair"),
]


#: The grader's own reason for stopping a notebook (dlgrade.kernel_channels.GradingStopped):
#: a kernel out of bounds or one that stopped answering. Its text is the status reason.
_STOPPED = re.compile(r"GradingStopped: (?P<why>[^\n]+)")


def _first_line(preview: str) -> str:
    """The first line of nbclient's preview of a cell: for a cell of 11 lines or more it is
    the Python list of the first five lines (``['def neuron(X, w, b):', ...]``, review 21k
    #5), else the cell's text."""
    preview = preview.strip()
    if preview.startswith("[") and preview.endswith("]"):
        try:
            lines = ast.literal_eval(preview)
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            lines = None
        if isinstance(lines, list) and lines and all(isinstance(x, str) for x in lines):
            return next((x.strip() for x in lines if x.strip()), "")
    return preview


def _timeout_reason(text: str) -> str:
    """The reason of nbclient's ``CellTimeoutError``. Its "after N seconds" is the limit of
    what timed out, never the time the cell ran: with "Timeout waiting for IOPub output" the
    cell had finished and N is nbclient's ``iopub_timeout`` (4 s), the time its output is given
    to arrive afterwards; a cell that flooded its output ran far longer (review 21i: "timed
    out after 4 s" for a cell of 138 s)."""
    secs = re.search(r"after (\d+(?:\.\d+)?) seconds", text)
    preview = re.search(r"preview of the cell contents:\s*\n\s*-+\s*\n\s*(.+)", text)
    where = f", in the cell starting {_first_line(preview.group(1))[:80]!r}" if preview else ""
    if "Timeout waiting for IOPub output" in text:
        within = f" within {secs.group(1)} s" if secs else ""
        return ("timed out: the cell finished, but its output did not stop coming" + within +
                " after it (more output than the grader could take in time)" + where)
    return ("timed out" + (f" at its limit of {secs.group(1)} s" if secs else "") +
            " and ignored the interrupt" + where)


def classify_failure(text: str) -> str:
    """Short reason for a failed autograde run, from its log and traceback."""
    text = text or ""
    stopped = _STOPPED.search(text)
    if stopped:
        return stopped["why"].strip()[:500]
    for pattern, reason in FAILURE_PATTERNS:
        if re.search(pattern, text):
            if reason == "timed out":
                reason = _timeout_reason(text)
            return reason
    lines = [ln.strip() for ln in (text or "").strip().splitlines() if ln.strip()]
    if not lines:
        return "nbgrader failed without a message"
    return plain_reason(lines[-1])


#: An exception's line as Python prints it (``module.Name: text``, ``NameError: ...``).
_EXCEPTION_LINE = re.compile(r"^(?:[A-Za-z_][\w]*\.)*[A-Za-z_]\w*(Error|Exception|Exit|Interrupt)\b"
                             r":?\s*(?P<text>.*)$")


def plain_reason(line: str) -> str:
    """A reason without Python's traceback wording: an exception's line becomes "the grader
    stopped with an internal error" plus the message when it says something.

    >>> plain_reason("nbgrader.converters.base.NbGraderException: Please see the above traceback")
    'the grader stopped with an internal error (details in the grading log)'
    >>> plain_reason("KeyError: 'cells'")
    "the grader stopped with an internal error: 'cells' (details in the grading log)"
    """
    m = _EXCEPTION_LINE.match(line.strip())
    if not m:
        return line[:200]
    text = m["text"].strip()
    if not text or "traceback" in text.lower():
        return "the grader stopped with an internal error (details in the grading log)"
    return f"the grader stopped with an internal error: {text[:150]} (details in the grading log)"


def graded_ids(cells) -> set:
    """The grade ids of the answer and test cells among ``cells`` (nbgrader's metadata)."""
    out = set()
    for cell in cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade_id") and (meta.get("grade") or meta.get("solution")):
            out.add(meta["grade_id"])
    return out


def not_from_release(file: str, n_cells: int, assignment: str) -> str:
    """The reason for a notebook that holds none of ``assignment``'s answer and test cells:
    a blank notebook, or one whose cells were pasted into a new notebook (which drops the
    cells' nbgrader metadata). Said so the student can act on it (the Moodle export's
    feedback shows it).

    >>> not_from_release("tiny.ipynb", 0, "tiny")[:46]
    'tiny.ipynb has no cells at all (a blank notebo'
    >>> not_from_release("tiny.ipynb", 7, "tiny")[:56]
    "tiny.ipynb has none of tiny's answer and test cells: it "
    """
    what = ("has no cells at all (a blank notebook saved under the right name)" if not n_cells
            else f"has none of {assignment}'s answer and test cells: it was not made from the "
                 "released notebook (its cells were pasted into a new notebook, or an editor "
                 "dropped their metadata)")
    return (f"{file} {what}; download the released notebook again, paste the answers into "
            "it and hand it in again")


def assignment_of(nb, source_dir, assignment: str) -> str | None:
    """``None`` when notebook ``nb`` is one of ``assignment``'s; else the assignment (with a
    source under ``source_dir``) it shares the most answer and test cells with, or ``""``
    when none is at hand.

    Only answer and test cells count (every notebook of a course may have a ``setup`` cell);
    a notebook is another assignment's when fewer than half of its own are ``assignment``'s.
    """
    import nbformat

    ids = graded_ids(nb.cells)
    if not ids:
        return None  # no nbgrader cells at all: autograde restores what it can
    shared = {}
    for source in sorted(Path(source_dir).glob("*/*.ipynb")):
        try:
            cells = nbformat.read(source, as_version=4).cells
        except Exception:  # noqa: BLE001 - an unreadable source says nothing here
            continue
        name = source.parent.name
        shared[name] = max(shared.get(name, 0), len(ids & graded_ids(cells)))
    own = shared.pop(assignment, 0)
    if 2 * own >= len(ids):
        return None
    best = max(shared, key=lambda a: (shared[a], a), default=None)
    return best if best is not None and shared[best] > own else ""


def wrong_notebook(file: str, other: str, assignment: str) -> str:
    """The reason for a notebook of another assignment (``other``: its name, or ``""``).

    >>> wrong_notebook("tiny.ipynb", "", "other")[:44]
    'tiny.ipynb is not a notebook of other: most '
    >>> wrong_notebook("a.ipynb", "01_curve_fitting", "tiny")[:47]
    'a.ipynb is the 01_curve_fitting notebook, not t'
    """
    what = f"the {other} notebook, not {assignment}" if other else \
        f"not a notebook of {assignment}"
    return (f"{file} is {what}: most of its answer and test cells are not "
            f"{assignment}'s (the wrong file was handed in?)")


def configure(course: Course):
    """The nbgrader config for grading: the course's own plus our safety steps."""
    from . import judge
    from .commits import install as save_scores_at_once
    from .feedback import FEEDBACK_PREPROCESSORS
    from .html_safety import install as clean_pages
    from .kernel_channels import install as bound_kernel_channels
    from .outputs import install as cap_outputs
    from .safe_files import install as refuse_unsafe_files
    from .sanitize import SANITIZE_PREPROCESSORS

    config = course.load_config()
    config.Autograde.sanitize_preprocessors = SANITIZE_PREPROCESSORS
    cap_outputs(config)  # also when the course's config does not use the sandbox
    config.GenerateFeedback.preprocessors = FEEDBACK_PREPROCESSORS
    refuse_unsafe_files(config)  # nbgrader's own copies see regular, allowed files only
    judge.install(config)  # tests run in this process, not in the student's kernel
    # the package-copy flag goes into the status record (Grader._review): nbgrader's log
    # line of it, for plain `nbgrader autograde`, would only compute it a second time
    config.JudgedExecute.log_package_copies = False
    bound_kernel_channels(config)  # what a kernel sends this process is bounded
    save_scores_at_once(config)  # one gradebook commit per notebook, not one per cell
    clean_pages(config)  # feedback: student content cleaned, pages under a CSP
    config.OverwriteCells.add_missing_cells = True
    # nbconvert validates the notebook after each of a conversion's ~10 preprocessors; once,
    # after the last, refuses the same invalid notebooks (the submission is validated when
    # read, dlgrade.worker.Grader._read_and_scan) at a tenth of the cost (~10 ms a student)
    config.Exporter.optimistic_validation = True
    config.HideHiddenTestOutputs.begin_test_delimeter = config.ClearHiddenTests.get(
        "begin_test_delimeter", "BEGIN HIDDEN TESTS")
    config.HideHiddenTestOutputs.end_test_delimeter = config.ClearHiddenTests.get(
        "end_test_delimeter", "END HIDDEN TESTS")
    return config


def release_sources(folder: Path) -> list[str]:
    """The code of every cell of the released notebooks in ``folder`` (none when it is missing
    or a notebook cannot be read: the feedback pages are then highlighted cell by cell)."""
    import nbformat

    sources = set()
    for path in sorted(folder.glob("*.ipynb")):
        try:
            nb = nbformat.read(path, as_version=4)
        except Exception:  # noqa: BLE001 - an unreadable release fails elsewhere, plainly
            continue
        sources |= {c.source for c in nb.cells if c.get("cell_type") == "code"}
    return sorted(sources)


def clear_student(course: Course, assignment: str, student: str, coursedir=None) -> None:
    """Remove every trace of an earlier grading of ``student``: gradebook scores, autograded
    notebook, feedback. Called before each grading and after each failure, so a failed
    re-run never leaves old scores looking valid."""
    from nbgrader.api import MissingEntry

    from .commits import one_commit

    with course.gradebook(coursedir) as gb, one_commit(gb):
        extension = None
        try:
            extension = gb.find_submission(assignment, student).extension
            gb.remove_submission(assignment, student)
        except MissingEntry:
            pass
        if extension is not None:  # an extension (dlcourse extend) outlives a regrade
            gb.update_or_create_submission(assignment, student, extension=extension)
    for base in (course.autograded_dir, course.feedback_dir):
        shutil.rmtree(base / student / assignment, ignore_errors=True)
    out = course.output_dir(assignment) / "feedback"
    if out.is_dir():
        for path in out.glob(f"{student}.*html"):
            path.unlink()


def share_gradebook_engines() -> None:
    """Let every nbgrader ``Gradebook`` of this process reuse one SQLAlchemy engine per URL.

    nbgrader opens a new ``Gradebook`` (and so a new engine) about a dozen times per student,
    and each new engine starts with an empty cache of compiled SQL: a worker spent ~0.06 s
    per student compiling the same queries again. ``Gradebook.close`` still disposes of the
    engine's connections; only the engine object, with its statement cache, is kept. Opens
    after the first also skip the table set-up (:func:`_set_up_tables_once`).
    """
    import nbgrader.api as nbgrader_api

    if getattr(nbgrader_api.create_engine, "dlcourse_shared", False):
        return
    create = nbgrader_api.create_engine
    engines = {}

    def shared_create_engine(url, **kwargs):
        key = (str(url), repr(sorted(kwargs.items())))
        if key not in engines:
            engines[key] = create(url, **kwargs)
        return engines[key]

    shared_create_engine.dlcourse_shared = True
    nbgrader_api.create_engine = shared_create_engine
    _set_up_tables_once(nbgrader_api)


#: The nbgrader version whose ``Gradebook.__init__`` :func:`_set_up_tables_once` follows
#: (requirements.txt pins it); with another one, every open sets the tables up as before.
_GRADEBOOK_INIT_OF = "0.9.6"


def _set_up_tables_once(nbgrader_api) -> None:
    """Let a ``Gradebook`` opened on a database this process has already opened skip the
    table set-up of nbgrader's ``__init__`` (``inspect`` the tables, ``create_all``, the
    alembic version row) and, for a course already checked, ``check_course`` (which adds the
    course's row when it is missing): about 40-60 ms per student in a grading process, for
    thirteen opens that find every table and the course in place. The rest of ``__init__``
    (the shared engine, a new session) runs as in nbgrader, so what is read and written is
    the same. A SQLite file that is gone or empty gets the whole set-up again."""
    import nbgrader

    Gradebook = nbgrader_api.Gradebook
    if getattr(Gradebook.__init__, "dlcourse_once", False) or \
            nbgrader.__version__ != _GRADEBOOK_INIT_OF:
        return
    full_init = Gradebook.__init__
    ready: set[str] = set()
    checked: set[tuple[str, str]] = set()

    def init(self, db_url, course_id="default_course", authenticator=None):
        if str(db_url) not in ready or not _tables_may_exist(str(db_url)):
            full_init(self, db_url, course_id, authenticator)
            ready.add(str(db_url))
            checked.add((str(db_url), course_id))
            return
        self.engine = nbgrader_api.create_engine(db_url, echo=False, future=True)
        self.db = nbgrader_api.scoped_session(nbgrader_api.sessionmaker(
            autoflush=True, bind=self.engine, future=True))
        if (str(db_url), course_id) not in checked:  # the course's row, added once if missing
            self.check_course(course_id=course_id)
            checked.add((str(db_url), course_id))
        self.course_id = course_id
        self.authenticator = authenticator

    init.dlcourse_once = True
    init.__doc__ = full_init.__doc__
    Gradebook.__init__ = init


def _tables_may_exist(db_url: str) -> bool:
    """False for a SQLite URL whose file is missing or empty (its tables must be made)."""
    from sqlalchemy.engine import make_url

    url = make_url(db_url)
    if not url.get_backend_name().startswith("sqlite"):
        return True
    if not url.database or url.database == ":memory:":
        return False
    try:
        return os.stat(url.database).st_size > 0
    except OSError:
        return False


#: Why a flagged submission gets no feedback page from the batch (after a look, the instructor
#: runs ``nbgrader generate_feedback ASSIGNMENT --student NAME``).
FEEDBACK_HELD = ("feedback held for review: code that reaches the tests could also copy them "
                 "into its outputs")


class SubmissionFailed(Exception):
    """A submission that cannot be graded: ``reason`` for grades.csv, ``detail`` for the log."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(reason)
        self.reason, self.detail = reason, detail


class Grader:
    """nbgrader loaded once for one course and assignment."""

    def __init__(self, course: Course, assignment: str):
        ensure_tools_on_path()
        from nbgrader.apps.api import NbGraderAPI

        share_gradebook_engines()
        share_metadata_validators()

        self.course = course
        self.assignment = assignment
        self.config = configure(course)
        # feedback pages: the released code, the same in every page, is highlighted once
        self.config.CachedHTMLExporter.release_sources = release_sources(
            course.release_dir / assignment)
        self.coursedir = course.coursedir(self.config)
        self.api = NbGraderAPI(coursedir=self.coursedir, config=self.config)
        self._assignment_info = None

    # -- what the source notebooks say ---------------------------------------------------
    def assignment_info(self) -> dict:
        """Per notebook: scan context, locked ids, test cells and hidden lines (cached)."""
        if self._assignment_info is not None:
            return self._assignment_info
        import nbformat

        from .feedback import hidden_lines, public_texts, secret_lines

        begin = self.config.HideHiddenTestOutputs.begin_test_delimeter
        end = self.config.HideHiddenTestOutputs.end_test_delimeter
        info = {}
        public = public_texts(self.course.release_dir.glob(f"{self.assignment}/*.ipynb"))
        with self.course.gradebook(self.coursedir) as gb:
            assignment = gb.find_assignment(self.assignment)
            for notebook in assignment.notebooks:
                name = notebook.name
                release = self.course.release_dir / self.assignment / f"{name}.ipynb"
                source = self.course.source_dir / self.assignment / f"{name}.ipynb"
                release_nb = nbformat.read(release, as_version=4) if release.exists() else None
                source_nb = nbformat.read(source, as_version=4) if source.exists() else None
                ctx = context_from_notebooks(release_nb or source_nb, source_nb)
                cells = [(c.name, c.source, c.locked, c.cell_type) for c in notebook.source_cells]
                order = [c[0] for c in cells]
                grade_ids = [g.name for g in notebook.grade_cells]
                solutions = {c.name for c in notebook.solution_cells}
                tests = [g for g in sorted(grade_ids, key=lambda n: order.index(n)
                                           if n in order else 10**6) if g not in solutions]
                info[name] = {
                    "ctx": ctx,
                    "locked": {c[0] for c in cells if c[2]},
                    "tests": tests,
                    "test_sources": {c[0]: c[1] for c in cells if c[0] in tests},
                    "hidden": secret_lines(sorted({ln for c in cells if c[0] in tests
                                                   for ln in hidden_lines(c[1], begin, end)}),
                                           public),
                    "max_score": float(notebook.max_score),
                    # answer and test cells: a submission must hold some to be graded
                    "graded": {g for g in grade_ids} | solutions,
                    # the answers asked for, in the notebook's order (dlgrade.package_copy)
                    "answers": [c[0] for c in cells if c[0] in solutions],
                }
        self._assignment_info = info
        return info

    def clear(self, student: str) -> None:
        clear_student(self.course, self.assignment, student, self.coursedir)

    # -- one student -----------------------------------------------------------------------
    def grade(self, student: str) -> dict:
        """Grade one student; never raises (errors become a ``failed`` result)."""
        start = time.monotonic()
        try:
            result = self._grade(student)
        except Exception as exc:  # noqa: BLE001 - a broken submission must not end the batch
            try:
                self.clear(student)
            except Exception:  # noqa: BLE001
                pass
            reason = classify_failure("MemoryError") if isinstance(exc, MemoryError) \
                else plain_reason(f"{type(exc).__name__}: {exc}")
            result = {"status": "failed", "reason": reason,
                      "detail": traceback.format_exc()[-2000:]}
        result.setdefault("student", student)
        result["runtime"] = round(time.monotonic() - start, 3)
        return result

    def _grade(self, student: str) -> dict:
        """The steps of grading one student; a step that finds the submission unusable raises
        :class:`SubmissionFailed` and the student's partial results are cleared."""
        self.clear(student)
        notes: list[str] = []
        sources: dict[str, list[str]] = {}
        try:
            findings = self._read_and_scan(student, notes, sources)
            self._autograde(student, notes)
        except SubmissionFailed as failure:
            self.clear(student)
            return {"status": "failed", "reason": failure.reason, "detail": failure.detail}
        scores = self._score(student, findings)
        status, reason = self._status(student, scores)
        if any(f.kind != "reference" for items in findings.values() for f in items):
            # code that reaches the tests' kernel can also print their code, encoded, into its
            # own outputs: no page leaves before an instructor has looked
            reason += "; " + FEEDBACK_HELD
            feedback = []
        else:
            feedback = self._publish_feedback(student, notes)
        return {
            "status": status,
            "reason": reason,
            **self._review(student, sources),
            "score": scores["score"],
            "max_score": scores["max_score"],
            "cells": scores["cells"],
            "flagged_cells": scores["flagged"],
            "manual_cells": scores["manual"],
            "notes": notes,
            "feedback": feedback,
        }

    def _read_and_scan(self, student: str, notes: list[str], sources: dict) -> dict:
        """Read each submitted notebook and scan it for code that defeats the tests:
        ``{notebook: [Finding, ...]}``; ``sources`` gets each notebook's code cells. An
        unreadable notebook fails the submission."""
        import nbformat

        folder = self.course.submitted_dir / student / self.assignment
        findings = {}
        for name, nbinfo in self.assignment_info().items():
            path = folder / f"{name}.ipynb"
            if not path.exists():
                notes.append(f"{name}.ipynb was not submitted (scored 0)")
                continue
            if path.stat().st_size == 0 or not path.read_bytes().strip():
                raise SubmissionFailed(f"{name}.ipynb is empty (0 bytes): the upload failed or "
                                       "an empty file was handed in")
            try:
                nb = nbformat.read(path, as_version=4)
                nbformat.validate(nb)
            except Exception as exc:  # noqa: BLE001 - any unreadable file is the student's
                if "JSON" in type(exc).__name__ or "JSON" in str(exc)[:200]:
                    raise SubmissionFailed(
                        f"{name}.ipynb is not valid JSON (corrupted or truncated file)") from None
                first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:150]
                raise SubmissionFailed(f"{name}.ipynb is not a valid notebook: {first}") from None
            other = assignment_of(nb, self.course.source_dir, self.assignment)
            if other is not None:
                raise SubmissionFailed(wrong_notebook(f"{name}.ipynb", other, self.assignment))
            if not graded_ids(nb.cells) & nbinfo["graded"]:
                # nbgrader cannot put the tests back into a notebook without any of the
                # released notebook's cells (it stops with a KeyError): say what happened
                raise SubmissionFailed(not_from_release(f"{name}.ipynb", len(nb.cells),
                                                        self.assignment))
            findings[name] = scan_submission(nb, nbinfo["ctx"], nbinfo["locked"])
            sources[name] = [c.source for c in nb.cells if c.cell_type == "code"]
        # files handed in beside the notebooks run in the same kernel: each notebook's tests
        # are as exposed to them as to its own cells
        info = self.assignment_info()
        for name in findings:
            findings[name] += scan_extra_files(folder, info, info[name]["ctx"])
        return findings

    def _review(self, student: str, sources: dict[str, list[str]]) -> dict:
        """The advisory flag of :mod:`dlgrade.package_copy`: ``{"review": ""}`` for none, else
        ``{"review": <what>, "review_key": <digest of the text read>}`` (the key an
        instructor's review of the flag is tied to, :mod:`dlgrade.flag_reviews`). Answers
        that look like the package's same-named functions pasted in, read from the notebooks'
        code cells and the ``.py`` files handed in beside them. It costs no point."""
        info = self.assignment_info()
        files = beside_code(self.course.submitted_dir / student / self.assignment)
        beside = files.texts
        # a .py file that can run but was not read is said (review 21l #1), and the key holds
        # the bytes of every .py file, read or not: one added or changed voids a review
        found, notes, read = [], list(files.notes), [files.digest]
        for name, cells in sources.items():
            result = review(cells + beside, info[name]["answers"])
            read += [name] + cells + ["\0"] + beside
            if isinstance(result, str):  # past the check's bounds: said, points untouched
                notes.append(result)
            else:
                found += result
        said = "; ".join([describe(found)] * bool(found) + sorted(set(notes)))
        return {"review": said, "review_key": text_digest(read)} if said else {"review": ""}

    def _autograde(self, student: str, notes: list[str]) -> None:
        """nbgrader autograde (original tests restored first); notes what it restored."""
        res = self.api.autograde(self.assignment, student, force=True, create=True)
        log = (res.get("log") or "") + "\n" + (res.get("error") or "")
        if not res.get("success"):
            raise SubmissionFailed(classify_failure(log), log[-3000:])
        notes += [m.group(0) for m in re.finditer(
            r"Restored cell \S+ of the submission: [^\n]*|Missing grade cell \S+ encountered", log)]

    def _score(self, student: str, findings: dict) -> dict:
        """Zero and flag the tests a finding invalidates; read the scores from the gradebook.
        (Hand grades given before come back afterwards: :mod:`dlgrade.handgrades`.)"""
        info = self.assignment_info()
        reasons, flagged = [], set()
        timeouts = self._timeouts(student)  # read once: _status reports the same cells
        with self.course.gradebook(self.coursedir) as gb:
            submission = gb.find_submission(self.assignment, student)
            for name, items in findings.items():
                if not items:
                    continue
                affected = self._affected(items, info[name])
                nb_sub = gb.find_submission_notebook(name, self.assignment, student)
                for grade in nb_sub.grades:
                    if grade.name in affected:
                        grade.manual_score = 0.0
                        grade.needs_manual_grade = True
                        flagged.add(grade.name)
                reasons += [f"{name}: {f.describe()}" for f in items]
            # a cell that hit a limit: the tests it left short wait for a look in the gradebook
            # too, so the status read back from it later says the same (dlgrade.report)
            for name in timeouts:
                nb_sub = gb.find_submission_notebook(name, self.assignment, student)
                for grade in nb_sub.grades:
                    if float(grade.score) < float(grade.max_score):
                        grade.needs_manual_grade = True
                        flagged.add(grade.name)
            gb.db.commit()
            cells, manual = {}, []
            for nb_sub in submission.notebooks:
                for grade in nb_sub.grades:
                    cells[grade.name] = [float(grade.score), float(grade.max_score)]
                    if grade.needs_manual_grade and grade.name not in flagged:
                        manual.append(grade.name)
            score, max_score = float(submission.score), float(submission.max_score)
        return {"score": score, "max_score": max_score, "cells": cells, "reasons": reasons,
                "flagged": sorted(flagged), "manual": sorted(manual), "timeouts": timeouts}

    def _status(self, student: str, scores: dict) -> tuple[str, str]:
        """``("graded", "")``, or ``("needs manual grading", why)`` after a finding, a written
        answer or a cell that hit a limit."""
        reasons = list(scores["reasons"])
        if scores["manual"]:
            reasons.append("written answers to grade by hand: " + ", ".join(scores["manual"]))
        limits = [t for cells in scores["timeouts"].values() for t in cells]
        reasons = [f"cell {t}" for t in limits] + reasons
        return ("needs manual grading" if reasons else "graded"), "; ".join(reasons)

    def _publish_feedback(self, student: str, notes: list[str]) -> list[str]:
        """Generate feedback, withhold any page showing hidden test code, copy the rest to
        ``<output>/feedback/``; returns the copied files (relative to the output folder)."""
        from .feedback import find_leaks

        fb = self.api.generate_feedback(self.assignment, student, force=True)
        if not fb.get("success"):
            notes.append("feedback could not be generated: " + classify_failure(
                (fb.get("log") or "") + (fb.get("error") or "")))
            return []
        info = self.assignment_info()
        out_root = self.course.output_dir(self.assignment)
        (out_root / "feedback").mkdir(parents=True, exist_ok=True)
        names = sorted(info)
        files = []
        for name in names:
            src = self.course.feedback_dir / student / self.assignment / f"{name}.html"
            if not src.exists():
                continue
            if find_leaks(src.read_text(encoding="utf-8", errors="replace"), info[name]["hidden"]):
                src.unlink()
                notes.append(f"feedback for {name} withheld: it showed hidden test code")
                continue
            dest = out_root / "feedback" / (f"{student}.html" if len(names) == 1
                                            else f"{student}.{name}.html")
            shutil.copyfile(src, dest)
            files.append(str(dest.relative_to(out_root)))
        return files

    def _affected(self, items, nbinfo) -> set:
        """Test cells a list of findings invalidates."""
        tests = nbinfo["tests"]
        if any(f.kind != "reference" for f in items):
            return set(tests)
        names = set()
        for f in items:
            names |= set(f.names)
        hit = {t for t in tests if any(re.search(rf"\b{re.escape(n)}\b", nbinfo["test_sources"][t])
                                       for n in names)}
        return hit or set(tests)

    def _timeouts(self, student: str) -> dict[str, list[str]]:
        """Per notebook, the cells that hit a limit: ``"<grade_id or #index> timed out"`` /
        ``"... ran out of memory"`` / ``"...: a child process could not be held"`` (the judge
        could not stop a process the notebook left); such a submission is graded but flagged
        for a look."""
        import nbformat

        found = {}
        folder = self.course.autograded_dir / student / self.assignment
        for path in sorted(folder.glob("*.ipynb")):
            nb = nbformat.read(path, as_version=4)
            out = found.setdefault(path.stem, [])
            for i, cell in enumerate(nb.cells):
                name = cell.metadata.get("nbgrader", {}).get("grade_id") or f"#{i}"
                for o in cell.get("outputs", []):
                    ename = str(o.get("ename", "")) if o.get("output_type") == "error" else ""
                    if "Timeout" in ename:
                        out.append(f"{name} timed out")
                    elif ename == "HoldError":  # dlgrade.judge_procs: not the student's loss
                        out.append(f"{name}: a child process could not be held")
                    elif ename == "MemoryError":
                        out.append(f"{name} ran out of memory")
        return {name: cells for name, cells in found.items() if cells}


def _die_with_parent() -> None:
    """Ask Linux to kill this process when the engine that started it dies."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(signal.SIGKILL), 0, 0, 0)  # PR_SET_PDEATHSIG
        if os.getppid() == 1:  # the parent is already gone
            os._exit(1)
    except (OSError, AttributeError):
        pass


def worker_main(conn, overrides: dict, assignment: str, log_path: str) -> None:
    """Entry point of a worker process (``multiprocessing`` target)."""
    os.setsid()
    _die_with_parent()
    fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    sys.stdout = open(1, "w", buffering=1, closefd=False)
    sys.stderr = open(2, "w", buffering=1, closefd=False)
    course = Course.from_overrides(overrides)
    os.chdir(course.root)
    # the sandbox (dlgrade.sandbox) hides these paths from student kernels too
    os.environ.setdefault("DLCOURSE_COURSE_ROOT", str(course.root))
    hide = [p for p in os.environ.get("DLCOURSE_SANDBOX_HIDE", "").split(os.pathsep) if p]
    if str(course.output_root) not in hide:
        os.environ["DLCOURSE_SANDBOX_HIDE"] = os.pathsep.join(hide + [str(course.output_root)])
    try:
        grader = Grader(course, assignment)
        grader.assignment_info()
        seconds = submission_seconds(*course.grading_settings()[1:])
        cap = grader_memory.cap_memory(grader_memory.allowance())
        print(f"=== memory cap of this grading process: "
              f"{'none' if cap is None else f'{cap >> 20} MB of address space'}", flush=True)
        start_fork_server(grader.config)
        # the package's table for the advisory flag (dlgrade.package_copy), read once now
        # (half a second) rather than during the first student
        package_functions()
        conn.send({"ready": True})
    except Exception:  # noqa: BLE001
        conn.send({"ready": False, "error": traceback.format_exc()})
        return
    while True:
        try:
            task = conn.recv()
        except EOFError:
            return
        if task is None:
            return
        print(f"=== grading {task['student']}", flush=True)
        grader_memory.reset_peak()
        result = grade_within_deadline(grader, task["student"], seconds)
        # the peak of this student alone (the rusage high-water mark was reset above)
        print(f"=== peak memory of the grading process for {task['student']}: "
              f"{grader_memory.peak_mb():.0f} MB", flush=True)
        conn.send(result)


def start_fork_server(config) -> None:
    """Start the sandboxed kernels' fork server (:mod:`dlgrade.sandbox.forkserver`) now,
    without waiting for its imports (~1 s of CPU): they run while the first submission is
    read, scanned and prepared, instead of after, on its first kernel launch. The server is
    the one that launch would start (same process, same environment, memory cap included);
    nothing is started when the kernels are not the sandbox's or the fork server is off."""
    if config.Execute.get("kernel_name") == KERNEL_NAME and forkserver.enabled():
        forkserver.get_server(wait=False)


#: How much longer the station (dlgrade.cluster), which kills the whole grading process,
#: waits than the grading process's own deadline, so the process's deadline fires first.
STATION_SLACK = 30.0


def submission_seconds(timeout: float, n_cells: int) -> float:
    """The grading process's deadline for one submission: every code cell's ``timeout``
    (``n_cells`` of them) and some slack."""
    return timeout * (n_cells + 2) + 30.0


def grade_within_deadline(grader: Grader, student: str, seconds: float) -> dict:
    """``grader.grade(student)``, or ``failed: timeout ...`` when the submission's kernel
    stops answering (see :class:`dlgrade.deadline.SubmissionDeadline`); the process stays
    usable for the next student either way. Reusable by any grading loop."""
    result = None
    with SubmissionDeadline(seconds) as watch:
        result = grader.grade(student)
    if watch.expired:
        try:
            grader.clear(student)  # no partial scores left behind
        except Exception:  # noqa: BLE001 - the failed status is recorded either way
            pass
    return watch.outcome(result)


if __name__ == "__main__":  # pragma: no cover
    sys.exit("run `dlcourse grade` instead")
