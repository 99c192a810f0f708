"""MkDocs hooks: reference pages take their text from the installed mockhm, at build time.

A page says ``<!-- mockhm:NAME -->`` on a line of its own; the build replaces it with what mockhm
prints today, so the reference cannot drift from the code:

* ``cli``: ``mockhm --help`` and every subcommand's ``--help``;
* ``profiles`` / ``scenarios``: what ``mockhm profiles`` / ``mockhm scenarios`` print;
* ``pytest-options``, ``pytest-ini``, ``pytest-markers``, ``pytest-fixtures``: the plugin's part of
  ``pytest --help``, ``pytest --markers`` and ``pytest --fixtures``, run in an empty directory.

An unknown name, or a command that fails, stops the build.  Loaded by ``mkdocs.yml`` (``hooks:``);
not shipped.
"""

from __future__ import annotations

import functools
import importlib
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable
from typing import Any

_PLACEHOLDER = re.compile(r"^<!-- mockhm:([a-z-]+) -->$", re.MULTILINE)
_WIDTH = "80"  # what fits the content column without scrolling


@functools.cache
def _run(*args: str) -> str:
    """Output of ``python -m ARGS`` in an empty directory, 80 columns, no inherited pytest options."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "MOCKHM_"))}
    env.update(COLUMNS=_WIDTH, NO_COLOR="1", TERM="dumb")
    with tempfile.TemporaryDirectory(prefix="mockhm-docs-") as cwd:
        done = subprocess.run(
            [sys.executable, "-m", *args],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    if done.returncode != 0:
        raise RuntimeError(
            f"docs/hooks.py: `python -m {' '.join(args)}` exited {done.returncode}:\n{done.stderr}"
        )
    return done.stdout.replace(cwd, "<tmp>")


def _block(text: str, lang: str = "text") -> str:
    return f"```{lang}\n{text.rstrip()}\n```\n"


def _subcommands() -> list[str]:
    """Subcommands as ``mockhm --help`` lists them (the indented names under COMMAND)."""
    names = re.findall(r"^    ([a-z][a-z-]+)\s", _run("mockhm", "--help"), re.MULTILINE)
    if not names:
        raise RuntimeError("docs/hooks.py: found no subcommand in `mockhm --help`")
    return names


def cli() -> str:
    """``mockhm --help`` then one section per subcommand with its ``--help``."""
    parts = ["## mockhm\n", _block(_run("mockhm", "--help"))]
    for name in _subcommands():
        parts += [f"\n## mockhm {name}\n", _block(_run("mockhm", name, "--help"))]
    return "\n".join(parts)


def _section(text: str, start: Callable[[str], bool]) -> list[str]:
    """Lines from the one ``start`` accepts up to the next blank line."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if start(line):
            end = next((j for j in range(i + 1, len(lines)) if not lines[j].strip()), len(lines))
            return lines[i:end]
    raise RuntimeError("docs/hooks.py: the plugin's section was not found in pytest's output")


def pytest_options() -> str:
    """The plugin's command-line options, as ``pytest --help`` prints them."""
    return _block("\n".join(_section(_run("pytest", "--help"), lambda line: "(mockhm)" in line)))


def pytest_ini() -> str:
    """The plugin's ini keys (``hm_*``), as ``pytest --help`` prints them."""
    lines = _run("pytest", "--help").splitlines()
    kept: list[str] = []
    keep = False
    for line in lines:
        if re.match(r"^  \S", line):
            keep = line.startswith("  hm_")
        elif not line.startswith("      "):
            keep = False
        if keep:
            kept.append(line)
    if not kept:
        raise RuntimeError("docs/hooks.py: no hm_* ini key in `pytest --help`")
    return _block("\n".join(kept))


def pytest_markers() -> str:
    """The plugin's markers, as ``pytest --markers`` prints them."""
    markers = [
        m for m in _run("pytest", "--markers").split("\n\n") if m.startswith("@pytest.mark.hookmanager")
    ]
    if not markers:
        raise RuntimeError("docs/hooks.py: no hookmanager marker in `pytest --markers`")
    return _block("\n\n".join(markers))


def pytest_fixtures() -> str:
    """The plugin's fixtures with their docstrings, as ``pytest --fixtures`` prints them."""
    out = _run("pytest", "--fixtures")
    match = re.search(r"^-+ fixtures defined from pytest_mockhm\S* -+\n(.*?)(?=^-{4,} |\Z)", out, re.M | re.S)
    if match is None:
        raise RuntimeError("docs/hooks.py: no pytest_mockhm fixtures in `pytest --fixtures`")
    body = re.sub(r" -- \S+:\d+$", "", match.group(1), flags=re.MULTILINE)  # drop source paths
    body = re.sub(r"^=+.*$", "", body, flags=re.MULTILINE)
    return _block(body)


def profiles() -> str:
    """What ``mockhm profiles`` prints."""
    return _block(_run("mockhm", "profiles"))


