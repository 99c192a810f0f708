"""Scenarios: YAML files that script a timed stream of hook events, for people to write.

A scenario is checked completely and compiled to a list of :class:`TimedMessage` before
anything is sent; an invalid one raises :class:`~mockhm.ScenarioError` naming the file,
line, step and field, and the allowed values.  Format (``format_version: 1``)::

    format_version: 1
    description: one line shown by `mockhm scenarios`
    profile: "7.4"            # release to imitate
    seed: 0                   # names, addresses and cloud clock
    gap: 0.1                  # default seconds between the messages of one step
    variables: {vms: 3}       # used as ${vms}; a whole-string ${x} keeps its type
    steps:
      - at: 0                 # seconds from the start (or `after:` the previous step)
        host: {action: allocate, name: "{faker:one_host_name}"}
      - after: 1
        repeat: 3             # the step runs 3 times ...
        every: 2              # ... 2 s apart (default: back to back)
        vm_lifecycle: {count: "${vms}", actions: [deploy, poweroff, resume, terminate]}

Each step has exactly one builder: ``host``, ``vm``, ``vm_lifecycle``, ``api``, ``image``,
``network``, ``retry``, ``raw`` (frames sent as written, for hostile messages) or ``story``
(the built-in ``mixed-day`` story).  Builders drive one :class:`~mockhm.Cloud`, so ids,
names and documents line up across steps.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import yaml

from mockhm.oned.cloud import Cloud
from mockhm.streams.scenario_fields import (
    BUILDERS,
    MAX_REPEAT,
    TIMING_FIELDS,
    TOP_FIELDS,
    bounded_int,
    check_fields,
    check_int,
    check_number,
    fill_faker,
    substitute,
    timing_field,
)
from mockhm.streams.scenario_steps import StepBuilder, run_builder
from mockhm.streams.scenario_yaml import LineMap, Where, parse_yaml
from mockhm.wire.errors import ScenarioError, ScenarioNotFoundError
from mockhm.wire.profiles import PROFILES

FORMAT_VERSION: Final[int] = 1
#: At most this many messages per scenario (issue 10, item 6): beyond, use ``mockhm load``.
MAX_MESSAGES: Final[int] = 200_000
#: Seconds between the messages of one step unless the scenario or step says otherwise.
DEFAULT_GAP: Final[float] = 0.1
SUFFIXES: Final[tuple[str, ...]] = (".yaml", ".yml")


@dataclass(frozen=True)
class TimedMessage:
    """One wire message of a scenario or capture and when it is due: the items of
    :attr:`Scenario.messages` and of :attr:`mockhm.ReplaySource.messages`."""

    t: float
    """When it is due, in seconds from the start of the stream (a replay sends it at
    ``start + t / speed``)."""
    frames: tuple[bytes, ...]
    """The frames as sent: normally ``(key, content)``, content being base64 of the body."""
    step: int = 0
    """The 1-based scenario step (or capture line) it comes from; error messages cite it."""

    @property
    def key(self) -> str:
        """Frame 1 as text."""
        return self.frames[0].decode("ascii", "replace") if self.frames else ""


@dataclass(frozen=True)
class Scenario:
    """A loaded, checked and compiled scenario (:func:`mockhm.load_scenario`).

    Scenario files are checked completely when loaded (an error names the file, line, step and
    field), so a replay never fails half-way.
    """

    name: str
    """The scenario's name (its file name without the suffix unless the file says otherwise)."""
    description: str
    """Its one-line description."""
    profile: str
    """The release profile its events are built for."""
    seed: int
    """The seed of its names, addresses and timings (same seed, same bytes)."""
    messages: tuple[TimedMessage, ...]
    """Every message it sends, in send order, each with its due time."""
    path: str | None = None
    """The file it was loaded from, or ``None``."""
    variables: Mapping[str, Any] = field(default_factory=dict)
    """The variables it was compiled with (``${name}`` in the file)."""

    @property
    def duration(self) -> float:
        """Offset of the last message (0 for an empty scenario)."""
        return self.messages[-1].t if self.messages else 0.0


# --------------------------------------------------------------------------- finding


