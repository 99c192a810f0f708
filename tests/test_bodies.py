"""Frame 2, byte for byte: API, STATE and RETRY bodies (reference §3, §9.1) for several profiles."""

from __future__ import annotations

import base64
import re
from typing import Any

import pytest

from mockhm import (
    PROFILES,
    MockHMError,
    api_event,
    check_message,
    document_state_event,
    retry_message,
    state_event,
    vmmonitor_event,
)
from mockhm.wire.bodies import format_double, render_value
from mockhm.wire.defaults import default_vm


def _check(event: Any, vector: dict[str, Any]) -> None:
    assert event.body.decode() == vector["xml"]
    assert list(event.keys) == vector["keys"]
    assert event.content.decode("ascii") == vector["content"]


def test_vm_vectors(vectors: dict[str, dict[str, Any]]) -> None:
    _check(state_event("VM", 5, "PENDING", "LCM_INIT"), vectors["vm-allocated-pending"])
    _check(state_event("VM", 5, "ACTIVE", "RUNNING"), vectors["vm-running-deployed"])
    vm = default_vm(7, "ACTIVE", "RUNNING")
    vm.user_template = {"ROLE_NAME": "web", "SERVICE_ID": "3"}
    _check(document_state_event(vm), vectors["vm-running-oneflow-service"])


def test_host_image_net_vectors(vectors: dict[str, dict[str, Any]]) -> None:
    # The reference's host vector carries MONITORING; a real 7.4.0 oned publishes HOST STATE
    # bodies with an empty <MONITORING/> (captures-7.4.0/7.4.0-hosts.jsonl), and the capture wins.
    host = dict(vectors["host-monitored"])
    host["xml"] = re.sub(r"<MONITORING>.*</MONITORING>", "<MONITORING/>", host["xml"])
    host["content"] = base64.b64encode(host["xml"].encode()).decode()
    _check(state_event("HOST", 0, "MONITORED"), host)
    image = state_event(
        "IMAGE", 3, "READY", name="alpine", source="/var/lib/one//datastores/1/0f1e2d",
        path="/tmp/alpine.qcow2", prev_state="LOCKED",
    )  # fmt: skip
    _check(image, vectors["image-ready"])
    # A fresh AR has SHARED and no ALLOCATED (AddressRange::from_vattr, src/vnm/AddressRange.cc@release-7.4.0):
    # the reference's vector has them the other way round, the source wins.
    net = dict(vectors["net-ready"])
    net["xml"] = (
        net["xml"]
        .replace("<ALLOCATED><![CDATA[]]></ALLOCATED>", "")
        .replace("</NEXT_INDEX>", "</NEXT_INDEX><SHARED><![CDATA[NO]]></SHARED>")
    )
    net["content"] = base64.b64encode(net["xml"].encode()).decode()
    _check(state_event("NET", 2, "READY", name="priv"), net)


def test_api_and_retry_vectors(vectors: dict[str, dict[str, Any]]) -> None:
    _check(api_event("one.vm.action", ["poweroff", 5], result=5), vectors["api-vm-action-poweroff-success"])
    failure = api_event(
        "one.vm.action", ["poweroff", 99], success=False, resp_id=99,
        error="[one.vm.action] Error getting virtual machine [99].",
    )  # fmt: skip
    _check(failure, vectors["api-vm-action-failure-7.2+"])
    inner = re.search(r"<ARGUMENTS>(.*)</ARGUMENTS>", vectors["retry"]["xml"])
    assert inner is not None
    _check(retry_message(0, base64.b64decode(inner.group(1)).decode()), vectors["retry"])


def test_retry_content_has_one_trailing_space() -> None:
    """Reference §3.4."""
    event = retry_message(4, "ARGS", remote_host="node1")
    assert event.keys == ("RETRY",)
    assert event.content.endswith(b"= ") or event.content.endswith(b" ")
    assert event.content.count(b" ") == 1
    assert base64.b64decode(event.content.split(b" ")[0]) == (
        b"<HOOK_MESSAGE><ARGUMENTS>QVJHUw==</ARGUMENTS><HOOK_ID>4</HOOK_ID>"
        b"<REMOTE_HOST>node1</REMOTE_HOST></HOOK_MESSAGE>"
    )


@pytest.mark.parametrize("profile", [p for p in PROFILES if p != "docs"])
def test_common_rules(profile: str) -> None:
    """Reference §3.1."""
    """No declaration, no whitespace between elements, no namespace; base64 one line."""
    for event in (
        state_event("VM", 1, "ACTIVE", "RUNNING", profile=profile),
        state_event("HOST", 1, "INIT", profile=profile),
        api_event("one.vm.allocate", ["CPU=1", False], result=1, profile=profile),
    ):
        text = event.text()
        assert text.startswith("<HOOK_MESSAGE><HOOK_TYPE>")
        assert "<?xml" not in text and "xmlns" not in text and ">\n" not in text and "> <" not in text
        assert b"\n" not in event.content
        assert base64.b64decode(event.content) == event.body


