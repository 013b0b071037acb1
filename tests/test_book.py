"""The website: it builds, every chapter has a page, figures, math and a notebook download, and
no page loads anything from outside the site.

By default the book is built from clean in a temporary copy of the repository (about a minute).
``make test`` builds the site first and sets ``DLCOURSE_BOOK_BUILT=1``; the tests then check that
build in ``_build/html`` instead of building again.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote, urlparse

import nbformat
import pytest
import yaml
from bs4 import BeautifulSoup

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
#: Folders never copied into the temporary book (environment, generated output, VCS).
SKIP = {".venv", "node_modules", "_build", ".git", ".pytest_cache", ".ruff_cache", "__pycache__"}
NOTEBOOK_FOLDER = "_notebooks"
#: Notebooks executed top to bottom by the test (cheap ones; the build runs them all anyway).
EXECUTE = ["07_activations", "09_backpropagation"]


def _copy_sources(dst: Path) -> None:
    shutil.copytree(
        ROOT,
        dst,
        ignore=lambda folder, names: [n for n in names if n in SKIP or n.endswith(".egg-info")],
        symlinks=True,
    )
    # MathJax is copied out of node_modules at build time (`python -m dlcourse.assets`).
    if (ROOT / "node_modules").is_dir():
        (dst / "node_modules").symlink_to(ROOT / "node_modules")


def build_book(src: Path) -> subprocess.CompletedProcess:
    """Run the CI's build command in ``src`` (the venv first on PATH); return the process."""
    env = dict(
        os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", PYTHONHASHSEED="0"
    )
    subprocess.run(
        [sys.executable, "-m", "dlcourse.assets"], cwd=src, env=env, check=True, capture_output=True
    )
    return subprocess.run(
        [str(BIN / "jupyter-book"), "build", ".", "-W", "-n", "--keep-going"],
        cwd=src,
        env=env,
        capture_output=True,
        text=True,
    )


@pytest.fixture(scope="module")
def book(tmp_path_factory) -> Path:
    """Root of a built book (the folder holding ``_toc.yml`` and ``_build/html``)."""
    if os.environ.get("DLCOURSE_BOOK_BUILT") == "1":
        if not (ROOT / "_build" / "html" / "index.html").is_file():
            pytest.fail(
                "DLCOURSE_BOOK_BUILT=1 but _build/html/index.html is missing: run `make book`"
            )
        return ROOT
    src = tmp_path_factory.mktemp("book") / "src"
    _copy_sources(src)
    proc = build_book(src)
    assert proc.returncode == 0, "jupyter-book build -W -n --keep-going failed from clean:\n" + (
        proc.stdout[-4000:] + proc.stderr[-4000:]
    )
    return src


@pytest.fixture(scope="module")
def site(book) -> Path:
    return book / "_build" / "html"


