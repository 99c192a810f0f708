"""Validation against mockhm's own XSD set: what oned really sends, checked with lxml.

Bodies and events (:func:`validate_body`, :func:`validate_event`), the per-message check of
a wire message (:func:`check_message`) and the keys the real driver derives from a body
(:func:`expected_keys`).  The schemas themselves (the shipped files, the generated
per-release part, compiling and caching) live in :mod:`mockhm.schemas.xsd`.
"""

from __future__ import annotations

import collections
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import islice
from typing import TYPE_CHECKING, Final

from lxml import etree

from mockhm.schemas.xsd import (
    BODY_PARSER,
    LENIENT_PARSER,
    compiled_schema,
)
from mockhm.wire.errors import BodyValidationError, KeyFormatError, MessageFormatError
from mockhm.wire.keys import RETRY_KEY, UNKNOWN_KEY, api_key, parse_key, state_keys
from mockhm.wire.message import b64decode, frames_as_bytes
from mockhm.wire.profiles import Profile, get_profile

if TYPE_CHECKING:
    from mockhm.wire.message import HookEvent


# --------------------------------------------------------------------------- validation


def _children(root: etree._Element, count: int) -> list[etree._Element]:
    return list(islice(root.iterchildren(etree.Element), count))


def schema_name_for(root: etree._Element, profile: str | Profile | None = None) -> str:
    """Which schema of the set a parsed body is checked against.

    API and RETRY bodies have one schema each; STATE bodies one per HOOK_OBJECT that
    emits STATE events in the profile; anything else gets the outline schemas
    (``state`` or ``envelope``), whose errors say what was expected.
    """
    p = get_profile(profile)
    if root.tag != "HOOK_MESSAGE":
        return "envelope"
    first = _children(root, 2)
    if not first:
        return "envelope"
    if first[0].tag == "ARGUMENTS":
        return "retry"
    if first[0].tag != "HOOK_TYPE":
        return "envelope"
    hook_type = first[0].text
    if hook_type == "API":
        return "api"
    if hook_type != "STATE":
        return "envelope"
    obj = first[1].text if len(first) > 1 and first[1].tag == "HOOK_OBJECT" else None
    if obj in p.state_objects:
        return f"state-{obj.lower()}"
    return "state"


_LIBXML_ELEMENT = re.compile(r"^Element '(?P<element>[^']+)'(?:, attribute '[^']+')?: (?P<reason>.*)$", re.S)
_FACET = re.compile(r"^\[facet '[^']+'\] ")


def split_libxml_message(message: str) -> tuple[str | None, str]:
    """``"Element 'X': reason"`` -> ``("X", "reason")``; other messages -> ``(None, message)``."""
    if m := _LIBXML_ELEMENT.match(message):
        return m["element"], m["reason"]
    return None, message


def _for_key(key: str | None) -> str:
    return f"body for {key!r}" if key is not None else "body"


def _describe(schema_name: str, profile: str) -> str:
    return f"mockhm's {schema_name.split('-')[0]} schema ({profile})"


def _parse_strict(body: bytes, key: str | None) -> etree._Element:
    try:
        return etree.fromstring(body, BODY_PARSER)
    except etree.XMLSyntaxError as err:
        line = err.lineno if err.lineno else None
        reason = str(err.msg)
        raise BodyValidationError(
            f"{_for_key(key)} is not well-formed XML: {reason}",
            key=key,
            schema=None,
            line=line,
            element=None,
            reason=reason,
        ) from None


