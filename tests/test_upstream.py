"""OpenNebula's own XSDs against what oned sends (reference §8), namespace injected.

Each defect of §8.3 that applies to 7.4 is shown on the shared copy of the 7.4 schemas;
bodies that upstream can accept are shown to be accepted.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from lxml import etree

from mockhm.schemas.upstream import (
    UPSTREAM_NS,
    UpstreamSchemaError,
    UpstreamSchemas,
    drift_cases,
    drift_markdown,
    drift_rows,
    inject_namespace,
    validate_upstream,
)
from mockhm.schemas.validation import validate_body
from mockhm.wire.bodies import api_event, document_state_event, retry_message, state_event
from mockhm.wire.defaults import default_document
from mockhm.wire.errors import BodyValidationError

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
XSD_74 = SHARED / "opennebula" / "xsd" / "release-7.4.0"
XSD_510 = SHARED / "opennebula" / "xsd" / "release-5.10.0"
VECTORS_FILE = SHARED / "reference" / "hook-vectors-7.4.jsonl"
DRIFT_DOC = REPO / "docs" / "upstream-drift.md"

pytestmark = pytest.mark.skipif(
    not XSD_74.is_dir(), reason=f"upstream 7.4 XSDs not found at {XSD_74} (shared/ beside the repo)"
)


def vector_body(name: str) -> bytes:
    for line in VECTORS_FILE.read_text().splitlines():
        v = json.loads(line)
        if v["name"] == name:
            return str(v["xml"]).encode()
    raise LookupError(name)


def upstream_rejects(body: bytes) -> BodyValidationError:
    with pytest.raises(BodyValidationError) as info:
        validate_upstream(body, XSD_74)
    return info.value


@pytest.fixture(scope="module")
def schemas() -> UpstreamSchemas:
    return UpstreamSchemas(XSD_74)


# --------------------------------------------------------------------------- accepted


@pytest.mark.parametrize(
    "name",
    ["api-vm-action-poweroff-success", "api-vm-action-failure-7.2+", "image-ready",
     "vm-running-deployed", "retry"],
)  # fmt: skip
def test_bodies_upstream_can_accept_are_accepted_after_injection(name: str) -> None:
    """§8.2: API, IMAGE READY, deployed VM RUNNING and RETRY without REMOTE_HOST pass."""
    validate_upstream(vector_body(name), XSD_74)


def test_builder_bodies_upstream_can_accept_are_accepted() -> None:
    for event in (
        api_event("one.vm.action", ["poweroff", 5], result=5),
        api_event("one.vm.allocate", ["<TEMPLATE><CPU>1</CPU></TEMPLATE>"], result=5),
        state_event("VM", 5, "ACTIVE", "RUNNING"),
        state_event("IMAGE", 3, "READY"),
        retry_message(0, "args"),
    ):
        validate_upstream(event.body, XSD_74)


def test_injection_puts_every_element_in_the_namespace() -> None:
    root = inject_namespace(etree.fromstring(vector_body("vm-running-deployed")))
    tags = [el.tag for el in root.iter(etree.Element)]
    assert len(tags) > 50
    assert all(str(t).startswith(f"{{{UPSTREAM_NS}}}") for t in tags)


# --------------------------------------------------------------------------- §8.3 defects


def test_defect_1_raw_bodies_never_validate(schemas: UpstreamSchemas) -> None:
    """§8.3.1: the schemas are namespaced, oned's bodies are not."""
    raw = etree.fromstring(vector_body("image-ready"))
    schema = schemas.schema("STATE")
    assert not schema.validate(raw)
    assert "No matching global declaration" in schema.error_log[0].message


def test_defect_2_no_service_id() -> None:
    """§8.3.2: SERVICE_ID (5.12+) is not in hook_message_state.xsd."""
    body = vector_body("vm-running-oneflow-service")
    validate_body(body)
    err = upstream_rejects(body)
    assert err.element == "SERVICE_ID"
    assert err.schema == "upstream hook_message_state.xsd"


def test_defect_3_host_order() -> None:
    """§8.3.3: REMOTE_HOST comes before RESOURCE_ID in HOST bodies; upstream wants the reverse."""
    body = vector_body("host-monitored")
    validate_body(body)
    assert upstream_rejects(body).element == "REMOTE_HOST"
    reordered = body.replace(
        b"<REMOTE_HOST>node1</REMOTE_HOST><RESOURCE_ID>0</RESOURCE_ID>",
        b"<RESOURCE_ID>0</RESOURCE_ID><REMOTE_HOST>node1</REMOTE_HOST>",
    )
    validate_upstream(reordered, XSD_74)  # the order is the only complaint


