"""Replay a scenario or a capture into a Hook Manager, on schedule.

Every message ``i`` is due at ``t0 + offset_i / speed``, computed from one fixed anchor
``t0``: the replayer never sleeps "the gap", so errors do not add up.  It waits on an
``Event`` until about 200 µs before the deadline and spins the rest.  Messages are sent in
file order, never reordered (per-resource order survives any speed-up); ``max_gap`` clamps
long pauses; ``loop`` repeats the stream, rewriting resource ids in keys and bodies so each
loop creates fresh objects; key-prefix filters pick what is sent; ``dry_run`` only prints.
"""

from __future__ import annotations

import bisect
import logging
import math
import statistics
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final, NamedTuple

from mockhm.streams.renumber import KINDS, id_strides, rewrite_ids
from mockhm.streams.scenario import Scenario, TimedMessage
from mockhm.streams.sources import ReplaySource, describe_frames, load_source
from mockhm.wire.errors import InvalidArgumentError, ScenarioError
from mockhm.wire.keys import key_filters

if TYPE_CHECKING:
    from mockhm.hookmanager.manager import HookManager

log = logging.getLogger("mockhm.replay")

#: The last stretch before a deadline is spun rather than slept, for sub-millisecond timing.
SPIN_SECONDS: Final[float] = 0.0002


@dataclass(frozen=True)
class ReplayReport:
    """What a replay did.  Lags are seconds late against the schedule (never negative)."""

    source: str
    """What was replayed (a scenario or capture name)."""
    planned: int
    """Messages the replay was to send (all loops, after filters)."""
    sent: int
    """Messages sent (or, in a dry run, that would have been)."""
    refused: int
    """Messages refused at the high-water mark (lossless mode)."""
    filtered: int
    """Messages left out by ``filters``."""
    loops: int
    """Times the stream was played."""
    elapsed: float
    """Seconds from the first send to the last."""
    lag_median: float
    """Median seconds late against the schedule."""
    lag_p99: float
    """99th percentile of the lag, seconds."""
    lag_max: float
    """Largest lag, seconds."""
    dry_run: bool = False
    """``True`` when nothing was sent (``dry_run=True``)."""
    stopped: bool = False
    """``True`` when ``stop`` ended it early."""
    out_of_order: int = 0
    """Messages whose offset went back in time in the source."""

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


# --------------------------------------------------------------------------- schedule


#: Speed factors accepted besides 0/inf (beyond them the schedule is meaningless).
MIN_SPEED = 1e-6
MAX_SPEED = 1e9


def check_speed(speed: object) -> float:
    """The effective replay speed: a factor > 0, with 0 and ``math.inf`` meaning as fast as possible
    (as ``mockhm serve --speed 0``).  Raises :class:`InvalidArgumentError` for anything else."""
    if isinstance(speed, (int, float)) and not isinstance(speed, bool):
        if speed == 0 or speed == math.inf:
            return math.inf
        if MIN_SPEED <= speed <= MAX_SPEED:
            return float(speed)
    raise InvalidArgumentError(
        f"speed={speed!r}; expected a factor {MIN_SPEED:g}..{MAX_SPEED:g} (2 is twice as fast), or 0 or "
        "math.inf for as fast as possible"
    )


class Schedule(NamedTuple):
    """A replay's sends as parallel lists (no object per message), and what the filters dropped."""

    offsets: list[float]
    frames: list[tuple[bytes, ...]]
    loops: list[int]
    dropped: int


