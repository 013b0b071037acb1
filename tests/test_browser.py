"""The course site in a real browser (Debian's Chromium driven by Playwright).

Every page of the built site is opened once from a local web server; what the page
does is recorded (see ``visit``) and the tests below check it:

- no console errors, no uncaught page errors, no failed request (network error or
  HTTP status >= 400), and no request leaving 127.0.0.1 (such requests are aborted);
- MathJax finishes and typesets every formula: no raw ``$$``, ``\\(`` or ``\\[`` left
  in the visible text, no MathJax error;
- every image loads (``naturalWidth > 0``) and has a real alt text (not empty, not
  a file name);
- every link inside the site points to an existing file; the previous/next links
  follow the table of contents;
- axe-core finds no violation of impact "serious" or "critical", in the light and
  in the dark theme;
- searching for "sigmoid" lists the activations chapter; each lecture chapter's
  "Download notebook (.ipynb)" link returns a valid notebook.

Which pages: every ``.html`` file of the built site except the asset folders
(``_static``, ``_sources``, ``_images``, ``_notebooks``, ``mathjax``). ``genindex.html``
and ``search.html`` are real pages a reader can reach from every page, so they are
checked like the others. ``index.html`` is only a redirect to the root page: it is
checked for reaching its target without errors.

A full-page screenshot of every chapter and of the playground is saved under
``test-output/screenshots/`` (not committed) so a person can look at them.
"""

from __future__ import annotations

import html.parser
import json
import re
import urllib.parse
import urllib.request
from pathlib import Path

import nbformat
import pytest
import yaml
from browser_support import AXE_JS, OUTPUT, ROOT, PageWatch, site_pages

pytest_plugins = ["browser_support"]
pytestmark = [pytest.mark.browser, pytest.mark.slow]

SCREENSHOTS = OUTPUT / "screenshots"

#: axe-core rules switched off, each with the reason. Keep this empty unless a rule
#: cannot apply to this site; never switch a rule off to hide a real problem.
DISABLED_AXE_RULES: dict[str, str] = {}

#: Single theme elements excused from one axe rule, each with the reason: narrower than
#: switching the rule off, so the rule still checks everything else on every page.
#: Keys are (rule id, a class the element's start tag carries).
AXE_EXCUSED: dict[tuple[str, str], str] = {
    ("label-content-name-mismatch", "theme-switch-button"): (
        "the theme's light/dark button shows only Font Awesome icons, whose glyphs are "
        "private-use characters drawn by CSS; axe counts them as visible text that the "
        "name 'Color mode' does not contain. An icon is not a text label (WCAG 2.5.3 "
        "is about text labels), so this is a false positive"
    ),
}

#: The rules whose outcome depends on colours: the only ones re-run in the dark theme
#: (the structure of a page does not change with the theme; every rule runs in light).
THEME_RULES = ["color-contrast", "link-in-text-block"]

#: Impacts that fail the test.
FAILING_IMPACTS = ("serious", "critical")


# ---------------------------------------------------------------- which pages


def toc_documents() -> list[str]:
    """Documents in the order of ``_toc.yml`` (root first), as 'chapters/07_activations'."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    docs = [toc["root"]]

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                docs.append(entry["file"])
            walk(entry.get("sections"))

    for part in toc.get("parts", []):
        walk(part.get("chapters"))
    walk(toc.get("chapters"))
    return [
        str(Path(d).with_suffix("")) if Path(d).suffix in (".md", ".ipynb") else d for d in docs
    ]


def lecture_chapters() -> list[str]:
    """Documents of the table of contents' "The lecture" part (the numbered chapters)."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    for part in toc.get("parts", []):
        if part.get("caption") == "The lecture":
            return [entry["file"] for entry in part["chapters"]]
    return []


