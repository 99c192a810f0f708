"""The plugin's settings and the one precedence order they all follow.

Precedence, highest first (the same for every setting):

    marker or factory argument  >  command line  >  environment variable  >  ini file  >  default

For example ``@pytest.mark.hookmanager(profile="6.10")`` beats ``--hm-profile=7.0``, which beats
``MOCKHM_PROFILE=6.8``, which beats ``hm_profile = 6.6`` in the ini file, which beats the
default ``7.4``.  This module imports neither pyzmq nor lxml: it runs in every pytest session
of every project that has mockhm installed.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Final

import pytest

_TRUE: Final = frozenset({"1", "true", "yes", "on"})
_FALSE: Final = frozenset({"0", "false", "no", "off"})


def parse_bool(text: str, *, where: str) -> bool:
    """``1/true/yes/on`` or ``0/false/no/off`` (any case); anything else is a usage error."""
    value = text.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise pytest.UsageError(f"{where}: expected a boolean (one of {sorted(_TRUE | _FALSE)}), got {text!r}")


def parse_seed(text: str, *, where: str) -> int:
    """A non-negative integer seed."""
    try:
        value = int(text.strip())
    except ValueError:
        value = -1
    if value < 0:
        raise pytest.UsageError(f"{where}: expected a non-negative integer seed, got {text!r}")
    return value


@dataclass(frozen=True)
class Option:
    """One setting and every place it can come from."""

    #: Attribute name on :class:`Settings`.
    name: str
    #: Command-line flag.
    flag: str
    #: Ini key.
    ini: str
    #: Environment variable.
    env: str
    #: Help text.
    help: str


OPTIONS: Final[tuple[Option, ...]] = (
    Option("profile", "--hm-profile", "hm_profile", "MOCKHM_PROFILE", "OpenNebula release of built events"),
    Option("bind", "--hm-bind", "hm_bind", "MOCKHM_BIND", "address the mock Hook Manager binds to"),
    Option(
        "scenarios_dir",
        "--hm-scenarios-dir",
        "hm_scenarios_dir",
        "MOCKHM_SCENARIOS_DIR",
        "directory searched first for @pytest.mark.hookmanager_scenario names",
    ),
    Option(
        "validate", "--hm-validate", "hm_validate", "MOCKHM_VALIDATE", "validate built events before sending"
    ),
    Option("seed", "--hm-seed", "hm_seed", "MOCKHM_SEED", "seed of hookmanager.cloud (names, addresses)"),
    Option(
        "record_mode",
        "--hm-record-mode",
        "hm_record_mode",
        "MOCKHM_RECORD_MODE",
        "cassette record mode: none (replay only), once, new_episodes, all or rewrite",
    ),
    Option(
        "record_from",
        "--hm-record-from",
        "hm_record_from",
        "MOCKHM_RECORD_FROM",
        "live Hook Manager events endpoint cassettes record from, e.g. tcp://oned.example:2101",
    ),
    Option(
        "cassette_dir",
        "--hm-cassette-dir",
        "hm_cassette_dir",
        "MOCKHM_CASSETTE_DIR",
        "cassette directory (default: cassettes/ next to each test module)",
    ),
)

#: Cassette record modes, in pytest-recording's words (the same as ``mockhm.streams.record.RECORD_MODES``,
#: repeated here so that resolving settings does not import pyzmq).
RECORD_MODES: Final[tuple[str, ...]] = ("none", "once", "new_episodes", "all", "rewrite")

#: Keyword arguments the ``hookmanager`` marker accepts (settings plus per-instance knobs).
MARKER_KWARGS: Final[frozenset[str]] = frozenset(
    {"profile", "validate", "seed", "bind", "verify", "lossless", "hwm", "ack", "journal"}
)


@dataclass(frozen=True)
class Settings:
    """Resolved settings, and where each came from (for the report header and errors).

    The ``hookmanager_config`` fixture returns the session's; override that fixture to set
    defaults in code (``return Settings(profile="6.10")``).  Each setting follows one
    precedence order: marker or factory argument > command line > environment > ini > default.
    """

    profile: str = "7.4"
    """The release profile of built events (``--hm-profile``, ``MOCKHM_PROFILE``, ``hm_profile``)."""
    bind: str = "127.0.0.1"
    """The address ephemeral endpoints bind to (``--hm-bind``)."""
    scenarios_dir: Path | None = None
    """Where scenario names are looked up first (``--hm-scenarios-dir``); ``None``: built-in only."""
    validate: bool = True
    """Validate every built event before sending (``--hm-[no-]validate``)."""
    seed: int = 0
    """Seed of each fixture's ``cloud`` (``--hm-seed``)."""
    record_mode: str = "none"
    """Cassette record mode: none, once, new_episodes, all or rewrite (``--hm-record-mode``)."""
    record_from: str | None = None
    """The live Hook Manager cassettes record from (``--hm-record-from``)."""
    cassette_dir: Path | None = None
    """Where cassettes live; ``None``: ``cassettes/`` next to each test module (``--hm-cassette-dir``)."""
    sources: Mapping[str, str] | None = None
    """Where each setting came from: ``name -> "marker" | "cli" | "env" | "ini" | "default"``."""

    def source(self, name: str) -> str:
        """Where setting ``name`` came from."""
        return (self.sources or {}).get(name, "default")

    def with_overrides(self, overrides: Mapping[str, object], origin: str) -> Settings:
        """A copy with ``overrides`` (marker or factory arguments) applied on top."""
        known = {k: v for k, v in overrides.items() if k in _CONVERTERS and v is not None}
        if not known:
            return self
        converted = {k: _CONVERTERS[k](v, f"{origin} argument {k}=") for k, v in known.items()}
        sources = dict(self.sources or {})
        sources.update(dict.fromkeys(known, origin))
        return replace(self, **converted, sources=sources)  # type: ignore[arg-type]

    def endpoint(self) -> str:
        """The ephemeral-port endpoint template for this bind address."""
        host = f"[{self.bind}]" if ":" in self.bind and not self.bind.startswith("[") else self.bind
        return f"tcp://{host}:*"


