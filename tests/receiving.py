"""What several test modules share: a subscriber receiving in a thread, and factory fixtures whose
objects are closed at the test's teardown."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import ParamSpec, Protocol, TypeVar

import zmq


class Closeable(Protocol):
    def close(self) -> None: ...


P = ParamSpec("P")
T = TypeVar("T", bound=Closeable)


def closed_at_teardown(make: Callable[P, T]) -> Iterator[Callable[P, T]]:
    """The body of a factory fixture (``yield from``): ``make``, keeping what it made, and every
    object it made closed, newest first, when the fixture is torn down."""
    made: list[T] = []

    def tracked(*args: P.args, **kwargs: P.kwargs) -> T:
        obj = make(*args, **kwargs)
        made.append(obj)
        return obj

    try:
        yield tracked
    finally:
        for obj in reversed(made):
            obj.close()


class ThreadedSubscriber:
    """A SUB socket receiving in a thread of its own, as a real subscriber runs (ZeroMQ attaches
    a reconnected peer in the socket's own thread: an idle socket would never resubscribe).

    The socket stays its maker's to close, after :meth:`close` has stopped the thread."""

    def __init__(self, sock: zmq.Socket[bytes]) -> None:
        self.sock = sock
        self.got: list[tuple[bytes, ...]] = []
        self.arrived = threading.Condition()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run)
        self.thread.start()

    def _run(self) -> None:
        while not self.stop.is_set():
            if self.sock.poll(20):
                frames = tuple(self.sock.recv_multipart())
                with self.arrived:
                    self.got.append(frames)
                    self.arrived.notify_all()

    def wait(self, count: int, timeout: float = 5.0) -> list[tuple[bytes, ...]]:
        """Every message received so far, once there are at least ``count``; fails after ``timeout``."""
        with self.arrived:
            assert self.arrived.wait_for(lambda: len(self.got) >= count, timeout), self.got
            return list(self.got)

    def close(self) -> None:
        self.stop.set()
        self.thread.join(5)
