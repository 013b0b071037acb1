"""Sphinx extension: offer every chapter as a runnable Jupyter notebook.

The chapters are MyST Markdown notebooks. While the HTML builder writes a page
whose source is such a notebook (its front matter names a ``kernelspec``), this
extension converts the source with jupytext into ``<outdir>/_notebooks/<name>.ipynb``
and puts a visible "Download notebook (.ipynb)" link under the page title.

The notebook is made from the same source the build executes, without outputs,
so it runs top to bottom wherever the course package is installed. Beside the link
stands the one line that installs it: ``pip install <wheel>``, where the wheel is
the ``dlcourse`` package that ``make wheel`` builds into the site (linked too), so a
student needs no clone of the course. The introduction shows the same line.

Configuration (``sphinx: config:`` in ``_config.yml``):

``notebook_download_folder``
    Folder inside the HTML output that receives the notebooks (default ``_notebooks``).
``notebook_download_prefixes``
    Only documents whose name starts with one of these prefixes get a notebook
    (default ``["chapters/"]``).
``notebook_download_wheel_folder``
    Folder, relative to the book's root, holding the package wheel that the site
    publishes; it must be listed in ``html_extra_path``'s folders so that its path
    inside the site is the part after the first component (default
    ``_site_extra/dist``, published as ``dist/``).
``notebook_download_install_pages``
    Further pages (no notebook) that show the install line (default ``["intro"]``).
``notebook_download_exercise_prefixes``
    Documents whose source is an exercise notebook (``.ipynb``, default ``["exercises/"]``):
    the notebook is published as it is, unexecuted, in ``<folder>/exercises/``, with the
    same install line, the chapters that link the exercise, a word on the menu's order
    and a link to the page ``notebook_download_howto`` (default ``chapters/open_notebook``),
    which says how to open a downloaded notebook.

A chapter's code cells tagged ``remove-cell`` are left out of its notebook: they are the
checks that the text's claims match the computed numbers (hidden on the page too), and a
student who changes a number should see what happens, not a failing check.
"""

from __future__ import annotations

import ast
import html
import posixpath
import re
from pathlib import Path

import jupytext
import nbformat
from sphinx.util import logging

logger = logging.getLogger(__name__)

LINK_CLASS = "dlcourse-notebook-download"
INSTALL_CLASS = "dlcourse-install"


def notebook_name(docname: str) -> str:
    """File name of the notebook for ``docname`` (``chapters/07_x`` -> ``07_x.ipynb``)."""
    return posixpath.basename(docname) + ".ipynb"


DOC_ROLE = re.compile(r"\{doc\}`([^`]+)`")
DIRECTIVE = re.compile(
    r"^```\{([\w:-]+)\}[ \t]*([^\n]*)\n((?::[^\n]*\n)*)(.*?)^```[ \t]*$", flags=re.S | re.M
)


def _python_object_source(path: Path, name: str) -> str:
    """Source lines of the top-level function or class ``name`` in the file ``path``."""
    text = path.read_text(encoding="utf-8")
    for node in ast.parse(text).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name == name:
            start = min([node.lineno] + [d.lineno for d in node.decorator_list])
            return "\n".join(text.splitlines()[start - 1 : node.end_lineno])
    raise ValueError(f"{path} defines no top-level function or class {name!r}")


def plain_markdown(text: str, source: Path, docname: str = "", title_of=None) -> str:
    """Rewrite the MyST-only syntax of a Markdown cell into Markdown that Jupyter shows.

    * ``{doc}`target``` and ``{doc}`text <target>``` become the linked page's title
      (or the given text) in italics;
    * a ``{literalinclude}`` with ``:pyobject:`` becomes a fenced block holding that
      object's current source, read from the package file;
    * a ``{code-block} python`` becomes a plain fenced block (its options dropped);
    * any other directive (``{admonition}``, ``{note}``, ...) becomes a block quote
      headed by its title.
    """

    def doc(match):
        body = match.group(1)
        explicit = re.fullmatch(r"(.*?)\s*<([^>]+)>", body, flags=re.S)
        if explicit:
            return f"*{explicit.group(1).strip()}*"
        if body.startswith("/"):
            target = body.lstrip("/")
        else:
            target = posixpath.normpath(posixpath.join(posixpath.dirname(docname), body))
        title = title_of(target) if title_of else None
        return f"*{title or posixpath.basename(body)}*"

    def directive(match):
        kind, argument, options, body = match.groups()
        opts = dict(re.findall(r"^:([\w-]+):[ \t]*(.*)$", options, flags=re.M))
        if kind in ("code-block", "code"):
            return f"```{argument.strip()}\n{body.rstrip()}\n```"
        if kind != "literalinclude":
            title = argument.strip() or kind.capitalize()
            lines = [f"**{title}**", ""] + body.rstrip().splitlines()
            return "\n".join(f"> {line}".rstrip() for line in lines)
        included = (source.parent / argument.strip()).resolve()
        if "pyobject" in opts:
            code = _python_object_source(included, opts["pyobject"].strip())
        else:
            code = included.read_text(encoding="utf-8").rstrip()
        return f"```{opts.get('language', 'python').strip()}\n{code}\n```"

    return DOC_ROLE.sub(doc, DIRECTIVE.sub(directive, text))


