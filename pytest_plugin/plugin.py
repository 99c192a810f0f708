"""The mockhm pytest plugin (entry point ``pytest11: mockhm = pytest_mockhm.plugin``).

Fixtures:

* ``hookmanager`` - a started mock Hook Manager (:class:`HookManagerFixture`) on ephemeral
  loopback ports, a fresh one for every test (creating and closing one costs well under a
  millisecond, see ``benchmarks/bench_fixture.py``).  A fresh instance is what makes it safe:
  a session-wide one would still count the subscriptions of earlier tests' subscribers until
  their disconnect is noticed, so ``wait_for_subscribers`` could return before the new
  subscriber is connected.  Verified at teardown, then closed.
* ``make_hookmanager`` - a factory for extra or differently configured instances, all verified
  and closed at teardown.
* ``hookmanager_endpoints`` - ``(events, reports)`` to bind to; override it to pin ports.  The
  ``hookmanager`` fixture exports the bound endpoints as ``MOCKHM_EVENTS_ENDPOINT`` and
  ``MOCKHM_REPORTS_ENDPOINT`` for subscribers started as subprocesses.
* ``hookmanager_config`` - the session's resolved :class:`Settings` (markers apply on top per
  test); overridable.
* ``caphookreports`` - what executors reported on the 2102 channel during the test.
* ``hookmanager_cassette`` - this test's cassette (:class:`CassetteFixture`): replayed into
  ``hookmanager`` by ``hookmanager_cassette.play()`` once subscribers are ready, or recorded
  from the live Hook Manager of ``--hm-record-from``; used by every test marked
  ``@pytest.mark.hookmanager_cassette``.
* ``oned`` - a mock oned XML-RPC front-end (:class:`mockhm.FrontEnd`) on the state of
  ``hookmanager``, exporting ``ONE_XMLRPC`` and ``ONE_AUTH`` (a file holding ``user:password``);
  ``@pytest.mark.oned(drivers="manual", auth=..., speed=...)`` configures it.
* ``shared_hookmanager`` - one session-wide instance for Hypothesis ``@given`` tests, which
  must not request function-scoped fixtures: use ``with shared_hookmanager.example():``.

Settings (profile, bind address, scenario directory, validation, seed) follow ONE precedence
order, highest first::

    marker / factory argument  >  command line  >  environment variable  >  ini  >  default

    --hm-profile        MOCKHM_PROFILE        hm_profile        7.4
    --hm-bind           MOCKHM_BIND           hm_bind           127.0.0.1
    --hm-scenarios-dir  MOCKHM_SCENARIOS_DIR  hm_scenarios_dir  (built-in scenarios only)
    --hm-[no-]validate  MOCKHM_VALIDATE       hm_validate       on
    --hm-seed           MOCKHM_SEED           hm_seed           0
    --hm-record-mode    MOCKHM_RECORD_MODE    hm_record_mode    none (replay only)
    --hm-record-from    MOCKHM_RECORD_FROM    hm_record_from    (no live Hook Manager)
    --hm-cassette-dir   MOCKHM_CASSETTE_DIR   hm_cassette_dir   cassettes/ next to the test module

This module imports neither pyzmq nor lxml: they are imported when a fixture is first used.
"""

from __future__ import annotations

import os
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from ._cassette import CassetteFixture, cassette_path, marker_options
from ._factory import MakeHookManager
from ._fixture import EVENTS_ENV, REPORTS_ENV, CapHookReports, HookManagerFixture
from ._frontend import ONED_MARKER
from ._frontend import oned as oned  # the front-end fixture, registered with this plugin
from ._settings import MARKER_KWARGS, Settings, add_options, resolve

if TYPE_CHECKING:
    from mockhm import HookManager

_SETTINGS = pytest.StashKey[Settings]()
_CALL_FAILED = pytest.StashKey[bool]()

MARKERS = (
    "hookmanager(*, verify=True, profile=None, validate=None, seed=None, bind=None, lossless=False, "
    "hwm=None, ack=b'ACK', journal=True): configure this test's mock Hook Manager (mockhm); "
    "verify=False skips the teardown verification",
    "hookmanager_scenario(name_or_path, *, speed=None): load a mockhm scenario (a built-in name, a "
    "name in --hm-scenarios-dir, or a file) for hookmanager.play()",
    "hookmanager_cassette(name=None, *, mode=None, filters=None, count=None, duration=None, timeout=30): "
    "replay this test's mockhm cassette (hookmanager_cassette.play()) or record it from "
    "--hm-record-from; mode is a record mode (none, once, new_episodes, all, rewrite), filters the key "
    "prefixes recorded; while recording, play() returns once count messages (or duration seconds) "
    "were recorded, waiting at most timeout seconds for count",
    ONED_MARKER,
)