def schedule(
    source: ReplaySource,
    *,
    speed: float = 1.0,
    max_gap: float | None = None,
    loop: int = 1,
    filters: Sequence[str] = (),
    rewrite: bool = True,
    count: int | None = None,
) -> Schedule:
    """The schedule of a replay and how many messages the filters dropped.

    Offsets come from the source's own offsets (gaps clamped to ``max_gap``, offsets that
    go back treated as no gap), divided by ``speed``.  Loop ``k`` starts one mean gap
    after loop ``k-1`` ends, its ids shifted by ``k`` × the largest id seen + 1.  ``count``
    stops the schedule after that many sends (a long ``loop`` is not built past it).
    """
    speed = check_speed(speed)
    if isinstance(loop, bool) or not isinstance(loop, int) or loop < 1:
        raise InvalidArgumentError(f"loop={loop!r}; expected an integer, 1 or more")
    if max_gap is not None and not (isinstance(max_gap, (int, float)) and 0 <= max_gap < math.inf):
        raise InvalidArgumentError(f"max_gap={max_gap!r}; expected a finite number of seconds, 0 or more")
    msgs = source.messages
    offsets: list[float] = []
    current = 0.0
    latest = msgs[0].t if msgs else 0.0
    for n, m in enumerate(msgs, start=1):
        t = m.t
        if not math.isfinite(t):
            raise InvalidArgumentError(f"message {n}: offset t={t!r}; expected a finite number of seconds")
        if t > latest:  # offsets that go back are no gap
            gap = t - latest
            latest = t
            current += gap if max_gap is None or gap < max_gap else max_gap
        offsets.append(current)
    length = offsets[-1] if offsets else 0.0
    between = length / (len(msgs) - 1) if len(msgs) > 1 else 0.0
    strides = id_strides(msgs) if loop > 1 and rewrite else dict.fromkeys(KINDS, 0)
    prefixes = tuple(f.encode("ascii") for f in key_filters(filters))
    out = Schedule([], [], [], 0)
    dropped = 0
    timed = not math.isinf(speed)
    for k in range(loop):
        if count is not None and len(out.frames) >= count:
            break
        shift = {kind: k * s for kind, s in strides.items()}
        base = k * (length + between)
        kept = [
            (off, m.frames)
            for m, off in zip(msgs, offsets, strict=True)
            if not prefixes or (m.frames and m.frames[0].startswith(prefixes))
        ]
        dropped += len(msgs) - len(kept)
        out.offsets.extend([(base + off) / speed for off, _ in kept] if timed else [0.0] * len(kept))
        out.frames.extend([rewrite_ids(f, shift) for _, f in kept] if k else [f for _, f in kept])
        out.loops.extend([k + 1] * len(kept))
    if count is not None:
        del out.offsets[count:], out.frames[count:], out.loops[count:]
    return out._replace(dropped=dropped)


#: Most messages sent in one batch (as load runs do: one lock, one key count per batch).
BATCH: Final = 256


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
        # An hour at a time: a far deadline (a slow replay of a long gap) overflows the OS timeout.
        if event.wait(min(remaining - spin, 3600.0)):
            return False
    while clock() < deadline:
        pass
    return not event.is_set()


def _percentile(sorted_values: Sequence[float], q: float) -> float:
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, max(0, math.ceil(q * len(sorted_values)) - 1))
    return sorted_values[index]


def replay(
    source: str | Path | Scenario | ReplaySource | Iterable[TimedMessage],
    hookmanager: HookManager | None,
    *,
    speed: float = 1.0,
    max_gap: float | None = None,
    loop: int = 1,
    filters: Sequence[str] = (),
    count: int | None = None,
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
        count: send at most this many messages, counted after ``loop`` and ``filters``
            (``None``: all of them).
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
    if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 0):
        raise InvalidArgumentError(f"count={count!r}; expected an integer, 0 or more, or None for all")
    src = load_source(source)
    offsets, frames, loops, dropped = schedule(
        src, speed=speed, max_gap=max_gap, loop=loop, filters=filters, count=count
    )
    if not dry_run and hookmanager is None:
        raise ValueError("a hookmanager is needed unless dry_run=True")
    if wait and hookmanager is not None and not dry_run:
        hookmanager.wait_for_subscribers(wait, timeout=wait_timeout)
    total = len(offsets)
    stop = stop or threading.Event()
    sent = refused = 0
    lags: list[float] = []
    stopped = False
    start = clock()
    if dry_run:
        for n, (offset, message, k) in enumerate(zip(offsets, frames, loops, strict=True), start=1):
            if echo is not None:
                echo(f"{offset:10.3f}s  loop {k}  {describe_frames(message)}")
            sent += 1
            if progress:
                progress(n, total, k)
    else:
        assert hookmanager is not None
        send = hookmanager.send_many
        n = 0
        while n < total:
            if not sleep_until(start + offsets[n], clock=clock, stop=stop):
                stopped = True
                break
            # Everything already due goes out in one batch, in file order: a sender that
            # fell behind catches up without paying the per-message overhead again.
            now = clock()
            end = max(bisect.bisect_right(offsets, now - start, n + 1, min(total, n + BATCH)), n + 1)
            late = now - start
            lags.extend([max(0.0, late - o) for o in offsets[n:end]])
            ok = send(frames[n:end])
            sent += ok
            refused += end - n - ok
            n = end
            if progress:
                progress(n, total, loops[end - 1])
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
    "ReplayReport",
    "ScenarioError",
    "Schedule",
    "replay",
    "schedule",
    "sleep_until",
]
