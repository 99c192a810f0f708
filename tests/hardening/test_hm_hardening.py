"""Issue 10 on real sockets: subscription counting (9), close frees the port (10), bounded
reports (4), large reports (16), nobody subscribed (11), timeout wording (13), ports (7),
binds outside loopback (8), large zero-copy frames at exit (2)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import warnings

import pytest
import zmq

from mockhm import (
    BindError,
    HookManager,
    MockHMError,
    PublisherClosedError,
    SubscriberTimeoutError,
    encode_report,
    state_event,
)

LOOP = "tcp://127.0.0.1:*"


def _sub(ctx: zmq.Context[zmq.Socket[bytes]], endpoint: str) -> zmq.Socket[bytes]:
    sock = ctx.socket(zmq.SUB)
    sock.setsockopt(zmq.LINGER, 0)
    sock.setsockopt(zmq.RCVTIMEO, 2000)
    sock.connect(endpoint)
    return sock


def test_same_filter_twice_from_one_subscriber_counts_once(
    zmq_context: zmq.Context[zmq.Socket[bytes]],
) -> None:
    """Item 9.  Checked on libzmq 4.3.5 (see the note): a SUB that subscribes ``K`` twice after
    connecting makes XPUB_VERBOSER deliver two subscribe notices, but the SUB keeps a count
    and sends one unsubscribe when its count reaches zero, and a disconnect announces each of
    the connection's filters once.  So the filter is one subscription of one subscriber."""
    with HookManager(LOOP, None) as hm:
        hem = _sub(zmq_context, hm.events_endpoint)
        key = b"EVENT STATE VM/ACTIVE/RUNNING/"
        hem.setsockopt(zmq.SUBSCRIBE, b"HELLO")
        hm.wait_for_subscribers(1, prefix="HELLO")  # connected: what follows is sent as set
        hem.setsockopt(zmq.SUBSCRIBE, key)  # two hooks share the key (what HEM does)
        hem.setsockopt(zmq.SUBSCRIBE, key)
        hem.setsockopt(zmq.SUBSCRIBE, b"EVENT API one.vm.allocate ")
        hem.setsockopt(zmq.SUBSCRIBE, b"FLUSH1")  # one peer's notices arrive in order
        hm.wait_for_subscribers(1, prefix="FLUSH1")
        assert hm.statistics().subscriptions_seen == 5  # the duplicate did arrive as a notice
        other = _sub(zmq_context, hm.events_endpoint)
        other.setsockopt(zmq.SUBSCRIBE, key)
        other.setsockopt(zmq.SUBSCRIBE, b"FLUSH2")
        hm.wait_for_subscribers(1, prefix="FLUSH2")
        assert hm.subscriptions.count(key.decode()) == 2  # hem once, other once
        hem.setsockopt(zmq.UNSUBSCRIBE, key)
        hem.setsockopt(zmq.UNSUBSCRIBE, key)  # hem's count reaches 0: one notice
        other.close(0)
        hm.wait_for_unsubscribed("FLUSH2")
        hm.wait_for_unsubscribed(key.decode())
        hem.close(0)
        hm.wait_for_unsubscribed("EVENT API one.vm.allocate ")
        hm.wait_for_unsubscribed("FLUSH1")
        hm.wait_for_unsubscribed("HELLO")
        assert hm.subscriptions == []


def test_restarted_subscriber_shows_the_same_filters(zmq_context: zmq.Context[zmq.Socket[bytes]]) -> None:
    """Item 9: after a HEM restart the same filters are listed, not one fewer or more."""
    keys = [
        b"EVENT STATE VM/ACTIVE/RUNNING/",
        b"EVENT STATE VM/ACTIVE/RUNNING/",
        b"EVENT API one.vm.allocate ",
    ]
    with HookManager(LOOP, None) as hm:
        for _ in range(3):
            hem = _sub(zmq_context, hm.events_endpoint)
            for key in keys:
                hem.setsockopt(zmq.SUBSCRIBE, key)
            hem.setsockopt(zmq.SUBSCRIBE, b"FLUSH")
            hm.wait_for_subscribers(1, prefix="FLUSH")
            assert hm.subscriptions == sorted({k.decode() for k in keys} | {"FLUSH"})
            hem.close(0)
            for key in {*keys, b"FLUSH"}:
                hm.wait_for_unsubscribed(key.decode())
            assert hm.subscriptions == []


