"""The mock Hook Manager: an XPUB socket for events (2101) and a REP socket for reports (2102).

This is the I/O shell around the pure core.  Design notes:

* XPUB instead of PUB, so subscriptions are seen (``wait_for_subscribers``); without
  ``XPUB_NODROP`` it drops at the high-water mark exactly like one_hm's PUB ("faithful").
* A background thread services both sockets (taken from :mod:`~mockhm.hookmanager.iothreads`,
  which parks it for the next instance when this one closes).  The XPUB socket is shared with the callers
  of :meth:`HookManager.publish`, so it is only touched under a lock; the thread waits on
  its ``ZMQ_FD`` (an OS descriptor, safe to poll without the lock) and re-reads
  ``ZMQ_EVENTS`` under the lock.  Senders drain pending subscriptions too, since a send can
  consume the descriptor's edge.
* Every socket has linger 0; :meth:`close` is bounded and idempotent.
"""

from __future__ import annotations

import collections
import contextlib
import logging
import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Final

import zmq

from mockhm.hookmanager import iothreads
from mockhm.hookmanager.endpoints import (
    EndpointError,
    allow_ipv6,
    check_endpoint,
    wait_port_free,
    warn_if_exposed,
)
from mockhm.hookmanager.ledger import Ledger, matching
from mockhm.hookmanager.oracle import Oracle
from mockhm.hookmanager.reporting import ReportChannel
from mockhm.hookmanager.restart import Restarts
from mockhm.hookmanager.sending import DRAIN_POLL_MS, Publishable, Sending
from mockhm.hookmanager.subscriptions import SubscriptionTable
from mockhm.hookmanager.waits import Waits, seconds
from mockhm.wire.errors import BindError, InvalidArgumentError
from mockhm.wire.profiles import Profile, get_profile
from mockhm.wire.reports import ACK, HookReport

__all__ = ["DEFAULT_EVENTS_ENDPOINT", "DEFAULT_REPORTS_ENDPOINT", "HookManager", "Publishable", "Statistics"]

log = logging.getLogger("mockhm")

DEFAULT_EVENTS_ENDPOINT: Final[str] = "tcp://127.0.0.1:2101"
DEFAULT_REPORTS_ENDPOINT: Final[str] = "tcp://127.0.0.1:2102"


@dataclass(frozen=True)
class Statistics:
    """A snapshot of what a :class:`HookManager` did since it started or was reset."""

    sent: int = 0
    """Messages handed to ZeroMQ (in faithful mode some may still be dropped at the HWM)."""
    sent_bytes: int = 0
    """Bytes of all frames sent."""
    sent_per_key: dict[str, int] = field(default_factory=dict)
    """Messages sent per key (frame 1)."""
    refused: int = 0
    """Messages refused at the high-water mark (lossless mode only) and therefore not sent."""
    subscriptions_seen: int = 0
    """Subscription notices seen (every subscriber's every filter)."""
    unsubscriptions_seen: int = 0
    """Unsubscription notices seen (a subscriber dropped a filter or disconnected)."""
    subscriptions: tuple[str, ...] = ()
    """Filters active now, one entry per subscriber and filter."""
    reports: int = 0
    """Reports received on the 2102 channel (all of them, also those no longer kept)."""
    unrouted: int = 0
    """Messages sent while no subscription at all was active: ZeroMQ delivered them to nobody (not
    counted as refused, even in lossless mode)."""


#: The largest HWM and kept count accepted (libzmq's options are C ints).
_INT_MAX: Final = 2**31 - 1


