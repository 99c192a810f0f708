"""The view of a running ``mockhm serve``: rich tables on a terminal (checked through rich's
recording console and through a real pseudo-terminal), plain log lines in a pipe."""

from __future__ import annotations

import os
import pty
import queue
import re
import select
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import zmq
from rich.console import Console

from mockhm import Cloud, HookManager, encode_report, state_event
from mockhm.cli.live import LiveView, key_family, objects_by_state, watching


@pytest.mark.parametrize(
    ("key", "family"),
    [
        ("EVENT STATE VM/ACTIVE/RUNNING/4 ", "STATE VM/ACTIVE/RUNNING"),
        ("EVENT STATE HOST/MONITORED//0 ", "STATE HOST/MONITORED"),
        ("EVENT VM 42/POWEROFF/LCM_INIT ", "VM <id>/POWEROFF/LCM_INIT"),
        ("EVENT API one.vm.allocate 0", "API one.vm.allocate 0"),
        ("EVENT SERVICE 7 ", "SERVICE <id>"),
        ("RETRY", "RETRY"),
        ("garbage key", "garbage key"),
    ],
)
def test_key_families_drop_the_ids(key: str, family: str) -> None:
    assert key_family(key) == family


def test_objects_by_state_of_a_model() -> None:
    cloud = Cloud("7.4", seed=1)
    cloud.host_allocate()
    cloud.host_monitor(0)
    cloud.vm_allocate()
    cloud.vm_allocate()
    cloud.vm_deploy(0)
    assert objects_by_state(cloud)["VM"] == {"ACTIVE/RUNNING": 1, "PENDING": 1}
    assert objects_by_state(cloud)["HOST"] == {"MONITORED": 1}


@pytest.fixture
def busy_hm() -> Iterator[HookManager]:
    """A Hook Manager with one subscriber, four messages sent and one failed report received."""
    ctx = zmq.Context.instance()
    with HookManager("tcp://127.0.0.1:*", "tcp://127.0.0.1:*") as hm:
        sub = ctx.socket(zmq.SUB)
        sub.setsockopt(zmq.LINGER, 0)
        sub.setsockopt(zmq.SUBSCRIBE, b"EVENT STATE VM/")
        sub.connect(hm.events_endpoint)
        req = ctx.socket(zmq.REQ)
        req.setsockopt(zmq.LINGER, 0)
        req.setsockopt(zmq.RCVTIMEO, 2000)
        assert hm.reports_endpoint is not None
        req.connect(hm.reports_endpoint)
        try:
            hm.wait_for_subscribers()
            hm.publish(state_event("VM", 4, "ACTIVE", "RUNNING"), state_event("HOST", 1, "MONITORED"))
            req.send(encode_report(1, 3, stdout="boom"))
            assert req.recv() == b"ACK"
            yield hm
        finally:
            sub.close(0)
            req.close(0)


def test_the_terminal_view_shows_subscriptions_families_reports_and_objects(busy_hm: HookManager) -> None:
    console = Console(record=True, force_terminal=True, width=160)
    view = LiveView(busy_hm, objects=lambda: {"VM": {"ACTIVE/RUNNING": 2}, "HOST": {"MONITORED": 1}})
    console.print(view.render())
    text = console.export_text()
    for expected in (
        "subscriptions", "'EVENT STATE VM/'", "sent to it", "messages per key family",
        "STATE VM/ACTIVE/RUNNING", "HOST <id>/MONITORED", "reports by hook and rc", "front-end objects",
        "ACTIVE/RUNNING", f"events {busy_hm.events_endpoint}", "sent 4",
    ):  # fmt: skip
        assert expected in text, (expected, text)
    row = next(line for line in text.splitlines() if "'EVENT STATE VM/'" in line)
    assert row.split("│")[3].strip() == "1"  # one VM STATE message went to that filter
    assert re.search(r"│\s*3\s*│\s*1\s*│\s*1\s*│", text)  # hook 3, rc 1: one report


def test_plain_lines_tell_who_came_and_went_and_what_was_reported(busy_hm: HookManager) -> None:
    view = LiveView(busy_hm)
    assert view.poll() == ["subscribe 'EVENT STATE VM/' (from message #1)", "report: hook 3 rc 1"]
    ctx = zmq.Context.instance()
    sub = ctx.socket(zmq.SUB)
    sub.setsockopt(zmq.LINGER, 0)
    sub.setsockopt(zmq.SUBSCRIBE, b"RETRY")
    mark = busy_hm.mark()
    sub.connect(busy_hm.events_endpoint)
    busy_hm.wait_for_subscribers(prefix="RETRY", since=mark)
    sub.close(0)
    busy_hm.wait_for_unsubscribed("RETRY")
    assert view.poll() == [
        "subscribe 'RETRY' (from message #5)",
        "unsubscribe 'RETRY' after 0 message(s) sent since it subscribed",
    ]
    assert view.poll() == []


