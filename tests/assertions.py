"""Assertion helpers shared by the test modules of the exercise checks."""

import pytest


def fails_with(call, *fragments):
    """Run ``call``; it must raise AssertionError whose message holds every fragment. Returns it."""
    with pytest.raises(AssertionError) as info:
        call()
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, message
    return message
