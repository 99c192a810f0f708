"""Life-cycles follow the transitions of §5, with documents that evolve consistently."""

from __future__ import annotations

import itertools
import subprocess
import sys

import pytest
from hypothesis import given, settings
from lxml import etree

from mockhm import strategies as mst
from mockhm.oned.lifecycle import (
    HOST_TRANSITIONS,
    VM_TRANSITIONS,
    Step,
    generate_events,
    generate_steps,
    lifecycle_steps,
    vm_edges,
)
from mockhm.schemas.validation import check_message, expected_keys
from mockhm.wire.message import HookEvent
from mockhm.wire.states import HOST_STATES, LCM_STATES, VM_STATES

FAST = settings(max_examples=40, deadline=None, database=None)
_NUM_VM = {v: k for k, v in VM_STATES.items()}
_NUM_LCM = {v: k for k, v in LCM_STATES.items()}
_NUM_HOST = {v: k for k, v in HOST_STATES.items()}


def _text(root: etree._Element, path: str) -> str:
    return str(root.findtext(path))


def check_stream(events: list[HookEvent], profile: str) -> None:
    """Every VM and host takes only allowed edges; embedded documents agree with the keys."""
    edges = vm_edges(profile)
    host_edges = {(a, b) for a, acts in HOST_TRANSITIONS.items() for b in acts.values()}
    last_vm: dict[str, tuple[str, str]] = {}
    last_host: dict[str, str] = {}
    seen_seq: dict[str, int] = {}
    for event in events:
        assert expected_keys(event.body, profile) == event.keys
        for message in event.messages():
            assert check_message(message.frames, profile=profile) == []
        if event.kind != "STATE":
            continue
        root = etree.fromstring(event.body)
        obj, rid = _text(root, "HOOK_OBJECT"), _text(root, "RESOURCE_ID")
        if obj == "VM":
            vm = root.find("VM")
            assert vm is not None
            now = (_text(root, "STATE"), _text(root, "LCM_STATE"))
            before = last_vm.get(rid)
            assert (before, now) in edges, f"VM {rid}: {before} -> {now} is not a §5 transition"
            # §3.3: PREV_* hold the state being left; numbers match the printed strings
            assert (_NUM_VM[int(_text(vm, "STATE"))], _NUM_LCM[int(_text(vm, "LCM_STATE"))]) == now
            prev = (_NUM_VM[int(_text(vm, "PREV_STATE"))], _NUM_LCM[int(_text(vm, "PREV_LCM_STATE"))])
            assert prev == (before or now)
            records = vm.findall("HISTORY_RECORDS/HISTORY")
            remote = root.find("REMOTE_HOST")
            assert remote is not None
            if records:
                assert remote.text == _text(records[-1], "HOSTNAME")
                assert [int(_text(h, "SEQ")) for h in records] == list(range(len(records)))
                assert len(records) >= seen_seq.get(rid, 0)
                seen_seq[rid] = len(records)
                for older, newer in itertools.pairwise(records):
                    # a migration opens the target's record before it closes the source's
                    # (captures-7.4.0/7.4.0-vm-lifecycle.jsonl), so only the starts are ordered
                    assert int(_text(older, "STIME")) <= int(_text(newer, "STIME")) or not int(
                        _text(newer, "STIME")
                    )
            else:
                assert remote.text is None and len(remote) == 0
            if now == ("DONE", "LCM_INIT") and records:
                assert int(_text(vm, "ETIME")) >= int(_text(vm, "STIME")) > 0
            last_vm[rid] = now
        elif obj == "HOST":
            host = root.find("HOST")
            assert host is not None
            now_host = _text(root, "STATE")
            if rid in last_host and now_host.startswith("MONITORING_"):
                # 5.10: each monitor cycle passes through MONITORING_<state> (include/Host.h@release-5.10.0)
                assert now_host == f"MONITORING_{last_host[rid]}"
            elif rid in last_host and last_host[rid].startswith("MONITORING_"):
                was = last_host[rid].removeprefix("MONITORING_")
                assert now_host == was or (was, now_host) in host_edges
                assert _NUM_HOST[int(_text(host, "PREV_STATE"))] == last_host[rid]
            elif rid in last_host:
                assert (last_host[rid], now_host) in host_edges
                assert _NUM_HOST[int(_text(host, "PREV_STATE"))] == last_host[rid]
            else:
                assert now_host == "INIT"  # allocation (§3.3)
            assert _text(root, "REMOTE_HOST") == _text(host, "NAME")
            last_host[rid] = now_host


def _vm_path(step: Step) -> tuple[tuple[str, str], ...]:
    vid = step.target.split()[1]
    out = []
    for event in step.events:
        key = event.keys[0]
        if key.startswith(f"EVENT VM {vid}/"):
            state, lcm = key.split("/")[1:3]
            out.append((state, lcm.rstrip()))
    return tuple(out)


@pytest.mark.parametrize("profile", ["7.4", "6.6", "5.10.0"])
def test_generated_streams_take_only_allowed_transitions(profile: str) -> None:
    check_stream(generate_events(600, seed=7, profile=profile), profile)