def test_close_returns_with_the_port_free() -> None:
    """Item 10: an immediate re-bind of the same endpoints always succeeds."""
    hm = HookManager(LOOP, LOOP)
    events, reports = hm.events_endpoint, hm.reports_endpoint
    assert reports is not None
    hm.close()
    for _ in range(100):
        hm = HookManager(events, reports)
        hm.close()


def test_serve_keeps_a_bounded_number_of_reports_and_counts_all(
    zmq_context: zmq.Context[zmq.Socket[bytes]],
) -> None:
    """Item 4 (first half): ``keep_reports`` bounds the list; statistics keep the exact count."""
    with HookManager(LOOP, LOOP, keep_reports=5) as hm:
        assert hm.reports_endpoint is not None
        req = zmq_context.socket(zmq.REQ)
        req.setsockopt(zmq.LINGER, 0)
        req.setsockopt(zmq.RCVTIMEO, 2000)
        req.connect(hm.reports_endpoint)
        for i in range(40):
            req.send(encode_report(0, i, stdout="x" * 100))
            assert req.recv() == b"ACK"
        assert [r.hook_id for r in hm.reports] == list(range(35, 40))
        assert len(hm.report_times) == 5
        assert hm.statistics().reports == 40
        assert hm.wait_for_report(39, timeout=1).hook_id == 39


def test_a_20_mb_report_is_read_not_stored_as_an_error(zmq_context: zmq.Context[zmq.Socket[bytes]]) -> None:
    """Item 16: libxml2's 10 MB text-node limit must not turn a valid report into an error."""
    with HookManager(LOOP, LOOP) as hm:
        assert hm.reports_endpoint is not None
        req = zmq_context.socket(zmq.REQ)
        req.setsockopt(zmq.LINGER, 0)
        req.setsockopt(zmq.RCVTIMEO, 10_000)
        req.connect(hm.reports_endpoint)
        stdout = "y" * (15 << 20)
        req.send(encode_report(0, 7, stdout=stdout))
        assert req.recv() == b"ACK"
        report = hm.wait_for_report(7, timeout=5)
        assert report.error is None
        assert report.stdout == stdout


def test_sends_with_nobody_subscribed_are_counted() -> None:
    """Item 11: a message sent while no subscription exists went to nobody; say so."""
    with HookManager(LOOP, None, lossless=True) as hm:
        hm.publish(state_event("VM", 1, "PENDING"))
        stats = hm.statistics()
        assert (stats.sent, stats.refused, stats.unrouted) == (2, 0, 2)


def test_timeout_message_says_none_matched(zmq_context: zmq.Context[zmq.Socket[bytes]]) -> None:
    """Item 13: active filters that do not match the prefix are not 'seen' matches."""
    with HookManager(LOOP, None) as hm:
        sub = _sub(zmq_context, hm.events_endpoint)
        sub.setsockopt(zmq.SUBSCRIBE, b"EVENT API ")
        hm.wait_for_subscribers(1)
        with pytest.raises(SubscriberTimeoutError) as err:
            hm.wait_for_subscribers(1, prefix="EVENT STATE VM/", timeout=0.2)
        text = str(err.value)
        assert "0 matching" in text and "1 active" in text and "saw 1" not in text


@pytest.mark.parametrize(
    ("endpoint", "wrapped"),
    [("tcp://127.0.0.1:70000", "4464"), ("tcp://127.0.0.1:99999", "34463"), ("tcp://127.0.0.1:-1", "65535")],
)
def test_out_of_range_ports_are_refused(endpoint: str, wrapped: str) -> None:
    """Item 7: libzmq wraps ports modulo 65536; mockhm refuses them, naming the range."""
    with pytest.raises(BindError, match=r"port .* 1\.\.65535"):
        HookManager(endpoint, None)
    del wrapped


