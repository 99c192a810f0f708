"""Unthrottled throughput of ``mockhm load`` against a raw pyzmq loop, and zero loss (issue 7).

Run as a script (takes about a minute on 2 cores)::

    python benchmarks/bench_throughput.py [--rounds 7] [--quick] [--json PATH]

For bodies of about 1 KB, 8 KB and 40 KB the same pre-rendered frames go out, in
alternating rounds, through

* ``raw``: a pyzmq XPUB socket with the same options as the Hook Manager's in lossless mode
  (LINGER 0, XPUB_VERBOSER, SNDHWM, XPUB_NODROP), ``send_multipart(frames, NOBLOCK, copy=False)``
  in a plain loop;
* ``load``: :func:`mockhm.load.run.run_load` with no shape (as fast as possible), i.e.
  ``HookManager.send_many`` in batches, counters and all;
* ``send_frames``: ``HookManager.send_frames`` once per message (the general-purpose path,
  for comparison).

Throughput is messages sent per second of the send loop; the ratio is ``load / raw`` of the
same round pair (median with min..max).  A counting subscriber in another process on
127.0.0.1 receives every round; the round is lossless when it counted every message sent.
The HWM is larger than a round, so nothing is refused and the sender is never throttled by
the subscriber.  Targets: ratio >= 0.85 for 8 KB and 40 KB bodies, >= 0.6 for 1 KB.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import platform
import statistics
import time
from typing import Any

import zmq
from bench_send import END, QUIT, py_subscriber

from mockhm import HookManager
from mockhm.load.run import Rendered, generated_pool, render, run_load, stamp_point

# The markers and the counting subscriber (another process) are bench_send.py's.
subscriber = py_subscriber


def frames_of_size(size: int, n: int) -> list[tuple[bytes, ...]]:
    """``n`` two-frame messages with bodies of about ``size`` bytes (padded, unstamped)."""
    pool = []
    for frames in generated_pool(400, seed=5):
        import base64

        body = base64.b64decode(frames[1])
        if len(body) <= size and stamp_point(body) is not None:
            pool.append(frames)
    rendered = render(pool, [0] * n, stamp=False, body_size=size)
    return rendered.frames


def raw_socket(ctx: zmq.Context[zmq.Socket[bytes]], hwm: int) -> tuple[zmq.Socket[bytes], str]:
    sock = ctx.socket(zmq.XPUB)
    sock.setsockopt(zmq.LINGER, 0)
    sock.setsockopt(zmq.XPUB_VERBOSER, 1)
    sock.setsockopt(zmq.SNDHWM, hwm)
    sock.setsockopt(zmq.XPUB_NODROP, 1)
    sock.bind("tcp://127.0.0.1:*")
    return sock, sock.getsockopt(zmq.LAST_ENDPOINT).decode()  # type: ignore[union-attr]


def raw_round(sock: zmq.Socket[bytes], frames: list[tuple[bytes, ...]]) -> tuple[float, int, int]:
    send = sock.send_multipart
    flags = zmq.NOBLOCK
    sent = refused = 0
    t0 = time.perf_counter()
    for f in frames:
        try:
            send(f, flags=flags, copy=False)
            sent += 1
        except zmq.Again:  # noqa: PERF203 - the same per-message check as the Hook Manager
            refused += 1
    elapsed = time.perf_counter() - t0
    sock.send_multipart(END)
    return sent / elapsed, sent, refused


def load_round(hm: HookManager, frames: list[tuple[bytes, ...]]) -> tuple[float, int, int]:
    rendered = Rendered(frames, [0] * len(frames), "bench", [False] * len(frames))
    report = run_load(hm, rendered, None)
    hm.send_frames(END)
    return report.sent / report.duration_s, report.sent, report.refused


def send_frames_round(hm: HookManager, frames: list[tuple[bytes, ...]]) -> tuple[float, int, int]:
    before = hm.statistics()
    send = hm.send_frames
    t0 = time.perf_counter()
    sent = 0
    for f in frames:
        sent += send(f)
    elapsed = time.perf_counter() - t0
    hm.send_frames(END)
    return sent / elapsed, sent, hm.statistics().refused - before.refused


def machine() -> dict[str, Any]:
    model = "unknown"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    import os

    return {
        "nproc": os.cpu_count(),
        "cpu": model,
        "python": platform.python_version(),
        "pyzmq": zmq.__version__,
        "libzmq": zmq.zmq_version(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7, help="round pairs per size (default 7)")
    parser.add_argument("--quick", action="store_true", help="3 rounds and smaller rounds")
    parser.add_argument("--json", help="write results as JSON")
    args = parser.parse_args()
    rounds = 3 if args.quick else args.rounds
    scale = 0.25 if args.quick else 1.0
    sizes = {
        "1KB": (1024, int(40_000 * scale)),
        "8KB": (8192, int(12_000 * scale)),
        "40KB": (40960, int(3_000 * scale)),
    }
    ctx: zmq.Context[zmq.Socket[bytes]] = zmq.Context.instance()
    hwm = max(n for _, n in sizes.values()) + 100
    results: dict[str, Any] = {"machine": machine(), "rounds": rounds, "sizes": {}}
    print(json.dumps(results["machine"]))
    raw, raw_ep = raw_socket(ctx, hwm)
    ctrl = ctx.socket(zmq.PULL)
    ctrl.setsockopt(zmq.LINGER, 0)
    ctrl.bind("tcp://127.0.0.1:*")
    ctrl_ep = ctrl.getsockopt(zmq.LAST_ENDPOINT).decode()  # type: ignore[union-attr]
    with HookManager("tcp://127.0.0.1:*", None, lossless=True, hwm=hwm, journal=False) as hm:
        proc = mp.get_context("spawn").Process(
            target=subscriber, args=([raw_ep, hm.events_endpoint], ctrl_ep)
        )
        proc.start()
        try:
            hm.wait_for_subscribers(1, timeout=30)
            if not raw.poll(30_000):  # the raw socket's subscription notice
                raise SystemExit("the subscriber did not subscribe to the raw socket")
            raw.recv()

            def received() -> int:
                if not ctrl.poll(60_000):
                    raise SystemExit("the counting subscriber did not answer within 60 s")
                return int(ctrl.recv())

            for label, (size, n) in sizes.items():
                frames = frames_of_size(size, n)
                body = sum(len(f[1]) for f in frames[:50]) / 50 * 3 / 4
                runs: dict[str, list[float]] = {"raw": [], "load": [], "send_frames": []}
                ratios: list[float] = []
                lossless = True
                refused = 0
                # A warm-up round of each, not counted.
                _, sent, _ = raw_round(raw, frames)
                lossless &= received() == sent
                _, sent, _ = load_round(hm, frames)
                lossless &= received() == sent
                for r in range(rounds):
                    order = ["raw", "load", "send_frames"] if r % 2 == 0 else ["send_frames", "load", "raw"]
                    got: dict[str, float] = {}
                    for name in order:
                        rate, sent, ref = (
                            raw_round(raw, frames) if name == "raw"
                            else load_round(hm, frames) if name == "load"
                            else send_frames_round(hm, frames)
                        )  # fmt: skip
                        count = received()
                        lossless &= count == sent
                        refused += ref
                        runs[name].append(rate)
                        got[name] = rate
                    ratios.append(got["load"] / got["raw"])
                entry = {
                    "messages_per_round": n,
                    "body_bytes": round(body),
                    "raw_msgs_per_s": statistics.median(runs["raw"]),
                    "load_msgs_per_s": statistics.median(runs["load"]),
                    "send_frames_msgs_per_s": statistics.median(runs["send_frames"]),
                    "ratio_median": statistics.median(ratios),
                    "ratio_min": min(ratios),
                    "ratio_max": max(ratios),
                    "send_frames_ratio_median": statistics.median(
                        s / r for s, r in zip(runs["send_frames"], runs["raw"], strict=True)
                    ),
                    "lossless": lossless,
                    "refused": refused,
                }
                results["sizes"][label] = entry
                print(
                    f"{label:>5} body ~{entry['body_bytes']} B: raw {entry['raw_msgs_per_s']:,.0f}/s, "
                    f"load {entry['load_msgs_per_s']:,.0f}/s, ratio median {entry['ratio_median']:.2f} "
                    f"(min {entry['ratio_min']:.2f} .. max {entry['ratio_max']:.2f}); send_frames ratio "
                    f"{entry['send_frames_ratio_median']:.2f}; every sent message received: {lossless}; "
                    f"refused {refused}",
                    flush=True,
                )
            raw.send_multipart(QUIT)
        finally:
            proc.join(10)
            if proc.is_alive():
                proc.kill()
                proc.join(5)
            raw.close(0)
            ctrl.close(0)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(results, fh, indent=2)


if __name__ == "__main__":
    main()