def test_defect_4_hook_object_net_and_loose_state() -> None:
    """§8.3.4: HOOK_OBJECT says VNET where oned says NET; STATE is any string."""
    err = upstream_rejects(vector_body("net-ready"))
    assert err.element == "HOOK_OBJECT"
    assert "'NET'" in str(err.reason)
    nonsense = vector_body("image-ready").replace(b"<STATE>READY</STATE>", b"<STATE>BOGUS</STATE>", 1)
    validate_upstream(nonsense, XSD_74)  # upstream accepts any STATE string
    with pytest.raises(BodyValidationError, match="BOGUS"):
        validate_body(nonsense)


def test_defect_5_retry_without_remote_host() -> None:
    """§8.3.5: hook_message_retry.xsd has no REMOTE_HOST."""
    body = retry_message(0, "args", remote_host="node1").body
    validate_body(body)
    assert upstream_rejects(body).element == "REMOTE_HOST"


def test_defect_6_tm_mad_system_required() -> None:
    """§8.3.6: a VM never deployed has no TEMPLATE/TM_MAD_SYSTEM; upstream requires it."""
    body = vector_body("vm-allocated-pending")
    validate_body(body)
    upstream_rejects(body)
    with_tm = body.replace(b"<VMID>", b"<TM_MAD_SYSTEM><![CDATA[ssh]]></TM_MAD_SYSTEM><VMID>")
    validate_upstream(with_tm, XSD_74)  # TM_MAD_SYSTEM is the only complaint


def test_defect_7_fresh_host_datastores() -> None:
    """§8.3.7 said a just allocated host has empty DATASTORES; a real 7.4.0 oned writes the four
    children with zeros (``captures-7.4.0/7.4.0-hosts.jsonl``, the capture wins), which is
    what upstream's host.xsd wants: past defect 3 the body is accepted."""
    body = state_event("HOST", 0, "INIT").body
    assert (
        b"<DATASTORES><DISK_USAGE><![CDATA[0]]></DISK_USAGE><FREE_DISK><![CDATA[0]]></FREE_DISK>"
        b"<MAX_DISK><![CDATA[0]]></MAX_DISK><USED_DISK><![CDATA[0]]></USED_DISK></DATASTORES>" in body
    )
    validate_body(body)
    reordered = body.replace(
        b"<REMOTE_HOST>node1</REMOTE_HOST><RESOURCE_ID>0</RESOURCE_ID>",
        b"<RESOURCE_ID>0</RESOURCE_ID><REMOTE_HOST>node1</REMOTE_HOST>",
    )
    validate_upstream(reordered, XSD_74)


def test_defect_8_vnet_extended_address_ranges() -> None:
    """§8.3.8: vnet.xsd describes the extended AR_POOL; hook bodies carry raw ARs."""
    body = vector_body("net-ready").replace(
        b"<HOOK_OBJECT>NET</HOOK_OBJECT>", b"<HOOK_OBJECT>VNET</HOOK_OBJECT>"
    )
    err = upstream_rejects(body)  # past defect 4, the raw AR is what fails
    assert err.element == "ALLOCATED"


def test_defect_9_call_info_unbounded() -> None:
    """§8.3.9: upstream allows any number of CALL_INFO; oned writes exactly one."""
    body = vector_body("api-vm-action-poweroff-success")
    start = body.index(b"<CALL_INFO>")
    end = body.index(b"</CALL_INFO>") + len(b"</CALL_INFO>")
    doubled = body[:end] + body[start:end] + body[end:]
    validate_upstream(doubled, XSD_74)
    with pytest.raises(BodyValidationError) as info:
        validate_body(doubled)
    assert info.value.element == "CALL_INFO"


def test_ill_formed_bodies_fail_before_any_schema() -> None:
    """§3.2.1: a raw ``&`` makes the API body ill-formed; no schema can help."""
    body = vector_body("api-vm-action-poweroff-success").replace(b"poweroff", b"a & b")
    with pytest.raises(BodyValidationError, match="not well-formed"):
        validate_upstream(body, XSD_74)


