"""What a load run counts, in memory that does not grow with the number of messages.

* Lag behind schedule and end-to-end latency go into HDR histograms (fixed size: 1 ns to
  one hour, 3 significant digits), recorded per batch with one pass over its values.
* The timeline has one row per second of the schedule, created as the run reaches it (at
  most :data:`MAX_ROWS`; later seconds add up in the last row).  Per-second latency
  percentiles come from a few open histograms (:data:`OPEN_ROWS`): a row's percentiles are
  fixed when acknowledgements move :data:`OPEN_ROWS` seconds past it; a later one still
  counts in the row and in the run's histogram.
* Acknowledged sequence numbers are one bit each; the due time of an acknowledged message
  comes from its ``MOCKHM_DUE_NS`` stamp when the report carries the body, else from the
  schedule, replayed alongside (the last :data:`DUE_WINDOW` offsets are kept).

Worker processes each keep an :class:`Accounting` and send :meth:`Accounting.export`;
the main process merges them (:meth:`Accounting.merge`), histograms included.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator, Sequence
from typing import Any, Final

from hdrh.histogram import HdrHistogram

from mockhm.load.report import TimelineRow
from mockhm.wire.reports import HookReport

#: Default latency percentiles of reports.
DEFAULT_PERCENTILES: Final = (50.0, 90.0, 99.0, 99.9)
#: Timeline rows kept (one per second: a day).
MAX_ROWS: Final = 86_400
#: Rows whose latency percentiles are still open.
OPEN_ROWS: Final = 8
#: Offsets of the schedule kept to time acknowledgements that carry no due stamp.
DUE_WINDOW: Final = 1 << 20

NS: Final = 1_000_000_000
HIGHEST_NS: Final = 3600 * NS

_SEQ = re.compile(r"MOCKHM_SEQ(?:>|=|:|\s)*(?:<!\[CDATA\[)?(\d+)")
_RUN = re.compile(r"MOCKHM_RUN(?:>|=|:|\s)*(?:<!\[CDATA\[)?([0-9a-f]+)")
_DUE = re.compile(r"MOCKHM_DUE_NS(?:>|=|:|\s)*(?:<!\[CDATA\[)?(\d+)")
_B64_TOKEN = re.compile(r"[A-Za-z0-9+/=\n]{16,}")


def new_histogram() -> HdrHistogram:
    """1 ns to one hour, 3 significant digits."""
    return HdrHistogram(1, HIGHEST_NS, 3)


def record_many(hist: HdrHistogram, values: Sequence[int]) -> None:
    """``hist.record_value`` for each value in ``[1, HIGHEST_NS]``, in one pass (same buckets)."""
    if not values:
        return
    mask = hist.sub_bucket_mask
    unit = hist.unit_magnitude
    shift = hist.sub_bucket_half_count_magnitude
    half = hist.sub_bucket_half_count
    counts = hist.counts
    for v in values:
        bucket = (v | mask).bit_length() - unit - shift - 1
        counts[((bucket + 1) << shift) + (v >> (bucket + unit)) - half] += 1
    hist.total_count += len(values)
    hist.min_value = min(hist.min_value, min(values))
    hist.max_value = max(hist.max_value, max(values))


def summary(hist: HdrHistogram | None, percentiles: Sequence[float]) -> dict[str, float] | None:
    """Percentiles, min, mean, max (ms) and count of a histogram of ns, or ``None`` if empty."""
    if hist is None or hist.get_total_count() == 0:
        return None
    out = {f"p{p:g}": hist.get_value_at_percentile(p) / 1e6 for p in percentiles}
    out.update(
        min=hist.get_min_value() / 1e6,
        mean=round(hist.get_mean_value() / 1e6, 6),
        max=hist.get_max_value() / 1e6,
        count=float(hist.get_total_count()),
    )
    return out


def extract_stamps(arguments: str | None) -> tuple[str | None, int, int | None] | None:
    """``(run id, seq, due ns or None)`` from a report's ARGUMENTS (text or base64 of the body)."""
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
            due = _DUE.search(text)
            return (run.group(1) if run else None, int(seq.group(1)), int(due.group(1)) if due else None)
    return None


def extract_stamp(arguments: str | None) -> tuple[str | None, int] | None:
    """``(run id, seq)`` from a report's ARGUMENTS (text or base64 of the body), or ``None``."""
    got = extract_stamps(arguments)
    return None if got is None else (got[0], got[1])


class DueTimes:
    """Due time of a sequence number, replaying the schedule as acknowledgements ask for it."""

    def __init__(self, offsets: Iterator[int]) -> None:
        self._offsets = offsets
        self._ring = [0] * DUE_WINDOW
        self._next = 0

    def __call__(self, seq: int) -> int | None:
        while self._next <= seq:
            off = next(self._offsets, None)
            if off is None:
                return None
            self._ring[self._next % DUE_WINDOW] = off
            self._next += 1
        if seq < self._next - DUE_WINDOW:
            return None
        return self._ring[seq % DUE_WINDOW]


