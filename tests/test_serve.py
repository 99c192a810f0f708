"""`mockhm serve` end to end, in a subprocess, with real clients: the Ruby example of the
Hook Manager Events page run verbatim (Debian ruby + ruby-ffi-rzmq) and a pyzmq subscriber."""

from __future__ import annotations

import base64
import contextlib
import fcntl
import os
import re
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import zmq

from mockhm import parse_key

from .conftest import SEED_DOC

ROOT = Path(__file__).resolve().parents[1]


def extract_ruby_example(doc: Path) -> str:
    """The Ruby subscriber script of the docs page, verbatim (the ``.. code::`` block)."""
    text = doc.read_text()
    block = text.split(".. code::", 1)[1]
    lines = block.splitlines()[1:]
    body = []
    for line in lines:
        if line.strip() and not line.startswith("    "):
            break
        body.append(line[4:])
    return "\n".join(body).strip() + "\n"


def _serve(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "mockhm", "serve", *args],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip


def _stop(proc: subprocess.Popen[str], timeout: float = 10) -> str:
    if proc.returncode is not None:
        return ""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=timeout)
    return out


@contextlib.contextmanager
def default_ports() -> Iterator[None]:
    """Serialize the tests that need the real 2101/2102 across pytest-xdist workers."""
    with open(Path(tempfile.gettempdir()) / "mockhm-tests-2101.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # holders are bounded by their own timeouts
        try:
            if not (_port_free(2101) and _port_free(2102)):
                pytest.skip("ports 2101/2102 are taken on this machine (a Hook Manager is running?)")
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _ruby_ready() -> str | None:
    if shutil.which("ruby") is None:
        return "ruby is not installed (Debian: apt-get install ruby ruby-ffi-rzmq)"
    probe = subprocess.run(["ruby", "-e", "require 'ffi-rzmq'"], capture_output=True, text=True, timeout=30)
    if probe.returncode != 0:
        return f"ruby cannot load ffi-rzmq (Debian: apt-get install ruby-ffi-rzmq): {probe.stderr.strip()}"
    return None


@pytest.mark.ruby
def test_ruby_docs_subscriber_verbatim_against_serve(tmp_path: Path) -> None:
    if not SEED_DOC.exists():
        pytest.skip(f"the Hook Manager Events page is not at {SEED_DOC}")
    reason = _ruby_ready()
    if reason:
        pytest.skip(reason)
    script = tmp_path / "subscriber.rb"
    script.write_text(extract_ruby_example(SEED_DOC))
    assert '@subscriber.connect("tcp://localhost:2101")' in script.read_text()
    with default_ports():
        _run_ruby_against_serve(script)


def _run_ruby_against_serve(script: Path) -> None:
    # The example connects to the real default endpoint, so serve binds 2101/2102 as one_hm does.
    server = _serve("--wait", "1", "--rate", "0", "--count", "400", "--quiet", "--no-oned")
    ruby = subprocess.Popen(["ruby", str(script)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert ruby.stdout is not None
        out = b""
        deadline = time.monotonic() + 30
        sel = selectors.DefaultSelector()
        sel.register(ruby.stdout, selectors.EVENT_READ)
        # Ruby buffers a pipe; the stream is large enough to flush it many times.
        while time.monotonic() < deadline and not (b"Key: EVENT API" in out and b"Key: EVENT STATE" in out):
            if sel.select(timeout=1):
                chunk = os.read(ruby.stdout.fileno(), 65536)
                if not chunk:
                    break
                out += chunk
        sel.close()
        text = out.decode("utf-8", "replace")
    finally:
        ruby.kill()
        ruby.communicate(timeout=10)
        server_out = _stop(server)
    assert "Key: EVENT API one.host.allocate 1\nContent: <HOOK_MESSAGE><HOOK_TYPE>API</HOOK_TYPE>" in text, (
        server_out
    )
    state = re.search(r"Key: (EVENT STATE HOST/INIT//0 )\nContent: (<HOOK_MESSAGE>.*?</HOOK_MESSAGE>)", text)
    assert state is not None, text[:2000]
    assert state.group(2).startswith(
        "<HOOK_MESSAGE><HOOK_TYPE>STATE</HOOK_TYPE><HOOK_OBJECT>HOST</HOOK_OBJECT>"
    )
    assert "mockhm 7.4: events on tcp://127.0.0.1:2101, reports on tcp://127.0.0.1:2102" in server_out


def test_pyzmq_subscriber_against_serve(zmq_context: zmq.Context[zmq.Socket[bytes]], tmp_path: Path) -> None:
    # Events on an ipc path of this test: on a recycled TCP port a socket of another test still
    # reconnecting could be the subscription `--wait 1` waits for, and the stream would start
    # before this subscriber is there.
    events = f"ipc://{tmp_path}/events.sock"
    server = _serve(
        "--events", events, "-l", "*", "--no-oned", "--wait", "1", "--rate", "0", "--count", "60",
        "--profile", "6.10",
    )  # fmt: skip
    try:
        assert server.stdout is not None
        banner = server.stdout.readline()
        match = re.search(r"events on (\S+), reports on (tcp://127\.0\.0\.1:\d+)", banner)
        assert match and match.group(1).rstrip(",") == events, banner
        sub = zmq_context.socket(zmq.SUB)
        sub.setsockopt(zmq.LINGER, 0)
        sub.setsockopt(zmq.RCVTIMEO, 30_000)  # bounded; generous for a loaded CI machine
        sub.setsockopt(zmq.SUBSCRIBE, b"EVENT")
        sub.connect(events)
        got = [sub.recv_multipart() for _ in range(60)]
        out, _ = server.communicate(timeout=20)
    finally:
        _stop(server)
    assert all(len(frames) == 2 for frames in got)
    kinds = {parse_key(frames[0]).kind for frames in got}
    assert {"API", "STATE", "OBJECT"} <= kinds
    for key, content in got:
        body = base64.b64decode(content, validate=True)
        assert body.startswith(b"<HOOK_MESSAGE><HOOK_TYPE>"), key
    assert "mockhm: sent 60 messages (0 refused)" in out


@pytest.mark.parametrize("scenario", [None, "vm-lifecycle"], ids=["story", "scenario"])
def test_a_stream_that_ends_by_itself_delivers_its_last_messages(
    zmq_context: zmq.Context[zmq.Socket[bytes]], tmp_path: Path, scenario: str | None
) -> None:
    """ZeroMQ has no flush: serve exited with its last messages still queued (a full run lost 13
    of 60 under load; without the linger this subscriber got 35 of 300 and 10 of 94).  Serve now
    gives the queue time (``--linger``) before exiting.  What libzmq's I/O thread still holds for
    a slow reader when the socket goes is lost even so: raw pyzmq (XPUB, ``close(linger=5000)``,
    ``ctx.term()``) loses the last 10 of 300 such messages to this subscriber, serve 3 to 5."""
    events = f"ipc://{tmp_path}/events.sock"
    sub = zmq_context.socket(zmq.SUB)
    sub.setsockopt(zmq.LINGER, 0)
    sub.setsockopt(zmq.RCVHWM, 10)
    sub.setsockopt(zmq.SUBSCRIBE, b"")
    sub.connect(events)  # before serve binds: ZeroMQ connects once it does
    source = [scenario, "--speed", "0"] if scenario else ["--no-oned", "--rate", "0", "--count", "300"]
    server = _serve(*source, "--events", events, "-l", "*", "--wait", "1", "--quiet", "--drain", "0")
    received = 0
    try:
        while sub.poll(5000):  # bounded: ends 5 s after the last message
            sub.recv_multipart()
            received += 1
            time.sleep(0.001)  # a slow subscriber, on purpose
        out, _ = server.communicate(timeout=30)
    finally:
        _stop(server)
    assert server.returncode == 0, out
    sent = re.search(r"sent (\d+) (?:messages|of)", out)
    assert sent is not None, out
    assert int(sent[1]) > 50 and int(sent[1]) - 10 <= received <= int(sent[1]), out


def test_serve_stops_cleanly_on_sigterm() -> None:
    server = _serve("-p", "*", "-l", "*", "--no-oned", "--rate", "1")
    assert server.stdout is not None
    assert "events on" in server.stdout.readline()
    server.send_signal(signal.SIGTERM)
    out, _ = server.communicate(timeout=10)
    assert server.returncode == 0
    assert "mockhm: sent" in out


def test_serve_bind_failure_is_clear() -> None:
    with zmq.Context() as ctx, ctx.socket(zmq.REP) as blocker:
        blocker.setsockopt(zmq.LINGER, 0)
        port = blocker.bind_to_random_port("tcp://127.0.0.1")
        proc = subprocess.run(
            [sys.executable, "-m", "mockhm", "serve", "-p", str(port), "-l", "*"],
            capture_output=True, text=True, timeout=30,
        )  # fmt: skip
    assert proc.returncode == 1
    assert f"cannot bind the events socket to tcp://127.0.0.1:{port}: Address already in use" in proc.stderr


def _readme_subscriber() -> str:
    """The README's first Python block: a subscriber of plain ``mockhm serve``."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    block = next(b for b in blocks if 'sub.connect("tcp://127.0.0.1:2101")' in b)
    index = (ROOT / "docs" / "index.md").read_text(encoding="utf-8")
    twin = next(b for b in re.findall(r"```python\n(.*?)```", index, re.S) if "RCVTIMEO" in b)

    def code(b: str) -> list[str]:
        return [line.split("#")[0].rstrip() for line in b.splitlines()]

    assert code(twin) == code(block), "the docs' index page and the README show different subscribers"
    return block


def test_readme_subscriber_verbatim_against_plain_serve(tmp_path: Path) -> None:
    """The README's "Subscribe to it" subscriber, as written, against ``mockhm serve`` on 2101 at
    its default pace (it waited 10 s for a key that comes about 20 s in, and named VM 3 for VM 0;
    the test ran serve at --rate 0)."""
    script = tmp_path / "subscriber.py"
    script.write_text(_readme_subscriber())
    with default_ports():
        server = _serve("--no-oned", "--quiet")
        try:
            done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=90)
        finally:
            _stop(server)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(
        "b'EVENT STATE VM/ACTIVE/RUNNING/0 ' b'<HOOK_MESSAGE><HOOK_TYPE>STATE</HOOK_TYPE>"
    )
    assert "# b'EVENT STATE VM/ACTIVE/RUNNING/0 '" in script.read_text()
