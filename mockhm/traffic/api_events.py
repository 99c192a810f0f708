"""Hypothesis strategies for API events: calls, IN parameters, results, EXTRA."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Final

from faker import Faker
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from mockhm.traffic.drawing import IDS, SEEDS, faker_for, profile_arg
from mockhm.traffic.enrich import enrich
from mockhm.wire.bodies import ApiValue, Document, api_event
from mockhm.wire.calls import IN_PARAMETERS, VM_ACTIONS, published_calls
from mockhm.wire.defaults import default_document
from mockhm.wire.documents import VmDocument
from mockhm.wire.message import HookEvent
from mockhm.wire.profiles import Profile

#: Calls examples shrink toward (the ones subscribers most often watch).
_CALL_ORDER: Final[tuple[str, ...]] = (
    "one.vm.action", "one.vm.allocate", "one.template.instantiate", "one.vm.deploy",
    "one.vm.migrate", "one.host.allocate", "one.image.allocate", "one.vn.allocate",
    *(c for c in IN_PARAMETERS if c not in {
        "one.vm.action", "one.vm.allocate", "one.template.instantiate", "one.vm.deploy",
        "one.vm.migrate", "one.host.allocate", "one.image.allocate", "one.vn.allocate",
    }),
)  # fmt: skip


def _template_text(fake: Faker, call: str) -> str:
    """A template in OpenNebula's text syntax; values never contain ``&`` or ``<``."""
    obj = call.split(".")[1]
    if obj in {"vm", "template"}:
        cap = fake.one_capacity()
        return (
            f'NAME="{fake.one_vm_name()}"\nCPU="{cap["CPU"]}"\nVCPU="{cap["VCPU"]}"\n'
            f'MEMORY="{cap["MEMORY"]}"\nDISK=[IMAGE="{fake.one_image_name()}"]\n'
            f'NIC=[NETWORK="{fake.one_vnet_name()}"]'
        )
    if obj == "image":
        return f'NAME="{fake.one_image_name()}"\nPATH="/var/tmp/{fake.one_hex(8)}.qcow2"\nTYPE="OS"'
    if obj == "vn":
        ar = fake.one_address_range()
        return (
            f'NAME="{fake.one_vnet_name()}"\nVN_MAD="bridge"\nBRIDGE="br0"\n'
            f'AR=[TYPE="IP4",IP="{ar["IP"]}",SIZE="{ar["SIZE"]}"]'
        )
    if obj == "host":
        return f'LABELS="{fake.one_group_name()}"\nRESERVED_CPU="0"'
    if obj == "hook":
        return f'NAME="hook-{fake.one_hex(4)}"\nTYPE="state"\nCOMMAND="true"\nRESOURCE="VM"'
    return f'DESCRIPTION="{fake.one_template_name()}"'


def _param(draw: st.DrawFn, fake: Faker, call: str, name: str) -> ApiValue:
    if name in {"hold", "enforce", "live", "persistent", "delete_images", "force",
                "skip_capacity_check", "test"}:  # fmt: skip
        return draw(st.booleans())
    if name == "action":
        return draw(st.sampled_from(VM_ACTIONS[::-1]))
    if name in {"template", "nic_template", "extra"}:
        return (
            draw(st.sampled_from(("", _template_text(fake, call))))
            if name != "template"
            else (_template_text(fake, call))
        )
    if name == "name":
        return str(fake.one_vm_name() if ".vm." in call else fake.one_template_name())
    if name == "hostname":
        return str(fake.one_host_name())
    if name == "username":
        return str(fake.one_user_name())
    if name == "password":
        return str(fake.one_hex(16))
    if name in {"im_mad", "vmm_mad"}:
        return "kvm"
    if name == "driver":
        return "core"
    if name == "group_ids":
        return []
    if name in {"uid", "gid", "cluster_id", "ds_id", "snapshot_id"}:
        return draw(st.integers(min_value=-1, max_value=100))
    if name in {"update_type", "status", "migration_type"}:
        return draw(st.integers(min_value=0, max_value=2))
    if name == "level":
        return draw(st.sampled_from((4, 1, 2, 3)))
    if name == "operation":
        return draw(st.integers(min_value=0, max_value=5))
    if name == "type":
        return ""
    return draw(IDS)


def _api_extra(fake: Faker, call: str, oid: int, profile: Profile) -> str:
    """EXTRA of allocate/delete calls for the objects mockhm models."""
    obj, _, verb = call[len("one.") :].partition(".")
    if verb not in {"allocate", "delete"}:
        return ""
    doc: Document
    if obj == "vm" and verb == "allocate":
        doc = enrich(fake, default_document("VM", oid, "PENDING", "LCM_INIT"))
        return doc.to_xml(profile, history="last") if isinstance(doc, VmDocument) else ""
    if obj == "host":
        doc = default_document("HOST", oid, "INIT" if verb == "allocate" else "MONITORED")
    elif obj == "image":
        doc = default_document("IMAGE", oid, "LOCKED" if verb == "allocate" else "READY")
        if verb == "allocate":
            doc.prev_state = "INIT"
    elif obj == "vn":
        doc = default_document("NET", oid, "LOCK_CREATE" if verb == "allocate" else "READY")
        if verb == "allocate":
            doc.prev_state = "INIT"
    else:
        return ""
    return enrich(fake, doc).to_xml(profile)


