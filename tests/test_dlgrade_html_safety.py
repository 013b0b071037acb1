"""dlgrade.html_safety on notebooks built in memory (fast; the browser test is
tests/test_feedback_sanitised.py)."""

from __future__ import annotations

import re

import nbformat
import pytest
from nbconvert.exporters import HTMLExporter

from dlgrade.html_safety import CSP_META, ID_PREFIX, CSPHTMLExporter, clean, with_csp

HONEST = ("# Title\n\nInline $a<b$ and $$x^2$$\n\n```python\nx = 1 < 2\n```\n\n"
          "| a | b |\n|---|---|\n| 1 | 2 |\n\n[docs](https://numpy.org) **bold** `code`\n")


def _body(html: str) -> str:
    return html[html.index("<body"):]


def test_honest_markdown_renders_exactly_as_nbconvert_renders_it():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(HONEST)])
    plain, _ = HTMLExporter().from_notebook_node(nb)
    safe, _ = CSPHTMLExporter().from_notebook_node(nb)
    # the one difference: the heading's anchor lives in the student's own name space
    assert 'id="Title"' in plain and 'href="#Title"' in plain
    assert _body(safe) == _body(plain).replace('id="Title"', f'id="{ID_PREFIX}Title"').replace(
        'href="#Title"', f'href="#{ID_PREFIX}Title"')
    assert CSP_META in safe and CSP_META not in plain


def test_markdown_and_outputs_lose_every_way_to_run_script():
    md = ('<img src=x onerror="alert(1)"> <a href="javascript:alert(2)">a</a> '
          '<svg onload="alert(3)"></svg> <iframe srcdoc="x"></iframe> <b style="x">b</b>')
    outputs = [nbformat.v4.new_output("display_data", data={
        "text/html": "<script>alert(4)</script><p onclick='alert(5)'>p</p>",
        "application/javascript": "alert(6)",
        "image/svg+xml": "<svg onload='alert(7)'/>",
        "image/png": 'AAAA" onerror="alert(8)',
        "text/plain": "fallback"})]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(md),
                                         nbformat.v4.new_code_cell("x", outputs=outputs)])
    html, _ = CSPHTMLExporter().from_notebook_node(nb)
    body = _body(html)
    assert re.search(r"<[a-zA-Z][^>]*\son\w+\s*=", body) is None  # no handler on any tag
    assert "<script>alert" not in body and "<iframe" not in body and "<svg" not in body
    assert "javascript:" not in body
    for dropped in ("alert(6)", "alert(7)", "alert(8)"):  # JS, SVG, a forged picture: gone
        assert dropped not in body
    assert "&lt;script&gt;alert(4)&lt;/script&gt;" in body  # shown as text
    assert "<p>p</p>" in body and "<b>b</b>" in body


def test_pictures_keep_only_image_data_urls():
    assert clean('<img src="data:image/png;base64,AAAA">') == \
        '<img src="data:image/png;base64,AAAA">'
    assert clean('<img src="data:text/html;base64,AAAA">') == "<img>"
    assert clean('<a href="data:text/html,x">l</a>') == "<a>l</a>"


def test_the_policy_goes_first_in_the_head_and_needs_a_page():
    page = with_csp("<html><head><script src='a.js'></script></head><body></body></html>")
    assert page.index(CSP_META) < page.index("<script")
    assert with_csp(page) == page
    with pytest.raises(ValueError, match="html: expected a whole page"):
        with_csp("<p>fragment</p>")


def test_a_pictures_size_in_its_output_metadata_cannot_carry_a_handler():
    """nbconvert's template prints a picture's width and height into ``<img>`` unquoted: a
    student's ``display(..., metadata={"image/png": {"width": "1 onerror=..."}})`` made an
    ``onerror`` handler in feedback and formgrader pages (hostile review, issue 21)."""
    payloads = [
        ({"image/png": "iVBORw0KGgo="}, {"image/png": {"width": "1 onerror=window.pwn=1"}}),
        ({"image/jpeg": "iVBORw0KGgo="}, {"image/jpeg": {"height": "1 onerror=window.pwn=2"}}),
        ({"image/png": "iVBORw0KGgo="}, {"image/png": {"width": 40, "height": "30",
                                                       "unconfined": True},
                                         "isolated": True}),
    ]
    outputs = [nbformat.v4.new_output("display_data", data=data, metadata=meta)
               for data, meta in payloads]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x", outputs=outputs)])
    plain, _ = HTMLExporter().from_notebook_node(nb)
    assert re.search(r"<img[^>]*\sonerror=", _body(plain)), "control: the attack works unprotected"
    html, _ = CSPHTMLExporter().from_notebook_node(nb)
    body = _body(html)
    assert re.search(r"<[a-zA-Z][^>]*\son\w+\s*=", body) is None
    assert "pwn" not in body
    assert re.search(r'<img[^>]*width="?40"?[^>]*height="?30"?', body) or \
        re.search(r'<img[^>]*height="?30"?[^>]*width="?40"?', body), "honest sizes are kept"


