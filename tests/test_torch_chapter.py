"""The PyTorch code of the tools chapter runs and learns the XOR data (when torch is installed).

The book shows this code without running it (PyTorch is an optional extra), so this test is
what keeps it correct. The code is read out of chapters/10_tools.md, so the page and the test
cannot drift apart.
"""

import re
from pathlib import Path

import pytest

CHAPTER = Path(__file__).resolve().parents[1] / "chapters" / "10_tools.md"


def torch_example_code(text: str) -> str:
    """The body of the ``{code-block} python`` directive named ``torch-example``."""
    blocks = re.finditer(
        r"```\{code-block\} python\n((?::[^\n]*\n)*)\n?(.*?)\n```", text, flags=re.S
    )
    for match in blocks:
        if ":name: torch-example" in match.group(1):
            return match.group(2)
    raise AssertionError(f"{CHAPTER.name} has no code block named torch-example")


def test_chapter_has_the_torch_example():
    code = torch_example_code(CHAPTER.read_text(encoding="utf-8"))
    assert "import torch" in code and "loss.backward()" in code
    compile(code, "torch-example", "exec")  # valid Python even where torch is missing


@pytest.mark.torch
def test_torch_example_runs_and_learns_xor(capsys):
    pytest.importorskip("torch")
    namespace = {}
    exec(
        compile(torch_example_code(CHAPTER.read_text(encoding="utf-8")), "torch-example", "exec"),
        namespace,
    )
    assert 0.9 <= namespace["accuracy"] <= 1.0, (
        f"PyTorch reached only {namespace['accuracy']:.3f} on XOR"
    )
    assert "PyTorch test accuracy" in capsys.readouterr().out
