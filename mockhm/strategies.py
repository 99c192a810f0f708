"""Hypothesis strategies for Hook Manager traffic.

Every strategy builds its events with mockhm's own builders (``api_event``,
``document_state_event``, ``retry_message``), so each example is valid by construction:
nothing is generated and then filtered.  Ids, states, calls and results are drawn
directly by Hypothesis and shrink toward small ids and the simplest choices; decorative
values (names, addresses, keys) come from a Faker seeded with an integer Hypothesis drew,
so a failing example replays exactly.

    from hypothesis import given
    from mockhm import strategies as mst

    @given(mst.state_events(objects=["VM"], states=["RUNNING"]))
    def test_my_subscriber(event): ...

Arguments are checked when the strategy is created; a bad one raises
:class:`hypothesis.errors.InvalidArgument` naming the argument and the allowed values.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Collection, Sequence
from typing import Final

from faker import Faker
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from mockhm.traffic.provider import make_faker
from mockhm.wire.bodies import ApiValue, Document, api_event, document_state_event
from mockhm.wire.bodies import retry_message as _retry_message
from mockhm.wire.calls import IN_PARAMETERS, VM_ACTIONS, published_calls
from mockhm.wire.defaults import default_document
from mockhm.wire.documents import History, HostDocument, ImageDocument, Owner, VmDocument
from mockhm.wire.errors import UnknownProfileError
from mockhm.wire.keys import RETRY_KEY, api_key, state_keys
from mockhm.wire.message import HookEvent, WireMessage
from mockhm.wire.profiles import PROFILES, Profile, get_profile
from mockhm.wire.states import HOST_STATES, IMAGE_STATES, LCM_STATES, NET_STATES

__all__ = [
    "api_events",
    "event_keys",
    "hook_events",
    "hostile_messages",
    "lifecycles",
    "profiles",
    "retry_messages",
    "state_events",
    "wire_messages",
]

#: HOOK_OBJECTs in the order examples shrink toward.
_OBJECT_ORDER: Final[tuple[str, ...]] = ("VM", "HOST", "IMAGE", "NET")
#: VM STATEs simplest first (the allocation state, then the running one).
_VM_STATE_ORDER: Final[tuple[str, ...]] = (
    "PENDING", "ACTIVE", "POWEROFF", "DONE", "HOLD", "STOPPED", "SUSPENDED", "UNDEPLOYED",
    "CLONING", "CLONING_FAILURE", "INIT",
)  # fmt: skip
#: LCM_STATEs of an ACTIVE VM simplest first: RUNNING, then by number.
_LCM_ORDER: Final[tuple[str, ...]] = (
    "RUNNING",
    *(n for n in sorted(LCM_STATES, key=LCM_STATES.__getitem__) if n != "RUNNING"),
)


def _simple_first(first: tuple[str, ...], table: dict[str, int]) -> tuple[str, ...]:
    return (*first, *(n for n in table if n not in first))


_HOST_ORDER: Final = _simple_first(("MONITORED", "INIT", "ERROR", "DISABLED"), HOST_STATES)
_IMAGE_ORDER: Final = _simple_first(("READY", "USED", "LOCKED"), IMAGE_STATES)
_NET_ORDER: Final = _simple_first(("READY", "ERROR", "LOCK_CREATE", "DONE"), NET_STATES)
_STATE_ORDER: Final[dict[str, tuple[str, ...]]] = {
    "VM": _VM_STATE_ORDER, "HOST": _HOST_ORDER, "IMAGE": _IMAGE_ORDER, "NET": _NET_ORDER,
}  # fmt: skip
#: Calls examples shrink toward (the ones subscribers most often watch).
_CALL_ORDER: Final[tuple[str, ...]] = (
    "one.vm.action", "one.vm.allocate", "one.template.instantiate", "one.vm.deploy",
    "one.vm.migrate", "one.host.allocate", "one.image.allocate", "one.vn.allocate",
    *(c for c in IN_PARAMETERS if c not in {
        "one.vm.action", "one.vm.allocate", "one.template.instantiate", "one.vm.deploy",
        "one.vm.migrate", "one.host.allocate", "one.image.allocate", "one.vn.allocate",
    }),
)  # fmt: skip

_MAX_ID: Final[int] = 10_000
_ids = st.integers(min_value=0, max_value=_MAX_ID)
_seeds = st.integers(min_value=0, max_value=2**32 - 1)
_local = threading.local()


def _faker(seed: int) -> Faker:
    """A per-thread Faker with the OpenNebula provider, reseeded with ``seed``."""
    fake: Faker | None = getattr(_local, "faker", None)
    if fake is None:
        fake = make_faker(seed)
        _local.faker = fake
    else:
        fake.seed_instance(seed)
    return fake


def _profile(profile: Profile | str | None, argument: str = "profile") -> Profile:
    try:
        return get_profile(profile)
    except UnknownProfileError:
        allowed = ", ".join(repr(n) for n in PROFILES)
        raise InvalidArgument(
            f"{argument}={profile!r} is not a mockhm profile; expected one of {allowed}, "
            "a release number such as '6.8.1', or None for the default (7.4)"
        ) from None


def profiles() -> st.SearchStrategy[Profile]:
    """Any release profile, newest (the default, 7.4) first."""
    ordered = sorted(PROFILES.values(), key=lambda p: (p.key_form != "ga", [-v for v in p.release]))
    return st.sampled_from(ordered)


# -- API events ---------------------------------------------------------------------------


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
    return draw(_ids)


def _api_extra(fake: Faker, call: str, oid: int, profile: Profile) -> str:
    """EXTRA of allocate/delete calls for the objects mockhm models."""
    obj, _, verb = call[len("one.") :].partition(".")
    if verb not in {"allocate", "delete"}:
        return ""
    doc: Document
    if obj == "vm" and verb == "allocate":
        doc = _enrich(fake, default_document("VM", oid, "PENDING", "LCM_INIT"))
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
    return _enrich(fake, doc).to_xml(profile)


_FAILURES: Final[tuple[tuple[str, str], ...]] = (
    ("NO_EXISTS", "[{call}] Error getting {what} [{oid}]."),
    ("AUTHORIZATION", "[{call}] User [{uid}] : Not authorized to perform MANAGE {what} [{oid}]."),
    ("ACTION", "[{call}] Error performing action on {what} [{oid}]: wrong state."),
    ("ALLOCATE", "[{call}] Error allocating a new {what}. NAME is already taken."),
    ("LOCKED", "[{call}] {what} [{oid}] is locked."),
    ("INTERNAL", "[{call}] Internal error."),
)
_WHAT: Final[dict[str, str]] = {
    "vm": "virtual machine", "host": "host", "image": "image", "vn": "virtual network",
    "template": "template", "user": "user", "group": "group", "hook": "hook",
}  # fmt: skip


@st.composite
def _api_event(draw: st.DrawFn, calls: Sequence[str], result: bool | None, profile: Profile) -> HookEvent:
    call = draw(st.sampled_from(calls))
    success = draw(st.booleans()) if result is None else result
    fake = _faker(draw(_seeds))
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
        oid = draw(_ids) if call.endswith(".allocate") or not ids else int(ids[0])
        return api_event(
            call, params, success=True, result=oid, resp_id=oid,
            extra=_api_extra(fake, call, oid, profile), profile=profile, grpc=grpc,
        )  # fmt: skip
    code, text = draw(st.sampled_from(_FAILURES))
    oid = int(ids[0]) if ids else -1
    what = _WHAT.get(call.split(".")[1], "object")
    message = text.format(call=call, what=what, oid=oid, uid=draw(_ids))
    extra = _api_extra(fake, call, oid, profile) if call.endswith(".delete") and oid >= 0 else ""
    return api_event(
        call, params, success=False, error=message, error_code=code, resp_id=oid,
        extra=extra, profile=profile, grpc=grpc,
    )  # fmt: skip


def _check_calls(calls: Collection[str] | None, prof: Profile) -> tuple[str, ...]:
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
    ``<`` (those bodies are ill-formed: see :func:`hostile_messages`).  Allocate and delete
    calls of VMs, hosts, images and networks carry the object in EXTRA.
    """
    prof = _profile(profile)
    if result is not None and not isinstance(result, bool):
        raise InvalidArgument(f"result={result!r}; expected True, False or None")
    return _api_event(_check_calls(calls, prof), result, prof)


