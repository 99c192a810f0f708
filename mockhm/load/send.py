"""Sending a load run: rendered chunks out on an absolute schedule, every due message in one batch."""

from __future__ import annotations

import bisect
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Final

from mockhm.load.accounting import NS, Accounting
from mockhm.load.render import Chunk, Frames

#: How often ``on_tick`` runs during a run (ns): progress and reading acknowledgements.
TICK_NS: Final = NS // 4


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


def pace(
    send_many: Callable[[Sequence[Frames]], int],
    chunks: Iterable[Chunk],
    t0: int,
    acct: Accounting,
    *,
    stop: threading.Event | None = None,
    on_tick: Callable[[int, int, int, float], None] | None = None,
) -> int:
    """Send every chunk's ``frames[k]`` at ``t0 + offsets[k]`` (monotonic ns); return the end time.

    What is due goes out in one :meth:`~mockhm.HookManager.send_many` batch (at most a chunk);
    the schedule never shifts (open model).  ``on_tick(now, attempted, sent, lag_ms)`` runs
    about every :data:`TICK_NS`.
    """
    mono = time.monotonic_ns
    sleep = time.sleep
    bisect_right = bisect.bisect_right
    next_tick = 0
    attempted = sent_total = 0
    stopped = False
    for chunk in chunks:
        offsets, frames, stamped = chunk.offsets, chunk.frames, chunk.stamped
        n = len(frames)
        i = 0
        while i < n:
            now = mono()
            due = t0 + offsets[i]
            if due > now:
                if stop is not None and stop.is_set():
                    stopped = True
                    break
                sleep((due - now) / NS)
                continue
            j = max(bisect_right(offsets, now - t0, i, n), i + 1)
            sent = send_many(frames[i:j] if i or j < n else frames)
            # A chunk's stamped count is shared out over its batches (exact once the chunk is sent).
            acct.batch(offsets[i:j], now, sent, stamped * j // n - stamped * i // n)
            attempted += j - i
            sent_total += sent
            i = j
            if on_tick is not None and now >= next_tick:
                next_tick = now + TICK_NS
                on_tick(now, attempted, sent_total, (now - due) / 1e6)
            if stop is not None and stop.is_set():
                stopped = True
                break
        if stopped:
            break
    return mono()
