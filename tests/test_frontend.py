"""The front-end's plumbing: real HTTP, real ZeroMQ, the shared state, drivers and reports."""

from __future__ import annotations

import base64
import threading
import xmlrpc.client
from collections.abc import Callable, Iterator

import pytest
import zmq

from mockhm import HookManager
from mockhm.frontend.frontend import ExposedFrontEndWarning, FrontEnd, is_loopback, warn_if_exposed

from .conftest import recv_frames

LOOPBACK = "http://127.0.0.1:0/RPC2"


@pytest.fixture
def hm() -> Iterator[HookManager]:
    with HookManager("tcp://127.0.0.1:*", "tcp://127.0.0.1:*") as manager:
        yield manager


def _fe(hm: HookManager, **kw: object) -> FrontEnd:
    return FrontEnd(hm, url=LOOPBACK, **kw)  # type: ignore[arg-type]


def test_call_publishes_in_order_and_info_answers(
    hm: HookManager, subscriber: Callable[..., zmq.Socket[bytes]]
) -> None:
    sub = subscriber(hm.events_endpoint, "EVENT")
    hm.wait_for_subscribers(prefix="EVENT API")
    with _fe(hm) as fe, xmlrpc.client.ServerProxy(fe.url) as one:
        ok, vid, code = one.one.vm.allocate(fe.session, 'NAME="a"\nCPU="1"\nMEMORY="64"')
        assert (ok, code) == (True, 0)
        keys = [recv_frames(sub)[0].decode() for _ in range(3)]
        assert keys == [f"EVENT VM {vid}/PENDING/LCM_INIT ", f"EVENT STATE VM/PENDING/LCM_INIT/{vid} ",
                        "EVENT API one.vm.allocate 1"]  # fmt: skip
        ok, xml, _ = one.one.vm.info(fe.session, vid)
        assert ok and xml.startswith(f"<VM><ID>{vid}</ID>")


def test_failure_carries_the_i8_and_bad_session_publishes_nothing(hm: HookManager) -> None:
    with _fe(hm) as fe, xmlrpc.client.ServerProxy(fe.url) as one:
        assert one.one.vm.info(fe.session, 99) == [False, "[one.vm.info] Error getting virtual machine [99].",
                                                   1024, 99, -1]  # fmt: skip
        before = hm.statistics().sent
        assert one.one.system.version("oneadmin:wrong")[2] == 256
        assert hm.statistics().sent == before


def test_faults_from_the_model_and_unknown_methods(hm: HookManager) -> None:
    with _fe(hm) as fe, xmlrpc.client.ServerProxy(fe.url) as one:
        with pytest.raises(xmlrpc.client.Fault) as err:
            one.one.vm.info(fe.session, "x")
        assert err.value.faultCode == -501
        with pytest.raises(xmlrpc.client.Fault) as err:
            one.one.vm.nosuch(fe.session)
        assert err.value.faultString == "Method 'one.vm.nosuch' not defined"


def test_manual_drivers_step_and_settle(hm: HookManager) -> None:
    with _fe(hm, drivers="manual") as fe:
        ok, hid, _ = fe.call("one.host.allocate", fe.session, "h1", "dummy", "dummy", -1)  # type: ignore[misc]
        assert ok and fe.pending() == 1
        with pytest.raises(TimeoutError, match="manual drivers do not run by themselves"):
            fe.wait_idle(0.1)
        events = fe.settle()
        assert [e.keys[0] for e in events] == [f"EVENT HOST {hid}/MONITORED/ "]
        assert fe.pending() == 0


def test_auto_drivers_run_on_their_own(hm: HookManager, subscriber: Callable[..., zmq.Socket[bytes]]) -> None:
    sub = subscriber(hm.events_endpoint, "EVENT HOST")
    hm.wait_for_subscribers(prefix="EVENT HOST")
    with _fe(hm, speed=1000.0) as fe:
        fe.call("one.host.allocate", fe.session, "h1", "dummy", "dummy", -1)
        fe.wait_idle(5)
        keys = [recv_frames(sub)[0].decode() for _ in range(2)]
        assert keys == ["EVENT HOST 0/INIT/ ", "EVENT HOST 0/MONITORED/ "]


