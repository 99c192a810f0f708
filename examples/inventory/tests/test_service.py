"""The inventory follows VM state events, survives a Hook Manager restart and replays."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from inventory.decode import decode_state
from inventory.service import PREFIX, Inventory
from pytest_mockhm import HookManagerFixture

import mockhm

pytestmark = pytest.mark.asyncio

#: The ``caught_up`` fixture of conftest.py.
CaughtUp = Callable[[], Awaitable[None]]


async def test_running_vms_are_listed_and_stopped_ones_dropped(
    hookmanager: HookManagerFixture, inventory: Inventory, caught_up: CaughtUp
) -> None:
    hookmanager.publish_state("VM", 4, "ACTIVE", "RUNNING", name="web-1")
    hookmanager.publish_state("VM", 5, "ACTIVE", "RUNNING", name="db-1")
    await inventory.wait_for(lambda inv: inv.running == {4: "web-1", 5: "db-1"})
    hookmanager.publish_state("VM", 4, "POWEROFF")
    await caught_up()
    assert inventory.running == {5: "db-1"}


async def test_api_events_never_reach_it(
    hookmanager: HookManagerFixture, inventory: Inventory, caught_up: CaughtUp
) -> None:
    hookmanager.publish_api("one.vm.allocate", ["NAME=x", False], result=9)
    hookmanager.publish_state("VM", 9, "ACTIVE", "RUNNING", name="x")
    await caught_up()
    assert inventory.processed == [b"EVENT STATE VM/ACTIVE/RUNNING/9 "]


async def test_a_whole_life_cycle_from_the_cloud_model(
    hookmanager: HookManagerFixture, inventory: Inventory, caught_up: CaughtUp
) -> None:
    cloud = hookmanager.cloud
    hookmanager.publish(cloud.host_allocate("kvm-1"), cloud.host_monitor(0))
    hookmanager.publish(cloud.vm_allocate(name="batch-1"), cloud.vm_deploy(0))
    await caught_up()
    assert inventory.running == {0: "batch-1"}
    hookmanager.publish(cloud.vm_action(0, "terminate"))
    await caught_up()
    assert inventory.running == {}


async def test_it_comes_back_after_the_hook_manager_restarts(
    hookmanager: HookManagerFixture, inventory: Inventory, caught_up: CaughtUp
) -> None:
    hookmanager.publish_state("VM", 1, "ACTIVE", "RUNNING", name="before")
    await caught_up()
    with hookmanager.restarted(downtime=0.2) as mark:
        assert hookmanager.subscriptions == []  # its connection dropped
    await hookmanager.wait_for_filters_async({PREFIX}, since=mark)  # it reconnected by itself
    hookmanager.publish_state("VM", 2, "ACTIVE", "RUNNING", name="after")
    await inventory.wait_for(lambda inv: 2 in inv.running)
    hookmanager.assert_delivered(PREFIX, inventory.processed[1:], since=mark)
    assert inventory.running == {1: "before", 2: "after"}


def _final_state(scenario: mockhm.Scenario) -> dict[int, str]:
    """What the inventory must end with, computed from the scenario's own messages."""
    final: dict[int, str] = {}
    for message in scenario.messages:  # mockhm.TimedMessage items: t, frames, step
        change = decode_state(list(message.frames))
        if change is not None:
            final.pop(change.vm_id, None)
            if (change.state, change.lcm_state) == ("ACTIVE", "RUNNING"):
                final[change.vm_id] = change.name
    return final


@pytest.mark.hookmanager_scenario("vm-lifecycle", speed=1000.0)
async def test_a_replayed_built_in_scenario(
    hookmanager: HookManagerFixture, inventory: Inventory, caught_up: CaughtUp
) -> None:
    report = hookmanager.play()
    assert isinstance(report, mockhm.ReplayReport) and report.sent == len(hookmanager.scenario.messages)
    await caught_up()
    assert inventory.running == _final_state(mockhm.load_scenario("vm-lifecycle"))


async def test_the_built_in_story_leaves_nothing_running(
    hookmanager: HookManagerFixture, inventory: Inventory, caught_up: CaughtUp
) -> None:
    hookmanager.publish(*mockhm.mixed_day(mockhm.Cloud("7.4", seed=3), rounds=2))
    await caught_up()
    assert inventory.running == {} and inventory.unreadable == 0
