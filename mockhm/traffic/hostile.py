"""Hostile traffic on purpose: broken or surprising messages, each labelled.

Two sorts of case:

* **broken**: what a real oned or a damaged link can put on the wire and a strict
  subscriber must survive (ill-formed XML from raw values; bad base64;
  one or three frames; unknown keys; a key that does not match its body).  Each names
  the validator problem code it must be rejected with (``mockhm.schemas.validation.check_message``).
* **quirk**: legal but surprising (NET UPDATE_FAILURE's empty STATE, IMAGE USED_PERS
  printed as USED, huge bodies, duplicates, the reordering of the 6.0+ threaded driver,
  id prefix collisions).  Every message of a quirk case is valid.

Every message carries ``label``: ``"<kind>: <what is broken or surprising>"``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, replace
from typing import Final

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from mockhm.traffic.kinds import HostileKind
from mockhm.wire.bodies import ApiValue, api_event, document_state_event
from mockhm.wire.defaults import default_document
from mockhm.wire.documents import ImageDocument, Owner, VmDocument, VnetDocument
from mockhm.wire.message import HookEvent, WireMessage, b64encode
from mockhm.wire.profiles import Profile, get_profile


@dataclass(frozen=True)
class HostileCase:
    """One hostile case: its messages in publish order, what is wrong, how it is rejected.

    Built by :func:`mockhm.hostile_case` for a :class:`mockhm.HostileKind`.
    """

    kind: str
    """The kind, a :class:`mockhm.HostileKind` value such as ``"duplicate"``."""
    label: str
    """``"<kind>: <what is broken or surprising>"``; every message carries it too."""
    code: str | None
    """The problem code validation must report for every message of a broken case, or
    ``None`` for a quirk (every message valid)."""
    messages: tuple[WireMessage, ...]
    """The messages, in publish order."""
    profile: str = "7.4"
    """The profile the messages are valid (or invalid) for."""

    @property
    def broken(self) -> bool:
        """``True`` if validation must reject the messages."""
        return self.code is not None


def _labelled(kind: str, reason: str, code: str | None, messages: list[WireMessage]) -> HostileCase:
    label = f"{kind}: {reason}"
    return HostileCase(kind, label, code, tuple(replace(m, label=label) for m in messages))


def _vm_event(vm_id: int, state: str, lcm: str, prof: Profile, **fields: object) -> HookEvent:
    return document_state_event(default_document("VM", vm_id, state, lcm, **fields), prof)


# -- broken cases -------------------------------------------------------------------------


def _amp_in_param(vm_id: int, prof: Profile) -> HostileCase:
    params: list[ApiValue] = [vm_id, 'DESCRIPTION="web & db"', 1]
    ev = api_event("one.vm.update", params, result=vm_id, profile=prof, ill_formed=True)
    return _labelled(
        "amp-in-parameter",
        "ill-formed XML: a template IN value with a raw '&' (oned does not escape, protocol: #escaping)",
        "xml", list(ev.messages()),
    )  # fmt: skip


def _lt_in_param(vm_id: int, prof: Profile) -> HostileCase:
    params: list[ApiValue] = [vm_id, 'NOTE="load < 5"', 1]
    ev = api_event("one.vm.update", params, result=vm_id, profile=prof, ill_formed=True)
    return _labelled(
        "lt-in-parameter",
        "ill-formed XML: a template IN value with a raw '<' (protocol: #escaping)",
        "xml", list(ev.messages()),
    )  # fmt: skip


def _raw_error(vm_id: int, prof: Profile) -> HostileCase:
    raw = prof if not prof.error_cdata else get_profile("7.4")
    error = f"[one.vm.update] Error parsing template: syntax error near '<' & 'VM [{vm_id}]'."
    ev = api_event(
        "one.vm.update", [vm_id, "", 0], success=False, error=error, error_code="ACTION",
        resp_id=vm_id, profile=raw, ill_formed=True,
    )  # fmt: skip
    return _labelled(
        "raw-error-message",
        "ill-formed XML: a 7.2+ failure message printed raw with '<' and '&' (protocol: #escaping)",
        "xml", list(ev.messages()),
    )  # fmt: skip


def _amp_in_uname(vm_id: int, prof: Profile) -> HostileCase:
    owner = Owner(uid=7, gid=1, uname="r&d", gname="users")
    ev = _vm_event(vm_id, "PENDING", "LCM_INIT", prof, owner=owner)
    return _labelled(
        "amp-in-uname",
        "ill-formed XML: a user named 'r&d' is legal and UNAME is printed raw (protocol: #escaping)",
        "xml", list(ev.messages()),
    )  # fmt: skip


def _bad_base64(vm_id: int, prof: Profile) -> HostileCase:
    ev = _vm_event(vm_id, "ACTIVE", "RUNNING", prof)
    content = ev.content
    broken = content[:10] + b"*" + content[11:]
    return _labelled(
        "invalid-base64",
        "frame 2 is not standard base64 (a '*' inside)",
        "base64", [WireMessage((k.encode(), broken)) for k in ev.keys],
    )  # fmt: skip


def _one_frame(vm_id: int, prof: Profile) -> HostileCase:
    ev = _vm_event(vm_id, "ACTIVE", "RUNNING", prof)
    return _labelled(
        "one-frame", "one frame only: the key without its content", "frames",
        [WireMessage((ev.keys[0].encode(),))],
    )  # fmt: skip


def _three_frames(vm_id: int, prof: Profile) -> HostileCase:
    ev = _vm_event(vm_id, "ACTIVE", "RUNNING", prof)
    return _labelled(
        "three-frames", "three frames: key, content and an extra frame", "frames",
        [WireMessage((ev.keys[0].encode(), ev.content, b"EXTRA"))],
    )  # fmt: skip


def _unknown_key(vm_id: int, prof: Profile) -> HostileCase:
    ev = _vm_event(vm_id, "ACTIVE", "RUNNING", prof)
    keys = (f"EVENT CLUSTER {vm_id}/ACTIVE/ ", "EVENT", f"event vm {vm_id}/ACTIVE/RUNNING ")
    return _labelled(
        "unknown-key", "frame 1 is not a key the Hook Manager publishes (protocol: #keys)", "key",
        [WireMessage((k.encode(), ev.content)) for k in keys],
    )  # fmt: skip


def _no_trailing_space(vm_id: int, prof: Profile) -> HostileCase:
    ev = _vm_event(vm_id, "ACTIVE", "RUNNING", prof)
    return _labelled(
        "missing-trailing-space", "a STATE key without its trailing space (protocol: #filters)", "key",
        [WireMessage((k.rstrip(" ").encode(), ev.content)) for k in ev.keys],
    )  # fmt: skip


def _key_mismatch(vm_id: int, prof: Profile) -> HostileCase:
    body_of = _vm_event(vm_id * 10 + 2, "ACTIVE", "RUNNING", prof)
    key_of = _vm_event(vm_id, "ACTIVE", "RUNNING", prof)
    return _labelled(
        "key-body-mismatch",
        f"key says VM {vm_id} but the body is VM {vm_id * 10 + 2}",
        "key-body-mismatch", [WireMessage((key_of.keys[0].encode(), body_of.content))],
    )  # fmt: skip


def _retry_without_space(vm_id: int, prof: Profile) -> HostileCase:
    from mockhm.wire.bodies import retry_message

    ev = retry_message(vm_id, "vm-hook", profile=prof)
    return _labelled(
        "retry-without-space", "RETRY content without its trailing space (protocol: #retry)",
        "retry-shape", [WireMessage((b"RETRY", ev.content.rstrip(b" ")))],
    )  # fmt: skip


def _schema_violation(vm_id: int, prof: Profile) -> HostileCase:
    ev = api_event("one.vm.action", ["poweroff", vm_id], result=vm_id, profile=prof)
    body = ev.body.replace(b"<EXTRA></EXTRA>", b"")
    return _labelled(
        "missing-extra", "well-formed but EXTRA is missing (always present, protocol: #api)", "schema",
        [WireMessage((ev.keys[0].encode(), b64encode(body)))],
    )  # fmt: skip


# -- quirks -------------------------------------------------------------------------------


def _empty_state(vm_id: int, prof: Profile) -> HostileCase:
    prof = prof if "UPDATE_FAILURE" in prof.net_states else get_profile("7.4")
    doc = default_document("NET", vm_id, "UPDATE_FAILURE")
    assert isinstance(doc, VnetDocument)
    doc.prev_state = "READY"
    ev = document_state_event(doc, prof)
    return _labelled(
        "empty-state",
        "quirk: NET UPDATE_FAILURE prints as an empty STATE, keys 'EVENT NET <id>// ' "
        "(protocol: #other-states)",
        None, list(ev.messages()),
    )  # fmt: skip


def _used_pers(vm_id: int, prof: Profile) -> HostileCase:
    prof = prof if "IMAGE" in prof.state_objects else get_profile("7.4")
    doc = default_document("IMAGE", vm_id, "USED_PERS")
    assert isinstance(doc, ImageDocument)
    doc.persistent, doc.prev_state, doc.running_vms = 1, "USED", [vm_id]
    ev = document_state_event(doc, prof)
    return _labelled(
        "used-pers-as-used",
        "quirk: IMAGE USED_PERS is published as USED twice in a row; IMAGE/STATE says 8 "
        "(protocol: #other-states)",
        None, list(ev.messages()),
    )  # fmt: skip


def _huge_body(vm_id: int, prof: Profile) -> HostileCase:
    big: dict[str, object] = {f"LABEL_{i:05d}": "x" * 200 for i in range(5000)}
    doc = default_document("VM", vm_id, "ACTIVE", "RUNNING")
    assert isinstance(doc, VmDocument)
    doc.user_template = big
    ev = document_state_event(doc, prof)
    return _labelled(
        "huge-body", f"quirk: a valid VM body of {len(ev.body) // 1024} KiB (huge USER_TEMPLATE)",
        None, list(ev.messages()),
    )  # fmt: skip


def _duplicates(vm_id: int, prof: Profile) -> HostileCase:
    ev = _vm_event(vm_id, "ACTIVE", "RUNNING", prof)
    return _labelled(
        "duplicate", "quirk: the same event published twice", None, [*ev.messages(), *ev.messages()]
    )


def _reordered(vm_id: int, prof: Profile) -> HostileCase:
    boot = _vm_event(vm_id, "ACTIVE", "BOOT", prof)
    running = _vm_event(vm_id, "ACTIVE", "RUNNING", prof)
    return _labelled(
        "reordered",
        "quirk: RUNNING published before BOOT, as the 6.0+ threaded driver may (protocol: #sequences)",
        None, [*running.messages(), *boot.messages()],
    )  # fmt: skip


def _prefix_collision(vm_id: int, prof: Profile) -> HostileCase:
    base = max(vm_id, 1)  # the VM asked for (0 is a prefix of no other id): 4 gives 4, 42, 420
    ids = (base, base * 10 + 2, base * 100 + 20)
    messages = [m for i in ids for m in _vm_event(i, "ACTIVE", "RUNNING", prof).messages()]
    return _labelled(
        "id-prefix-collision",
        f"quirk: VMs {ids[0]}, {ids[1]} and {ids[2]} share a key prefix; only a filter "
        "ending in the space is exact (protocol: #filters)",
        None, messages,
    )  # fmt: skip


#: Every hostile case by kind, broken ones first.
CASES: Final[dict[str, Callable[[int, Profile], HostileCase]]] = {
    "amp-in-parameter": _amp_in_param,
    "lt-in-parameter": _lt_in_param,
    "raw-error-message": _raw_error,
    "amp-in-uname": _amp_in_uname,
    "invalid-base64": _bad_base64,
    "one-frame": _one_frame,
    "three-frames": _three_frames,
    "unknown-key": _unknown_key,
    "missing-trailing-space": _no_trailing_space,
    "key-body-mismatch": _key_mismatch,
    "retry-without-space": _retry_without_space,
    "missing-extra": _schema_violation,
    "empty-state": _empty_state,
    "used-pers-as-used": _used_pers,
    "huge-body": _huge_body,
    "duplicate": _duplicates,
    "reordered": _reordered,
    "id-prefix-collision": _prefix_collision,
}


def hostile_case(
    kind: HostileKind | str, resource_id: int = 4, profile: Profile | str | None = None
) -> HostileCase:
    """Build the messages of one hostile kind, about one resource.

    Args:
        kind: a :class:`~mockhm.HostileKind` (or its value, such as ``"duplicate"``).
        resource_id: the id of the VM (or image, network) the messages are about.
        profile: the release profile (default 7.4).

    Raises:
        ValueError: an unknown kind; the message lists the known ones.

    Cases that need a newer release than ``profile`` (raw error strings need 7.2, empty
    STATE needs 6.6) are built with the 7.4 profile; the messages say which.
    """
    if kind not in CASES:
        raise ValueError(f"unknown hostile kind {kind!r}; expected one of {', '.join(CASES)}")
    prof = get_profile(profile)
    newer = (
        (kind == "raw-error-message" and prof.error_cdata)
        or (kind == "empty-state" and "UPDATE_FAILURE" not in prof.net_states)
        or (kind == "used-pers-as-used" and "IMAGE" not in prof.state_objects)
    )
    return replace(CASES[kind](resource_id, prof), profile="7.4" if newer else prof.name)


def _kinds(kinds: Collection[str] | None) -> list[str]:
    if kinds is None:
        return list(CASES)
    if isinstance(kinds, str) or not kinds or any(k not in CASES for k in kinds):
        raise InvalidArgument(f"kinds={kinds!r}; expected a non-empty collection of {', '.join(CASES)}")
    return [k for k in CASES if k in kinds]


def hostile_cases(
    kinds: Collection[str] | None = None, profile: Profile | str | None = None
) -> st.SearchStrategy[HostileCase]:
    """Whole hostile cases (all their messages, in publish order)."""
    prof = get_profile(profile)
    return st.builds(
        lambda kind, rid: hostile_case(kind, rid, prof),
        st.sampled_from(_kinds(kinds)),
        st.integers(min_value=0, max_value=999),
    )


def hostile_messages(
    kinds: Collection[str] | None = None, profile: Profile | str | None = None
) -> st.SearchStrategy[WireMessage]:
    """Single labelled messages of hostile cases (see :data:`CASES` for the kinds)."""
    return hostile_cases(kinds, profile).flatmap(lambda case: st.sampled_from(case.messages))


__all__ = ["CASES", "HostileCase", "hostile_case", "hostile_cases", "hostile_messages"]
