"""mockhm's own schema set (reference §3, §4) and the per-message check (§2.1, §3.4)."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from lxml import etree

from mockhm.schemas.validation import check_message, expected_keys, validate_body, validate_event
from mockhm.schemas.xsd import SCHEMA_NAMES, load_schema, profile_xsd, schema_source
from mockhm.wire.bodies import api_event, retry_message, state_event
from mockhm.wire.errors import BodyValidationError
from mockhm.wire.message import HookEvent
from mockhm.wire.profiles import PROFILES, get_profile
from mockhm.wire.states import LCM_STATES

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
VECTORS_FILE = SHARED / "reference" / "hook-vectors-7.4.jsonl"
CLEAN_CAPTURE = Path(__file__).resolve().parents[1] / "fixtures" / "captures" / "clean-7.4.jsonl"


def _vectors() -> list[dict[str, object]]:
    if VECTORS_FILE.is_file():
        return [json.loads(line) for line in VECTORS_FILE.read_text().splitlines() if line]
    return []


VECTORS = _vectors()
needs_vectors = pytest.mark.skipif(not VECTORS, reason=f"shared vectors not found at {VECTORS_FILE}")


def vector(name: str) -> dict[str, object]:
    return next(v for v in VECTORS if v["name"] == name)


def body_of(name: str) -> bytes:
    return str(vector(name)["xml"]).encode()


def reject(body: bytes, profile: str) -> BodyValidationError:
    with pytest.raises(BodyValidationError) as info:
        validate_body(body, profile=profile)
    return info.value


# --------------------------------------------------------------------------- the set


@pytest.mark.parametrize("profile", list(PROFILES))
def test_every_schema_compiles_for_every_profile(profile: str) -> None:
    p = get_profile(profile)
    for name in SCHEMA_NAMES:
        if name.startswith("state-") and name[6:].upper() not in p.state_objects:
            continue
        assert isinstance(load_schema(name, p), etree.XMLSchema)


def test_schemas_are_compiled_once() -> None:
    assert load_schema("state-vm", "7.4") is load_schema("state-vm", "7.4.0")


def test_schema_files_declare_no_namespace() -> None:
    """oned sends no namespace (§3.1), so neither do our schemas."""
    for name in SCHEMA_NAMES:
        root = etree.fromstring(schema_source(name))
        assert root.get("targetNamespace") is None, name
        assert b"opennebula.org" not in schema_source(name)


@pytest.mark.parametrize("profile", list(PROFILES))
def test_generated_profile_types_follow_the_profile_tables(profile: str) -> None:
    p = get_profile(profile)
    doc = etree.fromstring(profile_xsd(p))
    ns = {"xs": "http://www.w3.org/2001/XMLSchema"}

    def values(type_name: str) -> set[str]:
        path = f"xs:simpleType[@name='{type_name}']//xs:enumeration/@value"
        return {str(v) for v in doc.xpath(path, namespaces=ns)}

    assert values("LcmStateName") == set(p.lcm_states)
    assert values("LcmStateNumber") == {str(LCM_STATES[n]) for n in p.lcm_states}
    assert values("HostStateName") == set(p.host_states)
    assert values("HookObjectName") == set(p.state_objects)
    assert "USED_PERS" not in values("ImageStateName")


# --------------------------------------------------------------------------- vectors


@needs_vectors
@pytest.mark.parametrize("name", [str(v["name"]) for v in VECTORS])
def test_vector_validates_and_gives_its_keys(name: str) -> None:
    """Every 7.4 vector is valid, and the driver's key derivation (§2.1) gives its keys."""
    v = vector(name)
    body = str(v["xml"]).encode()
    validate_body(body, profile="7.4")
    assert expected_keys(body, "7.4") == tuple(v["keys"])  # type: ignore[arg-type]
    for key in v["keys"]:  # type: ignore[attr-defined]
        assert check_message((key.encode(), str(v["content"]).encode()), profile="7.4") == []


# --------------------------------------------------------------------------- tightness


def test_error_names_key_schema_line_element_and_reason() -> None:
    body = state_event("VM", 7, "ACTIVE", "RUNNING").body.replace(
        b"<RESOURCE_ID>7</RESOURCE_ID>", b"<RESOURCE_ID>seven</RESOURCE_ID>"
    )
    key = "EVENT STATE VM/ACTIVE/RUNNING/7 "
    with pytest.raises(BodyValidationError) as info:
        validate_body(body, profile="7.4", key=key)
    err = info.value
    assert (err.key, err.schema, err.line, err.element) == (key, "state-vm.xsd", 1, "RESOURCE_ID")
    assert err.reason == "'seven' is not a valid value of the atomic type 'xs:nonNegativeInteger'"
    assert str(err) == (
        "body for 'EVENT STATE VM/ACTIVE/RUNNING/7 ' does not match mockhm's state schema (7.4): "
        "line 1: element RESOURCE_ID: 'seven' is not a valid value of the atomic type "
        "'xs:nonNegativeInteger'"
    )


