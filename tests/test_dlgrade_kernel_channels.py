"""dlgrade.kernel_channels and dlgrade.grader_memory against a real kernel (no nbgrader).

The kernel sends its client what a hostile notebook would: a message of many parts, one part
over the size bound, the issue's 560 parts pointing at one 8 MB buffer. The client must refuse
each with a plain reason, keep the mark, and (under the grading process's memory cap, here in
a forked child) never hold more than the cap.
"""

from __future__ import annotations

import multiprocessing
import time
from queue import Empty

import pytest
from jupyter_client.manager import KernelManager

from dlgrade import grader_memory, kernel_channels
from dlgrade.kernel_channels import GradingStopped
from dlgrade.worker import classify_failure

SEND = """
from ipykernel.kernelapp import IPKernelApp
_k = IPKernelApp.instance().kernel
_view = memoryview(bytearray({size}))
_k.session.send(_k.iopub_socket, "stream", {{"name": "stdout", "text": "hi"}},
                parent=_k.get_parent("shell"), buffers=[_view] * {parts})
print("sent")
"""


def _kernel():
    km = KernelManager(kernel_name="python3",
                       client_class="dlgrade.kernel_channels.BoundedBlockingKernelClient")
    km.start_kernel()
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(60)
    return km, kc


def _read_outputs(kc, code: str, seconds: float = 20.0) -> list:
    """Run ``code``; the IOPub messages of the cell until it is idle (or GradingStopped)."""
    msg_id = kc.execute(code)
    got, end = [], time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            msg = kc.get_iopub_msg(timeout=0.5)
        except Empty:
            continue
        got.append(msg)
        if msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "status" \
                and msg["content"]["execution_state"] == "idle":
            return got
    raise AssertionError("the cell did not end")


@pytest.fixture
def kernel():
    km, kc = _kernel()
    yield km, kc
    kc.stop_channels()
    km.shutdown_kernel(now=True)


def test_an_honest_message_with_a_few_buffers_passes(kernel):
    _, kc = kernel
    got = _read_outputs(kc, SEND.format(size=1000, parts=3))
    assert [len(m["buffers"]) for m in got if m["msg_type"] == "stream"] == [3, 0]
    assert kc.broken is None


def test_a_message_of_many_parts_is_refused_and_the_mark_stays(kernel):
    _, kc = kernel
    with pytest.raises(GradingStopped, match=r"message of 106 parts \(at most 16"):
        _read_outputs(kc, SEND.format(size=1000, parts=100))
    assert "106 parts" in kc.broken
    with pytest.raises(GradingStopped, match="106 parts"):  # swallowed once, raised again
        kc.check_links()


def test_a_part_over_the_size_bound_drops_the_connection_and_says_so(monkeypatch):
    monkeypatch.setenv("DLCOURSE_KERNEL_MAX_MESSAGE", "1M")
    km, kc = _kernel()
    try:
        with pytest.raises(GradingStopped, match="broke its output .IOPub. connection.*over 1 MB"):
            _read_outputs(kc, SEND.format(size=2 << 20, parts=1))
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def test_a_dead_kernel_is_not_called_a_broken_channel(kernel):
    km, kc = kernel
    kc.execute("import os; os._exit(0)")
    end = time.monotonic() + 20
    while km.is_alive() and time.monotonic() < end:
        time.sleep(0.1)
    time.sleep(0.5)
    assert kc.iopub_channel.link_dropped()
    kc.check_links(alive=lambda: False)  # nbclient reports the dead kernel, not this module
    with pytest.raises(GradingStopped, match="broke its"):
        kc.check_links(alive=lambda: True)


def _receive_under_cap(conn, cap: int) -> None:
    grader_memory.cap_memory(cap)
    grader_memory.reset_peak()
    km, kc = _kernel()
    try:
        _read_outputs(kc, SEND.format(size=8 << 20, parts=560), seconds=60)
        outcome = "received"
    except GradingStopped as stopped:
        outcome = str(stopped)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    conn.send((outcome, grader_memory.peak_mb()))


