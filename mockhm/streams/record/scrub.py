"""The scrubber: applies the policy of :mod:`mockhm.streams.record.rules` to captured messages.

It rewrites values *inside* the base64 bodies with consistent pseudonyms (the same input gives
the same pseudonym for the whole capture, so a host name in a VM's history still matches the
host's own events).  It works on the text, so bodies stay byte-identical outside the values it
replaces, CDATA stays CDATA, and ill-formed bodies (raw API strings) are scrubbed the
same way instead of crashing it (they are counted).  Keys carry only ids, states and call
names, so they are never changed.
"""

from __future__ import annotations

import base64
import binascii
import collections
import ipaddress
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Final

from lxml import etree

from mockhm.streams.record.rules import (
    CONTEXT_SAFE,
    IP_NAME,
    MAC_NAME,
    PERSONAL,
    SCRUBBED,
    SECRET_PARAMETERS,
    SECRET_VALUE,
    TOKEN_VALUE,
    USER_PARAMETERS,
    USER_TEMPLATE_SAFE,
    is_secret_name,
)
from mockhm.traffic.rules import mac_for_ip
from mockhm.wire.message import b64encode

#: One region of a body, each scrubbed exactly once (a pseudonym is never re-pseudonymised):
#: a CONTEXT or USER_TEMPLATE section, an API PARAMETER, a host's ID and NAME, a leaf element.
_REGION: Final = re.compile(
    rb"<(?P<section>CONTEXT|USER_TEMPLATE)>(?P<sbody>.*?)</(?P=section)>"
    rb"|(?P<phead><PARAMETER><POSITION>(?P<pos>\d+)</POSITION><TYPE>(?P<type>IN|OUT)</TYPE><VALUE>)"
    rb"(?P<pvalue><!\[CDATA\[.*?\]\]>|.*?)(?P<ptail></VALUE></PARAMETER>)"
    rb"|(?P<hhead><HOST><ID>\d+</ID><NAME>)(?P<hname>[^<]*)(?P<htail></NAME>)"
    rb"|<(?P<name>[A-Z][A-Z0-9_]*)>(?:<!\[CDATA\[(?P<cdata>.*?)\]\]>|(?P<text>[^<]*))</(?P=name)>",
    re.S,
)
#: A leaf element inside a section.
_ELEMENT: Final = re.compile(rb"<([A-Z][A-Z0-9_]*)>(?:<!\[CDATA\[(.*?)\]\]>|([^<]*))</\1>", re.S)
_CALL: Final = re.compile(rb"<CALL>([^<]*)</CALL>")
#: ``NAME = "value"`` / ``NAME = value`` / ``NAME = [ ... ]`` in an OpenNebula template string.
_ATTRIBUTE: Final = re.compile(
    r'([A-Za-z_][A-Za-z0-9_]*)(\s*=\s*)(?:"((?:[^"\\]|\\.)*)"|\[([^\]]*)\]|([^\s,\]\["]+))'
)
_B64: Final = re.compile(rb"[A-Za-z0-9+/=\r\n]{16,}")
_STRICT: Final = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True)
#: How deep nested base64 is opened (RETRY of an API hook: 3 levels).
_MAX_DEPTH: Final = 4


def _decode_b64(raw: bytes) -> bytes | None:
    compact = raw.replace(b"\n", b"").replace(b"\r", b"")
    if len(compact) % 4 or not _B64.fullmatch(raw):
        return None
    try:
        return base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        return None


def _encode_like(original: bytes, data: bytes) -> bytes:
    """Base64 of ``data`` laid out like ``original`` (one line, or Ruby's 60-column lines)."""
    encoded = b64encode(data)
    if b"\n" not in original:
        return encoded
    lines = [encoded[i : i + 60] for i in range(0, len(encoded), 60)]
    return b"\n".join(lines) + (b"\n" if original.endswith(b"\n") else b"")


