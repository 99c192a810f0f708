"""Replay: schedule against a fixed anchor, filters, loops with fresh ids, dry runs, and the
capture -> save -> load -> replay round trip over real sockets (issue 6)."""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import zmq

from mockhm import HookManager, parse_key
from mockhm.schemas.validation import check_message
from mockhm.streams.capturefile import CaptureWriter, make_header
from mockhm.streams.record import Recorder
from mockhm.streams.renumber import rewrite_ids
from mockhm.streams.replay import replay, schedule, sleep_until
from mockhm.streams.scenario import TimedMessage, load_scenario
from mockhm.streams.sources import load_source
from mockhm.wire.errors import InvalidArgumentError

ANY = "tcp://127.0.0.1:*"


@pytest.fixture
def sub_factory() -> Iterator[list[zmq.Socket[bytes]]]:
    socks: list[zmq.Socket[bytes]] = []
    yield socks
    for s in socks:
        s.close(0)


def subscribe(socks: list[zmq.Socket[bytes]], endpoint: str, prefix: bytes = b"") -> zmq.Socket[bytes]:
    sub = zmq.Context.instance().socket(zmq.SUB)
    sub.setsockopt(zmq.LINGER, 0)
    sub.setsockopt(zmq.SUBSCRIBE, prefix)
    sub.connect(endpoint)
    socks.append(sub)
    return sub


def receive(sub: zmq.Socket[bytes], n: int, timeout_ms: int = 5000) -> list[tuple[bytes, ...]]:
    out = []
    for _ in range(n):
        assert sub.poll(timeout_ms), f"only {len(out)} of {n} messages arrived"
        out.append(tuple(sub.recv_multipart()))
    return out


def test_capture_save_load_replay_is_byte_identical(tmp_path: Path, sub_factory: list) -> None:
    """A HookManager publishes, a recorder records, a second HookManager replays, a SUB receives."""
    source = load_scenario("host-failure-storm")
    path = tmp_path / "storm.jsonl"
    with HookManager(ANY, None) as live:
        recorder = Recorder(live.events_endpoint, path, scrub=False, count=len(source.messages))
        thread = threading.Thread(target=recorder.run)
        thread.start()
        try:
            live.wait_for_subscribers(1)
            report = replay(source, live, speed=math.inf, echo=None)
            assert report.sent == len(source.messages)
        finally:
            thread.join(10)
            recorder.stop()
        original = list(live.journal)
    assert not thread.is_alive()
    assert recorder.messages == len(original)
    with HookManager(ANY, None) as second:
        sub = subscribe(sub_factory, second.events_endpoint)
        second.wait_for_subscribers(1)
        report = replay(path, second, speed=math.inf, echo=None)
        received = receive(sub, len(original))
    assert report.sent == len(original)
    assert received == original  # same bytes, same order
    assert sub.poll(100) == 0


def test_offsets_follow_speed_and_max_gap() -> None:
    msgs = [TimedMessage(t, (b"RETRY", b"x ")) for t in (10.0, 10.5, 40.5, 41.0)]
    planned = schedule(load_source(msgs), speed=2.0, max_gap=1.0)
    assert planned.offsets == [0.0, 0.25, 0.75, 1.0]
    assert planned.dropped == 0


def test_offsets_that_go_back_keep_file_order(tmp_path: Path) -> None:
    path = tmp_path / "back.jsonl"
    with CaptureWriter(path, make_header(source="test")) as out:
        for i, t in enumerate((0.0, 2.0, 1.0, 3.0)):
            out.write((b"EVENT API one.vm.allocate 1", str(i).encode()), t, 0.0)
    src = load_source(path)
    assert src.out_of_order == 1
    planned = schedule(src)
    assert [frames[1] for frames in planned.frames] == [b"0", b"1", b"2", b"3"]
    assert planned.offsets == [0.0, 2.0, 2.0, 3.0]


