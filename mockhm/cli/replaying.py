"""``mockhm serve FILE|NAME``: replay a scenario or capture into a mock Hook Manager."""

from __future__ import annotations

import argparse
import contextlib
import math
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import zmq

from mockhm.cli import EXIT_INTERRUPTED
from mockhm.cli import args as cli_args
from mockhm.hookmanager.manager import HookManager
from mockhm.streams.replay import ReplayReport, replay
from mockhm.streams.sources import ReplaySource, load_source
from mockhm.wire.errors import SubscriberTimeoutError


@contextlib.contextmanager
def streaming(
    stop: threading.Event | None, linger: float, *args: Any, **kwargs: Any
) -> Iterator[HookManager]:
    """A Hook Manager on a ZeroMQ context of its own, for a stream that may end by itself.

    ZeroMQ has no flush: the last messages of a stream may still be queued when it ends.  Unless
    ``stop`` was set (Ctrl-C, SIGTERM: stop at once; ``None``: linger always), closing gives
    them up to ``linger`` seconds to reach the subscribers, and terminating the context waits
    for that.
    """
    ctx: zmq.Context[zmq.Socket[bytes]] = zmq.Context()
    try:
        with HookManager(*args, context=ctx, **kwargs) as hm:
            try:
                yield hm
            finally:
                hm.close(linger=0.0 if stop is not None and stop.is_set() else linger)
    finally:
        ctx.term()


def due_reports(filters: list[str], key: str) -> int:
    """Reports a HEM-style executor sends for a message: one per subscribed filter it matches."""
    return sum(1 for f in filters if f and key.startswith(f) and f.startswith(("EVENT ", "RETRY")))


def drain_reports(hm: HookManager, expected: int, drain: float, stop: threading.Event | None) -> None:
    """Before exiting, wait up to ``drain`` s for the reports still due (issue 10, item 12)."""
    if drain > 0 and expected > hm.statistics().reports:
        print(
            f"  waiting up to {drain:g} s for {expected - hm.statistics().reports} report(s) due…", flush=True
        )
        hm.wait_for_reports(expected, timeout=drain, stop=stop)


def wait_for_subscribers(
    hm: HookManager, count: int, stop: threading.Event, timeout: float | None = None
) -> bool:
    """Wait for ``count`` subscriptions (none if 0); ``False`` if ``stop`` was set first (Ctrl-C).

    Raises:
        SubscriberTimeoutError: not within ``timeout`` seconds (``None``: no limit).
    """
    if not count:
        return True
    limit = "" if timeout is None else f" (up to {timeout:g} s)"
    print(f"  waiting for {count} subscription(s){limit}…", flush=True)
    deadline = None if timeout is None else time.monotonic() + timeout
    while not stop.is_set():
        if deadline is not None and time.monotonic() >= deadline:
            seen = hm.subscriptions
            raise SubscriberTimeoutError(
                f"{count} subscription(s) expected on {hm.events_endpoint} within {timeout:g} s; "
                f"{len(seen)} active: {seen!r}; a subscriber must set its filter and connect before "
                "events are published",
                endpoint=hm.events_endpoint, expected=count, seen=seen,
            )  # fmt: skip
        with contextlib.suppress(TimeoutError):
            hm.wait_for_subscribers(count, timeout=0.5)
            return True
    return False


def _progress(total_hint: str) -> tuple[Callable[[int, int, int], None] | None, Callable[[], None]]:
    """A rich progress bar on a TTY; nothing otherwise."""
    if not sys.stdout.isatty():
        return None, lambda: None
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    bar = Progress(
        TextColumn(f"[bold]{total_hint}[/] loop {{task.fields[loop]}}"), BarColumn(), MofNCompleteColumn(),
        TimeRemainingColumn(),
    )  # fmt: skip
    task = bar.add_task("replay", total=None, loop=1)
    bar.start()

    def update(done: int, total: int, loop: int) -> None:
        bar.update(task, completed=done, total=total, loop=loop)

    return update, bar.stop


