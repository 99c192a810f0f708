"""The inventory service: subscribes to VM state events and keeps the running VMs.

Run as ``python -m inventory.service`` it reads the endpoint from ``MOCKHM_EVENTS_ENDPOINT``
(default ``tcp://127.0.0.1:2101``) and prints the running VMs as one JSON line per change.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from collections.abc import Callable

import zmq

from inventory._wire import decode_state

PREFIX = b"EVENT STATE VM/"


class Inventory:
    """VM id -> name of every VM that is ACTIVE/RUNNING."""

    def __init__(self) -> None:
        self.running: dict[int, str] = {}
        self._lock = threading.Lock()
        self.changed = threading.Condition(self._lock)

    def apply(self, frames: list[bytes]) -> bool:
        """Apply one message; ``True`` if the inventory changed."""
        change = decode_state(frames)
        if change is None:
            return False
        with self.changed:
            before = dict(self.running)
            if (change.state, change.lcm_state) == ("ACTIVE", "RUNNING"):
                self.running[change.vm_id] = change.name
            else:
                self.running.pop(change.vm_id, None)
            if before != self.running:
                self.changed.notify_all()
                return True
        return False

    def wait_for(self, predicate: Callable[[dict[int, str]], bool], timeout: float) -> bool:
        """Block until ``predicate(running)`` holds (or ``timeout`` seconds pass)."""
        with self.changed:
            return self.changed.wait_for(lambda: predicate(self.running), timeout)


def serve(
    endpoint: str,
    inventory: Inventory,
    stop: threading.Event,
    on_change: Callable[[Inventory], None] | None = None,
) -> None:
    """Receive until ``stop`` is set; the filter is set before connecting."""
    sock = zmq.Context.instance().socket(zmq.SUB)
    sock.setsockopt(zmq.LINGER, 0)
    sock.setsockopt(zmq.SUBSCRIBE, PREFIX)
    sock.connect(endpoint)
    try:
        while not stop.is_set():
            if sock.poll(100) and inventory.apply(sock.recv_multipart()) and on_change:
                on_change(inventory)
    finally:
        sock.close(0)


def main() -> int:
    """Entry point of ``python -m inventory.service``."""
    endpoint = os.environ.get("MOCKHM_EVENTS_ENDPOINT", "tcp://127.0.0.1:2101")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())

    def show(inv: Inventory) -> None:
        print(json.dumps({"running": sorted(inv.running)}), flush=True)

    print(json.dumps({"listening": endpoint}), flush=True)
    serve(endpoint, Inventory(), stop, show)
    return 0


if __name__ == "__main__":
    sys.exit(main())