def source_to_notebook(
    source: Path, docname: str = "", title_of=None
) -> nbformat.NotebookNode | None:
    """Read a MyST Markdown source with jupytext; return a clean notebook or None.

    Returns None when the page is not a notebook (no ``kernelspec`` in its front
    matter) or has no code cell, so plain text pages get no download. Markdown
    cells are passed through :func:`plain_markdown`: ``docname`` is the page's
    Sphinx name and ``title_of(docname)`` gives the title of a linked page.
    """
    if source.suffix != ".md":
        return None
    text = source.read_text(encoding="utf-8")
    if not text.startswith("---") or "kernelspec" not in text.split("\n---", 1)[0]:
        return None
    nb = jupytext.reads(text, fmt="md:myst")
    if not any(cell.cell_type == "code" for cell in nb.cells):
        return None
    # The pairing information only matters for the source file, not for the download.
    nb.metadata.pop("jupytext", None)
    # Cells hidden from the page (the build-time checks of the text's claims) stay out too.
    nb.cells = [c for c in nb.cells if "remove-cell" not in c.metadata.get("tags", [])]
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.setdefault("outputs", [])
            cell.setdefault("execution_count", None)
        elif cell.cell_type == "markdown":
            cell.source = plain_markdown(cell.source, source, docname, title_of)
    nbformat.validate(nb)
    return nb


def _write_notebook(app, pagename, templatename, context, doctree):
    if app.builder.format != "html" or doctree is None:
        return
    source = Path(app.env.doc2path(pagename))
    if pagename.startswith(tuple(app.config.notebook_download_exercise_prefixes)):
        if source.suffix == ".ipynb":
            _write_exercise(app, pagename, source, context)
        return
    prefixes = tuple(app.config.notebook_download_prefixes)
    if not pagename.startswith(prefixes):
        return

    def title_of(docname):
        title = app.env.titles.get(docname)
        return title.astext() if title is not None else None

    nb = source_to_notebook(source, pagename, title_of)
    if nb is None:
        return
    folder = app.config.notebook_download_folder
    target = Path(app.outdir) / folder / notebook_name(pagename)
    target.parent.mkdir(parents=True, exist_ok=True)
    text = nbformat.writes(nb)
    # Leave an identical file alone so a warm rebuild does not touch it.
    if not target.exists() or target.read_text(encoding="utf-8") != text:
        target.write_text(text, encoding="utf-8")

    href = posixpath.relpath(
        posixpath.join(folder, notebook_name(pagename)), posixpath.dirname(pagename) or "."
    )
    link = (
        f'<p class="{LINK_CLASS}"><a class="reference download" href="{html.escape(href)}" '
        f'download="{html.escape(notebook_name(pagename))}">'
        "Download notebook (.ipynb)</a> · run this page yourself with the course package "
        "installed.</p>\n"
    )
    _insert_under_title(context, link + install_line(app, pagename))


def chapters_linking(app, docname: str) -> list[str]:
    """Chapters (documents under ``chapters/``) whose source links ``docname`` with ``{doc}``,
    in the order of their names."""
    found = []
    for other in sorted(app.env.found_docs):
        if not other.startswith("chapters/"):
            continue
        path = Path(app.env.doc2path(other))
        if path.suffix != ".md":
            continue
        for body in DOC_ROLE.findall(path.read_text(encoding="utf-8")):
            target = re.sub(r"^.*<([^>]+)>$", r"\1", body, flags=re.S).strip()
            if not target.startswith("/"):
                target = posixpath.normpath(posixpath.join(posixpath.dirname(other), target))
            if target.lstrip("/") == docname:
                found.append(other)
                break
    return found


