"""Capture files: JSON Lines, a header line then one line per message (ARCHITECTURE.md).

Reading streams line by line, so a capture of a busy production oned never has to fit
in memory; writing flushes every line, so a recorder that dies leaves a usable file.

Header::

    {"format": "mockhm-capture", "version": 1, "mockhm": "0.1.0", "source": "tcp://…",
     "profile": "7.4" | null, "filters": ["EVENT"], "joined": <unix time>, "losses": <int> | null}

Message::

    {"t": <seconds since joined, monotonic>, "wall": <unix time>, "frames": ["<frame 1>", …]}

Frames are ASCII text; any other frame is stored as ``{"b64": "…"}``.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Final

from mockhm.wire.errors import ScenarioError

FORMAT: Final[str] = "mockhm-capture"
VERSION: Final[int] = 1
#: Header fields and their defaults (filled in by :func:`make_header`).
HEADER_FIELDS: Final[tuple[str, ...]] = (
    "format",
    "version",
    "mockhm",
    "source",
    "profile",
    "filters",
    "joined",
    "losses",
)


def _mockhm_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("mockhm")
    except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "0+unknown"


def make_header(
    *,
    source: str | None = None,
    profile: str | None = None,
    filters: Sequence[str] = ("",),
    joined: float | None = None,
    losses: int | None = None,
) -> dict[str, Any]:
    """A complete header object with this mockhm's version.

    Args:
        source: the endpoint the messages came from, e.g. ``"tcp://127.0.0.1:2101"``.
        profile: the release profile of the source, if known.
        filters: the subscription prefixes the recorder used.
        joined: unix time the recorder joined (``t`` counts from there).
        losses: messages known to be lost (``None`` if unknown).
    """
    return {
        "format": FORMAT,
        "version": VERSION,
        "mockhm": _mockhm_version(),
        "source": source,
        "profile": profile,
        "filters": list(filters),
        "joined": joined,
        "losses": losses,
    }


@dataclass(frozen=True)
class CaptureRecord:
    """One captured message: monotonic offset ``t``, ``wall`` clock time and its frames."""

    t: float
    wall: float
    frames: tuple[bytes, ...]


def encode_frame(frame: bytes) -> str | dict[str, str]:
    """A frame as stored: ASCII text as is, anything else as ``{"b64": …}``."""
    if frame.isascii():
        return frame.decode("ascii")
    return {"b64": base64.b64encode(frame).decode("ascii")}


def decode_frame(value: object) -> bytes:
    """Inverse of :func:`encode_frame`; raises ``ValueError`` naming what is wrong."""
    if isinstance(value, str):
        if not value.isascii():
            raise ValueError('a text frame must be ASCII; store others as {"b64": "…"}')
        return value.encode("ascii")
    if isinstance(value, dict) and set(value) == {"b64"} and isinstance(value["b64"], str):
        try:
            return base64.b64decode(value["b64"], validate=True)
        except (binascii.Error, ValueError) as err:
            raise ValueError(f"frame b64 is not valid base64: {err}") from None
    raise ValueError(f'a frame is a string or {{"b64": "…"}}, not {value!r:.60}')


def _error(path: Path, line: int, field: str | None, what: str) -> ScenarioError:
    where = f"{path}:{line}" + (f": field {field!r}" if field else "")
    return ScenarioError(f"{where}: {what}", path=str(path), line=line, field=field)


def parse_header(text: str, path: Path) -> dict[str, Any]:
    """Parse and check the header line (line 1)."""
    try:
        header = json.loads(text)
    except json.JSONDecodeError as err:
        raise _error(path, 1, None, f"header is not JSON: {err.msg}") from None
    except RecursionError:
        raise _error(path, 1, None, "header is JSON nested too deeply; expected a flat object") from None
    if not isinstance(header, dict):
        raise _error(path, 1, None, "header must be a JSON object")
    if header.get("format") != FORMAT:
        raise _error(path, 1, "format", f"expected {FORMAT!r}, got {header.get('format')!r}; not a capture")
    if header.get("version") != VERSION:
        raise _error(path, 1, "version", f"unsupported version {header.get('version')!r}; expected {VERSION}")
    profile = header.get("profile")
    if profile is not None and not isinstance(profile, str):
        raise _error(path, 1, "profile", f"expected a profile name or null, got {profile!r}")
    return header


def _json(text: str, path: Path, line: int) -> Any:
    """``json.loads`` whose failures (also nesting too deep for Python) name the line."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise _error(path, line, None, f"not JSON: {err.msg} at column {err.colno}") from None
    except RecursionError:
        raise _error(path, line, None, "JSON nested too deeply; a capture line is a flat object") from None


