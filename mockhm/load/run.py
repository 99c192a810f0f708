"""Load runs: messages rendered ahead of the clock, sent on an absolute schedule, measured honestly.

How a run goes (:func:`run_load`):

1. The source (generated events, a scenario, a capture, or any messages) becomes a pool of
   base messages; the schedule (:mod:`mockhm.load.pacing`) says when each message is due,
   produced lazily.
2. A thread renders messages ahead of the clock into a bounded queue
   (:mod:`mockhm.load.render`): message ``i`` is pool item ``i % len(pool)``, stamped by
   re-encoding only the base64 blocks of its fixed-width stamps.  Memory depends on the
   queue's bound, not on the run's length.
3. The sender (:mod:`mockhm.load.send`) waits for ``t0 + offset[i]`` (absolute deadlines) and
   sends every message that is due in one batch (:meth:`HookManager.send_many`).  Being late
   shows as *lag*; the schedule never shifts (open model: like oned, the sender does not wait).
4. With ``acks=True`` reports on 2102 are matched while the run goes and for up to ``drain``
   seconds after it; end-to-end latency is measured from each message's *scheduled* send
   time, so a stalled subscriber cannot hide behind a stalled sender (coordinated omission).
   Counts, HDR histograms and the per-second timeline are kept in constant memory
   (:mod:`mockhm.load.accounting`).

Which messages are stamped, and so expected to be acknowledged: those whose body has an open
template (a VM's USER_TEMPLATE, the TEMPLATE of a host, image or network; most API events and
RETRY have none) and, with ``acks``, whose key (frame 1) starts with one of the
acknowledging filters: the filters of the subscriptions active when the run starts (an
executor subscribes to one filter per hook), or ``ack_filters``.  An executor with one hook
is then expected to acknowledge exactly what its hook receives.  The stamps are three
attributes in that template (see :mod:`mockhm.load.render`).  A hook executor acknowledges
a message by reporting on 2102 with ARGUMENTS that contain the stamps, either as text
(``MOCKHM_RUN=... MOCKHM_SEQ=...``) or inside base64 of the document, which is what HEM
sends for a hook with ``ARGUMENTS = "$TEMPLATE"``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import zmq

from mockhm.hookmanager.manager import HookManager
from mockhm.load.accounting import DEFAULT_PERCENTILES, Accounting, DueTimes, extract_stamp, summary
from mockhm.load.pacing import Arrivals, Shape, iter_schedule, scheduled_count
from mockhm.load.render import BUFFER_BYTES, CHUNK, Chunk, Frames, Plan, Renderer, stamp_point
from mockhm.load.report import LoadReport, Threshold, parse_threshold
from mockhm.load.send import Progress, pace
from mockhm.wire.keys import key_filters
from mockhm.wire.message import HookEvent, WireMessage

__all__ = [
    "DEFAULT_PERCENTILES",
    "Frames",
    "Progress",
    "Rendered",
    "extract_stamp",
    "generated_pool",
    "load_pool",
    "render",
    "run_load",
    "stamp_point",
]


@dataclass(frozen=True)
class Rendered:
    """Messages rendered in memory (small runs, tests): ``frames[i]`` is due at ``t0 + offsets[i]`` ns."""

    frames: list[Frames]
    offsets: list[int]
    run_id: str
    #: ``stamped[i]``: message ``i`` carries MOCKHM_SEQ ``i``.
    stamped: list[bool]

    @property
    def stamped_count(self) -> int:
        """How many messages carry stamps."""
        return sum(self.stamped)

    def chunks(self, size: int = CHUNK) -> Iterator[Chunk]:
        """The messages in chunks, as the sender takes them."""
        for i in range(0, len(self.frames), size):
            yield Chunk(
                i, self.offsets[i : i + size], self.frames[i : i + size], sum(self.stamped[i : i + size])
            )


def render(
    pool: Sequence[Frames],
    offsets: Sequence[int],
    *,
    stamp: bool = True,
    body_size: int | None = None,
    run_id: str | None = None,
) -> Rendered:
    """Render one message per offset from ``pool`` (cycled), stamped and padded, in memory.

    Load runs render lazily (:class:`mockhm.load.render.Plan`); this keeps every message.

    Raises:
        ValueError: empty pool.
    """
    plan = Plan(pool, offsets, stamp=stamp, body_size=body_size, run_id=run_id)
    frames: list[Frames] = []
    for chunk in plan.chunks():
        frames += chunk.frames
    flags = [stamp and t.parts is not None for t in plan.templates]
    stamped = [flags[i % len(flags)] for i in range(len(frames))]
    return Rendered(frames, list(offsets), plan.run_id, stamped)


# -- sources ---------------------------------------------------------------------------------


def _flatten(items: Iterable[Any]) -> list[Frames]:
    out: list[Frames] = []
    for item in items:
        if isinstance(item, HookEvent):
            out.extend(m.frames for m in item.messages())
        elif isinstance(item, WireMessage):
            out.append(item.frames)
        elif isinstance(item, (tuple, list)) and item and all(isinstance(f, bytes) for f in item):
            out.append(tuple(item))
        elif hasattr(item, "messages") and callable(item.messages):
            out.extend(_flatten(item.messages()))
        elif hasattr(item, "frames"):
            out.append(tuple(item.frames))
        elif hasattr(item, "event") and isinstance(item.event, (HookEvent, WireMessage)):
            out.extend(_flatten([item.event]))
        elif isinstance(item, Iterable):
            out.extend(_flatten(item))
        else:
            raise TypeError(f"cannot send {type(item).__name__!r}: expected HookEvent, WireMessage or frames")
    return out


def generated_pool(size: int = 1000, *, seed: int = 0, profile: str | None = None) -> list[Frames]:
    """``size`` messages of a seeded, life-cycle-valid event stream (issue 4's generator when
    available, else the built-in mixed-day story)."""
    try:
        from mockhm.oned.lifecycle import generate_events
    except ImportError:  # pragma: no cover - the generator is part of the package
        generate_events = None  # type: ignore[assignment]
    out: list[Frames] = []
    if generate_events is not None:
        out = _flatten(generate_events(size, seed, profile))
    if not out:
        from mockhm.oned.cloud import Cloud
        from mockhm.oned.story import mixed_day

        for event in mixed_day(Cloud(profile, seed=seed)):
            out.extend(m.frames for m in event.messages())
            if len(out) >= size:
                break
    return out[:size]


def load_pool(
    spec: str, *, size: int = 1000, seed: int = 0, profile: str | None = None
) -> tuple[list[Frames], str]:
    """Resolve a source: ``generated``, ``vm-states`` (:mod:`mockhm.load.generate`), ``story``
    (serve's story), a capture ``.jsonl`` or a scenario.

    Returns the pool and a description.

    Raises:
        ValueError: naming the source and what was tried.
    """
    if spec in ("generated", "events"):
        return generated_pool(size, seed=seed, profile=profile), f"generated events (seed {seed})"
    if spec == "vm-states":
        from mockhm.load.generate import VmStateStream

        stream = VmStateStream(seed=seed, profile=profile)
        pool: list[Frames] = list(stream.take(size))
        return pool, f"templated VM STATE stream (seed {seed}, ~8 KB documents)"
    if spec == "story":
        from mockhm.oned.cloud import Cloud
        from mockhm.oned.story import mixed_day

        out: list[Frames] = []
        for event in mixed_day(Cloud(profile, seed=seed)):
            out.extend(m.frames for m in event.messages())
            if len(out) >= size:
                break
        return out[:size], f"mixed-day story (seed {seed})"
    path = Path(spec)
    if path.suffix == ".jsonl" and path.is_file():
        from mockhm.streams.capturefile import read_capture

        _, records = read_capture(path)
        frames = [rec.frames for _, rec in records]
        return frames, f"capture {path} ({len(frames)} messages)"
    from mockhm.streams.scenario import load_scenario

    scenario = load_scenario(spec)
    return [tuple(m.frames) for m in scenario.messages], f"scenario {scenario.name}"


# -- the run ---------------------------------------------------------------------------------


class _Reports:
    """Reads the Hook Manager's reports as they arrive (counted by its running total, so that a
    manager keeping only its latest reports is read right); with ``consume``, removes them."""

    def __init__(self, hm: HookManager, consume: bool) -> None:
        self.hm = hm
        self.consume = consume
        with hm._cond:
            self.taken = hm._reports_total
        self.seen = 0

    def take(self) -> list[tuple[Any, int]]:
        hm = self.hm
        with hm._cond:
            total = hm._reports_total
            have = len(hm.reports)
            k = min(total - self.taken, have)
            self.taken = total
            if k <= 0:
                return []
            reports = hm.reports[have - k :]
            times = hm.report_times[have - k :]
            if self.consume:
                del hm.reports[have - k :], hm.report_times[have - k :]
        self.seen += len(reports)
        return list(zip(reports, times, strict=False))


def run_load(
    hm: HookManager,
    source: Sequence[Frames] | Iterable[Any] | Rendered,
    shape: Shape | None,
    *,
    count: int | None = None,
    arrivals: Arrivals = "uniform",
    seed: int | None = 0,
    stamp: bool = True,
    body_size: int | None = None,
    acks: bool = False,
    drain: float = 2.0,
    percentiles: Sequence[float] = DEFAULT_PERCENTILES,
    thresholds: Sequence[Threshold | str] = (),
    on_progress: Callable[[Progress], None] | None = None,
    stop: threading.Event | None = None,
    source_name: str = "messages",
    buffer_bytes: int = BUFFER_BYTES,
    consume_reports: bool = False,
    ack_filters: Sequence[str] | None = None,
) -> LoadReport:
    """Send a paced load through ``hm`` and measure it.

    Args:
        hm: the mock Hook Manager to send through (``journal=False`` for long runs).
        source: base messages (frames, wire messages or events; cycled); multi-process runs pass
            messages they rendered ahead.
        shape: the rate curve, or ``None`` to send ``count`` messages as fast as possible.
        count: stop after this many messages (needed for open-ended shapes and ``None``).
        arrivals: ``uniform`` or ``poisson`` spacing.
        seed: seeds Poisson arrivals.
        stamp: add sequence stamps (needed for ``acks``).
        body_size: pad bodies up to about this many bytes.
        acks: expect a HEM-style report per stamped message; measure end-to-end latency.
        drain: seconds to wait for outstanding reports after the last send.
        percentiles: latency and lag percentiles in the report.
        thresholds: criteria evaluated into ``report.thresholds``, as ``mockhm load
            --threshold`` takes them (``"loss==0"``, ``"p99<=20ms"``).
        on_progress: called with a :class:`Progress` about four times a second.
        stop: set it to end the run early (for example on Ctrl-C).
        source_name: describes the source in the report.
        buffer_bytes: bound of the messages rendered ahead of the clock.
        consume_reports: remove the reports a run has read from ``hm.reports`` (what
            ``mockhm load`` does, so that long runs with acks keep constant memory).
        ack_filters: with ``acks``, only messages whose key starts with one of these
            prefixes are stamped and expected to be acknowledged.  ``None``: the filters of
            the subscriptions active when the run starts (all messages when there are none).

    Raises:
        ValueError: no count for an open-ended or unthrottled run, or an empty source.
    """
    criteria = [parse_threshold(t) if isinstance(t, str) else t for t in thresholds]  # before any send
    stamp = stamp or acks
    if ack_filters is not None:
        ack_filters = key_filters(ack_filters, "ack_filters")
    stamp_keys = acknowledging_filters(hm, ack_filters) if acks else None
    if isinstance(source, Rendered):
        chunks: Iterable[Chunk] = source.chunks()
        run_id, scheduled = source.run_id, len(source.offsets)
        stamped_flags: Sequence[bool] = source.stamped
        offsets_of: Callable[[], Iterator[int]] = lambda: iter(source.offsets)  # noqa: E731
        renderer = None
    else:
        plan = Plan(_flatten(source), iter_schedule(shape, count, arrivals=arrivals, seed=seed), stamp=stamp,
                    body_size=body_size, stamp_keys=stamp_keys)  # fmt: skip
        run_id = plan.run_id
        scheduled = scheduled_count(shape, count, arrivals=arrivals, seed=seed)
        stamped_flags = [stamp and t.parts is not None for t in plan.templates]
        offsets_of = lambda: iter_schedule(shape, count, arrivals=arrivals, seed=seed)  # noqa: E731
        renderer = Renderer(plan, max_bytes=buffer_bytes)
        chunks = renderer
        renderer.wait_ahead()
    stop = stop or threading.Event()
    reports = _Reports(hm, consume=consume_reports)
    start_stats = hm.statistics()
    hwm = _hwm(hm)
    started_at = time.time()
    t0 = time.monotonic_ns()
    acct = Accounting(t0=t0, shaped=shape is not None)
    due_of = DueTimes(offsets_of()) if acks else None

    def match() -> None:
        for report, t_recv in reports.take():
            acct.ack(report, t_recv, run_id, due_of, scheduled, stamped_flags)

    def tick(now: int, attempted: int, sent: int, lag_ms: float) -> None:
        if acks:
            match()
        if on_progress is not None:
            on_progress(Progress((now - t0) / 1e9, attempted, scheduled, sent, attempted - sent, lag_ms,
                                 reports.seen))  # fmt: skip

    try:
        t_end = pace(hm.send_many, chunks, t0, acct, stop=stop, on_tick=tick)
    finally:
        if renderer is not None:
            renderer.close()
    end_stats = hm.statistics()
    refused = end_stats.refused - start_stats.refused
    if acks:
        expected = max(acct.stamped - refused, 0)  # refusals are counted, not attributed
        deadline = time.monotonic() + drain
        match()
        while acct.acked < expected and time.monotonic() < deadline and not stop.is_set():
            time.sleep(0.005)
            match()
    return build_report(
        hm.events_endpoint, acct, run_id, scheduled, t_end,
        sent=end_stats.sent - start_stats.sent, refused=refused,
        sent_bytes=end_stats.sent_bytes - start_stats.sent_bytes, lossless=hm.lossless,
        unrouted=end_stats.unrouted - start_stats.unrouted,
        shape=shape, arrivals=arrivals, seed=seed, acks=acks, percentiles=tuple(percentiles),
        thresholds=criteria, started_at=started_at, source_name=source_name, hwm=hwm,
        ack_filters=stamp_keys,
    )  # fmt: skip


def acknowledging_filters(hm: HookManager, ack_filters: Sequence[str] | None) -> tuple[str, ...] | None:
    """The key prefixes whose messages are expected to be acknowledged: ``ack_filters``, else
    the distinct filters active on ``hm`` now; ``None`` (every message) when there are none."""
    if ack_filters is not None:
        return tuple(ack_filters)
    active = tuple(sorted(set(hm.subscriptions)))
    return active or None


def build_report(
    endpoint: str,
    acct: Accounting,
    run_id: str,
    scheduled: int,
    t_end: int,
    *,
    sent: int,
    refused: int,
    sent_bytes: int,
    lossless: bool,
    shape: Shape | None,
    arrivals: str,
    seed: int | None,
    acks: bool,
    percentiles: tuple[float, ...],
    thresholds: Sequence[Threshold],
    started_at: float,
    source_name: str,
    hwm: int | None,
    processes: int = 1,
    unrouted: int = 0,
    ack_filters: Sequence[str] | None = None,
) -> LoadReport:
    """Turn what a run counted into a :class:`LoadReport`."""
    from mockhm import __version__

    del run_id
    acct.finish()
    if not acct.rows:
        acct.row(0)
    report = LoadReport(
        endpoint=endpoint,
        mode="lossless" if lossless else "faithful",
        hwm=hwm,
        processes=processes,
        source=source_name,
        shape="unthrottled (as fast as possible)" if shape is None else shape.description,
        arrivals=arrivals if shape is not None else "none",
        seed=seed,
        started_at=started_at,
        scheduled=scheduled,
        sent=sent,
        refused=refused,
        unrouted=unrouted,
        sent_bytes=sent_bytes,
        duration_s=max((t_end - acct.t0) / 1e9, 1e-9),
        percentiles=percentiles,
        stamped=acct.stamped,
        acks_expected=acks,
        acked=acct.acked if acks else None,
        unmatched_reports=acct.unmatched,
        lag_ms=summary(acct.lag, percentiles),
        latency_ms=summary(acct.latency, percentiles) if acks else None,
        timeline=acct.rows,
        stopped_early=acct.attempted < scheduled,
        mockhm=__version__,
        lag_histogram=acct.lag,
        latency_histogram=acct.latency if acks else None,
        ack_filters=None if ack_filters is None else tuple(ack_filters),
    )
    report.thresholds = [t.check(report) for t in thresholds]
    return report


def _hwm(hm: HookManager) -> int | None:
    """The events socket's SNDHWM (read under the manager's lock: the socket is shared)."""
    with hm._lock:
        if hm.closed:
            return None
        value = hm._pub.getsockopt(zmq.SNDHWM)
    return int(value) if isinstance(value, int) else None
