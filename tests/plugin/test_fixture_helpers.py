"""The fixture's helpers used the way a downstream suite uses them (the plugin is installed, so
this module is such a suite): new-peer waits, the oracle, the next report, a restart."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import zmq
from pytest_mockhm import HookManagerFixture, MakeHookManager

from mockhm import Mark, WireMessage, encode_report
from tests.receiving import ThreadedSubscriber, closed_at_teardown

VM = "EVENT STATE VM/"


@pytest.fixture
def subscribe(subscriber: Callable[..., zmq.Socket[bytes]]) -> Iterator[Callable[..., ThreadedSubscriber]]:
    """A subscriber receiving in a thread, on ``endpoint`` with ``prefixes``."""
    yield from closed_at_teardown(
        lambda endpoint, *prefixes: ThreadedSubscriber(subscriber(endpoint, *prefixes))
    )


def test_oracle_and_restart_through_the_fixture(
    hookmanager: HookManagerFixture, subscribe: Callable[..., ThreadedSubscriber]
) -> None:
    mark = hookmanager.mark()
    sub = subscribe(hookmanager.events_endpoint, VM)
    hookmanager.wait_for_subscribers(prefix=VM, exact=True, since=mark)
    hookmanager.publish_state("VM", 4, "ACTIVE", "RUNNING")
    hookmanager.publish_state("HOST", 0, "MONITORED")
    delivery = hookmanager.delivered(VM)
    hookmanager.assert_delivered(VM, sub.wait(delivery.count))
    assert [m.key for m in hookmanager.sent] == [
        "EVENT VM 4/ACTIVE/RUNNING ", "EVENT STATE VM/ACTIVE/RUNNING/4 ",
        "EVENT HOST 0/MONITORED/ ", "EVENT STATE HOST/MONITORED//0 ",
    ]  # fmt: skip
    assert all(isinstance(m, WireMessage) for m in hookmanager.sent)
    with hookmanager.restarted(downtime=0.05) as down:
        assert hookmanager.subscriptions == []
    hookmanager.wait_for_filters({VM}, since=down)
    hookmanager.publish_state("VM", 5, "POWEROFF")
    hookmanager.assert_delivered(VM, sub.wait(2)[1:], since=down)
    assert [s.filter for s in hookmanager.active_subscriptions(since=down)] == [VM]


def test_the_next_report_after_a_mark(make_hookmanager: MakeHookManager) -> None:
    hm = make_hookmanager()
    assert hm.reports_endpoint is not None
    req = zmq.Context.instance().socket(zmq.REQ)
    req.setsockopt(zmq.LINGER, 0)
    req.setsockopt(zmq.RCVTIMEO, 2000)
    req.connect(hm.reports_endpoint)
    try:
        req.send(encode_report(0, 3, stdout="old"))
        assert req.recv() == b"ACK"
        mark = hm.mark()
        req.send(encode_report(1, 3, stdout="new"))
        assert req.recv() == b"ACK"
        assert hm.wait_for_report(3, since=mark).stdout == "new"
        assert hm.wait_for_report(3).stdout == "old"
    finally:
        req.close(0)


@pytest.mark.asyncio
async def test_async_waits_take_since(hookmanager: HookManagerFixture) -> None:
    mark: Mark = hookmanager.mark()
    sock = zmq.Context.instance().socket(zmq.SUB)
    sock.setsockopt(zmq.LINGER, 0)
    sock.setsockopt(zmq.SUBSCRIBE, b"EVENT API ")
    sock.connect(hookmanager.events_endpoint)
    try:
        filters = await hookmanager.wait_for_subscribers_async(since=mark, prefix="EVENT API ", exact=True)
        assert filters == ["EVENT API "]
        assert await hookmanager.wait_for_filters_async({"EVENT API "}, since=mark) == ["EVENT API "]
    finally:
        sock.close(0)
