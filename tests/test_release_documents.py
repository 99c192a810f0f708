"""Issue 13's document and transition items, each checked against the OpenNebula source it
cites (``git --git-dir=/work/.mirror/OpenNebula+one/repo show <tag>:<path>``; facts only)."""

from __future__ import annotations

import re

import pytest

from mockhm.oned.cloud import Cloud, CloudError
from mockhm.oned.front import Oned
from mockhm.traffic.api_events import _FAILURES
from mockhm.wire.bodies import state_event
from mockhm.wire.message import HookEvent
from mockhm.wire.profiles import get_profile
from mockhm.wire.states import LCM_STATES

S = "oneadmin:password"
TEMPLATE = 'NAME="t"\nCPU="0.1"\nMEMORY="64"\n'


def keys(events: list[HookEvent]) -> list[str]:
    return [e.keys[0] for e in events]


def running(cloud: Cloud) -> Cloud:
    cloud.host_allocate(im_mad="dummy", vm_mad="dummy")
    cloud.host_monitor(0)
    cloud.vm_allocate()
    cloud.vm_deploy(0)
    return cloud


def test_510_host_document_and_monitoring_states() -> None:
    """5.10: LAST_MON_TIME, the flat HOST_SHARE, no MONITORING (src/host/Host.cc@release-5.10.0,
    src/host/HostShare.cc@release-5.10.0); every monitor cycle passes MONITORING_<state>
    (Host::set_monitoring_state, include/Host.h@release-5.10.0)."""
    cloud = Cloud("5.10.0")
    cloud.host_allocate(im_mad="dummy", vm_mad="dummy")
    first = cloud.host_monitor(0)
    again = cloud.host_monitor(0)
    assert keys(first) == ["EVENT HOST 0/MONITORING_INIT/ ", "EVENT HOST 0/MONITORED/ "]
    assert keys(again) == ["EVENT HOST 0/MONITORING_MONITORED/ ", "EVENT HOST 0/MONITORED/ "]
    body = again[1].text()
    assert "<VM_MAD><![CDATA[dummy]]></VM_MAD><LAST_MON_TIME>" in body
    assert "<HOST_SHARE><DISK_USAGE>0</DISK_USAGE><MEM_USAGE>" in body and "<FREE_MEM>" in body
    assert "<MONITORING" not in body
    assert "<PREV_STATE>1</PREV_STATE>" in body  # MONITORING_MONITORED
    seven = Cloud("7.4")
    seven.host_allocate()
    assert keys(seven.host_monitor(0)) == ["EVENT HOST 0/MONITORED/ "]
    assert "<LAST_MON_TIME>" not in seven.hosts[0].to_xml(seven.profile)


@pytest.mark.parametrize(
    ("profile", "modtime", "increments", "disk_ids"),
    [
        ("6.4", False, False, False),
        ("6.6", False, True, False),
        ("6.10", False, True, True),
        ("7.0", True, True, True),
    ],
)
def test_image_elements_by_release(profile: str, modtime: bool, increments: bool, disk_ids: bool) -> None:
    """IMAGE MODTIME 7.0+ (src/image/Image.cc@release-7.0.0), BACKUP_INCREMENTS 6.6+
    (@release-6.6.0), BACKUP_DISK_IDS 6.10+ (@release-6.10.0)."""
    body = state_event("IMAGE", 1, "READY", profile=profile).text()
    assert ("<MODTIME>" in body, "<BACKUP_INCREMENTS>" in body, "<BACKUP_DISK_IDS>" in body) == (
        modtime, increments, disk_ids,
    )  # fmt: skip


def test_sched_actions_from_68() -> None:
    """VM SCHED_ACTIONS from 6.8 (src/vm/VirtualMachine.cc@release-6.8.0), not 6.2."""
    assert not get_profile("6.6").vm_sched_actions and get_profile("6.8").vm_sched_actions
    assert "<SCHED_ACTIONS>" not in state_event("VM", 1, "PENDING", profile="6.4").text()


@pytest.mark.parametrize(
    ("action", "path"),
    [
        ("poweroff", ["SHUTDOWN_POWEROFF", "POWEROFF/LCM_INIT"]),
        ("undeploy", ["SHUTDOWN_UNDEPLOY", "EPILOG_UNDEPLOY", "UNDEPLOYED/LCM_INIT"]),
        ("resume", ["BOOT_UNKNOWN", "RUNNING"]),
    ],
)
def test_actions_legal_from_unknown(action: str, path: list[str]) -> None:
    """poweroff, undeploy and resume are legal in UNKNOWN (DispatchManager::poweroff/undeploy/resume,
    src/dm/DispatchManagerActions.cc@release-7.4.0); resume goes through BOOT_UNKNOWN."""
    cloud = running(Cloud())
    cloud.host_fail(0)
    events = cloud.vm_action(0, action)
    assert keys(events)[0] == "EVENT API one.vm.action 1"
    got = [k.removeprefix("EVENT VM 0/").removeprefix("ACTIVE/").strip() for k in keys(events)[1:]]
    assert got == path


