"""An HEM-style hook executor of our own, run as a subprocess against the mock front-end.

It does what OpenNebula's ``onehem-server`` does (reference §7.1; ``src/hem/onehem-server.rb``
at release-7.4.0), over real sockets and real XML-RPC:

* reads the hooks with ``one.hookpool.info`` (session from the ``ONE_AUTH`` file, endpoint
  from ``ONE_XMLRPC``) and reloads one with ``one.hook.info`` when an ``EVENT API
  one.hook.allocate|update|delete 1`` names it;
* subscribes to ``EVENT API <CALL>`` for API hooks, ``EVENT STATE <RESOURCE>/<STATE>/<LCM>``
  for STATE hooks, the three static hook-call filters and ``RETRY``;
* runs the hook's COMMAND with ARGUMENTS, ``$API`` and ``$TEMPLATE`` replaced by the base64 of
  the event's CALL_INFO or object;
* reports ``"<rc> <hook_id> <b64>"`` on a REQ socket (§3.5) and waits for ``ACK``; a RETRY run
  reports ``<RETRY>yes</RETRY>``.

Every execution is printed as one JSON line on stdout.  Every receive has a timeout, sockets
linger 0, and the process ends on SIGTERM or after ``--max-seconds``.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import signal
import subprocess
import sys
import time
import xmlrpc.client
from typing import Any

import zmq
from lxml import etree

STATIC_FILTERS = (
    "EVENT API one.hook.allocate 1",
    "EVENT API one.hook.update 1",
    "EVENT API one.hook.delete 1",
)
UPDATE_CALLS = ("one.hook.allocate", "one.hook.update", "one.hook.delete")


def say(**fields: Any) -> None:
    print(json.dumps(fields), flush=True)


class Hook:
    def __init__(self, node: etree._Element) -> None:
        self.id = int(node.findtext("ID") or -1)
        self.type = node.findtext("TYPE") or ""
        self.t = {child.tag: (child.text or "") for child in node.find("TEMPLATE") or []}

    @property
    def key(self) -> str:
        if self.type == "api":
            return self.t.get("CALL", "")
        return f"{self.t.get('RESOURCE', '')}/{self.t.get('STATE', '')}/{self.t.get('LCM_STATE', '')}"

    @property
    def filter(self) -> str:
        return f"EVENT API {self.key}" if self.type == "api" else f"EVENT STATE {self.key}"

    def arguments(self, body: etree._Element) -> str:
        args = self.t.get("ARGUMENTS")
        if not args:
            return ""
        api = template = ""
        if body.findtext("HOOK_TYPE") == "API":
            node = body.find(".//CALL_INFO")
            api = base64.b64encode(etree.tostring(node)).decode() if node is not None else ""
        else:
            obj = (body.findtext("HOOK_OBJECT") or "").upper()
            node = body.find(f".//{'VNET' if obj == 'NET' else obj}")
            template = base64.b64encode(etree.tostring(node)).decode() if node is not None else ""
        words = [api if a == "$API" else template if a == "$TEMPLATE" else a for a in args.split(" ")]
        return " ".join(words).strip()


class Executor:
    def __init__(self, ns: argparse.Namespace) -> None:
        with open(os.environ["ONE_AUTH"]) as fh:
            self.session = fh.read().strip()
        self.rpc = xmlrpc.client.ServerProxy(os.environ["ONE_XMLRPC"])
        self.ctx: zmq.Context[zmq.Socket[bytes]] = zmq.Context()
        self.sub = self.ctx.socket(zmq.SUB)
        self.sub.setsockopt(zmq.LINGER, 0)
        self.req = self.ctx.socket(zmq.REQ)
        self.req.setsockopt(zmq.LINGER, 0)
        self.req.setsockopt(zmq.RCVTIMEO, 5000)
        self.sub.connect(ns.events)
        self.req.connect(ns.reports)
        self.hooks: dict[int, Hook] = {}
        self.backlog: list[tuple[bytes, bytes]] = []

    def call(self, method: str, *params: object) -> Any:
        ok, value, code, *_ = getattr(self.rpc, method)(self.session, *params)
        if not ok:
            raise RuntimeError(f"{method} failed ({code}): {value}")
        return value

    def load(self) -> None:
        pool = etree.fromstring(self.call("one.hookpool.info", -2, -1, -1).encode())
        for node in pool.findall("HOOK"):
            self.add(Hook(node))
        for f in (*STATIC_FILTERS, "RETRY"):
            self.sub.setsockopt_string(zmq.SUBSCRIBE, f)
        self.prove_subscribed()
        say(event="ready", hooks=sorted(self.hooks), filters=sorted(h.filter for h in self.hooks.values()))

    def prove_subscribed(self, attempts: int = 50) -> None:
        """Wait for evidence that the filters reached the publisher, not for time to pass.

        A SUB socket sends its filters down one pipe in order, so once a probe filter set
        last is seen working, every filter before it is active too.  The probe is an event we
        can cause: ``one.system.version`` publishes ``EVENT API one.system.version 1``
        (reference §3.2.6).  Each attempt waits at most 100 ms; bounded.
        """
        probe = "EVENT API one.system.version 1"
        self.sub.setsockopt_string(zmq.SUBSCRIBE, probe)
        poller = zmq.Poller()
        poller.register(self.sub, zmq.POLLIN)
        try:
            for _ in range(attempts):
                self.call("one.system.version")
                while poller.poll(100):
                    key, content = self.sub.recv_multipart(zmq.NOBLOCK)
                    if key.decode() == probe:
                        return
                    self.backlog.append((key, content))  # a real event: handled after start-up
            raise RuntimeError(
                f"no {probe!r} came back after {attempts} attempts: is the Hook Manager there?"
            )
        finally:
            self.sub.setsockopt_string(zmq.UNSUBSCRIBE, probe)

    def add(self, hook: Hook) -> None:
        self.hooks[hook.id] = hook
        self.sub.setsockopt_string(zmq.SUBSCRIBE, hook.filter)

    def reload(self, call: str, body: etree._Element) -> None:
        kind, pos = ("OUT", "2") if call == "one.hook.allocate" else ("IN", "2")
        hook_id = int(body.xpath(f'//PARAMETER[TYPE="{kind}" and POSITION={pos}]/VALUE/text()')[0])
        old = self.hooks.pop(hook_id, None)
        if old is not None:
            self.sub.setsockopt_string(zmq.UNSUBSCRIBE, old.filter)
        if call != "one.hook.delete":
            self.add(Hook(etree.fromstring(self.call("one.hook.info", hook_id).encode())))
        say(event="reloaded", call=call, hook=hook_id, filters=sorted(h.filter for h in self.hooks.values()))

    def run(self, hook: Hook, args: str, *, retry: bool, key: str) -> None:
        command = hook.t.get("COMMAND", "")
        argv = [command, *args.split(" ")] if args else [command]
        done = subprocess.run(argv, capture_output=True, timeout=10, check=False)
        out = base64.encodebytes(done.stdout).decode()
        err = base64.encodebytes(done.stderr).decode()
        xml = (
            f"<ARGUMENTS>{args}</ARGUMENTS><EXECUTION_RESULT><COMMAND>{command}</COMMAND>"
            f"<STDOUT>{out}</STDOUT><STDERR>{err}</STDERR><CODE>{done.returncode}</CODE></EXECUTION_RESULT>"
        ) + ("<RETRY>yes</RETRY>" if retry else "")
        self.req.send_string(f"{done.returncode} {hook.id} {base64.b64encode(xml.encode()).decode()}")
        ack = self.req.recv_string()
        say(event="executed", hook=hook.id, rc=done.returncode, retry=retry, key=key, ack=ack)

    def handle(self, key: str, content: bytes) -> None:
        action, _, rest = key.partition(" ")
        if action == "RETRY":
            body = etree.fromstring(base64.b64decode(content.split(b" ")[0]))
            hook = self.hooks.get(int(body.findtext("HOOK_ID") or -1))
            if hook is not None:
                args = base64.b64decode(body.findtext("ARGUMENTS") or "").decode()
                self.run(hook, args, retry=True, key=key)
            return
        kind, _, hook_key = rest.partition(" ")
        hook_key = hook_key.split(" ")[0]
        if kind == "STATE":
            hook_key = hook_key.rsplit("/", 1)[0]
        body = etree.fromstring(base64.b64decode(content))
        for hook in list(self.hooks.values()):
            if hook.type == kind.lower() and hook.key == hook_key:
                self.run(hook, hook.arguments(body), retry=False, key=key)
        if kind == "API" and hook_key in UPDATE_CALLS and key.endswith(" 1"):
            self.reload(hook_key, body)

    def loop(self, deadline: float, stop: list[bool]) -> None:
        for key, content in self.backlog:
            self.handle(key.decode(), content)
        poller = zmq.Poller()
        poller.register(self.sub, zmq.POLLIN)
        while not stop and time.monotonic() < deadline:
            if not poller.poll(200):
                continue
            key, content = self.sub.recv_multipart(zmq.NOBLOCK)
            self.handle(key.decode(), content)

    def close(self) -> None:
        self.sub.close(0)
        self.req.close(0)
        self.ctx.term()


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--events", default=os.environ.get("MOCKHM_EVENTS_ENDPOINT", "tcp://127.0.0.1:2101"))
    p.add_argument("--reports", default=os.environ.get("MOCKHM_REPORTS_ENDPOINT", "tcp://127.0.0.1:2102"))
    p.add_argument("--max-seconds", type=float, default=60.0)
    ns = p.parse_args()
    stop: list[bool] = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(True))
    ex = Executor(ns)
    try:
        ex.load()
        ex.loop(time.monotonic() + ns.max_seconds, stop)
    finally:
        ex.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