def test_nested_element_errors_give_the_path() -> None:
    body = state_event("VM", 5, "ACTIVE", "RUNNING").body.replace(b"<STATE>3</STATE>", b"<STATE>7</STATE>")
    err = reject(body, "7.4")
    assert err.element == "STATE"
    assert "(/HOOK_MESSAGE/VM/STATE)" in str(err)
    assert "'7' is not an element of the set" in str(err)  # §4.1: 7 (FAILED) is never sent


def test_lcm_restore_exists_from_6_10() -> None:
    """§4.2: RESTORE (71) is 6.10+."""
    validate_body(state_event("VM", 5, "ACTIVE", "RESTORE", profile="6.10").body, profile="6.10")
    body = state_event("VM", 5, "ACTIVE", "BACKUP", profile="6.6").body
    body = body.replace(b"<LCM_STATE>BACKUP</LCM_STATE>", b"<LCM_STATE>RESTORE</LCM_STATE>")
    err = reject(body, "6.6")
    assert err.element == "LCM_STATE"
    assert "'RESTORE' is not an element of the set" in str(err.reason)


def test_backup_lcm_states_are_6_6_and_later() -> None:
    body = state_event("VM", 5, "ACTIVE", "RUNNING", profile="6.4").body
    err = reject(body.replace(b"<LCM_STATE>RUNNING<", b"<LCM_STATE>BACKUP<"), "6.4")
    assert err.element == "LCM_STATE"


def test_net_state_events_do_not_exist_in_6_0() -> None:
    """§3.3: NET STATE hooks start in 6.4."""
    body = state_event("NET", 2, "READY", profile="6.4").body
    validate_body(body, profile="6.4")
    err = reject(body, "6.0")
    assert err.element == "HOOK_OBJECT"
    assert "{'HOST', 'IMAGE', 'VM'}" in str(err)


def test_image_state_events_do_not_exist_in_5_12() -> None:
    err = reject(state_event("IMAGE", 3, "READY", profile="6.0").body, "5.12")
    assert err.element == "HOOK_OBJECT"


def test_service_id_exists_from_5_12() -> None:
    """§3.3: SERVICE_ID in VM bodies since 5.12."""
    event = state_event("VM", 7, "ACTIVE", "RUNNING", profile="5.12", user_template={"SERVICE_ID": "3"})
    assert b"<SERVICE_ID>3</SERVICE_ID><REMOTE_HOST>" in event.body
    validate_body(event.body, profile="5.12")
    err = reject(event.body, "5.10.2")
    assert err.element == "SERVICE_ID"
    assert "not expected" in str(err.reason)


def test_monitoring_host_states_exist_only_in_5_10() -> None:
    """§4.3: MONITORING_* host states are 5.10.x only."""
    body = state_event("HOST", 0, "MONITORING_ERROR", profile="5.10.2").body
    validate_body(body, profile="5.10.2")
    validate_body(body, profile="5.10.0")
    err = reject(body, "5.12")
    assert err.element == "STATE"
    assert "'MONITORING_ERROR'" in str(err.reason)


def test_printed_image_state_never_says_used_pers() -> None:
    """§4.4: USED_PERS prints as USED; the embedded number is still 8."""
    event = state_event("IMAGE", 3, "USED_PERS")
    assert b"<STATE>USED</STATE>" in event.body and b"<STATE>8</STATE>" in event.body
    validate_body(event.body)
    for printed in (b"USED_PERS", b"LOCKED_USED_PERS"):
        body = event.body.replace(b"<STATE>USED</STATE>", b"<STATE>" + printed + b"</STATE>", 1)
        err = reject(body, "7.4")
        assert err.element == "STATE"


def test_net_update_failure_has_an_empty_state_from_6_6() -> None:
    """§4.5: UPDATE_FAILURE has no string: ``<STATE></STATE>`` (6.6+)."""
    event = state_event("NET", 7, "UPDATE_FAILURE", profile="6.6")
    assert b"<STATE></STATE>" in event.body
    validate_body(event.body, profile="6.6")
    validate_body(state_event("NET", 7, "UPDATE_FAILURE").body, profile="7.4")
    older = state_event("NET", 7, "READY", profile="6.4").body.replace(
        b"<STATE>READY</STATE>", b"<STATE></STATE>", 1
    )
    assert reject(older, "6.4").element == "STATE"