TOC_DOCS = toc_documents()
#: Pages every build has besides the table of contents' documents.
EXTRA_PAGES = ["genindex.html", "search.html", "playground/index.html"]
PAGES = [f"{doc}.html" for doc in TOC_DOCS] + EXTRA_PAGES
REDIRECT_PAGES = ["index.html"]
SCREENSHOT_PAGES = {f"{doc}.html" for doc in TOC_DOCS if doc.startswith("chapters/")} | {
    "playground/index.html"
}


# ---------------------------------------------------------------- one visit per page

_VISITS: dict[str, dict] = {}

WAIT_FOR_MATH = """
async () => {
  const formulas = document.querySelectorAll(".math, span.math, div.math").length;
  const hasMathJax = !!(window.MathJax && window.MathJax.startup && window.MathJax.startup.promise);
  if (hasMathJax) await window.MathJax.startup.promise;
  return {formulas, hasMathJax};
}
"""

MATH_REPORT = """
() => {
  const formulas = [...document.querySelectorAll(".math")];
  const untypeset = formulas.filter(el => !el.querySelector("mjx-container"))
    .map(el => el.textContent.slice(0, 80));
  const errors = [...document.querySelectorAll("mjx-merror")]
    .map(el => el.textContent.slice(0, 80));
  // Visible text outside code, scripts and typeset math.
  const skip = new Set(
    ["SCRIPT", "STYLE", "PRE", "CODE", "TEXTAREA", "MJX-CONTAINER", "NOSCRIPT"]);
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT, {
    acceptNode(node) {
      for (let el = node.parentElement; el; el = el.parentElement) {
        if (skip.has(el.tagName)) return NodeFilter.FILTER_REJECT;
      }
      return NodeFilter.FILTER_ACCEPT;
    },
  });
  const raw = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.textContent;
    for (const marker of ["$$", "\\\\(", "\\\\[", "\\\\begin{"]) {
      const at = text.indexOf(marker);
      if (at >= 0) raw.push(text.slice(Math.max(0, at - 30), at + 50));
    }
  }
  return {containers: document.querySelectorAll("mjx-container").length, untypeset, errors, raw};
}
"""

IMAGE_REPORT = """
async () => {
  const images = [...document.images];
  for (const img of images) img.loading = "eager";
  await Promise.all(images.map(img => img.complete ? null : new Promise(done => {
    img.addEventListener("load", done, {once: true});
    img.addEventListener("error", done, {once: true});
    setTimeout(done, 10000);
  })));
  return images.map(img => ({
    src: img.currentSrc || img.src, alt: img.getAttribute("alt"), width: img.naturalWidth,
  }));
}
"""

LINK_REPORT = """
() => ({
  all: [...document.querySelectorAll("a[href]")].map(a => a.href),
  prev: [...document.querySelectorAll(".prev-next-area a.left-prev")].map(a => a.href),
  next: [...document.querySelectorAll(".prev-next-area a.right-next")].map(a => a.href),
  sidebar: [...document.querySelectorAll("nav.bd-docs-nav a[href]")].map(a => a.href),
  notebooks: [...document.querySelectorAll("a[href$='.ipynb']")]
    .map(a => ({href: a.href, text: a.textContent.trim()})),
  sphinxPage: !!document.querySelector(".bd-article"),
})
"""

#: Code and printed output running past the text column at the 1280 px viewport: the theme
#: hides the scrollbar, so their ends look cut off (the site's CSS wraps long lines instead).
CLIPPED_CODE = """
() => [...document.querySelectorAll(".bd-article pre")]
  .filter(pre => pre.scrollWidth > pre.clientWidth + 1)
  .map(pre => pre.textContent.split("\\n").reduce((a, l) => l.length > a.length ? l : a, "")
    .slice(0, 80))
"""

RUN_AXE = """
async ([disabled, only]) => {
  const rules = {};
  for (const id of disabled) rules[id] = {enabled: false};
  const options = {resultTypes: ["violations"], rules};
  if (only) options.runOnly = {type: "rule", values: only.filter(id => !disabled.includes(id))};
  const result = await axe.run(document, options);
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => ({
      target: n.target.join(" "), html: n.html.slice(0, 300), summary: n.failureSummary,
    })),
  }));
}
"""

