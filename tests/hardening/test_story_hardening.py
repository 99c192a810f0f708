"""Issue 10 items 1 and 12: addresses past .255, retries only of recorded executions, ``serve
--count`` waiting for the reports due, and the default story for 100,000 messages."""

from __future__ import annotations

import base64
import ipaddress
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import zmq

from mockhm import Cloud, encode_report
from mockhm.oned.cloud import CloudError
from mockhm.oned.story import last_execution, mixed_day
from mockhm.wire.errors import MockHMError
from mockhm.wire.reports import HookReport, parse_report

#: What HEM reports for a STATE hook: ARGUMENTS is $TEMPLATE, base64 of the VM document (§7.1).
VM_TEMPLATE = base64.b64encode(b"<VM><ID>0</ID><NAME>web-0</NAME></VM>").decode()


def _recorded() -> HookReport:
    return parse_report(encode_report(0, 5, arguments=VM_TEMPLATE, command="dns.sh", remote_host="node-a"))


def test_leases_never_pass_the_range_and_come_back_when_a_vm_is_done() -> None:
    """Item 1: VM 246 on a 240-address range raised AddressValueError (Octet 256)."""
    cloud = Cloud(seed=0)
    cloud.net_allocate()
    net = cloud.nets[0]
    ar = net.address_ranges[0]
    size, first = int(ar["SIZE"]), ipaddress.ip_address(ar["IP"])
    ips = []
    for _ in range(size):
        cloud.vm_allocate(net_id=0)
        ips.append(cloud.vms[max(cloud.vms)].template["NIC"]["IP"])  # type: ignore[index]
    assert ips == [str(first + i) for i in range(size)]
    with pytest.raises(CloudError, match=rf"network 0 \(.*\) has no free address: all {size} .* leased"):
        cloud.vm_allocate(net_id=0)
    assert issubclass(CloudError, MockHMError)
    cloud.vm_action(3, "terminate")
    cloud.vm_allocate(net_id=0)
    assert cloud.vms[max(cloud.vms)].template["NIC"]["IP"] == str(first + 3)  # type: ignore[index]
    assert net.used_leases == size


def test_story_retries_only_a_recorded_execution_with_its_own_arguments() -> None:
    """Item 12: no made-up ``hook_retry(2, <vm name>)``; RETRY layering per §3.4 (captured in
    7.4.0-hooks-retry.jsonl: ARGUMENTS = base64 of the stored ARGUMENTS text)."""
    keys = [k for e in mixed_day(Cloud(seed=0), rounds=2) for k in e.keys]
    assert "RETRY" not in keys and "EVENT API one.hook.retry 1 " not in " ".join(keys)
    report = _recorded()
    events = list(mixed_day(Cloud(seed=0), rounds=2, executions=lambda: report))
    retries = [e for e in events if e.keys == ("RETRY",)]
    assert len(retries) == 2
    body = retries[0].body.decode()
    inner = re.search(r"<ARGUMENTS>([^<]*)</ARGUMENTS>", body)
    assert inner is not None and base64.b64decode(inner[1]).decode() == VM_TEMPLATE
    assert "<HOOK_ID>5</HOOK_ID>" in body and "<REMOTE_HOST>node-a</REMOTE_HOST>" in body


def test_last_execution_skips_reports_oned_would_not_store() -> None:
    good = _recorded()
    broken = parse_report(b"0 7 !!notbase64")
    assert last_execution([]) is None
    assert last_execution([good, broken]) is good


def test_default_story_streams_100000_messages() -> None:
    """Item 1 (``serve --rate 0`` died after 6,663 messages): 100,000 messages of the default
    story, rendered as sent, with a recorded execution to retry, in constant id space per VM."""
    report = _recorded()
    sent = retries = 0
    for event in mixed_day(Cloud("7.4", seed=0), executions=lambda: report):
        for message in event.messages():
            assert len(message.frames) == 2
            sent += 1
        retries += event.keys == ("RETRY",)
        if sent >= 100_000:
            break
    assert sent >= 100_000 and retries > 100


