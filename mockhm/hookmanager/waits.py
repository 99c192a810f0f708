"""Readiness and report waits of the Hook Manager, driven by XPUB notices and 2102 arrivals.

Every wait blocks on the Hook Manager's condition variable (woken by the I/O thread when a
subscription notice or a report arrives), never by sleeping, and is bounded by ``timeout``.
Waits that take ``since=`` look only at what came after a :class:`~mockhm.Mark`.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from mockhm.hookmanager.ledger import Ledger, Mark
from mockhm.wire.errors import (
    InvalidArgumentError,
    PublisherClosedError,
    ReportTimeoutError,
    SubscriberTimeoutError,
)
from mockhm.wire.keys import key_filters

if TYPE_CHECKING:
    from mockhm.wire.reports import HookReport


def seconds(name: str, value: float, *, finite: bool = False) -> float:
    """``value`` if it is a number of seconds, 0 or more (finite when ``finite``); else
    :class:`~mockhm.wire.errors.InvalidArgumentError` naming it (a NaN wait never ended)."""
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0
    if not ok or (finite and not math.isfinite(value)):
        expected = "finite seconds, 0 or more" if finite else "seconds, 0 or more (math.inf: no limit)"
        raise InvalidArgumentError(f"{name}={value!r}; expected {expected}")
    return value


def _covers(filter_: str, prefix: str | None, exact: bool) -> bool:
    if prefix is None:
        return True
    return filter_ == prefix if exact else prefix.startswith(filter_)


class Waits:
    """The waiting half of :class:`~mockhm.HookManager` (a mixin; see there)."""

    _cond: threading.Condition
    _closed: bool
    _ledger: Ledger
    events_endpoint: str
    reports_endpoint: str | None
    reports: list[HookReport]

    def _sent_ever(self) -> int:  # pragma: no cover - provided by HookManager
        raise NotImplementedError

    def _reports_ever(self) -> int:  # pragma: no cover - provided by HookManager
        raise NotImplementedError

    # -- marks -----------------------------------------------------------------------------

    def mark(self) -> Mark:
        """Remember this moment; pass it as ``since=`` to look only at what comes after it.

        Take the mark before starting the client under test::

            mark = hm.mark()
            start_my_subscriber(hm.events_endpoint)
            hm.wait_for_subscribers(prefix="EVENT STATE VM/", since=mark)   # not an old peer's
            ...
            hm.wait_for_report(3, since=mark)                               # not an old report
        """
        with self._cond:
            return self._mark()

    def _mark(self) -> Mark:
        return Mark(
            sent=self._sent_ever(),
            reports=self._reports_ever(),
            notices=self._ledger.notices,
            restarts=self._ledger.restarts,
            monotonic_ns=time.monotonic_ns(),
        )

    # -- subscriptions ---------------------------------------------------------------------

    def wait_for_subscribers(
        self,
        count: int = 1,
        *,
        prefix: str | None = None,
        exact: bool = False,
        since: Mark | None = None,
        timeout: float = 5.0,
    ) -> list[str]:
        """Block until ``count`` active subscriptions would receive keys starting with ``prefix``.

        Driven by the XPUB socket's subscription notices, never by sleeping.

        Args:
            count: how many subscriptions are needed (one per subscriber and filter).
            prefix: a key prefix; a subscription counts when a key starting with it would reach
                the subscriber (``"EVENT"`` counts for ``"EVENT STATE VM/"``).  ``None``: every
                subscription counts.
            exact: count only subscriptions whose filter *is* ``prefix``, not one covering it.
            since: count only subscriptions that arrived after this :class:`~mockhm.Mark`
                (a new peer: a subscriber left over from an earlier test does not count).
            timeout: seconds to wait at most.

        Returns:
            The active filters, one entry per subscriber and filter, sorted.

        Raises:
            SubscriberTimeoutError: not enough subscriptions within ``timeout`` seconds; the
                message lists the active filters and which of them are new since ``since``.
            PublisherClosedError: the Hook Manager was closed meanwhile.
        """

        def matched() -> int:
            return sum(1 for s in self._ledger.active(since) if _covers(s.filter, prefix, exact))

        if prefix is None:
            what = ""
        else:
            what = f" with exactly the filter {prefix!r}" if exact else f" for keys starting {prefix!r}"
        return self._wait_subscriptions(
            lambda: matched() >= count, f"{count} subscription(s){what}", count, since, timeout, matched
        )

    def wait_for_filters(
        self,
        filters: Iterable[str],
        *,
        exact: bool = True,
        since: Mark | None = None,
        timeout: float = 5.0,
    ) -> list[str]:
        """Block until the subscribers' distinct filters are exactly ``filters`` (or include them).

        ``hm.wait_for_filters({"EVENT API one.vm.allocate 1", "EVENT STATE VM/ACTIVE/RUNNING/"})``
        waits until a HEM-style executor with those two hooks has subscribed, and (with
        ``exact=True``) until nobody holds any other filter, for example one of its hooks that
        was just removed.

        Args:
            filters: the filters wanted (compared as strings: a filter is not covered by a
                shorter one).
            exact: the set of distinct active filters must equal ``filters``; with ``False`` it
                must contain them and may hold others.
            since: consider only subscriptions that arrived after this :class:`~mockhm.Mark`.
            timeout: seconds to wait at most.

        Returns:
            The active filters, one entry per subscriber and filter, sorted.

        Raises:
            SubscriberTimeoutError: not so within ``timeout`` seconds; the message lists the
                filters missing and those held besides.
            PublisherClosedError: the Hook Manager was closed meanwhile.
        """
        wanted = set(key_filters(filters))

        def done() -> bool:
            held = {s.filter for s in self._ledger.active(since)}
            return held == wanted if exact else wanted <= held

        how = "exactly the filters" if exact else "the filters"
        return self._wait_subscriptions(done, f"{how} {sorted(wanted)!r}", len(wanted), since, timeout)

    def wait_for_unsubscribed(self, prefix: str, *, timeout: float = 5.0) -> list[str]:
        """Block until no subscriber holds the filter ``prefix`` any more.

        A filter goes when its subscriber unsubscribes or disconnects, as HEM does when its
        hooks change.

        Args:
            prefix: the filter (compared exactly).
            timeout: seconds to wait at most.

        Returns:
            The active filters, one entry per subscriber and filter, sorted.

        Raises:
            SubscriberTimeoutError: the filter is still held after ``timeout`` seconds.
        """
        return self._wait_subscriptions(
            lambda: all(s.filter != prefix for s in self._ledger.active()),
            f"no subscription {prefix!r}",
            0,
            None,
            timeout,
        )

    def _wait_subscriptions(
        self,
        done: Callable[[], bool],
        wanted: str,
        count: int,
        since: Mark | None,
        timeout: float,
        matched: Callable[[], int] | None = None,
    ) -> list[str]:
        deadline = time.monotonic() + seconds("timeout", timeout)
        with self._cond:
            while not done():
                if self._closed:
                    raise PublisherClosedError("the mock Hook Manager is closed")
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    seen = self._ledger.filters()
                    counts = [] if matched is None else [f"{matched()} matching"]
                    if since is not None:
                        counts.append(f"{len(self._ledger.active(since))} new since the mark")
                    counts.append(f"{len(seen)} active: {seen!r}")
                    raise SubscriberTimeoutError(
                        f"{wanted} expected on {self.events_endpoint} within {timeout} s; "
                        f"{', '.join(counts)}; a subscriber must set its filter and connect "
                        "before events are published",
                        endpoint=self.events_endpoint,
                        expected=count,
                        seen=seen,
                    )
                self._cond.wait(min(remaining, 0.5))
            return self._ledger.filters()

    # -- reports ---------------------------------------------------------------------------

    def reports_after(self, mark: Mark) -> list[HookReport]:
        """The reports that arrived after ``mark``, oldest first (those still kept: ``reset()``
        and a bounded report buffer forget older ones)."""
        with self._cond:
            return self._reports_after(mark)

    def _reports_after(self, mark: Mark | None) -> list[HookReport]:
        if mark is None:
            return list(self.reports)
        if not isinstance(mark, Mark):
            raise TypeError(f"since={mark!r}: expected a Mark, from hm.mark()")
        first = len(self.reports) - (self._reports_ever() - mark.reports)
        return self.reports[max(first, 0) :]

    def wait_for_report(
        self,
        hook_id: int | None = None,
        *,
        rc: int | None = None,
        where: Callable[[HookReport], bool] | None = None,
        since: Mark | None = None,
        timeout: float = 5.0,
    ) -> HookReport:
        """Block until a matching report has arrived on 2102 and return the first such.

        Args:
            hook_id: the hook id wanted, or ``None`` for any.
            rc: the return code wanted, or ``None`` for any.
            where: an extra predicate on the :class:`~mockhm.HookReport`.
            since: look only at reports that arrived after this :class:`~mockhm.Mark` (the
                next report, not the first ever received); reports forgotten by ``reset()`` or
                by the bounded buffer are not looked at either way.
            timeout: seconds to wait at most.

        Raises:
            ReportTimeoutError: no matching report within ``timeout`` seconds; the message
                lists the reports seen as ``(hook_id, rc)``.
            PublisherClosedError: the Hook Manager was closed meanwhile.
        """
        deadline = time.monotonic() + seconds("timeout", timeout)
        with self._cond:
            while True:
                candidates = self._reports_after(since)
                for report in candidates:
                    if report.matches(hook_id, rc, where):
                        return report
                if self._closed:  # as the subscription waits: not a timeout that never ran out
                    raise PublisherClosedError("the mock Hook Manager is closed")
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    seen = [(r.hook_id, r.rc) for r in candidates]
                    after = " after the mark" if since is not None else ""
                    raise ReportTimeoutError(
                        f"no report for hook {hook_id} with rc {rc} on {self.reports_endpoint} within "
                        f"{timeout} s; reports seen{after} as (hook_id, rc): {seen!r}"
                    )
                self._cond.wait(min(remaining, 0.5))
