"""``mockhm serve``: a mock Hook Manager streaming the built-in story (or a scenario)."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from types import FrameType

from mockhm.cli import EXIT_INTERRUPTED
from mockhm.cli import args as cli_args
from mockhm.cli import frontend as oned_cli
from mockhm.cli.live import objects_by_state, watching
from mockhm.cli.replaying import drain_reports, due_reports, serve_scenario, streaming, wait_for_subscribers
from mockhm.frontend.frontend import FrontEnd
from mockhm.hookmanager.manager import HookManager
from mockhm.oned.cloud import Cloud, CloudError
from mockhm.oned.story import last_execution, mixed_day
from mockhm.wire.errors import MockHMError
from mockhm.wire.message import HookEvent
from mockhm.wire.profiles import PROFILES


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``serve`` parser."""
    p = sub.add_parser(
        "serve",
        help="run a mock Hook Manager on 2101/2102 and oned's XML-RPC API on 2633 (the default command)",
        description="Bind the events (PUB) and reports (REP) sockets like one_hm, start a mock oned "
        "XML-RPC front-end on the same state, and stream the built-in mixed-day story in a loop at a "
        "human pace (or nothing: --idle), or a scenario/capture given by name or file.",
    )
    p.add_argument(
        "scenario",
        nargs="?",
        help="scenario or capture to replay (name or file); default: the built-in story",
    )
    p.add_argument(
        "-b",
        "--bind",
        default="127.0.0.1",
        type=cli_args.address,
        help="address to bind, like one_hm -b (default 127.0.0.1)",
    )
    p.add_argument(
        "-p",
        "--publisher-port",
        default="2101",
        type=cli_args.port,
        help="events port, like one_hm -p (default 2101; * for any)",
    )
    p.add_argument(
        "-l",
        "--logger-port",
        default="2102",
        type=cli_args.port,
        help="reports port, like one_hm -l (default 2102; * for any)",
    )
    p.add_argument(
        "--events",
        metavar="ENDPOINT",
        type=cli_args.bind_endpoint,
        help="events endpoint (overrides -b/-p), e.g. ipc:///tmp/hm.sock",
    )
    p.add_argument(
        "--reports",
        metavar="ENDPOINT",
        type=cli_args.bind_endpoint,
        help="reports endpoint (overrides -b/-l)",
    )
    p.add_argument(
        "--profile",
        default="7.4",
        type=cli_args.profile,
        help=f"OpenNebula release to imitate: {', '.join(PROFILES)} (default 7.4)",
    )
    p.add_argument(
        "--rate",
        type=cli_args.rate,
        default=2.0,
        help="messages per second of the built-in story (default 2; 0 = as fast as possible); "
        "a scenario or capture keeps its own timing (see --speed)",
    )
    p.add_argument(
        "--count",
        type=cli_args.integer(0),
        default=None,
        help="stop after this many messages (default: until stopped, or the end of a scenario)",
    )
    p.add_argument(
        "--seed",
        type=cli_args.integer(None),
        default=0,
        help="seed for names, addresses and timings (default 0)",
    )
    p.add_argument(
        "--hwm",
        type=cli_args.integer(0),
        default=None,
        help="SNDHWM, like one_hm --hwm (default: libzmq's 1000)",
    )
    p.add_argument(
        "--lossless", action="store_true", help="refuse (and count) sends at the HWM instead of dropping"
    )
    p.add_argument(
        "--validate",
        action="store_true",
        help="validate every body against mockhm's schemas (a scenario or capture: all of it, "
        "before anything is sent)",
    )
    p.add_argument(
        "--wait",
        type=cli_args.integer(0),
        default=0,
        metavar="N",
        help="wait for N subscriptions before streaming",
    )
    p.add_argument("--quiet", action="store_true", help="do not log each message")
    p.add_argument(
        "--drain", type=cli_args.seconds, default=5.0, metavar="S",
        help="after --count messages, wait up to S seconds for the hook reports still due: one per "
        "message and subscribed filter it matches (default 5; 0: exit at once)",
    )  # fmt: skip
    p.add_argument(
        "--linger", type=cli_args.seconds, default=5.0, metavar="S",
        help="when the stream ends by itself (--count, the end of a scenario), give the messages "
        "still queued up to S seconds to reach the subscribers (default 5; 0: drop them); Ctrl-C "
        "and SIGTERM stop at once. ZeroMQ has no flush: a subscriber reading slowly at that moment "
        "may still miss the last few",
    )  # fmt: skip
    p.add_argument(
        "--keep-reports", type=cli_args.integer(1), default=1000, metavar="N",
        help="keep the latest N reports in memory (all are counted; default 1000)",
    )  # fmt: skip
    oned_cli.add_options(p)
    _replay_options(p)
    p.set_defaults(func=run, parser=p)


