"""Replay a scenario or a capture into a Hook Manager, on schedule.

Every message ``i`` is due at ``t0 + offset_i / speed``, computed from one fixed anchor
``t0``: the replayer never sleeps "the gap", so errors do not add up.  It waits on an
``Event`` until about 200 µs before the deadline and spins the rest.  Messages are sent in
file order, never reordered (per-resource order survives any speed-up); ``max_gap`` clamps
long pauses; ``loop`` repeats the stream, rewriting resource ids in keys and bodies so each
loop creates fresh objects; key-prefix filters pick what is sent; ``dry_run`` only prints.
"""

from __future__ import annotations

import logging
import math
import re
import statistics
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from mockhm.streams.capturefile import FORMAT as CAPTURE_FORMAT
from mockhm.streams.capturefile import read_capture
from mockhm.streams.scenario import Scenario, TimedMessage, find_scenario, load_scenario
from mockhm.wire.errors import ScenarioError
from mockhm.wire.message import b64decode, b64encode

if TYPE_CHECKING:
    from mockhm.hookmanager.manager import HookManager

log = logging.getLogger("mockhm.replay")

#: The last stretch before a deadline is spun rather than slept, for sub-millisecond timing.
SPIN_SECONDS: Final[float] = 0.0002
KINDS: Final[tuple[str, ...]] = ("VM", "HOST", "IMAGE", "NET")


@dataclass(frozen=True)
class ReplaySource:
    """What a replay sends: timed messages in file order, and where they came from."""

    name: str
    messages: tuple[TimedMessage, ...]
    profile: str | None = None
    kind: str = "scenario"
    #: Messages whose offset went back in time (sent right after their predecessor).
    out_of_order: int = 0
    header: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ReplayReport:
    """What a replay did.  Lags are seconds late against the schedule (never negative)."""

    source: str
    planned: int
    sent: int
    refused: int
    filtered: int
    loops: int
    elapsed: float
    lag_median: float
    lag_p99: float
    lag_max: float
    dry_run: bool = False
    stopped: bool = False
    out_of_order: int = 0

    def summary(self) -> str:
        """One line for people."""
        what = "would send" if self.dry_run else "sent"
        text = (
            f"{self.source}: {what} {self.sent} of {self.planned} message(s) in {self.loops} loop(s) "
            f"in {self.elapsed:.3f} s"
        )
        if self.refused:
            text += f", {self.refused} refused at the high-water mark"
        if self.filtered:
            text += f", {self.filtered} filtered out"
        if not self.dry_run and self.sent:
            text += (
                f"; lag behind schedule median {self.lag_median * 1e3:.3f} ms, "
                f"p99 {self.lag_p99 * 1e3:.3f} ms, max {self.lag_max * 1e3:.3f} ms"
            )
        if self.out_of_order:
            text += f"; {self.out_of_order} message(s) had offsets going back (sent in file order)"
        if self.stopped:
            text += " (stopped early)"
        return text


# --------------------------------------------------------------------------- sources


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


# --------------------------------------------------------------------------- id rewriting


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


# --------------------------------------------------------------------------- schedule


@dataclass(frozen=True)
class Planned:
    """One send of a replay: due ``offset`` seconds after the start, in loop ``loop``."""

    offset: float
    frames: tuple[bytes, ...]
    loop: int


def plan(
    source: ReplaySource,
    *,
    speed: float = 1.0,
    max_gap: float | None = None,
    loop: int = 1,
    filters: Sequence[str] = (),
    rewrite: bool = True,
) -> tuple[list[Planned], int]:
    """The schedule of a replay and how many messages the filters dropped.

    Offsets come from the source's own offsets (gaps clamped to ``max_gap``, offsets that
    go back treated as no gap), divided by ``speed``.  Loop ``k`` starts one mean gap
    after loop ``k-1`` ends, its ids shifted by ``k`` × the largest id seen + 1.
    """
    if not speed > 0:
        raise ValueError(f"speed={speed}; expected a number > 0 (inf sends as fast as possible)")
    if loop < 1:
        raise ValueError(f"loop={loop}; expected at least 1")
    if max_gap is not None and max_gap < 0:
        raise ValueError(f"max_gap={max_gap}; expected seconds >= 0")
    msgs = source.messages
    offsets: list[float] = []
    current = 0.0
    latest = msgs[0].t if msgs else 0.0
    for m in msgs:
        gap = max(0.0, m.t - latest)
        latest = max(latest, m.t)
        if max_gap is not None:
            gap = min(gap, max_gap)
        current += gap
        offsets.append(current)
    length = offsets[-1] if offsets else 0.0
    between = length / (len(msgs) - 1) if len(msgs) > 1 else 0.0
    strides = id_strides(msgs) if loop > 1 and rewrite else dict.fromkeys(KINDS, 0)
    prefixes = tuple(f.encode("ascii") for f in filters)
    out: list[Planned] = []
    dropped = 0
    for k in range(loop):
        shift = {kind: k * s for kind, s in strides.items()}
        base = k * (length + between)
        for m, off in zip(msgs, offsets, strict=True):
            if prefixes and not (m.frames and m.frames[0].startswith(prefixes)):
                dropped += 1
                continue
            frames = rewrite_ids(m.frames, shift) if k else m.frames
            due = (base + off) / speed if not math.isinf(speed) else 0.0
            out.append(Planned(due, frames, k + 1))
    return out, dropped


