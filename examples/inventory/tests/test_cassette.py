"""A recorded stream, replayed: the cassette was recorded once from a live Hook Manager with

    python -m pytest tests/test_cassette.py --hm-record-mode=once --hm-record-from=tcp://HOST:2101

and the same test body replays it (record mode ``none``, the default) or records it: the
marker's ``count=`` says when the recording is complete, so the test never branches.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable

import pytest
from inventory.service import Inventory
from pytest_mockhm import CassetteFixture, HookManagerFixture

import mockhm

CaughtUp = Callable[[], Awaitable[None]]
#: Messages in the recorded stream.
COUNT = 45


@pytest.mark.asyncio
@pytest.mark.hookmanager_cassette(count=COUNT)
async def test_inventory_from_a_recorded_stream(
    hookmanager: HookManagerFixture,
    hookmanager_cassette: CassetteFixture,
    inventory: Inventory,
    caught_up: CaughtUp,
) -> None:
    hookmanager_cassette.play(speed=math.inf)
    await caught_up()
    assert inventory.running == {0: "web-0", 2: "web-2"}
    assert inventory.unreadable == 0


@pytest.mark.hookmanager_cassette("test_inventory_from_a_recorded_stream")
def test_the_cassette_is_a_valid_capture(hookmanager_cassette: CassetteFixture) -> None:
    report: mockhm.ValidationReport = mockhm.validate_file(hookmanager_cassette.path)
    assert report.ok, report.failures
    source = mockhm.load_capture(hookmanager_cassette.path)
    assert len(source.messages) == COUNT and source.profile == "7.4"