# -- hooks ---------------------------------------------------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    """Register ``--hm-*`` options and ``hm_*`` ini keys."""
    add_options(parser)


def pytest_configure(config: pytest.Config) -> None:
    """Register the markers (for ``--strict-markers``) and resolve the settings once."""
    for line in MARKERS:
        config.addinivalue_line("markers", line)
    config.stash[_SETTINGS] = resolve(config)


def pytest_report_header(config: pytest.Config) -> list[str]:
    """``mockhm 0.1.0: profile 7.4 (default), seed 0 (default), ...``, and the record mode
    and source when the mode is not ``none``."""
    s = config.stash[_SETTINGS]
    from importlib.metadata import PackageNotFoundError, version

    try:
        release = version("mockhm")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        release = "?"
    scenarios = str(s.scenarios_dir) if s.scenarios_dir else "built-in only"
    lines = [
        f"mockhm {release}: profile {s.profile} ({s.source('profile')}), seed {s.seed} "
        f"({s.source('seed')}), validate {'on' if s.validate else 'off'} ({s.source('validate')}), "
        f"endpoints {s.endpoint()} ({s.source('bind')}; fresh ports per test), "
        f"scenarios {scenarios} ({s.source('scenarios_dir')})"
    ]
    if s.record_mode != "none":
        source = s.record_from or "nowhere (set --hm-record-from)"
        lines.append(
            f"mockhm cassettes: record mode {s.record_mode} ({s.source('record_mode')}), "
            f"recording from {source} ({s.source('record_from')})"
        )
    return lines


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests marked ``hookmanager_cassette`` use the ``hookmanager_cassette`` fixture; a bad
    ``hookmanager_scenario(speed=...)`` is a usage error at collection, not when ``play()`` runs."""
    for item in items:
        scenario = item.get_closest_marker("hookmanager_scenario")
        if scenario is not None and scenario.kwargs.get("speed") is not None:
            from mockhm.streams.replay import check_speed
            from mockhm.wire.errors import InvalidArgumentError

            try:
                check_speed(scenario.kwargs["speed"])
            except InvalidArgumentError as err:
                raise pytest.UsageError(f"{item.nodeid}: @pytest.mark.hookmanager_scenario: {err}") from None
    for item in items:
        names = getattr(item, "fixturenames", None)
        if not isinstance(names, list) or "hookmanager_cassette" in names:
            continue
        if item.get_closest_marker("hookmanager_cassette") is not None:
            names.append("hookmanager_cassette")


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, Any]:
    """Remember whether the test body failed: teardown verification then stays quiet."""
    report = yield
    if report.when == "call":
        item.stash[_CALL_FAILED] = bool(report.failed)
    return report


# -- helpers -------------------------------------------------------------------------------


def _marker_kwargs(node: pytest.Item | pytest.Collector) -> dict[str, Any]:
    marker = node.get_closest_marker("hookmanager")
    if marker is None:
        return {}
    if marker.args:
        pytest.fail(
            f"@pytest.mark.hookmanager takes keyword arguments only, got {marker.args!r}", pytrace=False
        )
    unknown = sorted(set(marker.kwargs) - MARKER_KWARGS)
    if unknown:
        pytest.fail(
            f"@pytest.mark.hookmanager: unknown argument(s) {unknown}; allowed: {sorted(MARKER_KWARGS)}",
            pytrace=False,
        )
    return dict(marker.kwargs)


def _start(
    settings: Settings, events: str | None, reports: str | None, *, no_reports: bool = False, **knobs: Any
) -> HookManager:
    from mockhm import HookManager

    return HookManager(
        events or settings.endpoint(),
        None if no_reports else (reports or settings.endpoint()),
        profile=settings.profile,
        validate=settings.validate,
        **knobs,
    )


def _find_scenario(name: str, settings: Settings, test_dir: Path) -> Any:
    """Load a scenario or capture: ``--hm-scenarios-dir`` first, then next to the test, then
    a path or built-in name as :func:`mockhm.streams.scenario.find_scenario` understands it."""
    try:
        from mockhm.streams.sources import load_source as load
    except ImportError as err:  # pragma: no cover - until scenarios land
        pytest.fail(f"@pytest.mark.hookmanager_scenario needs mockhm.streams.sources: {err}", pytrace=False)
    candidates: list[Path] = []
    if settings.scenarios_dir is not None:
        base = settings.scenarios_dir / name
        candidates += [base, *(base.with_name(base.name + ext) for ext in (".yaml", ".yml", ".jsonl"))]
    candidates.append(test_dir / name)
    for candidate in candidates:
        if candidate.is_file():
            return load(candidate)
    return load(name)


class _Registry:
    """The instances a test created, verified and closed at its teardown."""

    def __init__(self, request: pytest.FixtureRequest, settings: Settings) -> None:
        self.node = request.node
        self.test_dir = request.path.parent
        # Marker settings apply to every instance of the test; factory arguments beat them.
        self.settings = settings.with_overrides(_marker_kwargs(request.node), "marker")
        self.instances: list[tuple[HookManagerFixture, bool]] = []

    def start(
        self,
        events: str | None,
        reports: str | None,
        *,
        no_reports: bool = False,
        verify: bool = True,
        **kwargs: Any,
    ) -> HookManagerFixture:
        unknown = sorted(set(kwargs) - MARKER_KWARGS)
        if unknown:
            raise TypeError(
                f"make_hookmanager(): unknown argument(s) {unknown}; allowed: "
                f"{sorted(MARKER_KWARGS | {'events', 'reports', 'no_reports', 'verify'})}"
            )
        settings = self.settings.with_overrides(kwargs, "factory")
        knobs = {k: kwargs[k] for k in ("lossless", "hwm", "ack", "journal") if k in kwargs}
        hm = _start(settings, events, reports, no_reports=no_reports, **knobs)
        fixture = HookManagerFixture(hm, seed=settings.seed)
        fixture._find = lambda name: _find_scenario(name, settings, self.test_dir)
        self.instances.append((fixture, verify))
        return fixture

    def finish(self) -> None:
        """Verify (unless the test body already failed), then close every instance."""
        verify = not self.node.stash.get(_CALL_FAILED, False)
        problems: list[str] = []
        try:
            for fixture, wants_verify in self.instances:
                if verify and wants_verify:
                    try:
                        fixture.verify()
                    except AssertionError as err:
                        problems.append(f"{fixture!r}: {err}")
        finally:
            for fixture, _ in self.instances:
                fixture.close()
        if problems:
            pytest.fail("\n".join(problems), pytrace=False)


# -- fixtures ------------------------------------------------------------------------------
# Only ``hookmanager`` and ``make_hookmanager`` are function-scoped: every function-scoped
# fixture in the chain costs per test (see benchmarks/bench_fixture.py).


@pytest.fixture(scope="session")
def hookmanager_config(pytestconfig: pytest.Config) -> Settings:
    """The session's settings: CLI > env > ini > default (the marker applies per test on top).

    Override it (any scope) to set defaults in code, e.g.
    ``return Settings(profile="6.10")``.
    """
    return pytestconfig.stash[_SETTINGS]


@pytest.fixture(scope="session")
def hookmanager_endpoints(hookmanager_config: Settings) -> tuple[str, str]:
    """``(events, reports)`` endpoints to bind; ephemeral ``tcp://<bind>:*`` by default.

    Override it in a ``conftest.py`` to pin ports, e.g. ``return ("tcp://127.0.0.1:2101",
    "tcp://127.0.0.1:2102")`` when the code under test cannot be told where to connect.
    """
    endpoint = hookmanager_config.endpoint()
    return endpoint, endpoint


@pytest.fixture
def make_hookmanager(
    request: pytest.FixtureRequest, hookmanager_config: Settings
) -> Iterator[MakeHookManager]:
    """A factory of extra mock Hook Managers (type :class:`pytest_mockhm.MakeHookManager`).

    Each call starts one, on fresh loopback ports unless told otherwise; all are verified and
    closed at the test's teardown.  Keyword arguments (all optional; those left out follow the
    test's settings: marker > command line > environment > ini > default):

    * ``events=``, ``reports=``: endpoints to bind (default ``tcp://<bind>:*``);
    * ``no_reports=True``: no 2102 socket at all;
    * ``ack=``: the reply to each report (``b"ACK"``), ``None`` never to answer;
    * ``verify=False``: no teardown verification for this instance;
    * ``profile=``, ``validate=``, ``seed=``, ``bind=``, ``lossless=``, ``hwm=``,
      ``journal=``: as the ``hookmanager`` marker takes them.

    ::

        def test_old_release(make_hookmanager):
            hm = make_hookmanager(profile="6.10", ack=None, verify=False)
    """
    registry = _Registry(request, hookmanager_config)

    def factory(
        *,
        events: str | None = None,
        reports: str | None = None,
        no_reports: bool = False,
        verify: bool = True,
        **kwargs: Any,
    ) -> HookManagerFixture:
        return registry.start(events, reports, no_reports=no_reports, verify=verify, **kwargs)

    yield factory
    registry.finish()


@pytest.fixture
def hookmanager(
    request: pytest.FixtureRequest,
    hookmanager_endpoints: tuple[str, str],
    hookmanager_config: Settings,
) -> Iterator[HookManagerFixture]:
    """A started mock Hook Manager for this test, on fresh loopback ports.

    Exports ``MOCKHM_EVENTS_ENDPOINT``/``MOCKHM_REPORTS_ENDPOINT`` (restored afterwards),
    verifies expectations and the I/O thread at teardown (``@pytest.mark.hookmanager(verify=False)``
    turns that off) and closes its sockets.
    """
    registry = _Registry(request, hookmanager_config)
    overrides = _marker_kwargs(request.node)
    events, reports = hookmanager_endpoints
    if "bind" in overrides:  # the marker beats an overridden endpoints fixture too
        events = reports = registry.settings.endpoint()
    knobs = {k: v for k, v in overrides.items() if k in {"lossless", "hwm", "ack", "journal"}}
    fixture = registry.start(events, reports, verify=bool(overrides.get("verify", True)), **knobs)
    saved = {name: os.environ.get(name) for name in (EVENTS_ENV, REPORTS_ENV)}
    try:
        scenario_marker = request.node.get_closest_marker("hookmanager_scenario")
        if scenario_marker is not None:
            if len(scenario_marker.args) != 1:
                pytest.fail(
                    f"@pytest.mark.hookmanager_scenario takes one name or path, got {scenario_marker.args!r}",
                    pytrace=False,
                )
            unknown = sorted(set(scenario_marker.kwargs) - {"speed"})
            if unknown:
                pytest.fail(
                    f"@pytest.mark.hookmanager_scenario: unknown argument(s) {unknown}; allowed: ['speed']",
                    pytrace=False,
                )
            fixture.scenario = _find_scenario(
                str(scenario_marker.args[0]), registry.settings, request.path.parent
            )
            fixture.speed = scenario_marker.kwargs.get("speed")
        os.environ.pop(REPORTS_ENV, None)
        os.environ.update(fixture.env)
        yield fixture
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        registry.finish()


@pytest.fixture
def caphookreports(hookmanager: HookManagerFixture) -> CapHookReports:
    """What hook executors reported to ``hookmanager`` on the 2102 channel during this test."""
    return CapHookReports(hookmanager)


@pytest.fixture
def hookmanager_cassette(
    request: pytest.FixtureRequest, hookmanager: HookManagerFixture, hookmanager_config: Settings
) -> Iterator[CassetteFixture]:
    """This test's cassette, replayed or recorded in the record mode in force.

    The mode follows marker ``mode=`` > ``--hm-record-mode`` > ``MOCKHM_RECORD_MODE`` >
    ``hm_record_mode`` > ``none``.  The file is ``<cassette dir>/<module>/<Class.>test.jsonl``.
    Replay waits for the test: call ``hookmanager_cassette.play(speed=...)`` after
    ``hookmanager.wait_for_subscribers()``.  Recording starts at setup; with the marker's
    ``count=N`` (or ``duration=S``) ``play()`` returns once N messages (S seconds) were recorded
    and forwarded, so the same test body replays and records::

        @pytest.mark.hookmanager_cassette(count=12)
        def test_inventory(hookmanager, hookmanager_cassette, inventory):
            hookmanager_cassette.play()
            assert inventory.running == {...}

    Without them recording runs until teardown.
    """
    options = marker_options(request.node)
    settings = hookmanager_config.with_overrides({"record_mode": options.get("mode")}, "marker")
    path = cassette_path(request.node, settings, options.get("name"))
    filters = options.get("filters") or ("",)
    if isinstance(filters, str):
        filters = (filters,)
    cassette = CassetteFixture(
        hookmanager, path, settings, filters,
        count=options.get("count"), duration=options.get("duration"), timeout=options.get("timeout"),
    )  # fmt: skip
    try:
        yield cassette
    finally:
        cassette.finish()


@pytest.fixture(scope="session")
def shared_hookmanager(pytestconfig: pytest.Config) -> Iterator[HookManagerFixture]:
    """One mock Hook Manager for the whole session (per xdist worker), for Hypothesis ``@given``.

    Hypothesis refuses function-scoped fixtures in ``@given`` tests (they are not reset between
    examples); this one is session-scoped, and ``with shared_hookmanager.example():`` resets it
    for each example and verifies that example's expectations.  Subscriptions of subscribers
    that earlier tests left connected stay counted: close subscribers before the test ends.
    """
    settings = pytestconfig.stash[_SETTINGS]
    fixture = HookManagerFixture(_start(settings, None, None), seed=settings.seed)
    try:
        yield fixture
        fixture.check()
    finally:
        fixture.close()
