"""``Oned``: oned's XML-RPC methods, responses, errors and drivers (issue 12 items 2-6, 8).

Texts and codes cite ``src/rm/Request.cc@release-7.4.0`` (``failure_message``),
``include/Request.h@release-7.4.0`` (codes) and the captures in ``../shared/opennebula/captures-7.4.0``.
"""

from __future__ import annotations

import pytest

from mockhm.oned.front import Oned
from mockhm.wire.reports import encode_report, parse_report

S = "oneadmin:password"
TEMPLATE = 'NAME="t"\nCPU="0.1"\nVCPU="1"\nMEMORY="64"\nCONTEXT=[NETWORK="NO"]\n'


def keys(events: list) -> list[str]:  # type: ignore[type-arg]
    return [e.keys[0] for e in events]


@pytest.fixture
def oned() -> Oned:
    o = Oned()
    assert o.call("one.host.allocate", [S, "h0", "dummy", "dummy", -1]).response == [True, 0, 0]
    o.settle()
    return o


def running_vm(oned: Oned) -> int:
    reply = oned.call("one.vm.allocate", [S, TEMPLATE, False])
    oned.settle()
    vid = reply.response[1]
    assert isinstance(vid, int)
    assert oned.cloud.vms[vid].lcm_state == "RUNNING"
    return vid


def test_fresh_oned_holds_oneds_default_objects() -> None:
    """Datastores 0-2, oneadmin/serveradmin, groups oneadmin/users, cluster default (item 6)."""
    o = Oned()
    pool = o.call("one.datastorepool.info", [S]).response[1]
    assert isinstance(pool, str)
    assert [n in pool for n in ("<NAME>system</NAME>", "<NAME>default</NAME>", "<NAME>files</NAME>")] == [
        True
    ] * 3
    assert "<NAME>serveradmin</NAME>" in str(o.call("one.userpool.info", [S]).response[1])
    assert "<NAME>users</NAME>" in str(o.call("one.grouppool.info", [S]).response[1])
    assert "<NAME>default</NAME>" in str(o.call("one.cluster.info", [S, 0]).response[1])


def test_system_version_publishes_like_oned() -> None:
    """captures-7.4.0/7.4.0-startup.jsonl: EVENT API one.system.version 1, OUT 7.4.0."""
    reply = Oned().call("one.system.version", [S])
    assert reply.response == [True, "7.4.0", 0]
    assert keys(reply.events) == ["EVENT API one.system.version 1"]
    assert b"<VALUE>7.4.0</VALUE>" in reply.events[0].body


def test_wrong_password_fails_without_an_event() -> None:
    """AUTHENTICATION 256 and no API event (issue 13; captures-7.4.0/7.4.0-api-errors.jsonl)."""
    reply = Oned().call("one.vm.action", ["oneadmin:nope", "poweroff", 0])
    assert reply.response == [
        False,
        "[one.vm.action] User couldn't be authenticated, aborting call.",
        256,
        -1,
    ]
    assert reply.events == []


def test_unknown_method_and_bad_parameters_are_xmlrpc_faults() -> None:
    o = Oned()
    assert o.call("one.nothing", [S]).fault == (-506, "Method 'one.nothing' not defined")
    assert o.call("one.vm.info", [S, "0"]).fault == (-501, "Parameter that is supposed to be integer is not")
    assert o.call("one.vm.action", [S, "poweroff"]).fault == (-501, "Not enough parameters")
    assert o.call("one.vm.info", [S, True]).fault is not None  # a boolean is not an int to xmlrpc-c


