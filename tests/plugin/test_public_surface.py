"""The plugin's public surface, pinned: fixtures, markers, command-line options and ini keys.

Dropping or renaming any of these breaks downstream test suites; adding is fine.
"""

from __future__ import annotations

import pytest

FIXTURES = (
    "caphookreports",
    "hookmanager",
    "hookmanager_cassette",
    "hookmanager_config",
    "hookmanager_endpoints",
    "make_hookmanager",
    "shared_hookmanager",
)
MARKERS = (
    "@pytest.mark.hookmanager(",
    "@pytest.mark.hookmanager_scenario(",
    "@pytest.mark.hookmanager_cassette(",
)
OPTIONS = (
    "--hm-profile",
    "--hm-bind",
    "--hm-scenarios-dir",
    "--hm-validate",
    "--hm-no-validate",
    "--hm-seed",
    "--hm-record-mode",
    "--hm-record-from",
    "--hm-cassette-dir",
)
INI_KEYS = (
    "hm_profile",
    "hm_bind",
    "hm_scenarios_dir",
    "hm_validate",
    "hm_seed",
    "hm_record_mode",
    "hm_record_from",
    "hm_cassette_dir",
)


def test_fixtures(pytester: pytest.Pytester) -> None:
    out = pytester.runpytest("--fixtures").stdout.str()
    missing = [name for name in FIXTURES if f"\n{name}" not in out]
    assert not missing, f"fixtures gone: {missing}"


def test_markers(pytester: pytest.Pytester) -> None:
    out = pytester.runpytest("--markers").stdout.str()
    missing = [marker for marker in MARKERS if marker not in out]
    assert not missing, f"markers gone: {missing}"


def test_options_and_ini_keys(pytester: pytest.Pytester) -> None:
    out = pytester.runpytest("--help").stdout.str()
    missing = [o for o in OPTIONS if o not in out] + [k for k in INI_KEYS if f"\n  {k} " not in out]
    assert not missing, f"options or ini keys gone: {missing}"
