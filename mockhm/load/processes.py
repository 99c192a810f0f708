"""Load workers (processes here or on other hosts) behind one endpoint, through ZeroMQ's own proxy.

The coordinator binds three things: the events endpoint (an XPUB where subscribers connect),
the proxy's XSUB frontend where every worker's XPUB *connects* (:func:`zmq.proxy_steerable`,
libzmq's own forwarder, in a thread; subscriptions flow back to the workers), and a ROUTER
control endpoint.  A worker (a local process, or ``mockhm load --worker CONTROL`` on another
host) connects a DEALER to the control endpoint and says ``hello``; the coordinator answers
with the job (the base messages, the shape, its share: worker ``w`` of ``N`` sends messages
``w, w+N, …``), the worker waits for the subscribers through the proxy and says ``ready``.
When every worker is ready (a barrier), the coordinator sends ``go`` with a start time on the
wall clock, 200 ms ahead (hosts need synchronised clocks, NTP is enough for lag in
milliseconds); each worker converts it to its monotonic clock, renders its share ahead of the
clock and sends it, then answers ``done`` with its counts, timeline and HDR lag histogram,
which the coordinator merges into one report.  Reports (2102) arrive at the coordinator's
:class:`~mockhm.HookManager`, and are matched against the same schedule.

In lossless mode the backend and the workers use ``XPUB_NODROP``: a full backend blocks the
proxy, the workers' queues fill up, and their refusals are counted.  The control messages
are JSON (base64 for frames): nothing is unpickled from the network.
"""

from __future__ import annotations

import base64
import itertools
import json
import multiprocessing as mp
import secrets
import threading
import time
from collections.abc import Sequence
from typing import Any

import zmq

from mockhm.hookmanager.manager import HookManager
from mockhm.hookmanager.sending import _send
from mockhm.load.accounting import DEFAULT_PERCENTILES, Accounting, DueTimes
from mockhm.load.pacing import Arrivals, Shape, iter_schedule, scheduled_count
from mockhm.load.render import Frames, Plan, Renderer
from mockhm.load.report import LoadReport, Threshold
from mockhm.load.run import _Reports, build_report
from mockhm.load.send import pace
from mockhm.wire.errors import BindError, SubscriberTimeoutError

Ctx = zmq.Context[zmq.Socket[bytes]]
#: The start time is this far ahead of the ``go`` message (ns).
START_LEAD_NS = 200_000_000


def _xpub(ctx: Ctx, hwm: int | None, lossless: bool) -> zmq.Socket[bytes]:
    sock = ctx.socket(zmq.XPUB)
    sock.setsockopt(zmq.LINGER, 0)
    sock.setsockopt(zmq.XPUB_VERBOSER, 1)
    if hwm is not None:
        sock.setsockopt(zmq.SNDHWM, hwm)
    if lossless:
        sock.setsockopt(zmq.XPUB_NODROP, 1)
    return sock


def _bind(sock: zmq.Socket[bytes], endpoint: str, role: str) -> None:
    try:
        sock.bind(endpoint)
    except zmq.ZMQError as err:
        why = f"cannot bind the {role} socket to {endpoint}: {err.strerror} (errno {err.errno})"
        raise BindError(why, endpoint) from None


def _recv_json(sock: zmq.Socket[bytes], timeout: float, what: str) -> Any:
    if not sock.poll(int(timeout * 1000)):
        raise TimeoutError(f"no {what} within {timeout:g} s")
    return json.loads(sock.recv_multipart()[-1])


def reachable(endpoint: str, control: str) -> str:
    """``endpoint`` as bound by the coordinator, with a wildcard host replaced by the host this
    worker reached the coordinator at (``tcp://0.0.0.0:5600`` -> ``tcp://coord.example:5600``)."""
    scheme, _, rest = endpoint.partition("://")
    host, sep, port = rest.rpartition(":")
    if scheme != "tcp" or not sep or host not in ("0.0.0.0", "*", "[::]", "::"):
        return endpoint
    control_host = control.partition("://")[2].rpartition(":")[0]
    return f"tcp://{control_host}:{port}"


