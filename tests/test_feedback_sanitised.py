"""Pages built from a hostile submission run none of its script, in real Chromium (issue 21,
item 2): the feedback page of ``dlcourse grade``, the class report, and the formgrader's
rendering of the autograded notebook with the project's nbgrader_config.py.

The submission (the tiny assignment, solved) carries script in every form a notebook can:
Markdown with ``<img src=x onerror=...>`` and ``<details ontoggle=...>``, ``display(HTML(
"<script>..."))``, ``display(Javascript(...))``, an SVG with ``onload``, an iframe with
``srcdoc``, a Markdown output with an ``onerror``. Each would set a ``window.__pwned_*``
flag. As a control, the same autograded notebook rendered by stock nbgrader's feedback
exporter does set flags in the same browser: the check can fail.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import nbformat
import pytest

from tests.submissions.crafted import dlcourse, make_course, make_variant, project_config

pytest_plugins = ["browser_support"]
pytestmark = [pytest.mark.slow, pytest.mark.browser]

MARKDOWN_ATTACK = ('Here is my answer <img src=x onerror="window.__pwned_md=1"> and '
                   '<details open ontoggle="window.__pwned_toggle=1">x</details>.')
CODE_ATTACK = """\
from IPython.display import HTML, SVG, Javascript, Markdown, display
display(HTML("<b>bold</b><script>window.__pwned_html=1</script>"
             "<img src=x onerror='window.__pwned_html_img=1'>"))
display(Javascript("window.__pwned_js=1"))
display(SVG('<svg xmlns="http://www.w3.org/2000/svg" onload="window.__pwned_svg=1">'
            '<script>window.__pwned_svg_script=1</script><circle r="5"/></svg>'))
display(HTML('<iframe srcdoc="<script>parent.__pwned_iframe=1</script>"></iframe>'))
display(Markdown("<img src=x onerror='window.__pwned_md_output=1'>"))
"""
FLAGS_JS = "Object.keys(window).filter(k => k.startsWith('__pwned'))"


def _hostile_notebook(course: Path) -> str:
    release = course / "exercises" / "tiny" / "tiny.ipynb"
    source = course / "solutions" / "tiny" / "tiny.ipynb"
    nb = nbformat.reads(make_variant("correct", release, source), as_version=4)
    nb.cells.insert(1, nbformat.v4.new_markdown_cell(MARKDOWN_ATTACK))
    nb.cells.append(nbformat.v4.new_code_cell(CODE_ATTACK))
    return nbformat.writes(nb)


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    course = make_course(tmp_path_factory.mktemp("sanitised") / "course",
                         extra_config=project_config())
    env = {"DLCOURSE_SANDBOX_MEMORY": "1G"}
    dlcourse("release", cwd=course, env=env)
    for student in ("hostile", "honest"):
        path = course / "submitted" / student / "tiny" / "tiny.ipynb"
        path.parent.mkdir(parents=True)
        path.write_text(_hostile_notebook(course) if student == "hostile" else
                        make_variant("correct", course / "exercises/tiny/tiny.ipynb",
                                     course / "solutions/tiny/tiny.ipynb"))
    dlcourse("grade", "tiny", "--no-progress", cwd=course, env=env)
    out = course / "grading" / "tiny"
    status = json.loads((out / "status" / "hostile.json").read_text())
    autograded = course / "autograded" / "hostile" / "tiny" / "tiny.ipynb"
    return {"course": course, "status": status, "autograded": autograded,
            "feedback": out / "feedback" / "hostile.html", "report": out / "report.html",
            "honest": out / "feedback" / "honest.html",
            "formgrade": _formgrade_page(course, autograded, tmp_path_factory.mktemp("fg")),
            "stock": _stock_feedback_page(autograded, tmp_path_factory.mktemp("stock"))}


def _formgrade_page(course: Path, notebook: Path, folder: Path) -> Path:
    """The autograded notebook as the formgrader renders it: nbgrader_config.py loaded as its
    extension loads it, its template, its ``HTMLExporter(config=...)``."""
    from nbconvert.exporters import HTMLExporter
    from nbgrader.apps import NbGrader
    from nbgrader.server_extensions.formgrader import handlers
    from traitlets.config import Config

    cwd = os.getcwd()
    os.chdir(course)
    try:
        app = NbGrader()
        app.load_config_file()
        config = Config(app.config)
    finally:
        os.chdir(cwd)
    config.HTMLExporter.template_name = "formgrade"
    config.HTMLExporter.extra_template_basedirs = [handlers.template_path]
    resources = {"assignment_id": "tiny", "notebook_id": "tiny", "submission_id": "x",
                 "index": 0, "total": 1, "base_url": "", "student": "hostile",
                 "last_name": None, "first_name": None, "notebook_path": "tiny.ipynb"}
    html, _ = HTMLExporter(config=config).from_filename(str(notebook), resources=resources)
    page = folder / "formgrade.html"
    page.write_text(html)
    return page


def _stock_feedback_page(notebook: Path, folder: Path) -> Path:
    """The same notebook through stock nbgrader's feedback exporter (the control)."""
    from nbconvert.exporters import HTMLExporter
    from nbgrader.server_extensions.formgrader import handlers
    from traitlets.config import Config

    config = Config()
    config.HTMLExporter.template_name = "feedback"
    config.HTMLExporter.extra_template_basedirs = [handlers.template_path]
    css = Path(handlers.__file__).parent / "static/node_modules/bootstrap/dist/css"
    config.HTMLExporter.extra_template_paths = [str(css)]  # as GenerateFeedback sets it
    nb = nbformat.read(str(notebook), as_version=4)
    for cell in nb.cells:  # what nbgrader's GetGrades adds from the gradebook
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade"):
            meta["score"] = meta.get("points", 0)
    html, _ = HTMLExporter(config=config).from_notebook_node(
        nb, resources={"nbgrader": {"notebook": "tiny", "score": 5.0, "max_score": 5.0,
                                    "late_penalty": 0.0}})
    page = folder / "stock.html"
    page.write_text(html)
    return page


