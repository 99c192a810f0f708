"""Load shapes and schedules: when each message of a load run is due (open model).

A :class:`Shape` is a piecewise-linear rate curve in messages per second.  Constant,
ramp, steps, spike and k6-style stages are all such curves.  :func:`schedule` turns a
shape into absolute offsets (nanoseconds from the start of the run), evenly spaced
(``uniform``) or as a Poisson process (``poisson``) with the same rate curve.  The
sender then waits for ``t0 + offset`` (an absolute deadline), never for a delta, so the
schedule cannot drift.
"""

from __future__ import annotations

import itertools
import math
import random
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Final, Literal

Arrivals = Literal["uniform", "poisson"]

#: The shape names :func:`parse_shape` accepts.
SHAPE_NAMES: Final = ("constant", "ramp", "steps", "spike", "stages")

_NS: Final = 1_000_000_000


@dataclass(frozen=True)
class Shape:
    """A rate curve: ``points`` are ``(seconds, messages per second)``, linear in between.

    Two points at the same time make a step.  ``open_ended`` shapes keep the last rate
    after the last point (a constant rate given only a message count).
    """

    points: tuple[tuple[float, float], ...]
    """``(seconds from the start, messages per second)``, in time order."""
    description: str
    """How the shape was given, for reports (``constant 500/s for 10s``)."""
    open_ended: bool = False
    """Keep the last rate after the last point (a run then needs a message count)."""

    def __post_init__(self) -> None:
        if not self.points:
            raise ValueError("a shape needs at least one point")
        last = 0.0
        for t, r in self.points:
            if t < last:
                raise ValueError(f"shape {self.description!r}: times must not go back ({t} after {last})")
            if r < 0 or math.isnan(r) or math.isinf(r):
                raise ValueError(f"shape {self.description!r}: rate {r} must be a finite number >= 0")
            last = t

    @property
    def duration(self) -> float:
        """Seconds from the first point to the last."""
        return self.points[-1][0]

    def rate_at(self, t: float) -> float:
        """The scheduled rate at ``t`` seconds (the later value at a step)."""
        pts = self.points
        if t >= pts[-1][0]:
            return pts[-1][1] if self.open_ended or t == pts[-1][0] else 0.0
        for (ta, ra), (tb, rb) in itertools.pairwise(pts):
            if ta <= t < tb:
                return ra + (rb - ra) * (t - ta) / (tb - ta)
        return pts[0][1]

    # -- constructors ----------------------------------------------------------------------

    @classmethod
    def constant(cls, rate: float, duration: float | None = None) -> Shape:
        """``rate`` messages per second for ``duration`` seconds (or until a count is reached)."""
        if not 0 < rate < math.inf:
            raise ValueError(f"constant rate must be a finite number > 0, got {rate}")
        if duration is not None and not 0 <= duration < math.inf:
            raise ValueError(f"duration must be a finite number of seconds, 0 or more, got {duration}")
        if duration is None:
            return cls(((0.0, rate),), f"constant {rate:g}/s", open_ended=True)
        return cls(((0.0, rate), (duration, rate)), f"constant {rate:g}/s for {duration:g} s")

    @classmethod
    def ramp(cls, start: float, end: float, duration: float) -> Shape:
        """A linear ramp from ``start`` to ``end`` messages per second over ``duration`` seconds."""
        return cls(((0.0, start), (duration, end)), f"ramp {start:g}->{end:g}/s over {duration:g} s")

    @classmethod
    def steps(cls, steps: Sequence[tuple[float, float]]) -> Shape:
        """Constant ``(rate, seconds)`` steps one after the other."""
        if not steps:
            raise ValueError("steps need at least one (rate, seconds) pair")
        points: list[tuple[float, float]] = []
        t = 0.0
        for rate, seconds in steps:
            if seconds <= 0:
                raise ValueError(f"step durations must be > 0, got {seconds}")
            points += [(t, rate), (t + seconds, rate)]
            t += seconds
        desc = ", ".join(f"{r:g}/s x {s:g} s" for r, s in steps)
        return cls(tuple(points), f"steps {desc}")

    @classmethod
    def spike(cls, base: float, peak: float, duration: float, at: float, length: float) -> Shape:
        """``base`` per second, jumping to ``peak`` at ``at`` seconds for ``length`` seconds."""
        if not (at >= 0 and length > 0 and at + length <= duration):  # also NaN
            raise ValueError(f"spike at {at:g} s lasting {length:g} s must fit in {duration:g} s")
        pts = (
            (0.0, base),
            (at, base),
            (at, peak),
            (at + length, peak),
            (at + length, base),
            (duration, base),
        )
        return cls(pts, f"spike {base:g}/s -> {peak:g}/s at {at:g} s for {length:g} s (of {duration:g} s)")

    @classmethod
    def stages(cls, stages: Sequence[tuple[float, float]], start: float = 0.0) -> Shape:
        """k6-style stages: ramp linearly to ``target`` over ``seconds`` for each ``(seconds, target)``."""
        points = [(0.0, start)]
        t = 0.0
        for seconds, target in stages:
            t += seconds
            points.append((t, target))
        desc = ", ".join(f"{s:g} s -> {r:g}/s" for s, r in stages)
        return cls(tuple(points), f"stages from {start:g}/s: {desc}")


