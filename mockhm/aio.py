"""Awaitable waits over a :class:`~mockhm.HookManager`, for asyncio and anyio test suites.

The Hook Manager's waits block on a condition variable; here they run in a worker thread so
the event loop keeps serving the subscriber under test::

    async def test_subscriber(hookmanager):
        task = asyncio.create_task(my_subscriber(hookmanager.events_endpoint))
        await aio.wait_for_subscribers(hookmanager.hm, prefix="EVENT STATE VM/")
        hookmanager.publish_state("VM", 7, "ACTIVE", "RUNNING")

Under asyncio (pytest-asyncio, or anyio's plugin on its asyncio backend) the standard
``asyncio.to_thread`` is used; with no asyncio loop running (trio), anyio's
``to_thread.run_sync``.  Every wait is
bounded by its ``timeout``: cancelling the awaiting task abandons the worker thread, which
then ends by its own timeout.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from mockhm.hookmanager.ledger import Mark
    from mockhm.hookmanager.manager import HookManager
    from mockhm.wire.reports import HookReport

T = TypeVar("T")

__all__ = ["current_library", "run_sync", "wait_for_filters", "wait_for_report", "wait_for_subscribers"]


def current_library() -> str:
    """``"asyncio"`` when an asyncio loop runs in this thread, else ``"other"`` (trio, via anyio).

    Raises:
        RuntimeError: no event loop is running here.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        try:
            import sniffio  # present wherever trio is
        except ImportError:
            raise RuntimeError("mockhm.aio needs a running event loop (asyncio, or trio via anyio)") from None
        return str(sniffio.current_async_library())
    return "asyncio"


async def run_sync(func: Callable[[], T]) -> T:
    """Run blocking ``func`` in a worker thread of the running async library.

    Raises:
        RuntimeError: the running async library is neither asyncio nor one anyio supports.
    """
    library = current_library()
    if library == "asyncio":
        return await asyncio.to_thread(func)
    try:
        from anyio import to_thread
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise RuntimeError(
            f"mockhm.aio supports asyncio, or {library!r} through anyio, which is not installed"
        ) from err
    return await to_thread.run_sync(func, abandon_on_cancel=True)


async def wait_for_subscribers(
    hm: HookManager,
    count: int = 1,
    *,
    prefix: str | None = None,
    exact: bool = False,
    since: Mark | None = None,
    timeout: float = 5.0,
) -> list[str]:
    """Awaitable :meth:`mockhm.HookManager.wait_for_subscribers`; returns the active filters.

    Args:
        hm: the Hook Manager.
        count: how many subscriptions are needed.
        prefix: a key prefix they must let through (``None``: any).
        exact: count only subscriptions whose filter *is* ``prefix``.
        since: count only subscriptions made after this :class:`~mockhm.Mark`.
        timeout: seconds to wait at most.

    Raises:
        SubscriberTimeoutError: not enough subscriptions within ``timeout`` seconds.
    """
    return await run_sync(
        functools.partial(
            hm.wait_for_subscribers, count, prefix=prefix, exact=exact, since=since, timeout=timeout
        )
    )


async def wait_for_filters(
    hm: HookManager,
    filters: Iterable[str],
    *,
    exact: bool = True,
    since: Mark | None = None,
    timeout: float = 5.0,
) -> list[str]:
    """Awaitable :meth:`mockhm.HookManager.wait_for_filters`; returns the active filters.

    Raises:
        SubscriberTimeoutError: the filters are not so within ``timeout`` seconds.
    """
    wanted = list(filters)
    return await run_sync(
        functools.partial(hm.wait_for_filters, wanted, exact=exact, since=since, timeout=timeout)
    )


async def wait_for_report(
    hm: HookManager,
    hook_id: int | None = None,
    *,
    rc: int | None = None,
    where: Callable[[HookReport], bool] | None = None,
    since: Mark | None = None,
    timeout: float = 5.0,
) -> HookReport:
    """Awaitable :meth:`mockhm.HookManager.wait_for_report`; returns the first matching report.

    Args:
        hm: the Hook Manager.
        hook_id: the hook id wanted, or ``None`` for any.
        rc: the return code wanted, or ``None`` for any.
        where: an extra predicate on the report.
        since: only reports that arrived after this :class:`~mockhm.Mark`.
        timeout: seconds to wait at most.

    Raises:
        ReportTimeoutError: no matching report within ``timeout`` seconds.
    """
    return await run_sync(
        functools.partial(hm.wait_for_report, hook_id, rc=rc, where=where, since=since, timeout=timeout)
    )
