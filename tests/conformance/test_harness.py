"""The comparison is strict where it must be: a value or an order that differs is reported,
only the allowed values and reorderings within the window pass."""

from __future__ import annotations

import dataclasses

import pytest

from mockhm.wire.message import HookEvent
from tests.conformance.harness import REORDER_WINDOW, RealEvent, Scenario, compare, load, releases

DIRS = releases()
pytestmark = pytest.mark.skipif(not DIRS, reason="no captures beside the repository (../shared/opennebula)")


def _scenario(name: str) -> Scenario:
    return next(s for s in load(DIRS[0]) if s.name == name)


def _as_mock(events: list[RealEvent]) -> list[HookEvent]:
    return [HookEvent("RETRY" if e.keys == ("RETRY",) else "STATE", e.body, e.keys) for e in events]


def test_the_real_stream_matches_itself() -> None:
    scenario = _scenario("vm-lifecycle")
    assert compare(scenario, _as_mock(scenario.events)).problems == []


def test_a_changed_value_is_reported_and_an_allowed_one_is_not() -> None:
    scenario = _scenario("hosts")
    events = _as_mock(scenario.events)
    changed = dataclasses.replace(
        events[0], body=events[0].body.replace(b"<NAME>localhost</NAME>", b"<NAME>x</NAME>")
    )
    outcome = compare(scenario, [changed, *events[1:]])
    assert any("HOST/NAME" in p for p in outcome.problems)
    body = scenario.events[3].body
    probe_reading = dataclasses.replace(
        events[3], body=body.replace(b"<USED_DISK><![CDATA[", b"<USED_DISK><![CDATA[1")
    )
    assert compare(scenario, [*events[:3], probe_reading, *events[4:]]).problems == []


def test_only_reorderings_within_the_window_pass() -> None:
    scenario = _scenario("vm-lifecycle")
    events = _as_mock(scenario.events)
    real = scenario.events
    close = next(i for i in range(len(real) - 1) if real[i + 1].t - real[i].t <= REORDER_WINDOW)
    far = next(i for i in range(len(real) - 1) if real[i + 1].t - real[i].t > REORDER_WINDOW)
    swapped = list(events)
    swapped[close], swapped[close + 1] = swapped[close + 1], swapped[close]
    assert compare(scenario, swapped).problems == []
    swapped = list(events)
    swapped[far], swapped[far + 1] = swapped[far + 1], swapped[far]
    assert compare(scenario, swapped).problems
