"""The stateful event source: emission order and consistent documents (reference §3.2.5, §3.3, §5)."""

from __future__ import annotations

import re

import pytest

from mockhm import Cloud, CloudError, HookEvent


def keys(events: list[HookEvent]) -> list[str]:
    return [e.keys[0] for e in events]


def field(event: HookEvent, tag: str) -> str:
    match = re.search(rf"<VM>.*?<{tag}>([^<]*)</{tag}>", event.text())
    assert match is not None, tag
    return match.group(1)


@pytest.fixture
def cloud() -> Cloud:
    c = Cloud(seed=3)
    c.host_allocate()
    c.host_monitor(0)
    c.host_allocate()
    c.host_monitor(1)
    return c


def test_allocation_state_comes_before_api(cloud: Cloud) -> None:
    """Reference §3.2.5."""
    events = cloud.vm_allocate()
    assert keys(events) == ["EVENT VM 0/PENDING/LCM_INIT ", "EVENT API one.vm.allocate 1"]
    assert "<EXTRA><VM><ID>0</ID>" in events[1].text()
    host = Cloud(seed=1).host_allocate()
    assert keys(host) == ["EVENT HOST 0/INIT/ ", "EVENT API one.host.allocate 1"]
    # a fresh 7.4 host: DATASTORES with zeros, empty MONITORING (captures-7.4.0/7.4.0-hosts.jsonl)
    assert "<DATASTORES><DISK_USAGE><![CDATA[0]]></DISK_USAGE>" in host[0].text()
    assert "<MONITORING/>" in host[0].text()


def test_deploy_sequence_and_prev_states(cloud: Cloud) -> None:
    """Reference §5."""
    cloud.vm_allocate()
    events = cloud.vm_deploy(0)
    assert keys(events) == [
        "EVENT VM 0/ACTIVE/LCM_INIT ",
        "EVENT VM 0/ACTIVE/PROLOG ",
        "EVENT VM 0/ACTIVE/BOOT ",
        "EVENT VM 0/ACTIVE/RUNNING ",
    ]
    # PREV_* hold the state being left: the message is built before set_prev_state (§3.3).
    assert [(field(e, "PREV_STATE"), field(e, "PREV_LCM_STATE")) for e in events] == [
        ("1", "0"), ("3", "0"), ("3", "1"), ("3", "2"),
    ]  # fmt: skip
    host = cloud.vms[0].history[-1].hostname
    assert all(f"<REMOTE_HOST>{host}</REMOTE_HOST>" in e.text() for e in events)
    assert "<TM_MAD_SYSTEM><![CDATA[ssh]]></TM_MAD_SYSTEM>" in events[-1].text()
    assert field(events[-1], "DEPLOY_ID") == "one-0"


def test_scheduler_deploy_api_event_until_6_10() -> None:
    """Reference §3.2.4."""
    for profile, expected in (("6.10", True), ("7.0", False)):
        c = Cloud(profile, seed=0)
        c.host_allocate()
        c.host_monitor(0)
        c.vm_allocate()
        got = keys(c.vm_deploy(0))
        assert ("EVENT API one.vm.deploy 1" in got) is expected
        if expected:
            assert got[:2] == ["EVENT VM 0/ACTIVE/LCM_INIT ", "EVENT API one.vm.deploy 1"]


@pytest.mark.parametrize(
    ("action", "expected"),
    [
        ("poweroff", ["EVENT API one.vm.action 1", "EVENT VM 0/ACTIVE/SHUTDOWN_POWEROFF ", "EVENT VM 0/POWEROFF/LCM_INIT "]),
        ("suspend", ["EVENT API one.vm.action 1", "EVENT VM 0/ACTIVE/SAVE_SUSPEND ", "EVENT VM 0/SUSPENDED/LCM_INIT "]),
        ("stop", ["EVENT API one.vm.action 1", "EVENT VM 0/ACTIVE/SAVE_STOP ", "EVENT VM 0/ACTIVE/EPILOG_STOP ",
                  "EVENT VM 0/STOPPED/LCM_INIT "]),
        ("undeploy", ["EVENT API one.vm.action 1", "EVENT VM 0/ACTIVE/SHUTDOWN_UNDEPLOY ",
                      "EVENT VM 0/ACTIVE/EPILOG_UNDEPLOY ", "EVENT VM 0/UNDEPLOYED/LCM_INIT "]),
        ("terminate", ["EVENT API one.vm.action 1", "EVENT VM 0/ACTIVE/SHUTDOWN ", "EVENT VM 0/ACTIVE/EPILOG ",
                       "EVENT VM 0/DONE/LCM_INIT "]),
        ("reboot", ["EVENT API one.vm.action 1"]),
        ("release", ["EVENT API one.vm.action 0"]),
    ],
)  # fmt: skip
def test_actions_from_running(cloud: Cloud, action: str, expected: list[str]) -> None:
    """Reference §5."""
    cloud.vm_allocate()
    cloud.vm_deploy(0)
    assert keys(cloud.vm_action(0, action)) == expected


