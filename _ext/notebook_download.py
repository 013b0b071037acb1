"""Sphinx extension: offer every chapter as a runnable Jupyter notebook.

The chapters are MyST Markdown notebooks. While the HTML builder writes a page
whose source is such a notebook (its front matter names a ``kernelspec``), this
extension converts the source with jupytext into ``<outdir>/_notebooks/<name>.ipynb``
and puts a visible "Download notebook (.ipynb)" link at the top of the page body.

The notebook is made from the same source the build executes, without outputs,
so it runs top to bottom wherever the course package is installed.

Configuration (``sphinx: config:`` in ``_config.yml``):

``notebook_download_folder``
    Folder inside the HTML output that receives the notebooks (default ``_notebooks``).
``notebook_download_prefixes``
    Only documents whose name starts with one of these prefixes get a notebook
    (default ``["chapters/"]``).
"""

from __future__ import annotations

import html
import posixpath
from pathlib import Path

import jupytext
import nbformat
from sphinx.util import logging

logger = logging.getLogger(__name__)

LINK_CLASS = "dlcourse-notebook-download"


def notebook_name(docname: str) -> str:
    """File name of the notebook for ``docname`` (``chapters/07_x`` -> ``07_x.ipynb``)."""
    return posixpath.basename(docname) + ".ipynb"


def source_to_notebook(source: Path) -> nbformat.NotebookNode | None:
    """Read a MyST Markdown source with jupytext; return a clean notebook or None.

    Returns None when the page is not a notebook (no ``kernelspec`` in its front
    matter) or has no code cell, so plain text pages get no download.
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
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.setdefault("outputs", [])
            cell.setdefault("execution_count", None)
    nbformat.validate(nb)
    return nb


def _write_notebook(app, pagename, templatename, context, doctree):
    if app.builder.format != "html" or doctree is None:
        return
    prefixes = tuple(app.config.notebook_download_prefixes)
    if not pagename.startswith(prefixes):
        return
    source = Path(app.env.doc2path(pagename))
    nb = source_to_notebook(source)
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
    context["body"] = link + context.get("body", "")


def setup(app):
    app.add_config_value("notebook_download_folder", "_notebooks", "html")
    app.add_config_value("notebook_download_prefixes", ["chapters/"], "html")
    app.connect("html-page-context", _write_notebook)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1.0"}