def test_bind_outside_loopback_warns() -> None:
    """Item 8: 0.0.0.0 and * expose the bodies and the report channel; loopback does not warn."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        HookManager(LOOP, LOOP).close()
    with pytest.warns(UserWarning, match="not loopback"):
        HookManager("tcp://0.0.0.0:*", None).close()
    with pytest.warns(UserWarning, match="not loopback"):
        HookManager(LOOP, "tcp://*:*").close()


def test_large_frames_being_written_at_exit_do_not_abort() -> None:
    """Item 2: libzmq aborted ("Bad address (src/tcp.cpp:227)") when a zero-copy frame was
    freed at exit while the I/O thread still wrote it; frames are handed over as copies."""
    script = textwrap.dedent(
        """
        import zmq, mockhm
        hm = mockhm.HookManager("tcp://127.0.0.1:*", None)
        s = zmq.Context.instance().socket(zmq.SUB); s.linger = 0
        s.setsockopt(zmq.SUBSCRIBE, b""); s.connect(hm.events_endpoint)
        hm.wait_for_subscribers(1)
        for _ in range(3):
            hm.send_frames([b"EVENT API one.vm.info 1", bytearray(b"x" * (64 << 20))])
        hm.close()
        """
    )
    for _ in range(5):
        done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr[-500:]


def test_journal_can_be_bounded_and_counts_stay_exact() -> None:
    """Bounds where memory grows with time: ``keep_journal`` keeps about the latest N messages."""
    with HookManager(LOOP, None, keep_journal=16) as hm:
        for i in range(100):
            hm.publish(state_event("VM", i, "PENDING"))
        assert 16 <= len(hm.journal) <= 18
        assert hm.journal[-1][0] == b"EVENT STATE VM/PENDING/LCM_INIT/99 "
        assert hm.statistics().sent == 200


@pytest.mark.parametrize(
    "knobs", [{"hwm": -1}, {"keep_reports": 0}, {"keep_journal": True}, {"hwm": 2**40}, {"context": "x"}]
)
def test_bad_knobs_are_our_errors(knobs: dict[str, object]) -> None:
    """``hwm=-1`` used to reach libzmq (``ZMQError: Invalid argument``), ``hwm=2**40`` raised
    OverflowError, ``context="x"`` AttributeError."""
    with pytest.raises(
        MockHMError, match=r"expected an integer \d\.\.2147483647, or None|expected a zmq.Context"
    ):
        HookManager(LOOP, None, **knobs)  # type: ignore[arg-type]


def test_front_end_arguments_are_checked(tmp_path: object) -> None:
    """A closed Hook Manager was accepted (the first call changed the model, then its events were
    lost); ``speed=inf`` raised OverflowError at the first call; ``auth=None`` AttributeError."""
    from mockhm import FrontEnd, PublisherClosedError

    closed = HookManager(LOOP, None)
    closed.close()
    with pytest.raises(PublisherClosedError, match="is closed"):
        FrontEnd(closed, url="http://127.0.0.1:0/RPC2")
    with HookManager(LOOP, None) as hm:
        with pytest.raises(ValueError, match="speed=inf: model seconds per wall second, a finite number"):
            FrontEnd(hm, url="http://127.0.0.1:0/RPC2", speed=float("inf"))
        with pytest.raises(ValueError, match="auth None: expected USER:PASSWORD"):
            FrontEnd(hm, url="http://127.0.0.1:0/RPC2", auth=None)  # type: ignore[arg-type]


def test_a_frame_that_is_not_bytes_is_refused_before_anything_is_sent(
    zmq_context: zmq.Context[zmq.Socket[bytes]],
) -> None:
    """The key went out with SNDMORE before the content failed: the next message was glued to it
    (the subscriber got [KEY1, KEY2, C2] while the journal said [(KEY2, C2)])."""
    with HookManager(LOOP, None) as hm:
        sub = _sub(zmq_context, hm.events_endpoint)
        sub.setsockopt(zmq.SUBSCRIBE, b"")
        hm.wait_for_subscribers(1)
        with pytest.raises(TypeError, match="frame 2 is NoneType"):
            hm.send_frames([b"KEY1", None])  # type: ignore[list-item]
        with pytest.raises(TypeError, match="frame 2 is str"):
            hm.send_many([[b"K0", b"C0"], [b"KEY1", "text"]])  # type: ignore[list-item]
        hm.send_frames([b"KEY2", bytearray(b"C2")])  # a bytes-like frame is sent as bytes
        assert [sub.recv_multipart() for _ in range(2)] == [[b"K0", b"C0"], [b"KEY2", b"C2"]]
        assert hm.journal == [(b"K0", b"C0"), (b"KEY2", b"C2")]


@pytest.mark.parametrize(
    "call",
    [
        lambda hm: hm.wait_for_subscribers(1, timeout=float("nan")),
        lambda hm: hm.wait_for_filters({"EVENT"}, timeout=float("nan")),
        lambda hm: hm.wait_for_report(timeout=float("nan")),
        lambda hm: hm.wait_for_subscribers(1, timeout=-1),
    ],
    ids=["subscribers", "filters", "report", "negative"],
)
def test_a_wait_with_a_timeout_that_is_not_seconds_is_refused(call: object) -> None:
    """A NaN timeout waited for ever (``remaining <= 0`` is never true)."""
    with HookManager(LOOP, LOOP) as hm, pytest.raises(MockHMError, match=r"timeout=.*expected seconds"):
        call(hm)  # type: ignore[operator]


def test_arguments_are_checked_before_sockets_are_closed_or_taken_down() -> None:
    """``ack="ACK"`` killed the I/O thread at the first report; ``close(linger=inf)`` and
    ``restarted(downtime=inf)`` raised after closing the sockets, leaving the manager closed
    with its ports bound, or down for good."""
    with pytest.raises(MockHMError, match="ack='ACK'; expected bytes"):
        HookManager(LOOP, LOOP, ack="ACK")  # type: ignore[arg-type]
    with HookManager(LOOP, LOOP) as hm:
        with pytest.raises(MockHMError, match="linger=inf; expected finite seconds"):
            hm.close(linger=float("inf"))
        assert not hm.closed
        with (
            pytest.raises(MockHMError, match="downtime=inf; expected finite seconds"),
            hm.restarted(downtime=float("inf")),
        ):
            pass
        hm.publish(state_event("VM", 1, "ACTIVE", "RUNNING"))  # still up


def test_a_string_where_a_list_of_filters_is_expected_is_refused() -> None:
    """``wait_for_filters("EVENT")`` waited for the filters E, N, T and V."""
    with HookManager(LOOP, None) as hm, pytest.raises(TypeError, match="a list of filters, not one string"):
        hm.wait_for_filters("EVENT", timeout=0.1)


@pytest.mark.parametrize("item", [None, 5, b"abc", "EVENT API x 1", {"a": b"b"}, ["key", "content"]])
def test_publish_of_what_is_not_a_message_names_what_it_takes(item: object) -> None:
    """These raised RecursionError, or "argument after * must be an iterable"."""
    with HookManager(LOOP, None) as hm, pytest.raises(TypeError, match="cannot publish"):
        hm.publish(item)  # type: ignore[arg-type]


def test_replay_record_and_load_refuse_one_string_for_their_filters(tmp_path: object) -> None:
    """``filters="EVENT API"`` became the filters E, V, N, T, " ", A, P, I: replay sent all 94
    messages of vm-lifecycle, record subscribed to everything."""
    from pathlib import Path

    from mockhm import record, replay, run_load

    with HookManager(LOOP, None) as hm:
        with pytest.raises(TypeError, match=r"filters='EVENT API': expected a list of filters"):
            replay("vm-lifecycle", hm, filters="EVENT API", speed=0)  # type: ignore[arg-type]
        with pytest.raises(TypeError, match=r"ack_filters='EVENT STATE'"):
            run_load(hm, [(b"K", b"C")], None, count=1, acks=True, ack_filters="EVENT STATE")  # type: ignore[arg-type]
        assert hm.statistics().sent == 0
        with pytest.raises(TypeError, match=r"filters='EVENT STATE'"):
            record(hm.events_endpoint, Path(str(tmp_path)) / "r.jsonl", filters="EVENT STATE", count=1)  # type: ignore[arg-type]


def test_misused_objects_and_arguments_raise_errors_that_say_so() -> None:
    """Each raised AttributeError from inside mockhm, or answered as if nothing was wrong."""
    from mockhm import FrontEnd, retry_message, validate_event, vmmonitor_event

    with pytest.raises(TypeError, match="since=3: expected a Mark"), HookManager(LOOP, None) as hm:
        hm.reports_after(3)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="arguments=None: expected"):
        retry_message(1, None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="results=None: expected a mapping"):
        vmmonitor_event(1, None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="cannot validate str; expected a HookEvent"):
        validate_event("x")  # type: ignore[arg-type]
    with HookManager(LOOP, None) as hm:
        fe = FrontEnd(hm, url="http://127.0.0.1:0/RPC2")
        fe.close()
        with pytest.raises(PublisherClosedError, match="front-end is closed"):
            fe.call("one.system.version", fe.session)


def test_a_report_wait_on_a_manager_closed_meanwhile_says_closed() -> None:
    """It raised ReportTimeoutError "within 10 s" at once; the subscription waits said closed."""
    import threading

    hm = HookManager(LOOP, LOOP)
    timer = threading.Timer(0.1, hm.close)
    timer.start()
    try:
        with pytest.raises(PublisherClosedError, match="is closed"):
            hm.wait_for_report(timeout=10)
    finally:
        timer.cancel()
        hm.close()
