"""The helpers every team used to write by hand, on real sockets: marks and new-peer waits,
exact-filter waits, the next report, the delivery oracle and a publisher restart."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import zmq

from mockhm import (
    Delivery,
    HookManager,
    Mark,
    PublisherClosedError,
    ReportTimeoutError,
    SubscriberTimeoutError,
    Subscription,
    encode_report,
    state_event,
)
from mockhm.hookmanager.oracle import compare
from tests.receiving import ThreadedSubscriber, closed_at_teardown

Sub = Callable[..., zmq.Socket[bytes]]
VM = "EVENT STATE VM/"


@pytest.fixture
def hm() -> Iterator[HookManager]:
    with HookManager("tcp://127.0.0.1:*", "tcp://127.0.0.1:*") as manager:
        yield manager


def _report(ctx: zmq.Context[zmq.Socket[bytes]], hm: HookManager, hook_id: int, stdout: str) -> None:
    """One HEM-style report on a fresh REQ socket; returns once the ACK arrived."""
    req = ctx.socket(zmq.REQ)
    req.setsockopt(zmq.LINGER, 0)
    req.setsockopt(zmq.RCVTIMEO, 2000)
    assert hm.reports_endpoint is not None
    req.connect(hm.reports_endpoint)
    req.send(encode_report(0, hook_id, stdout=stdout))
    assert req.recv() == b"ACK"


# -- new peers, exact filters -----------------------------------------------------------------


def test_a_leftover_subscriber_does_not_satisfy_a_wait_since_a_mark(hm: HookManager, subscriber: Sub) -> None:
    subscriber(hm.events_endpoint, VM)  # left over from an earlier test
    hm.wait_for_subscribers(prefix=VM)
    mark = hm.mark()
    with pytest.raises(SubscriberTimeoutError, match="0 new since the mark"):
        hm.wait_for_subscribers(prefix=VM, since=mark, timeout=0.1)
    subscriber(hm.events_endpoint, VM)  # the test's own client, same filter
    assert hm.wait_for_subscribers(prefix=VM, since=mark) == [VM, VM]
    (new,) = hm.active_subscriptions(since=mark)
    assert isinstance(new, Subscription) and new.filter == VM and new.notice == mark.notices + 1


def test_exact_filter_waits_are_not_satisfied_by_a_covering_filter(hm: HookManager, subscriber: Sub) -> None:
    subscriber(hm.events_endpoint, "EVENT")
    hm.wait_for_subscribers(prefix=VM)  # "EVENT" covers it
    with pytest.raises(SubscriberTimeoutError, match=r"with exactly the filter 'EVENT STATE VM/'"):
        hm.wait_for_subscribers(prefix=VM, exact=True, timeout=0.1)
    subscriber(hm.events_endpoint, VM)
    hm.wait_for_subscribers(prefix=VM, exact=True)


def test_wait_for_filters_exactly_the_set(hm: HookManager, subscriber: Sub) -> None:
    hooks = {"EVENT API one.vm.allocate 1", "EVENT STATE VM/ACTIVE/RUNNING/"}
    subscriber(hm.events_endpoint, *hooks)
    assert hm.wait_for_filters(hooks) == sorted(hooks)
    other = subscriber(hm.events_endpoint, "EVENT STATE HOST/")
    hm.wait_for_filters({"EVENT STATE HOST/"}, exact=False)
    with pytest.raises(SubscriberTimeoutError, match="exactly the filters"):
        hm.wait_for_filters(hooks, timeout=0.1)
    hm.wait_for_filters(hooks, exact=False)
    other.close(linger=0)
    assert hm.wait_for_filters(hooks) == sorted(hooks)  # the extra filter went away


# -- the next report --------------------------------------------------------------------------


def test_wait_for_report_since_a_mark_takes_the_next_one(
    hm: HookManager, zmq_context: zmq.Context[zmq.Socket[bytes]]
) -> None:
    _report(zmq_context, hm, 3, "first")
    assert hm.wait_for_report(3).stdout == "first"
    mark = hm.mark()
    assert mark.reports == 1
    with pytest.raises(ReportTimeoutError, match=r"after the mark as \(hook_id, rc\): \[\]"):
        hm.wait_for_report(3, since=mark, timeout=0.1)
    _report(zmq_context, hm, 3, "second")
    assert hm.wait_for_report(3, since=mark).stdout == "second"
    hm.reset()  # forgets reports, not positions
    assert hm.mark().reports == 2
    _report(zmq_context, hm, 3, "third")
    assert hm.wait_for_report(3, since=mark).stdout == "third"


# -- the delivery oracle ----------------------------------------------------------------------


def _vm(vm_id: int, state: str = "ACTIVE", lcm: str = "RUNNING") -> object:
    return state_event("VM", vm_id, state, lcm)


def test_the_oracle_lists_what_a_subscriber_should_have_received(hm: HookManager, subscriber: Sub) -> None:
    hm.publish(_vm(1))  # before anyone subscribed: nobody gets it
    sub = subscriber(hm.events_endpoint, VM)
    hm.wait_for_subscribers(prefix=VM)
    hm.publish(_vm(2), state_event("HOST", 0, "MONITORED"), _vm(3, "POWEROFF", "LCM_INIT"))
    delivery = hm.delivered(VM)
    assert isinstance(delivery, Delivery)
    assert delivery.count == 2
    assert delivery.keys == ["EVENT STATE VM/ACTIVE/RUNNING/2 ", "EVENT STATE VM/POWEROFF/LCM_INIT/3 "]
    received = [tuple(sub.recv_multipart()) for _ in range(delivery.count)]
    assert hm.assert_delivered(VM, received) == delivery
    assert hm.assert_delivered(VM, [m[0].decode() for m in received]) == delivery
    with pytest.raises(
        AssertionError, match=r"should have received 2 message\(s\), processed 1: first difference at #1"
    ):
        hm.assert_delivered(VM, received[1:])
    with pytest.raises(AssertionError, match="1 not sent to it"):
        hm.assert_delivered(VM, [*received, (b"EVENT STATE VM/ACTIVE/RUNNING/9 ", b"")])
    with pytest.raises(
        LookupError, match=r"no subscription to exactly 'EVENT'; active filters: \['EVENT STATE VM/'\]"
    ):
        hm.delivered("EVENT")


def test_the_oracle_counts_without_a_journal_and_across_a_reset(subscriber: Sub) -> None:
    with HookManager("tcp://127.0.0.1:*", None, journal=False) as hm:
        subscriber(hm.events_endpoint, "EVENT STATE VM/ACTIVE/")
        hm.wait_for_subscribers()
        hm.publish(_vm(1), _vm(2, "POWEROFF", "LCM_INIT"), _vm(3))
        hm.reset()
        hm.publish(_vm(4))
        (delivery,) = hm.deliveries()
        assert (delivery.filter, delivery.count, delivery.messages) == ("EVENT STATE VM/ACTIVE/", 3, None)
        hm.assert_delivered("EVENT STATE VM/ACTIVE/", ["a", "b", "c"])  # counts only
        with pytest.raises(AssertionError, match="only counts are compared"):
            hm.assert_delivered("EVENT STATE VM/ACTIVE/", ["a", "b"])


def test_an_ended_subscription_keeps_its_delivery(hm: HookManager, subscriber: Sub) -> None:
    mark = hm.mark()
    sub = subscriber(hm.events_endpoint, VM)
    hm.wait_for_subscribers(since=mark)
    hm.publish(_vm(5))
    got = [tuple(sub.recv_multipart())]
    sub.close(linger=0)
    hm.wait_for_unsubscribed(VM)
    hm.publish(_vm(6))  # after it left
    delivery = hm.assert_delivered(VM, got, since=mark)
    assert not delivery.subscription.active and delivery.count == 1


def _frames(*keys: str) -> tuple[tuple[bytes, ...], ...]:
    return tuple((k.encode(), b"x") for k in keys)


def test_compare_allows_a_final_run_of_the_messages_sent_while_subscribing() -> None:
    sub = Subscription(VM, notice=1, since=5, maybe_from=3, subscribed_ns=0)
    delivery = Delivery(sub, 1, _frames("c"), maybe=_frames("a", "b"))
    for received in (["c"], ["b", "c"], ["a", "b", "c"]):
        assert compare(delivery, received) is None
    problem = compare(delivery, ["a", "c"])
    assert problem is not None and "first difference at #2: expected 'b', processed 'c'" in problem


# -- restarts ---------------------------------------------------------------------------------


@pytest.fixture
def receiver(subscriber: Sub) -> Iterator[Callable[..., ThreadedSubscriber]]:
    yield from closed_at_teardown(
        lambda endpoint, *prefixes: ThreadedSubscriber(subscriber(endpoint, *prefixes))
    )


def test_restart_keeps_the_endpoints_and_subscribers_come_back(
    hm: HookManager, receiver: Callable[..., ThreadedSubscriber], zmq_context: zmq.Context[zmq.Socket[bytes]]
) -> None:
    events, reports = hm.events_endpoint, hm.reports_endpoint
    sub = receiver(hm.events_endpoint, VM)
    hm.wait_for_subscribers(prefix=VM)
    with hm.restarted(downtime=0.05) as mark:
        assert isinstance(mark, Mark) and hm.subscriptions == []
        with pytest.raises(PublisherClosedError, match="down for a restart"):
            hm.publish(_vm(1))
    assert (hm.events_endpoint, hm.reports_endpoint) == (events, reports)
    assert hm.mark().restarts == 1
    hm.wait_for_subscribers(prefix=VM, since=mark)  # the SUB reconnected by itself
    hm.publish(_vm(2))
    assert [m[0] for m in sub.wait(1)] == [b"EVENT STATE VM/ACTIVE/RUNNING/2 "]
    hm.assert_delivered(VM, sub.got, since=mark)
    _report(zmq_context, hm, 8, "after the restart")  # the REP socket is back too
    assert hm.wait_for_report(8, since=mark).stdout == "after the restart"


def test_restart_as_a_call_and_on_a_closed_hook_manager(receiver: Callable[..., ThreadedSubscriber]) -> None:
    hm = HookManager("tcp://127.0.0.1:*", None)
    try:
        receiver(hm.events_endpoint, "")
        hm.wait_for_subscribers()
        mark = hm.restart()
        hm.wait_for_subscribers(since=mark)
    finally:
        hm.close()
    with pytest.raises(PublisherClosedError, match="is closed"):
        hm.restart()