_FAILURES: Final[tuple[tuple[str, str], ...]] = (
    ("NO_EXISTS", "[{call}] Error getting {what} [{oid}]."),
    ("AUTHORIZATION", "[{call}] User [{uid}] : Not authorized to perform MANAGE {what} [{oid}]."),
    ("ACTION", "[{call}] Error performing action on {what} [{oid}]: wrong state."),
    ("ALLOCATE", "[{call}] Error allocating a new {what}. NAME is already taken."),
    # Request::failure_message (src/rm/Request.cc@release-7.4.0, same since release-5.10.0)
    ("LOCKED", "[{call}] The resource {what} is locked. [{oid}]."),
    ("INTERNAL", "[{call}] Internal error."),
)
_WHAT: Final[dict[str, str]] = {
    "vm": "virtual machine", "host": "host", "image": "image", "vn": "virtual network",
    "template": "template", "user": "user", "group": "group", "hook": "hook",
}  # fmt: skip


@st.composite
def api_events_from(
    draw: st.DrawFn, calls: Sequence[str], result: bool | None, profile: Profile
) -> HookEvent:
    call = draw(st.sampled_from(calls))
    success = draw(st.booleans()) if result is None else result
    fake = faker_for(draw(SEEDS))
    names = IN_PARAMETERS.get(call)
    if names is None:
        names = () if "pool." in call or call.startswith("one.system.") else ("id",)
    count = draw(st.integers(min_value=min(1, len(names)), max_value=len(names)))
    params = [_param(draw, fake, call, n) for n in names[:count]]
    ids = [
        p
        for p, n in zip(params, names[:count], strict=True)
        if isinstance(p, int) and not isinstance(p, bool) and n.endswith("id") and p >= 0
    ]
    grpc = draw(st.booleans()) if profile.grpc else False
    if success:
        oid = draw(IDS) if call.endswith(".allocate") or not ids else int(ids[0])
        return api_event(
            call, params, success=True, result=oid, resp_id=oid,
            extra=_api_extra(fake, call, oid, profile), profile=profile, grpc=grpc,
        )  # fmt: skip
    code, text = draw(st.sampled_from(_FAILURES))
    oid = int(ids[0]) if ids else -1
    what = _WHAT.get(call.split(".")[1], "object")
    message = text.format(call=call, what=what, oid=oid, uid=draw(IDS))
    extra = _api_extra(fake, call, oid, profile) if call.endswith(".delete") and oid >= 0 else ""
    return api_event(
        call, params, success=False, error=message, error_code=code, resp_id=oid,
        extra=extra, profile=profile, grpc=grpc,
    )  # fmt: skip


def check_calls(calls: Collection[str] | None, prof: Profile) -> tuple[str, ...]:
    allowed = published_calls(prof)
    if calls is None:
        first = [c for c in _CALL_ORDER if c in allowed]
        return (*first, *(c for c in allowed if c not in first))
    if isinstance(calls, str):
        raise InvalidArgument(f"calls={calls!r} must be a collection of call names, not a string")
    wanted = tuple(calls)
    if not wanted:
        raise InvalidArgument("calls=[] is empty; give call names or None for every call")
    bad = [c for c in wanted if c not in allowed]
    if bad:
        raise InvalidArgument(
            f"calls={wanted!r}: {', '.join(map(repr, bad))} publish no API event in profile "
            f"{prof.name}; allowed are the {len(allowed)} names of "
            f"mockhm.wire.calls.published_calls({prof.name!r}), e.g. {', '.join(allowed[:5])}…"
        )
    return wanted


def api_events(
    calls: Collection[str] | None = None,
    result: bool | None = None,
    profile: Profile | str | None = None,
) -> st.SearchStrategy[HookEvent]:
    """API events of ``calls`` that publish in ``profile``.

    Args:
        calls: call names such as ``["one.vm.action"]``; ``None`` for every call the
            profile publishes (suppressed info calls never appear).
        result: ``True`` for successes only, ``False`` for failures only, ``None`` for both.
        profile: release profile name or :class:`~mockhm.Profile` (default 7.4).

    Parameters follow the call's IN shape; string values never contain ``&`` or
    ``<`` (those bodies are ill-formed: see :func:`mockhm.strategies.hostile_messages`).  Allocate and delete
    calls of VMs, hosts, images and networks carry the object in EXTRA.
    """
    prof = profile_arg(profile)
    if result is not None and not isinstance(result, bool):
        raise InvalidArgument(f"result={result!r}; expected True, False or None")
    return api_events_from(check_calls(calls, prof), result, prof)
