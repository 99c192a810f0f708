"""The waits, the delivery oracle and restarts of :class:`HookManagerFixture` (a mixin).

Each method hands over to the same-named method of :class:`mockhm.HookManager`; the
docstrings say what a test sees.  Nothing here imports pyzmq or lxml at module level.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mockhm import Delivery, HookManager, HookReport, Mark, Subscription, WireMessage
    from mockhm.hookmanager.oracle import Received


class FixtureHelpers:
    """Waits, delivery checks and restarts of the ``hookmanager`` fixture."""

    _hm: HookManager

    # -- marks and waits -------------------------------------------------------------------

    def mark(self) -> Mark:
        """Remember this moment; pass it as ``since=`` to look only at what comes after it.

        Take it before starting the client under test: a subscriber left over from an earlier
        test, or a report that arrived before, then does not satisfy the test's waits.
        """
        return self._hm.mark()

    def wait_for_subscribers(
        self,
        count: int = 1,
        *,
        prefix: str | None = None,
        exact: bool = False,
        since: Mark | None = None,
        timeout: float = 5.0,
    ) -> list[str]:
        """Block until ``count`` subscriptions would receive keys starting with ``prefix``.

        Args:
            count: how many subscriptions are needed (one per subscriber and filter).
            prefix: a key prefix a subscription must let through (``"EVENT"`` covers
                ``"EVENT STATE VM/"``); ``None``: any subscription counts.
            exact: count only subscriptions whose filter *is* ``prefix``.
            since: count only subscriptions made after this :meth:`mark` (new peers).
            timeout: seconds to wait at most.

        Returns:
            The active filters, one entry per subscriber and filter, sorted.

        Raises:
            SubscriberTimeoutError: not enough subscriptions in time; lists the active filters.
        """
        return self._hm.wait_for_subscribers(count, prefix=prefix, exact=exact, since=since, timeout=timeout)

    def wait_for_filters(
        self, filters: Iterable[str], *, exact: bool = True, since: Mark | None = None, timeout: float = 5.0
    ) -> list[str]:
        """Block until the distinct active filters are exactly ``filters`` (or, with
        ``exact=False``, include them); see :meth:`mockhm.HookManager.wait_for_filters`.

        Raises:
            SubscriberTimeoutError: not so within ``timeout`` seconds.
        """
        return self._hm.wait_for_filters(filters, exact=exact, since=since, timeout=timeout)

    def wait_for_unsubscribed(self, prefix: str, *, timeout: float = 5.0) -> list[str]:
        """Block until no subscriber holds the filter ``prefix`` (it unsubscribed or left).

        Raises:
            SubscriberTimeoutError: still held after ``timeout`` seconds.
        """
        return self._hm.wait_for_unsubscribed(prefix, timeout=timeout)

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
            since: only reports that arrived after this :meth:`mark` (the next report).
            timeout: seconds to wait at most.

        Raises:
            ReportTimeoutError: none in time; lists the reports seen as ``(hook_id, rc)``.
        """
        return self._hm.wait_for_report(hook_id, rc=rc, where=where, since=since, timeout=timeout)

    async def wait_for_subscribers_async(
        self,
        count: int = 1,
        *,
        prefix: str | None = None,
        exact: bool = False,
        since: Mark | None = None,
        timeout: float = 5.0,
    ) -> list[str]:
        """Awaitable :meth:`wait_for_subscribers` (asyncio, anyio)."""
        from mockhm import aio

        return await aio.wait_for_subscribers(
            self._hm, count, prefix=prefix, exact=exact, since=since, timeout=timeout
        )

    async def wait_for_filters_async(
        self, filters: Iterable[str], *, exact: bool = True, since: Mark | None = None, timeout: float = 5.0
    ) -> list[str]:
        """Awaitable :meth:`wait_for_filters` (asyncio, anyio)."""
        from mockhm import aio

        return await aio.wait_for_filters(self._hm, filters, exact=exact, since=since, timeout=timeout)

    async def wait_for_report_async(
        self,
        hook_id: int | None = None,
        *,
        rc: int | None = None,
        where: Callable[[HookReport], bool] | None = None,
        since: Mark | None = None,
        timeout: float = 5.0,
    ) -> HookReport:
        """Awaitable :meth:`wait_for_report` (asyncio, anyio)."""
        from mockhm import aio

        return await aio.wait_for_report(self._hm, hook_id, rc=rc, where=where, since=since, timeout=timeout)

    # -- the delivery oracle ---------------------------------------------------------------

    def active_subscriptions(self, since: Mark | None = None) -> list[Subscription]:
        """The active subscriptions (made after ``since``), oldest first, with when each
        arrived (see :class:`mockhm.Subscription`)."""
        return self._hm.active_subscriptions(since)

    def deliveries(self) -> list[Delivery]:
        """For each active subscription, what it should have received so far."""
        return self._hm.deliveries()

    def delivered(self, filter: str, *, since: Mark | None = None) -> Delivery:
        """What the subscriber holding ``filter`` should have received since it subscribed.

        Args:
            filter: the subscriber's filter, exactly.
            since: the first subscription to it made after this :meth:`mark`; by default the
                newest active one.

        Raises:
            LookupError: no such subscription; lists the active filters.
        """
        return self._hm.delivered(filter, since=since)

    def assert_delivered(
        self, filter: str, received: Sequence[Received], *, since: Mark | None = None
    ) -> Delivery:
        """Assert the subscriber holding ``filter`` processed exactly what was sent to it.

        No sentinel message needed: the Hook Manager knows what each subscription should have
        received.  ``received`` lists what the subscriber processed, oldest first: keys
        (``str``/``bytes``) or frames / :class:`~mockhm.WireMessage`.

        Raises:
            AssertionError: a message missing, extra or out of order (the first difference is
                named).
            LookupError: no such subscription.
        """
        return self._hm.assert_delivered(filter, received, since=since)

    @property
    def sent(self) -> list[WireMessage]:
        """Every message sent since the test (or :meth:`reset`) started, as
        :class:`~mockhm.WireMessage` items (``key``, ``content``, ``body()``)."""
        from mockhm import WireMessage

        return [WireMessage(frames) for frames in self._hm.journal]

    # -- restarts --------------------------------------------------------------------------

    def restart(self, *, downtime: float = 0.0, reports: bool = True, timeout: float = 5.0) -> Mark:
        """Restart the publisher on the same endpoints (see :meth:`mockhm.HookManager.restart`).

        Returns:
            The restart's :class:`~mockhm.Mark`: ``wait_for_subscribers(since=mark)`` waits
            for the subscribers to come back.
        """
        return self._hm.restart(downtime=downtime, reports=reports, timeout=timeout)

    @contextlib.contextmanager
    def restarted(
        self, *, downtime: float = 0.0, reports: bool = True, timeout: float = 5.0
    ) -> Iterator[Mark]:
        """Keep the publisher down for the ``with`` block (at least ``downtime`` seconds), then
        bind it again on the same endpoints; yields the restart's :class:`~mockhm.Mark`.

        See :meth:`mockhm.HookManager.restarted` for the arguments.
        """
        with self._hm.restarted(downtime=downtime, reports=reports, timeout=timeout) as mark:
            yield mark