def _inverse(shape: Shape, targets: Iterable[float]) -> Iterator[int]:
    """Times (ns) at which the cumulative count of ``shape`` reaches each of ``targets`` (sorted)."""
    pts = list(shape.points)
    if shape.open_ended:
        pts.append((math.inf, pts[-1][1]))
    seg = 0
    base = 0.0  # cumulative count at the start of segment ``seg``
    it = iter(targets)
    target = next(it, None)
    while seg < len(pts) - 1 and target is not None:
        (ta, ra), (tb, rb) = pts[seg], pts[seg + 1]
        length = tb - ta
        if length == 0:
            seg += 1
            continue
        slope = 0.0 if math.isinf(length) else (rb - ra) / length
        total = math.inf if math.isinf(length) else (ra + rb) / 2 * length
        while target is not None and target - base <= total:
            x = target - base
            # Solve ra*tau + slope*tau^2/2 = x, in the form that is stable when slope ~ 0.
            root = math.sqrt(max(ra * ra + 2 * slope * x, 0.0))
            tau = 0.0 if x == 0 else 2 * x / (ra + root) if ra + root > 0 else 0.0
            yield int((ta + min(tau, length)) * _NS)
            target = next(it, None)
        base += total
        seg += 1


def _limit(shape: Shape, count: int | None) -> float:
    if shape.open_ended:
        return float(count or 0)
    pts = shape.points
    return sum((ra + rb) / 2 * (tb - ta) for (ta, ra), (tb, rb) in itertools.pairwise(pts))


def _check(shape: Shape, count: int | None, arrivals: str) -> None:
    if shape.open_ended and count is None:
        raise ValueError(f"{shape.description}: give a duration or a message count")
    if arrivals not in ("uniform", "poisson"):
        raise ValueError(f"arrivals must be 'uniform' or 'poisson', got {arrivals!r}")


def iter_schedule(
    shape: Shape | None,
    count: int | None = None,
    *,
    arrivals: Arrivals = "uniform",
    seed: int | None = 0,
) -> Iterator[int]:
    """:func:`schedule` as an iterator, in constant memory (load runs of any length).

    ``shape=None`` is an unthrottled run: ``count`` offsets of 0.
    """
    if shape is None:
        if count is None:
            raise ValueError("an unthrottled run (no shape) needs a message count")
        return itertools.repeat(0, count)
    _check(shape, count, arrivals)
    limit = _limit(shape, count)
    targets: Iterable[float]
    if arrivals == "uniform":
        n = math.ceil(limit) if not math.isinf(limit) else 0
        targets = map(float, range(n if count is None else min(n, count)))
    else:
        targets = _poisson(shape.open_ended, limit, count, random.Random(seed))
    return _inverse(shape, targets)


def _poisson(open_ended: bool, limit: float, count: int | None, rng: random.Random) -> Iterator[float]:
    x = rng.expovariate(1.0)
    n = 0
    while (open_ended or x <= limit) and (count is None or n < count):
        yield x
        n += 1
        x += rng.expovariate(1.0)


def scheduled_count(shape: Shape | None, count: int | None = None, *, arrivals: Arrivals = "uniform",
                    seed: int | None = 0) -> int:  # fmt: skip
    """How many messages :func:`iter_schedule` yields (counted without keeping them)."""
    if shape is None:
        return count or 0
    _check(shape, count, arrivals)
    if arrivals == "uniform":
        limit = _limit(shape, count)
        n = math.ceil(limit)
        return n if count is None else min(n, count)
    return sum(1 for _ in iter_schedule(shape, count, arrivals=arrivals, seed=seed))


