"""Conformance to a real oned: every captured scenario replayed against ``Oned``.

For each ``captures-<release>`` directory beside the repository (``../shared/opennebula``)
and each scenario of its calls file, the test replays the calls and compares the events
with what the real ``one_hm`` published (see :mod:`tests.conformance.harness`).  A new
capture dropped into the directory is checked with no code change.  Skips when the
shared directory is absent.
"""

from __future__ import annotations

from functools import cache

import pytest

from tests.conformance.harness import Outcome, compare, load, releases, replay


def _cases() -> list[tuple[str, str]]:
    return [(d.name, s.name) for d in releases() for s in load(d)]


@cache
def _outcomes(directory: str) -> dict[str, Outcome]:
    path = next(d for d in releases() if d.name == directory)
    results: dict[str, Outcome] = {}
    for scenario, events, problems in replay(load(path)):
        outcome = compare(scenario, events)
        outcome.problems[:0] = problems
        results[scenario.name] = outcome
    return results


CASES = _cases()


@pytest.mark.skipif(not CASES, reason="no captures found beside the repository (../shared/opennebula)")
@pytest.mark.parametrize(
    ("directory", "scenario"), CASES or [("none", "none")], ids=[f"{d}:{s}" for d, s in CASES] or ["none"]
)
def test_scenario_conforms(directory: str, scenario: str) -> None:
    """Same keys in the same order, same elements, equal values but the allowed ones."""
    outcome = _outcomes(directory)[scenario]
    print(outcome.summary())
    assert not outcome.problems, outcome.summary() + "\n" + "\n".join(outcome.problems[:40])