@pytest.mark.parametrize(
    ("profile", "out"),
    [("5.10.0", "<![CDATA[3.5.0]]>"), ("5.10.2", "3.5.0"), ("7.0", "3.5.0"), ("7.4", "3.5.0")],
)
def test_string_return_values_cdata_only_in_5_10_0(profile: str, out: str) -> None:
    """Reference §3.2.2."""
    event = api_event("one.system.version", [], result="3.5.0", profile=profile)
    assert f"<POSITION>2</POSITION><TYPE>OUT</TYPE><VALUE>{out}</VALUE>" in event.text()


@pytest.mark.parametrize(
    ("profile", "cdata"), [("5.10.0", True), ("6.10", True), ("7.0", True), ("7.2", False), ("7.4", False)]
)
def test_error_message_escaping_by_release(profile: str, cdata: bool) -> None:
    """Reference §3.2.2."""
    msg = "[one.vm.action] Error getting virtual machine [99]."
    event = api_event(
        "one.vm.action", ["poweroff", 99], success=False, error=msg, resp_id=99, profile=profile
    )
    wrapped = f"<![CDATA[{msg}]]>" if cdata else msg
    assert f"<VALUE>{wrapped}</VALUE>" in event.text()
    assert "<POSITION>3</POSITION><TYPE>OUT</TYPE><VALUE>1024</VALUE>" in event.text()
    assert event.text().endswith(
        "<POSITION>4</POSITION><TYPE>OUT</TYPE><VALUE>99</VALUE></PARAMETER></PARAMETERS>"
        "<EXTRA></EXTRA></CALL_INFO></HOOK_MESSAGE>"
    )


def test_session_and_password_masked() -> None:
    """Reference §3.2.1."""
    event = api_event("one.user.allocate", ["alice", "s3cret", "core", [100, 101]], result=5)
    text = event.text()
    assert "s3cret" not in text
    values = re.findall(r"<TYPE>IN</TYPE><VALUE>(.*?)</VALUE>", text)
    assert values == ["****", "alice", "****", "core", ""]  # array -> empty VALUE
    chauth = api_event("one.user.chauth", [5, "core", "pw"], result=5).text()
    assert re.findall(r"<TYPE>IN</TYPE><VALUE>(.*?)</VALUE>", chauth) == ["****", "5", "core", "****"]


def test_value_rendering() -> None:
    """Reference §3.2.1."""
    assert render_value(True) == "1" and render_value(False) == "0"
    assert render_value(True, grpc=True) == "true"
    assert render_value(1234567.0) == "1.23457e+06"
    assert format_double(0.5) == "0.5" and format_double(2.0) == "2"
    assert render_value({"a": 1}) == "" and render_value([1, 2]) == ""
    assert render_value([1, 2], grpc=True) == "1,2"
    raw = api_event("one.vm.update", [5, "<TEMPLATE><A>1</A></TEMPLATE>", 1], result=5).text()
    assert "<VALUE><TEMPLATE><A>1</A></TEMPLATE></VALUE>" in raw  # raw XML becomes child elements


def test_grpc_needs_7_2() -> None:
    assert "<VALUE>true</VALUE>" in api_event("one.vm.allocate", ["CPU=1", True], grpc=True, result=1).text()
    with pytest.raises(
        ValueError, match=r"grpc=True needs a profile with the gRPC server \(7.2\+\), not 7.0"
    ):
        api_event("one.vm.allocate", ["CPU=1"], grpc=True, profile="7.0")


def test_suppressed_and_unknown_calls() -> None:
    """Reference §3.2.6."""
    assert api_event("one.vm.info", [5], profile="5.10.0").keys == ("EVENT API one.vm.info 1",)
    with pytest.raises(ValueError, match=r"^one.vm.info publishes no API event in profile 5.10.2"):
        api_event("one.vm.info", [5], profile="5.10.2")
    with pytest.raises(ValueError, match=r"did you mean 'one.vm.allocate'"):
        api_event("one.vm.allocat")
    with pytest.raises(
        ValueError, match=r"one.vm.backup does not exist in profile 6.4; it appeared in 6.6.0"
    ):
        api_event("one.vm.backup", [1], profile="6.4")
    assert api_event("one.vm.monitoring", [1], result="<MONITORING_DATA/>").keys == (
        "EVENT API one.vm.monitoring 1",
    )


