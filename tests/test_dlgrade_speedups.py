"""dlgrade.speedups: nbgrader's repeated work done once, with the same results."""

from __future__ import annotations

import subprocess
import sys

import pytest

CHECK = """
import jsonschema
from nbformat.v4 import new_code_cell
from nbgrader.nbgraderformat import MetadataValidator

calls = []
check = jsonschema.validators.Draft4Validator.check_schema.__func__
jsonschema.validators.Draft4Validator.check_schema = classmethod(
    lambda cls, schema, **kw: (calls.append(1), check(cls, schema, **kw))[1])
good = new_code_cell("x = 1", metadata={"nbgrader": {
    "grade": True, "solution": False, "locked": True, "grade_id": "t1", "points": 2,
    "schema_version": 3}})
bad = [new_code_cell("x = 1", metadata={"nbgrader": dict(good.metadata.nbgrader, **change)})
       for change in ({"points": "two"}, {"grade_id": 5}, {"extra_key": 1, "locked": "yes"})]


def outcomes():
    out = []
    for cell in [good, *bad] * 3:
        try:
            MetadataValidator().validate_cell(cell)  # a new validator each time, as nbgrader
            out.append("ok")
        except jsonschema.ValidationError as exc:
            out.append(f"{type(exc).__name__}: {exc.message} at {list(exc.path)}")
    return out


plain = outcomes()
plain_checks = len(calls)
from dlgrade.speedups import share_metadata_validators
share_metadata_validators()
share_metadata_validators()  # twice: still one layer
calls.clear()
shared = outcomes()
print(shared == plain, plain_checks, len(calls), plain[:2])
"""


@pytest.mark.slow  # a fresh interpreter loads nbgrader
def test_shared_metadata_validators_judge_every_cell_the_same_and_check_once():
    """Run in a fresh interpreter: the sharing patches nbgrader for the whole process."""
    done = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True,
                          check=True)
    same, plain_checks, shared_checks, first = done.stdout.split(" ", 3)
    assert same == "True", done.stdout
    assert int(plain_checks) == 12 and int(shared_checks) == 1, done.stdout
    assert "'ok'" in first and "ValidationError" in first, done.stdout
