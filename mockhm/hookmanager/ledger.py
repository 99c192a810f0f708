"""Marks, subscriptions and deliveries: what a Hook Manager knows about who should have got what.

Pure bookkeeping (no sockets): the Hook Manager feeds the :class:`Ledger` every subscription
notice its XPUB socket reads, with the number of messages sent so far, and answers questions
from it under its lock.  Positions are counted from the Hook Manager's start and are never
rewound (``reset()`` forgets the journal and counters, not positions), so a :class:`Mark` taken
before a reset still means the same moment after it.
"""

from __future__ import annotations

import collections
import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from typing import Final

#: How many ended subscriptions are remembered (oldest forgotten first).
ENDED_KEPT: Final[int] = 256


@dataclass(frozen=True)
class Mark:
    """A moment in a Hook Manager's life: waits and checks can look only at what came after it.

    Take one with :meth:`mockhm.HookManager.mark` *before* starting the client under test,
    then pass it as ``since=``: a subscriber left connected by an earlier test (or a crashed
    run) subscribed before the mark and does not satisfy the wait, and a report that arrived
    earlier is not taken for the one the test is waiting for.  Marks compare counters, not
    clocks, so no timing guess is involved.
    """

    sent: int
    """Messages sent before the mark, counted from the Hook Manager's start."""
    reports: int
    """Reports received on 2102 before the mark, counted from the start."""
    notices: int
    """Subscription notices (subscribe messages) read before the mark, counted from the start."""
    restarts: int
    """Publisher restarts before the mark (see :meth:`mockhm.HookManager.restart`)."""
    monotonic_ns: int
    """``time.monotonic_ns()`` when the mark was taken (for people; waits use the counters)."""


@dataclass(frozen=True)
class Subscription:
    """One subscriber's filter, as seen through the XPUB socket's subscription notices.

    A subscriber receives every message whose key (frame 1) starts with :attr:`filter`, from
    the moment its subscription reached the Hook Manager.  ZeroMQ does not say which peer sent
    a notice, so when several subscribers hold the same filter and one of them leaves, the
    oldest subscription to that filter is taken to end.
    """

    filter: str
    """The prefix subscribed to (``""`` subscribes to everything)."""
    notice: int
    """1-based number of the subscribe notice, counted from the start (compare with
    :attr:`Mark.notices`: the subscription came after a mark when ``notice > mark.notices``)."""
    since: int
    """Messages sent before the subscription certainly held: every message sent from position
    ``since`` on (and matching the filter) was sent to this subscriber."""
    maybe_from: int
    """Messages from position ``maybe_from`` up to ``since`` were sent while the subscription was
    arriving: the subscriber may have got some of them (always a final run of them, in order).
    Equal to :attr:`since` unless messages were being sent at that very moment."""
    subscribed_ns: int
    """``time.monotonic_ns()`` when the notice was read."""
    peer: int | None = None
    """The descriptor of the subscriber's connection, when ZeroMQ tells it (tcp and ipc; not
    inproc).  Descriptors are reused after a connection closes."""
    until: int | None = None
    """Messages sent before the subscription ended, or ``None`` while it is active."""
    ended_ns: int | None = None
    """``time.monotonic_ns()`` when it ended, or ``None`` while it is active."""

    @property
    def active(self) -> bool:
        """``True`` until the subscriber unsubscribes, disconnects or the publisher restarts."""
        return self.until is None

    def after(self, mark: Mark | None) -> bool:
        """``True`` if the subscription arrived after ``mark`` (always, for ``None``)."""
        return mark is None or self.notice > mark.notices

    def covers(self, key: str) -> bool:
        """``True`` if a message with ``key`` reaches this subscription (prefix match)."""
        return key.startswith(self.filter)


@dataclass(frozen=True)
class Delivery:
    """What one subscription should have received: the delivery oracle's answer.

    Compare it with what the subscriber under test processed, for example with
    :meth:`mockhm.HookManager.assert_delivered`.  The count is exact for any run length; the
    messages themselves come from the journal, which keeps what was sent only while it is on.
    Messages that ZeroMQ dropped at a slow subscriber's high-water mark (faithful mode) are
    still listed: the oracle says what was sent to the subscriber, so such a loss shows up as
    a difference.
    """

    subscription: Subscription
    """The subscription the messages were (or are being) sent to."""
    count: int
    """How many messages it should have received: matching messages sent from
    :attr:`Subscription.since` to its end (or now)."""
    messages: tuple[tuple[bytes, ...], ...] | None
    """Those messages' frames in send order, or ``None`` when the journal no longer holds all of
    them (the Hook Manager runs with ``journal=False``, or was reset since)."""
    maybe: tuple[tuple[bytes, ...], ...] = ()
    """Matching messages sent while the subscription was arriving (see
    :attr:`Subscription.maybe_from`): the subscriber may have received a final run of these
    before :attr:`messages`."""

    @property
    def filter(self) -> str:
        """The subscription's filter."""
        return self.subscription.filter

    @property
    def keys(self) -> list[str]:
        """Frame 1 of each of :attr:`messages` as text (empty when the messages are unknown)."""
        return [m[0].decode("ascii", "replace") if m else "" for m in self.messages or ()]