def worker(control: str, *, timeout: float = 120.0) -> None:
    """One load worker: takes a job from the coordinator at ``control`` and runs its share."""
    ctx: Ctx = zmq.Context()
    dealer = ctx.socket(zmq.DEALER)
    dealer.setsockopt(zmq.LINGER, 1000)
    pub: zmq.Socket[bytes] | None = None
    linger = 0.0
    try:
        dealer.connect(control)
        dealer.send_json({"kind": "hello"})
        job = _recv_json(dealer, timeout, "job from the coordinator")
        pub = _xpub(ctx, job["hwm"], job["lossless"])
        pub.connect(reachable(job["frontend"], control))
        linger = float(job["linger"])
        seen = 0
        deadline = time.monotonic() + job["wait_timeout"]
        while seen < job["wait"]:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not pub.poll(int(remaining * 1000)):
                dealer.send_json({"kind": "error", "why": f"{seen} of {job['wait']} subscription(s) "
                                  f"within {job['wait_timeout']} s"})  # fmt: skip
                return
            if pub.recv()[:1] == b"\x01":
                seen += 1
        shape = (
            Shape(tuple(map(tuple, job["shape"][0])), job["shape"][1], job["shape"][2])
            if job["shape"]
            else None
        )
        offsets = iter_schedule(shape, job["count"], arrivals=job["arrivals"], seed=job["seed"])
        w, n = job["index"], job["workers"]
        plan = Plan([tuple(base64.b64decode(f) for f in m) for m in job["pool"]],
                    itertools.islice(offsets, w, None, n), stamp=job["stamp"], body_size=job["body_size"],
                    run_id=job["run_id"], index_start=w, index_step=n,
                    stamp_keys=job.get("stamp_keys"))  # fmt: skip
        renderer = Renderer(plan)
        renderer.wait_ahead()
        dealer.send_json({"kind": "ready"})
        go = _recv_json(dealer, timeout, "start signal")
        t0 = time.monotonic_ns() + (go["t0_wall_ns"] - time.time_ns())
        acct = Accounting(t0=t0, shaped=shape is not None)
        counters = [0, 0, 0]  # sent, refused, bytes
        more = zmq.SNDMORE | zmq.NOBLOCK if job["lossless"] else zmq.SNDMORE
        last = zmq.NOBLOCK if job["lossless"] else 0
        sock = pub

        def send_many(batch: Sequence[Frames]) -> int:
            # Rendered messages are (key, content): the Hook Manager's fast path.
            sent = 0
            for key, content in batch:
                try:
                    _send(sock, key, more)
                except zmq.Again:
                    counters[1] += 1
                    continue
                _send(sock, content, last)
                sent += 1
                counters[2] += len(key) + len(content)
            counters[0] += sent
            return sent

        try:
            t_end = pace(send_many, renderer, t0, acct)
        finally:
            renderer.close()
        t_end_wall = time.time_ns() + (t_end - time.monotonic_ns())
        dealer.send_json({"kind": "done", "acct": acct.export(), "sent": counters[0], "refused": counters[1],
                          "bytes": counters[2], "t_end_wall_ns": t_end_wall})  # fmt: skip
    finally:
        if pub is not None:
            # ZeroMQ has no flush: a linger and terminating the context wait until the queue
            # reached the proxy (or ``linger`` expired).
            pub.close(int(linger * 1000))
        dealer.close()
        ctx.term()


def _local_worker(control: str) -> None:  # pragma: no cover - runs in a spawned process
    worker(control)


