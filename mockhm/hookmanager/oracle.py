"""The delivery oracle: for each subscription, the messages it should have received.

XPUB delivers a message to every subscriber whose filter is a prefix of the key, in send
order, from the moment its subscription arrived.  The Hook Manager knows when each
subscription arrived (:class:`~mockhm.hookmanager.ledger.Subscription`), how many matching
messages it sent since (per-key counters: exact at any run length, nothing kept per message)
and, while its journal is on, the messages themselves.  A test compares that with what its
subscriber processed instead of publishing a sentinel and hoping it is last.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Union

from mockhm.hookmanager.ledger import Delivery, Ledger, Mark, Subscription

if TYPE_CHECKING:
    from mockhm.wire.message import WireMessage

#: What a test may hand to :meth:`Oracle.assert_delivered` for each processed message: its
#: key (``str`` or ``bytes``), its frames, or a :class:`~mockhm.WireMessage`.
Received = Union[str, bytes, Sequence[bytes], "WireMessage"]

Frames = tuple[bytes, ...]


def _select(journal: Sequence[Frames], prefix: bytes, start: int, end: int) -> tuple[Frames, ...]:
    return tuple(m for m in journal[start:end] if m and m[0].startswith(prefix))


def _label(item: object) -> str:
    if isinstance(item, str):
        return repr(item)
    if isinstance(item, bytes):
        return repr(item.decode("ascii", "replace"))
    frames = getattr(item, "frames", item)
    if isinstance(frames, (tuple, list)) and frames and isinstance(frames[0], bytes):
        return repr(frames[0].decode("ascii", "replace"))
    return repr(item)


class Oracle:
    """The delivery half of :class:`~mockhm.HookManager` (a mixin; see there)."""

    _cond: threading.Condition
    _ledger: Ledger
    _journal_on: bool
    _journal: list[tuple[bytes, ...]]

    def _sent_ever(self) -> int:  # pragma: no cover - provided by HookManager
        raise NotImplementedError

    def _delivery(self, sub: Subscription) -> Delivery:
        total = self._sent_ever()  # counts the pending messages into the counters and journal
        count = self._ledger.delivered_count(sub)
        journal = self._journal
        first = total - len(journal)  # absolute position of journal[0]
        end = (total if sub.until is None else sub.until) - first
        prefix = sub.filter.encode("ascii", "replace")
        if not self._journal_on or sub.since < first:
            return Delivery(sub, count, None)
        maybe = _select(journal, prefix, max(sub.maybe_from - first, 0), sub.since - first)
        return Delivery(sub, count, _select(journal, prefix, sub.since - first, end), maybe)

    def active_subscriptions(self, since: Mark | None = None) -> list[Subscription]:
        """The active subscriptions (those that arrived after ``since``), oldest first.

        Each says its filter, when it arrived and from which message on it receives; see
        :meth:`deliveries` for what each should have received.
        """
        with self._cond:
            return self._ledger.active(since)

    def subscription_log(self) -> list[Subscription]:
        """Active and recently ended subscriptions (the last 256 ended), in notice order.

        Ended ones have :attr:`~mockhm.Subscription.until` set; a view of a running Hook
        Manager diffs two of these to tell who came and went.
        """
        with self._cond:
            return sorted([*self._ledger.ended(), *self._ledger.active()], key=lambda s: s.notice)

    def deliveries(self) -> list[Delivery]:
        """For each active subscription, oldest first, what it should have received so far."""
        with self._cond:
            return [self._delivery(s) for s in self._ledger.active()]

    def delivered(self, filter: str, *, since: Mark | None = None) -> Delivery:
        """What the subscriber holding ``filter`` should have received since it subscribed.

        Args:
            filter: the subscription's filter, exactly as the subscriber set it.
            since: take the first subscription to ``filter`` that arrived after this
                :class:`~mockhm.Mark` (the subscriber the test started after marking), even if
                it has ended since.  Without it: the newest active subscription to ``filter``,
                else the most recently ended one.

        Raises:
            LookupError: no such subscription; the message lists the active filters.
        """
        with self._cond:
            sub = self._ledger.find(filter, since)
            if sub is None:
                after = "" if since is None else " after the mark"
                active = self._ledger.filters()
                raise LookupError(f"no subscription to exactly {filter!r}{after}; active filters: {active!r}")
            return self._delivery(sub)

    def assert_delivered(
        self, filter: str, received: Sequence[Received], *, since: Mark | None = None
    ) -> Delivery:
        """Assert a subscriber processed exactly what was sent to its ``filter``, in order.

        Args:
            filter: the subscriber's filter (see :meth:`delivered`).
            received: what the subscriber processed, oldest first: keys (``str`` or
                ``bytes``, then only keys are compared) or frames / :class:`~mockhm.WireMessage`
                (then every frame is compared).
            since: as for :meth:`delivered`.

        Returns:
            The :class:`~mockhm.hookmanager.ledger.Delivery` compared with.

        Raises:
            AssertionError: a message is missing, extra or out of order; the message names the
                first difference and counts what is missing and extra.
            LookupError: no such subscription.
        """
        delivery = self.delivered(filter, since=since)
        problem = compare(delivery, received)
        if problem:
            raise AssertionError(problem)
        return delivery


def _normalise(item: object, keys_only: bool) -> object:
    if isinstance(item, str):
        return item.encode("ascii", "replace")
    if isinstance(item, bytes):
        return item
    frames: tuple[bytes, ...] = tuple(getattr(item, "frames", item))  # type: ignore[arg-type]
    return frames[0] if keys_only and frames else frames


def compare(delivery: Delivery, received: Sequence[Received]) -> str | None:
    """``None`` if ``received`` is what ``delivery`` says, else what differs (for people)."""
    sub = delivery.subscription
    head = (
        f"subscriber of {sub.filter!r} (subscribed before message #{sub.since + 1}"
        f"{'' if sub.active else f', ended before #{(sub.until or 0) + 1}'})"
    )
    if delivery.messages is None:  # the journal is off or was reset: compare counts
        window = sub.since - sub.maybe_from
        if delivery.count <= len(received) <= delivery.count + window:
            return None
        return (
            f"{head} should have received {delivery.count} message(s), processed {len(received)} "
            "(the journal is off or was reset, so only counts are compared)"
        )
    keys_only = all(isinstance(r, (str, bytes)) for r in received)
    got = [_normalise(r, keys_only) for r in received]
    maybe = [_normalise(m, keys_only) for m in delivery.maybe]
    sent = [_normalise(m, keys_only) for m in delivery.messages]
    for k in range(len(maybe) + 1):
        if got == maybe[k:] + sent:
            return None
    expected = maybe + sent if len(got) > len(sent) else sent
    pairs = zip(expected, got, strict=False)
    at = next((i for i, (a, b) in enumerate(pairs) if a != b), min(len(expected), len(got)))
    missing = len([e for e in expected if e not in got])
    extra = len([g for g in got if g not in expected])
    want = _label(expected[at]) if at < len(expected) else "nothing"
    had = _label(got[at]) if at < len(got) else "nothing"
    first = f"first difference at #{at + 1}: expected {want}, processed {had}"
    what = "keys" if keys_only else "messages"
    return (
        f"{head} should have received {len(sent)} message(s), processed {len(got)}: {first}; "
        f"{missing} missing, {extra} not sent to it (comparing {what})"
    )
