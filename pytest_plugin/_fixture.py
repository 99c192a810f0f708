"""What the ``hookmanager`` fixture hands to a test: a :class:`~mockhm.HookManager` plus helpers.

Nothing here imports pyzmq or lxml at module level (``pytest_mockhm`` re-exports these names and
is imported by every pytest run); mockhm itself is imported inside the methods.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ._helpers import FixtureHelpers
from ._nearest import nearest, show
from ._reports import CapHookReports as CapHookReports
from ._reports import ReportExpectation

if TYPE_CHECKING:
    from mockhm import Cloud, HookEvent, HookManager, HookReport, Profile, Statistics
    from mockhm.hookmanager.manager import Publishable

#: Environment variables a subscriber started as a subprocess reads its endpoints from.
EVENTS_ENV = "MOCKHM_EVENTS_ENDPOINT"
REPORTS_ENV = "MOCKHM_REPORTS_ENDPOINT"


def _describe_report(report: HookReport) -> str:
    return f"hook {report.hook_id} rc {report.rc}"


class HookManagerFixture(FixtureHelpers):
    """A started mock Hook Manager for one test, with publishing, waiting and assertion helpers.

    Everything of :class:`mockhm.HookManager` is reachable through :attr:`hm`; the common parts
    are repeated here.  At teardown the plugin calls :meth:`verify` (unless the test is marked
    ``@pytest.mark.hookmanager(verify=False)``) and then :meth:`close`.

    Args:
        hm: the running Hook Manager.
        seed: seed of :attr:`cloud`.
        scenario: a scenario loaded by ``@pytest.mark.hookmanager_scenario``, if any.
        speed: the speed given with that marker.
    """

    def __init__(
        self, hm: HookManager, *, seed: int = 0, scenario: Any = None, speed: float | None = None
    ) -> None:
        self._hm = hm
        self.seed = seed
        #: The scenario loaded by the ``hookmanager_scenario`` marker (``None`` without one).
        self.scenario = scenario
        self.speed = speed
        self._cloud: Cloud | None = None
        self.expectations: list[ReportExpectation] = []
        #: How the plugin finds a scenario by name or file, as the marker does (set by the plugin).
        self._find: Callable[[str], Any] | None = None

    # -- plain access ----------------------------------------------------------------------

    @property
    def hm(self) -> HookManager:
        """The underlying :class:`mockhm.HookManager`."""
        return self._hm

    @property
    def events_endpoint(self) -> str:
        """Where subscribers connect (``tcp://127.0.0.1:<port>``)."""
        return self._hm.events_endpoint

    @property
    def reports_endpoint(self) -> str | None:
        """Where executors report (REQ connects here), or ``None``."""
        return self._hm.reports_endpoint

    @property
    def env(self) -> dict[str, str]:
        """The endpoints as environment variables, for a subscriber run as a subprocess."""
        out = {EVENTS_ENV: self.events_endpoint}
        if self.reports_endpoint is not None:
            out[REPORTS_ENV] = self.reports_endpoint
        return out

    @property
    def profile(self) -> Profile:
        """The release profile of built events."""
        return self._hm.profile

    @property
    def journal(self) -> list[tuple[bytes, ...]]:
        """Every message sent since the test (or :meth:`reset`) started."""
        return self._hm.journal

    @property
    def published_keys(self) -> list[str]:
        """Frame 1 of every message sent, in order."""
        return [m[0].decode("ascii", "replace") if m else "" for m in self._hm.journal]

    @property
    def reports(self) -> list[HookReport]:
        """Reports received on the 2102 channel, in order."""
        return list(self._hm.reports)

    @property
    def subscriptions(self) -> list[str]:
        """What subscribers are subscribed to now: one filter per subscriber and filter."""
        return self._hm.subscriptions

    def statistics(self) -> Statistics:
        """A snapshot of the counters (see :class:`mockhm.Statistics`)."""
        return self._hm.statistics()

    def check(self) -> None:
        """Raise the first error of the I/O thread, if any."""
        self._hm.check()

    def close(self) -> None:
        """Close the sockets (done by the plugin at teardown)."""
        self._hm.close()

    def reset(self) -> None:
        """Forget the journal, counters, reports and expectations (subscriptions stay)."""
        self._hm.reset()
        self.expectations.clear()

    # -- publishing ------------------------------------------------------------------------

    def publish(self, *items: Publishable | Sequence[Publishable]) -> int:
        """Send events, wire messages or raw frame lists; return how many messages went out."""
        return self._hm.publish(*items)

    def publish_api(self, call: str, params: Sequence[Any] = (), **kwargs: Any) -> HookEvent:
        """Build an API event with :func:`mockhm.api_event` in this profile, send it, return it."""
        from mockhm import api_event

        event = api_event(call, params, profile=self.profile, **kwargs)
        self._hm.publish(event)
        return event

    def publish_state(
        self, obj: str, resource_id: int, state: str, lcm_state: str | None = None, **fields: Any
    ) -> HookEvent:
        """Build a STATE event with :func:`mockhm.state_event` in this profile, send it, return it."""
        from mockhm import state_event

        event = state_event(obj, resource_id, state, lcm_state, profile=self.profile, **fields)
        self._hm.publish(event)
        return event

    @property
    def cloud(self) -> Cloud:
        """A :class:`mockhm.Cloud` in this profile seeded with :attr:`seed` (generated, repeatable
        events): ``hookmanager.publish(hookmanager.cloud.vm_allocate())``."""
        if self._cloud is None:
            from mockhm import Cloud

            self._cloud = Cloud(self.profile, seed=self.seed)
        return self._cloud

    def play(self, scenario: Any = None, *, speed: float | None = None, **kwargs: Any) -> Any:
        """Replay a scenario or capture through this Hook Manager and return the replay's result.

        Args:
            scenario: a loaded scenario or capture, a built-in name or a file path, found where
                the ``hookmanager_scenario`` marker looks (``--hm-scenarios-dir``, then beside
                the test, then the current directory and the built-ins); ``None`` plays the
                marker's.
            speed: time scale (2.0 twice as fast); defaults to the marker's, else real time.
            **kwargs: passed on to :func:`mockhm.replay`.
        """
        from mockhm.streams.replay import replay

        chosen = self.scenario if scenario is None else scenario
        if chosen is None:
            raise ValueError(
                "hookmanager.play() needs a scenario: pass one, or mark the test with "
                "@pytest.mark.hookmanager_scenario('name-or-file')"
            )
        if isinstance(chosen, os.PathLike):
            chosen = os.fspath(chosen)
        if isinstance(chosen, str) and self._find is not None:
            chosen = self._find(chosen)
        pace = speed if speed is not None else self.speed
        if pace is not None:
            kwargs["speed"] = pace
        kwargs.setdefault("echo", None)
        return replay(chosen, self._hm, **kwargs)

    # -- expectations and verification -----------------------------------------------------

    def expect_report(
        self,
        hook_id: int | None = None,
        *,
        rc: int | None = None,
        where: Callable[[HookReport], bool] | None = None,
        within: float = 2.0,
        count: int = 1,
    ) -> ReportExpectation:
        """Expect ``count`` reports for ``hook_id`` (with ``rc``) within ``within`` seconds from now.

        Checked by :meth:`verify`, which the plugin calls at teardown: the test fails with the
        nearest reports seen if the expectation is not met by its deadline.
        """
        expectation = ReportExpectation(hook_id, rc, where, count, time.monotonic() + within, within)
        self.expectations.append(expectation)
        return expectation

    def _problems(self, waiter: Callable[[ReportExpectation], bool]) -> list[str]:
        problems: list[str] = []
        problems.extend(f"error in the mock Hook Manager's I/O thread: {e!r}" for e in self._hm.errors)
        reports = [_describe_report(r) for r in self._hm.reports]
        for expectation in self.expectations:
            if not waiter(expectation):
                wanted = f"hook {expectation.hook_id} rc {expectation.rc}"
                problems.append(
                    f"expected {expectation.describe()}, got {len(expectation.matched)}; "
                    f"reports seen on {self.reports_endpoint}: "
                    f"{show(nearest(wanted, reports), len(reports))}"
                )
        return problems

    def verify(self) -> None:
        """Wait for unmet expectations up to their deadlines, then fail on any problem.

        Raises:
            AssertionError: unmet report expectations or errors of the I/O thread, all listed.
        """
        problems = self._problems(lambda e: e.wait(self._hm))
        if problems:
            raise AssertionError("mock Hook Manager verification failed:\n  " + "\n  ".join(problems))

    async def verify_async(self) -> None:
        """Awaitable :meth:`verify`."""
        from mockhm import aio

        await aio.run_sync(self.verify)

    @contextlib.contextmanager
    def example(self) -> Iterator[HookManagerFixture]:
        """Per-example isolation for Hypothesis ``@given`` tests: reset, run, verify.

        ``with hookmanager.example(): ...`` forgets what earlier examples published and were
        reported, and verifies this example's expectations when the block ends without error.
        """
        self.reset()
        yield self
        self.verify()

    # -- assertions ------------------------------------------------------------------------

    def assert_published(self, prefix: str, *, count: int | None = None) -> None:
        """Assert a message (exactly ``count`` messages, if given) with a key starting ``prefix`` was sent."""
        keys = self.published_keys
        hits = sum(1 for k in keys if k.startswith(prefix))
        if (count is None and hits) or (count is not None and hits == count):
            return
        distinct = sorted(set(keys))
        wanted = "a message" if count is None else f"{count} message(s)"
        raise AssertionError(
            f"expected {wanted} with a key starting {prefix!r}, {hits} sent; "
            f"nearest keys sent: {show(nearest(prefix, distinct), len(distinct))} "
            f"({len(keys)} message(s) in total)"
        )

    def assert_not_published(self, prefix: str) -> None:
        """Assert no message with a key starting ``prefix`` was sent."""
        hits = [k for k in self.published_keys if k.startswith(prefix)]
        if hits:
            raise AssertionError(
                f"expected no message with a key starting {prefix!r}, {len(hits)} sent: "
                f"{show(sorted(set(hits))[:5], len(set(hits)))}"
            )

    def assert_subscribed(self, prefix: str, *, exact: bool = False, within: float = 0.0) -> None:
        """Assert a subscriber would receive keys starting ``prefix`` (or has that exact filter).

        Args:
            prefix: a key prefix, such as ``"EVENT STATE VM/ACTIVE/RUNNING"``.
            exact: require a filter equal to ``prefix`` instead of one that covers it.
            within: wait up to this many seconds for the subscription to arrive.
        """
        deadline = time.monotonic() + within
        while True:
            subs = self.subscriptions
            if any(s == prefix if exact else prefix.startswith(s) for s in subs):
                return
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            with contextlib.suppress(TimeoutError):
                self._hm.wait_for_subscribers(len(subs) + 1, timeout=remaining)
        distinct = sorted(set(subs))
        how = "the filter" if exact else "a filter covering"
        raise AssertionError(
            f"expected {how} {prefix!r} among the subscriptions on {self.events_endpoint}; "
            f"nearest filters: {show(nearest(prefix, distinct), len(distinct))}"
        )

    def assert_reported(self, hook_id: int | None = None, *, rc: int | None = None) -> HookReport:
        """Assert a report for ``hook_id`` (with ``rc``) has arrived; return the first such."""
        for report in self._hm.reports:
            if report.matches(hook_id, rc):
                return report
        seen = [_describe_report(r) for r in self._hm.reports]
        raise AssertionError(
            f"expected a report for hook {hook_id} with rc {rc} on {self.reports_endpoint}; "
            f"nearest reports seen: {show(nearest(f'hook {hook_id} rc {rc}', seen), len(seen))}"
        )

    def __repr__(self) -> str:
        return (
            f"<HookManagerFixture events={self.events_endpoint} reports={self.reports_endpoint} "
            f"profile={self.profile.name}>"
        )


def hookmanager_kwargs(overrides: Mapping[str, Any]) -> dict[str, Any]:
    """The :class:`~mockhm.HookManager` keyword arguments among marker/factory ``overrides``."""
    return {k: v for k, v in overrides.items() if k in {"lossless", "hwm", "ack", "journal"}}