def test_resume_paths(cloud: Cloud) -> None:
    """Reference §5."""
    cloud.vm_allocate()
    cloud.vm_deploy(0)
    cloud.vm_action(0, "poweroff")
    assert keys(cloud.vm_action(0, "resume"))[1:] == [
        "EVENT VM 0/ACTIVE/BOOT_POWEROFF ",
        "EVENT VM 0/ACTIVE/RUNNING ",
    ]
    cloud.vm_action(0, "stop")
    # DM::resume sets PENDING inside the call: STATE before API (captures-7.4.0/7.4.0-vm-lifecycle.jsonl)
    assert keys(cloud.vm_action(0, "resume")) == [
        "EVENT VM 0/PENDING/LCM_INIT ",
        "EVENT API one.vm.action 1",
        "EVENT VM 0/ACTIVE/LCM_INIT ",
        "EVENT VM 0/ACTIVE/PROLOG_RESUME ",
        "EVENT VM 0/ACTIVE/BOOT_STOPPED ",
        "EVENT VM 0/ACTIVE/RUNNING ",
    ]
    # new records: the resume from POWEROFF and the new deployment after STOPPED
    assert len(cloud.vms[0].history) == 3


def test_refused_action_is_a_failed_api_event(cloud: Cloud) -> None:
    cloud.vm_allocate()
    (event,) = cloud.vm_action(0, "resume")
    assert event.keys == ("EVENT API one.vm.action 0",)
    assert "This action is not available for state PENDING" in event.text()
    assert "<VALUE>2048</VALUE>" in event.text()  # ACTION error code


def test_host_failure_storm(cloud: Cloud) -> None:
    """Reference §5."""
    for _ in range(3):
        cloud.vm_allocate()
    for vid in range(3):
        cloud.vm_deploy(vid, hid=0)
    events = cloud.host_fail(0)
    assert keys(events) == ["EVENT HOST 0/ERROR/ "] + [f"EVENT VM {v}/ACTIVE/UNKNOWN " for v in range(3)]
    assert keys(cloud.host_recover(0)) == ["EVENT HOST 0/MONITORED/ "] + [
        f"EVENT VM {v}/ACTIVE/RUNNING " for v in range(3)
    ]


def test_migrate_moves_remote_host(cloud: Cloud) -> None:
    cloud.vm_allocate()
    cloud.vm_deploy(0, hid=0)
    events = cloud.vm_migrate(0, 1, live=True)
    assert keys(events) == [
        "EVENT API one.vm.migrate 1",
        "EVENT VM 0/ACTIVE/MIGRATE ",
        "EVENT VM 0/ACTIVE/RUNNING ",
    ]
    assert f"<REMOTE_HOST>{cloud.hosts[1].name}</REMOTE_HOST>" in events[-1].text()
    assert events[-1].text().count("<HISTORY>") == 2


def test_image_and_network() -> None:
    """Reference §3.3."""
    c = Cloud("6.6", seed=0)
    image = c.image_allocate()
    assert keys(image) == ["EVENT API one.image.allocate 1", "EVENT IMAGE 0/READY/ "]
    assert "<STATE>1</STATE><PREV_STATE>0</PREV_STATE>" in image[1].text()  # inserted LOCKED, PREV INIT
    net = c.net_allocate()
    assert keys(net) == ["EVENT API one.vn.allocate 1", "EVENT NET 0/READY/ "]
    assert keys(c.net_state(0, "UPDATE_FAILURE")) == ["EVENT NET 0// "]
    assert keys(Cloud("5.12", seed=0).image_allocate()) == ["EVENT API one.image.allocate 1"]


def test_hook_retry_then_api() -> None:
    """Reference §3.4."""
    events = Cloud(seed=0).hook_retry(2, "ARGS", remote_host="node1")
    assert [e.keys for e in events] == [("RETRY",), ("EVENT API one.hook.retry 1",)]


def test_same_seed_same_bytes() -> None:
    def run(seed: int) -> list[bytes]:
        c = Cloud(seed=seed)
        c.host_allocate()
        c.host_monitor(0)
        return [e.body for e in c.vm_allocate() + c.vm_deploy(0)]

    assert run(5) == run(5)
    assert run(5) != run(6)


def test_errors_name_what_exists(cloud: Cloud) -> None:
    with pytest.raises(CloudError, match=r"^no VM 9; VMs are \[\]$"):
        cloud.vm_action(9, "poweroff")
    cloud.vm_allocate()
    with pytest.raises(CloudError, match=r"unknown VM action 'dploy'; expected one of terminate-hard"):
        cloud.vm_action(0, "dploy")
    with pytest.raises(CloudError, match=r"only RUNNING VMs migrate"):
        cloud.vm_migrate(0)


def test_image_and_network_states_of_unknown_objects_or_states_are_cloud_errors() -> None:
    """They raised KeyError, and an unknown state was set before being refused (the next
    net_delete then raised KeyError)."""
    cloud = Cloud()
    cloud.new_net("n")
    for call, says in (
        (lambda: cloud.image_state(9, "READY"), "no image 9"),
        (lambda: cloud.net_state(9, "READY"), "no network 9"),
        (lambda: cloud.net_state(0, "BOGUS"), "network state 'BOGUS'; expected one of"),
    ):
        with pytest.raises(CloudError, match=says):
            call()
    assert cloud.nets[0].state != "BOGUS"
