"""Generated VM STATE messages per second, full documents and base64 included.

Run: ``python benchmarks/bench_generate.py [--seconds S] [--repeats N]``.

Three paths, each timed per message (key + base64 content ready to send):

* ``lifecycle``: the realistic path, :func:`mockhm._lifecycle.generate_events` (a Cloud
  applying §5 transitions, a fresh document rendering and base64 per event);
* ``pooled``: a pool of 64 Faker-enriched VM documents drawn once (the realistic values
  are pre-drawn), then each message only moves one VM to a new (STATE, LCM_STATE) and
  renders + base64-encodes it.  Costs realism: values repeat across the pool, and
  transitions are not checked;
* ``baseline``: base64 of a fixed pre-rendered body of the same size (the floor).

The Ruby driver's own per-message path measured for issue 4 is ~7.7k msg/s for ~8 KB bodies.
"""

from __future__ import annotations

import argparse
import statistics
import time

from mockhm._bodies import document_state_event
from mockhm._defaults import default_document
from mockhm._documents import VmDocument
from mockhm._faker import make_faker
from mockhm._lifecycle import generate_events
from mockhm._message import b64encode

_STATES = [("ACTIVE", "RUNNING"), ("ACTIVE", "SHUTDOWN_POWEROFF"), ("POWEROFF", "LCM_INIT"),
           ("ACTIVE", "BOOT_POWEROFF"), ("ACTIVE", "HOTPLUG"), ("ACTIVE", "MIGRATE")]  # fmt: skip


def _pool(size: int) -> list[VmDocument]:
    from mockhm.strategies import _enrich

    fake = make_faker(1)
    docs = []
    for i in range(size):
        doc = _enrich(fake, default_document("VM", i, "ACTIVE", "RUNNING"))
        assert isinstance(doc, VmDocument)
        docs.append(doc)
    return docs


def bench_pooled(seconds: float) -> tuple[float, int]:
    docs = _pool(64)
    n, size, start = 0, 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for i in range(200):
            doc = docs[i % 64]
            doc.prev_state, doc.prev_lcm_state = doc.state, doc.lcm_state
            doc.state, doc.lcm_state = _STATES[i % len(_STATES)]
            ev = document_state_event(doc, "7.4")
            content = ev.content
            for key in ev.keys:
                size += len(key) + len(content)
                n += 1
    return n / (time.perf_counter() - start), size // max(n, 1)


def bench_lifecycle(seconds: float) -> tuple[float, int]:
    n, size, start, seed = 0, 0, time.perf_counter(), 0
    while time.perf_counter() - start < seconds:
        for ev in generate_events(300, seed=seed):
            if ev.kind == "STATE" and ev.keys[0].startswith("EVENT VM"):
                content = ev.content
                for key in ev.keys:
                    size += len(key) + len(content)
                    n += 1
        seed += 1
    # time includes host/image/API events generated alongside: VM messages/s of a real stream
    return n / (time.perf_counter() - start), size // max(n, 1)


def bench_baseline(seconds: float, body_size: int) -> tuple[float, int]:
    body = b"<HOOK_MESSAGE>" + b"x" * body_size
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for _ in range(1000):
            b64encode(body)
            n += 1
    return n / (time.perf_counter() - start), body_size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.0)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    results: dict[str, list[float]] = {"pooled": [], "lifecycle": [], "baseline": []}
    sizes: dict[str, int] = {}
    for _ in range(args.repeats):
        rate, sizes["pooled"] = bench_pooled(args.seconds)
        results["pooled"].append(rate)
        rate, sizes["lifecycle"] = bench_lifecycle(args.seconds)
        results["lifecycle"].append(rate)
        rate, sizes["baseline"] = bench_baseline(args.seconds, sizes["pooled"] * 3 // 4)
        results["baseline"].append(rate)
    base = statistics.median(results["baseline"])
    print(
        f"{'path':<10} {'median msg/s':>13} {'min':>9} {'max':>9} {'bytes/msg':>10} "
        f"{'vs Ruby 7.7k':>12} {'vs base64':>9}"
    )
    for name, rates in results.items():
        med = statistics.median(rates)
        print(f"{name:<10} {med:>13,.0f} {min(rates):>9,.0f} {max(rates):>9,.0f} {sizes[name]:>10} "
              f"{med / 7700:>11.2f}x {med / base:>8.3f}")  # fmt: skip


if __name__ == "__main__":
    main()