@pytest.fixture(scope="module")
def opened(browser, pages):
    """Each page opened from disk in Chromium (network requests blocked): the flags set, the
    visible text, and the page's markup."""

    def visit(path: Path) -> dict:
        context = browser.new_context()
        context.route("http*://**", lambda route: route.abort())
        page = context.new_page()
        page.goto(path.as_uri())
        page.wait_for_timeout(1500)  # onerror, ontoggle and onload fire after parsing
        frames = [f.evaluate(FLAGS_JS) for f in page.frames if f != page.main_frame]
        handlers = page.evaluate(
            "[...document.querySelectorAll('.cell, .cell *')].filter(e => [...e.attributes]"
            ".some(a => a.name.startsWith('on'))).length")
        seen = {"flags": page.evaluate(FLAGS_JS), "frame_flags": frames, "handlers": handlers,
                "text": page.inner_text("body"), "html": page.content()}
        context.close()
        return seen

    return {name: visit(pages[name]) for name in ("feedback", "report", "honest",
                                                  "formgrade", "stock")}


def test_the_hostile_submission_was_graded_and_got_its_page(pages):
    assert pages["status"]["status"] == "graded" and pages["status"]["score"] == 5.0
    assert pages["feedback"].is_file()


def test_the_control_shows_the_attacks_run_in_a_stock_page(opened):
    # (its JavaScript output needs jQuery, absent offline: that one fails on its own)
    assert {"__pwned_md", "__pwned_toggle", "__pwned_html"} <= set(opened["stock"]["flags"])


@pytest.mark.parametrize("name", ["feedback", "report", "honest", "formgrade"])
def test_no_script_from_the_submission_runs(opened, name):
    assert opened[name]["flags"] == [], opened[name]["flags"]
    assert all(f == [] for f in opened[name]["frame_flags"])


@pytest.mark.parametrize("name", ["feedback", "report", "honest"])
def test_generated_pages_carry_a_strict_content_security_policy(pages, name):
    from dlgrade.html_safety import CSP_META, NO_SCRIPT_CSP_META

    text = pages[name].read_text()
    head = text[:text.index("<script") if "<script" in text else len(text)]
    meta = NO_SCRIPT_CSP_META if name == "report" else CSP_META
    assert meta in head
    policy = dict(p.strip().split(" ", 1) for p in meta.split('content="')[1].rstrip('">')
                  .split(";"))
    assert policy["default-src"] == "'none'"
    assert "unsafe" not in policy.get("script-src", "") and "data:" not in \
        policy.get("script-src", "")


@pytest.mark.parametrize("name", ["feedback", "formgrade"])
def test_the_content_is_kept_and_only_the_script_goes(opened, name):
    seen = opened[name]
    assert "Here is my answer" in seen["text"]  # the Markdown cell, its handlers stripped
    assert "<script>window.__pwned_html=1</script>" in seen["text"]  # shown as text
    assert seen["handlers"] == 0  # no on* attribute inside the notebook's cells


def test_honest_content_keeps_its_formatting(opened):
    html = opened["honest"]["html"]
    assert "<code>sigmoid(t)</code>" in html and "Write" in opened["honest"]["text"]
