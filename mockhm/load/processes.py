"""Several publisher processes behind one endpoint, through ZeroMQ's own proxy.

Each worker process owns an XPUB socket *connected* to the proxy's XSUB frontend and sends
every ``N``-th message of the run's schedule (worker ``w`` sends messages ``w, w+N, …``)
against the same absolute ``t0`` (``CLOCK_MONOTONIC`` is system-wide on Linux).  The
proxy (:func:`zmq.proxy_steerable` in a thread of the main process) forwards them to an
XPUB backend bound where subscribers connect, and forwards subscriptions the other way,
so workers know when subscribers are there.  In lossless mode the backend and the workers
use ``XPUB_NODROP``: a full backend blocks the proxy, the workers' queues fill up, and
their refusals are counted.  Reports (2102) still arrive at the main process's
:class:`~mockhm.HookManager`.
"""

from __future__ import annotations

import multiprocessing as mp
import threading
import time
from collections.abc import Sequence
from multiprocessing.connection import Connection
from typing import Any

import zmq

from mockhm.hookmanager.manager import HookManager
from mockhm.load.pacing import Arrivals, Shape
from mockhm.load.report import LoadReport, Threshold
from mockhm.load.run import DEFAULT_PERCENTILES, Batch, Frames, await_acks, build_report, pace, prepare
from mockhm.wire.errors import BindError, SubscriberTimeoutError


def _xpub(ctx: zmq.Context[zmq.Socket[bytes]], hwm: int | None, lossless: bool) -> zmq.Socket[bytes]:
    sock = ctx.socket(zmq.XPUB)
    sock.setsockopt(zmq.LINGER, 0)
    sock.setsockopt(zmq.XPUB_VERBOSER, 1)
    if hwm is not None:
        sock.setsockopt(zmq.SNDHWM, hwm)
    if lossless:
        sock.setsockopt(zmq.XPUB_NODROP, 1)
    return sock


def _worker(
    frontend: str,
    frames: list[Frames],
    offsets: list[int],
    index_start: int,
    step: int,
    hwm: int | None,
    lossless: bool,
    wait: int,
    wait_timeout: float,
    linger: float,
    conn: Connection,
) -> None:
    """One publisher process (runs under ``spawn``)."""
    ctx: zmq.Context[zmq.Socket[bytes]] = zmq.Context()
    pub = _xpub(ctx, hwm, lossless)
    try:
        pub.connect(frontend)
        seen = 0
        deadline = time.monotonic() + wait_timeout
        while seen < wait:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not pub.poll(int(remaining * 1000)):
                conn.send(
                    (
                        "error",
                        f"worker {index_start}: {seen} of {wait} subscription(s) within {wait_timeout} s",
                    )
                )
                return
            if pub.recv()[:1] == b"\x01":
                seen += 1
        conn.send(("ready", None))
        t0 = conn.recv()
        flags = zmq.NOBLOCK if lossless else 0
        counters = [0, 0, 0]  # sent, refused, bytes
        send = pub.send_multipart

        def send_many(batch: Sequence[Frames]) -> int:
            sent = 0
            for f in batch:
                try:
                    send(f, flags=flags, copy=False)
                except zmq.Again:
                    counters[1] += 1
                    continue
                sent += 1
                counters[2] += sum(map(len, f))
            counters[0] += sent
            return sent

        batches, t_end = pace(send_many, frames, offsets, t0, index_start=index_start, index_step=step)
        conn.send(("done", (batches, counters, t_end)))
        # ZeroMQ has no flush: closing with a linger and terminating the context waits until
        # the queue reached the proxy (or ``linger`` expired).
        pub.close(int(linger * 1000))
    finally:
        pub.close(0)
        ctx.term()