def test_filters_send_only_matching_keys(sub_factory: list) -> None:
    source = load_scenario("vm-lifecycle")
    wanted = [m.frames for m in source.messages if m.key.startswith("EVENT STATE VM/")]
    with HookManager(ANY, None) as hm:
        sub = subscribe(sub_factory, hm.events_endpoint)
        hm.wait_for_subscribers(1)
        report = replay(source, hm, speed=math.inf, filters=["EVENT STATE VM/"], echo=None)
        got = receive(sub, len(wanted))
    assert got == wanted
    assert report.filtered == len(source.messages) - len(wanted)


def test_loops_create_fresh_ids_and_stay_valid() -> None:
    src = load_source("vm-lifecycle")
    planned = schedule(src, loop=3, speed=math.inf)
    ids: dict[int, set[tuple[str, int]]] = {1: set(), 2: set(), 3: set()}
    for frames, loop in zip(planned.frames, planned.loops, strict=True):
        assert check_message(frames, profile="7.4") == [], frames[0]
        parsed = parse_key(frames[0])
        if parsed.resource_id is not None:
            ids[loop].add((parsed.obj or "", parsed.resource_id))
    assert ids[1] and not ids[1] & ids[2] and not ids[2] & ids[3] and not ids[1] & ids[3]
    assert len(planned.frames) == 3 * len(src.messages)
    # loop 1 is sent exactly as in the source
    assert [f for f, loop in zip(planned.frames, planned.loops, strict=True) if loop == 1] == [
        m.frames for m in src.messages
    ]


def test_rewrite_ids_moves_key_and_body_together() -> None:
    src = load_source("vm-lifecycle")
    running = next(m for m in src.messages if m.key == "EVENT STATE VM/ACTIVE/RUNNING/2 ")
    new = rewrite_ids(running.frames, {"VM": 100, "HOST": 10})
    assert new[0] == b"EVENT STATE VM/ACTIVE/RUNNING/102 "
    assert check_message(new, profile="7.4") == []
    import base64

    body = base64.b64decode(new[1])
    assert b"<RESOURCE_ID>102</RESOURCE_ID>" in body and b"<VM><ID>102</ID>" in body
    assert b"<HID>1" in body  # the history's host id moved with the hosts


def test_dry_run_prints_and_sends_nothing(sub_factory: list) -> None:
    lines: list[str] = []
    with HookManager(ANY, None) as hm:
        sub = subscribe(sub_factory, hm.events_endpoint)
        hm.wait_for_subscribers(1)
        report = replay("hook-retry", hm, dry_run=True, echo=lines.append)
        assert hm.statistics().sent == 0
        assert sub.poll(100) == 0
    assert report.dry_run and report.sent == report.planned == len(lines)
    assert "'RETRY'" in "".join(lines)


def test_never_early_and_clean_exit_at_the_end(sub_factory: list) -> None:
    """Sends are never before their due time; the replay returns at the end of the stream."""
    source = load_scenario("hook-retry")
    speed = 20.0
    with HookManager(ANY, None) as hm:
        sub = subscribe(sub_factory, hm.events_endpoint)
        hm.wait_for_subscribers(1)
        report = replay(source, hm, speed=speed, echo=None)
        receive(sub, len(source.messages))
    assert report.sent == len(source.messages) and not report.stopped
    assert report.elapsed >= source.duration / speed
    assert 0 <= report.lag_median <= report.lag_p99 <= report.lag_max


def test_stop_event_ends_a_replay_early() -> None:
    stop = threading.Event()
    seen: list[int] = []

    def progress(done: int, total: int, loop: int) -> None:
        seen.append(done)
        if done >= 3:  # a sender behind schedule sends what is due in one batch
            stop.set()

    # 0.2 s apart: one message per batch even on a busy machine (due messages share a batch).
    source = [TimedMessage(0.2 * i, (b"RETRY", b"x ")) for i in range(10)]
    with HookManager(ANY, None) as hm:
        report = replay(source, hm, stop=stop, progress=progress, echo=None)
    assert report.stopped and report.sent == seen[-1] >= 3 and report.sent < report.planned


def test_wait_for_subscribers_before_replay() -> None:
    from mockhm import SubscriberTimeoutError

    with HookManager(ANY, None) as hm, pytest.raises(SubscriberTimeoutError):
        replay("hook-retry", hm, wait=1, wait_timeout=0.2)
    assert hm.statistics().sent == 0


