"""Frame 1: the keys the Hook Manager publishes a body under.

Pure functions.  :func:`state_keys` and :func:`api_key` build keys exactly as
``one_hm`` does, trailing spaces and ``//`` included; :func:`parse_key` takes any
key apart again (for subscribers, captures and validation).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from mockhm.wire.errors import KeyFormatError
from mockhm.wire.profiles import Profile, get_profile

RETRY_KEY: Final[str] = "RETRY"
#: Key of a body whose HOOK_TYPE the driver does not know (§2.1; unreachable in practice).
UNKNOWN_KEY: Final[str] = "EVENT "


def api_key(call: str, success: bool) -> str:
    """``EVENT API <call> <1|0>``, no trailing space."""
    return f"EVENT API {call} {1 if success else 0}"


def state_keys(
    obj: str,
    resource_id: int | str,
    state: str,
    lcm_state: str | None = None,
    *,
    service_id: int | str | None = None,
    profile: Profile | str | None = None,
) -> tuple[str, ...]:
    """Every key of a STATE event, in the driver's publish order.

    ``state`` is the printed STATE string (may be empty); ``lcm_state`` is read only
    for VMs.  ``service_id`` adds ``EVENT SERVICE <id> `` where the profile has it.
    """
    prof = get_profile(profile)
    lcm = (lcm_state or "") if obj == "VM" else ""
    if prof.key_form == "docs":
        return (f"EVENT STATE {obj}/{state}/{lcm}",)
    keys = [f"EVENT {obj} {resource_id}/{state}/{lcm} ", f"EVENT STATE {obj}/{state}/{lcm}/{resource_id} "]
    if service_id is not None and prof.service_key:
        keys.append(f"EVENT SERVICE {service_id} ")
    return tuple(keys)


@dataclass(frozen=True)
class ParsedKey:
    """A key taken apart.  ``kind`` is ``API``, ``STATE``, ``SERVICE``, ``OBJECT`` or ``RETRY``.

    ``OBJECT`` is the ``EVENT VM 5/ACTIVE/RUNNING `` form; ``STATE`` the
    ``EVENT STATE VM/ACTIVE/RUNNING/5 `` form.
    """

    key: str
    """The key as given."""
    kind: str
    """``API``, ``STATE``, ``SERVICE``, ``OBJECT`` or ``RETRY``."""
    call: str | None = None
    """The XML-RPC call of an API key (``one.vm.allocate``)."""
    success: bool | None = None
    """Whether the API call succeeded (the key's trailing ``1`` or ``0``)."""
    obj: str | None = None
    """``VM``, ``HOST``, ``IMAGE`` or ``NET`` for STATE and OBJECT keys."""
    state: str | None = None
    """The printed STATE (may be empty: NET UPDATE_FAILURE)."""
    lcm_state: str | None = None
    """The printed LCM_STATE (empty for objects without one)."""
    resource_id: int | None = None
    """The object's id in STATE and OBJECT keys."""
    service_id: int | None = None
    """The OneFlow service id of a SERVICE key."""
    exact: bool = True
    """``False`` for the documentation's pre-release form (no id, no trailing space)."""


_API = re.compile(r"EVENT API (?P<call>\S+) (?P<result>[01])")
_OBJECT = re.compile(r"EVENT (?P<obj>VM|HOST|IMAGE|NET) (?P<id>\d+)/(?P<state>[A-Z_]*)/(?P<lcm>[A-Z_]*) ")
_STATE = re.compile(
    r"EVENT STATE (?P<obj>VM|HOST|IMAGE|NET)/(?P<state>[A-Z_]*)/(?P<lcm>[A-Z_]*)/(?P<id>\d+) "
)
_STATE_DOCS = re.compile(r"EVENT STATE (?P<obj>VM|HOST|IMAGE|NET)/(?P<state>[A-Z_]*)/(?P<lcm>[A-Z_]*)")
_SERVICE = re.compile(r"EVENT SERVICE (?P<id>\d+) ")

KEY_FORMS: Final[str] = (
    "'EVENT API <call> <0|1>', 'EVENT <OBJ> <id>/<STATE>/<LCM> ', "
    "'EVENT STATE <OBJ>/<STATE>/<LCM>/<id> ', 'EVENT SERVICE <id> ' or 'RETRY'"
)


def parse_key(key: str | bytes) -> ParsedKey:
    """Take a key apart; raise :class:`KeyFormatError` naming the key and the allowed forms."""
    text = key.decode("ascii", "replace") if isinstance(key, bytes) else key
    if text == RETRY_KEY:
        return ParsedKey(text, "RETRY")
    if m := _API.fullmatch(text):
        return ParsedKey(text, "API", call=m["call"], success=m["result"] == "1")
    for kind, rx in (("OBJECT", _OBJECT), ("STATE", _STATE)):
        if m := rx.fullmatch(text):
            return ParsedKey(
                text,
                kind,
                obj=m["obj"],
                state=m["state"],
                lcm_state=m["lcm"] or None,
                resource_id=int(m["id"]),
            )
    if m := _SERVICE.fullmatch(text):
        return ParsedKey(text, "SERVICE", service_id=int(m["id"]))
    if m := _STATE_DOCS.fullmatch(text):
        return ParsedKey(
            text, "STATE", obj=m["obj"], state=m["state"], lcm_state=m["lcm"] or None, exact=False
        )
    stripped = text.rstrip(" ") + " "
    hint = ""
    if _OBJECT.fullmatch(stripped) or _STATE.fullmatch(stripped) or _SERVICE.fullmatch(stripped):
        hint = " (these keys end with exactly one space)"
    raise KeyFormatError(f"not a Hook Manager key: {text!r}{hint}; expected {KEY_FORMS}", text)


def key_filters(filters: Iterable[str], name: str = "filters") -> tuple[str, ...]:
    """``filters`` as a tuple of key prefixes; TypeError for one string (it would be split into
    one-letter filters, and ``"E"`` matches every key)."""
    if isinstance(filters, (str, bytes)):
        raise TypeError(
            f"{name}={filters!r}: expected a list of filters, not one string; write [{filters!r}]"
        )
    return tuple(filters)
