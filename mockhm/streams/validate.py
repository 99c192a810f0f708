"""Validating files of messages: captures now, scenarios when :mod:`mockhm.streams.scenario` exists.

Every message gets the full :func:`~mockhm.schemas.validation.check_message` (frames, key, base64,
XML, schema, key/body consistency), optionally a check against upstream's XSDs, and
one :class:`MessageResult`.  Files are streamed; the report keeps counts and the
failures, not every message.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from mockhm.schemas.validation import Problem, check_message
from mockhm.streams.capturefile import iter_records, read_header
from mockhm.wire.errors import (
    BodyValidationError,
    MessageFormatError,
    ScenarioError,
    UnknownProfileError,
)
from mockhm.wire.message import WireMessage
from mockhm.wire.profiles import Profile, get_profile

#: Suffixes read as scenarios (through :mod:`mockhm.streams.scenario`).
SCENARIO_SUFFIXES: Final[tuple[str, ...]] = (".yaml", ".yml")
#: Failures kept in a report; beyond this only counted.
MAX_KEPT_FAILURES: Final[int] = 1000


@dataclass(frozen=True)
class MessageResult:
    """The verdict on one message: where it is, its key, and what is wrong (if anything)."""

    line: int
    """The capture line, or the scenario step, the message comes from (see
    :attr:`ValidationReport.unit`)."""
    key: str
    """Frame 1 of the message as text (empty when it has no frame)."""
    problems: tuple[Problem, ...] = ()
    """What is wrong, each with a problem code and a reason; empty when the message is sound."""

    @property
    def ok(self) -> bool:
        """No problems."""
        return not self.problems


@dataclass
class ValidationReport:
    """What :func:`validate_file` found in one file.

    ``checked`` counts messages (and unusable lines), ``failed`` those with problems;
    ``failures`` keeps the first :data:`MAX_KEPT_FAILURES` of them.  For scenarios a
    result's ``line`` is the step the message comes from (``unit == "step"``).  ``error`` is set
    when the file as a whole cannot be read (no header, not a capture); ``skipped``
    when its kind cannot be validated in this installation.
    """

    path: str
    """The file validated."""
    profile: str
    """The release profile its messages were checked against."""
    checked: int = 0
    """Messages checked (and unusable lines)."""
    failed: int = 0
    """Messages (or lines) with problems."""
    failures: list[MessageResult] = field(default_factory=list)
    """The first failures, in file order (at most ``MAX_KEPT_FAILURES``; the rest are counted)."""
    error: str | None = None
    """Why the file as a whole cannot be read (no header, not a capture), or ``None``."""
    skipped: str | None = None
    """Why its kind cannot be validated in this installation, or ``None``."""
    unit: str = "line"
    """What :attr:`MessageResult.line` counts: ``"line"`` (captures) or ``"step"`` (scenarios)."""

    @property
    def ok(self) -> bool:
        """Every message sound, and the file itself usable."""
        return self.failed == 0 and self.error is None and self.skipped is None

    def add(self, result: MessageResult) -> None:
        """Count one result (and keep it if it failed)."""
        self.checked += 1
        if not result.ok:
            self.failed += 1
            if len(self.failures) < MAX_KEPT_FAILURES:
                self.failures.append(result)


def _key_text(frames: Sequence[bytes]) -> str:
    return frames[0].decode("ascii", "replace") if frames else ""


def check_frames(
    frames: Sequence[bytes], *, profile: Profile, upstream: str | Path | None = None
) -> list[Problem]:
    """:func:`check_message`, plus the upstream check when ``upstream`` is a directory."""
    problems = check_message(frames, profile=profile)
    if upstream is not None and not any(p.code in ("frames", "base64", "xml") for p in problems):
        from mockhm.schemas.upstream import UpstreamSchemaError, validate_upstream

        message = WireMessage(tuple(frames))
        try:
            validate_upstream(message.body(), upstream, key=message.key)
        except BodyValidationError as err:
            problems.append(Problem("upstream", str(err)))
        except (UpstreamSchemaError, MessageFormatError) as err:
            problems.append(Problem("upstream", str(err)))
    return problems


def _capture_messages(path: Path) -> Iterator[tuple[int, Sequence[bytes] | ScenarioError]]:
    for lineno, item in iter_records(path):
        yield lineno, item if isinstance(item, ScenarioError) else item.frames


def _scenario_messages(
    path: Path, profile: str | Profile | None
) -> tuple[Iterable[tuple[int, Sequence[bytes]]] | None, str, str | None]:
    """A scenario's messages as ``(step, frames)``, the profile to check them with, or why not.

    Uses :func:`mockhm.streams.scenario.load_scenario` (the scenario is checked and compiled
    first; its own ``profile`` applies unless ``profile`` is given).
    """
    try:
        scenario = importlib.import_module("mockhm.streams.scenario")
    except ModuleNotFoundError:
        fallback = get_profile(profile).name
        return None, fallback, "scenario support (mockhm.streams.scenario) is not available here"
    loaded = scenario.load_scenario(path)
    name = get_profile(profile if profile is not None else loaded.profile).name
    return ((m.step, m.frames) for m in loaded.messages), name, None


def validate_file(
    path: str | Path,
    *,
    profile: str | Profile | None = None,
    upstream: str | Path | None = None,
    on_result: Callable[[MessageResult], None] | None = None,
) -> ValidationReport:
    """Check every message of a capture (``.jsonl``) or scenario (``.yaml``) file.

    Args:
        path: the file.
        profile: the release profile to check against; default: the capture header's
            ``profile``, else 7.4.
        upstream: a directory of OpenNebula XSDs to check every body against as well.
        on_result: called with each message's result as it is checked (streaming).

    Returns:
        The report: counts, the failures, and file-level errors.
    """
    p = Path(path)
    if p.suffix in SCENARIO_SUFFIXES:
        try:
            messages, name, why = _scenario_messages(p, profile)
        except (ScenarioError, UnknownProfileError, OSError) as err:
            report = ValidationReport(str(p), str(profile or "-"), unit="step")
            report.error = str(err)
            return report
        prof = get_profile(name)
        report = ValidationReport(str(p), prof.name, unit="step")
        if messages is None:
            report.skipped = why
            return report
        source: Iterable[tuple[int, Sequence[bytes] | ScenarioError]] = messages
    else:
        try:
            header = read_header(p)
        except (ScenarioError, OSError) as err:
            report = ValidationReport(str(p), get_profile(profile).name)
            report.error = str(err)
            return report
        try:
            prof = get_profile(profile if profile is not None else header.get("profile"))
        except UnknownProfileError as err:
            report = ValidationReport(str(p), str(header.get("profile")))
            report.error = f"{p}:1: field 'profile': {err}"
            return report
        report = ValidationReport(str(p), prof.name)
        source = _capture_messages(p)
    for lineno, item in source:
        if isinstance(item, ScenarioError):
            result = MessageResult(lineno, "", (Problem("capture", str(item)),))
        else:
            problems = check_frames(item, profile=prof, upstream=upstream)
            result = MessageResult(lineno, _key_text(item), tuple(problems))
        report.add(result)
        if on_result is not None:
            on_result(result)
    return report


__all__ = [
    "MAX_KEPT_FAILURES",
    "MessageResult",
    "ValidationReport",
    "check_frames",
    "validate_file",
]
