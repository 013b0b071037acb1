"""Shared parts of the browser tests: the built site, a local web server, Chromium.

The browser tests drive Debian's Chromium (``/usr/bin/chromium``) through PyPI's
Playwright; ``playwright install`` is never needed. The site is served from
``_build/html`` by ``python -m http.server`` on 127.0.0.1 and a free port.

Environment:

``DLCOURSE_BOOK_BUILT=1``
    Set by ``make test`` right after it built the site: use that build, and fail
    (instead of skipping) when Chromium is missing.
``DLCOURSE_SITE``
    Test another built site (a folder holding ``index.html``) instead of ``_build/html``.

The test modules load this file as a pytest plugin (``pytest_plugins``), so its
session fixtures (``site``, ``base_url``, ``browser``) exist once per test run.

It holds no assert statements (failures go through ``pytest.fail``), so pytest
need not rewrite it: PYTEST_DONT_REWRITE.

When ``_build/html`` is missing (and ``make test`` did not just build it), the
``site`` fixture builds it with ``jupyter-book build . -W -n --keep-going``.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from dlgrade.course import tools_env

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
OUTPUT = ROOT / "test-output"

#: Flags for a quiet, offline, headless Chromium (see the toolchain notes).
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]

#: Folders of the built site that hold assets, not pages.
NOT_PAGES = ("_static", "_sources", "_images", "_notebooks", "mathjax", "reports", ".doctrees")


def under_make_test() -> bool:
    return os.environ.get("DLCOURSE_BOOK_BUILT") == "1"


def site_dir() -> Path:
    return Path(os.environ.get("DLCOURSE_SITE", ROOT / "_build" / "html")).resolve()


def build_site() -> None:
    """Build the book into ``_build/html`` (warnings are errors)."""
    env = tools_env()
    env.setdefault("MPLBACKEND", "Agg")
    result = subprocess.run(
        ["jupyter-book", "build", ".", "-W", "-n", "--keep-going"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        pytest.fail(f"the book does not build:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}")


def ensure_site() -> Path:
    """The built site's folder, building the book first when it is missing."""
    site = site_dir()
    if not (site / "index.html").exists():
        if under_make_test() or "DLCOURSE_SITE" in os.environ:
            pytest.fail(f"{site / 'index.html'} is missing: the site was not built")
        build_site()
    return site


def site_pages(site: Path) -> list[str]:
    """Every HTML page of the built site, as paths relative to ``site`` (posix)."""
    pages = []
    for path in sorted(site.rglob("*.html")):
        rel = path.relative_to(site)
        if rel.parts[0] in NOT_PAGES:
            continue
        pages.append(rel.as_posix())
    return pages


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serve(folder: Path):
    """Serve ``folder`` on 127.0.0.1 with Python's http.server; yields the base URL."""
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "http.server",
            str(port),
            "--bind",
            "127.0.0.1",
            "--directory",
            str(folder),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen(base, timeout=2):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"http.server did not start on port {port}") from None
                time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def require_chromium() -> None:
    if CHROMIUM.exists():
        return
    message = f"{CHROMIUM} is missing: `apt-get install chromium` (make test does)"
    if under_make_test():
        pytest.fail(message)
    pytest.skip(message)


class PageWatch:
    """Collects what goes wrong while a page is open.

    ``console_errors``, ``page_errors``, ``failed_requests`` (network failures and
    HTTP status >= 400) and ``outside_requests`` (any http(s) request not to the
    local server; they are aborted, so the tests never reach the network).
    """

    def __init__(self, page, base_url: str):
        self.base_url = base_url
        self.console_errors: list[str] = []
        self.page_errors: list[str] = []
        self.failed_requests: list[str] = []
        self.outside_requests: list[str] = []
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.page_errors.append(str(error)))
        page.on("requestfailed", self._on_request_failed)
        page.on("response", self._on_response)
        page.route(self._is_outside, self._block)

    def _is_outside(self, url: str) -> bool:
        return url.startswith(("http:", "https:", "ws:", "wss:")) and not url.startswith(
            self.base_url
        )

    def _block(self, route):
        self.outside_requests.append(route.request.url)
        route.abort()

    def _on_console(self, message):
        if message.type == "error":
            location = message.location or {}
            self.console_errors.append(f"{message.text} ({location.get('url', '')})")

    def _on_request_failed(self, request):
        if request.url in self.outside_requests:
            return
        self.failed_requests.append(f"{request.url}: {request.failure}")

    def _on_response(self, response):
        if response.status >= 400:
            self.failed_requests.append(f"{response.url}: HTTP {response.status}")

    def problems(self) -> dict[str, list[str]]:
        return {
            name: values
            for name, values in (
                ("console errors", self.console_errors),
                ("page errors", self.page_errors),
                ("failed requests", self.failed_requests),
                ("requests leaving 127.0.0.1", self.outside_requests),
            )
            if values
        }


@pytest.fixture(scope="session")
def site() -> Path:
    """Folder of the built site (built first when missing)."""
    return ensure_site()


@pytest.fixture(scope="session")
def base_url(site):
    """URL of the built site served on 127.0.0.1 for the whole session."""
    with serve(site) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium, headless, launched once per test module.

    Not per session: Playwright's sync API keeps an asyncio loop marked as running in the main
    thread while it is open, and later modules (the sandbox tests) call ``asyncio.run``.
    """
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