@dataclass
class Scrubber:
    """Consistent pseudonyms for users, groups, IPs, MACs and host names; secrets replaced.

    One instance per capture: ``scrub(frames)`` returns the frames with frame 2 rewritten.
    ``counts`` says how many values of each field were replaced; ``ill_formed`` how many
    bodies were not well-formed XML (scrubbed textually, the same way); ``unscrubbable``
    how many messages could not be decoded at all (kept as received).
    """

    counts: collections.Counter[str] = field(default_factory=collections.Counter)
    """Values replaced, per field (``UNAME``, ``IP``, ``CONTEXT``, ...)."""
    ill_formed: int = 0
    """Bodies that were not well-formed XML (scrubbed textually, the same way)."""
    unscrubbable: int = 0
    """Messages that could not be decoded at all (kept as received)."""
    _names: dict[tuple[str, str], str] = field(default_factory=dict)
    _ips: dict[str, str] = field(default_factory=dict)

    # -- pseudonyms ----------------------------------------------------------------------

    def _pseudonym(self, kind: str, value: str) -> str:
        if not value:
            return value
        key = (kind, value)
        if key not in self._names:
            n = sum(1 for k in self._names if k[0] == kind) + 1
            self._names[key] = f"{kind}-{n}"
        return self._names[key]

    def _ip(self, value: str) -> str:
        out = []
        for token in value.split(" "):
            try:
                addr = ipaddress.ip_address(token)
            except ValueError:
                out.append(token)
                continue
            if token not in self._ips:
                n = len(self._ips) + 1
                self._ips[token] = (
                    f"10.251.{n // 254 % 256}.{n % 254 + 1}" if addr.version == 4 else f"fd00:5c:7b::{n:x}"
                )
            out.append(self._ips[token])
        return " ".join(out)

    def _mac(self, value: str) -> str:
        parts = value.split(":")
        if len(parts) == 6 and parts[:2] == ["02", "00"]:
            try:
                ip = ".".join(str(int(p, 16)) for p in parts[2:])
            except ValueError:
                ip = ""
            if ip:
                return mac_for_ip(self._ip(ip))
        return self._pseudonym("mac", value)

    # -- one value ---------------------------------------------------------------------------

    def _value(self, name: str, value: str, *, section: str | None = None, depth: int = 0) -> str:
        """The scrubbed form of ``value`` of element or attribute ``name`` (rules 1-6)."""
        if not value:
            return value
        if is_secret_name(name):
            return b64encode(SCRUBBED.encode()).decode() if name.endswith("_BASE64") else SCRUBBED
        if name in PERSONAL:
            return self._pseudonym(PERSONAL[name], value)
        if IP_NAME.fullmatch(name):
            return self._ip(value)
        if MAC_NAME.fullmatch(name):
            return self._mac(value)
        if section == "CONTEXT" and not CONTEXT_SAFE.fullmatch(name):
            return SCRUBBED
        if section == "USER_TEMPLATE" and not USER_TEMPLATE_SAFE.fullmatch(name):
            return SCRUBBED
        nested = self._nested(value.encode(), depth)
        if nested is not None:
            return nested.decode()
        if "=" in value and _ATTRIBUTE.search(value):
            value = self.scrub_template(value, depth=depth)
        if SECRET_VALUE.search(value) or TOKEN_VALUE.fullmatch(value):
            return SCRUBBED
        return value

    def _nested(self, raw: bytes, depth: int) -> bytes | None:
        """Rule 6: base64 of XML, or of base64 of XML: scrubbed inside and re-encoded alike."""
        if depth >= _MAX_DEPTH:
            return None
        inner = _decode_b64(raw.strip())
        if inner is None:
            return None
        if inner.lstrip().startswith(b"<"):
            new = self.scrub_body(inner, depth=depth + 1)
        else:
            deeper = self._nested(inner, depth + 1)
            if deeper is None:
                return None
            new = deeper
        return raw if new == inner else _encode_like(raw.strip(), new)

    def scrub_template(self, text: str, *, vector: str | None = None, depth: int = 0) -> str:
        """Scrub an OpenNebula template string (``A="b" CONTEXT=[C="d"]``), e.g. an API IN value."""

        def attribute(m: re.Match[str]) -> str:
            name, equals, quoted, inner, bare = m[1], m[2], m[3], m[4], m[5]
            upper = name.upper()
            if inner is not None:  # a vector: its attributes, CONTEXT ones by rule 3
                section = upper if upper in ("CONTEXT", "USER_TEMPLATE") else None
                new_inner = self.scrub_template(inner, vector=section, depth=depth)
                return f"{name}{equals}[{new_inner}]"
            value = quoted if quoted is not None else bare
            new = self._value(upper, value, section=vector, depth=depth)
            if new == value:
                return m[0]
            self.counts[f"template {vector + '/' if vector else ''}{upper}"] += 1
            return f'{name}{equals}"{new}"' if quoted is not None else f"{name}{equals}{new}"

        return _ATTRIBUTE.sub(attribute, text)

    # -- one body ---------------------------------------------------------------------------

    def _leaf(self, section: str | None, depth: int) -> Callable[[re.Match[bytes]], bytes]:
        def element(m: re.Match[bytes]) -> bytes:
            tag, cdata, text = (m["name"], m["cdata"], m["text"]) if section is None else (m[1], m[2], m[3])
            raw = cdata if cdata is not None else text
            if not raw:
                return m[0]
            name = tag.decode("ascii")
            value = raw.decode("utf-8", "replace")
            new = self._value(name, value, section=section, depth=depth)
            if new == value:
                return m[0]
            self.counts[f"{section}/{name}" if section else name] += 1
            inner = b"<![CDATA[" + new.encode() + b"]]>" if cdata is not None else new.encode()
            return b"<" + tag + b">" + inner + b"</" + tag + b">"

        return element

    def _parameter(self, call: str, m: re.Match[bytes], depth: int) -> bytes:
        """Rule 4 on one API PARAMETER; the other rules on the rest."""
        where = (call, m["type"].decode(), int(m["pos"]))
        raw = m["pvalue"]
        cdata = raw.startswith(b"<![CDATA[")
        value = (raw[9:-3] if cdata else raw).decode("utf-8", "replace")
        if not value or value == "****":
            return m[0]
        if where in SECRET_PARAMETERS:
            new = SCRUBBED
        elif where in USER_PARAMETERS:
            new = self._pseudonym("user", value)
        elif call == "one.host.allocate" and where[1:] == ("IN", 2):
            new = self._pseudonym("host", value)
        else:
            new = self._value("VALUE", value, depth=depth)
        if new == value:
            return m[0]
        self.counts[f"{call} {where[1]} {where[2]}"] += 1
        inner = b"<![CDATA[" + new.encode() + b"]]>" if cdata else new.encode()
        return m["phead"] + inner + m["ptail"]

    def scrub_body(self, body: bytes, *, depth: int = 0) -> bytes:
        """Scrub one decoded ``HOOK_MESSAGE`` (well-formed or not), or any XML fragment in it."""
        call_m = _CALL.search(body)
        call = call_m[1].decode("ascii", "replace") if call_m else ""
        leaf = self._leaf(None, depth)

        def region(m: re.Match[bytes]) -> bytes:
            if m["section"] is not None:
                inner = _ELEMENT.sub(self._leaf(m["section"].decode("ascii"), depth), m["sbody"])
                return b"<" + m["section"] + b">" + inner + b"</" + m["section"] + b">"
            if m["phead"] is not None:
                return self._parameter(call, m, depth)
            if m["hhead"] is not None:
                value = m["hname"].decode("utf-8", "replace")
                if not value:
                    return m[0]
                self.counts["HOST/NAME"] += 1
                return m["hhead"] + self._pseudonym("host", value).encode() + m["htail"]
            return leaf(m)

        return _REGION.sub(region, body)

    def scrub(self, frames: Sequence[bytes]) -> tuple[bytes, ...]:
        """The frames with secrets in the body replaced; keys are never changed."""
        frames = tuple(frames)
        if len(frames) != 2:
            self.unscrubbable += 1
            return frames
        key, content = frames
        retry = key == b"RETRY"
        encoded = content[:-1] if retry and content.endswith(b" ") else content
        try:
            body = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            self.unscrubbable += 1
            return frames
        try:
            etree.fromstring(body, _STRICT)
        except etree.XMLSyntaxError:
            self.ill_formed += 1
        new = self.scrub_body(body)
        if new == body:
            return frames
        return (key, b64encode(new) + (b" " if retry else b""))

    def summary(self) -> str:
        """What was scrubbed, for people."""
        if not self.counts:
            text = "scrubbed nothing"
        else:
            text = "scrubbed " + ", ".join(f"{tag} {n}" for tag, n in sorted(self.counts.items()))
        if self.ill_formed:
            text += f"; {self.ill_formed} ill-formed body(ies) scrubbed as text"
        if self.unscrubbable:
            text += f"; {self.unscrubbable} message(s) not decodable, kept as received (NOT scrubbed)"
        return text
