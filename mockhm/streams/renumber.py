"""Renumbering resource ids in keys and bodies, so each loop of a replay creates fresh objects."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Final

from mockhm.streams.scenario import TimedMessage
from mockhm.wire.message import b64decode, b64encode

KINDS: Final[tuple[str, ...]] = ("VM", "HOST", "IMAGE", "NET")


def id_strides(messages: Iterable[TimedMessage]) -> dict[str, int]:
    """Per object kind, one more than the largest id seen in keys and bodies (for looping)."""
    top = dict.fromkeys(KINDS, -1)

    def seen(kind: str, value: int) -> int:
        top[kind] = max(top[kind], value)
        return value

    for m in messages:
        _rewrite(m.frames, seen)
    return {k: v + 1 for k, v in top.items()}


_KEY_OBJECT = re.compile(rb"^(EVENT (VM|HOST|IMAGE|NET) )(\d+)(/.*)$", re.S)
_KEY_STATE = re.compile(rb"^(EVENT STATE (VM|HOST|IMAGE|NET)/[A-Z_]*/[A-Z_]*/)(\d+)( )$")
_CD = rb"(<!\[CDATA\[)?(\d+)(\]\]>)?"
#: (kind, pattern with groups: prefix, [cdata open], id, [cdata close]) for references in bodies.
_BODY_IDS: Final[tuple[tuple[str, re.Pattern[bytes]], ...]] = (
    ("VM", re.compile(rb"(<VM><ID>)()(\d+)()")),
    ("VM", re.compile(rb"(<OID>)()(\d+)()")),
    ("VM", re.compile(rb"(<VMID>)" + _CD)),
    ("VM", re.compile(rb"(<DEPLOY_ID>one-)()(\d+)()")),
    ("HOST", re.compile(rb"(<HOST><ID>)()(\d+)()")),
    ("HOST", re.compile(rb"(<HID>)()(\d+)()")),
    ("IMAGE", re.compile(rb"(<IMAGE><ID>)()(\d+)()")),
    ("IMAGE", re.compile(rb"(<IMAGE_ID>)" + _CD)),
    ("NET", re.compile(rb"(<VNET><ID>)()(\d+)()")),
    ("NET", re.compile(rb"(<NETWORK_ID>)" + _CD)),
)
_VMS = re.compile(rb"<VMS>(?:<ID>\d+</ID>)*</VMS>")
_VMS_ID = re.compile(rb"(<ID>)(\d+)(</ID>)")
_HOOK_OBJECT = re.compile(rb"<HOOK_OBJECT>(VM|HOST|IMAGE|NET)</HOOK_OBJECT>")
_RESOURCE_ID = re.compile(rb"(<RESOURCE_ID>)(\d+)(</RESOURCE_ID>)")
_CALL = re.compile(rb"<CALL>one\.(vm|host|image|vn|template)\.(\w+)</CALL>")
_PARAM = re.compile(rb"(<PARAMETER><POSITION>(\d+)</POSITION><TYPE>(IN|OUT)</TYPE><VALUE>)(\d+)(</VALUE>)")
_API_KINDS: Final = {b"vm": "VM", b"host": "HOST", b"image": "IMAGE", b"vn": "NET", b"template": "VM"}

Mapper = Callable[[str, int], int]


def _api_positions(call: re.Match[bytes], body: bytes) -> dict[tuple[bytes, bytes], str]:
    """Which numeric API parameters are object ids, and of which kind."""
    obj, method = call[1], call[2]
    kind = _API_KINDS[obj]
    out: dict[tuple[bytes, bytes], str] = {}
    success = b"<RESULT>1</RESULT>" in body
    if method in (b"allocate", b"instantiate") or (obj, method) == (b"template", b"instantiate"):
        if success:
            out[(b"2", b"OUT")] = kind
        return out
    if obj == b"template":
        return out
    out[(b"3" if (obj, method) == (b"vm", b"action") else b"2", b"IN")] = kind
    if obj == b"vm" and method in (b"deploy", b"migrate"):
        out[(b"3", b"IN")] = "HOST"
    if success:
        out[(b"2", b"OUT")] = kind
    return out


def _rewrite_body(body: bytes, mapper: Mapper) -> bytes:
    def sub(kind: str, pattern: re.Pattern[bytes], text: bytes) -> bytes:
        return pattern.sub(lambda m: m[1] + m[2] + str(mapper(kind, int(m[3]))).encode() + m[4], text)

    if obj := _HOOK_OBJECT.search(body):
        kind = obj[1].decode()
        body = _RESOURCE_ID.sub(lambda m: m[1] + str(mapper(kind, int(m[2]))).encode() + m[3], body, 1)
    elif call := _CALL.search(body):
        positions = _api_positions(call, body)
        if positions:

            def param(m: re.Match[bytes]) -> bytes:
                kind = positions.get((m[2], m[3]))
                if kind is None:
                    return m[0]
                return m[1] + str(mapper(kind, int(m[4]))).encode() + m[5]

            body = _PARAM.sub(param, body)
    for kind, pattern in _BODY_IDS:
        body = sub(kind, pattern, body)
    return _VMS.sub(
        lambda m: _VMS_ID.sub(lambda n: n[1] + str(mapper("VM", int(n[2]))).encode() + n[3], m[0]), body
    )


def _rewrite(frames: tuple[bytes, ...], mapper: Mapper) -> tuple[bytes, ...]:
    if len(frames) != 2:
        return frames
    key, content = frames
    if key == b"RETRY":
        return frames
    if (m := _KEY_OBJECT.match(key)) or (m := _KEY_STATE.match(key)):
        key = m[1] + str(mapper(m[2].decode(), int(m[3]))).encode() + m[4]
    try:
        body = b64decode(content)
    except ValueError:
        return (key, content)
    new = _rewrite_body(body, mapper)
    return (key, content if new == body else b64encode(new))


def rewrite_ids(frames: tuple[bytes, ...], offsets: Mapping[str, int]) -> tuple[bytes, ...]:
    """Shift every VM/HOST/IMAGE/NET id in the key and body by ``offsets[kind]``.

    Keys (``EVENT VM <id>/…``, ``EVENT STATE …/<id> ``), RESOURCE_ID, document ids,
    history OIDs and HIDs, IMAGE_ID, NETWORK_ID, VMID, DEPLOY_ID ``one-<id>``, host VM
    lists and the id parameters of API calls move together, so references still line up
    and bodies stay valid.  RETRY messages and undecodable content pass unchanged.
    """
    if not any(offsets.values()):
        return frames
    return _rewrite(frames, lambda kind, value: value + offsets.get(kind, 0))
