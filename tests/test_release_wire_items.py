"""Issue 13's per-release wire items, each pinned to the OpenNebula source at a release tag.

Upstream facts are cited as ``path@tag`` of OpenNebula's repository; the 7.4 captures under
``../shared/opennebula/captures-7.4.0/`` are used where they show the same fact.
"""

from __future__ import annotations

import base64
import json
import re

import pytest

from mockhm import api_event, document_state_event, get_profile, vmmonitor_event
from mockhm.oned.cloud import Cloud
from mockhm.wire.calls import calls, published_calls
from mockhm.wire.defaults import default_document

from .conftest import SHARED

CAPTURES = SHARED / "opennebula" / "captures-7.4.0"


def _api_events(scenario: str, call: str) -> list[str]:
    path = CAPTURES / f"7.4.0-{scenario}.jsonl"
    if not path.exists():
        pytest.skip(f"capture not found at {path}")
    bodies = []
    for line in path.read_text().splitlines()[1:]:
        key, content = json.loads(line)["frames"]
        if key.startswith(f"EVENT API {call} "):
            bodies.append(base64.b64decode(content).decode())
    return bodies


def _out(body: str, position: int) -> str:
    m = re.search(rf"<POSITION>{position}</POSITION><TYPE>OUT</TYPE><VALUE>(.*?)</VALUE>", body)
    assert m is not None, body
    return m[1]


# -- one.template.instantiate has an empty EXTRA ----------------------------------------------


def test_template_instantiate_has_empty_extra() -> None:
    """src/rm/api/SharedAPI.cc@release-7.4.0 fills extra_xml only in allocate and del; the real
    instantiate event of captures-7.4.0/7.4.0-vm-lifecycle.jsonl has ``<EXTRA></EXTRA>``."""
    (real,) = _api_events("vm-lifecycle", "one.template.instantiate")
    assert "<EXTRA></EXTRA>" in real
    events = Cloud("7.4").vm_allocate(call="one.template.instantiate")
    assert events[-1].keys == ("EVENT API one.template.instantiate 1",)
    assert b"<EXTRA></EXTRA>" in events[-1].body
    with pytest.raises(ValueError, match=r"one.template.instantiate: oned fills EXTRA only for allocate"):
        api_event("one.template.instantiate", [0, "vm", False, "", False], result=3, extra="<VM/>")


def test_allocate_and_delete_still_carry_extra() -> None:
    """The allocate events of captures-7.4.0/7.4.0-hosts.jsonl carry the HOST (§3.2.3)."""
    (first, _) = _api_events("hosts", "one.host.allocate")
    assert "<EXTRA><HOST>" in first
    body = api_event("one.vn.delete", [3], result=3, extra="<VNET/>").body
    assert b"<EXTRA><VNET/></EXTRA>" in body


# -- a boolean OUT value prints true/false ----------------------------------------------------


@pytest.mark.parametrize("profile", ["5.10.0", "6.6", "7.4"])
@pytest.mark.parametrize(("value", "text"), [(True, "true"), (False, "false")])
def test_boolean_out_value_prints_true_false(profile: str, value: bool, text: str) -> None:
    """success_response(bool) writes ``val? "true": "false"``: src/rm/Request.cc@release-5.10.0,
    include/Request.h@release-7.4.0 (make_xml_response).  IN booleans stay 1/0 (§3.2.1)."""
    body = api_event("one.vm.lock", [4, 1, True], result=value, profile=profile).body.decode()
    assert _out(body, 2) == text
    assert "<POSITION>4</POSITION><TYPE>IN</TYPE><VALUE>1</VALUE>" in body


# -- one.internal.vmmonitor parameters sorted by key ------------------------------------------


def test_vmmonitor_parameters_sorted_by_key() -> None:
    """oned walks the QEMU_GA_EXEC attribute's std::map: src/im/InformationManager.cc@release-7.2.0
    (and @release-7.4.0); include/Attribute.h@release-7.4.0 holds it as std::map."""
    body = vmmonitor_event(3, {"STDOUT": "x", "COMMAND": "ls", "RETURN_CODE": "0"}).body.decode()
    values = re.findall(r"<TYPE>IN</TYPE><VALUE>(.*?)</VALUE>", body)
    assert values == ["COMMAND=ls", "RETURN_CODE=0", "STDOUT=x"]


# -- 5.10.1 writes string OUT values raw --------------------------------------------------------


def test_5_10_1_profile_writes_string_out_values_raw() -> None:
    """src/rm/Request.cc@release-5.10.1 success_response(string) has ``make_parameter(oss, 2, val)``
    where @release-5.10.0 had ``one_util::escape_xml(val)``; src/hm/HookAPI.cc@release-5.10.1 still
    suppresses nothing (the 43-call list arrives in @release-5.10.2)."""
    prof = get_profile("5.10.1")
    assert prof.name == "5.10.1"
    assert get_profile("5.10.0").name == "5.10.0" and get_profile("5.10.2").name == "5.10.2"
    body = api_event("one.system.version", [], result="5.10.1", profile="5.10.1").body.decode()
    assert _out(body, 2) == "5.10.1"
    old = api_event("one.system.version", [], result="5.10.0", profile="5.10.0").body.decode()
    assert _out(old, 2) == "<![CDATA[5.10.0]]>"
    assert "one.vm.info" in published_calls("5.10.1")
    assert "one.vm.info" not in published_calls("5.10.2")