@pytest.mark.skipif(not XSD_510.is_dir(), reason=f"upstream 5.10.0 XSDs not found at {XSD_510}")
def test_release_5_10_schemas_do_not_load() -> None:
    """§8.3.10: in 5.10.0 a comment precedes the XML declaration."""
    with pytest.raises(UpstreamSchemaError, match="not well-formed"):
        UpstreamSchemas(XSD_510).schema("STATE")


def test_missing_directory_is_named() -> None:
    with pytest.raises(UpstreamSchemaError, match="does not exist"):
        UpstreamSchemas(REPO / "no-such-xsd-dir")


# --------------------------------------------------------------------------- drift table


def test_drift_table_is_current() -> None:
    """docs/upstream-drift.md is generated from mockhm's builders and the 7.4 XSDs.

    Set MOCKHM_UPDATE_DOCS=1 to rewrite it after a deliberate change.
    """
    text = drift_markdown(drift_rows(drift_cases("7.4"), XSD_74), upstream_label="release-7.4.0")
    if os.environ.get("MOCKHM_UPDATE_DOCS") == "1":
        DRIFT_DOC.parent.mkdir(exist_ok=True)
        DRIFT_DOC.write_text(text, encoding="utf-8")
    assert DRIFT_DOC.read_text(encoding="utf-8") == text, (
        "docs/upstream-drift.md is stale; regenerate with MOCKHM_UPDATE_DOCS=1 "
        "python -m pytest tests/test_upstream.py -k drift"
    )


def test_drift_rows_agree_with_reference() -> None:
    rows = {r.case.name: r for r in drift_rows(drift_cases("7.4"), XSD_74)}
    passing = {name for name, r in rows.items() if r.upstream is None}
    assert passing == {"api-success", "api-failure", "api-xml-template", "vm-running", "image-ready", "retry"}
    ours_invalid = {name for name, r in rows.items() if r.ours is not None}
    assert ours_invalid == {"api-ampersand"}  # the one ill-formed body, built on purpose


# --------------------------------------------------------------------------- upstream-compatible shapes


def test_upstream_compatible_pending_vm_passes_upstream() -> None:
    """With the option, a never-deployed VM carries TM_MAD_SYSTEM and passes (defect 6)."""
    doc = default_document("VM", 5, "PENDING", "LCM_INIT", upstream_compatible=True)
    body = document_state_event(doc).body
    validate_body(body)
    validate_upstream(body, XSD_74)


def test_upstream_compatible_fresh_host_has_datastores() -> None:
    """With the option, an INIT host has the DATASTORES children upstream requires (defect 7);
    the REMOTE_HOST order (defect 3) still cannot be helped."""
    doc = default_document("HOST", 0, "INIT", upstream_compatible=True)
    body = document_state_event(doc).body
    validate_body(body)
    assert upstream_rejects(body).element == "REMOTE_HOST"
    reordered = body.replace(
        b"<REMOTE_HOST>node1</REMOTE_HOST><RESOURCE_ID>0</RESOURCE_ID>",
        b"<RESOURCE_ID>0</RESOURCE_ID><REMOTE_HOST>node1</REMOTE_HOST>",
    )
    validate_upstream(reordered, XSD_74)


def test_cloud_upstream_compatible_vm_stream_passes_upstream() -> None:
    """Cloud(upstream_compatible=True): every VM STATE body of a deploy passes upstream 7.4,
    the very first (PENDING) one included.  Without the option a realistic VM fails twice over:
    no TM_MAD_SYSTEM before deploy (defect 6), and TEMPLATE/DISK/IMAGE is checked against
    upstream's global IMAGE document element (found here, not in reference §8.3)."""
    from mockhm import Cloud

    def vm_bodies(compatible: bool) -> list[bytes]:
        cloud = Cloud(seed=2, upstream_compatible=compatible)
        cloud.host_allocate()
        cloud.host_monitor(0)
        events = cloud.vm_allocate() + cloud.vm_deploy(0)
        return [e.body for e in events if e.kind == "STATE"]

    for body in vm_bodies(True):
        validate_body(body)
        validate_upstream(body, XSD_74)
    first = vm_bodies(False)[0]
    validate_body(first)
    assert "element IMAGE: Character content other than whitespace" in str(upstream_rejects(first))
    without_disk_image = re.sub(rb"<IMAGE><!\[CDATA\[[^]]*\]\]></IMAGE>", b"", first)
    assert "TM_MAD_SYSTEM" in str(upstream_rejects(without_disk_image))