def _replay_options(p: argparse.ArgumentParser) -> None:
    """Options of a scenario/capture replay (issue 6)."""
    g = p.add_argument_group("replaying a scenario or capture")
    g.add_argument(
        "--speed", type=cli_args.speed, default=1.0, help="replay speed factor (default 1; 0 = flat out)"
    )
    g.add_argument(
        "--max-gap", type=cli_args.seconds, default=None, metavar="S", help="clamp pauses to S seconds"
    )
    g.add_argument(
        "--loop", type=cli_args.integer(1), default=1, metavar="N", help="play N times, fresh ids per loop"
    )
    g.add_argument(
        "--filter",
        action="append",
        default=None,
        metavar="PREFIX",
        type=cli_args.key_filter,
        help="send only keys with this prefix",
    )
    g.add_argument("--dry-run", action="store_true", help="print what would be sent, send nothing")


def _check_story_options(p: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Usage errors (exit 2) for replay options without a scenario, and --count with --idle:
    they would be ignored (``--dry-run`` of the story sent for real)."""
    if not args.scenario:
        given = [
            name
            for name, on in (
                ("--dry-run", args.dry_run),
                ("--filter", args.filter),
                ("--speed", args.speed != 1.0),
                ("--max-gap", args.max_gap is not None),
                ("--loop", args.loop != 1),
            )
            if on
        ]
        if given:
            p.error(
                f"{', '.join(given)}: only for replaying a scenario or capture (mockhm serve "
                "SCENARIO ...); the built-in story streams live, paced by --rate"
            )
    if args.idle and args.count is not None:
        p.error(
            "--count: with --idle only what API clients cause is published, until stopped; drop one of them"
        )


def run(args: argparse.Namespace) -> int:
    """Serve until ``--count`` messages were sent, or Ctrl-C / SIGTERM."""
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        del frame
        stop.set()

    if getattr(args, "parser", None) is not None:
        oned_cli.check_options(args.parser, args)
        _check_story_options(args.parser, args)
        problem = cli_args.same_endpoints(*cli_args.serve_endpoints(args))
        if problem:
            args.parser.error(problem)
    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        return _serve(args, stop)
    except MockHMError as err:
        print(f"mockhm serve: {err}", file=sys.stderr, flush=True)
        return 1
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def _serve(args: argparse.Namespace, stop: threading.Event) -> int:
    if args.scenario:
        return serve_scenario(args, stop)
    events, reports = cli_args.serve_endpoints(args)
    with streaming(
        stop, args.linger, events, reports, profile=args.profile, hwm=args.hwm, lossless=args.lossless,
        validate=args.validate, journal=False, keep_reports=args.keep_reports,
    ) as hm:  # fmt: skip
        print(
            f"mockhm {hm.profile.name}: events on {hm.events_endpoint}, reports on {hm.reports_endpoint}",
            flush=True,
        )
        print(
            f"  subscribe: a ZeroMQ SUB socket connected to {hm.events_endpoint} with a filter such as",
            flush=True,
        )
        print(
            "  'EVENT' (everything), 'EVENT API one.vm.allocate 1' or 'EVENT STATE VM/ACTIVE/RUNNING/' ",
            flush=True,
        )
        print("  (STATE keys end with the resource id and one space). Ctrl-C stops.", flush=True)
        for warning in hm.bind_warnings:
            print(f"  WARNING: {warning}", flush=True)
        if args.no_oned:
            return _story(args, hm, None, stop)
        with oned_cli.started(args, hm) as fe:
            oned_cli.banner(fe, args.idle)
            if args.idle:
                with watching(hm, objects=_objects(fe, fe.oned.cloud)):
                    stop.wait()
                fe.check()
                return _summary(hm, hm.statistics().sent, 0)
            return _story(args, hm, fe, stop)


def _story(args: argparse.Namespace, hm: HookManager, fe: FrontEnd | None, stop: threading.Event) -> int:
    """Stream the built-in story; with a front-end, on its state (so the API sees the story's VMs)."""
    pace = f"{args.rate:g} messages/s" if args.rate > 0 else "full speed"
    print(f"  streaming the built-in mixed-day scenario in a loop at {pace} (seed {args.seed})", flush=True)
    cloud = fe.oned.cloud if fe is not None else Cloud(args.profile, seed=args.seed)
    # On a terminal a live view (subscriptions, key families, reports, objects); else log lines.
    with watching(hm, objects=_objects(fe, cloud)) as view:
        quiet = args.quiet or view.live
        wait_for_subscribers(hm, args.wait, stop)
        # The story retries only executions an executor reported on 2102 (never made-up ones).
        story = mixed_day(cloud, executions=lambda: last_execution(hm.reports))
        interval = 1.0 / args.rate if args.rate > 0 else 0.0
        start = time.monotonic()
        sent = expected = 0
        while True:
            event = _next_event(story, fe)
            if isinstance(event, CloudError):  # an API client changed a VM under the story's feet
                print(f"  the story stopped ({event}); a new round starts on the same state", flush=True)
                story = mixed_day(cloud, executions=lambda: last_execution(hm.reports))
                continue
            if event is None:
                return _summary(hm, sent, expected, drain=args.drain, stop=stop)
            for message in event.messages():
                if stop.is_set():
                    return _stopped(args, hm, sent, expected)
                if args.count is not None and sent >= args.count:
                    return _summary(hm, sent, expected, drain=args.drain, stop=stop)
                # Each send is due at start + n * interval: the schedule does not drift.
                delay = start + sent * interval - time.monotonic()
                if delay > 0 and stop.wait(delay):
                    return _stopped(args, hm, sent, expected)
                expected += due_reports(hm.subscriptions, message.key) * hm.publish(message)
                sent += 1
                if not quiet:
                    print(f"sent {message.key!r} ({len(message.content)} bytes)", flush=True)


def _objects(fe: FrontEnd | None, cloud: Cloud) -> Callable[[], dict[str, dict[str, int]]]:
    """The model's objects by state for the live view, read under the front-end's lock."""

    def count() -> dict[str, dict[str, int]]:
        if fe is None:
            return objects_by_state(cloud)
        with fe.locked():
            return objects_by_state(cloud)

    return count


def _next_event(story: Iterator[HookEvent], fe: FrontEnd | None) -> HookEvent | CloudError | None:
    """The story's next event, made under the front-end's lock with the classic Cloud API (the
    story walks each change to its end itself: its changes queue no driver steps)."""
    if fe is None:
        return next(story, None)
    with fe.locked() as cloud:
        auto, cloud.auto_drivers = cloud.auto_drivers, False
        try:
            return next(story, None)
        except CloudError as err:
            return err
        finally:
            cloud.auto_drivers = auto


def _stopped(args: argparse.Namespace, hm: HookManager, sent: int, expected: int) -> int:
    """Ctrl-C or SIGTERM: the story runs until stopped (0), unless --count gave it an end (130)."""
    _summary(hm, sent, expected)
    return EXIT_INTERRUPTED if args.count is not None else 0


def _summary(
    hm: HookManager, sent: int, expected: int, *, drain: float = 0.0, stop: threading.Event | None = None
) -> int:
    drain_reports(hm, expected, drain, stop)
    stats = hm.statistics()
    print(
        f"mockhm: sent {sent} messages ({stats.refused} refused), "
        f"{len(stats.subscriptions)} subscription(s) active, {stats.reports} report(s) received"
        + (f" of {expected} due" if expected else ""),
        flush=True,
    )
    hm.check()
    return 0
