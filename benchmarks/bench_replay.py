"""Replay timing: lateness against schedule at 1,000 msg/s for 10 s and at 10,000 msg/s.

Run as a script: ``python benchmarks/bench_replay.py [--runs N] [--quick]``.  A mock Hook
Manager on 127.0.0.1 replays a synthetic stream of real 7.4 messages while a SUB socket in
another thread drains it; lateness is ``send time - (t0 + offset)`` as measured by
:func:`mockhm.streams.replay.replay`.  The same schedule through a raw pyzmq PUB socket is the
baseline (what the scheduler costs without the Hook Manager's lock and bookkeeping).
Goal: p99 < 1 ms at 1,000 msg/s.
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time

import zmq

from mockhm import HookManager
from mockhm.streams.replay import _percentile, sleep_until
from mockhm.streams.scenario import TimedMessage, load_scenario


def stream(rate: float, seconds: float) -> list[TimedMessage]:
    frames = [m.frames for m in load_scenario("vm-lifecycle").messages]
    n = int(rate * seconds)
    return [TimedMessage(i / rate, frames[i % len(frames)]) for i in range(n)]


def drain(endpoint: str, stop: threading.Event, ready: threading.Event) -> None:
    sub = zmq.Context.instance().socket(zmq.SUB)
    sub.setsockopt(zmq.LINGER, 0)
    sub.setsockopt(zmq.SUBSCRIBE, b"")
    sub.connect(endpoint)
    ready.set()
    try:
        while not stop.is_set():
            while sub.poll(50):
                sub.recv_multipart()
    finally:
        sub.close(0)


def run_mockhm(msgs: list[TimedMessage]) -> list[float]:
    from mockhm.streams.replay import replay

    with HookManager("tcp://127.0.0.1:*", None, journal=False, hwm=100_000) as hm:
        stop, ready = threading.Event(), threading.Event()
        t = threading.Thread(target=drain, args=(hm.events_endpoint, stop, ready))
        t.start()
        hm.wait_for_subscribers(1)
        report = replay(msgs, hm, echo=None)
        stop.set()
        t.join(5)
    return [report.lag_median, report.lag_p99, report.lag_max, report.refused]


def run_raw(msgs: list[TimedMessage]) -> list[float]:
    ctx = zmq.Context.instance()
    pub = ctx.socket(zmq.PUB)
    pub.setsockopt(zmq.LINGER, 0)
    pub.setsockopt(zmq.SNDHWM, 100_000)
    port = pub.bind_to_random_port("tcp://127.0.0.1")
    stop, ready = threading.Event(), threading.Event()
    t = threading.Thread(target=drain, args=(f"tcp://127.0.0.1:{port}", stop, ready))
    t.start()
    ready.wait(5)
    time.sleep(0.3)  # raw PUB has no subscription notice; the baseline only needs the schedule
    lags = []
    start = time.monotonic()
    for m in msgs:
        due = start + m.t
        sleep_until(due)
        lags.append(max(0.0, time.monotonic() - due))
        pub.send_multipart(m.frames)
    stop.set()
    t.join(5)
    pub.close(0)
    lags.sort()
    return [statistics.median(lags), _percentile(lags, 0.99), lags[-1], 0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="2 s per case instead of 10 s / 3 s")
    args = parser.parse_args()
    cases = [(1_000.0, 2.0 if args.quick else 10.0), (10_000.0, 2.0 if args.quick else 3.0)]
    for rate, seconds in cases:
        msgs = stream(rate, seconds)
        for name, fn in (("mockhm replay", run_mockhm), ("raw pyzmq  ", run_raw)):
            results = [fn(msgs) for _ in range(args.runs)]
            med = [r[0] * 1e3 for r in results]
            p99 = [r[1] * 1e3 for r in results]
            mx = [r[2] * 1e3 for r in results]
            print(
                f"{rate:>7,.0f} msg/s x {seconds:g} s  {name}: lateness median "
                f"{statistics.median(med):.3f} ms (runs {min(med):.3f}-{max(med):.3f}), p99 "
                f"{statistics.median(p99):.3f} ms (runs {min(p99):.3f}-{max(p99):.3f}), max "
                f"{statistics.median(mx):.3f} ms (runs {min(mx):.3f}-{max(mx):.3f}); refused "
                f"{sum(int(r[3]) for r in results)}",
                flush=True,
            )


if __name__ == "__main__":
    main()