def test_capture_lines_are_json(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    with CaptureWriter(path, make_header(source="x")) as out:
        out.write((b"RETRY", b"QQ== "), 0.0, 1.0)
    header, line = (json.loads(x) for x in path.read_text().splitlines())
    assert header["format"] == "mockhm-capture" and line["frames"] == ["RETRY", "QQ== "]


def test_serve_validate_refuses_a_capture_with_a_bad_message_before_binding(tmp_path: Path) -> None:
    """`mockhm serve FILE --validate` checks every message first: nothing binds, nothing is sent."""
    import subprocess
    import sys

    from mockhm import state_event

    good = state_event("VM", 4, "ACTIVE", "RUNNING").messages()[0]
    capture = tmp_path / "c.jsonl"
    lines = [
        {"format": "mockhm-capture", "version": 1, "mockhm": "0.1.0", "source": "test", "profile": "7.4",
         "filters": [""], "joined": 0, "losses": None},
        {"t": 0.0, "wall": 0.0, "frames": [good.key, good.content.decode()]},
        {"t": 0.1, "wall": 0.1, "frames": ["EVENT VM 42/ACTIVE/RUNNING ", good.content.decode()]},
    ]  # fmt: skip
    capture.write_text("".join(json.dumps(line) + "\n" for line in lines))
    proc = subprocess.run(
        [sys.executable, "-m", "mockhm", "serve", str(capture), "--validate", "-p", "*", "-l", "*"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 1
    assert "c.jsonl, step 3: key-body-mismatch: key 'EVENT VM 42/ACTIVE/RUNNING '" in proc.stdout
    assert "1 of 2 message(s) invalid; nothing sent" in proc.stdout
    assert "replaying" not in proc.stdout


def test_a_deadline_far_beyond_the_os_timeout_waits_without_overflow() -> None:
    """``serve --speed 1e-6`` of a capture with a 100,000 s gap raised OverflowError (a wait of
    1e11 s is beyond the platform's time_t); the wait now goes an hour at a time."""
    stop = threading.Event()
    timer = threading.Timer(0.05, stop.set)
    timer.start()
    try:
        assert sleep_until(time.monotonic() + 1e11, stop=stop) is False
    finally:
        timer.cancel()


def test_count_limits_what_is_sent_after_loops_and_filters(tmp_path: Path) -> None:
    """``serve --count`` cut the file before ``--loop`` and ``--filter``: 2 of a 3-message file
    looped 3 times sent 6, and a filter could leave nothing of the 2 it kept."""
    msgs = [
        TimedMessage(float(t), (key, b"eA==")) for t, key in enumerate((b"EVENT API x 1", b"RETRY", b"RETRY"))
    ]
    lines: list[str] = []
    report = replay(msgs, None, loop=3, count=2, dry_run=True, speed=math.inf, echo=lines.append)
    assert (report.sent, report.planned, len(lines)) == (2, 2, 2)
    report = replay(msgs, None, filters=["RETRY"], count=2, dry_run=True, echo=lines.append)
    assert (report.sent, report.filtered) == (2, 1)
    report = replay(msgs, None, filters=["RETRY"], loop=3, count=5, dry_run=True, echo=None)
    assert report.sent == 5
    with pytest.raises(InvalidArgumentError, match="count=-1; expected an integer, 0 or more"):
        replay(msgs, None, count=-1, dry_run=True)


def test_count_stops_building_the_schedule_and_offsets_must_be_finite() -> None:
    """``loop=10**5, count=5`` built the whole 9.4M-message schedule first; an offset of inf
    waited for ever."""
    report = replay("vm-lifecycle", None, loop=10**6, count=5, dry_run=True, speed=math.inf, echo=None)
    assert (report.sent, report.planned) == (5, 5)
    msgs = [TimedMessage(0.0, (b"RETRY", b"eA== ")), TimedMessage(math.inf, (b"RETRY", b"eA== "))]
    with pytest.raises(InvalidArgumentError, match=r"message 2: offset t=inf; expected a finite number"):
        replay(msgs, None, dry_run=True, echo=None)