def sleep_until(
    deadline: float,
    *,
    clock: Callable[[], float] = time.monotonic,
    stop: threading.Event | None = None,
    spin: float = SPIN_SECONDS,
) -> bool:
    """Wait until ``clock()`` reaches ``deadline``; ``False`` if ``stop`` was set first.

    Sleeps on ``stop`` (so Ctrl-C is prompt) until ``spin`` seconds before, then spins.
    """
    event = stop or threading.Event()
    while True:
        remaining = deadline - clock()
        if remaining <= spin:
            break
        if event.wait(remaining - spin):
            return False
    while clock() < deadline:
        pass
    return not event.is_set()


def _percentile(sorted_values: Sequence[float], q: float) -> float:
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, max(0, math.ceil(q * len(sorted_values)) - 1))
    return sorted_values[index]


def describe_frames(frames: Sequence[bytes]) -> str:
    """``'<key>' (<n> bytes)`` for dry runs and logs."""
    key = frames[0].decode("ascii", "replace") if frames else ""
    return f"{key!r} ({sum(len(f) for f in frames[1:])} bytes, {len(frames)} frame(s))"


def replay(
    source: str | Path | Scenario | ReplaySource | Iterable[TimedMessage],
    hookmanager: HookManager | None,
    *,
    speed: float = 1.0,
    max_gap: float | None = None,
    loop: int = 1,
    filters: Sequence[str] = (),
    dry_run: bool = False,
    clock: Callable[[], float] = time.monotonic,
    wait: int = 0,
    wait_timeout: float = 10.0,
    stop: threading.Event | None = None,
    progress: Callable[[int, int, int], None] | None = None,
    echo: Callable[[str], None] | None = print,
) -> ReplayReport:
    """Replay a scenario or capture into ``hookmanager`` on schedule.

    Args:
        source: built-in scenario name, scenario or capture path, Scenario, or timed messages.
            It is loaded and checked completely before anything is sent.
        hookmanager: where to send (may be ``None`` for a dry run).
        speed: 2.0 plays twice as fast; ``math.inf`` as fast as possible.
        max_gap: clamp every pause of the source to this many seconds.
        loop: play the stream this many times; later loops get fresh ids.
        filters: send only messages whose key starts with one of these prefixes.
        dry_run: print (through ``echo``) what would be sent, send nothing.
        clock: the monotonic clock deadlines are measured on.
        wait: wait for this many subscriptions before starting (0: do not wait).
        wait_timeout: seconds to wait for them.
        stop: set it to stop early (between two sends).
        progress: called ``(done, total, loop)`` after every send.
        echo: where dry runs print (``None``: nowhere).

    Returns:
        A :class:`ReplayReport` with counts and the lag behind schedule.

    Raises:
        ScenarioError: the source is invalid (nothing was sent).
        SubscriberTimeoutError: ``wait`` subscriptions did not come in time.
    """
    src = load_source(source)
    schedule, dropped = plan(src, speed=speed, max_gap=max_gap, loop=loop, filters=filters)
    if not dry_run and hookmanager is None:
        raise ValueError("a hookmanager is needed unless dry_run=True")
    if wait and hookmanager is not None and not dry_run:
        hookmanager.wait_for_subscribers(wait, timeout=wait_timeout)
    total = len(schedule)
    stop = stop or threading.Event()
    sent = refused = 0
    lags: list[float] = []
    stopped = False
    start = clock()
    if dry_run:
        for n, item in enumerate(schedule, start=1):
            if echo is not None:
                echo(f"{item.offset:10.3f}s  loop {item.loop}  {describe_frames(item.frames)}")
            sent += 1
            if progress:
                progress(n, total, item.loop)
    else:
        assert hookmanager is not None
        send = hookmanager.send_many
        n = 0
        while n < total:
            if not sleep_until(start + schedule[n].offset, clock=clock, stop=stop):
                stopped = True
                break
            # Everything already due goes out in one batch, in file order: a sender that
            # fell behind catches up without paying the per-message overhead again.
            now = clock()
            end = n + 1
            while end < total and start + schedule[end].offset <= now:
                end += 1
            batch = schedule[n:end]
            lags.extend(max(0.0, now - (start + item.offset)) for item in batch)
            ok = send([item.frames for item in batch])
            sent += ok
            refused += len(batch) - ok
            n = end
            if progress:
                progress(n, total, batch[-1].loop)
            if stop.is_set():
                stopped = n < total
                break
    elapsed = clock() - start
    lags.sort()
    return ReplayReport(
        source=src.name,
        planned=total,
        sent=sent,
        refused=refused,
        filtered=dropped,
        loops=loop,
        elapsed=elapsed,
        lag_median=statistics.median(lags) if lags else 0.0,
        lag_p99=_percentile(lags, 0.99),
        lag_max=lags[-1] if lags else 0.0,
        dry_run=dry_run,
        stopped=stopped,
        out_of_order=src.out_of_order,
    )


__all__ = [
    "SPIN_SECONDS",
    "Planned",
    "ReplayReport",
    "ReplaySource",
    "ScenarioError",
    "describe_frames",
    "id_strides",
    "load_capture",
    "load_source",
    "plan",
    "replay",
    "rewrite_ids",
    "sleep_until",
]
