"""The grading side's channels to a student's kernel: bounded, and watched for a broken link.

Everything the grading process reads from a kernel (nbclient's shell, IOPub, stdin and control
channels, and the judge's own client, :class:`dlgrade.judge_channel.Channel`) comes through the
clients of this module. A kernel runs the student's code, so each message is untrusted:

* **a part (frame) over** :func:`max_frame_bytes` is refused by ZeroMQ itself
  (``zmq.MAXMSGSIZE``, checked before anything is allocated): it drops the connection;
* **at most** :func:`receive_queue` **messages wait** in each socket (``zmq.RCVHWM``);
* **a message of more than** :data:`MAX_FRAMES` **parts**, or larger in all than
  :func:`max_frame_bytes`, is taken apart one frame at a time without copying and thrown away
  (the Jupyter protocol uses 6 or 7 parts here: no message the grader reads has buffers);
* **a send that cannot go out** (a kernel whose end of the connection stopped reading, e.g.
  after it wrote junk over its own sockets) waits at most the client's
  :attr:`BoundedClientMixin.send_seconds` (``zmq.SNDTIMEO``), then stops the notebook: a
  blocking send has no time limit of its own, and nbgrader waited there for good (review 21i,
  finding 1). nbclient's own sends (asyncio) are never awaited, so they cannot hold it; its
  wait for the reply is bounded by the cell timeout;
* **a dropped connection** (what ZeroMQ does with an oversized part, with bytes that are not a
  ZeroMQ message, e.g. a kernel writing to every descriptor, and with a message it cannot
  allocate under the grading process's memory cap) is seen at once through a socket monitor.

ZeroMQ assembles a multi-part message whole before handing over its first part and has no
limit on the number of parts, so what bounds such a message in memory is the grading
process's own cap (:mod:`dlgrade.worker`, ``DLCOURSE_GRADER_MEMORY``): past it the allocation
fails inside ZeroMQ, which drops the connection, and the monitor sees that.

Any of these marks the client :attr:`BoundedClientMixin.broken` and raises
:class:`GradingStopped` with a plain reason; the mark stays, so a test that swallows the
exception cannot hide it: :class:`dlgrade.judge.JudgedExecute` checks it after every cell and
stops the notebook, which fails that one student (never the batch).

Settings (environment of the grading process): ``DLCOURSE_KERNEL_MAX_MESSAGE`` (bytes or with
K/M/G, default :data:`DEFAULT_MAX_FRAME`), ``DLCOURSE_KERNEL_QUEUE`` (messages, default 32).
"""

from __future__ import annotations

import asyncio
import os
from queue import Empty

import zmq
import zmq.asyncio
from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.blocking import BlockingKernelClient
from jupyter_client.channels import AsyncZMQSocketChannel, HBChannel, ZMQSocketChannel
from traitlets.utils.importstring import import_item

from .judge_wire import MAX_MESSAGE
from .sandbox.policy import parse_size

#: Largest part of a message: the judge's largest reply (``MAX_MESSAGE`` characters, quoted
#: twice on its way through an execute_reply) and a little room.
DEFAULT_MAX_FRAME = 2 * MAX_MESSAGE + (1 << 20)
#: Parts a message may have: routing/topic, delimiter, signature, header, parent header,
#: metadata, content, and a few buffers.
MAX_FRAMES = 16
DEFAULT_QUEUE = 32
#: Seconds a send to a kernel may wait for room when the client sets no budget of its own.
DEFAULT_SEND_SECONDS = 60.0


class GradingStopped(Exception):
    """The kernel broke a bound of its channels or stopped answering: the notebook cannot be
    graded. ``str()`` is the plain reason for the student's status."""


def max_frame_bytes(env=None) -> int:
    """Largest part (and message) the grader reads from a kernel, in bytes."""
    value = (env or os.environ).get("DLCOURSE_KERNEL_MAX_MESSAGE", "").strip()
    return parse_size(value, "DLCOURSE_KERNEL_MAX_MESSAGE") if value else DEFAULT_MAX_FRAME


