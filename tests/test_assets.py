"""The site's MathJax is a local copy: check what dlcourse.assets copies."""

import shutil

import pytest

from dlcourse import assets


def test_copy_mathjax_copies_the_lean_subset(tmp_path):
    source = assets.ROOT / "node_modules" / "mathjax"
    if not source.is_dir():
        pytest.skip("node_modules/mathjax missing: run `npm ci` (make install)")
    shutil.copytree(source, tmp_path / "node_modules" / "mathjax")
    target = assets.copy_mathjax(tmp_path)
    assert (target / "tex-mml-chtml.js").stat().st_size > 100_000
    assert any((target / "output" / "chtml" / "fonts" / "woff-v2").glob("*.woff"))
    assert (target / "LICENSE").exists()
    size = sum(p.stat().st_size for p in target.rglob("*") if p.is_file())
    assert size < 8_000_000, f"MathJax copy is {size / 1e6:.1f} MB, expected a lean subset"


def test_copy_mathjax_says_what_to_do_when_npm_did_not_run(tmp_path):
    with pytest.raises(FileNotFoundError, match="npm ci"):
        assets.copy_mathjax(tmp_path)
