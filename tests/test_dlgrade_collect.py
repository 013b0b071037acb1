"""dlgrade.collect.match_file: which student a file in an LMS download belongs to.

Whole downloads (zip and folder) through the command line in tests/test_cli.py."""

from pathlib import Path

import pytest

from dlgrade.collect import match_file

ROOT = Path("/downloads")


@pytest.mark.parametrize("rel, student", [
    ("alice_tiny.ipynb", "alice"),                 # flat LMS name
    ("sub/bob-tiny.ipynb", "bob"),                 # dash as separator, in a folder
    ("carol/tiny.ipynb", "carol"),                 # folder per student
    ("dave/tiny/tiny.ipynb", "dave"),              # nbgrader's own layout
    ("tiny.ipynb", None),                          # nobody named
    ("erin_other.ipynb", None),                    # another assignment
    ("frank_tiny.ipynb.bak", None),
])
def test_match_file(rel, student):
    assert match_file(ROOT / rel, ROOT, "tiny") == student
