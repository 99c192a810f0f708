"""The plugin loads in every pytest run of a project that has mockhm installed: it must not
import pyzmq or lxml until a fixture is used."""

from __future__ import annotations

import json

import pytest

RECORDER = """
import json, sys

def _heavy():
    return sorted(m for m in ("zmq", "lxml", "mockhm") if m in sys.modules)

def pytest_collection_finish(session):
    session.config._heavy_at_collection = _heavy()

def pytest_sessionfinish(session):
    with open("modules.json", "w") as f:
        json.dump({"collection": session.config._heavy_at_collection, "end": _heavy()}, f)
"""


@pytest.mark.parametrize("explicit", [False, True], ids=["entry-point", "dash-p"])
@pytest.mark.parametrize(
    ("body", "at_end"),
    [
        ("def test_plain():\n    pass\n", []),
        ("def test_uses(hookmanager):\n    pass\n", ["lxml", "mockhm", "zmq"]),
    ],
    ids=["no-fixture", "fixture"],
)
def test_no_zmq_or_lxml_until_a_fixture_is_used(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, body: str, at_end: list[str], explicit: bool
) -> None:
    pytester.makeconftest(RECORDER)
    pytester.makepyfile(body)
    args = ["-p", "no:randomly"]
    if explicit:  # loaded by name only, as `pytest -p pytest_mockhm.plugin` without autoload
        monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
        args += ["-p", "pytest_mockhm.plugin"]
    # A real subprocess: the outer process has long imported zmq and lxml.
    result = pytester.runpytest_subprocess(*args)
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["mockhm *: profile 7.4*"])
    modules = json.loads((pytester.path / "modules.json").read_text())
    assert modules == {"collection": [], "end": at_end}