def test_report_reaches_the_hook_log_before_the_ack(
    hm: HookManager, zmq_context: zmq.Context[zmq.Socket[bytes]]
) -> None:
    """A 2102 report (§3.5) becomes a HOOK_EXECUTION_RECORD before the executor gets its ACK."""
    assert hm.reports_endpoint is not None
    with _fe(hm) as fe:
        ok, hook_id, _ = fe.call(  # type: ignore[misc]
            "one.hook.allocate",
            fe.session,
            'NAME="h"\nTYPE="api"\nCALL="one.vm.allocate"\nCOMMAND="/bin/true"',
        )
        assert ok
        fragment = (
            "<ARGUMENTS>x</ARGUMENTS><EXECUTION_RESULT><COMMAND>/bin/true</COMMAND><STDOUT></STDOUT>"
            "<STDERR></STDERR><CODE>0</CODE></EXECUTION_RESULT>"
        )
        req = zmq_context.socket(zmq.REQ)
        req.setsockopt(zmq.LINGER, 0)
        req.setsockopt(zmq.RCVTIMEO, 2000)
        req.connect(hm.reports_endpoint)
        req.send(f"0 {hook_id} {base64.b64encode(fragment.encode()).decode()}".encode())
        assert req.recv() == b"ACK"
        ok, xml, _ = fe.call("one.hook.info", fe.session, hook_id)  # type: ignore[misc]
        assert "<EXECUTION_ID>0</EXECUTION_ID>" in xml and "<CODE>0</CODE>" in xml


def test_closes_cleanly_with_a_client_connected(hm: HookManager) -> None:
    before = set(threading.enumerate())
    fe = _fe(hm)
    one = xmlrpc.client.ServerProxy(fe.url)
    assert one.one.system.version(fe.session)[0] is True
    fe.close()
    fe.close()
    one("close")()
    assert set(threading.enumerate()) <= before
    assert not hm.closed  # a Hook Manager given to the front-end stays open


def test_loopback_detection_behind_the_warning() -> None:
    """The warning fires for any host that is not loopback; tests never bind beyond 127.0.0.1."""
    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.0.2.1")
    with pytest.warns(ExposedFrontEndWarning, match="reachable from other machines"):
        warn_if_exposed("0.0.0.0", "oneadmin")


@pytest.mark.parametrize(
    ("kw", "message"),
    [({"url": "https://127.0.0.1:0/RPC2"}, "expected http://HOST:PORT/RPC2"),
     ({"url": "http://127.0.0.1:0/other"}, "oned serves /RPC2 only"),
     ({"auth": "oneadmin"}, "expected USER:PASSWORD"),
     ({"drivers": "sometimes"}, "drivers='sometimes'; expected one of 'auto', 'manual'")],
)  # fmt: skip
def test_bad_arguments(hm: HookManager, kw: dict[str, object], message: str) -> None:
    args: dict[str, object] = {"url": LOOPBACK, **kw}
    with pytest.raises(ValueError, match=message):
        FrontEnd(hm, **args)  # type: ignore[arg-type]


def test_concurrent_clients_keep_each_call_s_events_in_order(hm: HookManager) -> None:
    """Four clients allocate at once while the drivers run: ids are unique and every VM's
    allocation STATE event precedes its API event on the wire (one lock over model + publish)."""
    results: list[int] = []
    errors: list[BaseException] = []

    def client(url: str, session: str) -> None:
        try:
            with xmlrpc.client.ServerProxy(url) as one:
                for i in range(10):
                    ok, vid, _ = one.one.vm.allocate(session, f'NAME="c{i}"\nCPU="1"\nMEMORY="64"')
                    assert ok
                    results.append(vid)
        except BaseException as err:  # reported below
            errors.append(err)

    with _fe(hm, speed=1000.0) as fe:
        threads = [threading.Thread(target=client, args=(fe.url, fe.session)) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        fe.wait_idle(10)
        fe.check()
    assert not errors and sorted(results) == list(range(40))
    keys = [frames[0].decode() for frames in hm.journal]
    api_positions = [i for i, k in enumerate(keys) if k == "EVENT API one.vm.allocate 1"]
    assert len(api_positions) == 40
    for vid in range(40):
        assert keys.index(f"EVENT VM {vid}/PENDING/LCM_INIT ") < keys.index(
            f"EVENT STATE VM/PENDING/LCM_INIT/{vid} "
        )
    # each API event directly follows the two STATE keys of its own VM
    for pos in api_positions:
        vid = int(keys[pos - 1].rsplit("/", 1)[1])
        assert keys[pos - 2] == f"EVENT VM {vid}/PENDING/LCM_INIT "


def test_every_listed_method_is_answered(hm: HookManager) -> None:
    """system.listMethods listed every call of the release (307) while 260 of them answered fault
    -506 "not defined": it lists what the model answers, and methodExist agrees."""
    with _fe(hm) as fe, xmlrpc.client.ServerProxy(fe.url) as one:
        listed = [m for m in one.system.listMethods() if not m.startswith("system.")]
        assert "one.vm.allocate" in listed and "one.hooklog.info" in listed
        for method in listed:
            assert one.system.methodExist(method), method
            try:
                getattr(one, method)("nobody:wrong")  # refused as a session, not as a method
            except xmlrpc.client.Fault as fault:
                assert fault.faultCode != -506, method
        assert not one.system.methodExist("one.vm.chmod") or "one.vm.chmod" in listed