def parse_record(text: str, path: Path, line: int) -> CaptureRecord:
    """Parse and check one message line."""
    obj = _json(text, path, line)
    if not isinstance(obj, dict):
        raise _error(path, line, None, "a message line must be a JSON object")
    seconds: list[float] = []
    for name in ("t", "wall"):
        value = obj.get(name)
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise _error(path, line, name, f"expected a number, got {value!r:.60}")
        try:
            number = float(value)
        except OverflowError:  # an int too large for a float
            number = math.inf
        if not math.isfinite(number) or number < 0:
            raise _error(
                path, line, name, f"expected a finite number of seconds, 0 or more, got {value!s:.60}"
            )
        seconds.append(number)
    frames = obj.get("frames")
    if not isinstance(frames, list):
        raise _error(path, line, "frames", f"expected a list of frames, got {frames!r:.60}")
    if not frames:
        raise _error(path, line, "frames", "expected at least one frame (a message has a key), got []")
    decoded = tuple(_frame_at(frame, path, line, i) for i, frame in enumerate(frames))
    return CaptureRecord(seconds[0], seconds[1], decoded)


def _frame_at(frame: object, path: Path, line: int, index: int) -> bytes:
    try:
        return decode_frame(frame)
    except ValueError as err:
        raise _error(path, line, f"frames[{index}]", str(err)) from None


def iter_records(path: str | Path) -> Iterator[tuple[int, CaptureRecord | ScenarioError]]:
    """Every message line after the header, streamed: ``(line number, record or error)``.

    Blank lines are skipped.  A line that cannot be used is yielded as the
    :class:`~mockhm.ScenarioError` describing it, so a validator can report it and go on.
    """
    p = Path(path)
    with p.open("rb") as fh:
        next(fh, None)
        for lineno, raw in enumerate(fh, start=2):
            if not raw.strip():
                continue
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as err:
                yield lineno, _error(p, lineno, None, f"not UTF-8: {err.reason}")
                continue
            try:
                yield lineno, parse_record(text, p, lineno)
            except ScenarioError as err:
                yield lineno, err


def read_header(path: str | Path) -> dict[str, Any]:
    """The header of a capture file (reads only the first line)."""
    p = Path(path)
    with p.open("rb") as fh:  # the first line alone: a text reader decodes a whole buffer
        raw = fh.readline()
    try:
        first = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise _error(p, 1, None, f"not UTF-8: {err.reason}") from None
    if not first.strip():
        raise _error(p, 1, None, "empty file; a capture starts with a header line")
    return parse_header(first, p)


def read_capture(path: str | Path) -> tuple[dict[str, Any], Iterator[tuple[int, CaptureRecord]]]:
    """Open a capture: its header, and an iterator of ``(line number, record)``.

    The iterator streams the file and raises :class:`~mockhm.ScenarioError` (naming the
    file, line and field) at the first unusable line.
    """
    header = read_header(path)

    def strict() -> Iterator[tuple[int, CaptureRecord]]:
        for lineno, item in iter_records(path):
            if isinstance(item, ScenarioError):
                raise item
            yield lineno, item

    return header, strict()


class CaptureWriter:
    """Writes a capture file: the header at once, then one flushed line per message.

    Usable as a context manager::

        with CaptureWriter(path, make_header(source=endpoint)) as out:
            out.write(frames, t, wall)
    """

    def __init__(self, path: str | Path, header: Mapping[str, Any]) -> None:
        full = make_header()
        full.update(header)
        if full["format"] != FORMAT or full["version"] != VERSION:
            raise ValueError(f"header must have format {FORMAT!r} and version {VERSION}")
        self.path = Path(path)
        self.count = 0
        self._fh: IO[str] | None = self.path.open("w", encoding="utf-8")
        self._line(full)

    def _line(self, obj: Mapping[str, Any]) -> None:
        if self._fh is None:
            raise ValueError(f"capture {self.path} is closed")
        self._fh.write(json.dumps(obj, ensure_ascii=True) + "\n")
        self._fh.flush()

    def write(self, frames: Sequence[bytes], t: float, wall: float) -> None:
        """Append one message (flushed at once)."""
        self._line({"t": t, "wall": wall, "frames": [encode_frame(f) for f in frames]})
        self.count += 1

    def close(self) -> None:
        """Close the file (idempotent)."""
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    def __enter__(self) -> CaptureWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


__all__ = [
    "FORMAT",
    "VERSION",
    "CaptureRecord",
    "CaptureWriter",
    "decode_frame",
    "encode_frame",
    "iter_records",
    "make_header",
    "read_capture",
    "read_header",
]
