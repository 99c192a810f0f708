"""The threads that run the Hook Managers' I/O loops, kept between instances.

Starting a thread costs about a tenth of a millisecond here, and a test suite starts one mock
Hook Manager per test: a loop that ends (its Hook Manager closed or went down for a restart)
leaves its thread parked for the next one.  A parked thread waits on a queue, named
``mockhm-io idle``, and ends after :data:`IDLE_SECONDS` without work; at most
:data:`KEEP_IDLE` are parked at a time.  Each loop still has a thread of its own while it runs.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Final

#: A parked thread ends after this long without a loop to run.
IDLE_SECONDS: Final = 10.0
#: At most this many threads are parked at a time (the others end with their loop).
KEEP_IDLE: Final = 4
#: The name of a parked thread (a running loop's thread has the name it was given).
IDLE_NAME: Final = "mockhm-io idle"


class Loop:
    """A running I/O loop: what :func:`start` returns, with a thread's ``join`` and ``is_alive``."""

    def __init__(self, target: Callable[[], None], name: str) -> None:
        self.target = target
        self.name = name
        self._done = threading.Event()

    def join(self, timeout: float | None = None) -> None:
        """Wait until the loop has returned, at most ``timeout`` seconds."""
        self._done.wait(timeout)

    def is_alive(self) -> bool:
        """``True`` until the loop has returned."""
        return not self._done.is_set()

    def run(self) -> None:
        try:
            self.target()
        finally:
            self._done.set()


_work: queue.SimpleQueue[Loop] = queue.SimpleQueue()
_lock = threading.Lock()
_idle = 0


def start(target: Callable[[], None], name: str) -> Loop:
    """Run ``target`` on a parked thread, or on a new daemon thread when none is parked."""
    global _idle
    loop = Loop(target, name)
    with _lock:
        if _idle:
            _idle -= 1
            _work.put(loop)
            return loop
    threading.Thread(target=_serve, args=(loop,), name=name, daemon=True).start()
    return loop


def _serve(loop: Loop) -> None:
    # Every parked thread is counted in _idle or is about to take a queued loop: a thread
    # whose wait ran out leaves only when no loop is queued (one may be on its way to it).
    global _idle
    me = threading.current_thread()
    while True:
        me.name = loop.name
        loop.run()
        me.name = IDLE_NAME
        with _lock:
            if _idle >= KEEP_IDLE:
                return
            _idle += 1
        while True:
            try:
                loop = _work.get(timeout=IDLE_SECONDS)
                break
            except queue.Empty:
                with _lock:
                    if _work.empty():
                        _idle -= 1
                        return
