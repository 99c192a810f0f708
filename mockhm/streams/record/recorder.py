"""Recording a live Hook Manager to a capture file.

:class:`Recorder` subscribes with a SUB socket and writes one flushed JSON line per message
(:mod:`mockhm.streams.capturefile`), so a Ctrl-C or a crash loses nothing received; bodies are
scrubbed first (:class:`~mockhm.streams.record.scrub.Scrubber`) unless told not to.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import zmq

from mockhm.hookmanager.endpoints import EndpointError, check_endpoint
from mockhm.streams.capturefile import CaptureRecord, CaptureWriter, make_header
from mockhm.streams.record.scrub import Scrubber
from mockhm.wire.errors import InvalidArgumentError, MockHMError
from mockhm.wire.keys import key_filters


@dataclass(frozen=True)
class RecordReport:
    """What a recording wrote."""

    path: Path
    messages: int
    elapsed: float
    scrubbed: dict[str, int]
    ill_formed: int
    unscrubbable: int
    scrub: bool

    def summary(self) -> str:
        """One line for people."""
        text = f"recorded {self.messages} message(s) to {self.path} in {self.elapsed:.1f} s"
        if not self.scrub:
            return text + " (not scrubbed)"
        counts = ", ".join(f"{k} {v}" for k, v in sorted(self.scrubbed.items())) or "nothing"
        text += f"; scrubbed {counts}"
        if self.ill_formed:
            text += f"; {self.ill_formed} ill-formed body(ies) scrubbed as text"
        if self.unscrubbable:
            text += f"; {self.unscrubbable} undecodable message(s) kept as received (NOT scrubbed)"
        return text


class Recorder:
    """Subscribe to a Hook Manager and write every message to a capture file as it arrives.

    Args:
        endpoint: the events endpoint, e.g. ``tcp://127.0.0.1:2101``.
        path: the capture file to write (replaced).
        filters: subscription prefixes (``""`` is everything).
        scrub: scrub bodies before writing (the default).
        profile: the source's release profile, written to the header if known.
        count: stop after this many messages.
        duration: stop after this many seconds.
        keep: records written first (for cassettes that add to an existing capture); new
            offsets continue after the last of them.
        lazy: write the file only once the first message arrives: a recording that received
            nothing leaves an existing file as it was (and writes an empty capture, header
            only, where there was none).
        context: the ``zmq.Context`` (the global instance by default).
    """

    def __init__(
        self,
        endpoint: str,
        path: str | Path,
        *,
        filters: Sequence[str] = ("",),
        scrub: bool = True,
        profile: str | None = None,
        count: int | None = None,
        duration: float | None = None,
        keep: Sequence[CaptureRecord] = (),
        lazy: bool = False,
        context: zmq.Context[zmq.Socket[bytes]] | None = None,
    ) -> None:
        try:
            check_endpoint(endpoint, bind=False)
        except EndpointError as err:
            raise InvalidArgumentError(f"cannot record: {err}") from None
        filters = key_filters(filters)
        bad = [f for f in filters if not isinstance(f, str) or not f.isascii()]
        if bad:
            raise InvalidArgumentError(
                f"filters {bad!r}: a filter is a prefix of an ASCII key such as 'EVENT STATE VM/'"
            )
        if count is not None and count < 1:
            raise InvalidArgumentError(f"count={count!r}; expected 1 or more, or None for no limit")
        if duration is not None and not 0 < duration < float("inf"):
            raise InvalidArgumentError(f"duration={duration!r}; expected seconds > 0, or None for no limit")
        self.endpoint = endpoint
        self.path = Path(path)
        self.filters = tuple(filters) or ("",)
        self.scrubber: Scrubber | None = Scrubber() if scrub else None
        self.profile = profile
        self.count = count
        self.duration = duration
        self.keep = tuple(keep)
        self.lazy = lazy
        self._ctx = context or zmq.Context.instance()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._report: RecordReport | None = None
        self._error: BaseException | None = None
        self.messages = 0
        #: Set once the SUB socket is connected and subscribed.
        self.subscribed = threading.Event()

    def _open(self, header: dict[str, Any]) -> CaptureWriter:
        out = CaptureWriter(self.path, header)
        for rec in self.keep:
            out.write(rec.frames, rec.t, rec.wall)
        return out

    def stop(self) -> None:
        """Ask the recording to end (it finishes within ~50 ms)."""
        self._stop.set()

    def run(
        self,
        stop: threading.Event | None = None,
        on_message: Callable[[tuple[bytes, ...]], None] | None = None,
    ) -> RecordReport:
        """Record until ``count``, ``duration``, or ``stop`` is set; return what was written."""
        stop = stop or self._stop
        sub = self._ctx.socket(zmq.SUB)
        sub.setsockopt(zmq.LINGER, 0)
        start = time.monotonic()
        try:
            sub.connect(self.endpoint)
            for f in self.filters:
                sub.setsockopt(zmq.SUBSCRIBE, f.encode("ascii"))
            joined = time.time()
            base = self.keep[-1].t if self.keep else 0.0
            header = make_header(
                source=self.endpoint, profile=self.profile, filters=self.filters, joined=joined
            )
            out = None if self.lazy and not self.keep else self._open(header)
            try:
                self.subscribed.set()
                poller = zmq.Poller()
                poller.register(sub, zmq.POLLIN)
                while not stop.is_set() and not self._stop.is_set():
                    if self.count is not None and self.messages >= self.count:
                        break
                    now = time.monotonic()
                    if self.duration is not None and now - start >= self.duration:
                        break
                    if not poller.poll(50):
                        continue
                    while True:
                        try:
                            frames = tuple(sub.recv_multipart(zmq.NOBLOCK))
                        except zmq.Again:
                            break
                        t = time.monotonic() - start
                        if self.scrubber is not None:
                            frames = self.scrubber.scrub(frames)
                        if out is None:
                            out = self._open(header)
                        out.write(frames, base + t, time.time())
                        self.messages += 1
                        if on_message is not None:
                            on_message(frames)
                        if self.count is not None and self.messages >= self.count:
                            break
                if out is None and not self.path.exists():
                    out = self._open(header)  # nothing received: an empty capture, header only
            finally:
                if out is not None:
                    out.close()
        finally:
            sub.close(0)
        s = self.scrubber
        self._report = RecordReport(
            self.path,
            self.messages,
            time.monotonic() - start,
            dict(s.counts) if s else {},
            s.ill_formed if s else 0,
            s.unscrubbable if s else 0,
            s is not None,
        )
        return self._report

    def start(self) -> Recorder:
        """Record in a background thread; returns once subscribed (see :meth:`finish`)."""

        def target() -> None:
            try:
                self.run()
            except BaseException as err:  # reported by finish()
                self._error = err
                self.subscribed.set()

        self._thread = threading.Thread(target=target, name="mockhm-recorder", daemon=True)
        self._thread.start()
        self.subscribed.wait(10)
        return self

    def finish(self, timeout: float = 5.0) -> RecordReport:
        """Stop a background recording and return its report."""
        self.stop()
        if self._thread is not None:
            self._thread.join(timeout)
        if self._error is not None:
            raise self._error
        if self._report is None:
            raise MockHMError(f"the recorder of {self.endpoint} did not stop within {timeout} s")
        return self._report


def record(
    endpoint: str,
    path: str | Path,
    *,
    filters: Sequence[str] = ("",),
    scrub: bool = True,
    count: int | None = None,
    duration: float | None = None,
    stop: threading.Event | None = None,
    profile: str | None = None,
    on_message: Callable[[tuple[bytes, ...]], None] | None = None,
) -> RecordReport:
    """Record ``endpoint`` to ``path`` until ``count`` messages, ``duration`` seconds or ``stop``."""
    rec = Recorder(
        endpoint, path, filters=filters, scrub=scrub, count=count, duration=duration, profile=profile
    )
    return rec.run(stop, on_message)