def validate_tree(
    root: etree._Element, *, profile: str | Profile | None = None, key: str | None = None
) -> None:
    """Validate an already parsed body; see :func:`validate_body`."""
    p = get_profile(profile)
    name = schema_name_for(root, p)
    if root.getroottree().docinfo.doctype:
        reason = "a DOCTYPE is not allowed (oned never sends one; entities are not expanded)"
        raise BodyValidationError(
            f"{_for_key(key)} does not match {_describe(name, p.name)}: line 1: {reason}",
            key=key,
            schema=f"{name}.xsd",
            line=1,
            element=None,
            reason=reason,
        )
    compiled = compiled_schema(p.name, name)
    with compiled.lock:
        if compiled.schema.validate(root):
            return
        error = compiled.schema.error_log[0]
    element, reason = split_libxml_message(error.message)
    reason = _FACET.sub("", reason.strip()).removesuffix(".")
    path = error.path or ""
    where = f"element {element}" if element else "document"
    if element and path.count("/") > 2:
        where += f" ({path})"
    raise BodyValidationError(
        f"{_for_key(key)} does not match {_describe(name, p.name)}: line {error.line}: {where}: {reason}",
        key=key,
        schema=f"{name}.xsd",
        line=error.line,
        element=element,
        reason=reason,
    )


def validate_body(body: bytes, *, profile: str | Profile | None = None, key: str | None = None) -> None:
    """Check a decoded ``HOOK_MESSAGE`` body against mockhm's schema for its kind.

    Args:
        body: the XML as oned builds it (frame 2 after base64 decoding).
        profile: release profile whose shapes apply (default 7.4).
        key: the key the body is published under; only used to name it in errors.

    Raises:
        BodyValidationError: the body is not well-formed, or does not match; the error
            names the key, the schema, the line, the element and the reason.
    """
    p = get_profile(profile)
    memo = (p.name, body)
    with _VALID_LOCK:
        if memo in _VALID:
            _VALID.move_to_end(memo)
            return
    validate_tree(_parse_strict(body, key), profile=p, key=key)
    with _VALID_LOCK:
        _VALID[memo] = None
        if len(_VALID) > VALID_MEMO:
            _VALID.popitem(last=False)


#: Bodies found valid lately (per profile) are not parsed again: an event is published under
#: two or three keys, replays loop, tests publish the same documents.  Bounded (LRU).
VALID_MEMO: Final = 512
_VALID: collections.OrderedDict[tuple[str, bytes], None] = collections.OrderedDict()
_VALID_LOCK = threading.Lock()


def validate_event(event: HookEvent) -> None:
    """:func:`validate_body` for a :class:`~mockhm.HookEvent` (its profile and first key)."""
    if not hasattr(event, "body") or not hasattr(event, "keys"):
        raise TypeError(f"cannot validate {type(event).__name__}; expected a HookEvent (or validate_body)")
    validate_body(event.body, profile=event.profile, key=event.keys[0] if event.keys else None)


# --------------------------------------------------------------------------- keys


def _first_text(root: etree._Element, tag: str) -> str | None:
    node = next(root.iter(tag), None)
    return None if node is None else "".join(node.itertext())


def _keys_of(root: etree._Element | None, profile: Profile) -> tuple[str, ...]:
    if root is None:
        return (UNKNOWN_KEY,)
    hook_type = _first_text(root, "HOOK_TYPE")
    if hook_type is None:
        return (RETRY_KEY,) if _first_text(root, "ARGUMENTS") is not None else (UNKNOWN_KEY,)
    if hook_type == "API":
        call = _first_text(root, "CALL") or ""
        call_info = next(root.iter("CALL_INFO"), None)
        result = _first_text(call_info, "RESULT") if call_info is not None else None
        if result in ("0", "1"):
            return (api_key(call, result == "1"),)
        return (f"EVENT API {call} {result or ''}",)  # the driver interpolates what it finds
    if hook_type == "STATE":
        obj = _first_text(root, "HOOK_OBJECT") or ""
        return state_keys(
            obj,
            _first_text(root, "RESOURCE_ID") or "",
            _first_text(root, "STATE") or "",
            _first_text(root, "LCM_STATE") if obj == "VM" else None,
            service_id=_first_text(root, "SERVICE_ID"),
            profile=profile,
        )
    return (UNKNOWN_KEY,)


