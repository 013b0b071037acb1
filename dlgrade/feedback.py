"""Feedback that never shows hidden test code.

nbgrader 0.9.6 builds feedback from the autograded notebook, whose test cells hold the full
test source, and its ``ClearHiddenTests`` step removes hidden lines from the *source* only:
the traceback of a failing hidden assert still prints the failing line and its neighbours.
:class:`HideHiddenTestOutputs` replaces every output of a cell with hidden tests by a short
neutral message (which checks failed is said only when the failing line is a visible one),
and :data:`FEEDBACK_PREPROCESSORS` adds nbgrader's ``ClearHiddenTests`` after it (for test
cells only: a student's cell may contain the delimiter text).
:func:`hidden_lines` and :func:`find_leaks` let the grader (and the tests) check the result.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import nbconvert
from bs4 import BeautifulSoup
from jinja2 import BytecodeCache
from nbconvert.exporters import TemplateExporter
from nbconvert.filters.highlight import Highlight2HTML, _pygments_highlight
from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter
from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
from nbformat.notebooknode import from_dict
from nbgrader.api import Gradebook
from nbgrader.preprocessors import ClearHiddenTests, GetGrades, NbGraderPreprocessor
from pygments.formatters import HtmlFormatter
from traitlets import List, Unicode

import dlcourse

from .html_safety import CSPHTMLExporter, SanitizeStudentContent, with_csp
from .prefetch import submission_cells_at_once
from .safe_files import KeepFeedbackPagesOnly
from .shape_errors import explain

BEGIN = "BEGIN HIDDEN TESTS"
END = "END HIDDEN TESTS"
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_CELL_LINE = re.compile(r"(?:Cell In\s*\[\d*\]|<ipython-input-[^>]*>), line (\d+)")


def hidden_line_numbers(source: str, begin: str = BEGIN, end: str = END) -> set[int]:
    """1-based numbers of the lines inside (and including) hidden-test delimiters."""
    hidden, inside = set(), False
    for k, line in enumerate(source.splitlines(), start=1):
        if begin in line:
            inside = True
        if inside:
            hidden.add(k)
        if end in line:
            inside = False
    return hidden


def hidden_lines(source: str, begin: str = BEGIN, end: str = END) -> list[str]:
    """The stripped, non-trivial hidden-test lines of a cell source (for leak checks)."""
    numbers = hidden_line_numbers(source, begin, end)
    out = []
    for k, line in enumerate(source.splitlines(), start=1):
        text = line.strip()
        if k in numbers and text and begin not in text and END not in text and len(text) > 3:
            out.append(text)
    return out


def find_leaks(text: str, lines) -> list[str]:
    """Hidden-test lines that occur in ``text`` (raw or HTML-escaped); [] when none leak."""
    unescaped = html.unescape(_ANSI.sub("", text))
    return [line for line in lines if line in text or line in unescaped]


def _is_test(cell) -> bool:
    """A locked test cell (restored from the gradebook): the only place hidden tests live.

    A student's own cell may contain the delimiter text too; it is left alone (nbgrader's
    ClearHiddenTests would stop with "No end hidden tests statement found")."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return cell.get("cell_type") == "code" and bool(meta.get("grade")) and not meta.get("solution")


class ClearHiddenTestsInTests(ClearHiddenTests):
    """nbgrader's ClearHiddenTests, applied to test cells only."""

    def preprocess_cell(self, cell, resources, index):
        if not _is_test(cell):
            return cell, resources
        return super().preprocess_cell(cell, resources, index)


def secret_lines(hidden, public_texts) -> list[str]:
    """Hidden-test lines that appear in none of ``public_texts`` (e.g. the release notebook
    and the course package's source, which students have anyway)."""
    return [line for line in hidden if not any(line in text for text in public_texts)]


def public_texts(release_paths=()) -> list[str]:
    """Texts students can read anyway: the release notebooks and the teaching package
    ``dlcourse`` (the package students install; the grading tool ``dlgrade`` is not in it)."""
    texts = [Path(p).read_text(encoding="utf-8", errors="replace") for p in release_paths
             if Path(p).exists()]
    pkg = Path(dlcourse.__file__).parent
    texts += [p.read_text(encoding="utf-8", errors="replace") for p in sorted(pkg.rglob("*.py"))]
    return texts