SET_DARK = """
async () => {
  document.documentElement.dataset.theme = "dark";
  document.documentElement.dataset.mode = "dark";
  await new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)));
  // Let colour transitions end, so axe measures the final colours.
  await Promise.all(document.getAnimations().map(a => a.finished.catch(() => null)));
  return getComputedStyle(document.body).backgroundColor;
}
"""


def visit(browser, base_url: str, page_path: str) -> dict:
    """Open one page and record everything the tests check (cached per page)."""
    if page_path in _VISITS:
        return _VISITS[page_path]
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    watch = PageWatch(page, base_url)
    url = base_url + page_path
    record: dict = {"url": url}
    try:
        page.goto(url, wait_until="load")
        record["math_start"] = page.evaluate(WAIT_FOR_MATH)
        page.wait_for_load_state("networkidle")
        record["math"] = page.evaluate(MATH_REPORT)
        record["images"] = page.evaluate(IMAGE_REPORT)
        record["links"] = page.evaluate(LINK_REPORT)
        record["clipped_code"] = page.evaluate(CLIPPED_CODE)
        if page_path in SCREENSHOT_PAGES:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            shot = SCREENSHOTS / (page_path.replace("/", "__").removesuffix(".html") + ".png")
            page.screenshot(path=str(shot), full_page=True)
            record["screenshot"] = shot
        page.add_script_tag(path=str(AXE_JS))
        record["axe_light"] = page.evaluate(RUN_AXE, [list(DISABLED_AXE_RULES), None])
        record["dark_background"] = page.evaluate(SET_DARK)
        record["axe_dark"] = page.evaluate(RUN_AXE, [list(DISABLED_AXE_RULES), THEME_RULES])
    finally:
        record["problems"] = watch.problems()
        context.close()
    _VISITS[page_path] = record
    return record


def local_file(site: Path, base_url: str, url: str) -> Path | None:
    """File of the built site that a same-site URL points to (None for other URLs)."""
    if not url.startswith(base_url):
        return None
    path = urllib.parse.unquote(urllib.parse.urlsplit(url).path).lstrip("/")
    target = site / path
    if path == "" or path.endswith("/"):
        target = target / "index.html"
    return target


def excused(rule: str, node: dict) -> bool:
    start_tag = node["html"].split(">", 1)[0]
    classes = re.search(r'class="([^"]*)"', start_tag)
    names = classes.group(1).split() if classes else []
    return any((rule, name) in AXE_EXCUSED for name in names)


def serious_violations(violations: list[dict]) -> list[dict]:
    """Violations of impact serious or critical, without the excused theme elements."""
    kept = []
    for v in violations:
        if v["impact"] not in FAILING_IMPACTS:
            continue
        nodes = [n for n in v["nodes"] if not excused(v["id"], n)]
        if nodes:
            kept.append({**v, "nodes": nodes})
    return kept


def describe_violations(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"{v['id']} ({v['impact']}): {v['help']}")
        for node in v["nodes"][:8]:
            lines.append(f"    {node['target']}: {node['summary']}".replace("\n", " "))
    return "\n".join(lines)


# ---------------------------------------------------------------- the site as a whole


def test_every_built_page_is_checked(site):
    built = set(site_pages(site))
    checked = set(PAGES) | set(REDIRECT_PAGES)
    assert built - checked == set(), "pages in the build that no browser test opens"
    assert checked - built == set(), "pages the tests expect but the build lacks"


@pytest.mark.parametrize("page_path", REDIRECT_PAGES)
def test_redirect_page_reaches_its_target(browser, base_url, site, page_path):
    html = (site / page_path).read_text(encoding="utf-8")
    match = re.search(r'http-equiv="Refresh" content="0; url=([^"]+)"', html, re.IGNORECASE)
    assert match, f"{page_path} is not a redirect page"
    target = urllib.parse.urljoin(base_url + page_path, match.group(1))
    assert local_file(site, base_url, target).exists()
    context = browser.new_context()
    page = context.new_page()
    watch = PageWatch(page, base_url)
    page.goto(base_url + page_path)
    page.wait_for_url(target)
    page.wait_for_load_state("networkidle")
    context.close()
    assert watch.problems() == {}