@pytest.mark.parametrize(
    ("method", "args", "text", "code", "resp_id"),
    [
        ("one.vm.action", ["poweroff", 9999], "[one.vm.action] Error getting virtual machine [9999].", 1024, 9999),
        ("one.vm.deploy", [9999, 0, False, -1, ""], "[one.vm.deploy] Error getting virtual machine [9999].", 1024, 9999),
        ("one.template.instantiate", [9999, "x", False, "", False],
         "[one.template.instantiate] Error getting virtual machine template [9999].", 1024, 9999),
        ("one.image.allocate", ['NAME="noimg"\n', 9999, False],
         "[one.image.allocate] Error getting datastore [9999].", 1024, 9999),
        ("one.vm.allocate", ['NAME="bad" MEMORY=[ = ', False],
         "[one.vm.allocate] Parse error: syntax error, unexpected EQUAL, expecting CBRACKET or VARIABLE at line 0, "
         "columns 21:23", 8192, -1),
        ("one.vm.allocate", ['NAME="nomem"\nCPU="1"\n', False],
         "[one.vm.allocate] MEMORY attribute must be a positive integer value.", 8192, -1),
        ("one.host.allocate", ["h0", "dummy", "dummy", -1],
         "[one.host.allocate] Error allocating a new host. NAME is already taken by HOST 0.", 16384, -1),
        ("one.hook.info", [7], "[one.hook.info] Error getting hook [7].", 1024, 7),
        ("one.vn.delete", [3], "[one.vn.delete] Error getting virtual network [3].", 1024, 3),
    ],
)  # fmt: skip
def test_errors_answer_and_publish_as_oned(
    oned: Oned, method: str, args: list[object], text: str, code: int, resp_id: int
) -> None:
    """Texts and codes of captures-7.4.0/7.4.0-api-errors.jsonl; the state is unchanged."""
    before = (dict(oned.cloud._ids), len(oned.cloud.vms), oned.pending())
    reply = oned.call(method, [S, *args])
    assert reply.response == [False, text, code, resp_id]
    suppressed = method in oned.profile.suppressed_calls
    assert keys(reply.events) == ([] if suppressed else [f"EVENT API {method} 0"])
    assert (dict(oned.cloud._ids), len(oned.cloud.vms), oned.pending()) == before


def test_wrong_state_action_text_and_out4(oned: Oned) -> None:
    """``Error performing action "A": This action is not available for state S``, OUT 4 = -1
    (src/rm/api/VirtualMachineAPI.cc@release-7.4.0, DispatchManager::poweroff)."""
    vid = running_vm(oned)
    oned.call("one.vm.action", [S, "poweroff", vid])
    oned.settle()
    reply = oned.call("one.vm.action", [S, "suspend", vid])
    assert reply.response == [
        False, '[one.vm.action] Error performing action "suspend": This action is not available for state POWEROFF',
        2048, -1,
    ]  # fmt: skip
    assert oned.pending() == 0 and oned.cloud.vms[vid].state == "POWEROFF"
    bad = oned.call("one.vm.action", [S, "fly", vid]).response
    assert bad[1] == '[one.vm.action] Action "fly" is not supported'


def test_info_returns_the_last_document_plus_monitoring(oned: Oned) -> None:
    """one.vm.info loads monitoring (src/rm/api/VirtualMachineAPI.h@release-7.4.0); info calls
    publish nothing (§3.2.6)."""
    vid = running_vm(oned)
    reply = oned.call("one.vm.info", [S, vid])
    assert reply.events == []
    xml = str(reply.response[1])
    assert "<MONITORING><CPU>" in xml and "<LAST_POLL>0</LAST_POLL>" not in xml
    host = str(oned.call("one.host.info", [S, 0]).response[1])
    assert "<MONITORING><TIMESTAMP>" in host and "<NUMA_NODES><NODE>" in host


def test_allocate_then_scheduler_then_actions(oned: Oned) -> None:
    """STATE before API for allocation; the scheduler window places the VM; LCM actions after the
    API event; the whole walk of captures-7.4.0/7.4.0-vm-lifecycle.jsonl."""
    reply = oned.call("one.vm.allocate", [S, TEMPLATE, False])
    assert keys(reply.events) == ["EVENT VM 0/PENDING/LCM_INIT ", "EVENT API one.vm.allocate 1"]
    assert oned.run_until(oned.clock + 9.0) == []  # the scheduler window (SCHED_MAX_WND_TIME 10 s)
    assert keys(oned.settle()) == [
        f"EVENT VM 0/ACTIVE/{s} " for s in ("LCM_INIT", "PROLOG", "BOOT", "RUNNING")
    ]
    reply = oned.call("one.vm.action", [S, "poweroff", 0])
    assert keys(reply.events) == ["EVENT API one.vm.action 1"] and oned.pending() == 1
    assert keys(oned.settle()) == ["EVENT VM 0/ACTIVE/SHUTDOWN_POWEROFF ", "EVENT VM 0/POWEROFF/LCM_INIT "]
    oned.call("one.vm.action", [S, "resume", 0])
    oned.settle()
    assert len(oned.cloud.vms[0].history) == 2  # a new record on resume from POWEROFF