# -- STATE events -------------------------------------------------------------------------


def _enrich(fake: Faker, doc: Document) -> Document:
    """Give a default document realistic, consistent values from ``fake``."""
    if isinstance(doc, VmDocument):
        uname = fake.one_user_name()
        doc.owner = Owner(
            uid=0 if uname == "oneadmin" else fake.random_int(2, 200),
            gid=0 if uname == "oneadmin" else fake.random_int(1, 100),
            uname=uname,
            gname="oneadmin" if uname == "oneadmin" else fake.one_group_name(),
        )
        doc.name = fake.one_vm_name()
        doc.stime = fake.one_timestamp()
        tm_mad = doc.template.get("TM_MAD_SYSTEM")
        doc.template = fake.one_vm_template(
            doc.id,
            template_id=fake.random_int(0, 50),
            image_id=fake.random_int(0, 200),
            network_id=fake.random_int(0, 30),
        )
        if tm_mad is not None:
            doc.template["TM_MAD_SYSTEM"] = tm_mad
            doc.template = dict(sorted(doc.template.items()))
        if doc.history:
            t = doc.stime
            records = []
            for seq in range(len(doc.history) + (fake.random_int(0, 3) == 0)):
                start = fake.one_timestamp_after(t, 5, 120)
                records.append(
                    History(
                        oid=doc.id, seq=seq, hostname=fake.one_host_name(),
                        hid=fake.random_int(0, 40), stime=start, pstime=start,
                        petime=start + 2, rstime=start + 2,
                    )
                )  # fmt: skip
                t = start + 3
            for old, new in itertools.pairwise(records):
                old.etime = old.retime = new.stime
            doc.history = records
        if doc.etime:
            doc.etime = fake.one_timestamp_after(doc.stime, 60, 86_400)
        doc.last_poll = doc.stime if doc.history else 0
    elif isinstance(doc, HostDocument):
        doc.name = fake.one_host_name()
    elif isinstance(doc, ImageDocument):
        doc.name = fake.one_image_name()
        doc.regtime = doc.modtime = fake.one_timestamp()
        doc.size = fake.random_element((256, 2048, 4096, 10240))
        doc.source = f"/var/lib/one//datastores/{doc.datastore_id}/{fake.one_hex(32)}"
        doc.path = f"/var/tmp/{doc.name}.qcow2"
    else:
        doc.name = fake.one_vnet_name()
        ar = fake.one_address_range()
        doc.address_ranges = [
            {"ALLOCATED": "", "AR_ID": "0", "IP": ar["IP"], "MAC": ar["MAC"], "NEXT_INDEX": "0",
             "SIZE": ar["SIZE"], "TYPE": "IP4"}
        ]  # fmt: skip
    return doc


