"""An HEM-style executor (``tests/hem_executor.py``) against ``mockhm serve --idle``, both subprocesses.

What OpenNebula's HEM does (reference §7.1, §3.5, §3.4; ``src/hem/onehem-server.rb``
@release-7.4.0), end to end over real sockets: it loads the hooks with ``one.hookpool.info``,
reloads on ``one.hook.allocate``, runs hooks on their events and reports on 2102;
``one.hook.info`` then shows the executions, and ``one.hook.retry`` publishes a RETRY that it
executes again, reported with ``<RETRY>yes</RETRY>``.
"""

from __future__ import annotations

import base64
import json
import os
import re
import selectors
import signal
import subprocess
import sys
import time
import xmlrpc.client
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

HERE = Path(__file__).resolve().parent


class Lines:
    """A subprocess whose stdout is read line by line, every read bounded by a timeout.

    Reads the raw descriptor (``os.read``) into a buffer of its own: a buffered ``readline``
    could swallow several lines while ``select`` then waits for bytes that already came.
    """

    def __init__(self, argv: list[str], env: dict[str, str] | None = None) -> None:
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
        assert self.proc.stdout is not None
        self.fd = self.proc.stdout.fileno()
        self.sel = selectors.DefaultSelector()
        self.sel.register(self.fd, selectors.EVENT_READ)
        self.seen: list[str] = []
        self._buffer = b""
        self._eof = False

    def _line(self, deadline: float) -> str | None:
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if self._eof or remaining <= 0 or not self.sel.select(remaining):
                return None
            chunk = os.read(self.fd, 65536)
            if not chunk:
                self._eof = True
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        text = line.decode(errors="replace")
        self.seen.append(text + "\n")
        return text

    def expect(self, pattern: str, timeout: float = 15.0) -> re.Match[str]:
        """The first new line matching ``pattern``; fails with everything seen on timeout."""
        deadline = time.monotonic() + timeout
        rx = re.compile(pattern)
        while True:
            line = self._line(deadline)
            if line is None:
                state = (
                    f"process ended (rc {self.proc.poll()})" if self._eof else f"nothing within {timeout} s"
                )
                pytest.fail(f"no line matching {pattern!r}: {state}; saw:\n" + "".join(self.seen))
            if m := rx.search(line):
                return m

    def json(self, event: str, timeout: float = 15.0, **fields: Any) -> dict[str, Any]:
        """The next JSON line of the executor with ``event`` and ``fields``."""
        deadline = time.monotonic() + timeout
        while True:
            m = self.expect(r"^\{.*\}$", max(0.01, deadline - time.monotonic()))
            data: dict[str, Any] = json.loads(m[0])
            if data.get("event") == event and all(data.get(k) == v for k, v in fields.items()):
                return data

    def stop(self) -> str:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        self.sel.close()
        try:
            out, _ = self.proc.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, _ = self.proc.communicate(timeout=5)
        return (
            "".join(self.seen) + self._buffer.decode(errors="replace") + (out or b"").decode(errors="replace")
        )


@pytest.fixture
def serve() -> Iterator[Lines]:
    proc = Lines(
        [sys.executable, "-m", "mockhm", "serve", "--idle", "-p", "*", "-l", "*",
         "--oned", "http://127.0.0.1:0/RPC2", "--oned-speed", "1000", "--quiet"]
    )  # fmt: skip
    try:
        yield proc
    finally:
        out = proc.stop()
        assert proc.proc.returncode == 0, out


def test_hem_style_executor_against_serve_idle(serve: Lines) -> None:
    endpoints = serve.expect(r"events on (tcp://\S+), reports on (tcp://\S+)")
    url = serve.expect(r"export ONE_XMLRPC=(\S+)")[1]
    auth_file = serve.expect(r"export ONE_AUTH=(\S+)")[1]
    serve.expect(r"^  idle: no built-in story")
    session = Path(auth_file).read_text().strip()
    assert session == "oneadmin:password"
    with xmlrpc.client.ServerProxy(url) as one:
        _drive(one, session, url, auth_file, endpoints)


