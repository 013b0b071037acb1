"""Pages built from a submission run no script from it (feedback, formgrader, the report).

A submitted notebook is the student's to write: its Markdown cells (also the exercise text,
which only locked cells protect) and its outputs may carry ``<img src=x onerror=...>``,
``display(HTML("<script>..."))``, ``display(Javascript(...))`` or an SVG with ``onload``.
nbconvert puts Markdown and ``text/html`` into the page as they are, and nbgrader's feedback
and formgrade templates render Markdown without nbconvert's own ``sanitize_html`` step. Two
layers close that:

1. the content is cleaned: :func:`markdown2html` (the templates' ``markdown2html`` filter)
   renders Markdown and then keeps only the tags and attributes of :data:`TAGS` /
   :func:`_attribute_allowed` (bleach; anything else is shown as text); the preprocessor
   :class:`SanitizeStudentContent` does the same to ``text/html`` outputs and raw cells and
   drops every output type that can run code or carry it (JavaScript, SVG, widgets, PDF,
   anything not in :data:`KEPT_OUTPUTS`);
2. every page carries a Content-Security-Policy (:data:`CSP`) that allows no inline script,
   no event handler, no ``javascript:`` URL and no plugin, only MathJax from its usual CDN
   and this page's own styles and pictures: if the cleaning ever missed something, the
   browser still runs nothing from the content.

:func:`install` sets both up in an nbgrader config (``nbgrader_config.py`` and the grader's):
every ``HTMLExporter`` nbgrader makes (``generate_feedback`` and ``formgrader``) uses the
filter and the preprocessor; feedback pages are written by :class:`CSPHTMLExporter`, which
adds the policy. Formgrader's pages carry inline scripts of formgrader's own: its server gets
:data:`FORMGRADER_CSP`, the strictest policy formgrader works under (inline scripts allowed,
nothing loaded from or sent to another host), and the cleaning.
"""

from __future__ import annotations

import functools
import re

import bleach
from bleach.html5lib_shim import Filter
from jinja2 import pass_context
from nbconvert.exporters import HTMLExporter
from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath
from nbconvert.preprocessors import Preprocessor
from pygments.token import STANDARD_TYPES

#: Tags a cleaned Markdown cell or HTML output may keep (formatting, tables, pictures).
TAGS = frozenset({
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "dd", "del", "details", "div",
    "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i",
    "img", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "samp", "small", "span",
    "strong", "sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr",
    "u", "ul", "var",
})
#: Attributes kept on any tag, and per tag (``src``/``href`` checked further below).
COMMON_ATTRIBUTES = frozenset({"class", "title", "lang", "dir"})
TAG_ATTRIBUTES = {
    "a": {"href"}, "img": {"src", "alt", "width", "height"}, "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"}, "ol": {"start"}, "h1": {"id"}, "h2": {"id"},
    "h3": {"id"}, "h4": {"id"}, "h5": {"id"}, "h6": {"id"},
}
PROTOCOLS = frozenset({"http", "https", "mailto", "data"})
_PICTURE = re.compile(r"^data:image/(png|jpeg|gif);base64,[A-Za-z0-9+/=\s]*$")

#: Output types shown as they are (text, LaTeX as text for MathJax, pictures as ``<img>``);
#: ``text/html`` and ``text/markdown`` are cleaned; every other type is dropped.
KEPT_OUTPUTS = frozenset({"text/plain", "text/latex", "image/png", "image/jpeg",
                          "text/html", "text/markdown"})

#: The policy every generated page carries: no script but MathJax from its CDN (which
#: nbgrader's templates load), no inline script or handler, nothing embedded, no forms.
MATHJAX_ORIGIN = "https://cdnjs.cloudflare.com"
CSP = ("default-src 'none'; "
       f"script-src {MATHJAX_ORIGIN}/ajax/libs/mathjax/; "
       f"style-src 'self' 'unsafe-inline' {MATHJAX_ORIGIN}; "
       f"font-src 'self' data: {MATHJAX_ORIGIN}; "
       "img-src 'self' data:; "
       "object-src 'none'; frame-src 'none'; base-uri 'none'; form-action 'none'")
CSP_META = f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
#: The policy of a Jupyter server that runs nbgrader's formgrader (:func:`install` sets it as
#: ``ServerApp.tornado_settings``; start it with ``jupyter server --config=nbgrader_config.py``).
#: Formgrader's pages hold inline scripts of their own, filled in per page, so
#: ``'unsafe-inline'`` must stay (checked in Chromium: without it no score can be saved); the
#: cleaning of student content is what keeps a submission's handlers out. The rest holds: no
#: script from anywhere but the server (and MathJax's CDN), no plugin, no foreign form
#: target or base URL, and nothing sent to another host (``connect-src``, ``img-src``).
FORMGRADER_CSP = ("default-src 'self'; "
                  f"script-src 'self' 'unsafe-inline' {MATHJAX_ORIGIN}/ajax/libs/mathjax/; "
                  f"style-src 'self' 'unsafe-inline' {MATHJAX_ORIGIN}; "
                  f"font-src 'self' data: {MATHJAX_ORIGIN}; "
                  "img-src 'self' data:; connect-src 'self'; object-src 'none'; "
                  "frame-src 'self'; frame-ancestors 'self'; base-uri 'none'; "
                  "form-action 'self'")