def _lines(proc: subprocess.Popen[str]) -> Iterator[str]:
    assert proc.stdout is not None
    yield from proc.stdout


def test_serve_count_waits_for_the_reports_due(
    zmq_context: zmq.Context[zmq.Socket[bytes]], tmp_path: Path
) -> None:
    """Item 12: ``serve --count N`` exited after its last send ("31 hook runs, 25 reports")."""
    with subprocess.Popen(
        [sys.executable, "-m", "mockhm", "serve", "--rate", "0", "--count", "200", "--wait", "1", "--quiet",
         "--events", f"ipc://{tmp_path}/events.sock", "-l", "*", "--drain", "30"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    ) as proc:  # fmt: skip
        output = _run_executor(proc, zmq_context)
    summary = re.search(r"(\d+) report\(s\) received of (\d+) due", output)
    assert summary is not None, output
    assert summary[1] == summary[2], output
    assert int(summary[1]) > 5


def test_serve_scenario_waits_for_the_reports_due(
    zmq_context: zmq.Context[zmq.Socket[bytes]], tmp_path: Path
) -> None:
    """Item 12 for a replayed scenario: it too exited right after its last send."""
    with subprocess.Popen(
        [sys.executable, "-m", "mockhm", "serve", "vm-lifecycle", "--speed", "0", "--wait", "1",
         "--events", f"ipc://{tmp_path}/events.sock", "-l", "*", "--drain", "30"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    ) as proc:  # fmt: skip
        output = _run_executor(proc, zmq_context)
    received = re.search(r"; (\d+) report\(s\) received", output)
    due = re.search(r"waiting up to \S+ s for (\d+) report\(s\) due", output)
    assert received is not None and due is not None, output
    assert received[1] == due[1] and int(due[1]) > 0, output


def _run_executor(proc: subprocess.Popen[str], zmq_context: zmq.Context[zmq.Socket[bytes]]) -> str:
    """Subscribe like HEM; report only once serve says it waits: a serve that exits right after
    its last send (the defect) gets none of them."""
    errors: list[BaseException] = []
    thread: threading.Thread | None = None
    try:
        lines = _lines(proc)
        banner = next(lines)
        # Events on an ipc path of the test: on a recycled TCP port a socket of another test still
        # reconnecting could be the subscription `--wait 1` waits for.
        found = re.search(r" on (\S+), reports on (\S+)", banner)
        assert found is not None, banner
        sub = zmq_context.socket(zmq.SUB)
        sub.setsockopt(zmq.LINGER, 0)
        sub.setsockopt(zmq.RCVTIMEO, 30_000)  # bounded; generous for a loaded CI machine
        sub.setsockopt(zmq.SUBSCRIBE, b"EVENT STATE VM/ACTIVE/RUNNING/")
        sub.connect(found[1].rstrip(","))
        req = zmq_context.socket(zmq.REQ)
        req.setsockopt(zmq.LINGER, 0)
        req.setsockopt(zmq.RCVTIMEO, 30_000)
        req.connect(found[2].rstrip(","))

        def executor(due: int) -> None:  # HEM-style: one report per message, answered serially
            try:
                for _ in range(due):
                    key, _content = sub.recv_multipart()
                    req.send(encode_report(0, 1, arguments=VM_TEMPLATE, command=key.decode()))
                    assert req.recv() == b"ACK"
            except BaseException as err:  # reported below
                errors.append(err)

        output = [banner]
        for line in lines:
            output.append(line)
            waiting = re.search(r"waiting up to \S+ s for (\d+) report\(s\) due", line)
            if waiting and thread is None:
                thread = threading.Thread(target=executor, args=(int(waiting[1]),), daemon=True)
                thread.start()
        assert proc.wait(timeout=60) == 0, output
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    assert thread is not None, "".join(output)
    thread.join(60)
    assert not thread.is_alive(), "the executor did not finish"
    assert not errors, errors
    return "".join(output)