def _all_valid(source: ReplaySource, profile: str) -> bool:
    """``--validate``: check every message before anything is bound or sent; say what is wrong."""
    from mockhm.schemas.validation import check_message

    bad = 0
    for message in source.messages:
        problems = check_message(message.frames, profile=profile)
        if problems:
            bad += 1
            where = f"step {message.step}" if message.step else f"message at {message.t:.3f} s"
            for problem in problems:
                print(f"mockhm serve: {source.name}, {where}: {problem.code}: {problem.reason}", flush=True)
    if bad:
        print(f"mockhm serve: {bad} of {len(source.messages)} message(s) invalid; nothing sent", flush=True)
    return bad == 0


def serve_scenario(args: argparse.Namespace, stop: threading.Event) -> int:
    """Load (and check) the scenario or capture, bind, replay it once per --loop, exit."""
    source = load_source(args.scenario)  # raises ScenarioError before anything binds or sends
    if args.filter:
        try:
            filter_pool([m.frames for m in source.messages], args.filter, source.name)
        except FilterError as err:
            print(f"mockhm serve: error: {err}", file=sys.stderr, flush=True)
            return 2
    if args.validate and not _all_valid(source, source.profile or args.profile):
        return 1
    speed = 1.0 if args.speed is None else args.speed
    if speed == 0:  # --speed 0: flat out (0 used to fall back to real time)
        speed = math.inf
    options: dict[str, Any] = {
        "speed": speed,
        "max_gap": getattr(args, "max_gap", None),
        "loop": getattr(args, "loop", 1) or 1,
        "filters": tuple(getattr(args, "filter", None) or ()),
        "count": args.count,
        "stop": stop,
    }
    if getattr(args, "dry_run", False):
        dry = replay(source, None, dry_run=True, **options)
        print(f"mockhm: {dry.summary()}", flush=True)
        return 0
    events, reports = cli_args.serve_endpoints(args)
    profile = source.profile or args.profile
    with streaming(
        stop, args.linger, events, reports,
        profile=profile, hwm=args.hwm, lossless=args.lossless, journal=False,
    ) as hm:  # fmt: skip
        print(
            f"mockhm {hm.profile.name}: replaying {source.name} ({len(source.messages)} message(s)) "
            f"on {hm.events_endpoint}, reports on {hm.reports_endpoint}",
            flush=True,
        )
        for warning in hm.bind_warnings:
            print(f"  WARNING: {warning}", flush=True)
        wait_for_subscribers(hm, args.wait, stop)
        progress, done = _progress(source.name)

        def tick(n: int, total: int, loop: int) -> None:
            if progress is not None:
                progress(n, total, loop)

        try:
            report: ReplayReport = replay(
                source, hm, progress=tick if progress is not None else None, echo=None, **options
            )
        finally:
            done()
        if not stop.is_set():
            filters = hm.subscriptions
            sent = hm.statistics().sent_per_key.items()
            drain_reports(hm, sum(n * due_reports(filters, key) for key, n in sent), args.drain, stop)
        print(f"mockhm: {report.summary()}; {hm.statistics().reports} report(s) received", flush=True)
        hm.check()
    return EXIT_INTERRUPTED if report.stopped else 0  # Ctrl-C or SIGTERM before the end


class FilterError(ValueError):
    """``--filter`` selects no message of the source (a usage error)."""


def filter_pool(
    pool: list[tuple[bytes, ...]], prefixes: list[str], description: str
) -> tuple[list[tuple[bytes, ...]], str]:
    """The messages of ``pool`` whose key starts with one of ``prefixes`` (``--filter``).

    Raises:
        FilterError: none does; the message shows some keys of the source.
    """
    wanted = tuple(p.encode("ascii", "replace") for p in prefixes)
    kept = [frames for frames in pool if frames and frames[0].startswith(wanted)]
    if not kept:
        keys = sorted({f[0].decode("ascii", "replace") for f in pool if f})
        sample = ", ".join(repr(k) for k in keys[:5]) + (", ..." if len(keys) > 5 else "")
        raise FilterError(
            f"--filter {' '.join(map(repr, prefixes))}: no message of {description} has such a key "
            f"(keys include {sample})"
        )
    return kept, f"{description}, keys starting {', '.join(map(repr, prefixes))}"