def run_load_processes(
    hm: HookManager,
    events: str,
    source: Sequence[Frames],
    shape: Shape | None,
    *,
    processes: int,
    remote_workers: int = 0,
    control: str = "tcp://127.0.0.1:*",
    frontend: str = "tcp://127.0.0.1:*",
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
    on_ready: Any = None,
    ack_filters: Sequence[str] | None = None,
) -> LoadReport:
    """Like :func:`mockhm.load.run.run_load` with ``processes`` local workers (plus
    ``remote_workers`` started elsewhere with ``mockhm load --worker CONTROL``) behind ``events``.

    ``hm`` only receives the reports (2102).  Workers learn about subscribers from the
    forwarded subscriptions, so ``wait`` is at least 1.  After the run, queued messages get
    up to ``linger`` seconds to reach the proxy and the subscribers; a capture socket on the
    proxy counts what was forwarded, so the proxy stops only when everything sent went through.
    ``on_ready(control_endpoint, frontend_endpoint)`` is called once both are bound.

    Raises:
        BindError: an endpoint cannot be bound.
        SubscriberTimeoutError: the subscribers did not arrive within ``wait_timeout``.
    """
    wait = max(wait, 1)
    n_workers = processes + remote_workers
    if n_workers < 1:
        raise ValueError("at least one worker is needed")
    stamp = stamp or acks
    schedule_args = {"arrivals": arrivals, "seed": seed}
    scheduled = scheduled_count(shape, count, arrivals=arrivals, seed=seed)
    run_id = secrets.token_hex(6)
    pool = [tuple(f) for f in source]
    stamp_keys = None if not acks or ack_filters is None else tuple(ack_filters)
    probe = Plan(pool, iter(()), stamp=stamp, body_size=body_size, run_id=run_id, stamp_keys=stamp_keys)
    stamped_flags = [stamp and t.parts is not None for t in probe.templates]
    ctx: Ctx = zmq.Context()  # its own: term() flushes the backend
    front = ctx.socket(zmq.XSUB)
    front.setsockopt(zmq.RCVHWM, 0)
    front.setsockopt(zmq.LINGER, 0)
    backend = _xpub(ctx, hwm, lossless)
    router = ctx.socket(zmq.ROUTER)
    router.setsockopt(zmq.LINGER, 0)
    ctl, steer, capture, tap = (ctx.socket(zmq.PAIR) for _ in range(4))
    capture.setsockopt(zmq.SNDHWM, 0)
    tap.setsockopt(zmq.RCVHWM, 0)
    socks = (front, backend, router, ctl, steer, capture, tap)
    for s in socks:
        s.setsockopt(zmq.LINGER, 0)
    try:
        for sock, endpoint, role in (
            (backend, events, "events"),
            (front, frontend, "proxy"),
            (router, control, "control"),
        ):
            _bind(sock, endpoint, role)
        bound = [s.getsockopt(zmq.LAST_ENDPOINT).decode() for s in (backend, front, router)]  # type: ignore[union-attr]
        name = f"inproc://mockhm-proxy-{id(ctl)}"
        ctl.bind(name)
        steer.connect(name)
        capture.bind(name + "-capture")
        tap.connect(name + "-capture")
    except BaseException:
        for s in socks:
            s.close(0)
        ctx.term()
        raise
    endpoint, front_ep, control_ep = bound
    proxy = threading.Thread(target=zmq.proxy_steerable, args=(front, backend, capture, ctl), daemon=True)
    proxy.start()
    if on_ready is not None:
        on_ready(control_ep, front_ep)
    spawn = mp.get_context("spawn")
    procs = [spawn.Process(target=_local_worker, args=(control_ep,), daemon=True) for _ in range(processes)]
    try:
        for p in procs:
            p.start()
        job = {
            "frontend": front_ep, "workers": n_workers, "hwm": hwm, "lossless": lossless, "wait": wait,
            "wait_timeout": wait_timeout, "linger": linger, "count": count, "stamp": stamp,
            "body_size": body_size, "run_id": run_id, "stamp_keys": stamp_keys, **schedule_args,
            "shape": [list(shape.points), shape.description, shape.open_ended] if shape else None,
            "pool": [[base64.b64encode(f).decode() for f in m] for m in pool],
        }  # fmt: skip
        peers: list[bytes] = []
        ready = 0
        deadline = time.monotonic() + wait_timeout + 60

        def crashed() -> None:
            codes = [p.exitcode for p in procs if p.exitcode not in (None, 0)]
            if codes:
                raise RuntimeError(f"a load worker process failed (exit code {codes[0]})")

        while ready < n_workers:
            remaining = deadline - time.monotonic()
            if remaining > 0 and not router.poll(200):
                crashed()
                continue
            if remaining <= 0:
                why = f"{ready} of {n_workers} load worker(s) ready within {wait_timeout + 60:g} s"
                raise SubscriberTimeoutError(why, endpoint=endpoint, expected=wait, seen=[])
            peer, data = router.recv_multipart()
            msg = json.loads(data)
            if msg["kind"] == "hello" and len(peers) < n_workers:
                router.send_multipart([peer, json.dumps({**job, "index": len(peers)}).encode()])
                peers.append(peer)
            elif msg["kind"] == "ready":
                ready += 1
            elif msg["kind"] == "error":
                raise SubscriberTimeoutError(
                    f"load worker: {msg['why']}", endpoint=endpoint, expected=wait, seen=[]
                )
        reports = _Reports(hm, consume=False)
        started_at = time.time()
        t0_wall = time.time_ns() + START_LEAD_NS
        t0 = time.monotonic_ns() + (t0_wall - time.time_ns())
        for peer in peers:
            router.send_multipart([peer, json.dumps({"kind": "go", "t0_wall_ns": t0_wall}).encode()])
        acct = Accounting(t0=t0, shaped=shape is not None)
        sent = refused = sent_bytes = done = 0
        t_end = t0
        last = (shape.duration if shape is not None and not shape.open_ended else 0) + 600
        while done < n_workers:
            if not router.poll(200):
                crashed()
                if time.monotonic_ns() > t0 + int(last * 1e9) + scheduled * 1000:
                    raise TimeoutError("a load worker did not finish in time")
                continue
            _, data = router.recv_multipart()
            msg = json.loads(data)
            if msg["kind"] != "done":
                continue
            done += 1
            acct.merge(msg["acct"])
            sent += msg["sent"]
            refused += msg["refused"]
            sent_bytes += msg["bytes"]
            t_end = max(t_end, time.monotonic_ns() + (msg["t_end_wall_ns"] - time.time_ns()))
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
            due_of = DueTimes(iter_schedule(shape, count, **schedule_args))  # type: ignore[arg-type]
            expected = max(acct.stamped - refused, 0)
            deadline = time.monotonic() + drain
            while True:
                for report, t_recv in reports.take():
                    acct.ack(report, t_recv, run_id, due_of, scheduled, stamped_flags)
                if (
                    acct.acked >= expected
                    or time.monotonic() >= deadline
                    or (stop is not None and stop.is_set())
                ):
                    break
                time.sleep(0.005)
        return build_report(
            endpoint, acct, run_id, scheduled, t_end, sent=sent, refused=refused, sent_bytes=sent_bytes,
            lossless=lossless, shape=shape, arrivals=arrivals, seed=seed, acks=acks,
            percentiles=tuple(percentiles), thresholds=thresholds, started_at=started_at,
            source_name=source_name, hwm=hwm if hwm is not None else 1000, processes=n_workers,
            ack_filters=stamp_keys,
        )  # fmt: skip
    finally:
        for p in procs:
            p.join(5)
            if p.is_alive():
                p.kill()
                p.join(5)
        steer.send(b"TERMINATE")
        proxy.join(5)
        for s in socks:
            s.close(int(linger * 1000) if s is backend else 0)
        ctx.term()  # waits (at most ``linger``) for the backend's queue to reach subscribers
