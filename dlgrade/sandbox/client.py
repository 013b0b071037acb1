"""A kernel client whose start-up handshake ends with a short IOPub drain.

It is also bounded (:class:`dlgrade.kernel_channels.BoundedKernelClient`): message size, parts
and queue limited on every channel, a dropped connection seen at once.

jupyter_client's ``wait_for_ready`` ends by draining IOPub until 0.2 s pass without a
message: a fixed 0.2 s per kernel. Messages of a finished kernel_info exchange are already
queued when the reply arrives: the drain here ends as soon as the ``idle`` status of the
last ``kernel_info`` request sent is read (the last message of the handshake), or after a
20 ms quiet period when that status never comes; replies are matched to requests by
``msg_id`` afterwards anyway.
"""

from __future__ import annotations

import time
from queue import Empty

from jupyter_client.utils import ensure_async
from traitlets import Float

from ..kernel_channels import BoundedKernelClient


class SandboxKernelClient(BoundedKernelClient):
    """The bounded AsyncKernelClient with a configurable IOPub drain after ``kernel_info``."""

    iopub_drain = Float(0.02, config=True, help="Quiet period (s) that ends the IOPub drain.")

    async def wait_for_ready(self, timeout: float | None = None) -> None:
        abs_timeout = time.time() + (float("inf") if timeout is None else timeout)
        sent = set()
        while True:
            request = self.kernel_info()  # the last request sent: its idle status ends the drain
            sent.add(request)
            try:
                msg = await ensure_async(self.shell_channel.get_msg(timeout=1))
            except Empty:
                pass
            else:
                if msg["msg_type"] == "kernel_info_reply":
                    try:  # IOPub connected? kernel_info's busy/idle must show up there
                        first = await ensure_async(self.iopub_channel.get_msg(timeout=0.2))
                    except Empty:
                        pass
                    else:
                        self._handle_kernel_info_reply(msg)
                        break
            if not await self._async_is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.time() > abs_timeout:
                raise RuntimeError(f"Kernel didn't respond in {timeout:.0f} seconds")
        # IOPub delivers only what is published after the subscription took: when the first
        # message is not about one of our requests (ipykernel's ``iopub_welcome`` on a new
        # subscription), the statuses of the requests sent so far may have gone before it.
        # One more request, sent now, is certain to show its idle status.
        if first.get("parent_header", {}).get("msg_id") not in sent:
            request = self.kernel_info()
        # the kernel handles requests in order, so once the idle status of the last request
        # sent is read (a slow start may have answered an earlier try), every IOPub message of
        # this handshake was read too
        while not _idle_after(first, request):
            try:
                first = await ensure_async(self.iopub_channel.get_msg(timeout=self.iopub_drain))
            except Empty:
                break


def _idle_after(message: dict, request: str | None) -> bool:
    """Whether IOPub ``message`` is the ``idle`` status that ends request ``request``."""
    return (request is not None and message.get("msg_type") == "status"
            and message.get("content", {}).get("execution_state") == "idle"
            and message.get("parent_header", {}).get("msg_id") == request)