#: The policy of a page with no script of its own (the class report): none at all.
NO_SCRIPT_CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
                 "base-uri 'none'; form-action 'none'")
NO_SCRIPT_CSP_META = f'<meta http-equiv="Content-Security-Policy" content="{NO_SCRIPT_CSP}">'


def _attribute_allowed(tag: str, name: str, value: str) -> bool:
    if name in COMMON_ATTRIBUTES:
        return True
    if name not in TAG_ATTRIBUTES.get(tag, ()):
        return False
    if tag == "img" and name == "src":
        return bool(_PICTURE.match(value)) or value.startswith(("https://", "http://"))
    if tag == "a" and name == "href":
        return not value.strip().lower().startswith("data:")
    if name in {"width", "height", "colspan", "rowspan", "start"}:
        return value.strip().isdigit()
    return True


#: What every ``id`` in student content starts with (and every in-page link to one), as GitHub
#: does: an id of the student's can never equal one of the page's own. Formgrader finds a
#: grade's score box with ``$("#" + grade_id)``; a heading ``<h3 id="test_sigmoid">`` placed
#: before the test cell would otherwise take that box over (review 21c, finding D).
ID_PREFIX = "user-content-"
#: The only class names student content keeps as written: the ones nbconvert's Markdown
#: rendering gives code blocks (Pygments' ``highlight`` box and its token classes, which the
#: page's style sheet colours) and heading anchors. Every other class gets :data:`ID_PREFIX`:
#: formgrader binds its buttons by class (``click .full-credit`` anywhere in a cell's panel),
#: so ``<div class="full-credit">`` around a written answer made a click on the answer's text
#: give it full credit (review 21c, D2). None of these names is a selector of formgrader's
#: (tests/test_dlgrade_html_safety.py reads its scripts and templates).
RENDERER_CLASSES = frozenset({"highlight", "anchor-link"} |
                             {name for name in STANDARD_TYPES.values() if name})


def _prefixed_classes(value: str) -> str:
    return " ".join(name if name in RENDERER_CLASSES or name.startswith(ID_PREFIX)
                    else ID_PREFIX + name for name in value.split())


class _PrefixIds(Filter):
    """Prefix each ``id`` and each ``href="#..."`` of the cleaned content with :data:`ID_PREFIX`
    (heading anchors keep working, inside the student's part of the page only), and each
    class name but the renderer's own (:data:`RENDERER_CLASSES`)."""

    def __iter__(self):
        for token in super().__iter__():
            if token["type"] in ("StartTag", "EmptyTag") and token["data"]:
                attrs = dict(token["data"])
                for key, value in attrs.items():
                    if key[1] == "id" and value and not value.startswith(ID_PREFIX):
                        attrs[key] = ID_PREFIX + value
                    elif key[1] == "href" and value.startswith("#") \
                            and not value.startswith("#" + ID_PREFIX):
                        attrs[key] = "#" + ID_PREFIX + value[1:]
                    elif key[1] == "class" and value:
                        attrs[key] = _prefixed_classes(value)
                token["data"] = attrs
            yield token


_CLEANER = bleach.Cleaner(tags=TAGS, attributes=_attribute_allowed, protocols=PROTOCOLS,
                          strip=False, strip_comments=True, filters=[_PrefixIds])


def clean(html: str) -> str:
    """``html`` with only :data:`TAGS` and the allowed attributes left; any other markup is
    escaped (shown as text), so a page shows what was attempted and runs none of it."""
    return _CLEANER.clean(html if isinstance(html, str) else str(html))


def _markdown(attachments: dict | None = None) -> MarkdownWithMath:
    """nbconvert's Markdown parser with math, rendering ``attachments`` as pictures."""
    renderer = IPythonRenderer(escape=False, attachments=attachments or {},
                               embed_images=False, anchor_link_text="¶")
    return MarkdownWithMath(renderer=renderer)


@functools.lru_cache(maxsize=1)
def _plain_markdown() -> MarkdownWithMath:
    """One parser for every cell without attachments: building one (mistune's rules and
    plugins) cost more than rendering a short cell. A parser keeps no state between texts."""
    return _markdown()


@functools.lru_cache(maxsize=1024)
def _cleaned_markdown(source: str) -> str:
    """:func:`clean` of the rendering of ``source`` (no attachments). The exercise's own
    cells come back in every submission, so most cells of a batch are rendered once."""
    return clean(_plain_markdown().render(source))


