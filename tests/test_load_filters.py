"""``mockhm load --filter`` and acknowledgements expected only for what an executor's filters
select: an executor with one hook shows no loss (issue 15).  Real sockets, a HEM-style executor
that reports each message it receives with the body as ARGUMENTS (``ARGUMENTS = "$TEMPLATE"``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import zmq

from mockhm import HookManager, encode_report
from mockhm.load.pacing import Shape
from mockhm.load.run import generated_pool, run_load
from tests.receiving import closed_at_teardown

HOOK = "EVENT STATE VM/ACTIVE/RUNNING/"


class Executor:
    """SUB with one filter per hook on 2101; one REQ report per message received on 2102."""

    def __init__(self, events: str, reports: str, *hooks: str) -> None:
        ctx = zmq.Context.instance()
        self.sub = ctx.socket(zmq.SUB)
        self.sub.setsockopt(zmq.LINGER, 0)
        for hook in hooks:
            self.sub.setsockopt(zmq.SUBSCRIBE, hook.encode())
        self.sub.connect(events)
        self.req = ctx.socket(zmq.REQ)
        self.req.setsockopt(zmq.LINGER, 0)
        self.req.connect(reports)
        self.keys: list[bytes] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run)
        self.thread.start()

    def _run(self) -> None:
        try:
            while not self.stop.is_set():
                if not self.sub.poll(20):
                    continue
                key, content = self.sub.recv_multipart()
                self.keys.append(key)
                self.req.send(encode_report(0, 1, arguments=content.decode()))
                if not self.req.poll(5000):
                    return
                self.req.recv()
        finally:
            self.sub.close(0)
            self.req.close(0)

    def close(self) -> None:
        self.stop.set()
        self.thread.join(10)


@pytest.fixture
def executor() -> Iterator[Callable[..., Executor]]:
    yield from closed_at_teardown(Executor)


def test_an_executor_with_one_hook_shows_no_loss(executor: Callable[..., Executor]) -> None:
    pool = generated_pool(200, seed=3)
    with HookManager("tcp://127.0.0.1:*", "tcp://127.0.0.1:*", journal=False, lossless=True, hwm=0) as hm:
        assert hm.reports_endpoint is not None
        ex = executor(hm.events_endpoint, hm.reports_endpoint, HOOK)
        hm.wait_for_filters({HOOK})
        report = run_load(hm, pool, Shape.constant(2000, 0.1), acks=True, drain=5.0)
        selected = hm.delivered(HOOK).count
    assert report.ack_filters == (HOOK,)
    assert 0 < report.stamped <= selected < report.sent  # the hook selects a part of the run
    assert report.acked == report.stamped and report.loss == 0
    assert report.unmatched_reports == selected - report.stamped  # e.g. bodies without a template
    assert all(k.startswith(HOOK.encode()) for k in ex.keys)


def test_expecting_every_message_of_a_one_hook_executor_shows_the_loss(
    executor: Callable[..., Executor],
) -> None:
    """What ``--acks`` did before: acknowledgements for messages the executor never receives."""
    pool = generated_pool(200, seed=3)
    with HookManager("tcp://127.0.0.1:*", "tcp://127.0.0.1:*", journal=False, lossless=True, hwm=0) as hm:
        assert hm.reports_endpoint is not None
        executor(hm.events_endpoint, hm.reports_endpoint, HOOK)
        hm.wait_for_filters({HOOK})
        report = run_load(hm, pool, Shape.constant(2000, 0.1), acks=True, drain=0.5, ack_filters=[""])
    assert report.ack_filters == ("",)
    assert report.loss is not None and report.loss > 0 and report.acked < report.stamped


def _mockhm(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOCKHM_")}
    return subprocess.run(
        [sys.executable, "-m", "mockhm", "load", *args],
        capture_output=True, text=True, timeout=120, check=False, env=env,
    )  # fmt: skip


def test_cli_acks_follow_the_executors_filters_and_filter_limits_what_is_sent(
    tmp_path: Path, executor: Callable[..., Executor]
) -> None:
    events, reports = f"ipc://{tmp_path}/events", f"ipc://{tmp_path}/reports"
    ex = executor(events, reports, HOOK)  # connects first; ZeroMQ retries until the bind
    out = tmp_path / "load.json"
    proc = _mockhm(
        "--events", events, "--reports", reports, "--wait", "1", "--lossless", "--hwm", "0",
        "--rate", "2000", "--count", "300", "--filter", "EVENT STATE VM/", "--acks", "--drain", "5",
        "--json", str(out), "--quiet",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    data = json.loads(out.read_text())
    assert data["ack_filters"] == [HOOK] and data["loss"] == 0
    assert 0 < data["stamped"] == data["acked"] < data["sent"] == 300
    assert "expected from" in proc.stdout and HOOK in proc.stdout
    assert ex.keys and all(k.startswith(HOOK.encode()) for k in ex.keys)


def test_cli_filter_sends_only_matching_keys(tmp_path: Path) -> None:
    events = f"ipc://{tmp_path}/events"
    sub = zmq.Context.instance().socket(zmq.SUB)
    sub.setsockopt(zmq.LINGER, 0)
    sub.setsockopt(zmq.RCVTIMEO, 20_000)
    sub.setsockopt(zmq.SUBSCRIBE, b"")
    sub.connect(events)
    try:
        proc = _mockhm(
            "--events", events, "--reports", f"ipc://{tmp_path}/reports", "--wait", "1", "--lossless",
            "--max", "--count", "40", "--filter", "EVENT API ", "--filter", "EVENT STATE HOST/", "--quiet",
        )  # fmt: skip
        assert proc.returncode == 0, proc.stdout + proc.stderr
        keys = [sub.recv_multipart()[0] for _ in range(40)]
    finally:
        sub.close(0)
    assert all(k.startswith((b"EVENT API ", b"EVENT STATE HOST/")) for k in keys)
    assert any(k.startswith(b"EVENT API ") for k in keys) and any(
        k.startswith(b"EVENT STATE HOST/") for k in keys
    )


def test_cli_filter_that_selects_nothing_is_a_usage_error() -> None:
    proc = _mockhm(
        "--events", "tcp://127.0.0.1:*", "--wait", "0", "--max", "--count", "5", "--filter", "NOPE"
    )
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "--filter 'NOPE': no message of generated events (seed 0) has such a key" in proc.stderr
    assert "keys include 'EVENT" in proc.stderr


def test_help_documents_the_stamping() -> None:
    proc = _mockhm("--help")
    assert "stamping and acknowledgements:" in proc.stdout
    assert "MOCKHM_DUE_NS" in proc.stdout and "--ack-filter" in proc.stdout
