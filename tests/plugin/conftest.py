"""Plugin tests run inner pytest sessions with pytester."""

from __future__ import annotations

import pytest

# pytester is enabled for the whole suite in pyproject.toml (addopts "-p pytester"):
# pytest refuses pytest_plugins in a conftest below the rootdir.

#: Every inner session gets this ini (tests that need more keys extend it): pytest-asyncio warns
#: without a loop scope, and the outer filterwarnings=error would turn that into an error.
INNER_INI = "[pytest]\nasyncio_default_fixture_loop_scope = function\n"


@pytest.fixture
def inner_ini() -> str:
    """The base ini of inner sessions, for tests that add keys to it."""
    return INNER_INI


@pytest.fixture(autouse=True)
def _inner_ini(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    if "pytester" in request.fixturenames:
        pytester: pytest.Pytester = request.getfixturevalue("pytester")
        pytester.makeini(INNER_INI)
        # When the outer run uses xdist, pytest-benchmark (if installed) warns in every inner
        # session that xdist is active, and filterwarnings=error makes that an INTERNALERROR.
        # (pytester clears PYTEST_ADDOPTS when it is created, so this is set after it.)
        monkeypatch.setenv("PYTEST_ADDOPTS", "-p no:benchmark")
