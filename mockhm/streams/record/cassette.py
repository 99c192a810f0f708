"""Cassettes: whether a test replays a capture or records one from a live Hook Manager, in
pytest-recording's words (``none``, ``once``, ``new_episodes``, ``all``, ``rewrite``)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from mockhm.streams.capturefile import CaptureRecord, read_capture
from mockhm.streams.record.recorder import Recorder, RecordReport
from mockhm.wire.errors import MockHMError, ScenarioNotFoundError

if TYPE_CHECKING:
    from mockhm.hookmanager.manager import HookManager
    from mockhm.streams.replay import ReplayReport


#: Record modes, in pytest-recording's words.
RECORD_MODES: Final[tuple[str, ...]] = ("none", "once", "new_episodes", "all", "rewrite")


@dataclass(frozen=True)
class CassettePlan:
    """What a cassette will do: replay the existing capture, record, or both."""

    replay: bool
    record: bool
    append: bool
    reason: str


class CassetteError(MockHMError, ValueError):
    """A cassette that cannot be used in its mode; names the path, the mode and whether it exists."""


@dataclass
class Cassette:
    """A capture file used by one test: replayed, recorded from a live Hook Manager, or both.

    Modes (pytest-recording's words):

    * ``none`` (default): replay only; a missing cassette is an error, nothing is recorded.
    * ``once``: replay if the file exists, else record it from ``endpoint``.
    * ``new_episodes``: replay what is there, and record new messages after it.
    * ``all``: record (never replay), keeping what the file already has before the new messages.
    * ``rewrite``: record from scratch, replacing the file.

    Args:
        path: the capture file.
        mode: one of :data:`RECORD_MODES`.
        endpoint: the live Hook Manager's events endpoint (needed to record).
        filters: subscription prefixes while recording.
        scrub: scrub recorded bodies (default).
    """

    path: Path
    """The capture file."""
    mode: str = "none"
    """The record mode (see above)."""
    endpoint: str | None = None
    """The live Hook Manager's events endpoint (needed to record)."""
    filters: Sequence[str] = ("",)
    """Subscription prefixes while recording."""
    scrub: bool = True
    """Scrub recorded bodies (the default)."""
    recorder: Recorder | None = None
    """The running recorder while :meth:`start` records, else ``None``."""
    last_replay: ReplayReport | None = None
    """What the last :meth:`start` replayed, if it replayed."""

    def __post_init__(self) -> None:
        self.path = Path(self.path)
        if self.mode not in RECORD_MODES:
            raise CassetteError(
                f"unknown record mode {self.mode!r} for cassette {self.path}; "
                f"expected one of {', '.join(RECORD_MODES)}"
            )

    def decide(self) -> CassettePlan:
        """What this cassette will do now, given its mode and whether its file exists."""
        exists = self.path.is_file()
        state = "exists" if exists else "does not exist"
        mode = self.mode
        if mode == "none":
            if not exists:
                raise ScenarioNotFoundError(
                    f"cassette {self.path} does not exist and the record mode is 'none', which never "
                    "records; record it once with record mode 'once' and a live Hook Manager",
                    path=str(self.path),
                )
            return CassettePlan(True, False, False, f"mode 'none': cassette {state}, replaying it")
        if mode == "once":
            if exists:
                return CassettePlan(True, False, False, f"mode 'once': cassette {state}, replaying it")
            plan = CassettePlan(False, True, False, f"mode 'once': cassette {state}, recording it")
        elif mode == "new_episodes":
            plan = CassettePlan(exists, True, exists, f"mode 'new_episodes': cassette {state}")
        elif mode == "all":
            plan = CassettePlan(False, True, exists, f"mode 'all': cassette {state}, recording (appending)")
        else:
            plan = CassettePlan(
                False, True, False, f"mode 'rewrite': cassette {state}, recording from scratch"
            )
        if self.endpoint is None:
            raise CassetteError(
                f"cassette {self.path} {state} and record mode {mode!r} needs to record, but no live "
                "Hook Manager endpoint was given"
            )
        return plan

    def start(self, hookmanager: HookManager | None = None, **replay_options: Any) -> CassettePlan:
        """Replay into ``hookmanager`` if the plan says so, then start recording if it says so.

        The replay starts at once: pass ``wait=N`` (a :func:`mockhm.replay` option) so
        that it first waits for N subscriptions, since a PUB stream sent earlier is lost.  The
        pytest plugin instead replays when the test calls ``hookmanager_cassette.play()``.
        """
        plan = self.decide()
        if plan.replay:
            if hookmanager is None:
                raise CassetteError(f"cassette {self.path} (mode {self.mode!r}) replays: pass a HookManager")
            self.last_replay = self.replay(hookmanager, **replay_options)
        if plan.record:
            assert self.endpoint is not None
            keep: list[CaptureRecord] = []
            if plan.append:
                _header, records = read_capture(self.path)
                keep = [r for _line, r in records]
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.recorder = Recorder(
                self.endpoint, self.path, filters=self.filters, scrub=self.scrub, keep=keep
            ).start()
        return plan

    def replay(self, hookmanager: HookManager, **options: Any) -> ReplayReport:
        """Replay the cassette (in file order) into ``hookmanager``; see :func:`mockhm.replay`."""
        from mockhm.streams.replay import replay

        options.setdefault("echo", None)
        return replay(self.path, hookmanager, **options)

    def stop(self) -> RecordReport | None:
        """End a recording started by :meth:`start` (nothing to do if it only replayed)."""
        if self.recorder is None:
            return None
        report = self.recorder.finish()
        self.recorder = None
        return report

    @contextlib.contextmanager
    def use(self, hookmanager: HookManager | None = None, **replay_options: Any) -> Iterator[CassettePlan]:
        """``with cassette.use(hm) as plan:`` replays and/or records around the block."""
        plan = self.start(hookmanager, **replay_options)
        try:
            yield plan
        finally:
            self.stop()
