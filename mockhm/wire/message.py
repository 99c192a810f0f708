"""Hook events and wire messages.

A :class:`HookEvent` is one body plus every key the driver publishes it under; a
:class:`WireMessage` is what travels on the PUB socket: normally two frames, key and
content.  Base64 encoding and decoding live here and nowhere else.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Literal

from mockhm.wire.errors import MessageFormatError

HookType = Literal["API", "STATE", "RETRY"]


def b64encode(data: bytes) -> bytes:
    """Standard alphabet, ``=`` padding, one line."""
    return base64.b64encode(data)


def b64decode(data: bytes | str) -> bytes:
    """Strict standard base64; raises :class:`MessageFormatError` on anything else."""
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError) as err:
        raise MessageFormatError(f"content is not valid base64: {err}") from None


def frames_as_bytes(frames: Sequence[object]) -> tuple[bytes, ...]:
    """The frames as bytes (bytes-like ones converted); TypeError naming the first that is not one.

    The send paths check before sending anything (a key already sent with SNDMORE would glue the
    next message to it), and :func:`~mockhm.check_message` reports it as a problem.
    """
    out: list[bytes] = []
    for i, frame in enumerate(frames, start=1):
        if isinstance(frame, bytes):
            out.append(frame)
        elif isinstance(frame, (bytearray, memoryview)):
            out.append(bytes(frame))
        else:
            raise TypeError(f"frame {i} is {type(frame).__name__} ({frame!r:.40}); frames are bytes")
    return tuple(out)


@dataclass(frozen=True)
class WireMessage:
    """One ZeroMQ multipart message as sent on 2101: what a subscriber receives.

    The items of :attr:`HookManagerFixture.sent <pytest_mockhm.HookManagerFixture.sent>` and
    of the hostile catalogue; the Hook Manager's own journal keeps just the frames.
    """

    frames: tuple[bytes, ...]
    """The frames, normally two: the key (frame 1, what subscribers filter on) and the content
    (frame 2, base64 of the body).  Deliberately broken messages may have one or three."""
    label: str | None = None
    """Set only on messages that are broken or surprising on purpose, and says how
    (``"one-frame: one frame only: ..."``)."""

    @property
    def key(self) -> str:
        """Frame 1 as text (empty if there is no frame)."""
        return self.frames[0].decode("ascii", "replace") if self.frames else ""

    @property
    def content(self) -> bytes:
        """Frame 2 (empty if missing)."""
        return self.frames[1] if len(self.frames) > 1 else b""

    def body(self) -> bytes:
        """The decoded XML body.  RETRY content is ``base64 + ' '``."""
        if len(self.frames) != 2:
            raise MessageFormatError(f"{self.key!r}: expected 2 frames, got {len(self.frames)}")
        content = self.content
        if self.frames[0] == b"RETRY":
            content = content.split(b" ", 1)[0]
        return b64decode(content)


@dataclass(frozen=True, slots=True)
class HookEvent:
    """One body and every key it is published under, in the driver's order.

    Publishing an event sends one two-frame message per key, all with the same content; see
    :meth:`messages`.  The builders (:func:`mockhm.state_event`, :func:`mockhm.api_event`,
    :class:`mockhm.Cloud`, ...) return these.
    """

    kind: HookType
    """The hook type: ``"API"``, ``"STATE"`` or ``"RETRY"``."""
    body: bytes
    """The decoded ``HOOK_MESSAGE`` document, exactly as oned builds it."""
    keys: tuple[str, ...]
    """Every key (frame 1) it is published under, in publish order."""
    profile: str = "7.4"
    """The release profile it was built for."""
    label: str | None = None
    """Set only on events that are broken on purpose, and says how."""
    frames: tuple[tuple[bytes, bytes], ...] = field(init=False, repr=False, compare=False)
    """``(key, content)`` per key, encoded once when the event is built: publishing a built
    event sends these frames as they are (no per-send base64 or key encoding)."""

    def __post_init__(self) -> None:
        content = self._content()
        try:
            frames = tuple((k.encode("ascii"), content) for k in self.keys)
        except UnicodeEncodeError:  # not sendable; messages() says why when it is used
            frames = ()
        object.__setattr__(self, "frames", frames)

    @property
    def content(self) -> bytes:
        """Frame 2: base64 of the body; RETRY adds one trailing space."""
        return self.frames[0][1] if self.frames else self._content()

    def _content(self) -> bytes:
        encoded = b64encode(self.body)
        return encoded + b" " if self.kind == "RETRY" else encoded

    def messages(self) -> tuple[WireMessage, ...]:
        """One two-frame message per key, all with the identical content."""
        if len(self.frames) != len(self.keys):
            content = self._content()
            return tuple(WireMessage((k.encode("ascii"), content), self.label) for k in self.keys)
        return tuple(WireMessage(f, self.label) for f in self.frames)

    def __iter__(self) -> Iterator[WireMessage]:
        return iter(self.messages())

    def text(self) -> str:
        """The body as text (for reading and assertions)."""
        return self.body.decode("utf-8", "replace")