def test_one_shared_parser_renders_each_cell_as_a_fresh_one_would():
    """markdown2html reuses one parser (and its results) for cells without attachments: every
    text, in any order and again, gives the bytes a parser built for it alone gives."""
    from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath

    from dlgrade.html_safety import markdown2html

    def fresh(source, attachments=None):
        renderer = IPythonRenderer(escape=False, attachments=attachments or {},
                                   embed_images=False, anchor_link_text="¶")
        return clean(MarkdownWithMath(renderer=renderer).render(source))

    sources = [HONEST, "# Title\n\nagain", "- [ ] task\n- [x] done\n", "term\n: its meaning\n",
               '<img src=x onerror="alert(1)"> ~~gone~~ $$\\frac{a}{b}$$', "# Title\n\nagain",
               "![pic](https://numpy.org/p.png)", ""]
    render = markdown2html.__wrapped__ if hasattr(markdown2html, "__wrapped__") else markdown2html
    for source in sources + sources[::-1]:
        assert render({"cell": {}}, source) == fresh(source)
    picture = {"p.png": {"image/png": "AAAA"}}
    with_picture = render({"cell": {"attachments": picture}}, "![pic](attachment:p.png)")
    assert with_picture == fresh("![pic](attachment:p.png)", picture)
    assert 'src="data:image/png;base64,AAAA"' in with_picture
    with pytest.raises(Exception, match="missing attachment"):  # as nbconvert says it
        render({"cell": {}}, "![pic](attachment:p.png)")


def test_no_id_of_the_student_can_take_over_an_id_of_the_page():
    """Formgrader binds a grade's score box with ``$("#" + grade_id)``: a heading carrying a
    test's grade id, placed before that test cell, would take the box over (review 21c D)."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(
        '<h3 id="test_sigmoid">a</h3>\n\n<h2 id="test_mse">b</h2>\n\n'
        '[to it](#test_sigmoid) [away](https://numpy.org/#x)\n\n## test_neuron\n')])
    safe, _ = CSPHTMLExporter().from_notebook_node(nb)
    ids = re.findall(r'\sid="([^"]*)"', _body(safe))
    student = [i for i in ids if "test_" in i]
    assert student and all(i.startswith(ID_PREFIX) for i in student), student
    assert f'href="#{ID_PREFIX}test_sigmoid"' in safe  # the student's own link still works
    assert 'href="https://numpy.org/#x"' in safe
    assert clean(clean('<h1 id="x">t</h1>')) == f'<h1 id="{ID_PREFIX}x">t</h1>'


def test_no_class_of_the_student_can_be_one_formgrader_binds():
    """Formgrader binds its buttons by class inside a cell's panel (``click .full-credit``):
    an answer wrapped in ``<div class="full-credit">`` gave itself full credit when the
    grader clicked its text (review 21c, D2). Every class of student content gets the
    prefix but the few nbconvert's rendering uses itself, and formgrader selects none of
    those."""
    from pathlib import Path

    import nbgrader

    from dlgrade.html_safety import RENDERER_CLASSES

    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell('<div class="full-credit">my answer</div>\n\n'
                                      '<span class="score tabbable  k">x</span>'),
        nbformat.v4.new_code_cell("x", outputs=[nbformat.v4.new_output(
            "display_data", data={"text/html": '<p class="no-credit">y</p>'})])])
    safe, _ = CSPHTMLExporter().from_notebook_node(nb)
    assert f'<div class="{ID_PREFIX}full-credit">my answer</div>' in safe
    assert f'class="{ID_PREFIX}score {ID_PREFIX}tabbable k"' in safe  # Pygments' k kept
    assert f'<p class="{ID_PREFIX}no-credit">y</p>' in safe
    assert clean(clean('<b class="a">t</b>')) == f'<b class="{ID_PREFIX}a">t</b>'
    # the kept names are no selector of formgrader's scripts or templates
    formgrader = Path(nbgrader.__file__).parent / "server_extensions" / "formgrader"
    selectors = set()
    for path in [*formgrader.rglob("*.js"), *formgrader.rglob("*.tpl"),
                 *formgrader.rglob("*.html")]:
        if "node_modules" not in path.parts and ".min." not in path.name:
            text = path.read_text("utf-8", "replace")  # ".name" after a quote, space, ( or >
            selectors |= set(re.findall(r"""["'\s(>,]\.([A-Za-z_][\w-]*)""", text))
    assert {"full-credit", "tabbable", "score"} <= selectors
    assert RENDERER_CLASSES & selectors == set(), RENDERER_CLASSES & selectors
