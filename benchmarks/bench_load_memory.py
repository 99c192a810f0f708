"""Memory and delivery of a long stamped load run: ``mockhm load`` with a C subscriber counting.

Run as a script (binds 127.0.0.1 only; use ``nice`` on a shared machine)::

    python benchmarks/bench_load_memory.py --rate 20000 --duration 60 --body-size 8192
    nice -n 10 python benchmarks/bench_load_memory.py --rate 20000 --duration 600   # a soak
    nice -n 10 python benchmarks/bench_load_memory.py --rate 20000 --duration 3600  # the hour

It starts ``python -m mockhm load --lossless`` (stamped bodies, padded to ``--body-size``
decoded bytes) on a free loopback port, and a subscriber (``benchmarks/c/zmqbench.c``'s
``count`` mode, compiled here with ``gcc -lzmq``; a pyzmq one without gcc or libzmq3-dev) that
counts every message until none came for 5 s.  It samples the load process's resident memory
(``VmRSS``) four times a second and prints its peak (``VmHWM``, the high-water mark of its own
memory since it started), the RSS at 10 %, 50 % and 100 % of the run (flat when memory does not
grow with the run's length),
what the load says it sent and refused, and what the subscriber received.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import zmq

HERE = Path(__file__).resolve().parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM of ``pid`` in KiB (empty once it has exited)."""
    out: dict[str, int] = {}
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith(("VmRSS:", "VmHWM:")):
                    out[line.split(":")[0]] = int(line.split()[1])
    except OSError:
        pass
    return out


def py_counter(endpoint: str, conn: Any) -> None:
    """Count messages until none came for 5 s (after the first)."""
    ctx = zmq.Context()
    sub = ctx.socket(zmq.SUB)
    sub.setsockopt(zmq.LINGER, 0)
    sub.setsockopt(zmq.RCVHWM, 0)
    sub.subscribe(b"")
    sub.connect(endpoint)
    count = size = 0
    timeout = 600_000
    while sub.poll(timeout):
        frames = sub.recv_multipart(copy=False)
        count += 1
        size += sum(len(f.buffer) for f in frames)
        timeout = 5000
    conn.send((count, size))
    sub.close(0)
    ctx.term()


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=20000)
    parser.add_argument("--duration", type=float, default=60, help="seconds")
    parser.add_argument("--body-size", type=int, default=8192)
    parser.add_argument(
        "--hwm",
        type=int,
        default=10_000,
        help="SNDHWM (default 10,000: 0.5 s at 20k/s, ~110 MB of ~11 KB frames)",
    )
    parser.add_argument("--json", help="write the figures as JSON")
    args = parser.parse_args(argv)
    port = free_port()
    endpoint = f"tcp://127.0.0.1:{port}"
    workdir = Path(tempfile.mkdtemp(prefix="mockhm-soak-"))
    exe = workdir / "zmqbench"
    gcc = shutil.which("gcc")
    built = (
        gcc is not None
        and subprocess.run(
            [gcc, "-O2", "-o", str(exe), str(HERE / "c" / "zmqbench.c"), "-lzmq"], capture_output=True
        ).returncode
        == 0
    )
    counter: Any
    parent = None
    if built:
        counter = subprocess.Popen([str(exe), "count", "5000", endpoint], stdout=subprocess.PIPE, text=True)
    else:
        parent, child = mp.Pipe()
        counter = mp.get_context("spawn").Process(target=py_counter, args=(endpoint, child))
        counter.start()
    report = workdir / "run.json"
    cmd = [
        sys.executable, "-m", "mockhm", "load", "--events", endpoint, "--reports", "tcp://127.0.0.1:*",
        "--rate", f"{args.rate:g}", "--duration", f"{args.duration:g}s", "--body-size", str(args.body_size),
        "--lossless", "--hwm", str(args.hwm), "--quiet", "--json", str(report), "--wait-timeout", "60",
    ]  # fmt: skip
    print("$ " + " ".join(cmd), flush=True)
    started = time.monotonic()
    load = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    samples: list[tuple[float, int]] = []
    hwm_kib = 0

    def stop_children(signum: int, frame: object) -> None:
        """``timeout`` or Ctrl-C: stop the load (it still writes its report) and the counter."""
        del signum, frame
        load.send_signal(signal.SIGINT)

    signal.signal(signal.SIGTERM, stop_children)
    # The peak is VmHWM, sampled until the process exits: Linux's ru_maxrss (getrusage, wait4)
    # also counts the memory the process had before it exec'd Python, a copy of its parent's
    # (462 MiB under run_all, whose own RSS it was, against 99.9 MiB of VmRSS at the end).
    while load.poll() is None:
        st = status(load.pid)
        if "VmRSS" in st:
            samples.append((time.monotonic() - started, st["VmRSS"]))
            hwm_kib = max(hwm_kib, st.get("VmHWM", 0))
        time.sleep(0.25)
    out = load.stdout.read() if load.stdout else ""
    if built:
        try:
            got, _ = counter.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            counter.kill()
            got, _ = counter.communicate()
        received = int(got.split()[0]) if got.strip() else -1
    else:
        assert parent is not None
        received = parent.recv()[0] if parent.poll(60) else -1
        counter.join(5)
    data = json.loads(report.read_text()) if report.exists() else {}
    shutil.rmtree(workdir, ignore_errors=True)

    def rss_at(fraction: float) -> float:
        if not samples:
            return float("nan")
        t_end = samples[-1][0]
        return min(samples, key=lambda s: abs(s[0] - fraction * t_end))[1] / 1024

    figures = {
        "rate": args.rate, "duration_s": args.duration, "body_size": args.body_size, "exit": load.returncode,
        "sent": data.get("sent"), "refused": data.get("refused"), "received": received,
        "every_message_delivered": data.get("sent") == received and data.get("refused") == 0,
        "achieved_rate": data.get("rate"), "lag_ms": data.get("lag_ms"),
        "peak_rss_mib": hwm_kib / 1024,
        "rss_mib_at_10_50_100_pct": [round(rss_at(f), 1) for f in (0.1, 0.5, 1.0)],
        "samples": len(samples),
    }  # fmt: skip
    if load.returncode != 0:
        print(out[-2000:])
    print(json.dumps(figures, indent=2), flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2), encoding="utf-8")
    return figures


if __name__ == "__main__":
    main()