def scenario_dirs() -> list[Path]:
    """Where built-in scenarios live: the scenario directory installed inside the package (a
    wheel), then a checkout's ``scenarios/`` next to the ``mockhm`` package (source or editable
    install)."""
    package = Path(__file__).resolve().parents[1]
    return [d for d in (package / "_scenarios", package.parent / "scenarios") if d.is_dir()]


def builtin_scenarios() -> dict[str, Path]:
    """Built-in scenario names and their files (the first directory wins)."""
    found: dict[str, Path] = {}
    for d in scenario_dirs():
        for p in sorted(d.iterdir()):
            if p.suffix in SUFFIXES and p.stem not in found:
                found[p.stem] = p
    return dict(sorted(found.items()))


def find_scenario(name: str | Path) -> Path:
    """A scenario or capture file: an existing path, or the name of a built-in scenario.

    Raises:
        ScenarioNotFoundError: neither; the message lists the built-in names.
    """
    p = Path(name)
    if p.is_file():
        return p
    builtin = builtin_scenarios()
    if str(name) in builtin:
        return builtin[str(name)]
    raise ScenarioNotFoundError(
        f"no scenario file {str(name)!r} and no built-in scenario of that name; "
        f"built-in scenarios are {', '.join(builtin) or '(none found)'}",
        path=str(name),
    )