def _write_exercise(app, pagename, source: Path, context) -> None:
    """Publish the exercise notebook ``source`` and put its download box under the title."""
    folder = posixpath.join(app.config.notebook_download_folder, "exercises")
    target = Path(app.outdir) / folder / source.name
    target.parent.mkdir(parents=True, exist_ok=True)
    data = source.read_bytes()
    if not target.exists() or target.read_bytes() != data:
        target.write_bytes(data)
    here = posixpath.dirname(pagename) or "."
    href = posixpath.relpath(posixpath.join(folder, source.name), here)

    def page_link(doc):
        title = app.env.titles.get(doc)
        text = html.escape(title.astext() if title is not None else doc)
        href = html.escape(posixpath.relpath(doc, here))
        return f'<a class="reference internal" href="{href}.html">{text}</a>'

    chapters = chapters_linking(app, pagename)
    goes_with = ""
    if chapters:
        goes_with = (" It goes with the chapter" + ("s " if len(chapters) > 1 else " ")
                     + ", ".join(page_link(doc) for doc in chapters) + ".")
    howto = app.config.notebook_download_howto
    box = (
        f'<p class="{LINK_CLASS}"><a class="reference download" href="{html.escape(href)}" '
        f'download="{html.escape(source.name)}">Download the exercise notebook (.ipynb)</a>'
        f" and work in it on your computer ({page_link(howto)} says how).{goes_with} "
        "The menu lists the exercises in the order of the chapters they belong to, "
        "so some numbers come out of order (exercise 7 before exercise 4).</p>\n"
    )
    _insert_under_title(context, box + install_line(app, pagename))


def published_wheel(app) -> str | None:
    """Site path of the newest ``dlcourse`` wheel (``dist/dlcourse-0.1.0-py3-none-any.whl``),
    or None (with a warning) when none was built."""
    folder = Path(app.srcdir) / app.config.notebook_download_wheel_folder
    wheels = sorted(folder.glob("dlcourse-*.whl"), key=lambda p: p.stat().st_mtime)
    if not wheels:
        logger.warning(f"no dlcourse wheel in {folder}: run `make wheel` before the build "
                       "(the pages then show no install line)")
        return None
    inside_site = Path(app.config.notebook_download_wheel_folder).parts[1:]
    return posixpath.join(*inside_site, wheels[-1].name)


def install_line(app, pagename: str) -> str:
    """HTML of the install line: the wheel linked, and ``pip install <wheel>`` to copy."""
    if not hasattr(app, "dlcourse_wheel"):  # looked up once per build, not per page
        app.dlcourse_wheel = published_wheel(app)
    wheel = app.dlcourse_wheel
    if wheel is None:
        return ""
    href = html.escape(posixpath.relpath(wheel, posixpath.dirname(pagename) or "."))
    name = html.escape(posixpath.basename(wheel))
    return (
        f'<p class="{INSTALL_CLASS}">To run the notebooks on your computer, download the course '
        f'package <a class="reference download" href="{href}" download="{name}">{name}</a> '
        "and install it (Python 3.11 or newer) with the one line:</p>\n"
        f'<pre class="{INSTALL_CLASS}"><code>pip install {name}</code></pre>\n'
    )


def _install_page(app, pagename, templatename, context, doctree):
    if app.builder.format == "html" and doctree is not None and \
            pagename in app.config.notebook_download_install_pages:
        _insert_under_title(context, install_line(app, pagename))


def _insert_under_title(context, snippet: str) -> None:
    """Put ``snippet`` right under the page title (or first, when the page has none)."""
    body = context.get("body", "")
    end_of_title = body.find("</h1>")
    if end_of_title == -1:
        context["body"] = snippet + body
    else:
        cut = end_of_title + len("</h1>")
        context["body"] = body[:cut] + "\n" + snippet + body[cut:]


def setup(app):
    app.add_config_value("notebook_download_folder", "_notebooks", "html")
    app.add_config_value("notebook_download_prefixes", ["chapters/"], "html")
    app.add_config_value("notebook_download_wheel_folder", "_site_extra/dist", "html")
    app.add_config_value("notebook_download_install_pages", ["intro"], "html")
    app.add_config_value("notebook_download_exercise_prefixes", ["exercises/"], "html")
    app.add_config_value("notebook_download_howto", "chapters/open_notebook", "html")
    app.connect("html-page-context", _write_notebook)
    app.connect("html-page-context", _install_page)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1.0"}