def test_host_remote_host_comes_before_resource_id() -> None:
    """§3.3: HOST bodies carry REMOTE_HOST, then RESOURCE_ID (VMs the other way round)."""
    body = state_event("HOST", 0, "MONITORED").body
    swapped = body.replace(
        b"<REMOTE_HOST>node1</REMOTE_HOST><RESOURCE_ID>0</RESOURCE_ID>",
        b"<RESOURCE_ID>0</RESOURCE_ID><REMOTE_HOST>node1</REMOTE_HOST>",
    )
    assert swapped != body
    assert reject(swapped, "7.4").element == "RESOURCE_ID"


@pytest.mark.parametrize(
    ("element", "newer", "older"),
    [
        ("PLAN_ID", "7.0", "6.10"),
        ("TEMPLATE_ID", "7.4", "7.2"),
        ("BACKUPS", "6.6", "6.4"),
        ("SCHED_ACTIONS", "6.8", "6.6"),
    ],
)
def test_release_only_elements_are_refused_before_their_release(element: str, newer: str, older: str) -> None:
    """HISTORY PLAN_ID 7.0+, VNET TEMPLATE_ID 7.4+, BACKUPS 6.6+, SCHED_ACTIONS 6.8+
    (``src/vm/VirtualMachine.cc@release-6.8.0`` writes it, ``@release-6.6.0`` does not)."""
    if element == "TEMPLATE_ID":
        event = state_event("NET", 5, "READY", profile=newer)
    else:
        event = state_event("VM", 5, "ACTIVE", "RUNNING", profile=newer)
    assert f"<{element}".encode() in event.body
    validate_body(event.body, profile=newer)
    assert reject(event.body, older).element == element


def test_template_contents_are_open() -> None:
    event = state_event(
        "VM", 5, "ACTIVE", "RUNNING",
        template={"CPU": "1", "NIC": [{"IP": "10.0.0.1"}, {"IP": "10.0.0.2"}], "ZZZ_ANY": "x"},
        user_template={"LABELS": "a,b", "ROLE": {"NAME": "web"}},
    )  # fmt: skip
    validate_body(event.body)


def test_api_values_may_hold_xml() -> None:
    """§3.2.1: a template passed as XML becomes child elements of VALUE."""
    event = api_event("one.vm.allocate", ["<TEMPLATE><CPU>1</CPU><MEMORY>64</MEMORY></TEMPLATE>"], result=5)
    assert b"<VALUE><TEMPLATE><CPU>1</CPU>" in event.body
    validate_event(event)


def test_api_result_must_be_0_or_1() -> None:
    body = api_event("one.vm.action", ["poweroff", 5], result=5).body
    err = reject(body.replace(b"<RESULT>1</RESULT>", b"<RESULT>true</RESULT>"), "7.4")
    assert err.element == "RESULT"


def test_unknown_hook_type_lists_the_known_ones() -> None:
    err = reject(b"<HOOK_MESSAGE><HOOK_TYPE>EVENT</HOOK_TYPE></HOOK_MESSAGE>", "7.4")
    assert err.element == "HOOK_TYPE"
    assert "{'API', 'STATE'}" in str(err)


def test_other_roots_are_refused() -> None:
    err = reject(b"<VM><ID>1</ID></VM>", "7.4")
    assert "No matching global declaration" in str(err.reason)


def test_ill_formed_body_is_reported_as_such() -> None:
    with pytest.raises(BodyValidationError, match="not well-formed XML") as info:
        validate_body(b"<HOOK_MESSAGE><HOOK_TYPE>API</HOOK_TYPE>", key="EVENT API one.vm.action 1")
    assert info.value.key == "EVENT API one.vm.action 1"


