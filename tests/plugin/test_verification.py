"""Teardown verification and the failure messages of the assert_* helpers."""

from __future__ import annotations

import pytest

EXECUTOR = """
import zmq
from mockhm import encode_report

def report(endpoint, rc, hook_id):
    sock = zmq.Context.instance().socket(zmq.REQ)
    sock.setsockopt(zmq.LINGER, 0)
    sock.setsockopt(zmq.RCVTIMEO, 2000)
    sock.connect(endpoint)
    try:
        sock.send(encode_report(rc, hook_id))
        return sock.recv()
    finally:
        sock.close(0)
"""


def test_unmet_expectation_fails_at_teardown_with_nearest_reports(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(EXECUTOR)
    pytester.makepyfile(
        """
        from conftest import report

        def test_it(hookmanager):
            hookmanager.expect_report(hook_id=3, rc=0, within=0.3)
            report(hookmanager.reports_endpoint, 7, 12)
            report(hookmanager.reports_endpoint, 1, 3)
        """
    )
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_it*",
            "*expected 1 report(s) for hook 3 with rc 0 within 0.3 s, got 0; reports seen on tcp://127.0.0.1:*:"
            " 'hook 3 rc 1', 'hook 12 rc 7'",
        ]
    )


def test_expectation_met_later_passes(pytester: pytest.Pytester) -> None:
    """The report arrives after the test body ended: teardown waits up to `within`."""
    pytester.makeconftest(EXECUTOR)
    pytester.makepyfile(
        """
        import threading
        from conftest import report

        def test_it(hookmanager):
            hookmanager.expect_report(3, rc=0, within=5.0, count=2)
            for _ in range(2):
                threading.Thread(target=report, args=(hookmanager.reports_endpoint, 0, 3)).start()
        """
    )
    pytester.runpytest("-p", "no:randomly").assert_outcomes(passed=1)


def test_verify_false_marker_relaxes_teardown(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.hookmanager(verify=False)
        def test_relaxed(hookmanager):
            hookmanager.expect_report(3, within=0.05)

        def test_strict(hookmanager):
            hookmanager.expect_report(3, within=0.05)
        """
    )
    result = pytester.runpytest("-p", "no:randomly", "--strict-markers")
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(["*ERROR at teardown of test_strict*"])


def test_failed_test_gets_no_second_error_at_teardown(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        def test_it(hookmanager):
            hookmanager.expect_report(3, within=30)
            assert False, "the test's own failure"
        """
    )
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(failed=1)
    assert "expected 1 report(s)" not in result.stdout.str()


def test_verify_can_be_called_in_the_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        def test_it(hookmanager):
            hookmanager.expect_report(9, within=0.05)
            with pytest.raises(AssertionError, match=r"hook 9 .* got 0; reports seen on .*: nothing"):
                hookmanager.verify()
            hookmanager.reset()
        """
    )
    pytester.runpytest("-p", "no:randomly").assert_outcomes(passed=1)


def test_assert_published_shows_nearest_keys(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        def test_it(hookmanager):
            hookmanager.publish_api("one.vm.allocate", ["", False], result=3)
            hookmanager.publish_state("HOST", 0, "MONITORED")
            hookmanager.assert_published("EVENT API one.vm.alocate")
        """
    )
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "E*AssertionError: expected a message with a key starting 'EVENT API one.vm.alocate', 0 sent; "
            "nearest keys sent: 'EVENT API one.vm.allocate 1', 'EVENT *' (3 message(s) in total)"
        ]
    )


def test_assert_published_count_and_not_published(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        def test_it(hookmanager):
            for vid in (1, 10):
                hookmanager.publish_state("VM", vid, "ACTIVE", "RUNNING")
            hookmanager.assert_published("EVENT STATE VM/ACTIVE/RUNNING/", count=2)
            hookmanager.assert_published("EVENT STATE VM/ACTIVE/RUNNING/1 ", count=1)
            with pytest.raises(AssertionError, match="expected 3 message.s. .* 2 sent"):
                hookmanager.assert_published("EVENT STATE VM/", count=3)
            with pytest.raises(
                AssertionError, match=r"expected no message .*'EVENT VM', 2 sent: 'EVENT VM 1/ACTIVE/RUNNING '"
            ):
                hookmanager.assert_not_published("EVENT VM")
        """
    )
    pytester.runpytest("-p", "no:randomly").assert_outcomes(passed=1)


def test_assert_subscribed_and_reported_show_what_was_seen(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(EXECUTOR)
    pytester.makepyfile(
        """
        import pytest
        import zmq
        from conftest import report

        def test_it(hookmanager):
            sub = zmq.Context.instance().socket(zmq.SUB)
            sub.setsockopt(zmq.LINGER, 0)
            for f in (b"EVENT STATE VM/ACTIVE/RUNNING", b"RETRY"):
                sub.setsockopt(zmq.SUBSCRIBE, f)
            sub.connect(hookmanager.events_endpoint)
            try:
                hookmanager.assert_subscribed("RETRY", exact=True, within=2)
                hookmanager.wait_for_subscribers(2)
                assert hookmanager.subscriptions == ["EVENT STATE VM/ACTIVE/RUNNING", "RETRY"]
                hookmanager.assert_subscribed("EVENT STATE VM/ACTIVE/RUNNING/42 ")
                with pytest.raises(AssertionError) as info:
                    hookmanager.assert_subscribed("EVENT STATE VM/ACTIVE/POWEROFF")
                assert str(info.value).endswith(
                    "nearest filters: 'EVENT STATE VM/ACTIVE/RUNNING', 'RETRY'"
                )
            finally:
                sub.close(0)
            report(hookmanager.reports_endpoint, 1, 3)
            hookmanager.wait_for_report(3)
            with pytest.raises(AssertionError, match=r"hook 3 with rc 0 .* nearest reports seen: 'hook 3 rc 1'"):
                hookmanager.assert_reported(3, rc=0)
        """
    )
    pytester.runpytest("-p", "no:randomly").assert_outcomes(passed=1)


def test_bad_marker_arguments_are_named(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.hookmanager(verfy=False)
        def test_it(hookmanager):
            pass
        """
    )
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(errors=1)
    assert "@pytest.mark.hookmanager: unknown argument(s) ['verfy']; allowed: ['ack'," in result.stdout.str()
