"""Cassettes for the plugin: replay a test's recorded stream, or record it from a live Hook Manager.

The record modes are pytest-recording's (see :class:`mockhm.streams.record.Cassette`); the mode
follows the plugin's one precedence order (marker > ``--hm-record-mode`` >
``MOCKHM_RECORD_MODE`` > ``hm_record_mode`` > ``none``).

Replay never starts on its own: a PUB stream sent before the test's subscriber is connected
is lost, so the test calls :meth:`CassetteFixture.play` after ``wait_for_subscribers``.  While
recording, the recorder subscribes to the live endpoint before the test body starts and keeps
everything it receives until teardown; ``play()`` then forwards what was recorded so far, and
everything recorded afterwards, into the test's ``hookmanager``, so the same test code runs
against a live stream and against its cassette.

Nothing here imports pyzmq or lxml at module level.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import pytest

from ._settings import Settings

if TYPE_CHECKING:
    from mockhm.streams.record import CassettePlan, Recorder, RecordReport
    from mockhm.streams.replay import ReplayReport
    from mockhm.streams.sources import ReplaySource

    from ._fixture import HookManagerFixture

#: Arguments of ``@pytest.mark.hookmanager_cassette``.
MARKER_KWARGS: Final[frozenset[str]] = frozenset({"name", "mode", "filters", "count", "duration", "timeout"})
#: Seconds ``play()`` waits for ``count`` messages to be recorded unless the marker says ``timeout=``.
DEFAULT_RECORD_TIMEOUT: Final[float] = 30.0
_UNSAFE = re.compile(r"[^\w.\-\[\]=,+@]")


def cassette_path(item: pytest.Item, settings: Settings, name: str | None = None) -> Path:
    """``<cassette dir>/<test module name>/<Class.>test_name.jsonl``, unsafe characters as ``-``.

    Args:
        item: the test.
        settings: the test's settings (``cassette_dir`` ``None`` means ``cassettes/`` next to
            the test module).
        name: the marker's cassette name instead of ``<Class.>test_name`` (``.jsonl`` added
            unless it ends so).
    """
    module = item.path.stem
    base = settings.cassette_dir if settings.cassette_dir is not None else item.path.parent / "cassettes"
    if name is None:
        cls = getattr(item, "cls", None)
        name = f"{cls.__name__}.{item.name}" if cls is not None else item.name
    stem = _UNSAFE.sub("-", name)
    if not stem.endswith((".jsonl", ".ndjson")):
        stem += ".jsonl"
    return base / module / stem


def marker_options(item: pytest.Item) -> dict[str, Any]:
    """The ``hookmanager_cassette`` marker's arguments (``{}`` without the marker)."""
    marker = item.get_closest_marker("hookmanager_cassette")
    if marker is None:
        return {}
    if len(marker.args) > 1:
        pytest.fail(
            f"@pytest.mark.hookmanager_cassette takes at most one positional argument (the name), "
            f"got {marker.args!r}",
            pytrace=False,
        )
    unknown = sorted(set(marker.kwargs) - MARKER_KWARGS)
    if unknown:
        pytest.fail(
            f"@pytest.mark.hookmanager_cassette: unknown argument(s) {unknown}; "
            f"allowed: {sorted(MARKER_KWARGS)}",
            pytrace=False,
        )
    options = dict(marker.kwargs)
    if marker.args:
        options["name"] = marker.args[0]
    for name, kind in (("count", int), ("duration", float), ("timeout", float)):
        value = options.get(name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
            pytest.fail(
                f"@pytest.mark.hookmanager_cassette({name}={value!r}): expected a positive number "
                f"({'messages' if name == 'count' else 'seconds'})",
                pytrace=False,
            )
        if kind is int and not isinstance(value, int):
            pytest.fail(
                f"@pytest.mark.hookmanager_cassette(count={value!r}): expected a whole number of messages",
                pytrace=False,
            )
    return options


class CassetteFixture:
    """One test's cassette: what it replays, what it records, and :meth:`play`.

    While recording, the marker's ``count=`` or ``duration=`` says when the recording is
    complete: :meth:`play` then forwards the live messages into the test's ``hookmanager`` and
    returns once that many were recorded (or that many seconds passed since the recording
    started at the test's setup), so the test body is the same code whether it replays or
    records, and never branches on :attr:`recording`.  The cassette's header records the
    test's release profile.

    Attributes:
        path: the cassette file.
        mode: the record mode in force.
        mode_source: where the mode came from (``marker``, ``cli``, ``env``, ``ini``, ``default``).
        endpoint: the live Hook Manager recorded from (``None`` when not recording).
        count: stop recording after this many messages (marker ``count=``), or ``None``.
        duration: stop recording after this many seconds (marker ``duration=``), or ``None``.
        plan: what :meth:`mockhm.Cassette.decide` chose.
    """

    def __init__(
        self,
        hookmanager: HookManagerFixture,
        path: Path,
        settings: Settings,
        filters: Sequence[str] = ("",),
        *,
        count: int | None = None,
        duration: float | None = None,
        timeout: float | None = None,
    ) -> None:
        from mockhm.streams.record import Cassette, CassetteError
        from mockhm.wire.errors import MockHMError, ScenarioNotFoundError

        self.path = path
        self.mode = settings.record_mode
        self.mode_source = settings.source("record_mode")
        self.endpoint = settings.record_from
        self.filters = tuple(filters) or ("",)
        self.count = count
        self.duration = duration
        self.timeout = DEFAULT_RECORD_TIMEOUT if timeout is None else timeout
        self.profile = settings.profile
        self._hookmanager = hookmanager
        self._lock = threading.Lock()
        self._forwarding = False
        self._recorded: list[tuple[bytes, ...]] = []
        self._arrived = threading.Condition(self._lock)
        self._source: ReplaySource | None = None
        self._recorder: Recorder | None = None
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self._report: RecordReport | None = None
        self.replayed: ReplayReport | None = None
        cassette = Cassette(path, self.mode, self.endpoint, self.filters)
        problem = None
        try:
            self.plan: CassettePlan = cassette.decide()
            if self.plan.replay:
                from mockhm.streams.sources import load_capture

                self._source = load_capture(path)
        except ScenarioNotFoundError:
            # The marker outranks the command line: advise changing what actually decided.
            how = (
                'change the marker to @pytest.mark.hookmanager_cassette(mode="once") (a marker\'s mode '
                "beats --hm-record-mode)"
                if self.mode_source == "marker"
                else "record it once with --hm-record-mode=once (or MOCKHM_RECORD_MODE, hm_record_mode)"
            )
            problem = (
                f"cassette {path} does not exist and record mode 'none' (from {self.mode_source}) never "
                f"records; {how} and a live Hook Manager named by --hm-record-from"
            )
        except CassetteError:
            state = "exists" if path.is_file() else "does not exist"
            problem = (
                f"cassette {path} {state} and record mode {self.mode!r} (from {self.mode_source}) needs "
                "to record, but no live Hook Manager was named: set --hm-record-from, "
                "MOCKHM_RECORD_FROM or hm_record_from"
            )
        except MockHMError as err:
            problem = self._describe(str(err))
        if problem is not None:
            pytest.fail(problem, pytrace=False)
        if not self.plan.record:
            self.endpoint = None
            return
        self._start_recording()

    # -- recording -------------------------------------------------------------------------

    def _describe(self, text: str) -> str:
        state = "exists" if self.path.is_file() else "does not exist"
        return f"cassette {self.path} ({state}), record mode {self.mode!r} from {self.mode_source}: {text}"

    def _on_message(self, frames: tuple[bytes, ...]) -> None:
        with self._lock:
            self._recorded.append(frames)
            self._arrived.notify_all()
            if self._forwarding:
                self._hookmanager.hm.send_frames(frames)

    def _start_recording(self) -> None:
        from mockhm.streams.capturefile import read_capture
        from mockhm.streams.record import Recorder

        assert self.endpoint is not None
        keep = [rec for _line, rec in read_capture(self.path)[1]] if self.plan.append else []
        self.path.parent.mkdir(parents=True, exist_ok=True)
        recorder = Recorder(
            self.endpoint, self.path, filters=self.filters, keep=keep, profile=self.profile,
            count=self.count, duration=self.duration,
        )  # fmt: skip
        self._recorder = recorder

        def target() -> None:
            try:
                self._report = recorder.run(on_message=self._on_message)
            except BaseException as err:  # reported at setup or teardown
                self._error = err
                recorder.subscribed.set()

        self._thread = threading.Thread(target=target, name=f"mockhm-cassette {self.path.name}", daemon=True)
        self._thread.start()
        if not recorder.subscribed.wait(10) or self._error is not None:
            self.finish()

    @property
    def recording(self) -> bool:
        """``True`` while this test records from the live Hook Manager."""
        return self._recorder is not None

    @property
    def replaying(self) -> bool:
        """``True`` when :meth:`play` replays the cassette's existing messages."""
        return self._source is not None

    @property
    def recorded(self) -> list[tuple[bytes, ...]]:
        """The messages recorded during this test so far (after scrubbing), in order."""
        with self._lock:
            return list(self._recorded)

    def wait_recorded(self, count: int, *, timeout: float = 5.0) -> list[tuple[bytes, ...]]:
        """Block until ``count`` messages were recorded during this test; return them.

        Raises:
            TimeoutError: fewer arrived within ``timeout`` seconds (names the endpoint).
        """
        deadline = time.monotonic() + timeout
        with self._lock:
            while len(self._recorded) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not self.recording:
                    raise TimeoutError(
                        self._describe(
                            f"recorded {len(self._recorded)} of {count} message(s) from {self.endpoint} "
                            f"within {timeout} s"
                        )
                    )
                self._arrived.wait(remaining)
            return list(self._recorded)

    # -- playing ---------------------------------------------------------------------------

    def play(self, *, speed: float | None = None, **kwargs: Any) -> ReplayReport | None:
        """Send the test's stream into ``hookmanager``; call it once subscribers are ready.

        Replays the cassette's existing messages (modes ``none``, ``once`` with a cassette,
        ``new_episodes``) on their recorded schedule, then, while recording, forwards the
        messages recorded so far and every later one as it arrives, in order.  With the
        marker's ``count=`` or ``duration=`` it returns once the recording is complete (the
        cassette is then written); without, recording goes on until the test ends.

        Args:
            speed: time scale of the replay (``math.inf``: as fast as possible); real time by default.
            **kwargs: passed on to :func:`mockhm.replay` (``max_gap``, ``filters``, ...).

        Returns:
            The replay's report, or ``None`` when there was nothing to replay.
        """
        from mockhm.streams.replay import replay

        if speed is not None:
            kwargs["speed"] = speed
        kwargs.setdefault("echo", None)
        if self._source is not None:
            self.replayed = replay(self._source, self._hookmanager.hm, **kwargs)
        with self._lock:
            if self.recording and not self._forwarding:
                for frames in self._recorded:
                    self._hookmanager.hm.send_frames(frames)
                self._forwarding = True
        if self.recording and (self.count is not None or self.duration is not None):
            self._until_complete()
        return self.replayed

    def _until_complete(self) -> None:
        """Wait for the recorder to stop on its own (count or duration reached), then finish."""
        thread = self._thread
        assert thread is not None
        limit = self.timeout if self.duration is None else self.duration + self.timeout
        thread.join(limit)
        if thread.is_alive():
            got = len(self.recorded)
            self.finish()
            pytest.fail(
                self._describe(
                    f"recorded {got} of {self.count} message(s) from {self.endpoint} within {limit:g} s; "
                    "is the live Hook Manager publishing what the filters select? (marker timeout= "
                    "waits longer)"
                ),
                pytrace=False,
            )
        self.finish()

    # -- teardown --------------------------------------------------------------------------

    def finish(self) -> RecordReport | None:
        """Stop recording (the cassette is complete on disk); fail the test on a recorder error."""
        recorder, thread = self._recorder, self._thread
        if recorder is None or thread is None:
            return None
        recorder.stop()
        thread.join(5.0)
        with self._lock:
            self._recorder = None
            self._forwarding = False
        problem = None
        if self._error is not None:
            problem = f"recording from {self.endpoint} failed: {self._error!r}"
        elif thread.is_alive():
            problem = f"the recorder of {self.endpoint} did not stop within 5 s"
        if problem is not None:
            pytest.fail(self._describe(problem), pytrace=False)
        return self._report

    def __repr__(self) -> str:
        return f"<CassetteFixture {self.path} mode={self.mode} ({self.mode_source}) {self.plan.reason}>"
