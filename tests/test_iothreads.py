"""The I/O loop threads: kept between Hook Managers, bounded, and ended when idle."""

from __future__ import annotations

import threading
import time

import pytest
import zmq

from mockhm import HookManager
from mockhm.hookmanager import iothreads


def _thread(ident: int) -> threading.Thread:
    return next(t for t in threading.enumerate() if t.ident == ident)


def _run_once() -> int:
    seen: list[int] = []
    loop = iothreads.start(lambda: seen.append(threading.get_ident()), "mockhm-io test")
    loop.join(5)
    assert not loop.is_alive()
    return seen[0]


def test_a_loop_that_ended_leaves_its_thread_for_the_next() -> None:
    _run_once()
    existing = {t.ident for t in threading.enumerate()}
    second = _run_once()
    assert second in existing  # no thread was started for it


def test_at_most_keep_idle_threads_stay_parked() -> None:
    release = threading.Event()
    n = iothreads.KEEP_IDLE + 3

    def block() -> None:
        release.wait(5)

    loops = [iothreads.start(block, "mockhm-io test") for _ in range(n)]
    release.set()
    for loop in loops:
        loop.join(5)
        assert not loop.is_alive()
    deadline = time.monotonic() + 5
    while True:  # threads beyond the bound end right after their loop: wait for them, bounded
        idle = [t for t in threading.enumerate() if t.name == iothreads.IDLE_NAME]
        if len(idle) <= iothreads.KEEP_IDLE or time.monotonic() > deadline:
            break
        idle[0].join(0.05)
    assert len(idle) <= iothreads.KEEP_IDLE


def test_a_parked_thread_ends_after_the_idle_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(iothreads, "IDLE_SECONDS", 0.05)
    # More loops at once than threads can be parked: at least one runs on a new thread, which
    # then parks with the short wait (or ends at once, the bound being reached).
    before = {t.ident for t in threading.enumerate()}
    release = threading.Event()
    idents: list[int] = []

    def loop() -> None:
        idents.append(threading.get_ident())
        release.wait(5)

    loops = [iothreads.start(loop, "mockhm-io test") for _ in range(iothreads.KEEP_IDLE + 1)]
    deadline = time.monotonic() + 5
    while len(idents) < len(loops) and time.monotonic() < deadline:
        release.wait(0.01)
    new = [i for i in idents if i not in before]
    threads = [_thread(i) for i in new]
    release.set()
    assert threads
    for thread in threads:
        thread.join(5)
        assert not thread.is_alive()
    assert all(not loop.is_alive() for loop in loops)


def test_hook_managers_one_after_another_keep_serving_reports() -> None:
    ctx = zmq.Context.instance()
    for i in range(5):
        with HookManager("tcp://127.0.0.1:*", "tcp://127.0.0.1:*") as hm:
            assert hm.reports_endpoint is not None
            req = ctx.socket(zmq.REQ)
            req.setsockopt(zmq.LINGER, 0)
            req.connect(hm.reports_endpoint)
            req.send(f"0 {i} aGVsbG8=".encode())
            assert req.poll(5000), f"Hook Manager {i} did not answer its report"
            assert req.recv() == b"ACK"
            req.close(0)
            assert hm.wait_for_report(i).hook_id == i
