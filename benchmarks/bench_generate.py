"""Generated VM STATE messages per second, full documents and base64 included.

Run: ``python benchmarks/bench_generate.py [--seconds S] [--repeats N]``.

Three paths, each timed per message (key + base64 content ready to send):

* ``lifecycle``: the realistic path, :func:`mockhm.oned.lifecycle.generate_events` (a Cloud
  applying §5 transitions, a fresh document rendering and base64 per event);
* ``pooled``: a pool of 64 Faker-enriched VM documents drawn once (the realistic values
  are pre-drawn), then each message only moves one VM to a new (STATE, LCM_STATE) and
  renders + base64-encodes it.  Costs realism: values repeat across the pool, and
  transitions are not checked;
* ``pooled-8k``: the same with busy production-sized VMs (three disks, two NICs, a user
  template, two migrations in the history: ~7.7 KB decoded), the size the Ruby figure is for;
* ``templated-8k``: :class:`mockhm.load.generate.VmStateStream`, ~7.5 KB VM documents drawn
  once, cut into templates around the six state fields; every VM walks the §5 graph (valid
  edges, PREV_* consistent).  Costs realism: the rest of a document is frozen (history,
  times, monitoring), no API, host or image events;
* ``baseline``/``baseline-8k``: base64 of a fixed body of the same size (the floor).

Messages are counted per key (a VM STATE body goes out under two keys).

The Ruby driver's own per-message path measured for issue 4 is ~7.7k msg/s for ~8 KB bodies.
"""

from __future__ import annotations

import argparse
import statistics
import time

from mockhm.load.generate import VmStateStream
from mockhm.oned.lifecycle import generate_events
from mockhm.traffic.provider import make_faker
from mockhm.wire.bodies import document_state_event
from mockhm.wire.defaults import default_document
from mockhm.wire.documents import History, VmDocument
from mockhm.wire.message import b64encode

_STATES = [("ACTIVE", "RUNNING"), ("ACTIVE", "SHUTDOWN_POWEROFF"), ("POWEROFF", "LCM_INIT"),
           ("ACTIVE", "BOOT_POWEROFF"), ("ACTIVE", "HOTPLUG"), ("ACTIVE", "MIGRATE")]  # fmt: skip


def _pool(size: int) -> list[VmDocument]:
    from mockhm.traffic.enrich import enrich as _enrich

    fake = make_faker(1)
    docs = []
    for i in range(size):
        doc = _enrich(fake, default_document("VM", i, "ACTIVE", "RUNNING"))
        assert isinstance(doc, VmDocument)
        docs.append(doc)
    return docs


def _grow(doc: VmDocument) -> VmDocument:
    """Make a pooled VM the size of a busy production VM (~8 KB decoded body): three disks, two
    NICs, a user template, and the history of two migrations."""
    disk = doc.template["DISK"]
    nic = doc.template["NIC"]
    assert isinstance(disk, dict) and isinstance(nic, dict)
    doc.template["DISK"] = [
        disk,
        {**disk, "DISK_ID": "1", "TARGET": "vdb"},
        {**disk, "DISK_ID": "2", "TARGET": "vdc"},
    ]
    doc.template["NIC"] = [nic, {**nic, "NIC_ID": "1", "NAME": "NIC1"}]
    doc.user_template.update(
        {
            "DESCRIPTION": "web tier, managed by the CMDB",
            "LABELS": "prod,web",
            "LOGO": "images/logos/ubuntu.png",
            "SCHED_REQUIREMENTS": 'CLUSTER_ID="100"',
        }
    )
    first = doc.history[0]
    doc.history = [
        History(
            oid=doc.id,
            seq=i,
            hostname=f"node{i + 1}",
            hid=i,
            stime=first.stime + i * 60,
            pstime=first.pstime,
            petime=first.petime,
            rstime=first.rstime,
        )
        for i in range(3)
    ]
    return doc


def bench_pooled(seconds: float, big: bool = False) -> tuple[float, int]:
    body_size = 0
    docs = _pool(64)
    if big:
        docs = [_grow(d) for d in docs]
    n, size, start = 0, 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for i in range(200):
            doc = docs[i % 64]
            doc.prev_state, doc.prev_lcm_state = doc.state, doc.lcm_state
            doc.state, doc.lcm_state = _STATES[i % len(_STATES)]
            ev = document_state_event(doc, "7.4")
            content = ev.content
            body_size += len(ev.body)
            for key in ev.keys:
                size += len(key) + len(content)
                n += 1
    sizes_seen.append(body_size // max(n // 2, 1))
    return n / (time.perf_counter() - start), size // max(n, 1)


#: Decoded body sizes of the last pooled runs (for the table).
sizes_seen: list[int] = []


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


def bench_templated(seconds: float) -> tuple[float, int]:
    """:class:`mockhm.load.generate.VmStateStream`: ~7.5 KB documents on their life-cycles."""
    stream = iter(VmStateStream(64, seed=1))
    n, size, start = 0, 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for _ in range(1000):
            key, content = next(stream)
            size += len(key) + len(content)
            n += 1
    return n / (time.perf_counter() - start), size // max(n, 1)


def bench_baseline(seconds: float, body_size: int) -> tuple[float, int]:
    body = b"<HOOK_MESSAGE>" + b"x" * body_size
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for _ in range(1000):
            b64encode(body)
            n += 1
    return n / (time.perf_counter() - start), body_size


def main(argv: list[str] | None = None) -> dict[str, dict[str, float]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.0)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    names = ("templated-8k", "pooled", "pooled-8k", "lifecycle", "baseline", "baseline-8k")
    results: dict[str, list[float]] = {n: [] for n in names}
    sizes: dict[str, int] = {}
    for _ in range(args.repeats):
        rate, sizes["templated-8k"] = bench_templated(args.seconds)
        results["templated-8k"].append(rate)
        rate, sizes["pooled"] = bench_pooled(args.seconds)
        results["pooled"].append(rate)
        rate, sizes["pooled-8k"] = bench_pooled(args.seconds, big=True)
        results["pooled-8k"].append(rate)
        rate, sizes["lifecycle"] = bench_lifecycle(args.seconds)
        results["lifecycle"].append(rate)
        rate, sizes["baseline"] = bench_baseline(args.seconds, sizes["pooled"] * 3 // 4)
        results["baseline"].append(rate)
        rate, sizes["baseline-8k"] = bench_baseline(args.seconds, sizes["templated-8k"] * 3 // 4)
        results["baseline-8k"].append(rate)
    print(
        f"{'path':<13} {'median msg/s':>13} {'min':>9} {'max':>9} {'bytes/msg':>10} "
        f"{'vs Ruby 7.7k':>12} {'vs base64':>9}"
    )
    print(f"decoded body bytes: pooled {sizes_seen[-2]}, pooled-8k {sizes_seen[-1]}")
    out: dict[str, dict[str, float]] = {}
    for name, rates in results.items():
        med = statistics.median(rates)
        base = statistics.median(results["baseline-8k" if "8k" in name else "baseline"])
        out[name] = {"median": med, "min": min(rates), "max": max(rates), "bytes": sizes[name],
                     "vs_base64": med / base}  # fmt: skip
        print(f"{name:<13} {med:>13,.0f} {min(rates):>9,.0f} {max(rates):>9,.0f} {sizes[name]:>10} "
              f"{med / 7700:>11.2f}x {med / base:>8.3f}")  # fmt: skip
    return out


if __name__ == "__main__":
    main()