def describe(path: Path) -> str:
    """The one-line ``description`` of a scenario file (empty if it has none or is broken)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return ""
    text = data.get("description", "") if isinstance(data, dict) else ""
    return " ".join(str(text).split())


# --------------------------------------------------------------------------- compiling


def compile_scenario(
    data: Any, *, path: str = "<scenario>", variables: Mapping[str, Any] | None = None
) -> Scenario:
    """Check and compile parsed scenario data (from :func:`parse_yaml`) into a :class:`Scenario`.

    Args:
        data: the parsed document.
        path: the file name used in errors.
        variables: values that override the scenario's ``variables``.

    Raises:
        ScenarioError: the first problem, naming file, line, step and field.
    """
    where = Where(path)
    if not isinstance(data, LineMap):
        raise where.error(1, "a scenario is a mapping with format_version, profile, seed and steps")
    for name in data:
        if name not in TOP_FIELDS:
            raise where.error(
                data.lines[name], f"unknown field; a scenario has {', '.join(TOP_FIELDS)}", field=name
            )
    version = data.get("format_version")
    if type(version) is not int or version != FORMAT_VERSION:  # True == 1 in Python
        line = data.lines.get("format_version", data.line)
        raise where.error(
            line, f"expected format_version: {FORMAT_VERSION}, got {version!r}", field="format_version"
        )
    profile = str(data.get("profile", "7.4"))
    if profile not in PROFILES:
        raise where.error(
            data.lines.get("profile", 1),
            f"unknown profile {profile!r}; expected one of {', '.join(PROFILES)}",
            field="profile",
        )
    seed = data.get("seed", 0)
    if check_int(seed):
        raise where.error(data.lines.get("seed", 1), "expected an integer seed", field="seed")
    gap = data.get("gap", DEFAULT_GAP)
    if check_number(gap):
        raise where.error(data.lines.get("gap", 1), "expected a number of seconds >= 0", field="gap")
    declared = data.get("variables") or {}
    if not isinstance(declared, dict):
        raise where.error(data.lines.get("variables", 1), "expected a mapping", field="variables")
    values = {**declared, **(variables or {})}
    steps = data.get("steps")
    if not isinstance(steps, list) or not steps:
        raise where.error(
            data.lines.get("steps", data.line), "expected a non-empty list of steps", field="steps"
        )
    cloud = Cloud(profile, seed=seed)
    build = StepBuilder(cloud)
    messages: list[TimedMessage] = []
    end = 0.0
    for n, raw_step in enumerate(steps, start=1):
        line = raw_step.line if isinstance(raw_step, LineMap) else data.lines["steps"]
        if not isinstance(raw_step, LineMap):
            raise where.error(line, f"a step is a mapping with one of {', '.join(BUILDERS)}", step=n)
        builders = [k for k in raw_step if k in BUILDERS]
        for name in raw_step:
            if name not in BUILDERS and name not in TIMING_FIELDS:
                raise where.error(
                    raw_step.lines[name],
                    f"unknown field; a step has one builder ({', '.join(BUILDERS)}) and "
                    f"{', '.join(TIMING_FIELDS)}",
                    step=n, field=name,
                )  # fmt: skip
        if len(builders) != 1:
            what = "no builder" if not builders else f"several builders ({', '.join(builders)})"
            raise where.error(line, f"{what}; a step has exactly one of {', '.join(BUILDERS)}", step=n)
        builder = builders[0]

        def fail(what: str, _n: int = n, _b: str = builder, _l: int = line) -> ScenarioError:
            return where.error(_l, what, step=_n, builder=_b)

        step = substitute(raw_step, values, fail)
        at = timing_field(step, "at", where, n, builder, check_number)
        after = timing_field(step, "after", where, n, builder, check_number)
        if at is not None and after is not None:
            raise where.error(line, "give 'at' or 'after', not both", step=n, builder=builder, field="after")
        step_gap = timing_field(step, "gap", where, n, builder, check_number)
        step_gap = gap if step_gap is None else step_gap
        repeat = timing_field(step, "repeat", where, n, builder, bounded_int(MAX_REPEAT)) or 1
        every = timing_field(step, "every", where, n, builder, check_number)
        start = float(at) if at is not None else end + float(after or 0.0)
        if messages and start < end:
            raise where.error(
                step.lines["at"],
                f"at {at} s is before the previous step's last message ({end:g} s); "
                "steps are sent in file order, so offsets must not go back",
                step=n, builder=builder, field="at",
            )  # fmt: skip
        args = check_fields(step[builder], builder, where, n, step.lines[builder])
        t = start
        for r in range(repeat):
            if every is not None:
                t = start + r * float(every)
                if messages and t < end:
                    raise where.error(
                        step.lines["every"],
                        f"repeat {r + 1} would start at {t:g} s, before repeat {r} ends ({end:g} s); "
                        "raise 'every' or lower 'gap'",
                        step=n, builder=builder, field="every",
                    )  # fmt: skip
            elif r:
                t = end + step_gap
            filled = fill_faker(dict(args), cloud, fail)
            frames_list = run_builder(build, builder, filled, args, where, n)
            if len(messages) + len(frames_list) * (repeat - r) > MAX_MESSAGES:
                raise where.error(
                    line,
                    f"the scenario would have more than {MAX_MESSAGES:,} messages (this step makes "
                    f"{len(frames_list)} per repeat, {repeat} times); a longer stream is `mockhm load`",
                    step=n, builder=builder,
                )  # fmt: skip
            for i, frames in enumerate(frames_list):
                messages.append(TimedMessage(round(t + i * step_gap, 9), frames, n))
            end = messages[-1].t if frames_list else max(end, t)
    name = str(data.get("name") or Path(path).stem)
    description = " ".join(str(data.get("description", "")).split())
    return Scenario(name, description, profile, seed, tuple(messages), path, values)


# --------------------------------------------------------------------------- loading


def load_scenario(source: str | Path, *, variables: Mapping[str, Any] | None = None) -> Scenario:
    """Load, check and compile a scenario file or built-in scenario name.

    Raises:
        ScenarioNotFoundError: no such file or built-in name.
        ScenarioError: the scenario is invalid (file, line, step, field and allowed values).
    """
    path = find_scenario(source)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise ScenarioError(f"{path}: cannot read: {err}", path=str(path)) from None
    return compile_scenario(parse_yaml(text, str(path)), path=str(path), variables=variables)


def loads_scenario(text: str, *, name: str = "<scenario>") -> Scenario:
    """Load, check and compile scenario text (for tests and programs)."""
    return compile_scenario(parse_yaml(text, name), path=name)


def iter_builtin() -> Iterator[tuple[str, str, Path]]:
    """``(name, one-line description, path)`` of every built-in scenario."""
    for name, path in builtin_scenarios().items():
        yield name, describe(path), path


__all__ = [
    "FORMAT_VERSION",
    "Scenario",
    "TimedMessage",
    "builtin_scenarios",
    "compile_scenario",
    "find_scenario",
    "iter_builtin",
    "load_scenario",
    "loads_scenario",
    "parse_yaml",
    "scenario_dirs",
]