class HookManager(Sending, ReportChannel, Waits, Oracle, Restarts):
    """A mock ``one_hm``: publishes hook events, answers ``ACK`` to hook reports.

    Binds an XPUB socket for events (2101) and a REP socket for reports (2102) and serves both
    from a background thread until :meth:`close` (or the end of a ``with`` block).  Besides
    publishing it answers the questions tests ask: who is subscribed (:meth:`wait_for_subscribers`,
    :meth:`wait_for_filters`), what arrived on 2102 (:meth:`wait_for_report`), what each
    subscriber should have received (:meth:`delivered`, :meth:`assert_delivered`), and it can
    restart on the same endpoints (:meth:`restart`).  :meth:`mark` remembers a moment so that
    waits look only at what came after it.  The wire protocol page of the documentation
    describes what goes over both sockets.

    Attributes:
        events_endpoint (str): where subscribers connect, with the port resolved
            (``tcp://127.0.0.1:40123`` for ``tcp://127.0.0.1:*``).
        reports_endpoint (str | None): where executors report (REQ connects here), or ``None``.
        profile (Profile): the release profile of built events.
        journal (list[tuple[bytes, ...]]): every message sent since the start (or
            :meth:`reset`), oldest first, when ``journal`` is on; each item is the message's
            frames exactly as sent, normally ``(key, content)``.  ``WireMessage(item)`` gives
            ``key``, ``content`` and ``body()``.
        reports (list[HookReport]): reports received on 2102, oldest first.
        report_times (list[int]): ``time.monotonic_ns()`` at which each of :attr:`reports`
            arrived.

    Args:
        events: endpoint of the PUB socket (default ``tcp://127.0.0.1:2101``); ``tcp://127.0.0.1:*``
            picks a free port, see :attr:`events_endpoint`.  ipc:// and inproc:// work too.
        reports: endpoint of the REP socket (default ``tcp://127.0.0.1:2102``), or ``None``.
        profile: release profile of built events (default 7.4).
        hwm: ``SNDHWM`` like one_hm's ``--hwm``; ``None`` keeps libzmq's default (1000).
        lossless: ``XPUB_NODROP``: a send that would be dropped is refused and counted instead.
        validate: check every built event against mockhm's schemas before sending it.
        ack: the reply to a report (``b"ACK"``), or ``None`` never to answer (to test a
            client's REQ timeout; the REP socket then stops after the first report).
        journal: keep every sent message in :attr:`journal` (turn off for long load runs).
        keep_reports: keep at most this many of the latest reports in :attr:`reports`
            (``None``: all); :meth:`statistics` counts every report either way.
        keep_journal: keep about this many of the latest messages in :attr:`journal` (trimmed
            in steps of an eighth; ``None``: all); :meth:`statistics` counts every message.
        context: a ``zmq.Context`` to use (the global instance by default).
    """

    def __init__(
        self,
        events: str = DEFAULT_EVENTS_ENDPOINT,
        reports: str | None = DEFAULT_REPORTS_ENDPOINT,
        *,
        profile: Profile | str | None = None,
        hwm: int | None = None,
        lossless: bool = False,
        validate: bool = False,
        ack: bytes | None = ACK,
        journal: bool = True,
        keep_reports: int | None = None,
        keep_journal: int | None = None,
        context: zmq.Context[zmq.Socket[bytes]] | None = None,
    ) -> None:
        self.profile = get_profile(profile)
        self.lossless = lossless
        self.validate = validate
        if ack is not None and not isinstance(ack, bytes):
            raise InvalidArgumentError(f"ack={ack!r}; expected bytes (b'ACK') or None never to answer")
        self.ack = ack
        self._journal_on = journal
        for name, value in (("keep_reports", keep_reports), ("keep_journal", keep_journal), ("hwm", hwm)):
            low = 0 if name == "hwm" else 1
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int) or not low <= value <= _INT_MAX
            ):
                raise InvalidArgumentError(
                    f"{name}={value!r}; expected an integer {low}..{_INT_MAX}, or None"
                )
        if context is not None and not isinstance(context, zmq.Context):
            raise InvalidArgumentError(
                f"context={context!r}; expected a zmq.Context, or None for the global one"
            )
        self.keep_reports = keep_reports
        self.keep_journal = keep_journal
        #: Warnings about the binds (outside loopback), for banners.
        self.bind_warnings: list[str] = []
        self._ctx = context or zmq.Context.instance()
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._closed = False
        #: ``True`` while a restart has the sockets closed.
        self._down = False
        self._hwm = hwm
        self._errors: list[BaseException] = []
        self._report_listeners: list[Callable[[HookReport], None]] = []
        self._more = zmq.SNDMORE | zmq.NOBLOCK if lossless else zmq.SNDMORE
        self._last = zmq.NOBLOCK if lossless else 0
        #: Active filters, one count per subscriber: they describe live peers, so reset() keeps them.
        self._active = SubscriptionTable()
        #: Subscriptions with their positions, for marks, new-peer waits and the delivery oracle.
        self._ledger = Ledger(lambda prefix: matching(self._per_key.items(), prefix))
        #: Messages sent and reports received before the last reset() (positions never rewind).
        self._sent_base = 0
        self._reports_n = 0
        #: Messages sent when subscription notices were last read.
        self._drained_at = 0
        self._reset_counters()
        self._pub = self._new_pub()
        self._rep: zmq.Socket[bytes] | None = None
        try:
            self.events_endpoint = self._bind(self._pub, events, "events")
            self.reports_endpoint: str | None = None
            if reports is not None:
                self._rep = self._ctx.socket(zmq.REP)
                self._rep.setsockopt(zmq.LINGER, 0)
                self.reports_endpoint = self._bind(self._rep, reports, "reports")
        except BaseException:
            self._pub.close(0)
            if self._rep is not None:
                self._rep.close(0)
            raise
        self._wake_r, self._wake_w = os.pipe()
        self._thread = self._start_io()
        log.info(
            "mock Hook Manager: events on %s, reports on %s", self.events_endpoint, self.reports_endpoint
        )

    def _bind(self, sock: zmq.Socket[bytes], endpoint: str, role: str) -> str:
        try:
            check_endpoint(endpoint, bind=True)
        except EndpointError as err:
            raise BindError(f"cannot bind the {role} socket: {err}", endpoint) from None
        try:
            allow_ipv6(sock, endpoint)
            sock.bind(endpoint)
        except zmq.ZMQError as err:
            hint = (
                "; is another Hook Manager (one_hm or mockhm) running there?"
                if err.errno == zmq.EADDRINUSE
                else ""
            )
            raise BindError(
                f"cannot bind the {role} socket to {endpoint}: {err.strerror} (errno {err.errno}){hint}",
                endpoint,
            ) from None
        last = sock.getsockopt(zmq.LAST_ENDPOINT)
        bound = last.decode() if isinstance(last, bytes) and last else endpoint
        warning = warn_if_exposed(bound, role)
        if warning is not None:
            self.bind_warnings.append(warning)
        return bound

    def _reset_counters(self) -> None:
        self._sent = 0
        self._sent_bytes = 0
        self._per_key: collections.Counter[bytes] = collections.Counter()
        self._refused = 0
        self._unrouted = 0
        self._reports_total = 0
        self._subs_seen = 0
        self._unsubs_seen = 0
        self.reports: list[HookReport] = []
        #: ``time.monotonic_ns()`` at which each of :attr:`reports` arrived (same order).
        self.report_times: list[int] = []
        self._journal: list[tuple[bytes, ...]] = []
        #: Messages sent but not yet counted (nor journaled): counted per batch, in C.
        self._pending: list[Sequence[bytes]] = []
        self._pending_odd = False  # a pending message is not (key, content)

    # -- context manager -------------------------------------------------------------------

    def __enter__(self) -> HookManager:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self, timeout: float = 2.0, *, linger: float = 0.0) -> None:
        """Stop the I/O loop and close both sockets.  Safe to call twice.

        The loop's thread is kept for the next Hook Manager of the process (named
        ``mockhm-io idle`` meanwhile, a daemon; it ends after 10 s without one): a test suite
        that starts one per test does not pay for a new thread each time.

        ``linger`` (seconds) lets queued events still reach subscribers after the close; it
        only helps with a context of your own that you then terminate (``ctx.term()`` waits
        at most that long).  The default 0 discards them.
        """
        seconds("timeout", timeout, finite=True)  # checked before anything is closed
        seconds("linger", linger, finite=True)
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._cond.notify_all()
        with contextlib.suppress(OSError):
            os.write(self._wake_w, b"x")
        self._thread.join(timeout)
        if self._thread.is_alive():  # pragma: no cover - would be a bug in _serve
            self._errors.append(RuntimeError(f"mockhm I/O thread did not stop within {timeout} s"))
        self._pub.close(int(linger * 1000))
        if self._rep is not None:
            self._rep.close(0)
        for fd in (self._wake_r, self._wake_w):
            with contextlib.suppress(OSError):
                os.close(fd)
        # libzmq closes listeners in its own threads after zmq_close returned: return only
        # once the ports can be bound again, so that a restart on the same endpoints works.
        for endpoint in (self.events_endpoint, self.reports_endpoint):
            if endpoint is not None and not wait_port_free(endpoint, timeout + linger):
                log.warning("%s still bound %.1f s after close", endpoint, timeout + linger)

    @property
    def closed(self) -> bool:
        """``True`` once :meth:`close` was called."""
        return self._closed

    # -- statistics and errors -------------------------------------------------------------

    def statistics(self) -> Statistics:
        """A frozen snapshot of the counters."""
        with self._lock:
            self._count_pending()
            return Statistics(
                sent=self._sent,
                sent_bytes=self._sent_bytes,
                sent_per_key={k.decode("ascii", "replace"): n for k, n in self._per_key.items()},
                refused=self._refused,
                subscriptions_seen=self._subs_seen,
                unsubscriptions_seen=self._unsubs_seen,
                subscriptions=tuple(self._active.elements()),
                reports=self._reports_total,
                unrouted=self._unrouted,
            )

    def reset(self) -> None:
        """Forget counters and reports (subscriptions stay: they describe live peers)."""
        with self._lock:
            self._count_pending()
            self._ledger.rebase()
            self._sent_base += self._sent
            self._reset_counters()

    def check(self) -> None:
        """Raise the first error of the I/O thread, if any."""
        if self._errors:
            raise self._errors[0]

    @property
    def errors(self) -> list[BaseException]:
        """Errors raised in the I/O thread."""
        return list(self._errors)

    # -- the I/O thread (send paths: sending.py; the 2102 channel: reporting.py) -----------

    def _start_io(self) -> iothreads.Loop:
        return iothreads.start(self._serve, "mockhm-io")

    def _serve(self) -> None:
        poller = zmq.Poller()
        pub_fd = self._pub.getsockopt(zmq.FD)
        poller.register(pub_fd, zmq.POLLIN)
        poller.register(self._wake_r, zmq.POLLIN)
        if self._rep is not None:
            poller.register(self._rep, zmq.POLLIN)
        try:
            while not self._closed and not self._down:
                ready = dict(poller.poll(DRAIN_POLL_MS if self._pending else 100))
                if self._closed:
                    break
                with self._lock:
                    if not self._closed:
                        self._count_pending()
                        self._drain_subscriptions()
                if self._rep is not None and ready.get(self._rep):
                    # Serve every request already queued (one per REQ peer), not one per wake-up.
                    while self._serve_report(self._rep):
                        pass
        except Exception as err:  # pragma: no cover - reported through check()
            if not self._closed:
                log.exception("mockhm I/O thread failed")
                self._errors.append(err)
