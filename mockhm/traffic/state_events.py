"""Hypothesis strategies for STATE events: objects, states simplest first, documents."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Final

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from mockhm.traffic.drawing import IDS, SEEDS, faker_for, profile_arg
from mockhm.traffic.enrich import enrich
from mockhm.wire.bodies import document_state_event
from mockhm.wire.defaults import default_document
from mockhm.wire.documents import VmDocument
from mockhm.wire.message import HookEvent
from mockhm.wire.profiles import Profile
from mockhm.wire.states import HOST_STATES, IMAGE_STATES, LCM_STATES, NET_STATES

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
def state_events_from(
    draw: st.DrawFn, choices: Sequence[tuple[str, str, str | None]], prof: Profile
) -> HookEvent:
    obj, state, lcm = draw(st.sampled_from(choices))
    resource_id = draw(IDS)
    fake = faker_for(draw(SEEDS))
    doc = enrich(fake, default_document(obj, resource_id, state, lcm if obj == "VM" else None))
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
    prof = profile_arg(profile)
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
    return state_events_from(choices, prof)


def all_state_choices(prof: Profile) -> list[tuple[str, str, str | None]]:
    return [
        (obj, s, lcm)
        for obj in _OBJECT_ORDER
        if obj in prof.state_objects
        for s, lcm in _state_pairs(obj, prof)
    ]