@pytest.mark.parametrize("start", ["HOLD", "UNDEPLOYED"])
def test_deploy_from_hold_and_undeployed(start: str) -> None:
    """one.vm.deploy accepts PENDING, HOLD, STOPPED, UNDEPLOYED
    (VirtualMachineAPI::deploy, src/rm/api/VirtualMachineAPI.cc@release-7.4.0)."""
    oned = Oned()
    oned.call("one.host.allocate", [S, "h", "dummy", "dummy", -1])
    oned.settle()
    oned.call("one.vm.allocate", [S, TEMPLATE, start == "HOLD"])
    oned.settle()
    if start == "UNDEPLOYED":
        oned.call("one.vm.action", [S, "undeploy", 0])
        oned.settle()
    assert oned.cloud.vms[0].state == start
    reply = oned.call("one.vm.deploy", [S, 0, 0, False, -1, ""])
    assert reply.response == [True, 0, 0]
    prolog = "PROLOG_UNDEPLOY" if start == "UNDEPLOYED" else "PROLOG"
    assert f"EVENT VM 0/ACTIVE/{prolog} " in keys(oned.settle())


def test_exec_and_snapshot_delete_go_through_hotplug() -> None:
    """one.vm.exec from 7.2 through HOTPLUG (VMActions EXEC_ACTION, include/VMActions.h@release-7.2.0);
    snapshot delete through HOTPLUG_SNAPSHOT (DispatchManager::snapshot_delete,
    src/dm/DispatchManagerActions.cc@release-7.4.0): STATE first, the DM sets it."""
    cloud = running(Cloud())
    assert keys(cloud.vm_hot(0, "exec")) == [
        "EVENT VM 0/ACTIVE/HOTPLUG ", "EVENT API one.vm.exec 1", "EVENT VM 0/ACTIVE/RUNNING ",
    ]  # fmt: skip
    assert keys(cloud.vm_hot(0, "snapshot-delete"))[:2] == [
        "EVENT VM 0/ACTIVE/HOTPLUG_SNAPSHOT ", "EVENT API one.vm.snapshotdelete 1",
    ]  # fmt: skip
    with pytest.raises(CloudError, match=r"7\.2\.0\+"):
        running(Cloud("7.0")).vm_hot(0, "exec")
    assert "HOTPLUG" in LCM_STATES


def test_failed_monitor_writes_template_error() -> None:
    """Host::error: ``<ctime> : Error monitoring Host NAME (ID): ...`` in TEMPLATE/ERROR
    (src/host/Host.cc and src/pool/PoolObjectSQL.cc at release-7.4.0); a good monitor clears it."""
    cloud = Cloud()
    cloud.host_allocate("node7")
    event = cloud.host_monitor(0, ok=False)[0]
    assert re.search(r"<ERROR><!\[CDATA\[\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4} : Error monitoring Host node7 \(0\): ",
                     event.text())  # fmt: skip
    assert "<ERROR>" not in cloud.host_monitor(0)[0].text()


def test_history_action_uid_gid_request_id_on_every_action() -> None:
    """VirtualMachine::set_action with the request's UID, GID and REQUEST_ID
    (src/lcm/LifeCycleActions.cc@release-7.4.0); cleared when RUNNING again."""
    oned = Oned()
    oned.call("one.host.allocate", [S, "h", "dummy", "dummy", -1])
    oned.call("one.vm.allocate", [S, TEMPLATE, False])
    oned.settle()
    oned.call("one.vm.action", [S, "poweroff-hard", 0])
    shutdown = oned.settle()[0].text()
    record = re.findall(r"<HISTORY>.*?</HISTORY>", shutdown)[-1]
    assert re.search(r"<ACTION>20</ACTION><UID>0</UID><GID>0</GID><REQUEST_ID>\d+</REQUEST_ID>", record)
    oned.call("one.vm.action", [S, "resume", 0])
    running_body = oned.settle()[-1].text()
    assert re.findall(r"<HISTORY>.*?</HISTORY>", running_body)[-1].endswith(
        "<ACTION>0</ACTION><UID>-1</UID><GID>-1</GID><REQUEST_ID>-1</REQUEST_ID></HISTORY>"
    )


def test_vn_delete_order() -> None:
    """LOCK_DELETE, then the API event, then DONE (issue 13; RequestManagerDelete/VirtualNetworkPool)."""
    cloud = Cloud()
    cloud.net_allocate()
    assert keys(cloud.net_delete(0)) == [
        "EVENT NET 0/LOCK_DELETE/ ",
        "EVENT API one.vn.delete 1",
        "EVENT NET 0/DONE/ ",
    ]


def test_locked_text_is_oneds() -> None:
    """``The resource <object> is locked. [<id>].`` (Request::failure_message,
    src/rm/Request.cc@release-7.4.0 and @release-5.10.0)."""
    text = dict(_FAILURES)["LOCKED"].format(call="one.vm.action", what="virtual machine", oid=5)
    assert text == "[one.vm.action] The resource virtual machine is locked. [5]."


def test_wrong_state_action_is_a_failed_event_with_out4_minus_one() -> None:
    """``Error performing action "A": This action is not available for state S``, OUT 4 = -1
    (VirtualMachineAPI::action, src/rm/api/VirtualMachineAPI.cc@release-7.4.0)."""
    cloud = Cloud()
    cloud.vm_allocate()
    event = cloud.vm_action(0, "suspend")[0]
    body = event.text()
    assert (
        '<VALUE>[one.vm.action] Error performing action "suspend": This action is not available for state PENDING'
        "</VALUE>" in body
    )
    assert "<POSITION>4</POSITION><TYPE>OUT</TYPE><VALUE>-1</VALUE>" in body
