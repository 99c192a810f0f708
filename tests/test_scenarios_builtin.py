"""The built-in scenarios: installed, listed with a description, valid, and replayable (issue 6)."""

from __future__ import annotations

import math
import subprocess
import sys

import pytest
import zmq

from mockhm import HookManager, parse_key
from mockhm.schemas.validation import check_message
from mockhm.streams.replay import replay
from mockhm.streams.scenario import builtin_scenarios, find_scenario, load_scenario

NAMES = (
    "api-failures", "hook-retry", "host-failure-storm", "image-and-network", "mixed-day",
    "oneflow-service", "vm-lifecycle",
)  # fmt: skip


def test_all_named_scenarios_are_built_in() -> None:
    assert set(NAMES) <= set(builtin_scenarios())


@pytest.mark.parametrize("name", NAMES)
def test_every_message_validates(name: str) -> None:
    s = load_scenario(name)
    assert s.messages and s.description
    for m in s.messages:
        assert check_message(m.frames, profile=s.profile) == [], (name, m.key)


@pytest.mark.parametrize("name", NAMES)
def test_replays_at_high_speed_over_real_sockets(name: str) -> None:
    s = load_scenario(name)
    sub = zmq.Context.instance().socket(zmq.SUB)
    sub.setsockopt(zmq.LINGER, 0)
    try:
        with HookManager("tcp://127.0.0.1:*", None) as hm:
            sub.setsockopt(zmq.SUBSCRIBE, b"")
            sub.connect(hm.events_endpoint)
            hm.wait_for_subscribers(1)
            report = replay(name, hm, speed=math.inf, echo=None)
            got = []
            for _ in s.messages:
                assert sub.poll(5000)
                got.append(tuple(sub.recv_multipart()))
    finally:
        sub.close(0)
    assert report.sent == len(s.messages) and [m.frames for m in s.messages] == got


def test_host_failure_storm_has_error_then_unknown_then_recovery() -> None:
    keys = [parse_key(m.key) for m in load_scenario("host-failure-storm").messages]
    states = [(k.obj, k.state, k.lcm_state) for k in keys if k.kind == "STATE"]
    error = states.index(("HOST", "ERROR", None))
    unknown = [i for i, s in enumerate(states) if s == ("VM", "ACTIVE", "UNKNOWN")]
    monitored = [i for i, s in enumerate(states) if s == ("HOST", "MONITORED", None) and i > error]
    assert len(unknown) == 6 and min(unknown) > error
    assert monitored and monitored[0] > max(unknown)
    running_after = [i for i, s in enumerate(states) if s == ("VM", "ACTIVE", "RUNNING") and i > monitored[0]]
    assert len(running_after) == 6


def test_oneflow_service_publishes_service_keys() -> None:
    """§2.1: VMs with USER_TEMPLATE/SERVICE_ID also publish under EVENT SERVICE <id> ."""
    keys = [m.key for m in load_scenario("oneflow-service").messages]
    service = [k for k in keys if k.startswith("EVENT SERVICE ")]
    vm_state = [k for k in keys if k.startswith("EVENT STATE VM/")]
    assert service and set(service) == {"EVENT SERVICE 7 "} and len(service) == len(vm_state)


def test_mixed_day_matches_the_built_in_story() -> None:
    from mockhm import Cloud
    from mockhm.oned.story import mixed_day

    story = [m.frames for e in mixed_day(Cloud("7.4", seed=0), rounds=1) for m in e.messages()]
    assert [m.frames for m in load_scenario("mixed-day").messages] == story


def test_cli_lists_scenarios_with_descriptions() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "mockhm", "scenarios"], capture_output=True, text=True, timeout=60, check=True
    ).stdout
    lines = {line.split()[0]: line for line in out.splitlines() if line.strip()}
    for name in NAMES:
        assert name in lines and len(lines[name].split()) > 3


def test_cli_serve_invalid_scenario_exits_1_naming_the_step(tmp_path: object) -> None:
    from pathlib import Path

    bad = Path(str(tmp_path)) / "bad.yaml"
    bad.write_text("format_version: 1\nsteps:\n  - vm: {action: dploy}\n")
    proc = subprocess.run(
        [sys.executable, "-m", "mockhm", "serve", str(bad), "--events", "tcp://127.0.0.1:*",
         "--reports", "tcp://127.0.0.1:*"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 1
    assert f"{bad}:3: step 1 (vm): field 'action': unknown value 'dploy'" in proc.stderr


def test_find_scenario_lists_names_when_missing() -> None:
    with pytest.raises(FileNotFoundError, match=r"built-in scenarios are .*vm-lifecycle"):
        find_scenario("no-such-scenario")