def test_hold_release_deploy_are_synchronous(oned: Oned) -> None:
    """DM::release / deploy change the state inside the call: STATE first."""
    oned.call("one.vm.allocate", [S, TEMPLATE, True])
    assert keys(oned.call("one.vm.action", [S, "release", 0]).events) == [
        "EVENT VM 0/PENDING/LCM_INIT ", "EVENT API one.vm.action 1",
    ]  # fmt: skip
    assert keys(oned.call("one.vm.deploy", [S, 0, 0, False, -1, ""]).events) == [
        "EVENT VM 0/ACTIVE/LCM_INIT ", "EVENT API one.vm.deploy 1",
    ]  # fmt: skip
    assert keys(oned.settle())[-1] == "EVENT VM 0/ACTIVE/RUNNING "


def test_hold_keeps_an_object_in_its_state(oned: Oned) -> None:
    vid = running_vm(oned)
    oned.call("one.vm.action", [S, "poweroff", vid])
    oned.hold("vm", vid)
    assert oned.settle() == [] and oned.pending() == 1
    oned.unhold("vm", vid)
    assert keys(oned.settle())[-1] == f"EVENT VM {vid}/POWEROFF/LCM_INIT "


def test_migrate_opens_a_record_on_the_target_first(oned: Oned) -> None:
    """REMOTE_HOST of SAVE_MIGRATE names the target (captures-7.4.0/7.4.0-vm-lifecycle.jsonl)."""
    oned.call("one.host.allocate", [S, "h1", "dummy", "dummy", -1])
    oned.settle()
    vid = running_vm(oned)
    target = 1 - oned.cloud.vms[vid].history[-1].hid
    reply = oned.call("one.vm.migrate", [S, vid, target, False, False, -1, 0])
    assert keys(reply.events) == ["EVENT API one.vm.migrate 1"]
    first = oned.settle()[0]
    assert first.keys[0] == f"EVENT VM {vid}/ACTIVE/SAVE_MIGRATE "
    assert f"<REMOTE_HOST>h{target}</REMOTE_HOST>".encode() in first.body


def test_host_status_update_delete(oned: Oned) -> None:
    reply = oned.call("one.host.status", [S, 0, 1])
    assert keys(reply.events) == ["EVENT HOST 0/DISABLED/ ", "EVENT API one.host.status 1"]
    assert oned.call("one.host.update", [S, 0, 'LABEL="x"', 1]).response == [True, 0, 0]
    assert "<LABEL><![CDATA[x]]></LABEL>" in str(oned.call("one.host.info", [S, 0]).response[1])
    reply = oned.call("one.host.delete", [S, 0])
    assert reply.response == [True, 0, 0] and b"<EXTRA><HOST>" in reply.events[0].body
    assert oned.call("one.host.info", [S, 0]).response[2] == 1024


def test_image_and_network_life(oned: Oned) -> None:
    """Images LOCKED -> READY; one.vn.delete: LOCK_DELETE, API, DONE (issue 13)."""
    reply = oned.call("one.image.allocate", [S, 'NAME="img"\nPATH="/tmp/x"\n', 1, False])
    assert reply.response == [True, 0, 0] and keys(reply.events) == ["EVENT API one.image.allocate 1"]
    assert keys(oned.settle()) == ["EVENT IMAGE 0/READY/ "]
    assert oned.call("one.image.persistent", [S, 0, True]).response == [True, 0, 0]
    net = oned.call(
        "one.vn.allocate", [S, 'NAME="n"\nVN_MAD="bridge"\nAR=[TYPE="IP4",IP="10.0.0.1",SIZE="4"]', -1]
    )
    assert net.response == [True, 0, 0]
    assert keys(oned.settle()) == ["EVENT NET 0/READY/ "]
    reply = oned.call("one.vn.delete", [S, 0])
    assert keys(reply.events) == ["EVENT NET 0/LOCK_DELETE/ ", "EVENT API one.vn.delete 1"]
    assert keys(oned.settle()) == ["EVENT NET 0/DONE/ "]
    assert oned.call("one.image.delete", [S, 0]).response == [True, 0, 0]


