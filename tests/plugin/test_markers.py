"""The hookmanager_scenario marker and marker registration for --strict-markers."""

from __future__ import annotations

import pytest

pytest.importorskip("mockhm.streams.replay", reason="scenarios and replay (issue 6) not available")

SCENARIO = """\
format_version: 1
description: one VM for the plugin tests
profile: "6.10"
seed: 1
steps:
  - at: 0
    vm: {action: allocate, name: %s}
"""


def test_markers_are_registered(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--markers")
    result.stdout.fnmatch_lines(
        [
            "@pytest.mark.hookmanager(*verify=True*",
            "@pytest.mark.hookmanager_scenario(name_or_path, *speed=None)*",
        ]
    )


def test_scenario_by_builtin_name_dir_and_file(pytester: pytest.Pytester, inner_ini: str) -> None:
    """Names are looked up in --hm-scenarios-dir first, then next to the test, then built in."""
    pytester.makeini(inner_ini + "hm_scenarios_dir = my-scenarios\n")
    (pytester.path / "my-scenarios").mkdir()
    (pytester.path / "my-scenarios" / "vm-lifecycle.yaml").write_text(SCENARIO % "from-dir")
    (pytester.path / "local.yaml").write_text(SCENARIO % "next-to-test")
    pytester.makepyfile(
        """
        import base64
        import pytest

        @pytest.mark.hookmanager_scenario("hook-retry", speed=4.0)
        def test_builtin(hookmanager):
            assert hookmanager.scenario.name == "hook-retry" and hookmanager.speed == 4.0
            assert any(m.key == "RETRY" for m in hookmanager.scenario.messages)

        @pytest.mark.hookmanager_scenario("vm-lifecycle")
        def test_dir_shadows_builtin(hookmanager):
            assert hookmanager.scenario.profile == "6.10"  # the built-in one is 7.4
            assert b"from-dir" in b"".join(base64.b64decode(m.frames[1]) for m in hookmanager.scenario.messages)

        @pytest.mark.hookmanager_scenario("local.yaml")
        def test_file_next_to_test(hookmanager):
            assert b"next-to-test" in b"".join(base64.b64decode(m.frames[1]) for m in hookmanager.scenario.messages)

        def test_no_marker(hookmanager):
            assert hookmanager.scenario is None
        """
    )
    pytester.runpytest("-p", "no:randomly", "--strict-markers").assert_outcomes(passed=4)


def test_unknown_scenario_fails_at_setup_listing_builtins(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.hookmanager_scenario("no-such-thing")
        def test_it(hookmanager):
            pass
        """
    )
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*no scenario file 'no-such-thing'*built-in scenarios are*hook-retry*"])


def test_play_replays_the_marker_scenario(pytester: pytest.Pytester) -> None:
    (pytester.path / "one.yaml").write_text(SCENARIO % "played")
    pytester.makepyfile(
        """
        import pytest
        import zmq

        @pytest.mark.hookmanager_scenario("one.yaml", speed=100.0)
        def test_it(hookmanager):
            sub = zmq.Context.instance().socket(zmq.SUB)
            sub.setsockopt(zmq.LINGER, 0)
            sub.setsockopt(zmq.RCVTIMEO, 2000)
            sub.setsockopt(zmq.SUBSCRIBE, b"")
            sub.connect(hookmanager.events_endpoint)
            try:
                hookmanager.wait_for_subscribers()
                hookmanager.play()
                wanted = [list(m.frames) for m in hookmanager.scenario.messages]
                assert [sub.recv_multipart() for _ in wanted] == wanted
            finally:
                sub.close(0)
        """
    )
    pytester.runpytest("-p", "no:randomly").assert_outcomes(passed=1)


def test_play_finds_a_name_where_the_marker_does(pytester: pytest.Pytester, inner_ini: str) -> None:
    """``hookmanager.play("day.yaml")`` looked only in the current directory, while the marker
    finds the same file beside the test (pytest is often run from the project's root)."""
    pytester.makeini(inner_ini + "hm_scenarios_dir = my-scenarios\n")
    (pytester.path / "my-scenarios").mkdir()
    (pytester.path / "my-scenarios" / "from-dir.yaml").write_text(SCENARIO % "from-dir")
    tests = pytester.path / "tests"
    tests.mkdir()
    (tests / "day.yaml").write_text(SCENARIO % "beside-the-test")
    (tests / "test_play.py").write_text(
        "import math\n\n"
        "def test_it(hookmanager):\n"
        "    assert hookmanager.play('day.yaml', speed=math.inf).sent > 0\n"
        "    assert hookmanager.play('from-dir', speed=math.inf).sent > 0\n"
        "    assert hookmanager.play('hook-retry', speed=math.inf).sent > 1\n"
        "    assert {m.frames[0] for m in hookmanager.sent} >= {b'RETRY'}\n"
    )
    pytester.runpytest("-p", "no:randomly", "tests").assert_outcomes(passed=1)
