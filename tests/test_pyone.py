"""pyone, OpenNebula's Python bindings from PyPI, against the mock front-end.

pyone allocates a host and a VM, deploys it and powers it off over real XML-RPC; a SUB socket
on the Hook Manager receives the keys, which must be the ones a real oned 7.4 published for
the same calls (ground truth: ``captures-7.4.0/7.4.0-hosts.jsonl`` for the host and
``captures-7.4.0/7.4.0-vm-lifecycle.jsonl`` for VM 1, allocated on hold, released, deployed by
hand, and VM 0's poweroff).  ``vm.info`` must parse in pyone's generated bindings without a
warning and agree with the VM embedded in the last event.
"""

from __future__ import annotations

import base64
import json
import re
import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import zmq
from lxml import etree

from mockhm import FrontEnd

from .conftest import SHARED, recv_frames

pyone = pytest.importorskip("pyone")

CAPTURES = SHARED / "opennebula" / "captures-7.4.0"


def _capture_keys(scenario: str) -> list[str]:
    path = CAPTURES / f"7.4.0-{scenario}.jsonl"
    if not path.exists():
        pytest.skip(f"capture not found at {path}")
    return [json.loads(line)["frames"][0] for line in path.read_text().splitlines()[1:]]


def _renumber(keys: list[str], old: int, new: int) -> list[str]:
    """VM ``old``'s keys as VM ``new``'s (``EVENT VM <id>/...`` and ``.../<id> ``)."""
    out = []
    for key in keys:
        key = re.sub(rf"^EVENT VM {old}/", f"EVENT VM {new}/", key)
        out.append(re.sub(rf"^(EVENT STATE VM/\w+/\w+)/{old} $", rf"\1/{new} ", key))
    return out


def _between(keys: list[str], first: str, last: str, start: int = 0) -> list[str]:
    i = keys.index(first, start)
    return keys[i : keys.index(last, i) + 1]


def expected_keys() -> list[str]:
    """The real oned's keys for: host allocate + monitor, VM allocate (hold), release, deploy,
    then poweroff; cut from the captures, VM 1 renumbered to 0."""
    hosts = _capture_keys("hosts")
    life = _capture_keys("vm-lifecycle")
    host = _between(hosts, "EVENT HOST 0/INIT/ ", "EVENT STATE HOST/MONITORED//0 ")
    deploy = _renumber(_between(life, "EVENT VM 1/HOLD/LCM_INIT ", "EVENT STATE VM/ACTIVE/RUNNING/1 "), 1, 0)
    running0 = life.index("EVENT STATE VM/ACTIVE/RUNNING/0 ")
    poweroff = _between(life, "EVENT API one.vm.action 1", "EVENT STATE VM/POWEROFF/LCM_INIT/0 ", running0)
    return host + deploy + poweroff


@pytest.fixture
def client(oned: FrontEnd) -> Iterator[Any]:
    """A pyone client; its ``timeout`` sets the socket default timeout, restored afterwards."""
    saved = socket.getdefaulttimeout()
    try:
        yield pyone.OneServer(oned.url, session=oned.session, timeout=10)
    finally:
        socket.setdefaulttimeout(saved)


@pytest.mark.oned(drivers="manual")
def test_pyone_host_vm_deploy_poweroff(
    oned: FrontEnd,
    hookmanager: Any,
    client: Any,
    subscriber: Callable[..., zmq.Socket[bytes]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    want = expected_keys()
    sub = subscriber(hookmanager.events_endpoint, "EVENT")
    hookmanager.wait_for_subscribers(prefix="EVENT")

    hid = client.host.allocate("localhost", "dummy", "dummy", -1)
    oned.settle()  # the first monitor: MONITORED
    vid = client.vm.allocate(
        'NAME="vm-held"\nCPU="0.1"\nVCPU="1"\nMEMORY="64"\nCONTEXT=[NETWORK="NO"]\n', True
    )
    assert (hid, vid) == (0, 0)  # a fresh oned's first ids
    assert client.vm.action("release", vid) == vid
    assert client.vm.deploy(vid, hid, False) == vid
    oned.settle()  # PROLOG, BOOT, RUNNING
    assert client.vm.action("poweroff", vid) == vid
    oned.settle()  # SHUTDOWN_POWEROFF, POWEROFF

    frames = [recv_frames(sub) for _ in want]
    assert [f[0].decode() for f in frames] == want
    with pytest.raises(zmq.Again):
        sub.recv_multipart(zmq.NOBLOCK)

    vm = client.vm.info(vid)
    assert capsys.readouterr().err == ""  # generateDS bindings print warnings to stderr
    vm_id, vm_name = vm.ID, vm.NAME
    assert (vm_id, vm_name) == (vid, "vm-held")
    assert (vm.STATE, vm.LCM_STATE) == (8, 0)  # POWEROFF, LCM_INIT
    assert vm.HISTORY_RECORDS.HISTORY[-1].HOSTNAME == "localhost"

    last = etree.fromstring(base64.b64decode(frames[-1][1]))
    embedded = last.find("VM")
    assert embedded is not None
    info = etree.fromstring(client._do_request("one.vm.info", (oned.session, vid))[1].encode())
    for field in ("ID", "UID", "GID", "NAME", "STATE", "LCM_STATE", "STIME", "ETIME", "DEPLOY_ID",
                  "TEMPLATE", "USER_TEMPLATE", "HISTORY_RECORDS"):  # fmt: skip
        assert etree.tostring(info.find(field)) == etree.tostring(embedded.find(field)), field
    # The event is built before set_prev_state(): it still holds the state left (ACTIVE/SHUTDOWN_POWEROFF,
    # reference §3.3); what info reads afterwards has PREV_* caught up with the state.
    assert (embedded.findtext("PREV_STATE"), embedded.findtext("PREV_LCM_STATE")) == ("3", "18")
    assert (info.findtext("PREV_STATE"), info.findtext("PREV_LCM_STATE")) == ("8", "0")