# ---------------------------------------------------------------- every page


@pytest.mark.parametrize("page_path", PAGES)
def test_page_loads_cleanly_and_offline(browser, base_url, page_path):
    record = visit(browser, base_url, page_path)
    assert record["problems"] == {}, json.dumps(record["problems"], indent=2)


@pytest.mark.parametrize("page_path", PAGES)
def test_math_is_typeset(browser, base_url, page_path):
    record = visit(browser, base_url, page_path)
    start, math = record["math_start"], record["math"]
    if start["formulas"]:
        assert start["hasMathJax"], f"{start['formulas']} formulas but MathJax did not load"
    assert math["untypeset"] == [], "formulas MathJax left as TeX"
    assert math["errors"] == [], "MathJax errors (bad TeX)"
    assert math["raw"] == [], "raw TeX visible in the text"
    assert math["containers"] >= start["formulas"]


@pytest.mark.parametrize("page_path", PAGES)
def test_images_load_and_have_alt_text(browser, base_url, page_path):
    record = visit(browser, base_url, page_path)
    broken = [img["src"] for img in record["images"] if img["width"] == 0]
    assert broken == [], "images that did not load"
    no_alt = [img["src"] for img in record["images"] if not (img["alt"] or "").strip()]
    assert no_alt == [], "images without alt text"
    file_name_alt = [
        img["alt"]
        for img in record["images"]
        if re.fullmatch(r"\S+\.(png|jpe?g|svg|gif|webp)", img["alt"].strip(), re.I)
    ]
    assert file_name_alt == [], "alt texts that are only a file name"


@pytest.mark.parametrize("page_path", PAGES)
def test_links_point_to_existing_pages(browser, base_url, site, page_path):
    record = visit(browser, base_url, page_path)
    links = record["links"]
    missing = sorted(
        {
            url
            for url in links["all"]
            if (target := local_file(site, base_url, url)) is not None and not target.exists()
        }
    )
    assert missing == [], "links to files the site does not have"
    if links["sphinxPage"]:
        sidebar_pages = {local_file(site, base_url, url) for url in links["sidebar"]}
        expected = {site / f"{doc}.html" for doc in TOC_DOCS}
        assert expected <= sidebar_pages, "the sidebar misses pages of the table of contents"


@pytest.mark.parametrize("page_path", PAGES)
def test_code_wraps_instead_of_being_cut_off(browser, base_url, page_path):
    record = visit(browser, base_url, page_path)
    assert record["clipped_code"] == [], "code lines wider than the column (cut off at 1280 px)"


@pytest.mark.parametrize("page_path", [f"{doc}.html" for doc in TOC_DOCS])
def test_previous_and_next_follow_the_table_of_contents(browser, base_url, site, page_path):
    record = visit(browser, base_url, page_path)
    links = record["links"]
    index = TOC_DOCS.index(page_path.removesuffix(".html"))
    prev_pages = [local_file(site, base_url, url) for url in links["prev"]]
    next_pages = [local_file(site, base_url, url) for url in links["next"]]
    expected_prev = [site / f"{TOC_DOCS[index - 1]}.html"] if index > 0 else []
    expected_next = [site / f"{TOC_DOCS[index + 1]}.html"] if index + 1 < len(TOC_DOCS) else []
    assert prev_pages == expected_prev
    assert next_pages == expected_next


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize("page_path", PAGES)
def test_no_serious_accessibility_violations(browser, base_url, page_path, theme):
    record = visit(browser, base_url, page_path)
    if theme == "dark":
        # The dark theme really applied: the page background is dark.
        rgb = [int(v) for v in re.findall(r"\d+", record["dark_background"])[:3]]
        assert sum(rgb) / 3 < 100, f"background {record['dark_background']} in dark mode"
    violations = serious_violations(record[f"axe_{theme}"])
    assert violations == [], "\n" + describe_violations(violations)


