"""Every send path of the Hook Manager against raw pyzmq and a C libzmq publisher, side by side.

Run as a script (about a minute per size on 2 busy cores; use ``nice`` on a shared machine)::

    python benchmarks/bench_send.py [--rounds 5] [--sizes 1024,6144,31744] [--quick] [--json PATH]

For each body size (decoded bytes; the base64 frame is 4/3 of it: ~1.35 KB, ~8 KB, ~42 KB by
default) the same pre-rendered two-frame messages (key, base64 of a VM STATE document padded in
its USER_TEMPLATE) go out, in interleaved rounds (the order rotates every round), through:

* ``raw2``: the reference, a pyzmq XPUB socket and the fastest plain loop, two ``send()`` calls
  (frame 1 with ``SNDMORE|NOBLOCK``, frame 2 with ``NOBLOCK``);
* ``raw_mp``: the same socket, ``send_multipart(frames, NOBLOCK)`` per message;
* ``raw_cy``: the same socket, pyzmq's Cython-level send (``zmq.backend.Socket.send``) twice per
  message: the sends the Hook Manager's paths make, without their lock and counting, so that
  ``send_frames`` minus ``raw_cy`` is what locking, counting, journaling and subscription
  draining cost per message;
* ``c``: a C libzmq publisher (``benchmarks/c/zmqbench.c``, compiled here with ``gcc -lzmq``;
  Debian: ``apt-get install libzmq3-dev``), the same two ``zmq_send`` calls;
* ``send_many``: :meth:`mockhm.HookManager.send_many`, batches of 256 as load runs send them;
* ``send_frames``: :meth:`mockhm.HookManager.send_frames`, once per message;
* ``publish``: :meth:`mockhm.HookManager.publish` of one built :class:`mockhm.HookEvent` per
  message (built before the clock, like a test that builds then publishes);
* ``replay``: :func:`mockhm.replay` of the messages at infinite speed (sends what is due).

Every socket has the Hook Manager's lossless options (LINGER 0, XPUB_VERBOSER, SNDHWM larger than
a round, XPUB_NODROP), so nothing is dropped silently: a refused send is counted.  One subscriber
(the C one from the same source file, or ``--py-sub`` for pyzmq) on tcp 127.0.0.1 counts every
round; "lossless" means it counted exactly what each path said it sent.  Throughput is messages
per second of the send loop (publisher cost); ratios are per round against ``raw2`` of the same
round, reported as median and min..max over the rounds.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import select
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import zmq
from zmq.backend import Socket as BackendSocket

import mockhm
from mockhm import HookEvent, HookManager

HERE = Path(__file__).resolve().parent
C_SOURCE = HERE / "c" / "zmqbench.c"
END = [b"BENCH-END", b""]
QUIT = [b"BENCH-QUIT", b""]
BATCH = 256
PATHS = ("raw2", "raw_mp", "raw_cy", "c", "send_many", "send_frames", "publish", "replay")


def machine() -> dict[str, Any]:
    """Cores, CPU model, Python, pyzmq and libzmq (bundled and system) versions."""
    model = "unknown"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            model = next((ln.split(":", 1)[1].strip() for ln in fh if ln.startswith("model name")), model)
    except OSError:
        pass
    system = "n/a"
    if shutil.which("pkg-config"):
        out = subprocess.run(["pkg-config", "--modversion", "libzmq"], capture_output=True, text=True)
        system = out.stdout.strip() or "n/a"
    return {
        "nproc": os.cpu_count(),
        "cpu": model,
        "python": sys.version.split()[0],
        "pyzmq": zmq.__version__,
        "libzmq": zmq.zmq_version(),
        "libzmq_c": system,
        "load_average": os.getloadavg()[0],
        "nice": os.nice(0),
    }


def build_c(workdir: Path) -> Path | None:
    """Compile the C publisher/subscriber; ``None`` (and a note) when gcc or libzmq is missing."""
    exe = workdir / "zmqbench"
    gcc = shutil.which("gcc") or shutil.which("cc")
    if gcc is None:
        print("no C compiler: the C publisher is skipped", flush=True)
        return None
    res = subprocess.run([gcc, "-O2", "-o", str(exe), str(C_SOURCE), "-lzmq"], capture_output=True, text=True)
    if res.returncode != 0:
        print(f"cannot build {C_SOURCE.name} (apt-get install libzmq3-dev): {res.stderr.strip()[:300]}")
        return None
    return exe


def make_messages(body_size: int, n: int) -> tuple[list[HookEvent], list[tuple[bytes, bytes]]]:
    """``n`` events of one key each, ``body_size`` decoded bytes, and their frames.

    Bodies smaller than a VM document are API events (``one.vm.update`` with a template of the
    right length: API events are 1-2 KB); larger ones are VM STATE documents padded in their
    USER_TEMPLATE.
    """
    events = []
    for i in range(n):
        vm = mockhm.state_event("VM", i % 500, "ACTIVE", "RUNNING")
        if body_size < len(vm.body):
            api = mockhm.api_event("one.vm.update", [i % 500, "", 1], result=i % 500)
            pad = max(body_size - len(api.body), 0)
            ev = mockhm.api_event("one.vm.update", [i % 500, "DESCRIPTION=" + "x" * pad, 1], result=i % 500)
            events.append(ev)
            continue
        body = vm.body.replace(b"<USER_TEMPLATE></USER_TEMPLATE>", b"<USER_TEMPLATE>%s</USER_TEMPLATE>")
        missing = max(body_size - len(body) + 2 - len(b"<MOCKHM_PAD><![CDATA[]]></MOCKHM_PAD>"), 0)
        body = body % (b"<MOCKHM_PAD><![CDATA[" + b"x" * missing + b"]]></MOCKHM_PAD>")
        events.append(HookEvent("STATE", body, vm.keys[1:], vm.profile))
    frames = [(e.keys[0].encode(), e.content) for e in events]
    return events, frames


class CPublisher:
    """The C publisher process, driven by lines on its stdin; every read has a timeout."""

    def __init__(self, exe: Path, frames: list[tuple[bytes, bytes]], hwm: int, workdir: Path) -> None:
        path = workdir / f"messages-{len(frames[0][1])}.bin"
        with open(path, "wb") as fh:
            for key, body in frames:
                fh.write(struct.pack("=I", len(key)) + key + struct.pack("=I", len(body)) + body)
        self.proc = subprocess.Popen(
            [str(exe), "pub", str(path), str(hwm)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        self.endpoint = self.line(10)

    def line(self, timeout: float) -> str:
        assert self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        if not ready:
            raise SystemExit(f"the C publisher did not answer within {timeout} s")
        return self.proc.stdout.readline().strip()

    def command(self, text: str, timeout: float = 60) -> str:
        assert self.proc.stdin is not None
        self.proc.stdin.write(text + "\n")
        self.proc.stdin.flush()
        return self.line(timeout)

    def close(self) -> None:
        if self.proc.poll() is None:
            assert self.proc.stdin is not None
            self.proc.stdin.write("quit\n")
            self.proc.stdin.flush()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


def py_subscriber(endpoints: list[str], ctrl: str) -> None:
    """pyzmq counting subscriber (``--py-sub``): counts per round, answers at END."""
    ctx = zmq.Context()
    sub = ctx.socket(zmq.SUB)
    sub.setsockopt(zmq.LINGER, 0)
    sub.setsockopt(zmq.RCVHWM, 0)
    sub.subscribe(b"")
    for ep in endpoints:
        sub.connect(ep)
    push = ctx.socket(zmq.PUSH)
    push.setsockopt(zmq.LINGER, 0)
    push.connect(ctrl)
    count = 0
    try:
        while sub.poll(60_000):
            key = sub.recv_multipart()[0]
            if key == END[0]:
                push.send(str(count).encode())
                count = 0
            elif key == QUIT[0]:
                break
            else:
                count += 1
    finally:
        sub.close(0)
        push.close(0)
        ctx.term()


def xpub(ctx: zmq.Context[zmq.Socket[bytes]], hwm: int) -> tuple[zmq.Socket[bytes], str]:
    sock = ctx.socket(zmq.XPUB)
    sock.setsockopt(zmq.LINGER, 0)
    sock.setsockopt(zmq.XPUB_VERBOSER, 1)
    sock.setsockopt(zmq.SNDHWM, hwm)
    sock.setsockopt(zmq.XPUB_NODROP, 1)
    sock.bind("tcp://127.0.0.1:*")
    return sock, sock.getsockopt(zmq.LAST_ENDPOINT).decode()  # type: ignore[union-attr]


Round = Callable[[], tuple[float, float, int, int]]  # -> (wall s, thread CPU s, sent, refused)


def rounds_for(
    raw: zmq.Socket[bytes],
    hm: HookManager,
    cpub: CPublisher | None,
    events: list[HookEvent],
    frames: list[tuple[bytes, bytes]],
) -> dict[str, Round]:
    more = zmq.SNDMORE | zmq.NOBLOCK
    last = zmq.NOBLOCK

    def two_sends(send: Callable[..., Any]) -> Round:
        """The two-``send()`` loop on the raw socket, ``send`` called unbound: pyzmq's
        ``Socket.send`` (``raw2``, the reference) or its Cython-level send (``raw_cy``)."""

        def round_() -> tuple[float, float, int, int]:
            sent = refused = 0
            c0 = time.thread_time()
            t0 = time.perf_counter()
            for key, body in frames:
                try:
                    send(raw, key, more)
                except zmq.Again:
                    refused += 1
                    continue
                send(raw, body, last)
                sent += 1
            elapsed, cpu = time.perf_counter() - t0, time.thread_time() - c0
            raw.send_multipart(END)
            return elapsed, cpu, sent, refused

        return round_

    raw2 = two_sends(type(raw).send)
    raw_cy = two_sends(BackendSocket.send)

    def raw_mp() -> tuple[float, float, int, int]:
        send = raw.send_multipart
        sent = refused = 0
        c0 = time.thread_time()
        t0 = time.perf_counter()
        for f in frames:
            try:
                send(f, last)
                sent += 1
            except zmq.Again:  # noqa: PERF203 - the per-message check of a lossless sender
                refused += 1
        elapsed, cpu = time.perf_counter() - t0, time.thread_time() - c0
        raw.send_multipart(END)
        return elapsed, cpu, sent, refused

    def c() -> tuple[float, float, int, int]:
        assert cpub is not None
        ns, cpu_ns, sent, refused = (int(x) for x in cpub.command("round").split())
        return ns / 1e9, cpu_ns / 1e9, sent, refused

    def counted(go: Callable[[], int]) -> tuple[float, float, int, int]:
        before = hm.statistics().refused
        c0 = time.thread_time()
        t0 = time.perf_counter()
        sent = go()
        elapsed, cpu = time.perf_counter() - t0, time.thread_time() - c0
        hm.send_frames(END)
        return elapsed, cpu, sent, hm.statistics().refused - before

    def send_many() -> tuple[float, float, int, int]:
        def go() -> int:
            send = hm.send_many
            return sum(send(frames[i : i + BATCH]) for i in range(0, len(frames), BATCH))

        return counted(go)

    def send_frames() -> tuple[float, float, int, int]:
        def go() -> int:
            send = hm.send_frames
            sent = 0
            for f in frames:
                sent += send(f)
            return sent

        return counted(go)

    def publish() -> tuple[float, float, int, int]:
        def go() -> int:
            pub = hm.publish
            sent = 0
            for e in events:
                sent += pub(e)
            return sent

        return counted(go)

    def replay() -> tuple[float, float, int, int]:
        before = hm.statistics().refused
        c0 = time.thread_time()
        report = mockhm.replay(timed, hm, speed=float("inf"), wait=0, echo=None)
        cpu = time.thread_time() - c0  # includes planning the schedule: an upper bound
        hm.send_frames(END)
        return report.elapsed, cpu, report.sent, hm.statistics().refused - before

    # TimedMessage is not exported: take its type from a built-in scenario (public API only).
    timed_message = type(mockhm.load_scenario("vm-lifecycle").messages[0])
    timed = [timed_message(0.0, f) for f in frames]
    out: dict[str, Round] = {"raw2": raw2, "raw_mp": raw_mp, "raw_cy": raw_cy}
    if cpub is not None:
        out["c"] = c
    out.update(send_many=send_many, send_frames=send_frames, publish=publish, replay=replay)
    return out


def summarise(ratios: list[float]) -> dict[str, float]:
    return {"median": statistics.median(ratios), "min": min(ratios), "max": max(ratios)}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="measured rounds per size (default 5)")
    parser.add_argument("--sizes", default="1024,6144,31744", help="decoded body sizes in bytes")
    parser.add_argument("--quick", action="store_true", help="3 rounds of a quarter the messages")
    parser.add_argument("--py-sub", action="store_true", help="a pyzmq subscriber instead of the C one")
    parser.add_argument("--json", help="write the results as JSON")
    args = parser.parse_args(argv)
    rounds = 3 if args.quick else args.rounds
    scale = 0.25 if args.quick else 1.0
    sizes = [int(s) for s in args.sizes.split(",")]
    per_round = {s: max(int(scale * min(60_000, 60_000_000 // (s * 4 // 3 + 40))), 200) for s in sizes}
    hwm = 3 * max(per_round.values()) + 1000  # the writer sees reads late (every HWM/2): no refusals
    results: dict[str, Any] = {"machine": machine(), "rounds": rounds, "sizes": {}}
    print(json.dumps(results["machine"]), flush=True)
    workdir = Path(tempfile.mkdtemp(prefix="mockhm-bench-"))
    exe = build_c(workdir)
    ctx: zmq.Context[zmq.Socket[bytes]] = zmq.Context.instance()
    raw, raw_ep = xpub(ctx, hwm)
    ctrl = ctx.socket(zmq.PULL)
    ctrl.setsockopt(zmq.LINGER, 0)
    ctrl.bind("tcp://127.0.0.1:*")
    ctrl_ep = ctrl.getsockopt(zmq.LAST_ENDPOINT).decode()  # type: ignore[union-attr]
    hm = HookManager("tcp://127.0.0.1:*", None, lossless=True, hwm=hwm, journal=False)
    cpubs: list[CPublisher] = []
    sub_proc: Any = None
    try:
        data = {s: make_messages(s, per_round[s]) for s in sizes}
        if exe is not None:
            cpubs = [CPublisher(exe, data[s][1], hwm, workdir) for s in sizes]
        endpoints = [raw_ep, hm.events_endpoint] + [p.endpoint for p in cpubs]
        if exe is not None and not args.py_sub:
            sub_proc = subprocess.Popen([str(exe), "sub", ctrl_ep, *endpoints])
        else:
            sub_proc = mp.get_context("spawn").Process(target=py_subscriber, args=(endpoints, ctrl_ep))
            sub_proc.start()
        hm.wait_for_subscribers(1, timeout=30)
        if not raw.poll(30_000):
            raise SystemExit("the subscriber did not subscribe to the raw socket")
        raw.recv()
        for p in cpubs:
            if p.command("wait", 40) != "ok":
                raise SystemExit("the subscriber did not subscribe to the C publisher")

        def received() -> int:
            if not ctrl.poll(60_000):
                raise SystemExit("the counting subscriber did not answer within 60 s")
            return int(ctrl.recv())

        for idx, size in enumerate(sizes):
            events, frames = data[size]
            paths = rounds_for(raw, hm, cpubs[idx] if cpubs else None, events, frames)
            names = list(paths)
            rates: dict[str, dict[str, list[float]]] = {"wall": {n: [] for n in names}, "cpu": {}}
            rates["cpu"] = {n: [] for n in names}
            lossless = True
            refused = 0
            for r in range(rounds + 1):  # round 0 warms up and is not counted
                order = names[r % len(names) :] + names[: r % len(names)]
                if r % 2:
                    order.reverse()
                for name in order:
                    elapsed, cpu, sent, ref = paths[name]()
                    lossless &= received() == sent and sent + ref == len(frames)
                    refused += ref
                    if r:
                        rates["wall"][name].append(sent / elapsed)
                        rates["cpu"][name].append(sent / max(cpu, 1e-9))
            entry: dict[str, Any] = {
                "messages_per_round": len(frames),
                "body_bytes": size,
                "frame_bytes": len(frames[0][1]),
                "msgs_per_s": {n: statistics.median(v) for n, v in rates["wall"].items()},
                "cpu_us_per_msg": {n: 1e6 / statistics.median(v) for n, v in rates["cpu"].items()},
                "lossless": lossless,
                "refused": refused,
                "vs": {},
            }
            for clock in ("wall", "cpu"):
                entry["vs"][clock] = {
                    base: {
                        n: summarise(
                            [a / b for a, b in zip(rates[clock][n], rates[clock][base], strict=True)]
                        )
                        for n in names
                        if n != base
                    }
                    for base in ("raw2", "raw_mp", "c")
                    if base in names
                }
            results["sizes"][str(size)] = entry
            print_size(entry)
        raw.send_multipart(QUIT)
        hm.send_frames(QUIT)
    finally:
        for p in cpubs:
            p.close()
        if sub_proc is not None:
            if isinstance(sub_proc, subprocess.Popen):
                try:
                    sub_proc.wait(10)
                except subprocess.TimeoutExpired:
                    sub_proc.kill()
                    sub_proc.wait(5)
            else:
                sub_proc.join(10)
                if sub_proc.is_alive():
                    sub_proc.kill()
                    sub_proc.join(5)
        hm.close()
        raw.close(0)
        ctrl.close(0)
        shutil.rmtree(workdir, ignore_errors=True)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2), encoding="utf-8")
    return results


def print_size(entry: dict[str, Any]) -> None:
    """Two tables: throughput ratios by wall clock, and by the send thread's CPU time."""
    kb = entry["frame_bytes"] / 1000
    print(
        f"\nbody {entry['body_bytes']} B (frame 2 {kb:.2f} KB), {entry['messages_per_round']} msgs/round, "
        f"every sent message received: {entry['lossless']}, refused {entry['refused']}"
    )
    for clock, title in (("wall", "msg/s (wall)"), ("cpu", "CPU µs/msg")):
        bases = list(entry["vs"][clock])
        print(f"  {'path':<12} {title:>12}  " + "  ".join(f"{clock + ' vs ' + b:>24}" for b in bases))
        figures = entry["msgs_per_s"] if clock == "wall" else entry["cpu_us_per_msg"]
        for name, value in figures.items():
            cells = []
            for b in bases:
                s = entry["vs"][clock][b].get(name)
                cells.append("1" if s is None else f"{s['median']:.2f} ({s['min']:.2f}..{s['max']:.2f})")
            shown = f"{value:,.0f}" if clock == "wall" else f"{value:.2f}"
            print(f"  {name:<12} {shown:>12}  " + "  ".join(f"{c:>24}" for c in cells), flush=True)


if __name__ == "__main__":
    main()