def _state_pairs(obj: str, prof: Profile) -> list[tuple[str, str | None]]:
    """(STATE, LCM_STATE) pairs of ``obj`` in ``prof``, simplest first."""
    exist = prof.states(obj)
    if obj != "VM":
        return [(s, None) for s in _STATE_ORDER[obj] if s in exist]
    pairs: list[tuple[str, str | None]] = []
    for s in _VM_STATE_ORDER:
        if s == "ACTIVE":
            pairs.extend(("ACTIVE", lcm) for lcm in _LCM_ORDER if lcm in prof.lcm_states)
        else:
            pairs.append((s, "LCM_INIT"))
    return pairs


def _select_pairs(
    obj: str, pairs: list[tuple[str, str | None]], states: Collection[str]
) -> list[tuple[str, str | None]]:
    def wanted(pair: tuple[str, str | None]) -> bool:
        state, lcm = pair
        return any(s in (state, lcm, f"{state}/{lcm}") for s in states)

    return [p for p in pairs if wanted(p)]


@st.composite
def _state_event(draw: st.DrawFn, choices: Sequence[tuple[str, str, str | None]], prof: Profile) -> HookEvent:
    obj, state, lcm = draw(st.sampled_from(choices))
    resource_id = draw(_ids)
    fake = _faker(draw(_seeds))
    doc = _enrich(fake, default_document(obj, resource_id, state, lcm if obj == "VM" else None))
    if isinstance(doc, VmDocument) and prof.service_key:
        service = draw(st.one_of(st.none(), st.integers(min_value=0, max_value=100)))
        if service is not None:
            doc.user_template = {"ROLE_NAME": fake.random_element(("frontend", "worker", "db")),
                                 "SERVICE_ID": str(service)}  # fmt: skip
    return document_state_event(doc, prof)