@pytest.mark.parametrize("page_path", sorted(SCREENSHOT_PAGES))
def test_screenshot_saved(browser, base_url, page_path):
    record = visit(browser, base_url, page_path)
    assert record["screenshot"].stat().st_size > 10_000


# ---------------------------------------------------------------- search and downloads


def test_search_for_sigmoid_lists_the_activations_chapter(browser, base_url):
    context = browser.new_context()
    page = context.new_page()
    watch = PageWatch(page, base_url)
    page.goto(base_url + "search.html?q=sigmoid")
    page.wait_for_function(
        """() => {
          const status = document.querySelector("#search-results .search-summary");
          return status && /finished|did not match/.test(status.textContent);
        }""",
        timeout=20_000,
    )
    hits = page.eval_on_selector_all(
        "#search-results ul.search li a", "links => links.map(a => a.href)"
    )
    context.close()
    assert any(
        urllib.parse.urlsplit(h).path.endswith("/chapters/07_activations.html") for h in hits
    ), hits
    assert watch.problems() == {}


@pytest.mark.parametrize(
    "doc", lecture_chapters() + [d for d in TOC_DOCS if d.startswith("exercises/")]
)
def test_chapter_offers_its_notebook(browser, base_url, site, doc):
    record = visit(browser, base_url, f"{doc}.html")
    notebooks = record["links"]["notebooks"]
    assert notebooks, f"{doc}.html has no link to a .ipynb file"
    for link in notebooks:
        with urllib.request.urlopen(link["href"], timeout=10) as response:
            assert response.status == 200
            text = response.read().decode("utf-8")
        nb = nbformat.reads(text, as_version=4)
        nbformat.validate(nb)
        assert any(cell.cell_type == "code" for cell in nb.cells), (
            f"{link['href']} has no code cell"
        )


# ---------------------------------------------------------------- links into the playground


class _Anchors(html.parser.HTMLParser):
    """The ``href`` of every ``<a>`` of a page, as written in its HTML."""

    def __init__(self):
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        href = dict(attrs).get("href")
        if tag == "a" and href:
            self.hrefs.append(href)


def written_links(site: Path, base_url: str, page_path: str) -> list[str]:
    """The page's links resolved against its URL, as written in the built file."""
    anchors = _Anchors()
    anchors.feed((site / page_path).read_text(encoding="utf-8"))
    return [urllib.parse.urljoin(base_url + page_path, href) for href in anchors.hrefs]


def test_every_link_to_the_playground_opens_a_valid_set_up(browser, base_url, site):
    """The ready set-ups linked from the pages use parameters the playground accepts."""
    links = set()
    for page_path in PAGES:
        # The chapters' and exercises' links are in their HTML, as Sphinx wrote them: read
        # there, so this test does not open every page in Chromium again on its worker (each
        # page's own tests share one visit). The extra pages' scripts write links (the
        # playground its own set-up), so they are opened.
        found = (written_links(site, base_url, page_path) if page_path not in EXTRA_PAGES
                 else visit(browser, base_url, page_path)["links"]["all"])
        for url in found:
            parts = urllib.parse.urlsplit(url)
            if parts.path.endswith("/playground/index.html") and parts.query:
                links.add(url.split("#")[0])
    assert links, "no page links to a playground set-up"
    context = browser.new_context()
    page = context.new_page()
    watch = PageWatch(page, base_url)
    wrong = {}
    for url in sorted(links):
        page.goto(url)
        page.wait_for_function("() => window.playground !== undefined")
        notice = page.inner_text("#notice")
        state = page.evaluate("() => playground.state")
        asked = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
        differs = {k: v for k, v in asked.items() if str(state.get(k)) != v and k != "batch"}
        if notice or differs:
            wrong[url] = notice or f"not restored: {differs}"
    context.close()
    assert wrong == {}
    assert watch.problems() == {}
