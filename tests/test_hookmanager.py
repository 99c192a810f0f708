"""The mock Hook Manager on real sockets: PUB/SUB prefix filtering, 2102 ACK, readiness, limits (§1, §2.2, §3.5)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest
import zmq

from mockhm import (
    BindError,
    HookEvent,
    HookManager,
    PublisherClosedError,
    SubscriberTimeoutError,
    encode_report,
    state_event,
)
from mockhm.wire.message import WireMessage

Sub = Callable[..., zmq.Socket[bytes]]


@pytest.fixture
def hm() -> HookManager:
    with HookManager("tcp://127.0.0.1:*", "tcp://127.0.0.1:*") as manager:
        yield manager  # type: ignore[misc]


def test_filter_with_trailing_space_gets_vm_4_not_42(hm: HookManager, subscriber: Sub) -> None:
    """Reference §2.2."""
    sub = subscriber(hm.events_endpoint, "EVENT STATE VM/ACTIVE/RUNNING/4 ")
    hm.wait_for_subscribers(1, prefix="EVENT STATE VM/ACTIVE/RUNNING/4 ")
    hm.publish(state_event("VM", 42, "ACTIVE", "RUNNING"), state_event("VM", 4, "ACTIVE", "RUNNING"))
    # VM 42 was sent first: ZeroMQ keeps order, so the first message received is the only
    # candidate for a leak, and it must be VM 4's.
    key, content = recv_frames(sub)
    assert key == b"EVENT STATE VM/ACTIVE/RUNNING/4 "
    assert b"<RESOURCE_ID>4</RESOURCE_ID>" in __import__("base64").b64decode(content)


def test_object_filter_gets_only_vm_4(hm: HookManager, subscriber: Sub) -> None:
    """Reference §2.1."""
    sub = subscriber(hm.events_endpoint, "EVENT VM 4/")
    hm.wait_for_subscribers(1)
    hm.publish(
        state_event("VM", 42, "ACTIVE", "RUNNING"),
        state_event("VM", 420, "PENDING"),
        state_event("VM", 4, "ACTIVE", "RUNNING"),
        state_event("VM", 4, "POWEROFF"),
    )
    assert recv_frames(sub)[0] == b"EVENT VM 4/ACTIVE/RUNNING "
    assert recv_frames(sub)[0] == b"EVENT VM 4/POWEROFF/LCM_INIT "


def test_every_message_is_two_frames_with_identical_content(hm: HookManager, subscriber: Sub) -> None:
    sub = subscriber(hm.events_endpoint, "EVENT")
    hm.wait_for_subscribers(1)
    event = state_event("VM", 7, "ACTIVE", "RUNNING")
    assert hm.publish(event) == 2
    first, second = recv_frames(sub), recv_frames(sub)
    assert [first[0], second[0]] == [k.encode() for k in event.keys]
    assert first[1] == second[1] == event.content


def test_hem_style_req_gets_ack_and_report_is_readable(
    hm: HookManager, zmq_context: zmq.Context[zmq.Socket[bytes]]
) -> None:
    """Reference §3.5."""
    req = hem_client(zmq_context, hm)
    req.send(encode_report(1, 3, arguments="PEhPT0s+", command="/var/lib/one/remotes/hooks/dns.sh",
                           stdout="added\n", stderr="warning: slow\n", remote_host="node1", retry=True))  # fmt: skip
    assert req.recv() == b"ACK"
    assert [r.hook_id for r in hm.reports] == [3]  # recorded before the ACK went out
    report = hm.wait_for_report(3, rc=1, timeout=2)
    assert (report.hook_id, report.rc, report.code, report.ok) == (3, 1, 1, False)
    assert report.arguments == "PEhPT0s+"
    assert report.command == "/var/lib/one/remotes/hooks/dns.sh"
    assert (report.stdout, report.stderr) == ("added\n", "warning: slow\n")
    assert (report.remote_host, report.retry, report.error) == ("node1", True, None)
    assert hm.statistics().reports == 1


def test_unreadable_report_is_kept_with_its_reason(
    hm: HookManager, zmq_context: zmq.Context[zmq.Socket[bytes]]
) -> None:
    req = hem_client(zmq_context, hm)
    req.send(b"0 5 !!!not-base64")
    assert req.recv() == b"ACK"
    report = hm.wait_for_report(5)
    assert report.error is not None and report.error.startswith("result is not base64")


def test_wait_for_subscribers_is_driven_by_notices(hm: HookManager, subscriber: Sub) -> None:
    subscriber(hm.events_endpoint, "EVENT API one.vm.allocate 1")
    subscriber(hm.events_endpoint, "EVENT")
    assert hm.wait_for_subscribers(2, timeout=2) == ["EVENT", "EVENT API one.vm.allocate 1"]
    # "EVENT" receives VM state keys, the allocate filter does not.
    assert len(hm.wait_for_subscribers(1, prefix="EVENT STATE VM/", timeout=2)) == 2
    with pytest.raises(
        SubscriberTimeoutError, match=r"2 subscription\(s\) for keys starting 'EVENT STATE VM/'"
    ):
        hm.wait_for_subscribers(2, prefix="EVENT STATE VM/", timeout=0.05)


def test_unsubscribe_and_disconnect_are_seen(hm: HookManager, subscriber: Sub) -> None:
    sub = subscriber(hm.events_endpoint, "EVENT A", "EVENT B")
    hm.wait_for_subscribers(2)
    sub.setsockopt(zmq.UNSUBSCRIBE, b"EVENT A")
    assert hm.wait_for_unsubscribed("EVENT A") == ["EVENT B"]
    stats = hm.statistics()
    assert stats.subscriptions == ("EVENT B",)
    assert (stats.subscriptions_seen, stats.unsubscriptions_seen) == (2, 1)
    hm.publish(WireMessage((b"EVENT A", b"gone")), WireMessage((b"EVENT B", b"x")))
    assert recv_frames(sub) == [b"EVENT B", b"x"]  # EVENT A, sent first, was filtered out
    sub.close(linger=0)
    assert hm.wait_for_unsubscribed("EVENT B") == []  # a disconnect unsubscribes too


def test_timeout_error_explains(hm: HookManager) -> None:
    with pytest.raises(SubscriberTimeoutError) as info:
        hm.wait_for_subscribers(1, timeout=0.01)
    assert info.value.endpoint == hm.events_endpoint and info.value.seen == []
    assert "a subscriber must set its filter and connect before events are published" in str(info.value)


def test_bind_failure_names_endpoint_and_reason(hm: HookManager) -> None:
    with pytest.raises(
        BindError, match=r"^cannot bind the events socket to tcp://127.0.0.1:\d+: Address already in use"
    ):
        HookManager(hm.events_endpoint, None)
    with pytest.raises(BindError) as info:
        HookManager("tcp://127.0.0.1:*", hm.reports_endpoint)
    assert info.value.endpoint == hm.reports_endpoint


def test_ipc_and_inproc_endpoints(tmp_path: Path, subscriber: Sub) -> None:
    ctx = zmq.Context.instance()
    with HookManager(f"ipc://{tmp_path}/hm.sock", "inproc://mockhm-reports", context=ctx) as hm:
        assert hm.events_endpoint == f"ipc://{tmp_path}/hm.sock"
        sub = subscriber(hm.events_endpoint)
        hm.wait_for_subscribers(1)
        hm.publish(state_event("HOST", 0, "MONITORED"))
        assert recv_frames(sub)[0] == b"EVENT HOST 0/MONITORED/ "


def test_lossless_mode_counts_refusals_instead_of_dropping(subscriber: Sub) -> None:
    with HookManager("tcp://127.0.0.1:*", None, hwm=5, lossless=True, journal=False) as hm:
        sub = subscriber(hm.events_endpoint)
        sub.setsockopt(zmq.RCVHWM, 5)
        hm.wait_for_subscribers(1)
        frames = (b"EVENT API one.vm.allocate 1", b"x" * 100_000)
        sent = sum(hm.send_frames(frames) for _ in range(500))
        stats = hm.statistics()
        assert stats.refused > 0 and stats.sent == sent and sent + stats.refused == 500
        received = 0
        while sub.poll(500):
            sub.recv_multipart()
            received += 1
        assert received == sent  # nothing accepted was lost


def test_lossless_publish_of_events_counts_each_refused_key_and_sends_the_rest_in_order(
    subscriber: Sub,
) -> None:
    # One VM STATE event is published under two keys (§3.3); when the queue is full part-way
    # through an event, the refused key is counted and the accepted ones still arrive in order.
    with HookManager("tcp://127.0.0.1:*", None, hwm=3, lossless=True) as hm:
        sub = subscriber(hm.events_endpoint)
        sub.setsockopt(zmq.RCVHWM, 3)
        hm.wait_for_subscribers(1)
        padded = b"<HOOK_MESSAGE>" + b"x" * 200_000 + b"</HOOK_MESSAGE>"
        events = [HookEvent("STATE", padded, ev.keys, ev.profile) for ev in
                  (state_event("VM", i, "ACTIVE", "RUNNING") for i in range(60))]  # fmt: skip
        assert all(len(e.frames) == 2 for e in events)
        sent = sum(hm.publish(e) for e in events)
        stats = hm.statistics()
        assert stats.refused > 0 and stats.sent == sent == len(hm.journal)
        assert sent + stats.refused == 120
        received = []
        while sub.poll(500):
            received.append(tuple(sub.recv_multipart()))
        assert received == hm.journal  # nothing accepted lost, order kept
        expected_order = [f for e in events for f in e.frames]
        positions = [expected_order.index(m) for m in received]
        assert positions == sorted(positions)


def test_concurrent_publishers_never_interleave_frames(hm: HookManager, subscriber: Sub) -> None:
    sub = subscriber(hm.events_endpoint)
    hm.wait_for_subscribers(1)
    events = [state_event("VM", i, "ACTIVE", "RUNNING") for i in range(4)]

    def blast(i: int) -> None:
        for _ in range(50):
            hm.publish(events[i])

    threads = [threading.Thread(target=blast, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    by_id = {e.keys[0].encode(): e.content for e in events} | {e.keys[1].encode(): e.content for e in events}
    for _ in range(400):
        frames = recv_frames(sub)
        assert len(frames) == 2 and by_id[frames[0]] == frames[1]
    assert hm.statistics().sent == 400


def test_close_is_idempotent_and_final() -> None:
    hm = HookManager("tcp://127.0.0.1:*", "tcp://127.0.0.1:*")
    hm.close()
    hm.close()
    assert hm.closed
    with pytest.raises(PublisherClosedError):
        hm.publish(state_event("VM", 1, "PENDING"))
    hm.check()


def test_statistics_and_reset(hm: HookManager) -> None:
    hm.publish(state_event("VM", 1, "PENDING"))
    stats = hm.statistics()
    assert stats.sent == 2 and stats.sent_per_key == {
        "EVENT VM 1/PENDING/LCM_INIT ": 1,
        "EVENT STATE VM/PENDING/LCM_INIT/1 ": 1,
    }
    assert [f[0] for f in hm.journal] == [
        b"EVENT VM 1/PENDING/LCM_INIT ",
        b"EVENT STATE VM/PENDING/LCM_INIT/1 ",
    ]
    hm.reset()
    assert hm.statistics().sent == 0 and hm.journal == []


def recv_frames(sock: zmq.Socket[bytes]) -> list[bytes]:
    """One multipart message; the socket's RCVTIMEO turns a hang into zmq.Again."""
    return sock.recv_multipart()


def hem_client(ctx: zmq.Context[zmq.Socket[bytes]], hm: HookManager) -> zmq.Socket[bytes]:
    """A REQ socket like onehem-server's, connected to the 2102 channel, with a receive timeout."""
    req = ctx.socket(zmq.REQ)
    req.setsockopt(zmq.LINGER, 0)
    req.setsockopt(zmq.RCVTIMEO, 2000)
    assert hm.reports_endpoint is not None
    req.connect(hm.reports_endpoint)
    return req