def _drive(
    one: xmlrpc.client.ServerProxy, session: str, url: str, auth_file: str, endpoints: re.Match[str]
) -> None:
    def call(method: str, *args: object) -> Any:
        ok, value, code, *_ = getattr(one, method)(session, *args)
        assert ok, (method, value, code)
        return value

    echo = call(
        "one.hook.allocate",
        'NAME="echo-api"\nTYPE="api"\nCALL="one.vm.allocate"\nCOMMAND="/bin/echo"\nARGUMENTS="$API"\n',
    )
    env = {**os.environ, "ONE_XMLRPC": url, "ONE_AUTH": auth_file,
           "MOCKHM_EVENTS_ENDPOINT": endpoints[1], "MOCKHM_REPORTS_ENDPOINT": endpoints[2]}  # fmt: skip
    hem = Lines([sys.executable, str(HERE / "hem_executor.py"), "--max-seconds", "60"], env=env)
    try:
        ready = hem.json("ready")
        assert ready["filters"] == ["EVENT API one.vm.allocate"]  # from one.hookpool.info

        # A hook allocated while the executor runs: it reloads it with one.hook.info (§7.1).
        failing = call(
            "one.hook.allocate",
            'NAME="host-on"\nTYPE="state"\nRESOURCE="HOST"\nSTATE="MONITORED"\nCOMMAND="/bin/false"\nARGUMENTS="$TEMPLATE"\n',
        )
        hem.json("reloaded", call="one.hook.allocate", hook=failing)

        vid = call("one.vm.allocate", 'NAME="vm-hooked"\nCPU="0.1"\nMEMORY="64"\n', True)
        first = hem.json("executed", hook=echo)
        assert (first["rc"], first["retry"], first["key"]) == (0, False, "EVENT API one.vm.allocate 1")
        hid = call("one.host.allocate", "host-a", "dummy", "dummy", -1)
        hem.json("executed", hook=failing, rc=1, key=f"EVENT STATE HOST/MONITORED//{hid} ")

        # one.hook.info shows the execution as the executor reported it (§3.5).
        hook = etree.fromstring(call("one.hook.info", echo).encode())
        (record,) = hook.findall("HOOKLOG/HOOK_EXECUTION_RECORD")
        assert record.findtext("HOOK_ID") == str(echo) and record.findtext("EXECUTION_ID") == "0"
        assert record.findtext("EXECUTION_RESULT/CODE") == "0" and record.find("RETRY") is None
        call_info = base64.b64decode(record.findtext("ARGUMENTS") or "").decode()
        assert call_info.startswith("<CALL_INFO><RESULT>1</RESULT>") and f"<VALUE>{vid}</VALUE>" in call_info
        stdout = base64.b64decode(record.findtext("EXECUTION_RESULT/STDOUT") or "").decode().strip()
        assert stdout == record.findtext("ARGUMENTS")  # /bin/echo $API printed the argument back

        # one.hook.retry publishes RETRY (§3.4); the executor runs the hook again and says so.
        assert call("one.hook.retry", echo, 0) == echo
        again = hem.json("executed", hook=echo, retry=True)
        assert (again["rc"], again["key"]) == (0, "RETRY")
        hook = etree.fromstring(call("one.hook.info", echo).encode())
        records = hook.findall("HOOKLOG/HOOK_EXECUTION_RECORD")
        assert [r.findtext("EXECUTION_ID") for r in records] == ["0", "1"]
        assert records[1].findtext("RETRY") == "yes"
        assert records[1].findtext("ARGUMENTS") == records[0].findtext("ARGUMENTS")
        log = etree.fromstring(call("one.hooklog.info", -1, -1, -1, -1).encode())  # failures only
        assert [r.findtext("HOOK_ID") for r in log.findall("HOOK_EXECUTION_RECORD")] == [str(failing)]
    finally:
        out = hem.stop()
    assert hem.proc.returncode == 0, out