def toc_files(root: Path = ROOT) -> list[str]:
    """Every document named in _toc.yml (root first), as paths without suffix."""
    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    files = [toc["root"]]

    def walk(node):
        if isinstance(node, dict):
            if "file" in node:
                files.append(node["file"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(toc.get("parts", toc.get("chapters", [])))
    return files


def lecture_chapters(root: Path = ROOT) -> list[str]:
    """The numbered lecture chapters (the first part of the table of contents)."""
    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    numbered = [part for part in toc["parts"] if part.get("numbered")]
    return [entry["file"] for part in numbered for entry in part["chapters"]]


def notebook_chapters(root: Path = ROOT) -> list[str]:
    """Pages under chapters/ written as MyST notebooks (a kernelspec in the front matter)."""
    out = []
    for doc in toc_files(root):
        source = root / f"{doc}.md"
        if doc.startswith("chapters/") and source.is_file():
            text = source.read_text(encoding="utf-8")
            if text.startswith("---") and "kernelspec" in text.split("\n---", 1)[0]:
                out.append(doc)
    return out


def page(site: Path, doc: str) -> BeautifulSoup:
    return BeautifulSoup((site / f"{doc}.html").read_text(encoding="utf-8"), "html.parser")


def has_math(source: str) -> bool:
    """True when MyST source holds LaTeX math ($...$, $$...$$ or a math directive)."""
    without_code = re.sub(r"```.*?```", "", source, flags=re.S)
    without_code = re.sub(r"`[^`\n]*`", "", without_code)
    return bool(re.search(r"\$[^$\n]+\$|\{math\}|\\begin\{", without_code))


def resolve(site: Path, doc: str, url: str) -> Path:
    """File inside the site that the relative ``url`` on page ``doc`` points to."""
    path = unquote(urlparse(url).path)
    return (site / doc).parent.joinpath(path).resolve()


def test_build_reports_no_failed_notebook(site):
    reports = site / "reports"
    failed = (
        sorted(p.relative_to(reports).as_posix() for p in reports.rglob("*.err.log"))
        if reports.is_dir()
        else []
    )
    assert failed == [], (
        f"notebooks failed during the build, tracebacks in _build/html/reports: {failed}"
    )


def test_every_toc_entry_has_a_page(site):
    missing = [doc for doc in toc_files() if not (site / f"{doc}.html").is_file()]
    assert missing == [], f"documents listed in _toc.yml without a built page: {missing}"


@pytest.mark.parametrize("doc", lecture_chapters())
def test_lecture_chapter_is_an_executed_notebook_with_a_figure(site, doc):
    assert doc in notebook_chapters(), (
        f"{doc}.md is not a MyST notebook (no kernelspec front matter)"
    )
    soup = page(site, doc)
    images = [img for img in soup.select("main img, article img") if img.get("src")]
    assert images, f"{doc}: the page shows no figure"
    for img in images:
        target = resolve(site, doc, img["src"])
        assert target.is_file() and target.stat().st_size > 0, (
            f"{doc}: image {img['src']} is missing"
        )
    described = [img for img in images if img.get("alt") or img.find_parent("figure")]
    assert described, f"{doc}: no figure has alt text or a caption"


@pytest.mark.parametrize("doc", toc_files())
def test_pages_with_math_render_it_with_the_local_mathjax(site, doc):
    source = next(
        (ROOT / f"{doc}{s}" for s in (".md", ".ipynb") if (ROOT / f"{doc}{s}").is_file()), None
    )
    if source is None or not has_math(source.read_text(encoding="utf-8")):
        pytest.skip("no math in this page's source")
    soup = page(site, doc)
    assert soup.select(".math"), f"{doc}: the source has math but the page has no math markup"
    mathjax = [s["src"] for s in soup.find_all("script", src=True) if "tex-mml-chtml" in s["src"]]
    assert mathjax, f"{doc}: math on the page but no MathJax script"
    for src in mathjax:
        assert not urlparse(src).scheme, f"{doc}: MathJax comes from outside the site: {src}"
        assert resolve(site, doc, src).is_file(), f"{doc}: MathJax script {src} is not in the site"


def test_no_page_loads_scripts_or_stylesheets_from_outside(site):
    offenders = []
    for html in sorted(site.rglob("*.html")):
        soup = BeautifulSoup(html.read_text(encoding="utf-8", errors="replace"), "html.parser")
        for tag in soup.find_all("script", src=True):
            if re.match(r"(https?:)?//", tag["src"]):
                offenders.append(f"{html.relative_to(site)}: script {tag['src']}")
        for tag in soup.find_all("link", href=True):
            rel = " ".join(tag.get("rel", []))
            if ("stylesheet" in rel or "preload" in rel) and re.match(r"(https?:)?//", tag["href"]):
                offenders.append(f"{html.relative_to(site)}: {rel} {tag['href']}")
    assert offenders == [], "pages load from outside the site:\n" + "\n".join(offenders[:20])


def test_no_stylesheet_fetches_fonts_or_css_from_outside(site):
    offenders = []
    for css in sorted((site / "_static").rglob("*.css")):
        text = css.read_text(encoding="utf-8", errors="replace")
        for match in re.finditer(
            r"(@import\s+(url\()?|url\()\s*['\"]?((https?:)?//[^'\")\s]+)", text
        ):
            offenders.append(f"{css.relative_to(site)}: {match.group(3)}")
    assert offenders == [], "stylesheets fetch from outside the site:\n" + "\n".join(offenders[:20])


@pytest.mark.parametrize("doc", notebook_chapters())
def test_chapter_offers_its_notebook(site, doc):
    name = Path(doc).name + ".ipynb"
    soup = page(site, doc)
    links = [
        a for a in soup.find_all("a", href=True) if a["href"].endswith(f"{NOTEBOOK_FOLDER}/{name}")
    ]
    assert links, f"{doc}: no 'Download notebook (.ipynb)' link on the page"
    assert "Download notebook" in links[0].get_text()
    target = resolve(site, doc, links[0]["href"])
    assert target == (site / NOTEBOOK_FOLDER / name).resolve() and target.is_file(), (
        f"{doc}: the download link points to {links[0]['href']}, which is not in the site"
    )
    nb = nbformat.read(target, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code, f"{doc}: the notebook has no code cell"
    # Same code as the chapter source.
    source = (ROOT / f"{doc}.md").read_text(encoding="utf-8")
    for cell in code:
        assert cell.source.strip().splitlines()[-1] in source
    # Jupyter does not know MyST roles and directives: the text cells were turned into Markdown.
    for cell in (c for c in nb.cells if c.cell_type == "markdown"):
        assert "{doc}`" not in cell.source, f"{doc}: a {{doc}} role was left in the notebook"
        assert not re.search(r"^```\{", cell.source, flags=re.M), (
            f"{doc}: a MyST directive was left in the notebook"
        )


@pytest.mark.parametrize("name", EXECUTE)
def test_downloaded_notebook_runs_top_to_bottom(site, tmp_path, monkeypatch, name):
    from nbclient import NotebookClient

    # As in Jupyter: figures inline (make exports MPLBACKEND=Agg for scripts, which hides them).
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")

    path = site / NOTEBOOK_FOLDER / f"{name}.ipynb"
    if not path.is_file():
        pytest.fail(f"{path.relative_to(site)} was not produced by the build")
    nb = nbformat.read(path, as_version=4)
    # Run it in an empty folder, as a student who downloaded it would.
    NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert any("image/png" in o.get("data", {}) for o in outputs), (
        f"{name}: the notebook drew no figure"
    )


@pytest.mark.parametrize("doc", notebook_chapters())
def test_markdown_printed_by_cells_is_rendered(site, doc):
    """Result tables that cells print as Markdown appear as tables, not as raw pipes."""
    raw = [
        p.get_text()[:80]
        for p in page(site, doc).select(".cell_output p")
        if "|---" in p.get_text()
    ]
    assert raw == [], f"{doc}: Markdown output shown as raw text: {raw}"


def exercise_pages(root: Path = ROOT) -> list[str]:
    """Exercise notebooks listed in _toc.yml, in the menu's order."""
    return [doc for doc in toc_files(root) if doc.startswith("exercises/")]


@pytest.mark.parametrize("doc", exercise_pages())
def test_exercise_page_offers_its_notebook_and_the_install_line(site, doc):
    name = Path(doc).name + ".ipynb"
    soup = page(site, doc)
    links = [a for a in soup.find_all("a", href=True) if a["href"].endswith(f"exercises/{name}")
             and NOTEBOOK_FOLDER in a["href"]]
    assert links, f"{doc}: no download link for the exercise notebook"
    target = resolve(site, doc, links[0]["href"])
    assert target.is_file(), f"{doc}: the link points to {links[0]['href']}, not in the site"
    # The student gets the released notebook itself, unexecuted and unchanged.
    assert target.read_bytes() == (ROOT / f"{doc}.ipynb").read_bytes()
    text = str(soup)
    wheels = re.findall(r"<code>pip install (dlcourse-[\w.]+-py3-none-any\.whl)</code>", text)
    assert wheels, f"{doc}: no `pip install dlcourse-*.whl` line"
    assert (site / "dist" / wheels[0]).is_file(), f"{doc}: the install line names a missing wheel"
    howto = [a for a in soup.select("p.dlcourse-notebook-download a[href]")
             if a["href"].endswith("open_notebook.html")]
    assert howto and resolve(site, doc, howto[0]["href"]).is_file(), (
        f"{doc}: no link to the page on opening a downloaded notebook")


def test_exercise_pages_say_the_order_of_the_menu_truly():
    """The download box says the menu lists exercise 7 before exercise 4: so it must."""
    numbers = [int(Path(doc).name.split("_")[0]) for doc in exercise_pages()]
    assert numbers.index(7) < numbers.index(4), numbers
    source = (ROOT / "_ext" / "notebook_download.py").read_text(encoding="utf-8")
    assert "exercise 7 before exercise 4" in source


def test_every_exercise_is_linked_at_the_end_of_a_chapter():
    """A chapter with an exercise ends with a section "Exercise" that links it, and every
    exercise of the menu is linked so by at least one chapter."""
    linked = set()
    for doc in notebook_chapters():
        text = (ROOT / f"{doc}.md").read_text(encoding="utf-8")
        sections = re.split(r"^## ", text, flags=re.M)
        last = sections[-1]
        targets = re.findall(r"\{doc\}`(?:[^`<]*<)?\.\./(exercises/[^`>]+)>?`", last)
        if re.search(r"\{doc\}`[^`]*exercises/", "".join(sections[:-1])):
            assert last.startswith("Exercise"), (
                f"{doc}: mentions an exercise but does not end with a section 'Exercise'")
        if last.startswith("Exercise"):
            assert targets or "no exercise" in last.lower(), f"{doc}: 'Exercise' links none"
        linked.update(targets)
    assert set(exercise_pages()) <= linked, sorted(set(exercise_pages()) - linked)


def test_downloaded_chapters_leave_the_claim_checks_out(site):
    """The hidden claim cells check the text at build time; a student who changes a number
    in the downloaded notebook should see what happens, not a failing check."""
    notebooks = sorted((site / NOTEBOOK_FOLDER).glob("*.ipynb"))
    assert notebooks
    with_checks = [nb_path.name for nb_path in notebooks
                   if any("remove-cell" in c.metadata.get("tags", [])
                          for c in nbformat.read(nb_path, as_version=4).cells)]
    assert with_checks == []
    # ... while the chapter sources do have them (see tests/test_claims.py).
    assert "remove-cell" in (ROOT / "chapters" / "07_activations.md").read_text(encoding="utf-8")
