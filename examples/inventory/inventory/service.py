"""The inventory service: an asyncio subscriber to VM state events that keeps the running VMs.

Run as ``python -m inventory.service`` it reads the endpoint from ``MOCKHM_EVENTS_ENDPOINT``
(default ``tcp://127.0.0.1:2101``) and prints the running VMs as one JSON line per change.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections.abc import Callable

import zmq
import zmq.asyncio

from inventory.decode import Unreadable, decode_state

PREFIX = "EVENT STATE VM/"


class Inventory:
    """VM id -> name of every VM that is ACTIVE/RUNNING, and what the service processed."""

    def __init__(self) -> None:
        self.running: dict[int, str] = {}
        #: Keys of every message received, in order (what a test compares with the oracle).
        self.processed: list[bytes] = []
        #: Messages that could not be read (counted, never fatal).
        self.unreadable = 0
        self._changed = asyncio.Condition()

    def apply(self, frames: list[bytes]) -> bool:
        """Apply one message; ``True`` if the set of running VMs changed."""
        self.processed.append(frames[0] if frames else b"")
        try:
            change = decode_state(frames)
        except Unreadable:
            self.unreadable += 1
            return False
        if change is None:
            return False
        before = dict(self.running)
        if (change.state, change.lcm_state) == ("ACTIVE", "RUNNING"):
            self.running[change.vm_id] = change.name
        else:
            self.running.pop(change.vm_id, None)
        return before != self.running

    async def notify(self) -> None:
        """Wake everyone waiting in :meth:`wait_for`."""
        async with self._changed:
            self._changed.notify_all()

    async def wait_for(self, predicate: Callable[[Inventory], bool], timeout: float = 5.0) -> None:
        """Wait until ``predicate(self)`` holds.

        Raises:
            TimeoutError: it did not within ``timeout`` seconds.
        """
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: predicate(self)), timeout)

    async def caught_up(self, count: int, timeout: float = 5.0) -> None:
        """Wait until ``count`` messages were processed."""
        await self.wait_for(lambda inv: len(inv.processed) >= count, timeout)


async def serve(
    endpoint: str,
    inventory: Inventory,
    on_change: Callable[[Inventory], None] | None = None,
    *,
    prefix: str = PREFIX,
) -> None:
    """Receive until cancelled; the filter is set before connecting, so nothing is missed."""
    ctx = zmq.asyncio.Context.instance()
    sock = ctx.socket(zmq.SUB)
    sock.setsockopt(zmq.LINGER, 0)
    sock.setsockopt(zmq.SUBSCRIBE, prefix.encode())
    sock.connect(endpoint)
    try:
        while True:
            frames = await sock.recv_multipart()
            if inventory.apply(frames) and on_change is not None:
                on_change(inventory)
            await inventory.notify()
    finally:
        sock.close(0)


async def _main(endpoint: str) -> None:
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)

    def show(inv: Inventory) -> None:
        print(json.dumps({"running": sorted(inv.running)}), flush=True)

    print(json.dumps({"listening": endpoint}), flush=True)
    task = asyncio.create_task(serve(endpoint, Inventory(), show))
    await stop.wait()
    task.cancel()


def main() -> int:
    """Entry point of ``python -m inventory.service``."""
    asyncio.run(_main(os.environ.get("MOCKHM_EVENTS_ENDPOINT", "tcp://127.0.0.1:2101")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