@pytest.mark.slow
def test_the_issues_560_parts_stay_under_the_memory_cap():
    """560 parts of one 8 MB buffer (4.4 GB) against a process capped at 512 MB more than it
    holds: ZeroMQ's allocation fails, it drops the connection, the client says so; the
    process's peak resident memory (ru_maxrss) stays under the cap."""
    ctx = multiprocessing.get_context("fork")
    mine, theirs = ctx.Pipe()
    proc = ctx.Process(target=_receive_under_cap, args=(theirs, 512 << 20))
    proc.start()
    assert mine.poll(120), "the capped process did not answer"
    outcome, peak = mine.recv()
    proc.join(30)
    assert proc.exitcode == 0
    assert "broke its output (IOPub) connection" in outcome, outcome
    assert peak < 512 + 400, peak  # MB: the cap plus what a Python process with numpy holds


def test_settings_are_checked(monkeypatch):
    monkeypatch.setenv("DLCOURSE_KERNEL_QUEUE", "lots")
    with pytest.raises(ValueError, match="DLCOURSE_KERNEL_QUEUE"):
        kernel_channels.receive_queue()
    monkeypatch.setenv("DLCOURSE_KERNEL_MAX_MESSAGE", "-3M")
    with pytest.raises(ValueError, match="DLCOURSE_KERNEL_MAX_MESSAGE"):
        kernel_channels.max_frame_bytes()
    monkeypatch.setenv("DLCOURSE_GRADER_MEMORY", "none")
    assert grader_memory.allowance() is None
    monkeypatch.setenv("DLCOURSE_GRADER_MEMORY", "512M")
    assert grader_memory.allowance() == 512 << 20
    monkeypatch.delenv("DLCOURSE_KERNEL_MAX_MESSAGE")
    assert kernel_channels.max_frame_bytes() == kernel_channels.DEFAULT_MAX_FRAME


def test_the_reason_of_a_stopped_notebook_is_the_status_reason():
    log = ("Traceback (most recent call last):\n  ...\n"
           "dlgrade.kernel_channels.GradingStopped: the kernel stopped answering: cell "
           "test_a timed out (...); the 3 code cell(s) after it were not run\n"
           "nbclient.exceptions.DeadKernelError: Kernel died\n")
    assert classify_failure(log).startswith("the kernel stopped answering: cell test_a")
    assert "ran out of memory" in classify_failure("MemoryError")


def test_install_keeps_a_bounded_client_and_replaces_a_plain_one():
    from traitlets.config import Config

    c = Config()
    c.AsyncKernelManager.client_class = "dlgrade.sandbox.client.SandboxKernelClient"
    kernel_channels.install(c)
    assert c.AsyncKernelManager.client_class == "dlgrade.sandbox.client.SandboxKernelClient"
    c.AsyncKernelManager.client_class = "jupyter_client.asynchronous.AsyncKernelClient"
    kernel_channels.install(c)
    assert c.AsyncKernelManager.client_class == kernel_channels.CLIENT


def test_a_send_that_cannot_go_out_stops_the_notebook_instead_of_waiting():
    """Review 21i, finding 1: a kernel that stopped taking messages (here: nobody reads the
    shell socket, so its queue fills) held a blocking send for good. The send now waits at most
    the client's ``send_seconds`` and stops with a plain reason; the mark stays. Run in a thread
    that is given 30 s, so a send without a bound fails this test instead of hanging it."""
    import socket
    import threading

    ports = []
    for _ in range(5):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            ports.append(s.getsockname()[1])
    kc = kernel_channels.BoundedBlockingKernelClient()
    kc.load_connection_info({"ip": "127.0.0.1", "transport": "tcp", "key": "k",
                             "signature_scheme": "hmac-sha256", "shell_port": ports[0],
                             "iopub_port": ports[1], "stdin_port": ports[2],
                             "control_port": ports[3], "hb_port": ports[4]})
    kc.start_channels(shell=True, iopub=False, stdin=False, hb=False, control=False)
    kc.send_seconds = 0.5
    caught = []

    def flood():
        try:
            for _ in range(100_000):  # far over the socket's queue (1000 messages)
                kc.execute("pass")
        except GradingStopped as error:
            caught.append(error)

    thread = threading.Thread(target=flood, daemon=True)
    thread.start()
    thread.join(30)
    try:
        assert not thread.is_alive(), "a send to a kernel that takes nothing never returned"
        assert caught, "every send went out: the queue never filled"
        reason = str(caught[0])
        assert "stopped taking messages from the grader" in reason, reason
        assert "shell connection" in reason and "0.5 s" in reason, reason
        assert kc.broken == reason
        with pytest.raises(GradingStopped, match="stopped taking messages"):
            kc.check_links()
    finally:
        if not thread.is_alive():
            kc.stop_channels()