def expected_keys(body: bytes, profile: str | Profile | None = None) -> tuple[str, ...]:
    """The keys the real driver publishes ``body`` under, in order.

    Derived the way ``one_hm`` does it: the first ``//CALL`` and ``//CALL_INFO/RESULT``
    for API bodies; ``//HOOK_OBJECT``, the first ``//STATE``, ``//LCM_STATE`` (VM only),
    ``//RESOURCE_ID`` and the document-wide ``//SERVICE_ID`` for STATE bodies; ``RETRY``
    for RETRY bodies.  Ill-formed bodies are read leniently, as the driver does.
    """
    p = get_profile(profile)
    try:
        root = etree.fromstring(body, LENIENT_PARSER)
    except etree.XMLSyntaxError:
        root = None
    return _keys_of(root, p)


# --------------------------------------------------------------------------- messages


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a wire message.

    ``code`` is short and stable: ``frames``, ``key``, ``base64``, ``retry-shape``,
    ``xml``, ``schema``, ``key-body-mismatch`` (and ``capture``, ``upstream`` from the
    file validator); ``reason`` says what and why in words.
    """

    code: str
    """The problem code (see above), stable across releases: match on it."""
    reason: str
    """What is wrong and why, in words."""

    def __str__(self) -> str:
        return f"{self.code}: {self.reason}"


#: Every problem code, in the order the checks run.
PROBLEM_CODES: Final[tuple[str, ...]] = (
    "frames",
    "key",
    "retry-shape",
    "base64",
    "xml",
    "schema",
    "key-body-mismatch",
)


def check_message(frames: Sequence[bytes], *, profile: str | Profile | None = None) -> list[Problem]:
    """Every check of one wire message; an empty list means the message is sound.

    Two frames; a well-formed key; content that decodes as base64 (RETRY content is
    base64 plus one space); a well-formed body valid for its kind and profile;
    and a key that is one of the keys the driver derives from that body.

    Args:
        frames: the frames as received (normally ``(key, content)``).
        profile: release profile (default 7.4).
    """
    p = get_profile(profile)
    if len(frames) != 2:
        return [Problem("frames", f"expected 2 frames (key, content), got {len(frames)}")]
    try:
        raw_key, content = frames_as_bytes(frames)
    except TypeError as err:
        return [Problem("frames", str(err))]
    problems: list[Problem] = []
    key: str | None = None
    try:
        key = raw_key.decode("ascii")
        parse_key(key)
    except UnicodeDecodeError:
        problems.append(Problem("key", f"key is not ASCII: {raw_key[:80]!r}"))
        key = None
    except KeyFormatError as err:
        problems.append(Problem("key", str(err)))
    if key == RETRY_KEY:
        if not content.endswith(b" ") or content.endswith(b"  "):
            problems.append(
                Problem(
                    "retry-shape",
                    "RETRY content must be base64 followed by exactly one space (protocol: #retry), "
                    f"it ends with {content[-3:]!r}",
                )
            )
        content = content.rstrip(b" ")
    elif content.endswith(b" "):
        problems.append(
            Problem("base64", "content ends with a space; only RETRY content does (protocol: #retry)")
        )
        return problems
    try:
        body = b64decode(content)
    except MessageFormatError as err:
        problems.append(Problem("base64", str(err)))
        return problems
    try:
        root: etree._Element | None = etree.fromstring(body, BODY_PARSER)
    except etree.XMLSyntaxError as err:
        problems.append(Problem("xml", f"body is not well-formed XML: {err.msg}"))
        root = None
    if root is not None:
        try:
            validate_tree(root, profile=p, key=key)
        except BodyValidationError as err:
            problems.append(Problem("schema", str(err)))
    if key is not None and not any(pr.code == "key" for pr in problems):
        derived = _keys_of(root, p) if root is not None else expected_keys(body, p)
        if key not in derived:
            problems.append(
                Problem(
                    "key-body-mismatch",
                    f"key {key!r} is not one the driver derives from this body "
                    f"(profile {p.name}); it derives {', '.join(repr(k) for k in derived)}",
                )
            )
    return problems


__all__ = [
    "PROBLEM_CODES",
    "Problem",
    "check_message",
    "expected_keys",
    "schema_name_for",
    "validate_body",
    "validate_event",
    "validate_tree",
]