class HideHiddenTestOutputs(NbGraderPreprocessor):
    """Replace the outputs of cells holding hidden tests with a neutral message."""

    begin_test_delimeter = Unicode(BEGIN).tag(config=True)
    end_test_delimeter = Unicode(END).tag(config=True)
    passed_message = Unicode("All checks in this cell passed.").tag(config=True)
    failed_message = Unicode(
        "A hidden check in this cell failed ({ename}). Hidden checks are not shown: compare "
        "your function with the exercise text and the visible checks."
    ).tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        if not _is_test(cell):
            return cell, resources
        if self.begin_test_delimeter not in cell.source:
            return _explain_shape_error(cell), resources
        hidden = hidden_line_numbers(cell.source, self.begin_test_delimeter,
                                     self.end_test_delimeter)
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        if not errors:
            text = self.passed_message
        else:
            err = errors[-1]
            ename = str(err.get("ename", "Error"))
            tb = _ANSI.sub("", "\n".join(err.get("traceback", [])))
            numbers = [int(n) for n in _CELL_LINE.findall(tb)]
            lines = cell.source.splitlines()
            if numbers and numbers[-1] not in hidden and 0 < numbers[-1] <= len(lines):
                text = (f"A visible check in this cell failed ({ename}: "
                        f"{str(err.get('evalue', ''))[:300]}) at: {lines[numbers[-1] - 1].strip()}")
            else:
                text = self.failed_message.format(ename=ename)
            shape = explain(ename, str(err.get("evalue", "")), tb)
            if shape:
                text += "\n" + shape
        cell.outputs = [from_dict({"output_type": "stream", "name": "stdout", "text": text + "\n"})]
        return cell, resources


def _explain_shape_error(cell):
    """A test cell without hidden tests keeps its outputs; a numpy shape error gets one more:
    the student's line and what the shapes mean (:mod:`dlgrade.shape_errors`)."""
    for err in [o for o in cell.get("outputs", []) if o.get("output_type") == "error"][-1:]:
        text = explain(str(err.get("ename", "")), str(err.get("evalue", "")),
                       "\n".join(err.get("traceback", [])))
        if text:
            cell.outputs.append(from_dict({"output_type": "stream", "name": "stdout",
                                           "text": text + "\n"}))
    return cell


class GetGradesAtOnce(GetGrades):
    """nbgrader's ``GetGrades`` (each cell's score and comment into the page) with the
    notebook's grades and comments read in one load
    (:func:`dlgrade.prefetch.submission_cells_at_once`), not one query per cell."""

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        self.notebook_id, self.assignment_id = info["notebook"], info["assignment"]
        self.student_id, self.db_url = info["student"], info["db_url"]
        self.gradebook = Gradebook(self.db_url)
        with self.gradebook, submission_cells_at_once(self.gradebook, self.notebook_id,
                                                      self.assignment_id, self.student_id):
            # the cell loop (GetGrades.preprocess would open a Gradebook of its own)
            nb, resources = super(GetGrades, self).preprocess(nb, resources)
            notebook = self.gradebook.find_submission_notebook(
                self.notebook_id, self.assignment_id, self.student_id)
            late_penalty = notebook.late_submission_penalty
            if late_penalty is None:
                late_penalty = 0
            else:
                self.log.warning("Late submission penalty: %s", late_penalty)
            info["score"] = notebook.score - late_penalty
            info["max_score"] = notebook.max_score
            info["late_penalty"] = late_penalty
        return nb, resources


#: nbgrader's feedback steps plus hiding of hidden-test outputs and sources.
FEEDBACK_PREPROCESSORS = [
    KeepFeedbackPagesOnly,  # feedback/ gets the rendered pages, nothing copied beside them
    GetGradesAtOnce,
    CSSHTMLHeaderPreprocessor,
    HideHiddenTestOutputs,
    ClearHiddenTestsInTests,
]


class _MemoryBytecodeCache(BytecodeCache):
    """Compiled Jinja templates kept for the life of the process (keyed by name and source
    checksum, so an edited template is compiled afresh)."""

    def __init__(self) -> None:
        self._store: dict[str, bytes] = {}

    def load_bytecode(self, bucket) -> None:
        code = self._store.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket) -> None:
        self._store[bucket.key] = bucket.bytecode_to_string()


_TEMPLATE_CACHE = _MemoryBytecodeCache()