def receive_queue(env=None) -> int:
    """Messages that may wait in each socket the grader reads from a kernel."""
    value = (env or os.environ).get("DLCOURSE_KERNEL_QUEUE", "").strip()
    if not value:
        return DEFAULT_QUEUE
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"DLCOURSE_KERNEL_QUEUE: expected a whole number >= 1, got {value!r}")
    return int(value)


def megabytes(n: int) -> str:
    return f"{n / (1 << 20):.0f} MB"


def _bounded_context(cls):
    context = cls()
    context.setsockopt(zmq.MAXMSGSIZE, max_frame_bytes())
    context.setsockopt(zmq.RCVHWM, receive_queue())
    return context


#: Seconds a kernel whose connection dropped is given to be reaped before the drop is blamed on
#: it: a sandboxed kernel that exits is seen gone only when its waiter has reaped it (2.1 s
#: measured on a quiet machine), and a dead kernel is nbclient's to report ("kernel died").
EXIT_GRACE = 6.0


def dropped_reason(channel: str) -> str:
    return (f"the notebook's kernel broke its {channel} connection to the grader: it sent a "
            f"message part over {megabytes(max_frame_bytes())}, a message larger than the "
            "grading process's memory cap, or bytes that are not a Jupyter message; "
            "grading stopped")


def refused_send_reason(channel: str, seconds: float) -> str:
    return (f"the kernel stopped taking messages from the grader: a request on its {channel} "
            f"connection could not be sent within {seconds:.3g} s (e.g. the student's code "
            "wrote over the kernel's own connections); grading stopped")


class _Watch:
    """What the two channel classes share: the part-by-part receive and the monitor."""

    #: set by the client: the name of the channel, and the client to mark broken
    name = "kernel"
    owner = None
    _monitor = None
    _probe = None

    def _watch(self) -> None:
        self._monitor = self.socket.get_monitor_socket(zmq.EVENT_DISCONNECTED)
        self._monitor.linger = 0  # never holds up the context's end
        # a plain (blocking-API) view of the same monitor, for a poll that never awaits
        self._probe = zmq.Socket.shadow(self._monitor.underlying)

    def _stop(self, reason: str):
        if self.owner is not None and self.owner.broken is None:
            self.owner.broken = reason
        raise GradingStopped(reason)

    def link_dropped(self) -> bool:
        """Whether ZeroMQ dropped this socket's connection to the kernel since it started."""
        return self._probe is not None and bool(self._probe.poll(0))

    def check_link(self, alive=None) -> None:
        """Raise :class:`GradingStopped` if the client is marked broken, or if the connection
        to the kernel was dropped while the kernel lives (``alive()``; a dead kernel is
        nbclient's to report)."""
        if self.owner is not None and self.owner.broken is not None:
            raise GradingStopped(self.owner.broken)
        if self.link_dropped() and (alive is None or alive()):
            self._stop(dropped_reason(self.name))

    def _check_frames(self, frames: list) -> list:
        total = sum(len(f) for f in frames)
        limit = max_frame_bytes()
        if total > limit:
            self._stop(f"the notebook's kernel sent the grader a message of "
                       f"{megabytes(total)} (at most {megabytes(limit)}); grading stopped")
        return [f.bytes for f in frames]

    def _too_many(self, count: int):
        self._stop(f"the notebook's kernel sent the grader a message of {count} parts "
                   f"(at most {MAX_FRAMES}; the Jupyter protocol uses 7); grading stopped")

    def _close_monitor(self) -> None:
        if self._monitor is not None and self.socket is not None:
            try:
                self.socket.disable_monitor()
            except zmq.ZMQError:
                pass
            self._monitor.close(linger=0)
        self._monitor = self._probe = None


