"""Load runs: pre-rendered messages sent on an absolute schedule, measured honestly.

How a run goes (:func:`run_load`):

1. The source (generated events, a scenario, a capture, or any messages) becomes a pool of
   base messages; the schedule (:mod:`mockhm.load.pacing`) says when each message is due.
2. Every message is rendered *before the clock starts*: message ``i`` is pool item
   ``i % len(pool)``, stamped (see below) and base64-encoded.  Generation never caps the rate.
3. The sender waits for ``t0 + offset[i]`` (absolute deadlines) and sends every message
   that is due in one batch (:meth:`HookManager.send_many`).  Being late shows as *lag*;
   the schedule never shifts (open model: like oned, the sender does not wait for anyone).
4. With ``acks=True`` it then waits up to ``drain`` seconds for HEM-style reports on 2102
   and measures end-to-end latency from each message's *scheduled* send time, so a stalled
   subscriber cannot hide behind a stalled sender (coordinated omission).

Stamps: three attributes are added to the first open template of the body (the VM's
``USER_TEMPLATE``, else the ``TEMPLATE`` of a host, image or network), in alphabetical
order like oned writes template attributes, each value in CDATA:

* ``MOCKHM_DUE_NS``: scheduled send time, ns after the start of the run;
* ``MOCKHM_RUN``: a random id of this run (reports of other runs are ignored);
* ``MOCKHM_SEQ``: the message's index in the schedule.

Template contents are open in oned's documents, so stamped bodies stay valid.  A hook
executor acknowledges a message by reporting on 2102 with ARGUMENTS that contain the
stamps, either as text (``MOCKHM_RUN=... MOCKHM_SEQ=...``) or inside base64 of the
document, which is what HEM sends for a hook with ``ARGUMENTS = "$TEMPLATE"``.  Bodies
without an open template (most API events, RETRY) are sent unstamped and not acknowledged.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import zmq
from hdrh.histogram import HdrHistogram

from mockhm.hookmanager.manager import HookManager
from mockhm.load.pacing import Arrivals, Shape, schedule
from mockhm.load.report import LoadReport, Threshold, TimelineRow
from mockhm.wire.message import HookEvent, WireMessage

Frames = tuple[bytes, ...]

#: Default latency percentiles of reports.
DEFAULT_PERCENTILES: Final = (50.0, 90.0, 99.0, 99.9)
#: Refuse to pre-render more than this many bytes of stamped messages (1 GiB).
MAX_PRERENDER_BYTES: Final = 1 << 30
#: Most messages sent in one batch (one lock round trip).
MAX_BATCH: Final = 256

_NS: Final = 1_000_000_000
_HIGHEST_NS: Final = 3600 * _NS

_TEMPLATE_OPEN = (b"<USER_TEMPLATE>", b"<TEMPLATE>")
_TOKEN = re.compile(rb"<!\[CDATA\[.*?\]\]>|<(/?)([A-Za-z_][\w.-]*)[^>]*?(/?)>", re.S)
_SEQ = re.compile(r"MOCKHM_SEQ(?:>|=|:|\s)*(?:<!\[CDATA\[)?(\d+)")
_RUN = re.compile(r"MOCKHM_RUN(?:>|=|:|\s)*(?:<!\[CDATA\[)?([0-9a-f]+)")
_B64_TOKEN = re.compile(r"[A-Za-z0-9+/=\n]{16,}")


def stamp_point(body: bytes, name: bytes = b"MOCKHM_") -> int | None:
    """Where attributes named ``name...`` go in the body's first open template, or ``None``.

    The position keeps the template's children in alphabetical order.
    """
    for opener in _TEMPLATE_OPEN:
        start = body.find(opener)
        if start < 0:
            continue
        pos = start + len(opener)
        depth = 0
        for m in _TOKEN.finditer(body, pos):
            closing, tag, selfclose = m.group(1), m.group(2), m.group(3)
            if tag is None:  # CDATA
                continue
            if closing:
                if depth == 0:
                    return m.start()  # the template's own end tag
                depth -= 1
            elif not selfclose:
                if depth == 0 and tag > name:
                    return m.start()
                depth += 1
            elif depth == 0 and tag > name:
                return m.start()
        return None
    return None


def _attr(name: str, value: str) -> bytes:
    return f"<{name}><![CDATA[{value}]]></{name}>".encode()


@dataclass(frozen=True)
class Rendered:
    """Messages ready to send: ``frames[i]`` is due at ``t0 + offsets[i]`` ns."""

    frames: list[Frames]
    offsets: list[int]
    run_id: str
    #: ``stamped[i]``: message ``i`` carries MOCKHM_SEQ ``i``.
    stamped: list[bool]

    @property
    def stamped_count(self) -> int:
        """How many messages carry stamps."""
        return sum(self.stamped)


def render(
    pool: Sequence[Frames],
    offsets: Sequence[int],
    *,
    stamp: bool = True,
    body_size: int | None = None,
    run_id: str | None = None,
    max_bytes: int = MAX_PRERENDER_BYTES,
) -> Rendered:
    """Pre-render one message per offset from ``pool`` (cycled), stamped and padded.

    Args:
        pool: base messages (two frames: key, base64 content; others are sent as they are).
        offsets: the schedule (ns after the start).
        stamp: add ``MOCKHM_DUE_NS``/``MOCKHM_RUN``/``MOCKHM_SEQ`` where the body has an open template.
        body_size: pad bodies with an open template up to about this many decoded bytes
            (attribute ``MOCKHM_PAD``); larger bodies are left alone.
        run_id: the run's id (random by default).
        max_bytes: refuse to render more than this (stamped messages are all distinct).

    Raises:
        ValueError: empty pool, or the rendered run would exceed ``max_bytes``.
    """
    if not pool:
        raise ValueError("the message source is empty: nothing to send")
    run = run_id or secrets.token_hex(6)
    # Per base message: (key, body head, body tail, retry) where stamps can go, else None.
    bases: list[tuple[bytes, bytes, bytes, bytes] | None] = []
    padded: list[Frames] = []
    for frames in pool:
        split = None
        if len(frames) == 2 and frames[0] != b"RETRY":
            try:
                body = base64.b64decode(frames[1], validate=True)
            except (binascii.Error, ValueError):
                body = b""
            point = stamp_point(body) if body else None
            if point is not None:
                head, tail, pad = body[:point], body[point:], b""
                if body_size is not None and len(body) < body_size:
                    missing = body_size - len(body) - len(_attr("MOCKHM_PAD", ""))
                    pad = _attr("MOCKHM_PAD", "x" * max(missing, 0))
                split = (frames[0], head, pad, tail)
        bases.append(split)
        if split is not None and not stamp:
            padded.append((split[0], base64.b64encode(split[1] + split[2] + split[3])))
        else:
            padded.append(tuple(frames))
    n = len(offsets)
    if stamp:
        estimate = sum(sum(map(len, padded[i % len(pool)])) for i in range(min(n, 1000)))
        estimate = estimate * n // max(min(n, 1000), 1)
        if estimate > max_bytes:
            raise ValueError(
                f"pre-rendering {n} stamped messages needs about {estimate >> 20} MiB (limit "
                f"{max_bytes >> 20} MiB): send fewer messages, or turn stamps off (--no-stamp)"
            )
    out: list[Frames] = []
    stamped: list[bool] = []
    b64 = base64.b64encode
    seq_tail = "]]></MOCKHM_SEQ>"
    for i in range(n):
        k = i % len(pool)
        base = bases[k]
        if not stamp or base is None:
            out.append(padded[k])
            stamped.append(False)
            continue
        key, head, pad, tail = base
        due = f"<MOCKHM_DUE_NS><![CDATA[{offsets[i]}]]></MOCKHM_DUE_NS>".encode()
        seq = f"<MOCKHM_RUN><![CDATA[{run}]]></MOCKHM_RUN><MOCKHM_SEQ><![CDATA[{i}{seq_tail}".encode()
        # Alphabetical, like oned's templates: DUE_NS < PAD < RUN < SEQ.
        out.append((key, b64(head + due + pad + seq + tail)))
        stamped.append(True)
    return Rendered(out, list(offsets), run, stamped)


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
    """Resolve a source: ``generated``, ``story`` (serve's story), a capture ``.jsonl`` or a scenario.

    Returns the pool and a description.

    Raises:
        ValueError: naming the source and what was tried.
    """
    if spec in ("generated", "events"):
        return generated_pool(size, seed=seed, profile=profile), f"generated events (seed {seed})"
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


@dataclass(frozen=True)
class Progress:
    """A live view of a run, given to ``on_progress`` about four times a second."""

    elapsed_s: float
    scheduled_so_far: int
    total: int
    sent: int
    refused: int
    lag_ms: float
    reports: int


def _new_hist() -> HdrHistogram:
    return HdrHistogram(1, _HIGHEST_NS, 3)


def _summary(hist: HdrHistogram, percentiles: Sequence[float]) -> dict[str, float] | None:
    if hist.get_total_count() == 0:
        return None
    out = {f"p{p:g}": hist.get_value_at_percentile(p) / 1e6 for p in percentiles}
    out.update(
        min=hist.get_min_value() / 1e6,
        mean=round(hist.get_mean_value() / 1e6, 6),
        max=hist.get_max_value() / 1e6,
        count=float(hist.get_total_count()),
    )
    return out


def extract_stamp(arguments: str | None) -> tuple[str | None, int] | None:
    """``(run id, seq)`` from a report's ARGUMENTS (text or base64 of the body), or ``None``."""
    if not arguments:
        return None
    texts = [arguments]
    if "MOCKHM_SEQ" not in arguments:
        for token in _B64_TOKEN.findall(arguments):
            try:
                texts.append(
                    base64.b64decode("".join(token.split()), validate=True).decode("utf-8", "replace")
                )
            except (binascii.Error, ValueError):  # noqa: PERF203 - most tokens are not base64
                continue
    for text in texts:
        seq = _SEQ.search(text)
        if seq:
            run = _RUN.search(text)
            return (run.group(1) if run else None, int(seq.group(1)))
    return None


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
    thresholds: Sequence[Threshold] = (),
    on_progress: Callable[[Progress], None] | None = None,
    stop: threading.Event | None = None,
    source_name: str = "messages",
) -> LoadReport:
    """Send a paced load through ``hm`` and measure it.

    Args:
        hm: the mock Hook Manager to send through (``journal=False`` is best for long runs).
        source: base messages (frames, wire messages or events; cycled), or a :class:`Rendered`.
        shape: the rate curve, or ``None`` to send ``count`` messages as fast as possible.
        count: stop after this many messages (needed for open-ended shapes and ``None``).
        arrivals: ``uniform`` or ``poisson`` spacing.
        seed: seeds Poisson arrivals.
        stamp: add sequence stamps (needed for ``acks``).
        body_size: pad bodies up to about this many bytes.
        acks: expect a HEM-style report per stamped message; measure end-to-end latency.
        drain: seconds to wait for outstanding reports after the last send.
        percentiles: latency and lag percentiles in the report.
        thresholds: criteria evaluated into ``report.thresholds``.
        on_progress: called with a :class:`Progress` about four times a second.
        stop: set it to end the run early (for example on Ctrl-C).
        source_name: describes the source in the report.

    Raises:
        ValueError: no count for an open-ended or unthrottled run, or an empty source.
    """
    rendered = prepare(source, shape, count=count, arrivals=arrivals, seed=seed, stamp=stamp or acks,
                       body_size=body_size)  # fmt: skip
    stop = stop or threading.Event()
    base_reports = len(hm.reports)
    start_stats = hm.statistics()
    hwm = _hwm(hm)
    started_at = time.time()

    def progress(p: Progress) -> None:
        if on_progress is not None:
            on_progress(Progress(p.elapsed_s, p.scheduled_so_far, p.total, p.sent, p.refused, p.lag_ms,
                                 len(hm.reports) - base_reports))  # fmt: skip

    t0 = time.monotonic_ns()
    batches, t_end = pace(hm.send_many, rendered.frames, rendered.offsets, t0, stop=stop,
                          on_progress=progress if on_progress is not None else None)  # fmt: skip
    if acks:
        refused_now = hm.statistics().refused - start_stats.refused
        await_acks(hm, rendered, batches, base_reports, refused_now, drain, stop)
    end_stats = hm.statistics()
    return build_report(
        hm, rendered, batches, t0, t_end, base_reports,
        sent=end_stats.sent - start_stats.sent, refused=end_stats.refused - start_stats.refused,
        sent_bytes=end_stats.sent_bytes - start_stats.sent_bytes,
        shape=shape, arrivals=arrivals, seed=seed, acks=acks, percentiles=tuple(percentiles),
        thresholds=thresholds, started_at=started_at, source_name=source_name, hwm=hwm,
    )  # fmt: skip