def test_hooks_log_and_retry() -> None:
    """HOOK documents as oned keeps them; a report becomes a record; retry publishes RETRY
    then the API event (captures-7.4.0/7.4.0-hooks-setup.jsonl, 7.4.0-hooks-retry.jsonl)."""
    o = Oned()
    text = 'NAME="r"\nTYPE="state"\nRESOURCE="VM"\nON="RUNNING"\nCOMMAND="/bin/true"\nARGUMENTS="$TEMPLATE"\n'
    reply = o.call("one.hook.allocate", [S, text])
    assert reply.response == [True, 0, 0]
    assert (
        b"<LCM_STATE><![CDATA[RUNNING]]></LCM_STATE><REMOTE><![CDATA[NO]]></REMOTE>" in reply.events[0].body
    )
    o.record_execution(parse_report(encode_report(0, 0, arguments="QUJD", command="/bin/true")))
    info = str(o.call("one.hook.info", [S, 0]).response[1])
    assert "<HOOK_EXECUTION_RECORD><HOOK_ID>0</HOOK_ID><EXECUTION_ID>0</EXECUTION_ID>" in info
    assert "<EXECUTION_ID>0</EXECUTION_ID>" in str(o.call("one.hooklog.info", [S, -1, -1, 0, 0]).response[1])
    # HookPoolAPI::log_info: bounds 0 or more are strict (max 0: nothing), a negative hook id is every hook
    assert "<HOOK_EXECUTION_RECORD>" not in str(o.call("one.hooklog.info", [S, 0, 0, -1, 0]).response[1])
    assert "<EXECUTION_ID>0</EXECUTION_ID>" in str(o.call("one.hooklog.info", [S, 0, -1, -5, 0]).response[1])
    reply = o.call("one.hook.retry", [S, 0, 0])
    assert keys(reply.events) == ["RETRY", "EVENT API one.hook.retry 1"]
    assert o.call("one.hook.retry", [S, 0, 5]).response[1] == (
        "[one.hook.retry] Invalid HookLog body. Arguments not found."
    )
    assert o.call("one.hook.update", [S, 0, 'COMMAND="/bin/false"', 1]).response == [True, 0, 0]
    assert "<HOOK_POOL><HOOK><ID>0</ID>" in str(o.call("one.hookpool.info", [S, -2, -1, -1]).response[1])
    assert keys(o.call("one.hook.delete", [S, 0]).events) == ["EVENT API one.hook.delete 1"]
    assert o.call("one.hook.allocate", [S, 'NAME="x"\nTYPE="api"\n']).response[1] == (
        "[one.hook.allocate] Error allocating a new hook. No COMMAND in template for Hook."
    )


def test_vmpool_info_filters(oned: Oned) -> None:
    """one.vmpool.info(filter, start, end, state): -1 hides DONE, -2 shows every VM."""
    running_vm(oned)
    oned.call("one.vm.allocate", [S, TEMPLATE, True])
    oned.call("one.vm.action", [S, "terminate-hard", 1])
    assert str(oned.call("one.vmpool.info", [S, -2, -1, -1, -1]).response[1]).count("<VM>") == 1
    assert str(oned.call("one.vmpool.info", [S, -2, -1, -1, -2]).response[1]).count("<VM>") == 2
    assert str(oned.call("one.vmpool.info", [S, -2, 1, 1, -2]).response[1]).count("<VM>") == 1


