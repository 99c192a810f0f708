"""The HEM-style executor runs hooks and reports each execution on the 2102 channel."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from inventory.executor import Executor, Hook
from pytest_mockhm import CapHookReports, HookManagerFixture, MakeHookManager

import mockhm

ALLOCATE = "EVENT API one.vm.allocate 1"
RUNNING = "EVENT STATE VM/ACTIVE/RUNNING/"


def _start(executor: Executor) -> threading.Thread:
    thread = threading.Thread(target=executor.run)
    thread.start()
    return thread


@pytest.fixture
def executor(hookmanager: HookManagerFixture) -> Iterator[Executor]:
    """An executor with two hooks, returned once exactly its two filters are subscribed."""
    hooks = [
        Hook(3, ALLOCATE, lambda key: (0, "allocated")),
        Hook(4, RUNNING, lambda key: (1, "cannot reach monitoring")),
    ]
    assert hookmanager.reports_endpoint is not None
    ex = Executor(hookmanager.events_endpoint, hookmanager.reports_endpoint, hooks, ack_timeout=1.0)
    mark = hookmanager.mark()
    thread = _start(ex)
    try:
        hookmanager.wait_for_filters({ALLOCATE, RUNNING}, since=mark)
        yield ex
    finally:
        ex.stop.set()
        thread.join(5)


def test_reports_success_and_failure(
    hookmanager: HookManagerFixture, caphookreports: CapHookReports, executor: Executor
) -> None:
    hookmanager.expect_report(hook_id=3, rc=0, within=2.0)
    hookmanager.expect_report(hook_id=4, rc=1, within=2.0)
    hookmanager.publish_api("one.vm.allocate", ["", False], result=12)
    hookmanager.publish_state("VM", 12, "ACTIVE", "RUNNING")
    hookmanager.verify()  # also done at teardown
    assert sorted(caphookreports.results) == [(3, 0), (4, 1)]
    report: mockhm.HookReport = hookmanager.wait_for_report(3, rc=0)
    assert (report.stdout, report.arguments) == ("allocated", ALLOCATE)
    assert executor.lost == 0


def test_the_next_report_not_the_first_ever(hookmanager: HookManagerFixture, executor: Executor) -> None:
    hookmanager.publish_api("one.vm.allocate", ["", False], result=1)
    first = hookmanager.wait_for_report(3)
    mark = hookmanager.mark()
    hookmanager.publish_api("one.vm.allocate", ["", False], result=2)
    second = hookmanager.wait_for_report(3, since=mark)
    assert second is not first and hookmanager.reports == [first, second]


def test_hooks_that_do_not_match_are_not_run(
    hookmanager: HookManagerFixture, caphookreports: CapHookReports, executor: Executor
) -> None:
    hookmanager.publish_api("one.vm.allocate", ["", False], success=False, error="quota")
    hookmanager.publish_state("VM", 12, "POWEROFF")
    hookmanager.publish_api("one.vm.allocate", ["", False], result=13)
    caphookreports.wait(1, timeout=2)
    assert caphookreports.results == [(3, 0)]
    assert hookmanager.delivered(RUNNING).count == 0  # nothing was even sent to that hook


def test_it_reconnects_after_the_hook_manager_restarts(
    hookmanager: HookManagerFixture, executor: Executor
) -> None:
    mark = hookmanager.restart(downtime=0.2)
    hookmanager.wait_for_filters({ALLOCATE, RUNNING}, since=mark)
    hookmanager.publish_api("one.vm.allocate", ["", False], result=5)
    assert hookmanager.wait_for_report(3, since=mark).rc == 0
    assert executor.lost == 0


def test_no_ack_is_a_lost_report_not_a_hang(make_hookmanager: MakeHookManager) -> None:
    """A Hook Manager that never answers: the executor gives up after its ACK timeout."""
    silent = make_hookmanager(ack=None)
    assert silent.reports_endpoint is not None
    ex = Executor(silent.events_endpoint, silent.reports_endpoint, [Hook(7, "RETRY", lambda k: (0, ""))],
                  ack_timeout=0.2)  # fmt: skip
    thread = _start(ex)
    try:
        silent.wait_for_subscribers(prefix="RETRY", exact=True)
        silent.publish(mockhm.retry_message(7, "x"))
        silent.wait_for_report(7, timeout=2)
        assert ex.report_lost.wait(2)
        assert ex.lost == 1
    finally:
        ex.stop.set()
        thread.join(5)
