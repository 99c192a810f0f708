"""The inventory against generated and hostile traffic: every hostile kind, seeded life-cycles,
realistic names from mockhm's Faker provider."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from inventory.service import PREFIX, Inventory
from pytest_mockhm import HookManagerFixture

import mockhm

pytestmark = pytest.mark.asyncio
CaughtUp = Callable[[], Awaitable[None]]


@pytest.mark.parametrize("kind", mockhm.HostileKind)
async def test_it_survives_every_hostile_kind(
    hookmanager: HookManagerFixture, inventory: Inventory, caught_up: CaughtUp, kind: mockhm.HostileKind
) -> None:
    case = mockhm.hostile_case(kind, resource_id=4)
    hookmanager.publish(*case.messages)
    hookmanager.publish_state("VM", 77, "ACTIVE", "RUNNING", name="after-the-storm")
    await caught_up()  # it read everything sent to it, in order, and is still going
    assert inventory.running.get(77) == "after-the-storm"
    if not case.broken:
        assert inventory.unreadable == 0  # quirks are legal: nothing may be rejected


async def test_broken_vm_messages_are_counted_not_fatal(
    hookmanager: HookManagerFixture, inventory: Inventory, caught_up: CaughtUp
) -> None:
    for kind in (mockhm.HostileKind.INVALID_BASE64, mockhm.HostileKind.AMP_IN_UNAME):
        hookmanager.publish(*mockhm.hostile_case(kind).messages)
    await caught_up()
    # Each kind sends its event under an object key and a STATE key; the service gets the latter.
    assert inventory.unreadable == hookmanager.delivered(PREFIX).count == 2


async def test_a_seeded_life_cycle_run_matches_an_offline_replay(
    hookmanager: HookManagerFixture, inventory: Inventory, caught_up: CaughtUp
) -> None:
    events = mockhm.generate_events(300, seed=11)  # life-cycle valid, same seed same bytes
    hookmanager.publish(*events)
    await caught_up()
    offline = Inventory()
    for event in events:
        for message in event.messages():
            if message.key.startswith(PREFIX):
                offline.apply(list(message.frames))
    assert inventory.running == offline.running


async def test_names_from_the_faker_provider(
    hookmanager: HookManagerFixture, inventory: Inventory, caught_up: CaughtUp
) -> None:
    fake = mockhm.make_faker(seed=5)
    names = {vm_id: fake.one_vm_name() for vm_id in range(3)}
    for vm_id, name in names.items():
        hookmanager.publish_state("VM", vm_id, "ACTIVE", "RUNNING", name=name)
    await caught_up()
    assert inventory.running == names
