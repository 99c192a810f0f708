"""Decoding what the Hook Manager publishes: frame 1 a key, frame 2 base64 of HOOK_MESSAGE."""

from __future__ import annotations

import base64
import xml.etree.ElementTree as ET
from dataclasses import dataclass


@dataclass(frozen=True)
class StateChange:
    """One STATE event of a VM."""

    vm_id: int
    state: str
    lcm_state: str
    name: str


def decode_state(frames: list[bytes]) -> StateChange | None:
    """A VM state change from a two-frame message, or ``None`` if it is not one."""
    if len(frames) != 2 or not frames[0].startswith(b"EVENT STATE VM/"):
        return None
    root = ET.fromstring(base64.b64decode(frames[1]))
    return StateChange(
        vm_id=int(root.findtext("RESOURCE_ID", "-1")),
        state=root.findtext("STATE", ""),
        lcm_state=root.findtext("LCM_STATE", ""),
        name=root.findtext("VM/NAME", ""),
    )