def test_templates_rename_update_recover(oned: Oned) -> None:
    assert oned.call("one.template.allocate", [S, TEMPLATE]).response == [True, 0, 0]
    assert "<VMTEMPLATE_POOL><VMTEMPLATE><ID>0</ID>" in str(
        oned.call("one.templatepool.info", [S, -2, -1, -1]).response[1]
    )
    reply = oned.call("one.template.instantiate", [S, 0, "from-t", False, "", False])
    assert keys(reply.events) == ["EVENT VM 0/PENDING/LCM_INIT ", "EVENT API one.template.instantiate 1"]
    assert b"<EXTRA></EXTRA>" in reply.events[1].body
    assert oned.call("one.vm.rename", [S, 0, "renamed"]).response == [True, 0, 0]
    assert oned.call("one.vm.update", [S, 0, 'A="1"', 1]).response == [True, 0, 0]
    vm = str(oned.call("one.vm.info", [S, 0]).response[1])
    assert "<NAME>renamed</NAME>" in vm and "<TEMPLATE_ID><![CDATA[0]]></TEMPLATE_ID>" in vm
    reply = oned.call("one.vm.recover", [S, 0, 3])  # a PENDING VM is freed at once
    assert reply.response == [True, 0, 0]
    assert keys(reply.events) == ["EVENT VM 0/DONE/LCM_INIT ", "EVENT API one.vm.recover 1"]


def test_recover_by_state_as_the_dispatch_manager(oned: Oned) -> None:
    """src/dm/DispatchManagerActions.cc@release-7.4.0 (recover, retry, delete_vm, delete_recreate):
    on a DONE VM delete did the cleanup again, delete-recreate brought it back, and success,
    failure and retry answered success."""
    vid = running_vm(oned)
    oned.call("one.vm.action", [S, "terminate-hard", vid])
    oned.settle()
    assert oned.cloud.vms[vid].state == "DONE"
    for op, text in (
        (0, f"Could not perform a recover operation on VM {vid}, wrong state DONE."),
        (1, f"Could not perform a recover operation on VM {vid}, wrong state DONE."),
        (2, f"Could not perform a retry on VM {vid}, wrong state DONE."),
        (4, "Cannot delete-recreate a VM already in DONE state"),
        (9, "Wrong recovery operation code"),
    ):
        reply = oned.call("one.vm.recover", [S, vid, op])
        assert reply.response[:3] == [False, f"[one.vm.recover] {text}", 2048], op
    reply = oned.call("one.vm.recover", [S, vid, 3])  # delete of a DONE VM: nothing to do
    assert reply.response == [True, vid, 0] and keys(reply.events) == ["EVENT API one.vm.recover 1"]
    assert oned.pending() == 0 and oned.cloud.vms[vid].state == "DONE"
    held = oned.call("one.vm.allocate", [S, TEMPLATE, True]).response[1]  # HOLD: back to PENDING at once
    reply = oned.call("one.vm.recover", [S, held, 4])
    assert keys(reply.events) == [f"EVENT VM {held}/PENDING/LCM_INIT ", "EVENT API one.vm.recover 1"]


def test_a_raw_amp_in_a_value_is_published_ill_formed_as_oned_writes_it(oned: Oned) -> None:
    """An update value with '&' answered fault -500 yet changed the VM (and published nothing);
    oned stores it and publishes the body with the raw '&' (protocol: #escaping)."""
    vid = running_vm(oned)
    reply = oned.call("one.vm.update", [S, vid, 'DESCRIPTION="Tom & Jerry"', 1])
    assert reply.fault is None and reply.response == [True, vid, 0]
    assert oned.cloud.vms[vid].user_template["DESCRIPTION"] == "Tom & Jerry"
    (event,) = reply.events
    assert event.label is not None and b'<VALUE>DESCRIPTION="Tom & Jerry"</VALUE>' in event.body