def state_events(
    objects: Collection[str] | None = None,
    states: Collection[str] | None = None,
    profile: Profile | str | None = None,
) -> st.SearchStrategy[HookEvent]:
    """STATE events with realistic embedded documents.

    Args:
        objects: HOOK_OBJECTs among ``VM``, ``HOST``, ``IMAGE``, ``NET`` that emit STATE
            events in ``profile`` (IMAGE from 6.0, NET from 6.4); ``None`` for all of them.
        states: STATE names (``"POWEROFF"``), VM LCM_STATE names (``"RUNNING"``) or
            ``"STATE/LCM_STATE"`` pairs (``"ACTIVE/BOOT"``); ``None`` for every state.
            Non-ACTIVE VMs always have LCM_STATE ``LCM_INIT``.
        profile: release profile (default 7.4).

    Quirks oned really has are included: IMAGE ``USED_PERS`` prints as ``USED`` and NET
    ``UPDATE_FAILURE`` prints as an empty STATE.
    """
    prof = _profile(profile)
    allowed_objects = [o for o in _OBJECT_ORDER if o in prof.state_objects]
    if objects is None:
        chosen = allowed_objects
    else:
        if isinstance(objects, str):
            raise InvalidArgument(f"objects={objects!r} must be a collection such as ['VM']")
        bad = [o for o in objects if o not in allowed_objects]
        if bad or not objects:
            raise InvalidArgument(
                f"objects={list(objects)!r}: profile {prof.name} emits STATE events for "
                f"{', '.join(allowed_objects)} only"
            )
        chosen = [o for o in allowed_objects if o in objects]
    choices: list[tuple[str, str, str | None]] = []
    for obj in chosen:
        pairs = _state_pairs(obj, prof)
        if states is not None:
            pairs = _select_pairs(obj, pairs, states)
        choices.extend((obj, s, lcm) for s, lcm in pairs)
    if states is not None:
        if isinstance(states, str):
            raise InvalidArgument(f"states={states!r} must be a collection such as ['RUNNING']")
        known: set[str] = set()
        for obj in chosen:
            for s, lcm in _state_pairs(obj, prof):
                known.update({s} if lcm is None else {s, lcm, f"{s}/{lcm}"})
        bad = [s for s in states if s not in known]
        if bad or not choices:
            raise InvalidArgument(
                f"states={list(states)!r}: {', '.join(map(repr, bad)) or 'nothing'} matches no "
                f"state of {', '.join(chosen)} in profile {prof.name}; allowed: "
                f"{', '.join(sorted(known))}"
            )
    return _state_event(choices, prof)


# -- RETRY, any event, keys, wire messages -----------------------------------------------

_RETRY_ARGUMENTS: Final[tuple[str, ...]] = ("", "$ID", "vm-hook $ID $STATE", "--dry-run")


@st.composite
def _retry(draw: st.DrawFn, prof: Profile) -> HookEvent:
    hook_id = draw(st.integers(min_value=0, max_value=200))
    kind = draw(st.integers(min_value=0, max_value=2))
    if kind < 2:
        arguments = draw(st.sampled_from(_RETRY_ARGUMENTS))
    else:
        # HEM's usual ARGUMENTS: the base64 of the original event's body ($TEMPLATE)
        inner = draw(
            st.one_of(
                _state_event(_all_choices(prof), prof),
                _api_event(_check_calls(None, prof), None, prof),
            )
        )
        arguments = inner.content.decode("ascii")
    host = draw(st.one_of(st.none(), _seeds.map(lambda s: str(_faker(s).one_host_name()))))
    return _retry_message(hook_id, arguments, remote_host=host, profile=prof)


