"""The guide's section "A term with dlcourse" and ``scripts/term_demo.py`` agree (review 23d,
P6): every file the section's commands read from beside the course (``../NAME``) is one the
script builds, and the students the section's output names are the demo roster's.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from dlgrade.course import tools_env

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "chapters" / "instructors.md"

pytestmark = pytest.mark.slow


def _section_7() -> str:
    text = GUIDE.read_text(encoding="utf-8")
    start = text.index("## 7. A term with dlcourse")
    return text[start:text.index("\n## ", start + 1)]


def _console_lines(section: str) -> list[str]:
    """The lines of the section's console blocks run in the demo course: a block whose
    paragraph says it comes from another course (a scratch course of a test) is left out."""
    lines, prose_from = [], 0
    for block in re.finditer(r"```console\n(.*?)```", section, flags=re.S):
        paragraph = section[prose_from:block.start()].strip().rsplit("\n\n", 1)[-1]
        prose_from = block.end()
        if "scratch course" in paragraph or "tests/test_" in paragraph:
            continue
        lines += block.group(1).splitlines()
    return lines


def test_the_guides_term_reads_only_files_the_demo_builds(tmp_path):
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import term_demo
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    lines = _console_lines(_section_7())
    read = {name for line in lines if line.startswith("$ dlcourse")
            for name in re.findall(r"\.\./([\w.-]+)", line)}
    written = {name for line in lines if line.startswith("$ dlcourse")
               for name in re.findall(r"-o \.\./([\w.-]+)", line)}
    assert read - written, lines  # the parse found the section's downloads
    assert read - written <= set(term_demo.DOWNLOADS), read - written - set(term_demo.DOWNLOADS)

    proc = subprocess.run([sys.executable, str(ROOT / "scripts/term_demo.py"), "setup",
                           str(tmp_path / "demo")], env=tools_env(), capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    missing = sorted(n for n in read - written if not (tmp_path / "demo" / n).is_file())
    assert not missing, f"the guide reads {missing}, which term_demo.py does not build"

    roster = (tmp_path / "demo/roster.csv").read_text(encoding="utf-8")
    logins = {row.split(",")[-3] for row in roster.splitlines()[2:]}
    assert logins == {"mgarcia", "sobrien", "anguyen"}, logins
    named = {name.strip() for line in lines
             for group in re.findall(r"(?:need manual grading|not graded yet) \(([^)]*)\)",
                                     line)
             for name in group.split(",") if name.strip()}
    assert named and named <= logins, named - logins