class Accounting:
    """Counts, lag and latency of one run (or one worker's share of it)."""

    def __init__(self, *, t0: int, shaped: bool, lag: bool = True) -> None:
        self.t0 = t0
        self.shaped = shaped
        self.rows: list[TimelineRow] = []
        self.lag = new_histogram() if lag and shaped else None
        self.latency = new_histogram()
        self.attempted = 0
        self.stamped = 0
        self.batches = 0
        self.acked = 0
        self.unmatched = 0
        self._acked_bits = bytearray()
        self._open: dict[int, HdrHistogram] = {}
        self._spare: list[HdrHistogram] = []

    # -- the timeline ------------------------------------------------------------------------

    def row(self, second: int) -> TimelineRow:
        """The row of ``second`` (created on demand; the last one absorbs overflow)."""
        second = min(max(second, 0), MAX_ROWS - 1)
        rows = self.rows
        while len(rows) <= second:
            rows.append(TimelineRow(len(rows)))
        return rows[second]

    # -- sending -----------------------------------------------------------------------------

    def batch(self, offsets: Sequence[int], t_batch: int, sent: int, stamped: int) -> None:
        """One batch: messages due at ``offsets`` were handed over at ``t_batch``; ``sent`` accepted."""
        n = len(offsets)
        self.attempted += n
        self.stamped += stamped
        self.batches += 1
        since = t_batch - self.t0
        if not self.shaped:
            row = self.row(since // NS)
            row.sent += sent
            row.refused += n - sent
            return
        first, last = offsets[0] // NS, offsets[-1] // NS
        if first == last:
            row = self.row(first)
            row.scheduled += n
        else:
            for off in offsets:
                self.row(off // NS).scheduled += 1
        # Refusals inside a batch are not attributed to a message: they go on the batch's row.
        row = self.row(first)
        row.sent += sent
        row.refused += n - sent
        lags = [min(max(since - off, 1), HIGHEST_NS) for off in offsets]
        worst = lags[0] / 1e6  # the earliest due message waited longest
        if row.lag_max_ms is None or worst > row.lag_max_ms:
            row.lag_max_ms = round(worst, 6)
        if first != last:
            for off, lag in zip(offsets, lags, strict=True):
                r = self.row(off // NS)
                if r.lag_max_ms is None or lag / 1e6 > r.lag_max_ms:
                    r.lag_max_ms = round(lag / 1e6, 6)
        if self.lag is not None:
            record_many(self.lag, lags)

    # -- acknowledgements --------------------------------------------------------------------

    def ack(self, report: HookReport, t_recv: int, run_id: str, due_of: DueTimes | None,
            scheduled: int, stamped: Sequence[bool]) -> None:  # fmt: skip
        """Match one 2102 report to a stamped message and record its latency."""
        got = extract_stamps(report.arguments)
        if got is None or (got[0] is not None and got[0] != run_id):
            self.unmatched += 1
            return
        _, seq, due = got
        if seq >= scheduled or not stamped[seq % len(stamped)]:
            self.unmatched += 1
            return
        byte, bit = divmod(seq, 8)
        bits = self._acked_bits
        if byte >= len(bits):
            bits.extend(bytes(byte - len(bits) + 1 + (len(bits) >> 3)))
        if bits[byte] >> bit & 1:
            self.unmatched += 1  # a duplicate
            return
        bits[byte] |= 1 << bit
        self.acked += 1
        if due is None and due_of is not None:
            due = due_of(seq)
        if due is None:
            return
        latency = min(max(t_recv - (self.t0 + due), 1), HIGHEST_NS)
        self.latency.record_value(latency)
        r = due // NS if self.shaped else (t_recv - self.t0) // NS
        row = self.row(r)
        row.acked += 1
        key = min(max(r, 0), MAX_ROWS - 1)
        hist = self._open.get(key)
        if hist is None:
            if self._open and key < min(self._open):  # late: the row is closed
                row.latency_max_ms = max(row.latency_max_ms or 0.0, latency / 1e6)
                return
            hist = self._spare.pop() if self._spare else new_histogram()
            self._open[key] = hist
            while len(self._open) > OPEN_ROWS:
                self._close(min(self._open))
        hist.record_value(latency)

    def _close(self, key: int) -> None:
        hist = self._open.pop(key)
        row = self.rows[key]
        row.latency_p50_ms = hist.get_value_at_percentile(50) / 1e6
        row.latency_p99_ms = hist.get_value_at_percentile(99) / 1e6
        row.latency_max_ms = max(row.latency_max_ms or 0.0, hist.get_max_value() / 1e6)
        hist.reset()
        self._spare.append(hist)

    def finish(self) -> None:
        """Fix the percentiles of the rows still open."""
        for key in sorted(self._open):
            self._close(key)

    # -- worker processes --------------------------------------------------------------------

    def export(self) -> dict[str, Any]:
        """A picklable summary (histograms encoded) for :meth:`merge`."""
        self.finish()
        lag = self.lag
        return {
            "rows": [tuple(vars(r).values()) for r in self.rows],
            "lag": lag.encode().decode() if lag is not None and lag.get_total_count() else None,
            "attempted": self.attempted,
            "stamped": self.stamped,
            "batches": self.batches,
        }

    def merge(self, data: dict[str, Any]) -> None:
        """Add a worker's :meth:`export` to this one."""
        self.attempted += data["attempted"]
        self.stamped += data["stamped"]
        self.batches += data["batches"]
        if data["lag"] is not None:
            if self.lag is None:
                self.lag = new_histogram()
            self.lag.add(HdrHistogram.decode(data["lag"]))
        for values in data["rows"]:
            theirs = TimelineRow(*values)
            mine = self.row(theirs.second)
            mine.scheduled += theirs.scheduled
            mine.sent += theirs.sent
            mine.refused += theirs.refused
            mine.acked += theirs.acked
            if theirs.lag_max_ms is not None:
                mine.lag_max_ms = max(mine.lag_max_ms or 0.0, theirs.lag_max_ms)
