"""Recording: flushed JSON lines that survive kill -9, scrubbing with consistent pseudonyms that
keeps bodies schema-valid, and cassette record modes (issue 6)."""

from __future__ import annotations

import base64
import json
import math
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import zmq

from mockhm import HookManager, ScenarioNotFoundError, api_event
from mockhm.schemas.validation import check_message
from mockhm.streams.capturefile import CaptureWriter, make_header, read_capture
from mockhm.streams.record import Cassette, CassetteError, Scrubber
from mockhm.streams.scenario import load_scenario
from mockhm.streams.sources import load_source

ANY = "tcp://127.0.0.1:*"


def body(frames: tuple[bytes, ...]) -> bytes:
    return base64.b64decode(frames[1].rstrip(b" "))


def test_scrubbed_capture_validates_and_pseudonyms_line_up() -> None:
    source = load_scenario("host-failure-storm")
    scrubber = Scrubber()
    out = [scrubber.scrub(m.frames) for m in source.messages]
    for frames, m in zip(out, source.messages, strict=True):
        assert frames[0] == m.frames[0]  # keys carry only ids and states: never changed
        assert check_message(frames, profile="7.4") == [], frames[0]
    text = b"".join(body(f) for f in out)
    original = b"".join(body(m.frames) for m in source.messages)
    for secret in (b"ssh-", b"<UNAME>oneadmin</UNAME>"):
        assert secret in original
        assert secret not in text
    passwords = re.findall(rb"<PASSWORD><!\[CDATA\[(.*?)\]\]></PASSWORD>", text)
    assert passwords and set(passwords) == {b"scrubbed"}
    # the host name in a VM's history equals the pseudonym of that host's own documents
    host_state = next(body(f) for f in out if f[0] == b"EVENT STATE HOST/ERROR//0 ")
    vm_unknown = next(body(f) for f in out if f[0].startswith(b"EVENT STATE VM/ACTIVE/UNKNOWN/"))
    name = host_state.split(b"<REMOTE_HOST>")[1].split(b"</REMOTE_HOST>")[0]
    assert name.startswith(b"host-")
    assert b"<REMOTE_HOST>" + name + b"</REMOTE_HOST>" in vm_unknown
    assert b"<HOSTNAME>" + name + b"</HOSTNAME>" in vm_unknown
    assert scrubber.counts["CONTEXT/SSH_PUBLIC_KEY"] > 0 and scrubber.counts["UNAME"] > 0
    assert scrubber.counts["HOSTNAME"] > 0 and scrubber.counts["CONTEXT/ETH0_IP"] > 0


def test_mac_derived_from_ip_follows_the_ip_pseudonym() -> None:
    from mockhm.traffic.rules import mac_for_ip

    s = Scrubber()
    b = s.scrub_body(b"<NIC><IP>192.168.7.9</IP><MAC>" + mac_for_ip("192.168.7.9").encode() + b"</MAC></NIC>")
    ip = b.split(b"<IP>")[1].split(b"</IP>")[0].decode()
    assert ip != "192.168.7.9" and f"<MAC>{mac_for_ip(ip)}</MAC>".encode() in b


def test_ill_formed_body_is_scrubbed_textually_and_counted() -> None:
    """§3.2.1: raw strings with '&' make oned's API body ill-formed; the scrubber must cope."""
    event = api_event("one.vm.update", [3, 'DESCRIPTION="a & b"', 1], result=3, ill_formed=True)
    bad = event.body.replace(b"<EXTRA></EXTRA>", b"<EXTRA><UNAME>alice</UNAME></EXTRA>")
    frames = (event.keys[0].encode(), base64.b64encode(bad))
    s = Scrubber()
    out = s.scrub(frames)
    assert s.ill_formed == 1
    assert b"alice" not in body(out) and b"<UNAME>user-1</UNAME>" in body(out)
    assert s.scrub((b"EVENT API x 1", b"***not base64***")) == (b"EVENT API x 1", b"***not base64***")
    assert s.unscrubbable == 1 and "NOT scrubbed" in s.summary()


def test_retry_arguments_and_remote_host_are_scrubbed() -> None:
    source = load_scenario("hook-retry")
    retry = next(m.frames for m in source.messages if m.key == "RETRY")
    out = Scrubber().scrub(retry)
    assert out[1].endswith(b" ") and not out[1].endswith(b"  ")  # §3.4 shape kept
    assert b"kvm-node-01" in body(retry) and b"kvm-node-01" not in body(out)
    assert check_message(out, profile="7.4") == []