class BoundedChannel(_Watch, ZMQSocketChannel):
    """A blocking channel that reads a message part by part and checks the link."""

    def __init__(self, socket, session, loop=None):
        super().__init__(socket, session, loop)
        self._watch()

    def _recv(self, **kwargs):
        flags = kwargs.get("flags", 0)
        frames = [self.socket.recv(flags, copy=False)]
        while frames[-1].more:
            if len(frames) >= MAX_FRAMES:
                count = len(frames)
                while self.socket.recv(0, copy=False).more:  # dropped as it comes
                    count += 1
                self._too_many(count + 1)
            frames.append(self.socket.recv(0, copy=False))
        _ident, smsg = self.session.feed_identities(self._check_frames(frames))
        return self.session.deserialize(smsg)

    def send(self, msg) -> None:
        """Send ``msg``, waiting at most the owner's ``send_seconds`` for room; a send that
        cannot go out stops the notebook (the mark stays, as for a refused message)."""
        seconds = getattr(self.owner, "send_seconds", None) or DEFAULT_SEND_SECONDS
        self.socket.sndtimeo = max(1, int(seconds * 1000))
        try:
            super().send(msg)
        except zmq.Again:
            self._stop(refused_send_reason(self.name, seconds))

    def get_msg(self, timeout=None):
        alive = getattr(self.owner, "kernel_alive", None)
        self.check_link(alive)
        try:
            return super().get_msg(timeout)
        except Empty:
            self.check_link(alive)
            raise

    def close(self) -> None:
        self._close_monitor()
        super().close()

    stop = close


class AsyncBoundedChannel(_Watch, AsyncZMQSocketChannel):
    """The asyncio twin of :class:`BoundedChannel` (used by nbclient)."""

    async def _recv(self, **kwargs):
        flags = kwargs.get("flags", 0)
        frames = [await self.socket.recv(flags, copy=False)]
        while frames[-1].more:
            if len(frames) >= MAX_FRAMES:
                count = len(frames)
                while (await self.socket.recv(0, copy=False)).more:
                    count += 1
                self._too_many(count + 1)
            frames.append(await self.socket.recv(0, copy=False))
        _ident, smsg = self.session.feed_identities(self._check_frames(frames))
        return self.session.deserialize(smsg)

    async def _alive(self) -> bool:
        """Whether the kernel process still runs, asked of its manager (a moment given to a
        kernel that is exiting: its sockets close before its process is reaped)."""
        parent = getattr(self.owner, "parent", None)
        check = getattr(parent, "is_alive", None)
        if check is None:
            return True
        for _ in range(int(EXIT_GRACE / 0.1)):
            if not await check():
                return False
            await asyncio.sleep(0.1)
        return bool(await check())

    async def get_msg(self, timeout=None):
        """The next message; waits on the socket and on its monitor together, so a dropped
        connection ends the wait at once instead of at the timeout."""
        if self._monitor is None:
            self._watch()
        if self.owner is not None and self.owner.broken is not None:
            raise GradingStopped(self.owner.broken)
        poller = zmq.asyncio.Poller()
        poller.register(self.socket, zmq.POLLIN)
        watching = True
        poller.register(self._monitor, zmq.POLLIN)
        loop = asyncio.get_running_loop()
        end = None if timeout is None else loop.time() + timeout
        while True:
            left = None if end is None else max(0.0, end - loop.time())
            events = dict(await poller.poll(None if left is None else int(left * 1000)))
            if self.socket in events:
                return await self._recv()
            if watching and self.link_dropped():
                if await self._alive():
                    self._stop(dropped_reason(self.name))
                poller.unregister(self._monitor)  # the kernel died: nbclient reports it
                watching = False
            if end is not None and loop.time() >= end:
                raise Empty

    def close(self) -> None:
        self._close_monitor()
        super().close()

    stop = close


