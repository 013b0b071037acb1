"""Copy the browser-side assets the site ships into the book's source tree.

The site must work with no network, so MathJax (for the formulas) is served from
inside ``_build/html`` instead of a CDN. ``npm ci`` puts the pinned package into
``node_modules/``; this module copies the lean subset a page needs into
``_site_extra/mathjax/``; ``_config.yml`` lists ``_site_extra`` under
``html_extra_path``, so the files land in ``_build/html/mathjax/``.

Run it as ``python -m dlcourse.assets`` (``make book`` does).
"""

from __future__ import annotations

import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: Paths inside ``node_modules/mathjax/es5`` that a page rendering TeX needs.
MATHJAX_PARTS = (
    "tex-mml-chtml.js",
    "output/chtml/fonts/woff-v2",
    "input/tex/extensions",
    "ui",
    "a11y",
)


def copy_mathjax(root: Path = ROOT) -> Path:
    """Copy the MathJax subset into ``root / "_site_extra/mathjax"`` and return it.

    Raises
    ------
    FileNotFoundError
        If ``npm ci`` has not installed MathJax into ``node_modules``.
    """
    source = root / "node_modules" / "mathjax" / "es5"
    if not source.is_dir():
        raise FileNotFoundError(f"{source} is missing: run `npm ci` (make install) first")
    target = root / "_site_extra" / "mathjax"
    if target.exists():
        shutil.rmtree(target)
    for part in MATHJAX_PARTS:
        src = source / part
        if not src.exists():
            continue
        dst = target / part
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, dst)
        else:
            shutil.copy2(src, dst)
    shutil.copy2(root / "node_modules" / "mathjax" / "LICENSE", target / "LICENSE")
    return target


if __name__ == "__main__":
    print(f"MathJax copied to {copy_mathjax()}")