# -- 6.2 and 6.8 have their own call sets -------------------------------------------------------

NEW_IN_6_2 = {
    "one.vm.schedadd",
    "one.vm.scheddelete",
    "one.vm.schedupdate",
    "one.market.enable",
    "one.zone.enable",
}
NEW_IN_6_8 = {
    *(f"one.backupjob.{m}" for m in (
        "allocate", "backup", "cancel", "chmod", "chown", "delete", "info", "lock", "priority",
        "rename", "retry", "schedadd", "scheddelete", "schedupdate", "unlock", "update",
    )),
    "one.backupjobpool.info", "one.vm.backupcancel",
    "one.vmgroup.roleadd", "one.vmgroup.roledelete", "one.vmgroup.roleupdate",
}  # fmt: skip


def test_6_2_profile_has_the_6_2_calls() -> None:
    """The addMethod lines of src/rm/RequestManager.cc@release-6.2.0 (268 names) add these five to
    @release-6.0.0 (263); 6.2.x used to map to the 6.0 profile and lacked them."""
    assert get_profile("6.2.1").name == "6.2"
    assert set(calls("6.2")) >= NEW_IN_6_2
    assert not NEW_IN_6_2 & set(calls("6.0"))
    assert set(calls("6.2")) - set(calls("6.0")) == NEW_IN_6_2
    api_event("one.vm.schedadd", [0, "ACTION=poweroff"], result=0, profile="6.2.0")


def test_6_8_profile_has_the_21_new_calls() -> None:
    """src/rm/RequestManager.cc@release-6.8.0 registers 295 names, 21 more than @release-6.6.0;
    6.8.x used to map to the 6.6 profile."""
    assert len(NEW_IN_6_8) == 21
    assert get_profile("6.8.3").name == "6.8"
    assert set(calls("6.8")) - set(calls("6.6")) == NEW_IN_6_8
    api_event("one.backupjob.allocate", ["NAME=b"], result=0, profile="6.8")
    assert "one.backupjob.info" in published_calls("6.8")  # not in the suppressed list (§3.2.6)


@pytest.mark.parametrize(
    ("profile", "count"),
    [("5.10.0", 261), ("5.12", 261), ("6.0", 263), ("6.2", 268), ("6.4", 271), ("6.6", 274),
     ("6.8", 295), ("6.10", 298), ("7.0", 301), ("7.2", 304), ("7.4", 307)],
)  # fmt: skip
def test_call_counts_per_release(profile: str, count: int) -> None:
    """Reference §6: the addMethod counts of src/rm/RequestManager.cc (≤7.0) and
    src/rm/xml-rpc/RequestManagerXRPC.cc (7.2+) at each release tag."""
    assert len(calls(profile)) == count


# -- the SERVICE key comes from the first SERVICE_ID anywhere ---------------------------------


def test_service_key_from_empty_user_template_service_id() -> None:
    """one_hm's key() reads ``xml.xpath('//SERVICE_ID')[0]`` (src/hm_mad/one_hm.rb@release-7.4.0,
    same @release-5.12.0): an empty USER_TEMPLATE/SERVICE_ID still adds the key, with an empty
    id; HOOK_MESSAGE/SERVICE_ID itself is written only when non-empty
    (src/hm/HookStateVM.cc@release-7.4.0)."""
    vm = default_document("VM", 4, "ACTIVE", "RUNNING")
    vm.user_template["SERVICE_ID"] = ""
    event = document_state_event(vm, "7.4")
    assert event.keys[-1] == "EVENT SERVICE  "
    assert b"<RESOURCE_ID>4</RESOURCE_ID><REMOTE_HOST>" in event.body


def test_service_key_from_any_object_template() -> None:
    """``//SERVICE_ID`` is document-wide, so a HOST whose template has one gets the key too
    (src/hm_mad/one_hm.rb@release-7.4.0); 5.10 has no SERVICE key (@release-5.10.0)."""
    host = default_document("HOST", 2, "MONITORED")
    host.template["SERVICE_ID"] = "9"
    assert document_state_event(host, "7.4").keys == (
        "EVENT HOST 2/MONITORED/ ",
        "EVENT STATE HOST/MONITORED//2 ",
        "EVENT SERVICE 9 ",
    )
    assert len(document_state_event(host, "5.10.2").keys) == 2


def test_service_key_of_a_oneflow_vm_unchanged() -> None:
    """The usual case: OneFlow's SERVICE_ID in the user template, first in HOOK_MESSAGE (§3.3)."""
    vm = default_document("VM", 5, "ACTIVE", "RUNNING")
    vm.user_template["SERVICE_ID"] = "12"
    event = document_state_event(vm, "7.4")
    assert event.keys[-1] == "EVENT SERVICE 12 "
    assert b"<RESOURCE_ID>5</RESOURCE_ID><SERVICE_ID>12</SERVICE_ID>" in event.body