def prepare(
    source: Sequence[Frames] | Iterable[Any] | Rendered,
    shape: Shape | None,
    *,
    count: int | None = None,
    arrivals: Arrivals = "uniform",
    seed: int | None = 0,
    stamp: bool = True,
    body_size: int | None = None,
) -> Rendered:
    """Schedule and pre-render a run (see :func:`run_load` for the arguments)."""
    if isinstance(source, Rendered):
        return source
    if shape is None:
        if count is None:
            raise ValueError("an unthrottled run (no shape) needs a message count")
        offsets = [0] * count
    else:
        offsets = schedule(shape, count, arrivals=arrivals, seed=seed)
    return render(_flatten(source), offsets, stamp=stamp, body_size=body_size)


#: One batch: (global indices of its messages, ns when it was sent, how many were accepted).
Batch = tuple[range, int, int]


def pace(
    send_many: Callable[[Sequence[Frames]], int],
    frames: Sequence[Frames],
    offsets: Sequence[int],
    t0: int,
    *,
    stop: threading.Event | None = None,
    on_progress: Callable[[Progress], None] | None = None,
    index_start: int = 0,
    index_step: int = 1,
) -> tuple[list[Batch], int]:
    """Send ``frames[i]`` at ``t0 + offsets[i]`` (monotonic ns), every due message in one batch.

    ``index_start``/``index_step`` map local indices to the run's (for worker processes that
    send every ``step``-th message).  Returns the batches and the end time.
    """
    n = len(frames)
    batches: list[Batch] = []
    mono = time.monotonic_ns
    sleep = time.sleep
    next_progress = 0
    sent_total = 0
    i = 0
    while i < n:
        now = mono()
        due = t0 + offsets[i]
        if due > now:
            if stop is not None and stop.is_set():
                break
            sleep((due - now) / _NS)
            continue
        j = max(bisect.bisect_right(offsets, now - t0, i, min(n, i + MAX_BATCH)), i + 1)
        sent = send_many(frames[i:j])
        sent_total += sent
        batches.append(
            (range(index_start + i * index_step, index_start + j * index_step, index_step), now, sent)
        )
        i = j
        if on_progress is not None and now >= next_progress:
            next_progress = now + _NS // 4
            on_progress(Progress((now - t0) / _NS, i, n, sent_total, i - sent_total, (now - due) / 1e6, 0))
        if stop is not None and stop.is_set():
            break
    return batches, mono()


