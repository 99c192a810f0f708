"""The conformance suite again, through the real front-end: XML-RPC over HTTP, events over ZeroMQ.

Same captures, same comparison (:mod:`tests.conformance.harness`), but every call goes through
:class:`mockhm.FrontEnd`'s XML-RPC server with ``xmlrpc.client``, every event is received by a
SUB socket from the Hook Manager, and the executor stand-in reports each hook execution on the
2102 REQ/REP channel, as OpenNebula's HEM does (reference §3.5).  The drivers run in manual
mode on the calls' own clock, so the replay is as deterministic as the direct one.
"""

from __future__ import annotations

import base64
import re
import xmlrpc.client
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
import zmq

from mockhm import FrontEnd, HookManager
from mockhm.wire.message import HookEvent
from mockhm.wire.reports import HookReport
from tests.conformance.harness import (
    SESSION,
    Outcome,
    Scenario,
    compare,
    execute_hooks,
    load,
    profile_of,
    releases,
)


def _received(sub: zmq.Socket[bytes], count: int, profile: str) -> list[HookEvent]:
    """``count`` messages off the SUB socket, regrouped into events (one body, its keys)."""
    events: list[HookEvent] = []
    for _ in range(count):
        key_b, content = sub.recv_multipart()  # RCVTIMEO bounds every receive
        key = key_b.decode()
        body = base64.b64decode(content.split(b" ")[0])
        kind = "RETRY" if key == "RETRY" else "API" if key.startswith("EVENT API ") else "STATE"
        if events and kind != "RETRY" and events[-1].body == body and key not in events[-1].keys:
            last = events[-1]
            events[-1] = HookEvent(last.kind, last.body, (*last.keys, key), profile)
        else:
            events.append(HookEvent(kind, body, (key,), profile))  # type: ignore[arg-type]
    return events


class _Http:
    """Replays calls over HTTP; publishes nothing itself: it reads what the Hook Manager sent."""

    def __init__(self, fe: FrontEnd, hm: HookManager, sub: zmq.Socket[bytes], req: zmq.Socket[bytes]) -> None:
        self.fe, self.hm, self.sub, self.req = fe, hm, sub, req
        self.proxy = xmlrpc.client.ServerProxy(fe.url)
        self.seen = 0
        # What harness.execute_hooks needs: the hook pool, and reports sent over 2102.
        self.executor = SimpleNamespace(hooks=fe.oned.hooks, record_execution=self._report)

    def _report(self, report: HookReport) -> None:
        self.req.send(report.raw)
        assert self.req.recv() == b"ACK"  # the front-end applied it before answering

    def drain(self) -> list[HookEvent]:
        """Everything published since the last drain, through the SUB socket."""
        sent = self.hm.statistics().sent
        events = _received(self.sub, sent - self.seen, self.fe.profile.name)
        self.seen = sent
        execute_hooks(self.executor, events)  # type: ignore[arg-type]
        events += self.drain() if self.hm.statistics().sent > self.seen else []
        return events

    def call(self, method: str, params: list[Any]) -> list[Any]:
        try:
            return list(getattr(self.proxy, method)(*params))
        except xmlrpc.client.Fault as fault:
            return ["fault", fault.faultCode, fault.faultString]


def replay_http(
    scenarios: list[Scenario], http: _Http
) -> Iterator[tuple[Scenario, list[HookEvent], list[str]]]:
    origin = scenarios[0].t_start
    for scenario in scenarios:
        published: list[HookEvent] = []
        problems: list[str] = []
        for call in scenario.calls:
            http.fe.run_until(call["t"] - origin)
            published += http.drain()
            method, session = call["method"], SESSION
            note = re.search(r"\((.*)\)$", method)
            if note:
                method = method[: note.start()].strip()
                if "auth" in note.group(1):
                    session = SESSION + "-wrong"
            response = http.call(method, [session, *call.get("args", [])])
            if response[0] != call["ok"]:
                problems.append(f"{method} {call.get('args')}: oned ok={call['ok']}, over HTTP {response}")
            elif not call["ok"]:
                assert response[4:] == [-1], response  # xmlrpc-c's i8 replication index
            published += http.drain()
        http.fe.settle()
        published += http.drain()
        yield scenario, published, problems


@pytest.fixture
def front(zmq_context: zmq.Context[zmq.Socket[bytes]]) -> Iterator[_Http]:
    directory = next(iter(releases()), None)
    if directory is None:
        pytest.skip("no captures found beside the repository (../shared/opennebula)")
    profile = profile_of(directory.name.removeprefix("captures-"))
    with (
        HookManager("tcp://127.0.0.1:*", "tcp://127.0.0.1:*", profile=profile) as hm,
        FrontEnd(hm, url="http://127.0.0.1:0/RPC2", drivers="manual") as fe,
    ):
        sub = zmq_context.socket(zmq.SUB)
        sub.setsockopt(zmq.LINGER, 0)
        sub.setsockopt(zmq.RCVTIMEO, 5000)
        sub.setsockopt(zmq.SUBSCRIBE, b"")
        sub.connect(hm.events_endpoint)
        req = zmq_context.socket(zmq.REQ)
        req.setsockopt(zmq.LINGER, 0)
        req.setsockopt(zmq.RCVTIMEO, 5000)
        assert hm.reports_endpoint is not None
        req.connect(hm.reports_endpoint)
        hm.wait_for_subscribers(1, prefix="")
        http = _Http(fe, hm, sub, req)
        try:
            yield http
        finally:
            http.proxy("close")()


def test_every_scenario_conforms_over_http(front: _Http) -> None:
    """Every scenario of the first capture directory, in order on one front-end, conforms."""
    directory = releases()[0]
    outcomes: list[Outcome] = []
    for scenario, events, problems in replay_http(load(directory), front):
        outcome = compare(scenario, events)
        outcome.problems[:0] = problems
        outcomes.append(outcome)
        print(outcome.summary())
    failing = [o for o in outcomes if o.problems]
    assert not failing, "\n".join(o.summary() + "\n  " + "\n  ".join(o.problems[:20]) for o in failing)
    assert len(outcomes) >= 1