class Ledger:
    """The active and recently ended subscriptions, in notice order, with their delivery counts.

    Not thread-safe: the Hook Manager calls it under its lock.

    Args:
        count: how many messages with a key starting with a prefix were sent so far (since the
            last :meth:`rebase`); the Hook Manager answers it from its per-key counters, so
            counting deliveries costs nothing on the send path.
    """

    def __init__(self, count: Callable[[str], int]) -> None:
        self.notices = 0
        self.restarts = 0
        self._count = count
        self._active: list[Subscription] = []
        self._ended: collections.deque[Subscription] = collections.deque(maxlen=ENDED_KEPT)
        #: notice -> matching messages counted when it subscribed (active subscriptions).
        self._base: dict[int, int] = {}
        #: notice -> messages it should have received (ended subscriptions, bounded with them).
        self._final: dict[int, int] = {}

    def subscribed(self, prefix: str, maybe_from: int, since: int, peer: int | None = None) -> Subscription:
        """Record a new subscription read when ``since`` messages had been sent (the previous
        read of notices was at ``maybe_from``), from connection ``peer`` if known."""
        self.notices += 1
        sub = Subscription(prefix, self.notices, since, min(maybe_from, since), time.monotonic_ns(), peer)
        self._active.append(sub)
        self._base[sub.notice] = self._count(prefix)
        return sub

    def unsubscribed(self, prefix: str, sent: int, peer: int | None = None) -> Subscription | None:
        """End the subscription to ``prefix`` of connection ``peer``; for a notice without a
        connection (XPUB's own, for a closed one) the first whose connection is closed, else the
        newest, as the Hook Manager's subscription table decides.  ``None`` if there is none."""
        same = [s for s in self._active if s.filter == prefix]
        if not same:
            return None
        own = [s for s in same if peer is not None and s.peer == peer]
        closed = [s for s in same if s.peer is None or s.peer == peer or not _alive(s.peer)]
        sub = own[0] if own else closed[0] if closed else same[-1]
        self._end(sub, sent, time.monotonic_ns())
        return sub

    def end_all(self, sent: int) -> None:
        """Every subscription ends (the publisher's socket was closed)."""
        now = time.monotonic_ns()
        for sub in list(self._active):
            self._end(sub, sent, now)

    def _end(self, sub: Subscription, sent: int, now: int) -> None:
        self._active.remove(sub)
        if len(self._ended) == self._ended.maxlen:
            self._final.pop(self._ended[0].notice, None)
        self._final[sub.notice] = self._count(sub.filter) - self._base.pop(sub.notice)
        self._ended.append(replace(sub, until=sent, ended_ns=now))

    def rebase(self) -> None:
        """The per-key counters are about to be cleared: keep the counts so far."""
        for sub in self._active:
            self._base[sub.notice] -= self._count(sub.filter)

    def delivered_count(self, sub: Subscription) -> int:
        """Matching messages sent to ``sub`` from its :attr:`~Subscription.since` on."""
        if sub.notice in self._base:
            return self._count(sub.filter) - self._base[sub.notice]
        return self._final.get(sub.notice, 0)

    def active(self, since: Mark | None = None) -> list[Subscription]:
        """Active subscriptions (those that arrived after ``since``), oldest first."""
        return [s for s in self._active if s.after(since)]

    def ended(self) -> list[Subscription]:
        """Recently ended subscriptions, oldest first (at most :data:`ENDED_KEPT`)."""
        return list(self._ended)

    def find(self, prefix: str, since: Mark | None = None) -> Subscription | None:
        """The subscription to exactly ``prefix`` a test most likely means.

        With ``since``: the first one that arrived after the mark (active or ended).  Without:
        the newest active one, else the newest ended one.
        """
        if since is not None:
            later = [s for s in self._every() if s.filter == prefix and s.after(since)]
            return min(later, key=lambda s: s.notice) if later else None
        for group in (self._active, self._ended):
            same = [s for s in group if s.filter == prefix]
            if same:
                return max(same, key=lambda s: s.notice)
        return None

    def _every(self) -> Iterator[Subscription]:
        yield from self._ended
        yield from self._active

    def filters(self, since: Mark | None = None) -> list[str]:
        """Active filters, one per subscription, sorted."""
        return sorted(s.filter for s in self.active(since))


def _alive(fd: int) -> bool:
    try:
        os.fstat(fd)
    except OSError:
        return False
    return True


def matching(per_key: Iterable[tuple[bytes, int]], prefix: str) -> int:
    """How many of the counted messages have a key starting with ``prefix``."""
    want = prefix.encode("ascii", "replace")
    return sum(n for key, n in per_key if key.startswith(want))
