"""Repository hygiene that CI should catch: pinned dependencies, the two README commands."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _requirement_lines():
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            yield line


def test_every_requirement_is_pinned_and_the_package_comes_last():
    lines = list(_requirement_lines())
    assert lines[-1] == "-e .[grading]", (
        "requirements.txt must end with '-e .[grading]' so both packages and the grading "
        "tool's extra are installed")
    pinned = re.compile(r"[A-Za-z0-9_.\-\[\]]+==[\w.+!]+")
    unpinned = [line for line in lines[:-1] if not pinned.fullmatch(line)]
    assert not unpinned, f"unpinned requirements (use ==): {unpinned}"


def test_torch_stays_an_optional_extra():
    names = {line.split("==")[0].lower() for line in _requirement_lines()}
    assert "torch" not in names, "torch must not be a core requirement (multi-GB download)"


def test_reading_a_notebook_does_not_build_an_iri_grammar():
    """Every dlcourse command and nbgrader step imports nbformat, which imports jsonschema;
    jsonschema 4.24+ imports rfc3987-syntax when it is installed, which compiles 38 Lark
    grammars at import (about 0.9 s of CPU per process). The pins keep it out: jsonschema
    4.23.0, whose format extras do not name it."""
    import subprocess
    import sys

    code = ("import sys, nbformat\n"
            "print(sorted(m for m in ('rfc3987_syntax', 'lark') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", (
        f"importing nbformat loaded {out.stdout.strip()}: a dependency brought rfc3987-syntax "
        "back (jsonschema >= 4.24's format-nongpl extra); pin jsonschema==4.23.0 or drop it")


def test_readme_starts_with_the_two_make_commands():
    text = (ROOT / "README.md").read_text()
    first_block = re.search(r"```bash\n(.*?)```", text, re.S)
    assert first_block, "README.md must open with a bash block holding the two commands"
    commands = [ln.split("#")[0].strip() for ln in first_block.group(1).splitlines() if ln.strip()]
    assert commands == ["make book", "make test"]


def test_ci_runs_the_readme_test_command():
    assert "make test" in (ROOT / ".ci" / "run").read_text()


@pytest.mark.parametrize("target", ["book", "test"])
def test_makefile_defines_the_two_targets(target):
    assert re.search(rf"^{target}:", (ROOT / "Makefile").read_text(), re.M)
