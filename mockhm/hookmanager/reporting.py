"""The 2102 channel of the Hook Manager: reports recorded, listeners told, ``ACK`` answered.

Mixed into :class:`~mockhm.HookManager`, whose I/O thread calls :meth:`ReportChannel._serve_report`
whenever its REP socket is readable.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import zmq

from mockhm.hookmanager.waits import seconds
from mockhm.wire.reports import HookReport, parse_report

log = logging.getLogger("mockhm")


class ReportChannel:
    """The reports half of :class:`~mockhm.HookManager` (a mixin; see there)."""

    ack: bytes | None
    keep_reports: int | None
    reports: list[HookReport]
    report_times: list[int]
    _lock: threading.Lock
    _cond: threading.Condition
    _closed: bool
    _errors: list[BaseException]
    _report_listeners: list[Callable[[HookReport], None]]
    _reports_total: int
    _reports_n: int

    def add_report_listener(self, listener: Callable[[HookReport], None]) -> Callable[[], None]:
        """Call ``listener(report)`` for every report from now on; returns a function removing it.

        The listener runs on the I/O thread after the report is recorded and before the ``ACK``
        goes back, so an executor that has its ``ACK`` knows its report was applied (the mock
        front-end feeds its hook log this way).  A listener's exception is kept for
        :meth:`check`; it neither stops the thread nor the ``ACK``.
        """
        with self._lock:
            self._report_listeners.append(listener)

        def remove() -> None:
            with self._lock:
                if listener in self._report_listeners:
                    self._report_listeners.remove(listener)

        return remove

    def wait_for_reports(
        self, count: int, *, timeout: float = 5.0, stop: threading.Event | None = None
    ) -> int:
        """Block until ``count`` reports in all have arrived, ``timeout`` passed or ``stop`` is set;
        return how many arrived (never raises: a drain before exiting)."""
        deadline = time.monotonic() + seconds("timeout", timeout)
        with self._cond:
            while self._reports_total < count and not self._closed and not (stop and stop.is_set()):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._cond.wait(min(remaining, 0.1))
            return self._reports_total

    def _reports_ever(self) -> int:
        return self._reports_n

    def _notify(self, listener: Callable[[HookReport], None], report: HookReport) -> None:
        try:
            listener(report)
        except Exception as err:  # a listener's bug is reported through check(), not fatal
            log.exception("report listener %r failed", listener)
            self._errors.append(err)

    def _serve_report(self, rep: zmq.Socket[bytes]) -> bool:
        """Answer one queued report; ``False`` when none is waiting (or no ACK is sent)."""
        try:
            frames = rep.recv_multipart(zmq.NOBLOCK)
        except zmq.Again:
            return False
        received = time.monotonic_ns()
        # one_hm acknowledges before it processes (§3.5); the mock records first, which no
        # client can tell apart, so a report is readable as soon as its ACK has arrived.
        report = parse_report(b" ".join(frames))
        with self._cond:
            self.reports.append(report)
            self.report_times.append(received)
            self._reports_total += 1
            self._reports_n += 1
            keep = self.keep_reports
            if keep is not None and len(self.reports) > keep:
                del self.reports[:-keep], self.report_times[:-keep]
            self._cond.notify_all()
            listeners = list(self._report_listeners) if self._report_listeners else ()
        for listener in listeners:  # before the ACK: the report is applied once the executor hears ACK
            self._notify(listener, report)
        if self.ack is not None:
            rep.send(self.ack)
        log.info(
            "report: hook %s rc %s%s", report.hook_id, report.rc, f" ({report.error})" if report.error else ""
        )
        return self.ack is not None
