"""The driver clock: runs the model's queued driver steps as wall time passes.

The model (:class:`mockhm.oned.Oned`) never runs anything by itself: a call changes what oned
changes synchronously and queues the rest as driver steps due at times of its own clock
(seconds, a float).  :class:`DriverClock` maps wall time onto that clock,
``model = wall * speed``, and in ``auto`` mode a thread runs every step as it falls due and
publishes its events.  In ``manual`` mode there is no thread: the model clock stands still and
a test moves the drivers itself (:meth:`DriverClock.step`, :meth:`DriverClock.settle`).

Everything that touches the model runs under one condition variable, :attr:`DriverClock.cond`,
and publishes while holding it, so events reach the Hook Manager in the model's order even
when several clients call at once.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from typing import Any, Final, Literal

from mockhm.wire.message import HookEvent

log = logging.getLogger("mockhm.frontend")

DriverMode = Literal["auto", "manual"]
DRIVER_MODES: Final = ("auto", "manual")

#: Default speed of the model clock against the wall clock in ``auto`` mode: a dummy driver's
#: 10 ms transient state lasts 10 µs and the scheduler's 10 s window 10 ms (fast for tests).
FAST: Final[float] = 1000.0
#: The longest the clock thread sleeps without looking again (it is woken on every call).
_MAX_NAP: Final[float] = 0.5


class DriverClock:
    """Runs ``oned``'s driver steps against the wall clock (``auto``) or on demand (``manual``).

    Args:
        oned: the model (:class:`mockhm.oned.Oned`): its ``step``, ``run_until``, ``settle``,
            ``next_due``, ``pending`` and ``clock``.
        publish: sends a list of events (called with :attr:`cond` held).
        mode: ``"auto"`` (a thread runs due steps) or ``"manual"`` (only explicit steps).
        speed: model seconds per wall second in ``auto`` mode.
    """

    def __init__(
        self,
        oned: Any,
        publish: Callable[[list[HookEvent]], object],
        *,
        mode: DriverMode = "auto",
        speed: float = FAST,
    ) -> None:
        if mode not in DRIVER_MODES:
            raise ValueError(f"drivers={mode!r}; expected one of {', '.join(map(repr, DRIVER_MODES))}")
        if not 0 < speed < math.inf:
            raise ValueError(f"speed={speed!r}: model seconds per wall second, a finite number > 0")
        self.oned = oned
        self.mode: DriverMode = mode
        self.speed = float(speed)
        self._publish = publish
        self.cond = threading.Condition(threading.RLock())
        self.errors: list[BaseException] = []
        self._closed = False
        self._t0 = time.monotonic()
        self._offset = float(oned.clock)
        self._thread: threading.Thread | None = None
        if mode == "auto":
            self._thread = threading.Thread(target=self._run, name="mockhm-drivers", daemon=True)
            self._thread.start()

    # -- the model's driver queue ------------------------------------------------------------

    def _queue(self) -> Any:
        return self.oned.cloud.drivers

    def _next_due(self) -> float | None:
        due = self.oned.next_due()
        return None if due is None else float(due)

    def model_now(self) -> float:
        """The model time that corresponds to now (``auto``), or the model clock (``manual``)."""
        if self.mode == "manual":
            return float(self.oned.clock)
        return float((time.monotonic() - self._t0) * self.speed + self._offset)

    def _resync(self) -> None:
        """After a jump of the model clock (settle), wall time continues from there."""
        ahead = float(self.oned.clock) - self.model_now()
        if self.mode == "auto" and ahead > 0:
            self._offset += ahead

    def catch_up(self) -> list[HookEvent]:
        """Run the steps already due by now (``auto``), publishing them; caller holds :attr:`cond`."""
        if self.mode == "manual":
            return []
        events: list[HookEvent] = self.oned.run_until(self.model_now())
        if events:
            self._publish(events)
        return events

    # -- explicit driving --------------------------------------------------------------------

    def step(self) -> list[HookEvent]:
        """Run the next queued driver step now and publish its events."""
        with self.cond:
            events: list[HookEvent] = self.oned.step()
            self._publish(events)
            self._resync()
            self.cond.notify_all()
            return events

    def run_until(self, when: float) -> list[HookEvent]:
        """Run the driver steps due by model time ``when`` (seconds) and publish them."""
        with self.cond:
            events: list[HookEvent] = self.oned.run_until(when)
            self._publish(events)
            self._resync()
            self.cond.notify_all()
            return events

    def settle(self, *, limit: int = 10_000) -> list[HookEvent]:
        """Run every runnable driver step now (held objects keep theirs) and publish."""
        with self.cond:
            events: list[HookEvent] = self.oned.settle(limit=limit)
            self._publish(events)
            self._resync()
            self.cond.notify_all()
            return events

    def wait_idle(self, timeout: float = 5.0) -> None:
        """Block until no runnable step is queued (``auto``: the thread ran them).

        Raises:
            TimeoutError: steps are still queued after ``timeout`` seconds.
        """
        deadline = time.monotonic() + timeout
        with self.cond:
            while self._next_due() is not None:
                if self.mode == "manual":
                    raise TimeoutError(
                        "manual drivers do not run by themselves: call step() or settle(); queued: "
                        f"{self._queue().labels()[:5]}"
                    )
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self._closed:
                    raise TimeoutError(
                        f"driver steps still queued after {timeout} s: {self._queue().labels()[:5]}"
                    )
                self.cond.wait(min(remaining, _MAX_NAP))

    def pending(self) -> int:
        """Queued driver steps, held ones included."""
        with self.cond:
            return int(self.oned.pending())

    def changed(self) -> None:
        """Wake the thread: a call queued new steps.  Caller holds :attr:`cond`."""
        self.cond.notify_all()

    # -- the thread --------------------------------------------------------------------------

    def _run(self) -> None:
        with self.cond:
            while not self._closed:
                try:
                    due = self._next_due()
                    now = self.model_now()
                    if due is not None and due <= now:
                        self.catch_up()
                        self.cond.notify_all()
                        continue
                    nap = _MAX_NAP if due is None else min(_MAX_NAP, (due - now) / self.speed)
                    self.cond.wait(max(nap, 0.0001))
                except Exception as err:  # kept for check(); the thread goes on
                    log.exception("driver step failed")
                    self.errors.append(err)
                    self.cond.wait(_MAX_NAP)

    def close(self, timeout: float = 5.0) -> None:
        """Stop the thread (if any).  Safe to call twice."""
        with self.cond:
            self._closed = True
            self.cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():  # pragma: no cover - would be a bug in _run
                self.errors.append(RuntimeError(f"driver thread did not stop within {timeout} s"))
