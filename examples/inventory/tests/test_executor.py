"""The HEM-style executor runs hooks and reports each execution on the 2102 channel."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from inventory.executor import Executor, Hook

from mockhm import retry_message


def _start(executor: Executor) -> threading.Thread:
    thread = threading.Thread(target=executor.run)
    thread.start()
    return thread


@pytest.fixture
def executor(hookmanager) -> Iterator[Executor]:
    hooks = [
        Hook(3, "EVENT API one.vm.allocate 1", lambda key: (0, "allocated")),
        Hook(4, "EVENT STATE VM/ACTIVE/RUNNING/", lambda key: (1, "cannot reach monitoring")),
    ]
    ex = Executor(hookmanager.events_endpoint, hookmanager.reports_endpoint, hooks, ack_timeout=1.0)
    thread = _start(ex)
    try:
        hookmanager.wait_for_subscribers(2)
        yield ex
    finally:
        ex.stop.set()
        thread.join(5)


def test_reports_success_and_failure(hookmanager, caphookreports, executor: Executor) -> None:
    hookmanager.expect_report(hook_id=3, rc=0, within=2.0)
    hookmanager.expect_report(hook_id=4, rc=1, within=2.0)
    hookmanager.publish_api("one.vm.allocate", ["", False], result=12)
    hookmanager.publish_state("VM", 12, "ACTIVE", "RUNNING")
    hookmanager.verify()  # also done at teardown
    assert sorted(caphookreports.results) == [(3, 0), (4, 1)]
    report = hookmanager.assert_reported(3, rc=0)
    assert (report.stdout, report.arguments) == ("allocated", "EVENT API one.vm.allocate 1")
    assert executor.lost == 0


def test_hooks_that_do_not_match_are_not_run(hookmanager, caphookreports, executor: Executor) -> None:
    hookmanager.publish_api("one.vm.allocate", ["", False], success=False, error="quota")
    hookmanager.publish_state("VM", 12, "POWEROFF")
    hookmanager.publish_api("one.vm.allocate", ["", False], result=13)
    caphookreports.wait(1, timeout=2)
    assert caphookreports.results == [(3, 0)]


def test_no_ack_is_a_lost_report_not_a_hang(make_hookmanager) -> None:
    """A Hook Manager that never answers: the executor gives up after its ACK timeout."""
    silent = make_hookmanager(ack=None)
    ex = Executor(
        silent.events_endpoint,
        silent.reports_endpoint,
        [Hook(7, "RETRY", lambda k: (0, ""))],
        ack_timeout=0.2,
    )
    thread = _start(ex)
    try:
        silent.wait_for_subscribers(prefix="RETRY")
        silent.publish(retry_message(7, "x"))
        silent.wait_for_report(7, timeout=2)
        assert ex.report_lost.wait(2)
        assert ex.lost == 1
    finally:
        ex.stop.set()
        thread.join(5)
