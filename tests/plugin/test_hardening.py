"""Issue 10 item 14: ``speed=0`` means flat out everywhere, and a bad speed fails at collection."""

from __future__ import annotations

import math

import pytest

from mockhm.streams.replay import check_speed
from mockhm.wire.errors import InvalidArgumentError, MockHMError

SCENARIO = """\
format_version: 1
name: tiny
profile: "7.4"
seed: 1
steps:
  - at: 0
    host: {action: allocate}
  - at: 30
    host: {action: monitor}
"""


def test_speed_zero_is_flat_out_and_bad_speeds_are_our_errors() -> None:
    assert check_speed(0) == math.inf == check_speed(math.inf)
    assert check_speed(2) == 2.0
    for bad in (-1, math.nan, "fast", True, 1e-300):
        with pytest.raises(InvalidArgumentError, match=r"0 or math\.inf for as fast as possible"):
            check_speed(bad)
    assert issubclass(InvalidArgumentError, MockHMError) and issubclass(InvalidArgumentError, ValueError)


def test_marker_speed_zero_plays_flat_out(pytester: pytest.Pytester) -> None:
    """A 30 s gap played at speed=0 takes no time: the test would time out otherwise."""
    (pytester.path / "tiny.yaml").write_text(SCENARIO)
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.hookmanager_scenario("tiny.yaml", speed=0)
        def test_it(hookmanager):
            report = hookmanager.play()
            assert report.sent == len(hookmanager.scenario.messages) > 1
        """
    )
    pytester.runpytest("-p", "no:randomly", "-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_marker_bad_speed_is_a_usage_error_at_collection(pytester: pytest.Pytester) -> None:
    (pytester.path / "tiny.yaml").write_text(SCENARIO)
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.hookmanager_scenario("tiny.yaml", speed=-1)
        def test_it(hookmanager):
            raise AssertionError("never runs")
        """
    )
    result = pytester.runpytest("-p", "no:randomly", "--collect-only")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*test_it: @pytest.mark.hookmanager_scenario: speed=-1; expected*"])