@pass_context
def markdown2html(context, source: str) -> str:
    """nbconvert's Markdown rendering (math kept for MathJax, cell attachments as pictures),
    then :func:`clean`. Pictures are never read from disk."""
    cell = context.get("cell", {}) or {}
    attachments = cell.get("attachments", {})
    if not attachments and isinstance(source, str):
        return _cleaned_markdown(source)
    return clean(_markdown(attachments).render(source))


class SanitizeStudentContent(Preprocessor):
    """Clean ``text/html`` outputs and raw cells; drop every output type not in
    :data:`KEPT_OUTPUTS` (JavaScript, SVG, widgets, ...) and malformed pictures."""

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "raw":
            cell.source = clean(cell.source)
            cell.metadata.pop("raw_mimetype", None)
            cell.metadata.pop("format", None)
        if cell.cell_type != "code":
            return cell, resources
        for output in cell.get("outputs", []):
            if output.get("output_type") not in ("display_data", "execute_result"):
                continue
            data = output.get("data", {})
            for key in list(data):
                value = data[key]
                if key not in KEPT_OUTPUTS:
                    del data[key]
                elif key == "text/html":
                    data[key] = clean("".join(value) if isinstance(value, list) else value)
                elif key.startswith("image/") and not re.fullmatch(
                        r"[A-Za-z0-9+/=\s]*", value if isinstance(value, str) else ""):
                    del data[key]
            output["metadata"] = _safe_output_metadata(output.get("metadata", {}), data)
        return cell, resources


def _size(value) -> int | None:
    """A picture's width or height as templates may print it: a plain whole number, or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and 0 <= value <= 100_000:
        return value
    if isinstance(value, str) and value.strip().isdigit() and len(value.strip()) <= 6:
        return int(value.strip())
    return None


def _safe_output_metadata(metadata, data) -> dict:
    """The only output metadata a page is built from: each kept picture's ``width`` and
    ``height`` as whole numbers. nbconvert's templates print these values into ``<img>``
    attributes without quotes, so a "width" of ``1 onerror=...`` became a script handler;
    everything else (``isolated``: an iframe, ``unconfined``, ...) is dropped."""
    safe: dict = {}
    if not isinstance(metadata, dict):
        return safe
    for mime, entry in metadata.items():
        if mime not in data or not isinstance(entry, dict):
            continue
        sizes = {k: _size(entry.get(k)) for k in ("width", "height")}
        sizes = {k: v for k, v in sizes.items() if v is not None}
        if sizes:
            safe[mime] = sizes
    return safe


def with_csp(html: str) -> str:
    """``html`` (a whole page) with :data:`CSP_META` as the first element of its head, before
    any script, as browsers require for the policy to cover them."""
    if CSP_META in html:
        return html
    head = re.search(r"<head[^>]*>", html, re.IGNORECASE)
    if head is None:
        raise ValueError("html: expected a whole page with a <head> element, got none")
    return html[:head.end()] + "\n" + CSP_META + html[head.end():]


class CSPHTMLExporter(HTMLExporter):
    """nbconvert's HTML exporter with the cleaned Markdown filter, the content sanitizer and
    the Content-Security-Policy on the page (also when the config sets none of them)."""

    def default_filters(self):
        yield from super().default_filters()
        yield ("markdown2html", markdown2html)

    def from_notebook_node(self, nb, resources=None, **kw):
        nb, resources = SanitizeStudentContent().preprocess(nb, resources or {})
        output, resources = super().from_notebook_node(nb, resources, **kw)
        return with_csp(output), resources


def install(c) -> None:
    """Clean student content in every ``HTMLExporter`` of an nbgrader run (feedback and
    formgrader) and write feedback with :class:`dlgrade.feedback.CachedHTMLExporter` (a
    :class:`CSPHTMLExporter`); ``c`` is ``nbgrader_config.py``'s config or the grader's."""
    filters = dict(c.HTMLExporter.get("filters", {}) or {})
    filters["markdown2html"] = markdown2html
    c.HTMLExporter.filters = filters
    pre = list(c.HTMLExporter.get("preprocessors", []) or [])
    if SanitizeStudentContent not in pre:
        c.HTMLExporter.preprocessors = [*pre, SanitizeStudentContent]
    c.GenerateFeedback.exporter_class = "dlgrade.feedback.CachedHTMLExporter"
    # the formgrader's server (`jupyter server --config=nbgrader_config.py`): its pages' policy
    settings = dict(c.ServerApp.get("tornado_settings", {}) or {})
    settings["headers"] = dict(settings.get("headers", {}) or {},
                               **{"Content-Security-Policy": FORMGRADER_CSP})
    c.ServerApp.tornado_settings = settings
