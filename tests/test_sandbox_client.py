"""dlgrade.sandbox.client.SandboxKernelClient's start-up handshake against a real kernel."""

from __future__ import annotations

import asyncio
from queue import Empty

from jupyter_client.manager import AsyncKernelManager

from dlgrade.sandbox.client import SandboxKernelClient, _idle_after


def test_idle_after_matches_only_the_idle_status_of_the_request():
    idle = {"msg_type": "status", "content": {"execution_state": "idle"},
            "parent_header": {"msg_id": "a"}}
    assert _idle_after(idle, "a")
    assert not _idle_after(idle, "b")
    assert not _idle_after(idle, None)
    assert not _idle_after(dict(idle, content={"execution_state": "busy"}), "a")
    assert not _idle_after(dict(idle, msg_type="stream"), "a")


def test_the_handshake_ends_at_the_idle_status_and_leaves_nothing_of_it_queued():
    async def run():
        km = AsyncKernelManager(kernel_name="python3")
        km.client_class = "dlgrade.sandbox.client.SandboxKernelClient"
        await km.start_kernel()
        kc = km.client(iopub_drain=120.0)  # a quiet period far longer than the bound below
        assert isinstance(kc, SandboxKernelClient)
        kc.start_channels()
        try:
            # ends at kernel_info's idle status, not after the 120 s quiet period
            await asyncio.wait_for(kc.wait_for_ready(timeout=60), timeout=90)
            try:  # every message of the handshake was read
                left = await kc.get_iopub_msg(timeout=1.0)
            except Empty:
                left = None
            assert left is None, (left["msg_type"], left["content"], left["parent_header"])
            msg_id = kc.execute("print(6 * 7)")
            texts = []
            while True:
                msg = await kc.get_iopub_msg(timeout=30)
                assert msg["parent_header"].get("msg_id") == msg_id  # nothing stale before it
                if msg["msg_type"] == "stream":
                    texts.append(msg["content"]["text"])
                if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                    break
            assert "".join(texts) == "42\n"
        finally:
            kc.stop_channels()
            await km.shutdown_kernel(now=True)

    asyncio.run(run())
