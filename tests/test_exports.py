"""The front door: a short, sorted, importable public API that loads its heavy parts lazily."""

from __future__ import annotations

import subprocess
import sys

import mockhm


def test_all_is_sorted_and_importable() -> None:
    # isort style, as ruff keeps it: CONSTANTS, then Classes, then functions.
    def style(name: str) -> tuple[int, str]:
        return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)

    assert list(mockhm.__all__) == sorted(mockhm.__all__, key=style)
    assert len(set(mockhm.__all__)) == len(mockhm.__all__)
    for name in mockhm.__all__:
        assert getattr(mockhm, name) is not None, name


def test_every_export_is_listed() -> None:
    exported = set(mockhm.__all__)
    assert set(mockhm._EXPORTS) | {"__version__"} == exported


def test_import_is_light() -> None:
    """`import mockhm` (and the Hypothesis entry point) load neither pyzmq, lxml nor Faker."""
    code = (
        "import sys, mockhm, mockhm.traffic.hypothesis_hook; "
        "print(sorted(m for m in ('zmq', 'lxml', 'faker') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_unknown_attribute() -> None:
    try:
        mockhm.no_such_thing  # noqa: B018
    except AttributeError as err:
        assert "no attribute 'no_such_thing'" in str(err)
    else:  # pragma: no cover
        raise AssertionError("expected AttributeError")


# -- the public surface, pinned: dropping or renaming any of these is a breaking change ----
# (adding names is fine: each check is "at least these").

#: ``mockhm.__all__`` as released.
PUBLIC_NAMES = frozenset(
    {
        "PROFILES", "BindError", "BodyValidationError", "Cassette", "Cloud", "CloudError", "HookEvent",
        "HookManager", "HookReport", "KeyFormatError", "LoadReport", "MessageFormatError", "MockHMError",
        "ParsedKey", "Profile", "PublisherClosedError", "ReplayReport", "ReportTimeoutError", "Scenario",
        "ScenarioError", "ScenarioNotFoundError", "Scrubber", "Shape", "Statistics",
        "SubscriberTimeoutError", "UnknownProfileError", "WireMessage", "__version__", "api_event",
        "api_key", "check_message", "document_state_event", "encode_report", "get_profile",
        "load_scenario", "parse_key", "parse_report", "record", "replay", "retry_message", "run_load",
        "state_event", "state_keys", "validate_body", "validate_event", "validate_file", "vmmonitor_event",
    }
)  # fmt: skip

#: ``mockhm.strategies``: each strategy and the parameters callers pass by name.
STRATEGIES: dict[str, tuple[str, ...]] = {
    "api_events": ("calls", "result", "profile"),
    "event_keys": ("profile",),
    "hook_events": ("profile",),
    "hostile_messages": ("kinds",),
    "lifecycles": ("vms", "steps", "profile"),
    "profiles": (),
    "retry_messages": ("profile",),
    "state_events": ("objects", "states", "profile"),
    "wire_messages": ("profile",),
}

#: ``mockhm.aio``: each helper and its parameters.
AIO: dict[str, tuple[str, ...]] = {
    "current_library": (),
    "run_sync": ("func",),
    "wait_for_report": ("hm", "hook_id", "rc", "where", "timeout"),
    "wait_for_subscribers": ("hm", "count", "prefix", "timeout"),
}

#: ``mockhm`` subcommands: their options and positional arguments.
CLI: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "serve": (
        ("--auth", "--bind", "--count", "--dry-run", "--events", "--filter", "--hwm", "--idle",
         "--logger-port", "--loop", "--lossless", "--max-gap", "--no-oned", "--oned", "--oned-speed",
         "--profile", "--publisher-port", "--quiet", "--rate", "--reports", "--seed", "--speed",
         "--validate", "--wait", "-b", "-l", "-p"),
        ("scenario",),
    ),
    "validate": (("--json", "--profile", "--quiet", "--upstream", "-q"), ("files",)),
    "generate": (("--count", "--lifecycles", "--output", "--profile", "--seed", "--vms", "-n", "-o"), ()),
    "record": (
        ("--count", "--duration", "--filter", "--no-scrub", "--output", "--profile", "--quiet", "-o"),
        ("endpoint",),
    ),
    "scenarios": ((), ("scenario",)),
    "load": (
        ("--acks", "--arrivals", "--body-size", "--count", "--csv", "--drain", "--duration", "--events",
         "--hwm", "--json", "--linger", "--lossless", "--max", "--no-stamp", "--percentiles", "--plot",
         "--pool", "--processes", "--profile", "--quiet", "--rate", "--reports", "--seed", "--shape",
         "--threshold", "--wait", "--wait-timeout"),
        ("source",),
    ),
    "profiles": ((), ()),
}  # fmt: skip


def _parameters(func: object) -> set[str]:
    import inspect

    assert callable(func), func
    return set(inspect.signature(func).parameters)


def test_front_door_names_are_all_still_exported() -> None:
    missing = PUBLIC_NAMES - set(mockhm.__all__)
    assert not missing, f"dropped from mockhm.__all__: {sorted(missing)}"
    for name in PUBLIC_NAMES:
        assert getattr(mockhm, name) is not None, name


def test_strategies_surface() -> None:
    from mockhm import strategies

    assert set(STRATEGIES) <= set(strategies.__all__)
    for name, params in STRATEGIES.items():
        missing = set(params) - _parameters(getattr(strategies, name))
        assert not missing, f"mockhm.strategies.{name} lost parameter(s) {sorted(missing)}"


def test_aio_surface() -> None:
    from mockhm import aio

    assert set(AIO) <= set(aio.__all__)
    for name, params in AIO.items():
        missing = set(params) - _parameters(getattr(aio, name))
        assert not missing, f"mockhm.aio.{name} lost parameter(s) {sorted(missing)}"


def test_cli_surface() -> None:
    import argparse

    from mockhm.cli import build_parser

    parser = build_parser()
    top = {o for action in parser._actions for o in action.option_strings}
    assert {"--version", "-v", "--verbose"} <= top
    (sub,) = (a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert set(CLI) <= set(sub.choices)
    for command, (options, positionals) in CLI.items():
        actions = sub.choices[command]._actions
        have = {o for action in actions for o in action.option_strings}
        missing = set(options) - have
        assert not missing, f"mockhm {command} lost option(s) {sorted(missing)}"
        args = [action.dest for action in actions if not action.option_strings]
        assert list(positionals) == args[: len(positionals)], (command, args)
