"""``mockhm serve`` with its oned front-end: the banner, the story on the shared state, the flags."""

from __future__ import annotations

import base64
import socket
import sys
import xmlrpc.client
from collections.abc import Callable

import pytest
import zmq
from lxml import etree

from mockhm.cli import main
from mockhm.wire.errors import BindError

from .conftest import recv_frames
from .test_hem import Lines


def test_story_runs_on_the_state_the_api_reads(subscriber: Callable[..., zmq.Socket[bytes]]) -> None:
    """The built-in story and one.vm.info share one state: the VM of the story's
    ``EVENT API one.vm.allocate 1`` is what one.vm.info answers about."""
    serve = Lines(
        [sys.executable, "-m", "mockhm", "serve", "-p", "*", "-l", "*", "--oned", "http://127.0.0.1:0/RPC2",
         "--rate", "200", "--quiet", "--wait", "1"]
    )  # fmt: skip
    try:
        events = serve.expect(r"events on (tcp://\S+), reports")[1]
        url = serve.expect(r"export ONE_XMLRPC=(http://127\.0\.0\.1:\d+/RPC2)$")[1]
        auth = serve.expect(r"export ONE_AUTH=(\S+)    \(holds oneadmin:password\)")[1]
        sub = subscriber(events, "EVENT API one.vm.allocate 1", timeout=10)
        body = etree.fromstring(base64.b64decode(recv_frames(sub)[1]))
        vid = int(body.findtext("CALL_INFO/PARAMETERS/PARAMETER[TYPE='OUT'][POSITION='2']/VALUE") or -1)
        name = body.findtext("CALL_INFO/EXTRA/VM/NAME")
        with open(auth) as fh:
            session = fh.read().strip()
        with xmlrpc.client.ServerProxy(url) as one:
            ok, xml, _ = one.one.vm.info(session, vid)
        assert ok and etree.fromstring(xml.encode()).findtext("NAME") == name
    finally:
        out = serve.stop()
    assert serve.proc.returncode == 0, out
    assert "mockhm: sent" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [(["--no-oned", "--idle"], "--no-oned leaves the front-end out"),
     (["--auth", "nopassword"], "expected USER:PASSWORD"),
     (["--oned", "http://127.0.0.1:0/xmlrpc"], "oned serves /RPC2 only"),
     (["vm-lifecycle", "--idle"], "a scenario or capture replays recorded events")],
)  # fmt: skip
def test_bad_flags_are_usage_errors(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["serve", "-p", "*", "-l", "*", *args])
    assert exit_.value.code == 2
    assert message in capsys.readouterr().err


def test_front_end_port_taken_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        port = blocker.getsockname()[1]
        rc = main(["serve", "--idle", "-p", "*", "-l", "*", "--oned", f"http://127.0.0.1:{port}/RPC2"])
    assert rc == 1
    assert (
        f"cannot bind the oned XML-RPC front-end to http://127.0.0.1:{port}/RPC2: Address already in use"
        in capsys.readouterr().err
    )
    assert issubclass(BindError, OSError)


def test_story_queues_no_driver_steps_and_survives_api_changes() -> None:
    """serve's story walks its own changes to their end (classic Cloud API, no driver steps);
    an API client changing a story VM never kills serve: the next event comes, or the CloudError
    the story raised, on which serve starts a new round."""
    from mockhm import FrontEnd, HookManager
    from mockhm.cli.serve import _next_event
    from mockhm.oned.cloud import CloudError
    from mockhm.oned.story import mixed_day
    from mockhm.wire.message import HookEvent

    with (
        HookManager("tcp://127.0.0.1:*", None) as hm,
        FrontEnd(hm, url="http://127.0.0.1:0/RPC2", drivers="manual") as fe,
    ):
        story = mixed_day(fe.oned.cloud)
        keys: list[str] = []
        while "EVENT VM 0/ACTIVE/RUNNING " not in keys:
            event = _next_event(story, fe)
            assert event is not None and not isinstance(event, CloudError)
            keys += event.keys
        assert fe.pending() == 0  # the story queued nothing for the drivers
        assert fe.call("one.vm.action", fe.session, "terminate-hard", 0)[0] is True  # type: ignore[index]
        fe.settle()
        for _ in range(200):  # never an exception out of the story: events, or a CloudError to restart on
            assert isinstance(_next_event(story, fe), (HookEvent, CloudError))