class BoundedHBChannel(HBChannel):
    """The heartbeat thread, which gives up instead of waiting forever on a broken link.

    jupyter_client's thread sends ``ping`` on a REQ socket; once a kernel has broken that
    connection (writing to every descriptor does) the send waits for a peer that never comes,
    the thread never sees its stop flag, and ``stop_channels`` joins it without end: nbgrader
    hung there after the notebook was done. With a send timeout the thread ends instead.
    """

    def _create_socket(self) -> None:
        super()._create_socket()
        self.socket.sndtimeo = 1000

    def run(self) -> None:
        try:
            super().run()
        except zmq.ZMQError:  # the link is broken: nothing left to beat
            self._running = False


class BoundedClientMixin:
    """Sockets with ``MAXMSGSIZE`` and ``RCVHWM`` set, bounded channels, the ``broken`` mark."""

    #: Why the kernel's messages were refused (None while all is well).
    broken = None
    #: ``() -> bool``, whether the kernel process lives (blocking clients; None: assume so)
    kernel_alive = None
    #: Seconds a send may wait for room (blocking clients: the judge sets what is left of
    #: the cell's budget before each request)
    send_seconds = DEFAULT_SEND_SECONDS

    def _channel_named(self, channel, name: str):
        channel.name, channel.owner = name, self
        return channel

    @property
    def shell_channel(self):
        fresh = self._shell_channel is None
        channel = super().shell_channel
        return self._channel_named(channel, "shell") if fresh else channel

    @property
    def iopub_channel(self):
        fresh = self._iopub_channel is None
        channel = super().iopub_channel
        return self._channel_named(channel, "output (IOPub)") if fresh else channel

    @property
    def stdin_channel(self):
        fresh = self._stdin_channel is None
        channel = super().stdin_channel
        return self._channel_named(channel, "stdin") if fresh else channel

    @property
    def control_channel(self):
        fresh = self._control_channel is None
        channel = super().control_channel
        return self._channel_named(channel, "control") if fresh else channel

    def check_links(self, alive=None) -> None:
        """Raise :class:`GradingStopped` if a channel found its kernel out of bounds (the mark
        stays once set) or lost its connection while ``alive()`` says the kernel lives."""
        if self.broken is not None:
            raise GradingStopped(self.broken)
        for channel in (self._shell_channel, self._iopub_channel, self._stdin_channel,
                        self._control_channel):
            if channel is not None and channel.socket is not None:
                channel.check_link(alive)


class BoundedKernelClient(BoundedClientMixin, AsyncKernelClient):
    """nbclient's client (asyncio) with bounded channels."""

    shell_channel_class = AsyncBoundedChannel
    iopub_channel_class = AsyncBoundedChannel
    stdin_channel_class = AsyncBoundedChannel
    control_channel_class = AsyncBoundedChannel
    hb_channel_class = BoundedHBChannel

    def _context_default(self):
        self._created_context = True
        return _bounded_context(zmq.asyncio.Context)


class BoundedBlockingKernelClient(BoundedClientMixin, BlockingKernelClient):
    """The judge's client (blocking) with bounded channels."""

    shell_channel_class = BoundedChannel
    iopub_channel_class = BoundedChannel
    stdin_channel_class = BoundedChannel
    control_channel_class = BoundedChannel
    hb_channel_class = BoundedHBChannel

    def _context_default(self):
        self._created_context = True
        return _bounded_context(zmq.Context)


CLIENT = f"{__name__}.BoundedKernelClient"


def install(c) -> None:
    """Make nbclient (nbgrader's ``Execute``) talk to kernels through a bounded client,
    unless the config already names one (the sandbox's client is bounded too)."""
    current = c.AsyncKernelManager.get("client_class")
    if isinstance(current, str) and current:
        try:
            if issubclass(import_item(current), BoundedClientMixin):
                return
        except (ImportError, AttributeError, TypeError):
            pass
    c.AsyncKernelManager.client_class = CLIENT


__all__ = ["BoundedBlockingKernelClient", "BoundedKernelClient", "GradingStopped", "install",
           "max_frame_bytes", "receive_queue"]