def _all_choices(prof: Profile) -> list[tuple[str, str, str | None]]:
    return [
        (obj, s, lcm)
        for obj in _OBJECT_ORDER
        if obj in prof.state_objects
        for s, lcm in _state_pairs(obj, prof)
    ]


def retry_messages(profile: Profile | str | None = None) -> st.SearchStrategy[HookEvent]:
    """RETRY messages: key ``RETRY``, content ``base64(body) + " "``."""
    return _retry(_profile(profile))


def hook_events(profile: Profile | str | None = None) -> st.SearchStrategy[HookEvent]:
    """Any valid event of ``profile``: STATE, API or RETRY (in that shrink order)."""
    prof = _profile(profile)
    return st.one_of(state_events(profile=prof), api_events(profile=prof), retry_messages(prof))


def wire_messages(profile: Profile | str | None = None) -> st.SearchStrategy[WireMessage]:
    """One two-frame message of a valid event (one of the event's keys)."""
    return hook_events(profile).flatmap(lambda ev: st.sampled_from(ev.messages()))


@st.composite
def _event_key(draw: st.DrawFn, prof: Profile) -> str:
    kind = draw(st.integers(min_value=0, max_value=2))
    if kind == 0:
        obj, state, lcm = draw(st.sampled_from(_all_choices(prof)))
        from mockhm.wire.states import printed_state

        service = None
        if obj == "VM" and prof.service_key:
            service = draw(st.one_of(st.none(), st.integers(min_value=0, max_value=100)))
        keys = state_keys(obj, draw(_ids), printed_state(obj, state), lcm, service_id=service,
                          profile=prof)  # fmt: skip
        return draw(st.sampled_from(keys))
    if kind == 1:
        return api_key(draw(st.sampled_from(_check_calls(None, prof))), draw(st.booleans()))
    return RETRY_KEY


def event_keys(profile: Profile | str | None = None) -> st.SearchStrategy[str]:
    """Frame 1 of any valid event of ``profile``, trailing spaces included."""
    return _event_key(_profile(profile))


# -- life-cycles and hostile traffic live in their own modules ----------------------------


def lifecycles(
    vms: int | tuple[int, int] = (1, 3),
    steps: int | tuple[int, int] = (1, 30),
    profile: Profile | str | None = None,
) -> st.SearchStrategy[list[HookEvent]]:
    """Event streams in which every VM, host, image and network follows oned's life-cycles.

    Two hosts are allocated and monitored first, then an image, a network and ``vms`` VMs; then
    ``steps`` actions, each chosen by Hypothesis among those allowed right now (shrinking toward
    fewer steps and the first allowed action).  For a seeded, non-Hypothesis stream use
    :func:`mockhm.generate_events`.

    Args:
        vms: number of VMs alive at once, an int or a (min, max) pair (1..50).
        steps: number of actions after the set-up, an int or a (min, max) pair (0..1000).
        profile: release profile (default 7.4).
    """
    from mockhm.oned.lifecycle import lifecycles as _lifecycles

    return _lifecycles(vms=vms, steps=steps, profile=profile)


def hostile_messages(kinds: Collection[str] | None = None) -> st.SearchStrategy[WireMessage]:
    """Deliberately broken or surprising messages, each with its ``label``.

    Single messages drawn from the hostile catalogue's cases (:func:`mockhm.hostile_case`).

    Args:
        kinds: the kinds to draw from, :class:`mockhm.HostileKind` members or their values
            (default: every kind); for example ``[k for k in HostileKind if k.broken]``.
    """
    from mockhm.traffic.hostile import hostile_messages as _hostile_messages

    return _hostile_messages(kinds)
