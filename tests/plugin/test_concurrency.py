"""xdist workers, asyncio/anyio suites and Hypothesis @given with the fixtures."""

from __future__ import annotations

import pytest

SUBSCRIBE_AND_RECEIVE = """
import os
import zmq

def roundtrip(hookmanager, vid):
    sub = zmq.Context.instance().socket(zmq.SUB)
    sub.setsockopt(zmq.LINGER, 0)
    sub.setsockopt(zmq.RCVTIMEO, 2000)
    sub.setsockopt(zmq.SUBSCRIBE, b"EVENT VM ")
    sub.connect(os.environ["MOCKHM_EVENTS_ENDPOINT"])
    try:
        hookmanager.wait_for_subscribers(prefix="EVENT VM ")
        assert hookmanager.subscriptions == ["EVENT VM "]  # nobody else's subscriber
        event = hookmanager.publish_state("VM", vid, "ACTIVE", "RUNNING")
        assert sub.recv_multipart() == [f"EVENT VM {vid}/ACTIVE/RUNNING ".encode(), event.content]
    finally:
        sub.close(0)
"""


def test_xdist_workers_get_their_own_hook_managers(pytester: pytest.Pytester) -> None:
    """Ephemeral binds per test: no port clash and no shared state between workers."""
    pytester.makeconftest(SUBSCRIBE_AND_RECEIVE)
    pytester.makepyfile(
        """
        import os
        import pytest
        from conftest import roundtrip

        @pytest.mark.parametrize("vid", range(8))
        def test_it(hookmanager, vid):
            assert os.environ.get("PYTEST_XDIST_WORKER", "").startswith("gw")
            roundtrip(hookmanager, vid)
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:randomly", "-n", "2")
    result.assert_outcomes(passed=8)


ASYNC_SUBSCRIBER = '''
import zmq
import zmq.asyncio
from mockhm import encode_report

async def subscribe_and_report(endpoint, reports, prefix, hook_id):
    """A tiny async HEM: subscribe, take one event, report rc 0 for ``hook_id``."""
    ctx = zmq.asyncio.Context.instance()
    sub = ctx.socket(zmq.SUB)
    sub.setsockopt(zmq.LINGER, 0)
    sub.setsockopt(zmq.SUBSCRIBE, prefix)
    sub.connect(endpoint)
    req = ctx.socket(zmq.REQ)
    req.setsockopt(zmq.LINGER, 0)
    req.connect(reports)
    try:
        if not await sub.poll(3000):
            raise TimeoutError("no event within 3 s")
        key, _ = await sub.recv_multipart()
        await req.send(encode_report(0, hook_id, arguments=key.decode()))
        if not await req.poll(3000):
            raise TimeoutError("no ACK within 3 s")
        return await req.recv()
    finally:
        sub.close(0)
        req.close(0)
'''


def test_asyncio_and_anyio_suites_await_waits_and_expectations(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(ASYNC_SUBSCRIBER)
    pytester.makepyfile(
        """
        import asyncio
        import pytest
        from mockhm import aio
        from conftest import subscribe_and_report

        async def scenario(hookmanager):
            task = asyncio.ensure_future(subscribe_and_report(
                hookmanager.events_endpoint, hookmanager.reports_endpoint, b"EVENT API one.vm", 3))
            # The loop keeps running the subscriber while we wait for its subscription.
            await hookmanager.wait_for_subscribers_async(prefix="EVENT API one.vm.deploy")
            hookmanager.expect_report(3, rc=0, within=3)
            hookmanager.publish_api("one.vm.deploy", [7, 0, False, -1, ""])
            assert await task == b"ACK"
            report = await hookmanager.wait_for_report_async(3, rc=0, timeout=3)
            assert report.arguments == "EVENT API one.vm.deploy 1"
            await hookmanager.verify_async()
            assert (await aio.wait_for_report(hookmanager.hm, 3, timeout=1)) is report

        @pytest.mark.asyncio
        async def test_pytest_asyncio(hookmanager):
            assert aio.current_library() == "asyncio"
            await scenario(hookmanager)

        @pytest.fixture
        def anyio_backend():
            return "asyncio"

        @pytest.mark.anyio
        async def test_anyio(hookmanager, anyio_backend):
            await scenario(hookmanager)

        @pytest.mark.asyncio
        async def test_timeout_is_raised_not_hung(hookmanager):
            from mockhm import SubscriberTimeoutError
            with pytest.raises(SubscriberTimeoutError, match="1 subscription"):
                await hookmanager.wait_for_subscribers_async(timeout=0.1)
        """
    )
    pytester.runpytest("-p", "no:randomly").assert_outcomes(passed=3)


def test_hypothesis_given_with_shared_hookmanager_and_per_example_reset(pytester: pytest.Pytester) -> None:
    """No function-scoped fixture health check; each example starts from an empty journal."""
    pytester.makepyfile(
        """
        from hypothesis import given, settings, strategies as st

        seen = []

        @settings(max_examples=15, database=None, deadline=None)
        @given(vid=st.integers(0, 10_000))
        def test_given(shared_hookmanager, vid):
            with shared_hookmanager.example() as hm:
                hm.publish_state("VM", vid, "ACTIVE", "RUNNING")
                assert hm.published_keys == [f"EVENT VM {vid}/ACTIVE/RUNNING ", f"EVENT STATE VM/ACTIVE/RUNNING/{vid} "]
                seen.append(hm.events_endpoint)

        def test_same_instance_all_session():
            assert len(set(seen)) == 1 and len(seen) >= 2

        @settings(max_examples=3, database=None, deadline=None)
        @given(hook=st.integers(0, 5))
        def test_example_verifies_its_expectations(shared_hookmanager, hook):
            with shared_hookmanager.example() as hm:
                hm.expect_report(hook, within=0.01)
        """
    )
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(
        ["*mock Hook Manager verification failed*", "*expected 1 report(s) for hook 0*"]
    )


def test_function_scoped_hookmanager_under_given_trips_the_health_check(pytester: pytest.Pytester) -> None:
    """Documents why shared_hookmanager exists."""
    pytester.makepyfile(
        """
        from hypothesis import given, strategies as st

        @given(st.integers())
        def test_given(hookmanager, n):
            pass
        """
    )
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*function-scoped fixture 'hookmanager'*"])
