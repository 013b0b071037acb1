"""Take the README's screenshots of the built site with Debian's Chromium.

    python scripts/screenshots.py            # writes docs/images/playground.png and site.png
    python scripts/screenshots.py --site DIR # another built site (default _build/html)

The site must be built first (``make book``). The playground is shown after a
fixed number of training epochs (not after a fixed time), so the picture is
the same on every run and machine.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from browser_support import CHROMIUM, CHROMIUM_ARGS, serve  # noqa: E402

#: The playground set-up in the README: the lecture's XOR data, one hidden layer of 4 tanh units.
PLAYGROUND_QUERY = "?dataset=xor&n=400&layers=1&units=4&activation=tanh&lr=0.3&batch=10&seed=0"
PLAYGROUND_EPOCHS = 60
#: The chapter shown as an example of the site.
SITE_PAGE = "chapters/03_classification.html"


def take(site: Path, out: Path) -> list[Path]:
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    written = []
    with serve(site) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1080})

        page.goto(base + "playground/index.html" + PLAYGROUND_QUERY)
        page.wait_for_function("() => window.playground !== undefined")
        page.evaluate(f"() => playground.step({PLAYGROUND_EPOCHS})")
        written.append(out / "playground.png")
        page.screenshot(path=str(written[-1]))

        page.goto(base + SITE_PAGE)
        page.evaluate(
            "async () => { if (window.MathJax?.startup?.promise) await MathJax.startup.promise; }"
        )
        page.wait_for_load_state("networkidle")
        written.append(out / "site.png")
        page.screenshot(path=str(written[-1]))
        browser.close()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--site", type=Path, default=ROOT / "_build" / "html", help="built site folder"
    )
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images", help="output folder")
    args = parser.parse_args(argv)
    if not (args.site / "index.html").exists():
        parser.error(f"--site: {args.site} has no index.html; build the book first (make book)")
    for path in take(args.site, args.out):
        print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
