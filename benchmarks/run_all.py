"""Every performance ratio of issue 14 in one run, with the machine it ran on.

Run from the repository root (binds 127.0.0.1 only; takes about 10 minutes, 11 with
``--load``; on a shared machine run it with ``nice -n 10``)::

    python benchmarks/run_all.py [--quick] [--load] [--json results.json]

It runs, one after the other:

* ``bench_send.py``: every send path (``send_many``, ``send_frames``, ``publish``, replay) against
  the two-``send()`` loop, ``send_multipart`` and a C libzmq publisher, at ~1.35, ~8 and ~42 KB
  frames, 5 interleaved rounds, lossless, C subscriber;
* ``bench_validate.py``: ``validate_body`` of a fresh and a repeated ~6 KB VM body against the
  lxml floor (parse + compiled schema);
* ``bench_generate.py``: VM STATE messages per second (templated ~8 KB stream, pooled, the
  life-cycle generator) against base64 of a body of the same size;
* ``bench_fixture.py``: the ``hookmanager`` fixture's cost per test (ready for the first
  message) against an empty test, pytest-httpserver and raw pyzmq;
* ``bench_frontend.py``: the mock front-end's ``one.vm.info`` calls per second against a bare
  stdlib XML-RPC server answering the same document;
* with ``--load``: ``bench_load_memory.py``, a stamped 20,000 msg/s run of ~8 KB bodies for
  60 s: peak RSS and every message delivered.

Then it prints one table of every ratio: median (min..max over the rounds, or IQR where the
benchmark samples single calls).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench_fixture  # noqa: E402
import bench_frontend  # noqa: E402
import bench_generate  # noqa: E402
import bench_load_memory  # noqa: E402
import bench_send  # noqa: E402
import bench_validate  # noqa: E402


def _section(title: str) -> None:
    print(f"\n{'=' * 8} {title} {'=' * (80 - len(title))}", flush=True)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds and samples (a smoke run)")
    parser.add_argument("--load", action="store_true", help="also the 60 s stamped 20k msg/s run")
    parser.add_argument("--json", help="write every figure as JSON")
    args = parser.parse_args(argv)
    out: dict[str, Any] = {}
    _section("send paths (bench_send.py)")
    out["send"] = bench_send.main(["--quick"] if args.quick else [])
    _section("validation (bench_validate.py)")
    out["validate"] = bench_validate.main(["--samples", "300", "--rounds", "3"] if args.quick else [])
    _section("generation (bench_generate.py)")
    out["generate"] = bench_generate.main(["--seconds", "0.3", "--repeats", "3"] if args.quick else [])
    _section("fixture (bench_fixture.py)")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fixture.json"
        bench_fixture.main(["--tests", "50" if args.quick else "300", "--json", str(path)])
        out["fixture"] = json.loads(path.read_text())
    _section("front-end (bench_frontend.py)")
    out["frontend"] = bench_frontend.main(["--rounds", "3", "--calls", "300"] if args.quick else [])
    if args.load:
        _section("load run memory (bench_load_memory.py)")
        out["load"] = bench_load_memory.main(["--rate", "20000", "--duration", "60", "--body-size", "8192"])
    summary(out)
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2, default=str), encoding="utf-8")
    return out


def _ratio(s: dict[str, float]) -> str:
    return f"{s['median']:.2f} ({s['min']:.2f}..{s['max']:.2f})"


def summary(out: dict[str, Any]) -> None:
    """One table of every ratio."""
    _section("summary")
    m = out["send"]["machine"]
    print(f"machine: {m['nproc']} cores, {m['cpu']}, Python {m['python']}, pyzmq {m['pyzmq']}, "
          f"libzmq {m['libzmq']} (C: {m['libzmq_c']}), load average {m['load_average']:.1f}, nice {m['nice']}")  # fmt: skip
    print("\nsend paths, throughput ratio (wall clock; CPU-time ratio in brackets), median (min..max):")
    for size, entry in out["send"]["sizes"].items():
        kb = entry["frame_bytes"] / 1000
        print(
            f"  frame {kb:.2f} KB (body {size} B), lossless {entry['lossless']}, refused {entry['refused']}"
        )
        wall, cpu = entry["vs"]["wall"], entry["vs"]["cpu"]
        for path in ("send_many", "send_frames", "publish", "replay", "raw_mp", "raw_cy", "c"):
            cells = []
            for base in ("raw2", "raw_mp", "c"):
                if base == path or base not in wall or path not in wall[base]:
                    continue
                cells.append(f"vs {base} {_ratio(wall[base][path])} [{cpu[base][path]['median']:.2f}]")
            print(f"    {path:<12} " + "   ".join(cells))
        cpu_us = entry["cpu_us_per_msg"]
        if "raw_cy" in cpu_us:
            print(f"    send_frames CPU per message {cpu_us['send_frames']:.2f} µs = the two sends (raw_cy) "
                  f"{cpu_us['raw_cy']:.2f} µs + lock, counting, journal, draining "
                  f"{cpu_us['send_frames'] - cpu_us['raw_cy']:.2f} µs")  # fmt: skip
    v = out["validate"]
    print(f"\nvalidate_body, ~6 KB VM body: fresh {v['fresh_us']:.1f} µs, repeated {v['repeated_us']:.1f} µs; "
          f"lxml floor (parse + schema) {v['floor_us']:.1f} µs; fresh / floor "
          f"{v['ratio_median']:.2f} ({v['ratio_min']:.2f}..{v['ratio_max']:.2f})")  # fmt: skip
    g = out["generate"]
    t = g["templated-8k"]
    print(f"generation: templated ~8 KB VM STATE {t['median']:,.0f} msg/s ({t['min']:,.0f}..{t['max']:,.0f}), "
          f"{t['vs_base64']:.2f} of base64 alone; pooled-8k {g['pooled-8k']['median']:,.0f}; "
          f"life-cycle generator {g['lifecycle']['median']:,.0f}")  # fmt: skip
    f = out["fixture"]
    over = f["overhead_ms"]
    st = f["stats"]
    print(f"fixture: hookmanager ready for the first message {f['ready_ms']['hookmanager']:.2f} ms over an "
          f"empty test; with teardown {over['hookmanager']:.2f} ms (IQR "
          f"{st['hookmanager']['p25'] - st['empty']['median']:.2f}..{st['hookmanager']['p75'] - st['empty']['median']:.2f}); "
          f"httpserver {over['httpserver']:.2f}, raw pyzmq {over['raw_pyzmq']:.2f}; "
          f"ratio to httpserver {over['hookmanager'] / over['httpserver']:.2f}")  # fmt: skip
    fe = out["frontend"]
    print(f"front-end: one.vm.info {fe['frontend_median']:,.0f} calls/s, bare stdlib XML-RPC "
          f"{fe['bare_median']:,.0f}; ratio {fe['ratio_median']:.2f} ({fe['ratio_min']:.2f}..{fe['ratio_max']:.2f})")  # fmt: skip
    if "load" in out:
        ld = out["load"]
        print(f"load: {ld['rate']:,.0f} msg/s x {ld['duration_s']:g} s, body {ld['body_size']} B: peak RSS "
              f"{ld['peak_rss_mib']:.0f} MiB, RSS at 10/50/100 % {ld['rss_mib_at_10_50_100_pct']} MiB; sent "
              f"{ld['sent']}, refused {ld['refused']}, received {ld['received']}")  # fmt: skip


if __name__ == "__main__":
    main()