def test_each_action_walks_exactly_its_declared_path() -> None:
    """The transition graph is the contract: each action's VM events are its §5 path."""
    state: dict[str, tuple[str, str]] = {}
    seen: set[str] = set()
    for step in generate_steps(3000, seed=11):
        kind, ident = step.target.split()
        if kind != "VM" or step.action == "allocate":
            if step.action == "allocate" and kind == "VM":
                path = [e.keys[0] for e in step.events if e.kind == "STATE"]
                vid = path[0].split()[2].split("/")[0]
                state[vid] = ("PENDING", "LCM_INIT")
            elif kind == "HOST" and step.action in ("fail", "recover"):
                for event in step.events:
                    if event.keys[0].startswith("EVENT VM "):
                        vid, s, lcm = event.keys[0].split()[2].split("/")
                        state[vid] = (s, lcm)
            continue
        start = state[ident]
        declared = VM_TRANSITIONS[start][step.action]
        assert _vm_path(step) == declared, f"{step.action} from {start}"
        if declared:
            state[ident] = declared[-1]
        seen.add(step.action)
    assert {"deploy", "poweroff", "resume", "migrate-live", "migrate-cold", "stop", "undeploy",
            "suspend", "terminate", "disk-attach", "nic-attach", "backup"} <= seen  # fmt: skip


@FAST
@given(lifecycle_steps(vms=(1, 3), steps=(0, 25)))
def test_lifecycles_strategy_takes_only_allowed_transitions(steps: list[Step]) -> None:
    check_stream([e for s in steps for e in s.events], "7.4")


@FAST
@given(mst.lifecycles(vms=2, steps=(5, 15), profile="6.4"))
def test_public_lifecycles_strategy(events: list[HookEvent]) -> None:
    check_stream(events, "6.4")
    assert all(e.profile == "6.4" for e in events)


def test_many_vms_interleave() -> None:
    events = generate_events(400, seed=3, vms=5)
    order = [e.keys[0].split()[2].split("/")[0] for e in events if e.keys[0].startswith("EVENT VM")]
    switches = sum(a != b for a, b in itertools.pairwise(order))
    assert len(set(order)) >= 5 and switches > 20


def test_nics_get_leases_from_the_network() -> None:
    """A VM's NIC IP comes from the network's address range and its MAC derives from it."""
    from mockhm.traffic.rules import mac_for_ip

    events = generate_events(200, seed=5)
    net = next(e for e in events if e.keys[0].startswith("EVENT NET"))
    ar_ip = _text(etree.fromstring(net.body), "VNET/AR_POOL/AR/IP")
    vm_event = next(e for e in events if e.keys[0].startswith("EVENT VM"))
    nic = etree.fromstring(vm_event.body).find("VM/TEMPLATE/NIC")
    assert nic is not None
    ip = _text(nic, "IP")
    assert ip.rsplit(".", 1)[0] == ar_ip.rsplit(".", 1)[0]
    assert _text(nic, "MAC") == mac_for_ip(ip)
    ctx = etree.fromstring(vm_event.body).find("VM/TEMPLATE/CONTEXT")
    assert ctx is not None and _text(ctx, "ETH0_IP") == ip


def test_same_seed_same_bytes_and_different_seeds_differ() -> None:
    a = [e.content for e in generate_events(300, seed=42)]
    assert a == [e.content for e in generate_events(300, seed=42)]
    assert a != [e.content for e in generate_events(300, seed=43)]


def test_same_seed_same_bytes_across_processes() -> None:
    script = (
        "import sys; from mockhm.oned.lifecycle import generate_events; "
        "sys.stdout.buffer.write(b'\\n'.join(b''.join(m.frames[0] + b' | ' + m.frames[1] "
        "for m in e.messages()) for e in generate_events(200, seed=9, profile='6.10')))"
    )
    runs = [
        subprocess.run(
            [sys.executable, "-c", script], capture_output=True, timeout=120, check=True,
            env={"PYTHONHASHSEED": hs, "PATH": "/usr/bin:/bin"},
        ).stdout
        for hs in ("1", "999")
    ]  # fmt: skip
    assert runs[0] == runs[1]
    assert runs[0].count(b"\n") == 199


def test_bad_arguments() -> None:
    from hypothesis.errors import InvalidArgument

    with pytest.raises(InvalidArgument, match=r"vms=0"):
        mst.lifecycles(vms=0)
    with pytest.raises(InvalidArgument, match=r"steps=\(5, 2\)"):
        mst.lifecycles(steps=(5, 2))
    with pytest.raises(InvalidArgument, match=r"profile='4\.0'"):
        mst.lifecycles(profile="4.0")
    with pytest.raises(ValueError, match="n=-1"):
        generate_events(-1)


def test_done_without_history_has_an_end_time() -> None:
    """A PENDING VM terminated straight to DONE still gets ETIME (oned sets the exit time)."""
    from mockhm.oned.cloud import Cloud

    cloud = Cloud(seed=1)
    cloud.vm_allocate()
    done, api = cloud.vm_action(0, "terminate")  # DM::terminate frees a PENDING VM inside the call
    assert api.keys == ("EVENT API one.vm.action 1",)
    vm = etree.fromstring(done.body).find("VM")
    assert vm is not None
    assert int(_text(vm, "ETIME")) >= int(_text(vm, "STIME")) > 0
