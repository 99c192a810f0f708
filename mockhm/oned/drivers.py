"""Simulated drivers: continuations of oned's actions queued as steps with a due time.

A call to oned changes what it changes synchronously and hands the rest to a driver
(the dummy VMM/TM/IM drivers, the scheduler, the monitor).  Here each continuation is a
:class:`Step` in a :class:`DriverQueue`, due at a time of the model clock (seconds, a
float).  Nothing runs by itself: :meth:`DriverQueue.step` runs the earliest due step,
:meth:`DriverQueue.run_until` every step due by a time, :meth:`DriverQueue.settle` all of
them.  A held object keeps its steps queued until it is released.  Pure: no threads.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

from mockhm.wire.message import HookEvent

Events = list[HookEvent]

#: How long a dummy driver operation takes (the captures show ~10 ms per transient state).
DRIVER_DELAY: Final = 0.01
#: ``SCHED_MAX_WND_TIME`` of oned.conf: a placement request waits for the scheduler window
#: (``src/schedm/SchedulerManager.cc@release-7.4.0``; ``share/etc/oned.conf@release-7.4.0``).
SCHED_WINDOW: Final = 10.0
#: Time from ``one.host.allocate`` to the first monitor of a host (the captures show 3-5 s).
MONITOR_DELAY: Final = 2.0

#: Object kinds a step can belong to (for :meth:`DriverQueue.hold`).
KINDS: Final = ("vm", "host", "image", "net", "scheduler")


@dataclass(order=True)
class Step:
    """One queued driver continuation."""

    due: float
    seq: int
    label: str = field(compare=False)
    kind: str = field(compare=False)
    oid: int = field(compare=False)
    run: Callable[[], Events] = field(compare=False, repr=False)


class DriverQueue:
    """The queue of driver steps and the model clock they run on."""

    def __init__(self) -> None:
        self.clock = 0.0
        self._steps: list[Step] = []
        self._seq = 0
        self._held: set[tuple[str, int]] = set()

    def push(self, delay: float, label: str, kind: str, oid: int, run: Callable[[], Events]) -> None:
        """Queue ``run`` to be due ``delay`` seconds from now."""
        self._seq += 1
        heapq.heappush(self._steps, Step(self.clock + delay, self._seq, label, kind, oid, run))

    def pending(self) -> int:
        """Queued steps (held ones included)."""
        return len(self._steps)

    def labels(self) -> list[str]:
        """What is queued, earliest first (for messages and tests)."""
        return [f"{s.label} ({s.kind} {s.oid}) at {s.due:.3f}" for s in sorted(self._steps)]

    def next_due(self) -> float | None:
        """Due time of the earliest runnable step, or ``None``."""
        runnable = [s.due for s in self._steps if (s.kind, s.oid) not in self._held]
        return min(runnable) if runnable else None

    def hold(self, kind: str, oid: int) -> None:
        """Keep ``kind`` ``oid`` where it is: its steps stay queued until :meth:`unhold`."""
        if kind not in KINDS:
            raise ValueError(f"cannot hold {kind!r}; expected one of {', '.join(KINDS)}")
        self._held.add((kind, oid))

    def unhold(self, kind: str, oid: int) -> None:
        """Let the steps of a held object run again."""
        self._held.discard((kind, oid))

    def step(self) -> Events:
        """Run the earliest due runnable step (moving the clock to its due time)."""
        runnable = sorted(s for s in self._steps if (s.kind, s.oid) not in self._held)
        if not runnable:
            return []
        chosen = runnable[0]
        self._steps.remove(chosen)
        heapq.heapify(self._steps)
        self.clock = max(self.clock, chosen.due)
        return chosen.run()

    def run_until(self, when: float, *, limit: int = 10_000) -> Events:
        """Run every runnable step due by ``when``, then move the clock to ``when``."""
        events: Events = []
        for _ in range(limit):
            due = self.next_due()
            if due is None or due > when:
                break
            events += self.step()
        else:
            raise RuntimeError(f"drivers did not settle within {limit} steps: {self.labels()[:5]}")
        self.clock = max(self.clock, when)
        return events

    def settle(self, *, limit: int = 10_000) -> Events:
        """Run steps until none is runnable (held objects keep theirs)."""
        events: Events = []
        for _ in range(limit):
            if self.next_due() is None:
                return events
            events += self.step()
        raise RuntimeError(f"drivers did not settle within {limit} steps: {self.labels()[:5]}")