def run_load_processes(
    hm: HookManager,
    events: str,
    source: Sequence[Frames],
    shape: Shape | None,
    *,
    processes: int,
    count: int | None = None,
    arrivals: Arrivals = "uniform",
    seed: int | None = 0,
    stamp: bool = True,
    body_size: int | None = None,
    acks: bool = False,
    drain: float = 2.0,
    percentiles: Sequence[float] = DEFAULT_PERCENTILES,
    thresholds: Sequence[Threshold] = (),
    hwm: int | None = None,
    lossless: bool = False,
    wait: int = 1,
    wait_timeout: float = 30.0,
    source_name: str = "messages",
    stop: threading.Event | None = None,
    linger: float = 5.0,
) -> LoadReport:
    """Like :func:`mockhm.load.run.run_load` with ``processes`` publishers behind ``events``.

    ``hm`` only receives the reports (2102); the events endpoint is the proxy's backend.
    Waiting for at least one subscriber is required (workers learn about subscribers from
    the forwarded subscriptions), so ``wait`` is at least 1.

    After the run, queued messages get up to ``linger`` seconds to reach the proxy and the
    subscribers before the sockets close; a capture socket on the proxy counts what was
    forwarded, so the proxy stops only when everything sent went through it.

    Raises:
        BindError: ``events`` cannot be bound.
        SubscriberTimeoutError: the subscribers did not arrive within ``wait_timeout``.
    """
    wait = max(wait, 1)
    rendered = prepare(source, shape, count=count, arrivals=arrivals, seed=seed, stamp=stamp or acks,
                       body_size=body_size)  # fmt: skip
    ctx: zmq.Context[zmq.Socket[bytes]] = zmq.Context()  # its own: term() flushes the backend
    frontend = ctx.socket(zmq.XSUB)
    frontend.setsockopt(zmq.RCVHWM, 0)
    frontend.setsockopt(zmq.LINGER, 0)
    backend = _xpub(ctx, hwm, lossless)
    control = ctx.socket(zmq.PAIR)
    control.setsockopt(zmq.LINGER, 0)
    steer = ctx.socket(zmq.PAIR)
    steer.setsockopt(zmq.LINGER, 0)
    capture = ctx.socket(zmq.PAIR)
    capture.setsockopt(zmq.LINGER, 0)
    capture.setsockopt(zmq.SNDHWM, 0)
    tap = ctx.socket(zmq.PAIR)
    tap.setsockopt(zmq.LINGER, 0)
    tap.setsockopt(zmq.RCVHWM, 0)
    socks = (frontend, backend, control, steer, capture, tap)
    try:
        frontend.bind("tcp://127.0.0.1:*")
        try:
            backend.bind(events)
        except zmq.ZMQError as err:
            raise BindError(f"cannot bind the events socket to {events}: {err.strerror} (errno {err.errno})",
                            events) from None  # fmt: skip
        endpoint = backend.getsockopt(zmq.LAST_ENDPOINT).decode()  # type: ignore[union-attr]
        front_ep = frontend.getsockopt(zmq.LAST_ENDPOINT).decode()  # type: ignore[union-attr]
        name = f"inproc://mockhm-proxy-{id(control)}"
        control.bind(name)
        steer.connect(name)
        capture.bind(name + "-capture")
        tap.connect(name + "-capture")
    except BaseException:
        for s in socks:
            s.close(0)
        raise
    proxy = threading.Thread(
        target=zmq.proxy_steerable, args=(frontend, backend, capture, control), daemon=True
    )
    proxy.start()
    spawn = mp.get_context("spawn")
    workers: list[tuple[Any, Connection]] = []
    try:
        for w in range(processes):
            parent, child = spawn.Pipe()
            proc = spawn.Process(
                target=_worker,
                args=(front_ep, rendered.frames[w::processes], rendered.offsets[w::processes], w, processes,
                      hwm, lossless, wait, wait_timeout, linger, child),
                daemon=True,
            )  # fmt: skip
            proc.start()
            workers.append((proc, parent))
        for _, conn in workers:
            if not conn.poll(wait_timeout + 60):
                raise SubscriberTimeoutError(
                    f"a publisher process did not get ready within {wait_timeout + 60:g} s",
                    endpoint=endpoint, expected=wait, seen=[],
                )  # fmt: skip
            kind, msg = conn.recv()
            if kind == "error":
                raise SubscriberTimeoutError(str(msg), endpoint=endpoint, expected=wait, seen=[])
        base_reports = len(hm.reports)
        started_at = time.time()
        t0 = time.monotonic_ns() + 20_000_000  # every worker has the start time before it comes
        for _, conn in workers:
            conn.send(t0)
        last = (rendered.offsets[-1] if rendered.offsets else 0) / 1e9
        batches: list[Batch] = []
        sent = refused = sent_bytes = 0
        t_end = t0
        for _, conn in workers:
            while not conn.poll(0.2):
                if time.monotonic_ns() > t0 + int((last + 120) * 1e9):
                    raise TimeoutError("a publisher process did not finish in time")
            kind, (wb, counters, wt) = conn.recv()
            batches += wb
            sent += counters[0]
            refused += counters[1]
            sent_bytes += counters[2]
            t_end = max(t_end, wt)
        forwarded = 0
        deadline = time.monotonic() + linger
        while forwarded < sent and time.monotonic() < deadline:
            if not tap.poll(100):
                continue
            while True:
                try:
                    frames = tap.recv_multipart(zmq.NOBLOCK, copy=False)
                except zmq.Again:
                    break
                first = frames[0].bytes[:1] if frames[0].bytes else b""
                if not (len(frames) == 1 and first in (b"\x00", b"\x01")):  # not a subscription
                    forwarded += 1
        if acks:
            await_acks(hm, rendered, batches, base_reports, refused, drain, stop)
        return build_report(
            hm, rendered, batches, t0, t_end, base_reports, sent=sent, refused=refused,
            sent_bytes=sent_bytes, shape=shape, arrivals=arrivals, seed=seed, acks=acks,
            percentiles=tuple(percentiles), thresholds=thresholds, started_at=started_at,
            source_name=source_name, hwm=hwm if hwm is not None else 1000, processes=processes,
            endpoint=endpoint,
        )  # fmt: skip
    finally:
        for proc, conn in workers:
            proc.join(5)
            if proc.is_alive():
                proc.kill()
                proc.join(5)
            conn.close()
        steer.send(b"TERMINATE")
        proxy.join(5)
        for s in socks:
            s.close(int(linger * 1000) if s is backend else 0)
        ctx.term()  # waits (at most ``linger``) for the backend's queue to reach subscribers
