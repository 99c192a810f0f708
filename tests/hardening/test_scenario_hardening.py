"""Issue 10 items 5, 6 and 17 in the scenario loader: alias bombs, deep nesting, unbounded
``repeat``/``count``/``rounds``, ``format_version: true``, ``at: .inf``."""

from __future__ import annotations

import pytest

from mockhm.streams.scenario import loads_scenario
from mockhm.wire.errors import ScenarioError

HEAD = 'format_version: 1\nprofile: "7.4"\nsteps:\n'


def test_alias_bomb_is_refused_before_it_expands() -> None:
    """Item 6: nine levels of nine aliases (9**9 leaves, ~600 bytes) hung the loader."""
    lines = ['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    for i in range(1, 10):
        refs = ", ".join([f"*a{i - 1}"] * 9)
        lines.append(f"a{i}: &a{i} [{refs}]")
    text = "\n".join(lines) + "\n" + HEAD + "  - api: {call: one.vm.info, params: *a9}\n"
    assert len(text) < 1000
    with pytest.raises(ScenarioError, match=r"expands to more than [\d,]+ values"):
        loads_scenario(text)


def test_deep_nesting_is_a_scenario_error() -> None:
    """Item 5: RecursionError (a traceback) for deeply nested YAML."""
    with pytest.raises(ScenarioError, match="nested too deeply"):
        loads_scenario(HEAD + "  - api: {call: one.vm.info, params: " + "[" * 5000 + "]" * 5000 + "}\n")


@pytest.mark.parametrize(
    ("step", "field", "says"),
    [
        ("  - repeat: 100000000\n    host: {action: allocate}\n", "repeat", "at most"),
        ("  - vm_lifecycle: {count: 100000000}\n", "count", "at most"),
        ("  - story: {name: mixed-day, rounds: 100000000}\n", "rounds", "at most"),
        ("  - at: .inf\n    host: {action: allocate}\n", "at", "finite"),
        ("  - host: {action: allocate}\n  - after: .nan\n    host: {action: monitor}\n", "after", "finite"),
        # an int too large for a float raised OverflowError (exit 70 in the CLI)
        ("  - at: 1" + "0" * 400 + "\n    host: {action: allocate}\n", "at", "finite"),
        # zero frames passed the loader and raised IndexError when serve sent them
        ("  - raw: {frames: []}\n", "frames", "at least one frame"),
        # an unknown code name said "no such object 'NOPE'"
        ("  - api: {call: one.vm.action, success: false, error_code: NOPE}\n", "error_code", "NO_EXISTS"),
    ],
)
def test_unbounded_and_non_finite_values_are_refused(step: str, field: str, says: str) -> None:
    """Items 6 and 17: these were accepted (and then ran for ever or scheduled at infinity)."""
    with pytest.raises(ScenarioError, match=rf"field '{field}'.*{says}") as err:
        loads_scenario(HEAD + step)
    assert err.value.field == field


def test_recursive_alias_is_refused() -> None:
    with pytest.raises(ScenarioError, match="expands to more than"):
        loads_scenario("a: &a [*a]\n" + HEAD + "  - host: {action: allocate}\n")


def test_format_version_true_is_not_1() -> None:
    """Item 17: ``True == 1`` in Python; the format wants the integer 1."""
    with pytest.raises(ScenarioError, match=r"expected format_version: 1, got True"):
        loads_scenario("format_version: true\nsteps:\n  - host: {action: allocate}\n")


def test_many_messages_stop_at_the_bound() -> None:
    """A scenario is for people: past MAX_MESSAGES it names the step (use ``mockhm load``)."""
    hosts = "  - host: {action: allocate}\n  - host: {action: monitor}\n"
    text = HEAD + hosts + "  - repeat: 10000\n    vm_lifecycle: {count: 60}\n"
    with pytest.raises(ScenarioError, match=r"step 3.*more than [\d,]+ messages"):
        loads_scenario(text)