def _to_profile(value: object, where: str) -> str:
    if isinstance(value, str) and value.strip():
        return value.strip()
    # Profile objects (or anything with a name) are accepted from markers/factories.
    name = getattr(value, "name", None)
    if isinstance(name, str):
        return name
    raise pytest.UsageError(f"{where}: expected a release name such as '7.4', got {value!r}")


def _to_bind(value: object, where: str) -> str:
    if isinstance(value, str) and value.strip() and "*" not in value and "://" not in value:
        return value.strip()
    raise pytest.UsageError(
        f"{where}: expected an address such as '127.0.0.1' (no scheme/port), got {value!r}"
    )


def _to_dir(value: object, where: str) -> Path:
    if isinstance(value, (str, os.PathLike)) and str(value):
        return Path(value)
    raise pytest.UsageError(f"{where}: expected a directory path, got {value!r}")


def _to_bool(value: object, where: str) -> bool:
    if isinstance(value, bool):
        return value
    return parse_bool(str(value), where=where)


def _to_seed(value: object, where: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    return parse_seed(str(value), where=where)


def _to_record_mode(value: object, where: str) -> str:
    if isinstance(value, str) and value.strip() in RECORD_MODES:
        return value.strip()
    allowed = ", ".join(RECORD_MODES)
    raise pytest.UsageError(f"{where}: expected a record mode, one of {allowed}; got {value!r}")


def _to_endpoint(value: object, where: str) -> str:
    if isinstance(value, str) and "://" in value and "*" not in value:
        return value.strip()
    raise pytest.UsageError(
        f"{where}: expected a Hook Manager events endpoint such as 'tcp://oned.example:2101', got {value!r}"
    )


_CONVERTERS: Final[dict[str, Callable[[object, str], object]]] = {
    "profile": _to_profile,
    "bind": _to_bind,
    "scenarios_dir": _to_dir,
    "validate": _to_bool,
    "seed": _to_seed,
    "record_mode": _to_record_mode,
    "record_from": _to_endpoint,
    "cassette_dir": _to_dir,
}


def add_options(parser: pytest.Parser) -> None:
    """Register the command-line options and ini keys."""
    group = parser.getgroup("mockhm", "mock OpenNebula Hook Manager (mockhm)")
    for opt in OPTIONS:
        text = f"{opt.help} (env {opt.env}, ini {opt.ini})"
        if opt.name == "validate":
            group.addoption(opt.flag, action="store_true", default=None, dest="hm_validate", help=text)
            group.addoption(
                "--hm-no-validate", action="store_false", dest="hm_validate", help="turn validation off"
            )
            parser.addini(opt.ini, text, type="bool", default=None)
        else:
            group.addoption(opt.flag, default=None, dest=opt.ini, metavar=opt.name.upper(), help=text)
            parser.addini(opt.ini, text, type="string", default=None)


def resolve(config: pytest.Config, environ: Mapping[str, str] | None = None) -> Settings:
    """Settings from the command line, then the environment, then the ini file, then defaults."""
    env = os.environ if environ is None else environ
    values: dict[str, object] = {}
    sources: dict[str, str] = {}
    for opt in OPTIONS:
        convert = _CONVERTERS[opt.name]
        cli = config.getoption(opt.ini)
        if cli is not None:
            values[opt.name], sources[opt.name] = convert(cli, f"{opt.flag}"), "cli"
            continue
        raw_env = env.get(opt.env)
        if raw_env is not None and raw_env.strip():
            values[opt.name], sources[opt.name] = convert(raw_env, f"environment variable {opt.env}"), "env"
            continue
        ini = config.getini(opt.ini)
        if ini is not None and ini != "":
            value = convert(ini, f"ini key {opt.ini}")
            if isinstance(value, Path) and not value.is_absolute():  # directories: relative to the ini
                base = config.inipath.parent if config.inipath else config.rootpath
                value = base / value
            values[opt.name], sources[opt.name] = value, "ini"
            continue
        sources[opt.name] = "default"
    return Settings(sources=sources, **values)  # type: ignore[arg-type]
