"""dlgrade.worker's pure part: the short reason a failed autograde run gets in grades.csv.

The worker's grading steps run real nbgrader in tests/test_grading.py (slow)."""

import pytest

from dlgrade.worker import classify_failure


@pytest.mark.parametrize("log, reason", [
    ("nbclient.exceptions.DeadKernelError: Kernel died", "the kernel died"),
    ("Traceback ...\nKernel died before replying to kernel_info", "the kernel died"),
    ("UnresponsiveKernelError: could not interrupt the kernel", "ignored the interrupt"),
    ("nbformat.reader.NotJSONError: Notebook does not appear to be JSON", "not valid JSON"),
    ("MemoryError", "ran out of memory"),
    ("[AutogradeApp | ERROR] Inconsistent checksums for cell test_f", "tampered with"),
])
def test_known_failures_get_a_plain_reason(log, reason):
    assert reason in classify_failure(log)


def test_a_timeout_names_the_limit_and_the_cell():
    log = ("nbclient.exceptions.CellTimeoutError: A cell timed out while it was being executed, "
           "after 10 seconds.\nHere is a preview of the cell contents:\n-------------------\n"
           "while True: pass\n-------------------\n")
    reason = classify_failure(log)
    assert reason.startswith("timed out after 10 s")
    assert "'while True: pass'" in reason


def test_an_unknown_failure_keeps_its_last_line():
    last = classify_failure("some context\n  ValueError: odd thing  \n\n")
    # its message, without Python's wording (issue 23: no traceback text in a status)
    assert last == ("the grader stopped with an internal error: odd thing (details in the "
                    "grading log)")
    assert classify_failure("a\nnot an exception line") == "not an exception line"
    assert classify_failure("") == "nbgrader failed without a message"
    assert len(classify_failure("x" * 1000)) == 200