def test_vmmonitor_pseudo_call() -> None:
    """Reference §3.2.4."""
    event = vmmonitor_event(7, {"CMD": "uptime", "RC": "0"})
    assert event.keys == ("EVENT API one.internal.vmmonitor 1",)
    assert event.text() == (
        "<HOOK_MESSAGE><HOOK_TYPE>API</HOOK_TYPE><CALL>one.internal.vmmonitor</CALL><CALL_INFO>"
        "<RESULT>1</RESULT><PARAMETERS><PARAMETER><POSITION>1</POSITION><TYPE>IN</TYPE><VALUE>CMD=uptime"
        "</VALUE></PARAMETER><PARAMETER><POSITION>2</POSITION><TYPE>IN</TYPE><VALUE>RC=0</VALUE>"
        "</PARAMETER></PARAMETERS><EXTRA><VM_ID>7</VM_ID></EXTRA></CALL_INFO></HOOK_MESSAGE>"
    )
    with pytest.raises(ValueError, match=r"from 7\.2"):
        vmmonitor_event(7, {}, profile="7.0")


def test_state_child_order() -> None:
    """Reference §3.3."""
    host = state_event("HOST", 4, "ERROR").text()
    assert host.startswith(
        "<HOOK_MESSAGE><HOOK_TYPE>STATE</HOOK_TYPE><HOOK_OBJECT>HOST</HOOK_OBJECT><STATE>ERROR</STATE>"
        "<REMOTE_HOST>node5</REMOTE_HOST><RESOURCE_ID>4</RESOURCE_ID><HOST>"
    )
    image = state_event("IMAGE", 2, "USED").text()
    assert image.startswith(
        "<HOOK_MESSAGE><HOOK_TYPE>STATE</HOOK_TYPE><HOOK_OBJECT>IMAGE</HOOK_OBJECT><STATE>USED</STATE>"
        "<RESOURCE_ID>2</RESOURCE_ID><IMAGE>"
    )
    net = state_event("NET", 2, "READY").text()
    assert "<HOOK_OBJECT>NET</HOOK_OBJECT>" in net and "<VNET><ID>2</ID>" in net
    assert "<STATE><![CDATA[1]]></STATE>" in net  # VNET STATE is CDATA (§3.1)


def test_quirks_used_pers_and_update_failure() -> None:
    """Reference §4."""
    used_pers = state_event("IMAGE", 1, "USED_PERS")
    assert used_pers.keys == ("EVENT IMAGE 1/USED/ ", "EVENT STATE IMAGE/USED//1 ")
    assert "<STATE>USED</STATE>" in used_pers.text() and "<STATE>8</STATE>" in used_pers.text()
    failure = state_event("NET", 7, "UPDATE_FAILURE")
    assert failure.keys == ("EVENT NET 7// ", "EVENT STATE NET///7 ")
    assert "<STATE></STATE>" in failure.text()
    with pytest.raises(ValueError, match=r"NET state 'UPDATE_FAILURE' does not exist in profile 6.4"):
        state_event("NET", 7, "UPDATE_FAILURE", profile="6.4")