def _wait_lines(path: Path, n: int, timeout: float = 10.0) -> int:
    deadline = time.monotonic() + timeout
    count = 0
    while time.monotonic() < deadline:
        if path.exists():
            count = path.read_bytes().count(b"\n")
            if count >= n:
                return count
        time.sleep(0.02)
    raise AssertionError(f"{path}: {count} lines after {timeout} s, expected {n}")


def test_kill_9_mid_stream_loses_no_written_line(tmp_path: Path) -> None:
    out = tmp_path / "live.jsonl"
    messages = load_scenario("vm-lifecycle").messages
    with HookManager(ANY, None) as hm:
        proc = subprocess.Popen(
            [sys.executable, "-m", "mockhm", "record", hm.events_endpoint, "-o", str(out), "--quiet"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip
        try:
            hm.wait_for_subscribers(1, timeout=20)
            for m in messages[:40]:
                hm.send_frames(m.frames)
            _wait_lines(out, 41)
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(10)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)
            assert proc.stderr is not None
            proc.stderr.close()
    lines = out.read_bytes().splitlines()
    assert len(lines) == 41
    for line in lines:
        json.loads(line)
    _header, records = read_capture(out)
    got = [r.frames for _n, r in records]
    assert [f[0] for f in got] == [m.frames[0] for m in messages[:40]]
    assert all(check_message(f, profile="7.4") == [] for f in got)


def test_cli_record_scrubs_filters_and_reports(tmp_path: Path) -> None:
    out = tmp_path / "cli.jsonl"
    messages = load_scenario("vm-lifecycle").messages
    states = [m for m in messages if m.key.startswith("EVENT STATE VM/")]
    with HookManager(ANY, None) as hm:
        proc = subprocess.Popen(
            [sys.executable, "-m", "mockhm", "record", hm.events_endpoint, "-o", str(out), "--quiet",
             "--filter", "EVENT STATE VM/", "--count", str(len(states))],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            hm.wait_for_subscribers(1, prefix="EVENT STATE VM/", timeout=20)
            for m in messages:
                hm.send_frames(m.frames)
            stdout, stderr = proc.communicate(timeout=20)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate(timeout=10)
    assert proc.returncode == 0, stderr
    assert f"recorded {len(states)} message(s)" in stdout and "SSH_PUBLIC_KEY" in stdout and "UNAME" in stdout
    header, records = read_capture(out)
    assert header["filters"] == ["EVENT STATE VM/"] and header["source"].startswith("tcp://127.0.0.1:")
    got = [r.frames for _n, r in records]
    assert [f[0] for f in got] == [m.frames[0] for m in states]
    assert all(check_message(f, profile="7.4") == [] for f in got)
    assert b"ssh-" not in b"".join(body(f) for f in got)


def _record_nothing(out: Path) -> subprocess.CompletedProcess[str]:
    """``mockhm record`` of a live Hook Manager that publishes nothing, for 0.3 s."""
    with HookManager(ANY, None) as hm:
        return subprocess.run(
            [sys.executable, "-m", "mockhm", "record", hm.events_endpoint, "-o", str(out), "--duration", "0.3"],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip


def test_cli_record_that_receives_nothing_leaves_an_existing_capture_as_it_was(tmp_path: Path) -> None:
    out = tmp_path / "keep.jsonl"
    messages = load_scenario("vm-lifecycle").messages[:3]
    with CaptureWriter(out, make_header(source="earlier")) as writer:
        for i, m in enumerate(messages):
            writer.write(m.frames, float(i), 0.0)
    before = out.read_bytes()
    done = _record_nothing(out)
    assert done.returncode == 0, done.stderr
    assert "recorded 0 message(s)" in done.stdout
    assert f"nothing received; {out} is left as it was" in done.stdout
    assert out.read_bytes() == before


def test_cli_record_that_receives_nothing_writes_an_empty_capture_where_there_was_none(
    tmp_path: Path,
) -> None:
    out = tmp_path / "new.jsonl"
    done = _record_nothing(out)
    assert done.returncode == 0, done.stderr
    assert "left as it was" not in done.stdout
    header, records = read_capture(out)
    assert header["source"].startswith("tcp://127.0.0.1:") and list(records) == []


# --------------------------------------------------------------------------- cassettes


def _record_live(cassette: Cassette, live: HookManager, n: int) -> None:
    source = load_scenario("hook-retry")
    live.wait_for_subscribers(1)
    for m in source.messages[:n]:
        live.send_frames(m.frames)
    assert cassette.recorder is not None
    deadline = time.monotonic() + 5
    while cassette.recorder.messages < n and time.monotonic() < deadline:
        time.sleep(0.01)


def test_mode_none_never_records_and_names_path_and_mode(tmp_path: Path) -> None:
    path = tmp_path / "missing.jsonl"
    with pytest.raises(ScenarioNotFoundError) as info:
        Cassette(path, "none", endpoint="tcp://127.0.0.1:9").decide()
    assert (
        str(path) in str(info.value) and "'none'" in str(info.value) and "does not exist" in str(info.value)
    )
    with pytest.raises(CassetteError, match=r"unknown record mode 'sometimes'.*none, once, new_episodes"):
        Cassette(path, "sometimes")
    with pytest.raises(CassetteError, match="no live Hook Manager endpoint"):
        Cassette(path, "once").decide()


def test_once_records_then_replays(tmp_path: Path) -> None:
    path = tmp_path / "c" / "once.jsonl"
    with HookManager(ANY, None) as live:
        cassette = Cassette(path, "once", endpoint=live.events_endpoint)
        with cassette.use() as plan:
            assert plan.record and not plan.replay
            _record_live(cassette, live, 5)
        recorded = list(live.journal)
    assert len(load_source(path).messages) == 5
    # second run: the file exists, so it replays and records nothing
    with HookManager(ANY, None) as hm:
        sub = zmq.Context.instance().socket(zmq.SUB)
        sub.setsockopt(zmq.LINGER, 0)
        try:
            sub.setsockopt(zmq.SUBSCRIBE, b"")
            sub.connect(hm.events_endpoint)
            hm.wait_for_subscribers(1)
            again = Cassette(path, "once", endpoint="tcp://127.0.0.1:9")
            with again.use(hm, speed=math.inf) as plan:
                assert plan.replay and not plan.record
            got = []
            for _ in range(5):
                assert sub.poll(5000)
                got.append(tuple(sub.recv_multipart()))
        finally:
            sub.close(0)
    assert [g[0] for g in got] == [r[0] for r in recorded]  # scrubbed bodies, same keys in order


@pytest.mark.parametrize(("mode", "expected"), [("rewrite", 2), ("all", 5), ("new_episodes", 5)])
def test_rewrite_replaces_all_and_new_episodes_append(tmp_path: Path, mode: str, expected: int) -> None:
    path = tmp_path / f"{mode}.jsonl"
    with HookManager(ANY, None) as live:
        first = Cassette(path, "rewrite", endpoint=live.events_endpoint)
        with first.use():
            _record_live(first, live, 3)
    with HookManager(ANY, None) as live, HookManager(ANY, None) as target:
        cassette = Cassette(path, mode, endpoint=live.events_endpoint)
        with cassette.use(target, speed=math.inf) as plan:
            assert plan.replay == (mode == "new_episodes")
            _record_live(cassette, live, 2)
        assert target.statistics().sent == (3 if mode == "new_episodes" else 0)
    _header, records = read_capture(path)
    offsets = [r.t for _n, r in records]
    assert len(offsets) == expected and offsets == sorted(offsets)


def test_scrubber_clears_custom_context_and_template_string_secrets() -> None:
    """CONTEXT holds whatever users put there; API template strings carry KEY="value" secrets."""
    from mockhm.streams.record import Scrubber

    scrubber = Scrubber()
    body = (
        b"<HOOK_MESSAGE><VM><TEMPLATE><CONTEXT><DISK_ID><![CDATA[1]]></DISK_ID>"
        b"<MY_API_KEY><![CDATA[abc123]]></MY_API_KEY><NETWORK><![CDATA[YES]]></NETWORK>"
        b"<USER_DATA_BASE64><![CDATA[Zm9v]]></USER_DATA_BASE64></CONTEXT></TEMPLATE></VM>"
        b'<VALUE>CPU="1" CONTEXT=[SSH_PUBLIC_KEY="ssh-ed25519 AAAA x@y", ROOT_PASSWORD="hunter2"]</VALUE>'
        b"</HOOK_MESSAGE>"
    )
    out = scrubber.scrub_body(body)
    for secret in (b"abc123", b"Zm9v", b"AAAA", b"hunter2"):
        assert secret not in out
    assert b"<DISK_ID><![CDATA[1]]></DISK_ID>" in out and b"<NETWORK><![CDATA[YES]]></NETWORK>" in out
    assert b"<USER_DATA_BASE64><![CDATA[c2NydWJiZWQ=]]></USER_DATA_BASE64>" in out  # still decodes
    assert (
        scrubber.counts["CONTEXT/MY_API_KEY"] == 1 and scrubber.counts["template CONTEXT/ROOT_PASSWORD"] == 1
    )
