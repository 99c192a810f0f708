"""What a replay sends: a scenario, a capture or timed messages, loaded as one ``ReplaySource``."""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mockhm.streams.capturefile import FORMAT as CAPTURE_FORMAT
from mockhm.streams.capturefile import read_capture
from mockhm.streams.scenario import Scenario, TimedMessage, find_scenario, load_scenario

log = logging.getLogger("mockhm.replay")


@dataclass(frozen=True)
class ReplaySource:
    """What a replay sends: timed messages in file order, and where they came from
    (:func:`mockhm.load_capture`)."""

    name: str
    """The scenario's name, or the capture file's name."""
    messages: tuple[TimedMessage, ...]
    """The messages in file order, offsets relative to the first."""
    profile: str | None = None
    """The release profile of the source, if known (a capture's header says it)."""
    kind: str = "scenario"
    """``"scenario"`` or ``"capture"``."""
    out_of_order: int = 0
    """Messages whose offset went back in time (sent right after their predecessor)."""
    header: Mapping[str, Any] = field(default_factory=dict)
    """A capture's header line (format, version, source, profile, filters, ...); empty for a
    scenario."""


def _is_capture(path: Path) -> bool:
    if path.suffix in (".jsonl", ".ndjson"):
        return True
    try:
        with path.open("rb") as fh:
            first = fh.read(200)
    except OSError:
        return False
    return first.lstrip().startswith(b"{") and CAPTURE_FORMAT.encode() in first


def load_capture(path: str | Path) -> ReplaySource:
    """A capture file as a :class:`ReplaySource` (offsets relative to the first message)."""
    header, records = read_capture(path)
    messages: list[TimedMessage] = []
    back = 0
    last = -math.inf
    for lineno, rec in records:
        if rec.t < last:
            back += 1
        last = max(last, rec.t)
        messages.append(TimedMessage(rec.t, rec.frames, lineno))
    if back:
        log.warning("%s: %d message(s) have offsets that go back; they are sent in file order", path, back)
    return ReplaySource(Path(path).name, tuple(messages), header.get("profile"), "capture", back, header)


def load_source(
    source: str | Path | Scenario | ReplaySource | Iterable[TimedMessage],
    *,
    variables: Mapping[str, Any] | None = None,
) -> ReplaySource:
    """Anything replayable as a :class:`ReplaySource`.

    Args:
        source: a built-in scenario name, a scenario (``.yaml``) or capture (``.jsonl``)
            path, a loaded :class:`~mockhm.streams.scenario.Scenario`, or timed messages.
        variables: scenario variables to override.

    Raises:
        ScenarioNotFoundError: no such file or built-in scenario.
        ScenarioError: the scenario or capture is invalid; nothing has been sent.
    """
    if isinstance(source, ReplaySource):
        return source
    if isinstance(source, Scenario):
        return ReplaySource(source.name, source.messages, source.profile, "scenario")
    if isinstance(source, (str, Path)):
        path = find_scenario(source)
        if _is_capture(path):
            return load_capture(path)
        scenario = load_scenario(path, variables=variables)
        return ReplaySource(scenario.name, scenario.messages, scenario.profile, "scenario")
    return ReplaySource("<messages>", tuple(source), None, "messages")


def describe_frames(frames: Sequence[bytes]) -> str:
    """``'<key>' (<n> bytes)`` for dry runs and logs."""
    key = frames[0].decode("ascii", "replace") if frames else ""
    return f"{key!r} ({sum(len(f) for f in frames[1:])} bytes, {len(frames)} frame(s))"