def scenarios() -> str:
    """What ``mockhm scenarios`` prints."""
    return _block(_run("mockhm", "scenarios"))


#: Section titles of the API page, by the folder of mockhm that defines the name, in page order.
_API_SECTIONS: dict[str, str] = {
    "hookmanager": "The mock Hook Manager",
    "wire": "Events, keys, profiles and reports",
    "oned": "A stateful oned",
    "frontend": "The oned front-end",
    "schemas": "Validation",
    "traffic": "Generated and hostile traffic",
    "streams": "Captures, scenarios, recording and replay",
    "load": "Load runs",
    "errors": "Errors",
}


#: Names that open their section of the API page.
_LEADS = frozenset({"HookManager", "HookEvent", "Cloud", "FrontEnd", "Scenario", "LoadReport", "MockHMError"})


def api() -> str:
    """One ``::: mockhm.NAME`` per name of ``mockhm.__all__``, grouped by the folder defining it."""
    import mockhm

    groups: dict[str, list[tuple[str, str]]] = {}
    for name in mockhm.__all__:
        if name.startswith("__"):
            continue
        value = getattr(mockhm, name)
        module = getattr(value, "__module__", None) or "mockhm.wire.profiles"  # data (PROFILES)
        folder = module.split(".")[1] if module.count(".") >= 1 else "other"
        if isinstance(value, type) and issubclass(value, BaseException):
            folder = "errors"
        groups.setdefault(folder, []).append((module, name))
    order = [*_API_SECTIONS, *sorted(set(groups) - set(_API_SECTIONS))]
    parts = []
    for folder in order:
        if folder in groups:
            parts.append(f"## {_API_SECTIONS.get(folder, folder.capitalize())}\n")
            # the section's main class first, then by module; sorted() is stable, so __all__
            # order holds inside a module
            members = sorted(groups[folder], key=lambda item: (item[1] not in _LEADS, item[0]))
            parts += [f"::: mockhm.{name}\n    options:\n      heading_level: 3\n" for _, name in members]
    return "\n".join(parts)


def pytest_api() -> str:
    """One ``::: pytest_mockhm.NAME`` per name of ``pytest_mockhm.__all__`` (the fixture objects' types)."""
    names = importlib.import_module("pytest_mockhm").__all__  # installed name of pytest_plugin/
    return "\n".join(f"::: pytest_mockhm.{name}\n    options:\n      heading_level: 3\n" for name in names)


def errors() -> str:
    """A table of the exceptions of ``mockhm.__all__``: built-in bases and first docstring line."""
    import mockhm

    rows = ["| exception | derives from | raised when |", "|---|---|---|"]
    for name in mockhm.__all__:
        value = getattr(mockhm, name)
        if not (isinstance(value, type) and issubclass(value, BaseException)):
            continue
        bases = [b.__name__ for b in value.__mro__[1:] if b not in (BaseException, Exception, object)]
        first = (value.__doc__ or "").strip().splitlines()[0] if value.__doc__ else ""
        rows.append(f"| `{name}` | {', '.join(f'`{b}`' for b in bases)} | {first} |")
    return "\n".join(rows) + "\n"


_GENERATORS: dict[str, Callable[[], str]] = {
    "api": api,
    "errors": errors,
    "pytest-api": pytest_api,
    "cli": cli,
    "profiles": profiles,
    "scenarios": scenarios,
    "pytest-options": pytest_options,
    "pytest-ini": pytest_ini,
    "pytest-markers": pytest_markers,
    "pytest-fixtures": pytest_fixtures,
}


def on_pre_build(**kwargs: Any) -> None:
    """MkDocs event: forget the texts of a previous build (``mkdocs serve`` rebuilds)."""
    generated.cache_clear()
    _run.cache_clear()


@functools.cache
def generated(name: str) -> str:
    """The text for ``<!-- mockhm:NAME -->`` (computed once per build)."""
    try:
        return _GENERATORS[name]()
    except KeyError:
        raise RuntimeError(
            f"docs/hooks.py: unknown placeholder mockhm:{name}; known: {sorted(_GENERATORS)}"
        ) from None


def on_page_markdown(markdown: str, /, **kwargs: Any) -> str:
    """MkDocs event: replace every placeholder of a page."""
    return _PLACEHOLDER.sub(lambda m: generated(m.group(1)), markdown)


_TITLE = re.compile(r'title="([^"]*)"')
_DOTTED = re.compile(r"\b(?:pytest_)?mockhm(?:\.\w+)+")


def _public_title(match: re.Match[str]) -> str:
    text = _DOTTED.sub(lambda m: m.group(0).rsplit(".", 1)[1], match.group(1))
    return 'title="' + " ".join(text.split()) + '"'


def on_post_page(output: str, /, **kwargs: Any) -> str:
    """MkDocs event: hover titles of cross-references show the public name, not the defining module."""
    return _TITLE.sub(lambda m: _public_title(m) if "mockhm." in m.group(1) else m.group(0), output)