def test_watching_picks_the_mode_from_the_console(busy_hm: HookManager) -> None:
    with open(os.devnull, "w") as sink:
        with watching(busy_hm, console=Console(file=sink)) as view:
            assert view.live is False
        with watching(busy_hm, console=Console(force_terminal=True, file=sink)) as view:
            assert view.live is True


# -- `mockhm serve` itself ---------------------------------------------------------------------


def _serve(tmp_path: Path, **popen: object) -> tuple[subprocess.Popen[bytes], str, str]:
    events, reports = f"ipc://{tmp_path}/events", f"ipc://{tmp_path}/reports"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOCKHM_")}
    env.update(TERM="xterm-256color", COLUMNS="160", LINES="50")
    proc = subprocess.Popen(
        [sys.executable, "-m", "mockhm", "serve", "--events", events, "--reports", reports,
         "--rate", "50", "--wait", "1"],
        env=env, **popen,  # type: ignore[call-overload]
    )  # fmt: skip
    return proc, events, reports


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:  # pragma: no cover - a hang is the failure
        proc.kill()
        proc.wait(5)
        raise


def _subscribe_and_report(events: str, reports: str) -> None:
    """A subscriber that takes one message, then one report on 2102 (ACKed, so it arrived)."""
    ctx = zmq.Context.instance()
    sub = ctx.socket(zmq.SUB)
    sub.setsockopt(zmq.LINGER, 0)
    sub.setsockopt(zmq.RCVTIMEO, 20_000)
    sub.setsockopt(zmq.SUBSCRIBE, b"EVENT STATE VM/")
    sub.connect(events)
    req = ctx.socket(zmq.REQ)
    req.setsockopt(zmq.LINGER, 0)
    req.setsockopt(zmq.RCVTIMEO, 20_000)
    req.connect(reports)
    try:
        sub.recv_multipart()
        req.send(encode_report(0, 5, stdout="ok"))
        assert req.recv() == b"ACK"
    finally:
        sub.close(0)
        req.close(0)


def test_serve_in_a_pipe_prints_plain_lines(tmp_path: Path) -> None:
    proc, events, reports = _serve(tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert proc.stdout is not None
    lines: queue.Queue[str] = queue.Queue()
    reader = threading.Thread(target=lambda: [lines.put(raw.decode()) for raw in proc.stdout])  # type: ignore[union-attr]
    reader.start()
    try:
        _subscribe_and_report(events, reports)
        seen = _until(lines, "unsubscribe 'EVENT STATE VM/'", "report: hook 5 rc 0")
    finally:
        _stop(proc)
        reader.join(10)
        proc.stdout.close()
    text = "".join(seen)
    assert "subscribe 'EVENT STATE VM/' (from message #1)" in text
    assert "report: hook 5 rc 0" in text
    assert "sent 'EVENT" in text  # the per-message lines stay in plain mode
    assert "┃" not in text  # no tables


def _until(lines: queue.Queue[str], *wanted: str, timeout: float = 30.0) -> list[str]:
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while not all(any(w in line for line in seen) for w in wanted):
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"{wanted!r} not printed within {timeout} s:\n{''.join(seen)}"
        try:
            seen.append(lines.get(timeout=remaining))
        except queue.Empty:
            continue
    return seen


def test_serve_on_a_pseudo_terminal_shows_the_live_view(tmp_path: Path) -> None:
    master, slave = pty.openpty()
    proc, events, reports = _serve(tmp_path, stdout=slave, stderr=slave, stdin=subprocess.DEVNULL)
    os.close(slave)
    screen = b""
    try:
        _subscribe_and_report(events, reports)
        deadline = time.monotonic() + 30
        while b"hook and rc" not in screen or b"5 " not in screen.split(b"hook and rc")[-1]:
            assert time.monotonic() < deadline, screen.decode(errors="replace")[-3000:]
            if select.select([master], [], [], 1.0)[0]:
                try:
                    screen += os.read(master, 65536)
                except OSError:  # the child closed the terminal
                    break
    finally:
        _stop(proc)
        os.close(master)
    text = screen.decode(errors="replace")
    assert "subscriptions" in text and "messages per key family" in text and "front-end objects" in text
    assert "\x1b[" in text  # drawn with terminal control sequences
    assert "sent 'EVENT" not in text  # the per-message lines give way to the view