class CachedHTMLExporter(CSPHTMLExporter):
    """nbconvert's HTML exporter whose compiled templates outlive the exporter (student
    content cleaned and the page under a Content-Security-Policy: :mod:`dlgrade.html_safety`).

    nbgrader makes a new exporter for every ``generate_feedback`` call, and compiling the
    feedback template's nine Jinja files again cost about half of each student's feedback
    time in a grading worker. The HTML written is the same.
    """

    release_sources = List(Unicode(), help=(
        "Code of the released notebooks' cells (the same in every student's page): their "
        "highlighted HTML is kept for the process (dlgrade.feedback.SharedHighlight)")
    ).tag(config=True)

    def _create_environment(self):
        environment = super()._create_environment()
        environment.bytecode_cache = _TEMPLATE_CACHE
        return environment

    def from_notebook_node(self, nb, resources=None, **kw):
        """As :class:`CSPHTMLExporter`, without nbconvert's parse-and-rewrite of the whole page
        when it would change nothing but the spelling of the markup.

        nbconvert 7's ``HTMLExporter`` parses every page with BeautifulSoup to give pictures
        without ``alt`` a default text and JupyterLab's cell wrappers a ``tabindex``, and then
        writes the whole tree out again (about a fifth of a student's grading time on 02's
        150 KB page). nbgrader's feedback template has no JupyterLab wrappers, so a page
        without pictures comes out of that pass with the same elements, attributes and text;
        such a page skips it. A page with a picture gets the whole pass, as before.
        """
        if nbconvert.__version__ != _NBCONVERT_READ:  # the steps below are 7.17's
            return super().from_notebook_node(nb, resources, **kw)
        nb, resources = SanitizeStudentContent().preprocess(nb, resources or {})
        langinfo = nb.metadata.get("language_info", {})
        lexer = langinfo.get("pygments_lexer", langinfo.get("name", None))
        highlight_code = self.filters.get("highlight_code",
                                          SharedHighlight(pygments_lexer=lexer, parent=self))
        resources = self._init_resources(resources)
        data_types = WidgetsDataTypeFilter(notebook_metadata=self._nb_metadata, parent=self,
                                           resources=resources)
        self.register_filter("highlight_code", highlight_code)
        self.register_filter("filter_data_type", data_types)
        page, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
        if "<img" in page or "jp-Notebook" in page:
            page = _accessible(self, page)
        return with_csp(page), resources


#: The nbconvert version whose ``HTMLExporter.from_notebook_node`` the method above follows.
_NBCONVERT_READ = "7.17.2"

#: {(language, formatter options, exact source): highlighted HTML} of released cells' code
_HIGHLIGHTED: dict[tuple[str, str, str], str] = {}
#: {(language, formatter options): Pygments HtmlFormatter}
_FORMATTERS: dict[tuple[str, str], HtmlFormatter] = {}
#: the ``release_sources`` of the last exporter, as a set (rebuilt when they change)
_RELEASED: dict[tuple[str, ...], frozenset] = {}


class SharedHighlight(Highlight2HTML):
    """nbconvert's ``highlight_code`` filter, with one Pygments formatter per language kept
    for the process, and the HTML of code that comes from the release kept too.

    nbconvert makes a new ``HtmlFormatter`` for every code cell of every page, and each one
    builds its whole style sheet (which the cell's HTML never uses); the test cells and the
    given code of a feedback page are the same text in every student's page, and were
    highlighted again for each. The HTML is a function of the language, the formatter's
    options and the exact source alone, so a kept result is the one a fresh highlighting
    gives. Only sources equal to a cell of the released notebooks
    (:attr:`CachedHTMLExporter.release_sources`) are kept: never a student's own text, and
    the store stays as small as the release.
    """

    def __call__(self, source, language=None, metadata=None):
        language = language or self.pygments_lexer
        if language.startswith("ipython") and metadata and "magics_language" in metadata:
            return super().__call__(source, language, metadata)  # another lexer: as before
        options = repr(sorted(self.extra_formatter_options.items()))
        key = (language, options, source)
        page = _HIGHLIGHTED.get(key)
        if page is not None:
            return page
        if (language, options) not in _FORMATTERS:
            _FORMATTERS[language, options] = HtmlFormatter(
                cssclass=html.escape(f" highlight hl-{language}"),
                **self.extra_formatter_options)
        page = _pygments_highlight(source if len(source) > 0 else " ",
                                   _FORMATTERS[language, options], language, metadata)
        if source in self._released():
            _HIGHLIGHTED[key] = page
        return page

    def _released(self) -> frozenset:
        sources = tuple(getattr(self.parent, "release_sources", ()) or ())
        if sources not in _RELEASED:
            _RELEASED.clear()
            _RELEASED[sources] = frozenset(sources)
        return _RELEASED[sources]


def _accessible(exporter, page: str) -> str:
    """nbconvert's pass: default ``alt`` text on pictures, ``tabindex`` on cell wrappers."""
    soup = BeautifulSoup(page, features="html.parser")
    missing_alt = 0
    for elem in soup.select("img:not([alt])"):
        elem.attrs["alt"] = "No description has been provided for this image"
        missing_alt += 1
    if missing_alt:
        exporter.log.warning("Alternative text is missing on %s image(s).", missing_alt)
    for elem in soup.select(".jp-Notebook div.jp-Cell-inputWrapper"):
        elem.attrs["tabindex"] = "0"
    for elem in soup.select(".jp-Notebook div.jp-OutputArea-output"):
        elem.attrs["tabindex"] = "0"
    return str(soup)
