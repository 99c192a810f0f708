"""Restarting the publisher on the same endpoints, as when one_hm (or oned) restarts.

The XPUB socket (and by default the REP socket) is closed, so every subscriber's connection
drops, and bound again on the very endpoints it had, the resolved port of a
``tcp://127.0.0.1:*`` endpoint included.  ZeroMQ subscribers reconnect on their own and send
their filters again: those arrive as new subscriptions after the restart's :class:`~mockhm.Mark`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

import zmq

from mockhm.hookmanager import iothreads
from mockhm.hookmanager.endpoints import allow_ipv6, backoff
from mockhm.hookmanager.subscriptions import SubscriptionTable
from mockhm.hookmanager.waits import seconds
from mockhm.wire.errors import BindError, PublisherClosedError

if TYPE_CHECKING:
    from mockhm.hookmanager.ledger import Ledger, Mark

log = logging.getLogger("mockhm")


def _bind_error(sock: zmq.Socket[bytes], endpoint: str) -> zmq.ZMQError | None:
    try:
        allow_ipv6(sock, endpoint)
        sock.bind(endpoint)
    except zmq.ZMQError as err:
        return err
    return None


def bind_again(sock: zmq.Socket[bytes], endpoint: str, role: str, timeout: float) -> None:
    """Bind ``sock`` to the ``endpoint`` a closed socket had, as soon as libzmq has released it.

    libzmq closes a listener in its own I/O thread after ``zmq_close`` returned, so the first
    attempts may find the address still in use; they are repeated (after pauses growing to
    2 ms) until ``timeout`` seconds have passed.

    Raises:
        BindError: the endpoint could not be bound again within ``timeout`` seconds.
    """
    error = zmq.ZMQError(zmq.EADDRINUSE)
    for _ in backoff(timeout):  # yields at least once
        found = _bind_error(sock, endpoint)
        if found is None:
            return
        error = found
        if error.errno != zmq.EADDRINUSE:
            break
    raise BindError(
        f"cannot bind the {role} socket to {endpoint} again after a restart: {error.strerror} "
        f"(errno {error.errno}); another process may have taken the port meanwhile",
        endpoint,
    ) from None


class Restarts:
    """The restart half of :class:`~mockhm.HookManager` (a mixin; see there)."""

    _cond: threading.Condition
    _closed: bool
    _down: bool
    _ledger: Ledger
    events_endpoint: str
    reports_endpoint: str | None

    _ctx: zmq.Context[zmq.Socket[bytes]]
    _pub: zmq.Socket[bytes]
    _rep: zmq.Socket[bytes] | None
    _thread: iothreads.Loop
    _wake_r: int
    _wake_w: int
    _drained_at: int
    _active: SubscriptionTable
    _hwm: int | None
    lossless: bool

    def _mark(self) -> Mark:  # pragma: no cover - provided by HookManager
        raise NotImplementedError

    def _sent_ever(self) -> int:  # pragma: no cover - provided by HookManager
        raise NotImplementedError

    def _new_pub(self) -> zmq.Socket[bytes]:
        """A new XPUB socket with the Hook Manager's options (not bound yet)."""
        pub = self._ctx.socket(zmq.XPUB)
        try:
            pub.setsockopt(zmq.LINGER, 0)
            pub.setsockopt(zmq.XPUB_VERBOSER, 1)
            if self._hwm is not None:
                pub.setsockopt(zmq.SNDHWM, self._hwm)
            if self.lossless:
                pub.setsockopt(zmq.XPUB_NODROP, 1)
        except BaseException:
            pub.close(0)
            raise
        return pub

    def _start_io(self) -> iothreads.Loop:  # pragma: no cover - provided by HookManager
        raise NotImplementedError

    def _go_down(self, reports: bool) -> Mark:
        with self._cond:
            if self._closed or self._down:
                raise closed_error(self._down)
            self._down = True
            self._cond.notify_all()
        with contextlib.suppress(OSError):
            os.write(self._wake_w, b"x")
        self._thread.join(2.0)
        with contextlib.suppress(OSError):
            os.read(self._wake_r, 64)
        with self._cond:
            mark = self._mark()
            self._ledger.end_all(self._sent_ever())
            self._ledger.restarts += 1
            self._active = SubscriptionTable()
            self._pub.close(0)
            if reports and self._rep is not None:
                self._rep.close(0)
            self._cond.notify_all()
        log.info("mock Hook Manager: down for a restart")
        return mark

    def _come_up(self, reports: bool, timeout: float) -> None:
        if self._closed:
            return
        pub = self._new_pub()
        rep: zmq.Socket[bytes] | None = None
        try:
            bind_again(pub, self.events_endpoint, "events", timeout)
            if reports and self.reports_endpoint is not None:
                rep = self._ctx.socket(zmq.REP)
                rep.setsockopt(zmq.LINGER, 0)
                bind_again(rep, self.reports_endpoint, "reports", timeout)
        except BaseException:
            pub.close(0)
            if rep is not None:
                rep.close(0)
            raise
        with self._cond:
            self._pub = pub
            if rep is not None:
                self._rep = rep
            self._drained_at = self._sent_ever()
            self._down = False
            self._cond.notify_all()
        self._thread = self._start_io()
        log.info("mock Hook Manager: back on %s after a restart", self.events_endpoint)

    @contextlib.contextmanager
    def restarted(
        self, *, downtime: float = 0.0, reports: bool = True, timeout: float = 5.0
    ) -> Iterator[Mark]:
        """Take the publisher down for the ``with`` block (and at least ``downtime`` seconds),
        then bind it again on the same endpoints.

        ::

            with hm.restarted(downtime=0.2) as mark:
                ...                   # down: subscribers see their connection drop
            hm.wait_for_subscribers(prefix="EVENT STATE VM/", since=mark)   # they are back
            hm.publish(...)

        While down, :meth:`~mockhm.HookManager.publish` and the other sends raise
        :class:`~mockhm.PublisherClosedError`, waits keep waiting, and every subscription ends
        (:attr:`~mockhm.HookManager.subscriptions` is empty until subscribers reconnect).

        Args:
            downtime: seconds the publisher stays down at least (counted from the start of the
                block); subscribers retry their connection meanwhile (ZeroMQ's
                ``RECONNECT_IVL``, 100 ms by default).  A subscriber resubscribes while its
                socket is in use (a receive or poll in progress), as in any real receive loop:
                ZeroMQ attaches the new connection in the socket's own thread.
            reports: restart the 2102 REP socket too, as a real restart does (an executor's
                request in flight is then lost and must be retried); ``False`` keeps it, though
                reports are only answered again once the publisher is back.
            timeout: seconds to wait at most for libzmq to release the endpoints.

        Yields:
            A :class:`~mockhm.Mark` taken as the publisher went down: subscriptions and reports
            after it are the ones made after the restart.

        Raises:
            PublisherClosedError: the Hook Manager is closed, or already restarting.
            BindError: an endpoint could not be bound again (another process took the port).
        """
        seconds("downtime", downtime, finite=True)  # checked before anything goes down
        seconds("timeout", timeout, finite=True)
        began = time.monotonic()
        mark = self._go_down(reports)
        try:
            yield mark
        finally:
            remaining = downtime - (time.monotonic() - began)
            if remaining > 0:
                threading.Event().wait(remaining)  # the downtime asked for, not a guess
            self._come_up(reports, timeout)

    def restart(self, *, downtime: float = 0.0, reports: bool = True, timeout: float = 5.0) -> Mark:
        """Close the publisher, wait ``downtime`` seconds and bind it again on the same endpoints.

        The same as an empty ``with hm.restarted(...)`` block; see :meth:`restarted` for the
        arguments.  Returns the :class:`~mockhm.Mark` of the restart: wait for the subscribers
        to come back with ``hm.wait_for_subscribers(since=mark)``.
        """
        with self.restarted(downtime=downtime, reports=reports, timeout=timeout) as mark:
            pass
        return mark


def closed_error(down: bool) -> PublisherClosedError:
    """The error a send raises on a closed or restarting Hook Manager."""
    if down:
        return PublisherClosedError("the mock Hook Manager's publisher is down for a restart")
    return PublisherClosedError("the mock Hook Manager is closed")
