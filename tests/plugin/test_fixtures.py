"""The fixtures as a downstream test suite uses them (inner sessions via pytester)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestAssertRewriteWarning")

SUBSCRIBER = """
import os
import zmq

def subscriber(endpoint, *prefixes):
    sock = zmq.Context.instance().socket(zmq.SUB)
    sock.setsockopt(zmq.LINGER, 0)
    sock.setsockopt(zmq.RCVTIMEO, 2000)
    for p in prefixes or (b"",):
        sock.setsockopt(zmq.SUBSCRIBE, p)
    sock.connect(endpoint)
    return sock
"""


def test_hookmanager_delivers_to_a_subscriber_on_an_ephemeral_loopback_port(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeconftest(SUBSCRIBER)
    pytester.makepyfile(
        """
        import os
        from conftest import subscriber

        def test_it(hookmanager):
            assert hookmanager.events_endpoint.startswith("tcp://127.0.0.1:")
            assert not hookmanager.events_endpoint.endswith(":2101")
            assert os.environ["MOCKHM_EVENTS_ENDPOINT"] == hookmanager.events_endpoint
            assert os.environ["MOCKHM_REPORTS_ENDPOINT"] == hookmanager.reports_endpoint
            sub = subscriber(hookmanager.events_endpoint, b"EVENT STATE VM/")
            try:
                assert hookmanager.wait_for_subscribers(prefix="EVENT STATE VM/ACTIVE") == ["EVENT STATE VM/"]
                event = hookmanager.publish_state("VM", 42, "ACTIVE", "RUNNING")
                assert sub.recv_multipart() == [b"EVENT STATE VM/ACTIVE/RUNNING/42 ", event.content]
            finally:
                sub.close(0)
            hookmanager.assert_published("EVENT STATE VM/ACTIVE/RUNNING/42 ")
            hookmanager.assert_not_published("EVENT API")
        """
    )
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(passed=1)


EXECUTOR = '''
import zmq
from mockhm import encode_report

def report(endpoint, rc, hook_id, **kw):
    """A HEM-style report: REQ, wait for the ACK (bounded)."""
    sock = zmq.Context.instance().socket(zmq.REQ)
    sock.setsockopt(zmq.LINGER, 0)
    sock.setsockopt(zmq.RCVTIMEO, 2000)
    sock.connect(endpoint)
    try:
        sock.send(encode_report(rc, hook_id, **kw))
        return sock.recv()
    finally:
        sock.close(0)
'''


def test_caphookreports_captures_what_executors_report_on_2102(pytester: pytest.Pytester) -> None:
    """§3.5: `<rc> <hook_id> <b64>` is answered `ACK` and decoded into a HookReport."""
    pytester.makeconftest(EXECUTOR)
    pytester.makepyfile(
        """
        from conftest import report

        def test_it(hookmanager, caphookreports):
            assert report(hookmanager.reports_endpoint, 0, 3, stdout="done") == b"ACK"
            # The ACK goes out before the report is recorded (§3.5), so wait, never peek.
            caphookreports.wait(1, timeout=2)
            assert caphookreports.results == [(3, 0)]
            assert caphookreports.reports[0].stdout == "done"
            caphookreports.clear()
            assert len(caphookreports) == 0
            assert report(hookmanager.reports_endpoint, 1, 4) == b"ACK"
            assert [r.hook_id for r in caphookreports.wait(1, timeout=2)] == [4]
            assert caphookreports.raw[0].startswith(b"1 4 ")
            assert hookmanager.assert_reported(3, rc=0).stdout == "done"
        """
    )
    pytester.runpytest("-p", "no:randomly").assert_outcomes(passed=1)


def test_make_hookmanager_builds_configured_instances_and_closes_them(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import os
        made = []

        def test_factory(make_hookmanager, hookmanager):
            old = make_hookmanager(profile="6.10", no_reports=True, lossless=True, hwm=5, validate=False)
            made.extend([old, hookmanager])
            assert old.profile.name == "6.10" and old.reports_endpoint is None
            assert old.hm.lossless and not old.hm.validate
            assert hookmanager.profile.name == "7.4" and hookmanager.hm.validate
            assert old.events_endpoint != hookmanager.events_endpoint
            assert old.publish_api("one.vm.allocate", ["", False], result=12).keys == (
                "EVENT API one.vm.allocate 1",
            )

        def test_closed_after_the_test_and_env_restored():
            assert [m.hm.closed for m in made] == [True, True]
            assert "MOCKHM_EVENTS_ENDPOINT" not in os.environ

        def test_unknown_factory_argument(make_hookmanager):
            make_hookmanager(colour="red")
        """
    )
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(passed=2, failed=1)
    assert "unknown argument(s) ['colour']; allowed: ['ack', 'bind', 'events'," in result.stdout.str()


def test_hookmanager_endpoints_can_be_overridden(pytester: pytest.Pytester) -> None:
    """A conftest pins the endpoints (here: ipc files); the env vars carry the bound ones."""
    pytester.makeconftest(
        """
        import pytest

        @pytest.fixture
        def hookmanager_endpoints(tmp_path):
            return f"ipc://{tmp_path}/events", f"ipc://{tmp_path}/reports"
        """
    )
    pytester.makepyfile(
        """
        import os

        def test_it(hookmanager, tmp_path):
            assert hookmanager.events_endpoint == f"ipc://{tmp_path}/events"
            assert os.environ["MOCKHM_REPORTS_ENDPOINT"] == f"ipc://{tmp_path}/reports"
        """
    )
    pytester.runpytest("-p", "no:randomly").assert_outcomes(passed=1)


def test_cloud_is_seeded_and_repeatable(pytester: pytest.Pytester) -> None:
    """`hookmanager.cloud` is a Cloud of the test's profile and seed: same seed, same bytes."""
    pytester.makepyfile(
        """
        from mockhm import Cloud

        def test_it(hookmanager):
            events = hookmanager.cloud.vm_allocate()
            assert hookmanager.publish(events) >= 1
            assert [e.content for e in events] == [e.content for e in Cloud("6.6", seed=5).vm_allocate()]
        """
    )
    pytester.runpytest("-p", "no:randomly", "--hm-seed=5", "--hm-profile=6.6").assert_outcomes(passed=1)


def test_marker_knobs_reach_the_hook_manager(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.hookmanager(lossless=True, hwm=3, journal=False, validate=False, seed=2, bind="127.0.0.1")
        def test_it(hookmanager):
            assert hookmanager.hm.lossless and not hookmanager.hm.validate and hookmanager.seed == 2
            assert hookmanager.publish_state("VM", 1, "ACTIVE", "RUNNING").keys
            assert hookmanager.journal == [] and hookmanager.statistics().sent == 2
        """
    )
    pytester.runpytest("-p", "no:randomly", "--strict-markers").assert_outcomes(passed=1)