def await_acks(
    hm: HookManager,
    rendered: Rendered,
    batches: Sequence[Batch],
    base_reports: int,
    refused: int,
    drain: float,
    stop: threading.Event | None = None,
) -> None:
    """Wait up to ``drain`` s until every stamped message sent is acknowledged by a report."""
    stamped = rendered.stamped
    # Refused messages are never acknowledged; refusals are counted, not attributed.
    expected = max(sum(stamped[k] for b in batches for k in b[0]) - refused, 0)
    deadline = time.monotonic() + drain
    matched: set[int] = set()
    scanned = base_reports
    while len(matched) < expected and time.monotonic() < deadline:
        if stop is not None and stop.is_set():
            break
        reports = hm.reports[scanned:]
        scanned += len(reports)
        for hook_report in reports:
            got = extract_stamp(hook_report.arguments)
            if got is not None and got[0] in (None, rendered.run_id):
                matched.add(got[1])
        if len(matched) < expected:
            time.sleep(0.005)


def build_report(
    hm: HookManager,
    rendered: Rendered,
    batches: list[Batch],
    t0: int,
    t_end: int,
    base_reports: int,
    *,
    sent: int,
    refused: int,
    sent_bytes: int,
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
    endpoint: str | None = None,
) -> LoadReport:
    """Turn what a run recorded into a :class:`LoadReport` (outside the clock)."""
    from mockhm import __version__

    batches = sorted(batches, key=lambda b: b[1])
    attempted_set = {k for b in batches for k in b[0]}
    attempted = len(attempted_set)
    stopped = attempted < len(rendered.offsets)
    offsets = rendered.offsets
    last_due = max((offsets[k] for k in attempted_set), default=-1)
    seconds = last_due // _NS + 1 if attempted else 0
    if shape is None:
        seconds = max(seconds, (t_end - t0) // _NS + 1)
    rows = [TimelineRow(s) for s in range(int(max(seconds, 1)))]
    last_row = len(rows) - 1
    if shape is not None:
        for k in attempted_set:
            rows[min(offsets[k] // _NS, last_row)].scheduled += 1
    lag_hist = _new_hist() if shape is not None else None
    lag_rows: list[float] = [-1.0] * len(rows)
    for indices, t_batch, sent_in_batch in batches:
        if lag_hist is not None:
            for k in indices:
                lag = min(max(t_batch - (t0 + offsets[k]), 1), _HIGHEST_NS)
                lag_hist.record_value(lag)
                r = min(offsets[k] // _NS, last_row)
                lag_rows[r] = max(lag_rows[r], lag / 1e6)
        # Refusals inside a batch are not attributed to a message: they go on the batch's row.
        r = min((t_batch - t0) // _NS if shape is None else offsets[indices[0]] // _NS, last_row)
        rows[r].sent += sent_in_batch
        rows[r].refused += len(indices) - sent_in_batch
    for row, lag_max in zip(rows, lag_rows, strict=True):
        row.lag_max_ms = None if lag_max < 0 else round(lag_max, 6)
    # -- acknowledgements ---------------------------------------------------------------------
    latency_hist = _new_hist() if acks else None
    acked = unmatched = 0
    if acks and latency_hist is not None:
        reports = hm.reports[base_reports:]
        times = hm.report_times[base_reports:]
        seen: set[int] = set()
        per_row: list[HdrHistogram | None] = [None] * len(rows)
        for hook_report, t_recv in zip(reports, times, strict=False):
            got = extract_stamp(hook_report.arguments)
            if got is None or (got[0] is not None and got[0] != rendered.run_id):
                unmatched += 1
                continue
            seq = got[1]
            if seq not in attempted_set or seq in seen or not rendered.stamped[seq]:
                unmatched += 1
                continue
            seen.add(seq)
            latency = max(t_recv - (t0 + offsets[seq]), 1)
            latency_hist.record_value(min(latency, _HIGHEST_NS))
            r = min(
                int(offsets[seq] // _NS) if shape is not None else int((t_recv - t0) // _NS), len(rows) - 1
            )
            rows[r].acked += 1
            h = per_row[r]
            if h is None:
                h = per_row[r] = _new_hist()
            h.record_value(min(latency, _HIGHEST_NS))
        acked = len(seen)
        for row, h in zip(rows, per_row, strict=True):
            if h is not None:
                row.latency_p50_ms = h.get_value_at_percentile(50) / 1e6
                row.latency_p99_ms = h.get_value_at_percentile(99) / 1e6
                row.latency_max_ms = h.get_max_value() / 1e6
    duration = max((t_end - t0) / _NS, 1e-9)
    stamped_sent = sum(rendered.stamped[k] for k in attempted_set)
    report = LoadReport(
        endpoint=endpoint or hm.events_endpoint,
        mode="lossless" if hm.lossless else "faithful",
        hwm=hwm,
        processes=processes,
        source=source_name,
        shape="unthrottled (as fast as possible)" if shape is None else shape.description,
        arrivals=arrivals if shape is not None else "none",
        seed=seed,
        started_at=started_at,
        scheduled=len(offsets),
        sent=sent,
        refused=refused,
        sent_bytes=sent_bytes,
        duration_s=duration,
        percentiles=percentiles,
        stamped=stamped_sent,
        acks_expected=acks,
        acked=acked if acks else None,
        unmatched_reports=unmatched,
        lag_ms=_summary(lag_hist, percentiles) if lag_hist is not None else None,
        latency_ms=_summary(latency_hist, percentiles) if latency_hist is not None else None,
        timeline=rows,
        stopped_early=stopped,
        mockhm=__version__,
        lag_histogram=lag_hist,
        latency_histogram=latency_hist,
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
