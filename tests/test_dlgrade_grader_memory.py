"""dlgrade.grader_memory without a kernel: the allowance read from DLCOURSE_GRADER_MEMORY, and
the cap set in a child process (never in the test's own), which stops an allocation past it
and never raises a lower cap already in force. (With a real kernel:
tests/test_dlgrade_kernel_channels.py.)"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from dlgrade.grader_memory import DEFAULT_ALLOWANCE, allowance, cap_memory


def test_the_allowance_comes_from_the_environment():
    assert allowance({}) == 2 << 30 and DEFAULT_ALLOWANCE == "2G"
    assert allowance({"DLCOURSE_GRADER_MEMORY": " 512M "}) == 512 << 20
    for off in ("none", "OFF", "0"):
        assert allowance({"DLCOURSE_GRADER_MEMORY": off}) is None
    assert cap_memory(None) is None  # switched off: nothing is set
    with pytest.raises(ValueError, match="DLCOURSE_GRADER_MEMORY: expected a size like 512M"):
        allowance({"DLCOURSE_GRADER_MEMORY": "lots"})


CHILD = textwrap.dedent("""
    import resource
    from dlgrade.grader_memory import address_space, cap_memory

    cap = cap_memory(256 << 20)
    assert abs(cap - (address_space() + (256 << 20))) < (64 << 20), cap
    try:
        blob = bytearray(512 << 20)
    except MemoryError:
        print("refused", end=" ")
    lower = cap - (32 << 20)
    resource.setrlimit(resource.RLIMIT_AS, (lower, resource.RLIM_INFINITY))
    print("kept" if cap_memory(1 << 30) == lower else "raised")
""")


def test_the_cap_stops_an_allocation_past_it_and_never_rises():
    out = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "refused kept"
