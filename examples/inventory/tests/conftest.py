"""Fixtures of the example project, built on mockhm's ``hookmanager`` (pytest_mockhm)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
import pytest_asyncio
from inventory.service import PREFIX, Inventory, serve
from pytest_mockhm import HookManagerFixture


@pytest_asyncio.fixture
async def inventory(hookmanager: HookManagerFixture) -> AsyncIterator[Inventory]:
    """The inventory service running as a task against this test's mock Hook Manager.

    Returned once *its* subscription (made after the mark, exactly its filter) has reached the
    Hook Manager: a subscriber left over from another test cannot stand in for it.
    """
    inv = Inventory()
    mark = hookmanager.mark()
    task = asyncio.create_task(serve(hookmanager.events_endpoint, inv))
    try:
        await hookmanager.wait_for_subscribers_async(prefix=PREFIX, exact=True, since=mark)
        yield inv
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


CaughtUp = Callable[[], Awaitable[None]]


@pytest.fixture
def caught_up(hookmanager: HookManagerFixture, inventory: Inventory) -> CaughtUp:
    """``await caught_up()``: wait until the service processed everything the Hook Manager sent
    to its filter, then check it got exactly that, in order (no sentinel message needed)."""

    async def check() -> None:
        await inventory.caught_up(hookmanager.delivered(PREFIX).count)
        hookmanager.assert_delivered(PREFIX, inventory.processed)

    return check
