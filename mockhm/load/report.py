"""What a load run measured: :class:`LoadReport`, thresholds, and its JSON, CSV and plot forms.

The JSON and CSV layouts are a stable interface (``schema_version`` 1); new fields may be
added, existing ones keep their name, unit and meaning.  Times in reports are
milliseconds (``*_ms``), rates messages per second, sizes bytes.
"""

from __future__ import annotations

import csv
import html
import json
import math
import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

#: Version of the JSON/CSV layout; bumped only when a field changes meaning or is removed.
SCHEMA_VERSION: Final = 1

#: Columns of the ``--csv`` timeline, in order.
CSV_COLUMNS: Final = (
    "second",
    "scheduled",
    "sent",
    "refused",
    "acked",
    "lag_max_ms",
    "latency_p50_ms",
    "latency_p99_ms",
    "latency_max_ms",
)

#: Threshold comparison operators.
OPERATORS: Final[dict[str, Callable[[float, float], bool]]] = {
    "<=": operator.le,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    ">": operator.gt,
}

#: Metrics that count messages (a threshold value may be a count or a % of ``scheduled``).
COUNT_METRICS: Final = ("scheduled", "sent", "refused", "acked", "unacked", "loss")
#: Metrics that are durations (a threshold value takes ns, us, ms or s; ms by default).
TIME_METRICS: Final = ("pNN", "latency_min", "latency_mean", "latency_max", "lag_pNN", "lag_max")
#: Other metrics.
RATE_METRICS: Final = ("rate",)

_TIME_UNITS: Final = {"ns": 1e-6, "us": 1e-3, "µs": 1e-3, "ms": 1.0, "s": 1000.0}


@dataclass
class TimelineRow:
    """One second of the run, by scheduled send time."""

    second: int
    scheduled: int = 0
    sent: int = 0
    refused: int = 0
    acked: int = 0
    lag_max_ms: float | None = None
    latency_p50_ms: float | None = None
    latency_p99_ms: float | None = None
    latency_max_ms: float | None = None


