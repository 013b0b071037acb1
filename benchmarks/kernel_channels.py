"""What the bounded receive of dlgrade.kernel_channels costs per message.

A ROUTER socket stands in for a kernel and sends ``--messages`` ordinary Jupyter messages
(an execute_reply-sized content) to a DEALER; they are read once through jupyter_client's
stock channel and once through :class:`dlgrade.kernel_channels.BoundedChannel` (part by part,
counted, the link checked on every ``get_msg``). Prints the time per message of each and the
ratio, measured in the same run.

    python benchmarks/kernel_channels.py [--messages 5000] [--quick]
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import zmq
from jupyter_client.channels import ZMQSocketChannel
from jupyter_client.session import Session

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from dlgrade.kernel_channels import BoundedChannel, _bounded_context  # noqa: E402


def per_message(channel_class, context, n: int) -> float:
    session = Session(key=b"bench")
    router = context.socket(zmq.ROUTER)
    port = router.bind_to_random_port("tcp://127.0.0.1")
    dealer = context.socket(zmq.DEALER)
    dealer.identity = b"client"
    dealer.connect(f"tcp://127.0.0.1:{port}")
    channel = channel_class(dealer, session)
    content = {"status": "ok", "execution_count": 1,
               "user_expressions": {"r": {"status": "ok", "data": {"text/plain": "x" * 2000}}}}
    # the routing id is known once the client has said something
    dealer.send(b"hello")
    router.recv_multipart()
    start = time.perf_counter()
    for _ in range(n):
        session.send(router, "execute_reply", content, ident=[b"client"])
        channel.get_msg(timeout=5)
    seconds = time.perf_counter() - start
    channel.close()
    router.close(linger=0)
    return seconds / n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--quick", action="store_true", help="500 messages (a smoke run)")
    args = parser.parse_args()
    n = 500 if args.quick else args.messages
    print(f"load average {os.getloadavg()[0]:.1f}; {n} messages each")
    stock = per_message(ZMQSocketChannel, zmq.Context(), n)
    bounded = per_message(BoundedChannel, _bounded_context(zmq.Context), n)
    print(f"stock channel    {stock * 1e6:8.1f} us/message")
    print(f"bounded channel  {bounded * 1e6:8.1f} us/message")
    print(f"ratio            {bounded / stock:8.2f}x")


if __name__ == "__main__":
    main()
