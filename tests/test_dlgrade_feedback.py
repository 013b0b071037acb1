"""dlgrade.feedback's pure functions: which lines are hidden tests, and whether a page leaks them.

End to end (real feedback pages withheld or kept) in tests/test_grading.py."""

from dlgrade.feedback import find_leaks, hidden_line_numbers, hidden_lines, secret_lines

CELL = '''"""Check that f doubles."""
assert f(1) == 2
### BEGIN HIDDEN TESTS
assert f(21) == 42, "secret-case"
x=1
### END HIDDEN TESTS
assert f(0) == 0'''


def test_hidden_line_numbers_cover_the_delimiters_and_what_is_between():
    assert hidden_line_numbers(CELL) == {3, 4, 5, 6}
    assert hidden_line_numbers("assert f(1) == 2") == set()
    # an unclosed block hides the rest of the cell
    assert hidden_line_numbers("a = 1\n# BEGIN HIDDEN TESTS\nb = 2\nc = 3") == {2, 3, 4}


def test_hidden_lines_drop_delimiters_and_trivial_lines():
    assert hidden_lines(CELL) == ['assert f(21) == 42, "secret-case"']


def test_custom_delimiters():
    cell = "a = 1\n# <hidden>\nassert g(3) == 9\n# </hidden>"
    assert hidden_line_numbers(cell, "<hidden>", "</hidden>") == {2, 3, 4}


def test_find_leaks_sees_raw_escaped_and_coloured_text():
    line = 'assert f(21) == 42, "secret-case"'
    assert find_leaks("<pre>nothing here</pre>", [line]) == []
    assert find_leaks(f"<pre>{line}</pre>", [line]) == [line]
    escaped = "assert f(21) == 42, &quot;secret-case&quot;"
    assert find_leaks(f"<pre>{escaped}</pre>", [line]) == [line]
    coloured = "assert f(21) \x1b[1;31m==\x1b[0m 42, &quot;secret-case&quot;"
    assert find_leaks(coloured, [line]) == [line]


def test_secret_lines_are_those_students_cannot_read_elsewhere():
    hidden = ["assert f(21) == 42", "assert f(0) == 0"]
    assert secret_lines(hidden, ["release text: assert f(0) == 0"]) == ["assert f(21) == 42"]


def _feedback_config():
    """nbgrader's feedback template, as ``generate_feedback`` sets it up."""
    import os

    import nbgrader
    from traitlets.config import Config

    formgrader = os.path.join(os.path.dirname(nbgrader.__file__), "server_extensions",
                              "formgrader")
    c = Config()
    c.HTMLExporter.template_name = "feedback"
    c.HTMLExporter.extra_template_basedirs = [os.path.join(formgrader, "templates")]
    c.HTMLExporter.extra_template_paths = [
        os.path.join(formgrader, "static", "node_modules", "bootstrap", "dist", "css")]
    return c


def _graded(outputs):
    import nbformat

    cell = nbformat.v4.new_code_cell("x = 1", outputs=outputs)
    cell.metadata.nbgrader = {"grade": False, "solution": True, "grade_id": "x",
                              "locked": False, "schema_version": 3}
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# T\n\n<b>b</b> x"),
                                         cell])
    resources = {"nbgrader": {"notebook": "nb", "score": 1.0, "max_score": 2.0, "late_penalty": 0,
                              "grades": {}, "comments": {}, "student": "s"}}
    return nb, resources


def test_feedback_pages_hold_what_nbconverts_whole_page_pass_gives():
    """CachedHTMLExporter skips nbconvert's parse-and-rewrite of a page without pictures: the
    page must parse to the same elements, attributes and text as the page with the pass; a page
    with a picture gets the pass (its default ``alt`` text) as before."""
    import copy

    import nbformat
    from bs4 import BeautifulSoup

    from dlgrade.feedback import CachedHTMLExporter
    from dlgrade.html_safety import CSPHTMLExporter

    def tree(page):
        return str(BeautifulSoup(page, features="html.parser"))

    text = [nbformat.v4.new_output("stream", name="stdout", text="1 < 2 & 'q'\n")]
    png = [nbformat.v4.new_output("display_data", data={"image/png": "iVBORw0KGgo="})]
    for outputs in (text, png):
        nb, resources = _graded(outputs)
        full, _ = CSPHTMLExporter(config=_feedback_config()).from_notebook_node(
            copy.deepcopy(nb), copy.deepcopy(resources))
        fast, _ = CachedHTMLExporter(config=_feedback_config()).from_notebook_node(
            copy.deepcopy(nb), copy.deepcopy(resources))
        assert tree(fast) == tree(full)
        assert ("1 &lt; 2 &amp;" in fast) == (outputs is text)
    assert 'alt="No description has been provided for this image"' in fast


def test_shared_highlight_gives_nbconverts_html_and_keeps_only_released_code():
    """The feedback pages' code highlighting: one formatter per language, and the HTML of
    released cells kept for the process. Each call must give what nbconvert's filter gives
    for the same text; a student's own code (any text not in the release) is never kept."""
    from nbconvert.filters.highlight import Highlight2HTML

    from dlgrade import feedback
    from dlgrade.feedback import CachedHTMLExporter, SharedHighlight

    released = ['"""Check that f doubles."""\nassert f(1) == 2', "import numpy as np", ""]
    exporter = CachedHTMLExporter(release_sources=released)
    shared = SharedHighlight(parent=exporter)
    feedback._HIGHLIGHTED.clear()
    student = ["def f(x):\n    return 2 * x  # <b>&amp;</b>",
               "import numpy as np ",  # a released line with one space more
               "x = '</pre><script>alert(1)</script>'"]
    for round_ in range(2):  # the second round is served from what the first kept
        for source in released + student:
            for language in (None, "python"):
                assert shared(source, language) == Highlight2HTML()(source, language), \
                    (round_, source, language)
    kept = {source for (_, _, source) in feedback._HIGHLIGHTED}
    assert kept == set(released)
    # a page without release sources (another exporter) keeps nothing
    feedback._HIGHLIGHTED.clear()
    other = SharedHighlight(parent=CachedHTMLExporter())
    assert other(released[1]) == Highlight2HTML()(released[1])
    assert feedback._HIGHLIGHTED == {}
