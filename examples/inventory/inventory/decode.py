"""Decoding what the Hook Manager publishes: frame 1 a key, frame 2 base64 of HOOK_MESSAGE."""

from __future__ import annotations

import base64
import binascii
import xml.etree.ElementTree as ET
from dataclasses import dataclass


class Unreadable(ValueError):
    """A message that is not two frames of key and base64 XML."""


@dataclass(frozen=True)
class StateChange:
    """One STATE event of a VM."""

    vm_id: int
    state: str
    lcm_state: str
    name: str


def decode_state(frames: list[bytes]) -> StateChange | None:
    """A VM state change from a two-frame message; ``None`` for other keys.

    Raises:
        Unreadable: a VM STATE key whose message is broken (wrong frame count, bad base64,
            ill-formed XML): the caller counts it and goes on.
    """
    if not frames or not frames[0].startswith(b"EVENT STATE VM/"):
        return None
    if len(frames) != 2:
        raise Unreadable(f"{len(frames)} frame(s)")
    try:
        root = ET.fromstring(base64.b64decode(frames[1], validate=True))
    except (binascii.Error, ValueError, ET.ParseError) as err:
        raise Unreadable(str(err)) from None
    return StateChange(
        vm_id=int(root.findtext("RESOURCE_ID", "-1")),
        state=root.findtext("STATE", ""),
        lcm_state=root.findtext("LCM_STATE", ""),
        name=root.findtext("VM/NAME", ""),
    )
