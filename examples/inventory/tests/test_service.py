"""The inventory follows VM state events."""

from __future__ import annotations

import pytest
from inventory.service import Inventory


def test_running_vms_are_listed_and_stopped_ones_dropped(hookmanager, inventory: Inventory) -> None:
    hookmanager.publish_state("VM", 4, "ACTIVE", "RUNNING", name="web-1")
    hookmanager.publish_state("VM", 5, "ACTIVE", "RUNNING", name="db-1")
    assert inventory.wait_for(lambda r: r == {4: "web-1", 5: "db-1"}, timeout=5)
    hookmanager.publish_state("VM", 4, "POWEROFF")
    assert inventory.wait_for(lambda r: r == {5: "db-1"}, timeout=5)
    hookmanager.assert_subscribed("EVENT STATE VM/", exact=True)


def test_a_whole_life_cycle_from_the_cloud_model(hookmanager, inventory: Inventory) -> None:
    cloud = hookmanager.cloud
    hookmanager.publish(cloud.host_allocate("kvm-1"), cloud.host_monitor(0))
    hookmanager.publish(cloud.vm_allocate(name="batch-1"))
    hookmanager.publish(cloud.vm_deploy(0))
    assert inventory.wait_for(lambda r: r == {0: "batch-1"}, timeout=5)
    hookmanager.publish(cloud.vm_action(0, "terminate"))
    assert inventory.wait_for(lambda r: r == {}, timeout=5)
    hookmanager.assert_published("EVENT STATE VM/DONE/")


def test_api_events_do_not_matter(hookmanager, inventory: Inventory) -> None:
    hookmanager.publish_api("one.vm.allocate", ["NAME=x", False], result=9)
    hookmanager.publish_state("VM", 1, "ACTIVE", "RUNNING", name="x")
    assert inventory.wait_for(lambda r: r == {1: "x"}, timeout=5)


@pytest.mark.hookmanager_scenario("vm-lifecycle", speed=1000.0)
def test_replayed_built_in_scenario_ends_with_no_vm_left_running(hookmanager, inventory: Inventory) -> None:
    from inventory._wire import decode_state

    hookmanager.play()
    final: dict[int, str] = {}
    for message in hookmanager.scenario.messages:
        change = decode_state(list(message.frames))
        if change is not None:
            final.pop(change.vm_id, None)
            if (change.state, change.lcm_state) == ("ACTIVE", "RUNNING"):
                final[change.vm_id] = change.name
    assert inventory.wait_for(lambda r: r == final, timeout=5)