@pytest.mark.parametrize(
    ("obj", "state", "lcm", "profile", "message"),
    [
        ("IMAGE", "READY", None, "5.12", "profile 5.12 emits no IMAGE state events; it emits HOST, VM"),
        ("NET", "READY", None, "6.0", "profile 6.0 emits no NET state events"),
        ("VM", "ACTIVE", "RESTORE", "6.6", "LCM_STATE 'RESTORE' does not exist in profile 6.6"),
        ("VM", "ACTIVE", "BACKUP", "6.4", "LCM_STATE 'BACKUP' does not exist in profile 6.4"),
        (
            "HOST",
            "MONITORING_ERROR",
            None,
            "5.12",
            "HOST state 'MONITORING_ERROR' does not exist in profile 5.12",
        ),
    ],
)
def test_states_per_profile(obj: str, state: str, lcm: str | None, profile: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        state_event(obj, 1, state, lcm, profile=profile)


def test_states_that_do_exist() -> None:
    assert state_event("VM", 1, "ACTIVE", "RESTORE", profile="6.10").keys[0] == "EVENT VM 1/ACTIVE/RESTORE "
    assert (
        state_event("HOST", 1, "MONITORING_ERROR", profile="5.10.0").keys[0]
        == "EVENT HOST 1/MONITORING_ERROR/ "
    )


def test_service_id_only_from_5_12() -> None:
    """Reference §3.3."""
    vm = default_vm(9, "ACTIVE", "RUNNING")
    vm.user_template = {"SERVICE_ID": "4", "ROLE_NAME": "db"}
    new, old = document_state_event(vm, "5.12"), document_state_event(vm, "5.10.2")
    assert (
        "<RESOURCE_ID>9</RESOURCE_ID><SERVICE_ID>4</SERVICE_ID><REMOTE_HOST>node1</REMOTE_HOST>" in new.text()
    )
    assert new.keys[-1] == "EVENT SERVICE 4 "
    assert "<SERVICE_ID>4</SERVICE_ID><REMOTE" not in old.text() and len(old.keys) == 2


def test_remote_host_forms() -> None:
    """Reference §3.3."""
    assert "<RESOURCE_ID>5</RESOURCE_ID><REMOTE_HOST/><VM>" in state_event("VM", 5, "PENDING").text()
    assert "<REMOTE_HOST>node1</REMOTE_HOST><VM>" in state_event("VM", 5, "POWEROFF").text()


@pytest.mark.parametrize(
    ("profile", "present", "absent"),
    [
        ("7.4", ["<SCHED_ACTIONS>", "<BACKUPS>", "<PLAN_ID>"], []),
        ("6.8", ["<SCHED_ACTIONS>", "<BACKUPS>"], ["<PLAN_ID>"]),
        # SCHED_ACTIONS from 6.8 (src/vm/VirtualMachine.cc@release-6.8.0), not 6.2
        ("6.6", ["<BACKUPS>"], ["<SCHED_ACTIONS>", "<PLAN_ID>"]),
        ("6.0", [], ["<SCHED_ACTIONS>", "<BACKUPS>", "<PLAN_ID>"]),
    ],
)
def test_vm_document_shape_by_profile(profile: str, present: list[str], absent: list[str]) -> None:
    text = state_event("VM", 5, "ACTIVE", "RUNNING", profile=profile).text()
    for tag in present:
        assert tag in text
    for tag in absent:
        assert tag not in text


def test_unknown_document_field_is_named() -> None:
    with pytest.raises(TypeError, match=r"^VmDocument has no field 'nmae'; fields are .*name"):
        state_event("VM", 1, "PENDING", nmae="x")


def test_ill_formed_only_on_purpose() -> None:
    """Reference §3.2.1: oned writes '&' raw; mockhm builds that only when asked, and labels it."""
    with pytest.raises(
        ValueError, match=r"^one.vm.update: a parameter value holds a raw '&' or '<'.*ill_formed=True"
    ):
        api_event("one.vm.update", [5, 'DESCRIPTION="a & b"', 1], result=5)
    event = api_event("one.vm.update", [5, 'DESCRIPTION="a & b"', 1], result=5, ill_formed=True)
    assert event.label is not None and event.label.startswith("ill-formed XML")
    assert '<VALUE>DESCRIPTION="a & b"</VALUE>' in event.text()
    with pytest.raises(ValueError, match="ill_formed=True"):
        api_event("one.vm.action", ["poweroff", 9], success=False, error="[x] a < b", profile="7.4")
    assert (
        api_event("one.vm.action", ["poweroff", 9], success=False, error="[x] a < b", profile="7.0").label
        is None
    )


@pytest.mark.parametrize(
    ("build", "says"),
    [
        # events no oned publishes were built, and the checks passed them
        (lambda: state_event("VM", 1, "DONE", "RUNNING"), "a VM in DONE has LCM_STATE LCM_INIT"),
        (lambda: state_event("VM", 1, "POWEROFF", "BOOT"), "BOOT is a state of ACTIVE VMs only"),
        (lambda: state_event("VM", True, "ACTIVE", "RUNNING"), "resource_id=True; expected an object id"),
        (lambda: state_event("VM", -1, "PENDING"), "resource_id=-1"),
        # internals leaked: KeyError, AttributeError
        (lambda: state_event("VM", 1, "ACTIVE", "RUNNING", prev_state="BOGUS"), "prev_state='BOGUS'; expected one of"),
        (lambda: api_event("one.vm.action", ["x", 5], success=False, error_code="NOPE"), "error_code='NOPE'"),
        (lambda: api_event("one.vm.action", ["x", 5], success=False, error_code=None), "error_code=None"),
        (lambda: state_event("VM", 1, "PENDING", profile=7.4), "profile 7.4 is a float; give the release as a string"),
    ],
)  # fmt: skip
def test_builders_refuse_what_oned_never_publishes(build: Any, says: str) -> None:
    with pytest.raises(MockHMError, match=re.escape(says)):
        build()


def test_check_message_reports_text_frames_as_a_problem() -> None:
    """It raised AttributeError (str has no decode)."""
    problems = check_message(["EVENT API one.vm.allocate 1", "abc"])  # type: ignore[list-item]
    assert [p.code for p in problems] == ["frames"] and "frame 1 is str" in problems[0].reason
