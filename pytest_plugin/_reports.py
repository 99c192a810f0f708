"""Reports the ``hookmanager`` fixture expects and captures: :class:`ReportExpectation` (from
``expect_report``) and :class:`CapHookReports` (the ``caphookreports`` fixture).

Nothing here imports pyzmq or lxml at module level.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from mockhm import HookManager, HookReport


class ReportSource(Protocol):
    """What :class:`CapHookReports` needs of the ``hookmanager`` fixture."""

    @property
    def reports(self) -> list[HookReport]:
        """Reports received so far, oldest first."""
        ...

    def wait_for_report(
        self,
        hook_id: int | None = None,
        *,
        where: Callable[[HookReport], bool] | None = None,
        timeout: float = 5.0,
    ) -> HookReport:
        """Block until a matching report arrived."""
        ...


@dataclass
class ReportExpectation:
    """A report the test expects on the 2102 channel.

    Checked by :meth:`pytest_mockhm.HookManagerFixture.verify`.

    Attributes:
        hook_id: the hook id wanted, or ``None`` for any.
        rc: the return code wanted, or ``None`` for any.
        where: an extra predicate on the :class:`~mockhm.HookReport`.
        count: how many matching reports are wanted (at least).
        deadline: ``time.monotonic()`` by which they must have arrived.
        within: the seconds given to ``expect_report`` (for messages).
        matched: matching reports seen so far (filled by :meth:`wait`).
    """

    hook_id: int | None
    rc: int | None
    where: Callable[[HookReport], bool] | None
    count: int
    deadline: float
    within: float
    matched: list[HookReport] = field(default_factory=list)

    def matches(self, report: HookReport) -> bool:
        """``True`` when ``report`` satisfies this expectation."""
        return report.matches(self.hook_id, self.rc, self.where)

    def describe(self) -> str:
        """``"1 report for hook 3 with rc 0 within 2.0 s"``."""
        hook = "any hook" if self.hook_id is None else f"hook {self.hook_id}"
        rc = "" if self.rc is None else f" with rc {self.rc}"
        where = "" if self.where is None else " matching the where= predicate"
        return f"{self.count} report(s) for {hook}{rc}{where} within {self.within} s"

    def wait(self, hm: HookManager) -> bool:
        """Block until met or the deadline passes; ``True`` if met."""
        from mockhm import ReportTimeoutError

        seen_ids = {id(r) for r in self.matched}
        while len(self.matched) < self.count:
            remaining = self.deadline - time.monotonic()
            try:
                report = hm.wait_for_report(
                    where=lambda r: id(r) not in seen_ids and self.matches(r), timeout=max(remaining, 0.0)
                )
            except ReportTimeoutError:
                return False
            seen_ids.add(id(report))
            self.matched.append(report)
        return True

    @property
    def met(self) -> bool:
        """Whether enough matching reports were seen by the last :meth:`wait`."""
        return len(self.matched) >= self.count


class CapHookReports:
    """What hook executors reported on the 2102 channel during one test (``cap*`` idiom).

    Args:
        fixture: the test's ``hookmanager``.
    """

    def __init__(self, fixture: ReportSource) -> None:
        self._fixture = fixture
        # Cleared reports are kept (not just their ids) so an id cannot be reused meanwhile.
        self._cleared: list[HookReport] = []

    def _is_new(self, report: HookReport) -> bool:
        return all(report is not old for old in self._cleared)

    @property
    def reports(self) -> list[HookReport]:
        """Decoded reports since the test started (or :meth:`clear`)."""
        return [r for r in self._fixture.reports if self._is_new(r)]

    @property
    def results(self) -> list[tuple[int | None, int | None]]:
        """``(hook_id, rc)`` of each report, in arrival order."""
        return [(r.hook_id, r.rc) for r in self.reports]

    @property
    def raw(self) -> list[bytes]:
        """Each request exactly as received."""
        return [r.raw for r in self.reports]

    def clear(self) -> None:
        """Forget what was captured so far."""
        self._cleared.extend(self.reports)

    def wait(
        self, count: int = 1, *, timeout: float = 5.0, where: Callable[[HookReport], bool] | None = None
    ) -> list[HookReport]:
        """Block until ``count`` (matching) reports were captured; return them.

        Raises:
            ReportTimeoutError: fewer arrived within ``timeout`` seconds.
        """
        seen: set[int] = set()
        got: list[HookReport] = []
        deadline = time.monotonic() + timeout
        while len(got) < count:
            report = self._fixture.wait_for_report(
                where=lambda r: id(r) not in seen and self._is_new(r) and (where is None or where(r)),
                timeout=max(deadline - time.monotonic(), 0.0),
            )
            seen.add(id(report))
            got.append(report)
        return got

    def __len__(self) -> int:
        return len(self.reports)

    def __iter__(self) -> Iterator[HookReport]:
        return iter(self.reports)
