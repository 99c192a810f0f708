"""Print what the conformance suite matched, scenario by scenario, at the end of the run."""

from __future__ import annotations

import pytest


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    ran = [
        report
        for reports in terminalreporter.stats.values()
        for report in reports
        if isinstance(report, pytest.TestReport) and "test_scenario_conforms" in report.nodeid
    ]
    if not ran:
        return
    from tests.conformance.test_conformance import _outcomes

    terminalreporter.section("conformance to the captured oned streams")
    directories = sorted({r.nodeid.split("[", 1)[1].split(":", 1)[0] for r in ran if "[" in r.nodeid})
    for directory in directories:
        for outcome in _outcomes(directory).values():
            terminalreporter.write_line(f"{directory} {outcome.summary()}")