@pytest.mark.parametrize(
    ("method", "args", "text", "code"),
    [
        # PoolObjectSQL::name_is_valid (src/pool/PoolObjectSQL.cc@release-7.4.0), where oned checks it
        ("one.vm.allocate", ['NAME="a&b"\nCPU="1"\nMEMORY="64"', False],
         "[one.vm.allocate] Invalid NAME, char '&' is not allowed", 8192),
        ("one.vm.allocate", [f'NAME="{"x" * 129}"\nCPU="1"\nMEMORY="64"', False],
         "[one.vm.allocate] Invalid NAME, max length is 128 chars", 8192),
        ("one.host.allocate", ["h:1", "dummy", "dummy", -1],
         "[one.host.allocate] Error allocating a new host. Invalid NAME, char ':' is not allowed.", 16384),
        ("one.hook.allocate", ['NAME="h<1"\nTYPE="api"\nCOMMAND="x"\nCALL="one.vm.allocate"'],
         "[one.hook.allocate] Error allocating a new hook. Invalid name.", 16384),
        # VirtualMachine::parse_capacity reads CPU as a float, MEMORY as a long int
        ("one.vm.allocate", ['CPU="inf"\nMEMORY="64"', False],
         "[one.vm.allocate] CPU attribute must be a positive float or integer value.", 8192),
        ("one.vm.allocate", ['CPU="1"\nMEMORY="99999999999999999999"', False],
         "[one.vm.allocate] MEMORY attribute must be a positive integer value.", 8192),
    ],
)  # fmt: skip
def test_names_and_capacities_oned_refuses_change_nothing(
    oned: Oned, method: str, args: list[object], text: str, code: int
) -> None:
    """The mock accepted these (a VM with CPU inf then broke the driver thread; an '&' in a name
    made the pool listings ill-formed for every later client)."""
    before = (len(oned.cloud.vms), len(oned.cloud.hosts), len(oned.hooks.hooks))
    reply = oned.call(method, [S, *args])
    assert reply.response[:3] == [False, text, code]
    assert (len(oned.cloud.vms), len(oned.cloud.hosts), len(oned.hooks.hooks)) == before


def test_rename_to_an_invalid_name_is_refused(oned: Oned) -> None:
    vid = running_vm(oned)
    reply = oned.call("one.vm.rename", [S, vid, "a;b"])
    assert reply.response[:3] == [False, "[one.vm.rename] Invalid NAME, char ';' is not allowed", 2048]
    assert oned.cloud.vms[vid].name != "a;b"


def test_migrate_to_the_host_the_vm_runs_on_is_refused(oned: Oned) -> None:
    """It answered success and queued a migration (src/rm/api/VirtualMachineAPI.cc@release-7.4.0)."""
    vid = running_vm(oned)
    hid = oned.cloud.vms[vid].history[-1].hid
    for live in (False, True):
        reply = oned.call("one.vm.migrate", [S, vid, hid, live, False, -1, 0])
        assert reply.response == [
            False, f"[one.vm.migrate] VM is already running on host [{hid}] and datastore [0]", 2048, -1,
        ]  # fmt: skip
    assert oned.pending() == 0 and oned.cloud.vms[vid].lcm_state == "RUNNING"


@pytest.mark.parametrize("kind", [5, -1, 2])
def test_an_update_type_other_than_replace_or_merge_is_refused(oned: Oned, kind: int) -> None:
    """Any type other than 0 merged (src/rm/api/VirtualMachineAPI.cc and SharedAPI.cc@release-7.4.0:
    'Wrong update type', RPC_API)."""
    vid = running_vm(oned)
    for method, oid in (("one.vm.update", vid), ("one.host.update", 0)):
        reply = oned.call(method, [S, oid, 'A="1"', kind])
        assert reply.response[:3] == [False, f"[{method}] Wrong update type", 4096]
    assert "A" not in oned.cloud.vms[vid].user_template


def test_an_unknown_action_on_an_unknown_vm_is_no_exists(oned: Oned) -> None:
    """The action was checked first ('Action "bogus" is not supported', 2048); oned gets the VM
    first, as captures-7.4.0/7.4.0-api-errors.jsonl shows for a known action."""
    reply = oned.call("one.vm.action", [S, "bogus", 9999])
    assert reply.response == [False, "[one.vm.action] Error getting virtual machine [9999].", 1024, 9999]


def test_a_network_with_a_bad_address_range_is_refused_and_not_created(oned: Oned) -> None:
    """It answered fault -500 (AddressValueError) and the network was created anyway."""
    before = len(oned.cloud.nets)
    reply = oned.call(
        "one.vn.allocate", [S, 'NAME="n"\nVN_MAD="dummy"\nAR=[TYPE="IP4",IP="not-an-ip",SIZE="4"]', -1]
    )
    assert reply.fault is None
    assert reply.response[:3] == [
        False, "[one.vn.allocate] Error allocating a new virtual network. Wrong or empty IP attribute", 16384,
    ]  # fmt: skip
    assert len(oned.cloud.nets) == before