def schedule(
    shape: Shape,
    count: int | None = None,
    *,
    arrivals: Arrivals = "uniform",
    seed: int | None = 0,
) -> list[int]:
    """Offsets in nanoseconds from the start of the run at which each message is due.

    Args:
        shape: the rate curve.
        count: stop after this many messages (required for open-ended shapes).
        arrivals: ``uniform`` spaces messages evenly along the curve; ``poisson`` draws
            exponential gaps (a non-homogeneous Poisson process with the same mean rate).
        seed: seeds the Poisson draws.

    Raises:
        ValueError: an open-ended shape without a count, or an unknown ``arrivals``.
    """
    return list(iter_schedule(shape, count, arrivals=arrivals, seed=seed))


# -- parsing (the command line) ------------------------------------------------------------

_DURATION = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*(ms|s|m|h)?\s*$")


def parse_duration(text: str) -> float:
    """``"10"``, ``"10s"``, ``"500ms"``, ``"2m"``, ``"1h"`` -> seconds.

    Raises:
        ValueError: naming the text and the allowed units.
    """
    m = _DURATION.match(text)
    if not m:
        raise ValueError(f"duration {text!r}: expected a number with an optional unit ms, s, m or h")
    unit = {"ms": 0.001, "s": 1.0, None: 1.0, "m": 60.0, "h": 3600.0}[m.group(2)]
    return float(m.group(1)) * unit


#: The highest rate a shape may ask for, as ``--rate`` (``mockhm.cli.args.MAX_RATE``): a run
#: sends every message it scheduled, so an absurd rate would run for ever behind its schedule.
MAX_SHAPE_RATE: Final = 1e9


def _rate(text: str, where: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{where}: rate {text!r} is not a number of messages per second") from None
    if not 0 <= value <= MAX_SHAPE_RATE:  # also NaN
        raise ValueError(f"{where}: rate {text!r} must be 0..{MAX_SHAPE_RATE:g} messages per second")
    return value


def parse_shape(text: str, duration: float | None) -> Shape:
    """Parse ``--shape``; ``duration`` (seconds) comes from ``--duration`` where the shape needs it.

    Forms: ``constant:RATE``, ``ramp:FROM:TO``, ``steps:RATE@DUR,RATE@DUR,...``,
    ``spike:BASE:PEAK:AT:LENGTH`` and ``stages:DUR@RATE,DUR@RATE,...`` (k6-style, from 0).

    Raises:
        ValueError: naming the part that is wrong and the allowed forms.
    """
    name, _, rest = text.partition(":")
    where = f"--shape {text!r}"
    forms = "constant:RATE, ramp:FROM:TO, steps:RATE@DUR,..., spike:BASE:PEAK:AT:LENGTH, stages:DUR@RATE,..."
    parts = rest.split(":") if rest else []

    def need_duration() -> float:
        if duration is None:
            raise ValueError(f"{where}: this shape needs --duration")
        return duration

    if name == "constant" and len(parts) == 1:
        return Shape.constant(_rate(parts[0], where), duration)
    if name == "ramp" and len(parts) == 2:
        return Shape.ramp(_rate(parts[0], where), _rate(parts[1], where), need_duration())
    if name in ("steps", "stages") and len(parts) == 1:
        pairs: list[tuple[str, str]] = []
        for item in parts[0].split(","):
            a, sep, b = item.partition("@")
            if not sep:
                raise ValueError(
                    f"{where}: {item!r} should look like {'RATE@DUR' if name == 'steps' else 'DUR@RATE'}"
                )
            pairs.append((a, b))
        if name == "steps":
            return Shape.steps([(_rate(a, where), parse_duration(b)) for a, b in pairs])
        return Shape.stages([(parse_duration(a), _rate(b, where)) for a, b in pairs])
    if name == "spike" and len(parts) == 4:
        return Shape.spike(
            _rate(parts[0], where), _rate(parts[1], where), need_duration(),
            parse_duration(parts[2]), parse_duration(parts[3]),
        )  # fmt: skip
    raise ValueError(f"{where}: unknown shape; allowed forms: {forms}")