@dataclass
class LoadReport:
    """Everything one load run measured.  Counts are messages; ``*_ms`` are milliseconds.

    ``loss`` is what the tool can *see*: in lossless mode the refused messages (plus the
    unacknowledged ones when acknowledgements are expected, plus those sent while nobody was
    subscribed: ``unrouted``, ZeroMQ delivers them to nobody); in faithful mode without
    acknowledgements it is ``None``, because a PUB socket drops at its high-water mark
    without telling the sender.
    """

    endpoint: str
    """The events endpoint the run published on."""
    mode: str
    """``"lossless"`` (refuse and count at the high-water mark) or ``"faithful"`` (drop, like one_hm)."""
    hwm: int | None
    """The send high-water mark in force."""
    processes: int
    """Publisher processes (more than one: behind a proxy)."""
    source: str
    """What was sent (generated events, a scenario, a capture, ...)."""
    shape: str
    """The rate curve, described."""
    arrivals: str
    """``"uniform"``, ``"poisson"`` or ``"none"`` (unthrottled)."""
    seed: int | None
    """The seed of events and Poisson arrivals."""
    started_at: float
    """Unix time the run started."""
    scheduled: int
    """Messages the schedule called for."""
    sent: int
    """Messages handed to ZeroMQ."""
    refused: int
    """Messages refused at the high-water mark (lossless mode)."""
    sent_bytes: int
    """Bytes of all frames sent."""
    duration_s: float
    """Seconds from the start to the last send."""
    percentiles: tuple[float, ...]
    """The percentiles reported in ``lag_ms`` and ``latency_ms``."""
    stamped: int = 0
    """Messages that carried stamps (and could be acknowledged)."""
    acks_expected: bool = False
    """``True`` when the run expected acknowledgements (``--acks``)."""
    acked: int | None = None
    """Stamped messages acknowledged by a report (``None`` without acknowledgements)."""
    unmatched_reports: int = 0
    """Reports that acknowledged no stamped message of this run."""
    lag_ms: dict[str, float] | None = None
    """Lag behind schedule: percentiles, min, mean and max, in milliseconds."""
    latency_ms: dict[str, float] | None = None
    """End-to-end latency from the scheduled send to the report: percentiles, min, mean, max."""
    timeline: list[TimelineRow] = field(default_factory=list)
    """One row per second of the schedule."""
    thresholds: list[dict[str, Any]] = field(default_factory=list)
    """Each ``--threshold`` with its actual value and verdict."""
    stopped_early: bool = False
    """``True`` when the run was stopped before the schedule ended."""
    unrouted: int = 0
    """Messages sent while no subscription was active (delivered to nobody).  Counted by the
    Hook Manager of a single-process run; load workers behind a proxy do not count it (0)."""
    mockhm: str = ""
    """The mockhm version that ran it."""
    ack_filters: tuple[str, ...] | None = None
    """With acknowledgements: the key prefixes whose messages were stamped and expected to be
    acknowledged (``None``: every message with an open template)."""
    lag_histogram: Any = field(default=None, repr=False, compare=False)
    """The HDR histogram (ns) behind ``lag_ms``; not serialised."""
    latency_histogram: Any = field(default=None, repr=False, compare=False)
    """The HDR histogram (ns) behind ``latency_ms``; not serialised."""

    # -- derived figures ---------------------------------------------------------------------

    @property
    def rate(self) -> float:
        """Messages actually sent per second of the run."""
        return self.sent / self.duration_s if self.duration_s > 0 else 0.0

    @property
    def unacked(self) -> int | None:
        """Stamped messages sent that no report acknowledged (``None`` without acks)."""
        if not self.acks_expected or self.acked is None:
            return None
        return max(self.sent_stamped - self.acked, 0)

    @property
    def sent_stamped(self) -> int:
        """Stamped messages that were sent (not refused)."""
        return min(self.stamped, self.sent)

    @property
    def loss(self) -> int | None:
        """Messages the subscriber certainly did not get, or ``None`` when it cannot be known."""
        unacked = self.unacked
        if unacked is not None:
            return self.refused + unacked
        if self.mode == "lossless":
            return self.refused + self.unrouted
        return None

    def metric(self, name: str) -> float | None:
        """The value of a threshold metric (see :func:`parse_threshold`); ``None`` if unknown."""
        counts: dict[str, int | None] = {
            "scheduled": self.scheduled, "sent": self.sent, "refused": self.refused,
            "acked": self.acked, "unacked": self.unacked, "loss": self.loss,
        }  # fmt: skip
        if name in counts:
            value = counts[name]
            return None if value is None else float(value)
        if name == "rate":
            return self.rate
        hist, pct = None, None
        if name.startswith("lag_"):
            hist = self.lag_histogram
            rest = name[4:]
            if rest == "max":
                return None if self.lag_ms is None else self.lag_ms["max"]
            pct = float(rest[1:])
        elif name in ("latency_min", "latency_mean", "latency_max"):
            return None if self.latency_ms is None else self.latency_ms[name[8:]]
        else:
            hist = self.latency_histogram
            pct = float(name[1:])
        if hist is None or hist.get_total_count() == 0:
            return None
        return float(hist.get_value_at_percentile(pct)) / 1e6

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (``schema_version`` 1)."""
        return {
            "schema_version": SCHEMA_VERSION,
            "mockhm": self.mockhm,
            "started_at": self.started_at,
            "endpoint": self.endpoint,
            "mode": self.mode,
            "hwm": self.hwm,
            "processes": self.processes,
            "source": self.source,
            "shape": self.shape,
            "arrivals": self.arrivals,
            "seed": self.seed,
            "stopped_early": self.stopped_early,
            "duration_s": round(self.duration_s, 6),
            "scheduled": self.scheduled,
            "sent": self.sent,
            "refused": self.refused,
            "unrouted": self.unrouted,
            "sent_bytes": self.sent_bytes,
            "rate": round(self.rate, 3),
            "stamped": self.stamped,
            "acks_expected": self.acks_expected,
            "ack_filters": None if self.ack_filters is None else list(self.ack_filters),
            "acked": self.acked,
            "unacked": self.unacked,
            "unmatched_reports": self.unmatched_reports,
            "loss": self.loss,
            "loss_visible": self.loss is not None,
            "percentiles": list(self.percentiles),
            "lag_ms": self.lag_ms,
            "latency_ms": self.latency_ms,
            "thresholds": self.thresholds,
            "timeline": [vars(row) for row in self.timeline],
        }

    def write_json(self, path: str | Path) -> None:
        """Write :meth:`to_dict` as indented JSON."""
        Path(path).write_text(json.dumps(self.to_dict(), indent=2) + "\n", encoding="utf-8")

    def write_csv(self, path: str | Path) -> None:
        """Write the per-second timeline, columns :data:`CSV_COLUMNS` (empty cell = no value)."""
        with Path(path).open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(CSV_COLUMNS)
            for row in self.timeline:
                writer.writerow(["" if (v := getattr(row, c)) is None else v for c in CSV_COLUMNS])

    def write_plot(self, path: str | Path) -> None:
        """Plot rate and latency per second: PNG (needs matplotlib, extra ``plot``) or HTML.

        Raises:
            ModuleNotFoundError: a PNG was asked for and matplotlib is not installed.
        """
        p = Path(path)
        if p.suffix.lower() in (".html", ".htm"):
            p.write_text(_html_plot(self), encoding="utf-8")
            return
        try:
            import matplotlib

            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
        except ModuleNotFoundError as err:
            raise ModuleNotFoundError(
                f"--plot {p}: PNG plots need matplotlib (pip install 'mockhm[plot]'), or use a .html path"
            ) from err
        secs = [r.second for r in self.timeline]
        fig, (ax1, ax2) = plt.subplots(2, 1, sharex=True, figsize=(9, 6))
        ax1.plot(secs, [r.scheduled for r in self.timeline], label="scheduled/s", drawstyle="steps-post")
        ax1.plot(secs, [r.sent for r in self.timeline], label="sent/s", drawstyle="steps-post")
        if self.mode == "lossless":
            ax1.plot(secs, [r.refused for r in self.timeline], label="refused/s", drawstyle="steps-post")
        if self.acks_expected:
            ax1.plot(secs, [r.acked for r in self.timeline], label="acked/s", drawstyle="steps-post")
        ax1.set_ylabel("messages per second")
        ax1.legend()
        for col in ("latency_p50_ms", "latency_p99_ms", "lag_max_ms"):
            values = [getattr(r, col) for r in self.timeline]
            if any(v is not None for v in values):
                ax2.plot(secs, [math.nan if v is None else v for v in values], label=col)
        ax2.set_ylabel("ms")
        ax2.set_xlabel("second of the run (by scheduled send time)")
        ax2.legend()
        fig.suptitle(f"mockhm load: {self.shape} -> {self.endpoint} ({self.mode})")
        fig.tight_layout()
        fig.savefig(p)
        plt.close(fig)


def _html_plot(report: LoadReport) -> str:
    """A dependency-free HTML page with two inline SVG line charts."""

    def chart(series: Mapping[str, Sequence[float | None]], ylabel: str) -> str:
        # Each timeline row covers its second [x, x + 1): drawn as steps, so that a run of one
        # second still shows its lines; the legend sits in a margin of its own, right of the plot.
        plot, legend, height, pad = 760, 170, 240, 40
        xs = [r.second for r in report.timeline] or [0]
        ys = [v for s in series.values() for v in s if v is not None] or [0.0]
        xmin, xmax, ymax = min(xs), max(xs) + 1, max(max(ys), 1e-9)
        span = max(xmax - xmin, 1)
        colors = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728")

        def point(x: float, v: float) -> str:
            px = pad + (x - xmin) / span * (plot - 2 * pad)
            return f"{px:.1f},{height - pad - v / ymax * (height - 2 * pad):.1f}"

        lines = []
        for i, ((name, values), color) in enumerate(zip(series.items(), colors, strict=False)):
            pts = " ".join(
                f"{point(x, v)} {point(x + 1, v)}" for x, v in zip(xs, values, strict=False) if v is not None
            )
            label = html.escape(name)
            lines.append(
                f'<polyline fill="none" stroke="{color}" points="{pts}"><title>{label}</title></polyline>'
            )
            lines.append(f'<text x="{plot + 10}" y="{pad + 16 * i}" fill="{color}">{label}</text>')
        return (
            f'<svg width="{plot + legend}" height="{height}" xmlns="http://www.w3.org/2000/svg">'
            f'<rect width="{plot}" height="{height}" fill="white" stroke="#ccc"/>'
            f'<text x="4" y="14">{html.escape(ylabel)} (max {ymax:g})</text>'
            f'<text x="{pad}" y="{height - 8}">second {xmin}</text>'
            f'<text x="{plot - pad}" y="{height - 8}" text-anchor="end">second {xmax}</text>'
            + "".join(lines)
            + "</svg>"
        )

    rows = report.timeline
    rate = {"scheduled/s": [r.scheduled for r in rows], "sent/s": [r.sent for r in rows]}
    if report.mode == "lossless":
        rate["refused/s"] = [r.refused for r in rows]
    if report.acks_expected:
        rate["acked/s"] = [r.acked for r in rows]
    latency = {
        "latency p50 ms": [r.latency_p50_ms for r in rows],
        "latency p99 ms": [r.latency_p99_ms for r in rows],
        "lag max ms": [r.lag_max_ms for r in rows],
    }
    return (
        "<!doctype html><meta charset='utf-8'><link rel='icon' href='data:,'><title>mockhm load</title>"
        f"<h1>mockhm load</h1><p>{report.shape} &rarr; {report.endpoint} ({report.mode})</p>"
        + chart(rate, "messages per second")
        + "<br>"
        + chart(latency, "milliseconds")
        + "<pre>"
        + json.dumps({k: v for k, v in report.to_dict().items() if k != "timeline"}, indent=2)
        + "</pre>"
    )


# -- thresholds --------------------------------------------------------------------------------

_THRESHOLD = re.compile(
    r"^\s*([a-z_]+(?:[0-9]+(?:\.[0-9]+)?)?)\s*(<=|>=|==|!=|<|>)\s*([0-9]*\.?[0-9]+)\s*([a-zµ%]*)\s*$"
)
_PERCENTILE = re.compile(r"^(lag_)?p([0-9]+(?:\.[0-9]+)?)$")


@dataclass(frozen=True)
class Threshold:
    """A pass/fail criterion such as ``p99<50ms`` or ``loss==0``."""

    text: str
    metric: str
    op: str
    value: float
    #: ``True`` when ``value`` is a percentage of ``scheduled`` (count metrics with ``%``).
    percent: bool = False

    def check(self, report: LoadReport) -> dict[str, Any]:
        """Evaluate against ``report``: ``{"threshold", "metric", "actual", "ok", "why"}``."""
        actual = report.metric(self.metric)
        if actual is None:
            why = (
                "unknown in this run (faithful mode: PUB drops are invisible to the sender; use "
                "--lossless or --acks)"
                if self.metric in ("loss", "unacked")
                else "unknown in this run (no acknowledged reports; use --acks with a HEM-style subscriber)"
                if self.metric not in ("lag_max",) and not self.metric.startswith("lag_")
                else "unknown in this run (no paced schedule)"
            )
            return {"threshold": self.text, "metric": self.metric, "actual": None, "ok": False, "why": why}
        compared = actual
        if self.percent:
            compared = 100.0 * actual / report.scheduled if report.scheduled else 0.0
        ok = OPERATORS[self.op](compared, self.value)
        return {"threshold": self.text, "metric": self.metric, "actual": actual, "ok": ok, "why": None}


def parse_threshold(text: str) -> Threshold:
    """Parse ``METRIC OP VALUE[UNIT]``.

    Metrics: counts ``scheduled sent refused acked unacked loss`` (value a count, or ``N%``
    of scheduled); durations ``pNN`` (end-to-end latency percentile, e.g. ``p99``, ``p99.9``),
    ``latency_min latency_mean latency_max lag_pNN lag_max`` (value with ``ns us ms s``,
    default ``ms``); ``rate`` (messages per second).  Operators: ``< <= > >= == !=``.

    Raises:
        ValueError: naming the threshold, the allowed metrics, operators and units.
    """
    allowed = (
        f"metrics: {' '.join(COUNT_METRICS)} (count or N%), {' '.join(TIME_METRICS)} "
        f"(with {'/'.join(u for u in _TIME_UNITS if u != 'µs')}, default ms), rate (messages/s); "
        f"operators: {' '.join(OPERATORS)}"
    )
    m = _THRESHOLD.match(text)
    if not m:
        raise ValueError(
            f"threshold {text!r}: expected METRIC OP VALUE, e.g. 'p99<50ms' or 'loss==0'; {allowed}"
        )
    metric, op, number, unit = m.groups()
    value = float(number)
    pm = _PERCENTILE.match(metric)
    if pm and not 0 < float(pm.group(2)) <= 100:
        raise ValueError(f"threshold {text!r}: percentile {pm.group(2)} must be in (0, 100]")
    is_time = bool(pm) or metric in TIME_METRICS
    if metric in COUNT_METRICS:
        if unit not in ("", "%"):
            raise ValueError(f"threshold {text!r}: {metric} takes a count or N%, not {unit!r}")
        return Threshold(text, metric, op, value, percent=unit == "%")
    if is_time:
        if unit not in ("", *_TIME_UNITS):
            raise ValueError(f"threshold {text!r}: unit {unit!r} not allowed; use ns, us, ms or s")
        return Threshold(text, metric, op, value * _TIME_UNITS[unit or "ms"])
    if metric == "rate":
        if unit not in ("", "/s"):
            raise ValueError(f"threshold {text!r}: rate takes messages per second without a unit")
        return Threshold(text, metric, op, value)
    raise ValueError(f"threshold {text!r}: unknown metric {metric!r}; {allowed}")