def test_entities_are_not_expanded(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    body = (
        f'<!DOCTYPE HOOK_MESSAGE [<!ENTITY e SYSTEM "{secret.as_uri()}">]>'
        "<HOOK_MESSAGE><ARGUMENTS>&e;</ARGUMENTS><HOOK_ID>0</HOOK_ID></HOOK_MESSAGE>"
    ).encode()
    with pytest.raises(BodyValidationError) as info:
        validate_body(body)
    assert "TOP-SECRET" not in str(info.value)


def test_retry_arguments_must_be_base64() -> None:
    body = retry_message(0, "x 5").body
    validate_body(body)
    assert reject(body.replace(b"<ARGUMENTS>", b"<ARGUMENTS>!"), "7.4").element == "ARGUMENTS"


def test_retry_remote_host_is_optional() -> None:
    """§3.4: REMOTE_HOST follows HOOK_ID when the execution record had one."""
    validate_event(retry_message(3, "args", remote_host="node1"))


def test_validate_event_names_the_first_key() -> None:
    event = state_event("VM", 5, "PENDING", "LCM_INIT")
    broken = type(event)(event.kind, event.body.replace(b"<ID>5</ID>", b"<ID>x</ID>"), event.keys)
    with pytest.raises(BodyValidationError) as info:
        validate_event(broken)
    assert info.value.key == "EVENT VM 5/PENDING/LCM_INIT "


# --------------------------------------------------------------------------- keys


def test_expected_keys_read_service_id_document_wide() -> None:
    """§2.1: //SERVICE_ID anywhere in the body adds the EVENT SERVICE key."""
    body = state_event("HOST", 0, "MONITORED", template={"SERVICE_ID": "9"}).body
    assert expected_keys(body) == (
        "EVENT HOST 0/MONITORED/ ",
        "EVENT STATE HOST/MONITORED//0 ",
        "EVENT SERVICE 9 ",
    )


def test_expected_keys_of_an_ill_formed_api_body() -> None:
    """§3.2.1: the driver parses leniently and still publishes."""
    body = b"<HOOK_MESSAGE><HOOK_TYPE>API</HOOK_TYPE><CALL>one.vm.update</CALL><CALL_INFO>"
    body += b"<RESULT>1</RESULT><PARAMETERS><PARAMETER><VALUE>a & b</VALUE></PARAMETER>"
    body += b"</PARAMETERS><EXTRA></EXTRA></CALL_INFO></HOOK_MESSAGE>"
    assert expected_keys(body) == ("EVENT API one.vm.update 1",)


def test_expected_keys_in_the_docs_profile() -> None:
    """§2.3: the documentation's form has one key, no id, no trailing space."""
    body = state_event("VM", 5, "PENDING", "LCM_INIT", profile="docs").body
    assert expected_keys(body, "docs") == ("EVENT STATE VM/PENDING/LCM_INIT",)


def test_expected_keys_of_empty_net_state() -> None:
    body = state_event("NET", 7, "UPDATE_FAILURE").body
    assert expected_keys(body) == ("EVENT NET 7// ", "EVENT STATE NET///7 ")


# --------------------------------------------------------------------------- check_message


def _frames(key: str, body: bytes, *, retry: bool = False) -> tuple[bytes, bytes]:
    return key.encode(), base64.b64encode(body) + (b" " if retry else b"")


def codes(frames: tuple[bytes, ...], profile: str = "7.4") -> list[str]:
    return [p.code for p in check_message(frames, profile=profile)]


def test_check_message_accepts_every_message_of_a_builder_event() -> None:
    event = state_event("VM", 7, "ACTIVE", "RUNNING", user_template={"SERVICE_ID": "3"})
    assert len(event.messages()) == 3
    for message in event.messages():
        assert check_message(message.frames) == []
    assert check_message(retry_message(0, "a").messages()[0].frames) == []


def test_check_message_codes() -> None:
    running = state_event("VM", 5, "ACTIVE", "RUNNING").body
    assert codes((b"EVENT VM 5/ACTIVE/RUNNING ",)) == ["frames"]
    assert codes(_frames("EVENT VM 5/ACTIVE/RUNNING", running)) == ["key"]
    assert codes((b"EVENT API one.vm.action 1", b"%%%")) == ["base64"]
    assert codes(_frames("RETRY", retry_message(0, "a").body)) == ["retry-shape"]
    assert codes(_frames("EVENT API x 1", b"<HOOK_MESSAGE>")) == ["xml", "key-body-mismatch"]
    assert codes(_frames("EVENT STATE VM/ACTIVE/RUNNING/6 ", running)) == ["key-body-mismatch"]
    assert codes(_frames("EVENT VM 5/ACTIVE/RUNNING ", running, retry=True)) == ["base64"]
    assert codes(_frames("RETRY", running, retry=True)) == ["key-body-mismatch"]
    bad = running.replace(b"<ETIME>0</ETIME>", b"<ETIME>never</ETIME>", 1)
    assert codes(_frames("EVENT VM 5/ACTIVE/RUNNING ", bad)) == ["schema"]


def test_check_message_uses_the_profile() -> None:
    body = state_event("VM", 5, "ACTIVE", "RUNNING", profile="6.10").body
    frames = _frames("EVENT VM 5/ACTIVE/RUNNING ", body)
    assert codes(frames, "6.10") == []
    assert codes(frames, "7.4") == ["schema"]  # no PLAN_ID/ACTION_ID before 7.0
    docs = _frames("EVENT STATE VM/ACTIVE/RUNNING", body)
    assert codes(docs, "docs") == ["schema"]  # docs profile is 5.10 shaped; key agrees
    assert "key-body-mismatch" in codes(docs, "6.10")


@pytest.mark.skipif(not CLEAN_CAPTURE.is_file(), reason="fixtures/captures/clean-7.4.jsonl missing")
def test_clean_capture_fixture_holds_the_vectors() -> None:
    lines = CLEAN_CAPTURE.read_text().splitlines()
    assert json.loads(lines[0])["format"] == "mockhm-capture"
    for line in lines[1:]:
        frames = tuple(f.encode() for f in json.loads(line)["frames"])
        assert check_message(frames) == []


# --------------------------------------------------------------------------- builders


def _builder_events(profile: str) -> list[HookEvent]:
    from mockhm.wire.bodies import vmmonitor_event

    p = get_profile(profile)
    events: list[HookEvent] = [
        api_event("one.vm.action", ["poweroff", 5], result=5, profile=p),
        api_event("one.vm.action", ["poweroff", 99], success=False, resp_id=99, profile=p,
                  error="[one.vm.action] Error getting virtual machine [99]."),
        api_event("one.vm.allocate", ["CPU=1\nMEMORY=64", False], result=5, profile=p),
        api_event("one.user.allocate", ["bob", "secret", "core", [0]], result=3, profile=p),
        api_event("one.system.version", [], result="7.4.0", profile=p),
        retry_message(0, "PEhPT0tfTUVTU0FHRT4= 5", profile=p),
        retry_message(2, "args", remote_host="node1", profile=p),
    ]  # fmt: skip
    if p.internal_vmmonitor:
        events.append(vmmonitor_event(5, {"QEMU_GA_EXEC": "ok"}, profile=p))
    events.extend(state_event("VM", 5, state, "LCM_INIT", profile=p) for state in sorted(p.states("VM")))
    events.extend(state_event("VM", 5, "ACTIVE", lcm, profile=p) for lcm in sorted(p.lcm_states))
    for obj in sorted(p.state_objects - {"VM"}):
        events.extend(state_event(obj, 3, state, profile=p) for state in sorted(p.states(obj)))
    return events


@pytest.mark.parametrize("profile", list(PROFILES))
def test_every_builder_output_validates(profile: str) -> None:
    """Nothing invalid is produced by accident: every builder, every state, every profile."""
    events = _builder_events(profile)
    assert len(events) > 80
    for event in events:
        validate_event(event)
        for message in event.messages():
            assert check_message(message.frames, profile=profile) == [], message.key


@pytest.mark.parametrize("profile", list(PROFILES))
def test_every_cloud_life_cycle_event_validates(profile: str) -> None:
    from mockhm.oned.cloud import HOT_OPERATIONS, Cloud, CloudError

    cloud = Cloud(profile, seed=1)
    events: list[HookEvent] = []
    events += cloud.host_allocate()
    events += cloud.host_monitor(0)
    events += cloud.vm_allocate(user_template={"SERVICE_ID": "4", "ROLE_NAME": "db"})
    events += cloud.vm_deploy(0)

    def hot(operation: str) -> list[HookEvent]:
        try:
            return cloud.vm_hot(0, operation)
        except (CloudError, ValueError):
            return []  # not in this release or not from this state

    for operation in HOT_OPERATIONS:
        events += hot(operation)
    for action in ("poweroff", "resume", "suspend", "resume", "stop", "resume", "undeploy", "resume"):
        events += cloud.vm_action(0, action)
        if cloud.vms[0].state == "PENDING":
            events += cloud.vm_deploy(0)
    events += cloud.vm_action(0, "terminate")
    if "IMAGE" in get_profile(profile).state_objects:
        events += cloud.image_allocate()
    if "NET" in get_profile(profile).state_objects:
        events += cloud.net_allocate()
        if "UPDATE_FAILURE" in get_profile(profile).net_states:
            events += cloud.net_state(0, "UPDATE_FAILURE")
    events += cloud.hook_retry(0, "PEhPT0tfTUVTU0FHRT4= 5", remote_host="node1")
    assert len(events) > 15
    for event in events:
        for message in event.messages():
            assert check_message(message.frames, profile=profile) == [], message.key
