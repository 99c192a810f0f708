"""``mockhm load``: paced load against hook subscribers, with honest statistics.

Exit codes: 0 all good, 1 tool error, 2 usage error, 99 a ``--threshold`` was broken.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from types import FrameType
from typing import Final

from mockhm.cli import EXIT_INTERRUPTED
from mockhm.cli import args as cli_args
from mockhm.cli.replaying import FilterError, filter_pool
from mockhm.load.pacing import Shape, parse_duration, parse_shape
from mockhm.load.report import LoadReport, Threshold, parse_threshold
from mockhm.load.run import DEFAULT_PERCENTILES, Progress, load_pool, run_load
from mockhm.wire.errors import MockHMError

#: Exit code when a threshold is broken (k6 uses the same).
THRESHOLD_EXIT: Final = 99

STAMPING: Final = """\
stamping and acknowledgements:
  Messages whose body has an open template (a VM's USER_TEMPLATE, the TEMPLATE of a host,
  image or network) get three attributes there: MOCKHM_DUE_NS (scheduled send time, ns from
  the start), MOCKHM_RUN (this run's id) and MOCKHM_SEQ (the message's index).  Most API
  events and RETRY messages have no open template and go out unstamped (--no-stamp: none).
  With --acks, only the messages an executor's filters select are stamped and expected back:
  the filters of the subscriptions active when sending starts (wait for all of them with
  --wait N, one subscription per hook), or the prefixes given with --ack-filter.  An executor
  acknowledges a message by reporting on 2102 with ARGUMENTS that contain the stamps, as text
  (MOCKHM_RUN=... MOCKHM_SEQ=...) or inside base64 of the body: what HEM sends for a hook
  with ARGUMENTS = "$TEMPLATE".  Latency runs from MOCKHM_DUE_NS to the report's arrival.
"""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``load`` parser."""
    p = sub.add_parser(
        "load",
        help="send a paced load (messages per second) and report what subscribers got",
        description="Bind like one_hm and send pre-rendered events on an absolute schedule (open model). "
        "Reports sent, refused (lossless mode), lag behind schedule and, with --acks, end-to-end latency "
        "of HEM-style subscribers that report on 2102. "
        "Exit codes: 0 ok, 1 error, 2 usage, 99 threshold broken.",
        epilog=STAMPING,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "source", nargs="?", default="generated",
        help="'generated' (default: seeded life-cycle events), 'vm-states' (~8 KB VM documents on "
        "their life-cycles, templated), 'story' (serve's built-in story), "
        "a capture .jsonl file, or a scenario name or file",
    )  # fmt: skip
    pace = p.add_mutually_exclusive_group()
    pace.add_argument(
        "--rate",
        type=cli_args.number(cli_args.MIN_RATE, cli_args.MAX_RATE),
        help="constant rate in messages per second",
    )
    pace.add_argument(
        "--shape",
        help="rate shape: constant:RATE, ramp:FROM:TO, steps:RATE@DUR,..., spike:BASE:PEAK:AT:LENGTH, "
        "stages:DUR@RATE,... (k6-style, from 0)",
    )
    pace.add_argument(
        "--max", action="store_true", help="no pacing: send --count messages as fast as possible"
    )
    p.add_argument("--duration", help="run length, e.g. 30s, 500ms, 2m (for --rate, ramp and spike)")
    p.add_argument("--count", type=cli_args.integer(1), help="stop after this many messages")
    p.add_argument(
        "--arrivals", choices=("uniform", "poisson"), default="uniform", help="spacing (default uniform)"
    )
    p.add_argument(
        "--seed",
        type=cli_args.integer(None),
        default=0,
        help="seed for events and Poisson arrivals (default 0)",
    )
    p.add_argument(
        "--profile", default="7.4", type=cli_args.profile, help="OpenNebula release to imitate (default 7.4)"
    )
    p.add_argument(
        "--pool",
        type=cli_args.integer(1, 10_000_000),
        default=1000,
        help="distinct generated messages, cycled (default 1000)",
    )
    p.add_argument(
        "--body-size",
        type=cli_args.integer(0, 256 << 20),
        help="pad bodies with an open template to about N bytes",
    )
    p.add_argument("--no-stamp", action="store_true", help="do not add MOCKHM_SEQ/RUN/DUE_NS to bodies")
    p.add_argument(
        "--events",
        default="tcp://127.0.0.1:2101",
        type=cli_args.bind_endpoint,
        help="events endpoint (default tcp://127.0.0.1:2101)",
    )
    p.add_argument(
        "--reports",
        default="tcp://127.0.0.1:2102",
        type=cli_args.bind_endpoint,
        help="reports endpoint (default tcp://127.0.0.1:2102)",
    )
    p.add_argument(
        "--hwm", type=cli_args.integer(0), help="SNDHWM, like one_hm --hwm (default libzmq's 1000)"
    )
    p.add_argument(
        "--lossless", action="store_true", help="XPUB_NODROP: refuse and count at the HWM instead of dropping"
    )
    p.add_argument(
        "--wait",
        type=cli_args.integer(0),
        default=1,
        metavar="N",
        help="wait for N subscriptions first (default 1; 0: no wait)",
    )
    p.add_argument(
        "--wait-timeout",
        type=cli_args.positive_seconds,
        default=30.0,
        help="seconds to wait for them (default 30)",
    )
    p.add_argument(
        "--acks", action="store_true",
        help="expect a 2102 report for each stamped message an executor's filters select; measure latency",
    )  # fmt: skip
    p.add_argument(
        "--filter", action="append", default=None, metavar="PREFIX",
        help="send only messages whose key starts with PREFIX (repeatable)",
    )  # fmt: skip
    p.add_argument(
        "--ack-filter", action="append", default=None, metavar="PREFIX",
        help="with --acks, expect reports for messages whose key starts with PREFIX (repeatable); "
        "default: the filters subscribed when sending starts",
    )  # fmt: skip
    p.add_argument(
        "--drain",
        type=cli_args.seconds,
        default=2.0,
        help="seconds to wait for outstanding reports (default 2)",
    )
    p.add_argument(
        "--percentiles", default=",".join(f"{x:g}" for x in DEFAULT_PERCENTILES),
        help="latency percentiles to report (default 50,90,99,99.9)",
    )  # fmt: skip
    p.add_argument(
        "--threshold", action="append", default=[], metavar="EXPR",
        help="pass/fail criterion, e.g. 'p99<50ms', 'loss==0', 'refused<1%%', 'lag_p99<5ms'; repeatable",
    )  # fmt: skip
    p.add_argument(
        "--json",
        metavar="PATH",
        type=cli_args.output_file(),
        help="write the report as JSON (schema_version 1)",
    )
    p.add_argument(
        "--csv", metavar="PATH", type=cli_args.output_file(), help="write the per-second timeline as CSV"
    )
    p.add_argument(
        "--plot", metavar="PATH", type=cli_args.output_file(".html", ".htm", ".png", ".svg", ".pdf"),
        help="plot rate and latency: .html, or .png, .svg, .pdf (matplotlib)",
    )  # fmt: skip
    p.add_argument(
        "--linger", type=cli_args.seconds, default=5.0,
        help="seconds queued messages may take to reach subscribers after the run (default 5; 0 discards)",
    )  # fmt: skip
    p.add_argument(
        "--processes",
        type=cli_args.integer(1, 256),
        default=1,
        help="publisher processes behind one XPUB via zmq.proxy",
    )
    p.add_argument(
        "--workers", type=int, default=0, metavar="N",
        help="also wait for N load workers started elsewhere with --worker CONTROL (other hosts)",
    )  # fmt: skip
    p.add_argument(
        "--control", default="tcp://127.0.0.1:*", type=cli_args.bind_endpoint,
        help="where workers ask for their job (with --workers: e.g. tcp://0.0.0.0:5601)",
    )  # fmt: skip
    p.add_argument(
        "--proxy", default="tcp://127.0.0.1:*", type=cli_args.bind_endpoint,
        help="the proxy's frontend where workers publish (with --workers: e.g. tcp://0.0.0.0:5600)",
    )  # fmt: skip
    p.add_argument(
        "--worker", metavar="CONTROL", type=cli_args.connect_endpoint,
        help="run as a load worker of the coordinator at CONTROL (every other option comes from it)",
    )  # fmt: skip
    p.add_argument("--quiet", action="store_true", help="no live progress")
    p.set_defaults(func=run)


def _usage(message: str) -> int:
    print(f"mockhm load: error: {message}", file=sys.stderr, flush=True)
    return 2


def zmq_error() -> type[Exception]:
    import zmq

    return zmq.ZMQError


def _single(args: argparse.Namespace) -> bool:
    return bool(args.processes == 1 and args.workers == 0)


def run(args: argparse.Namespace) -> int:
    """Run the load; return 0, 1 (error), 2 (usage) or 99 (threshold broken)."""
    if args.worker:
        from mockhm.load.processes import worker

        print(f"mockhm load --worker: asking the coordinator at {args.worker} for a job", flush=True)
        try:
            worker(args.worker)
        except (TimeoutError, OSError, zmq_error()) as err:
            print(f"mockhm load --worker: {err}", file=sys.stderr, flush=True)
            return 1
        return 0
    try:
        thresholds = [parse_threshold(t) for t in args.threshold]
        try:
            percentiles = tuple(float(x) for x in args.percentiles.split(",") if x.strip())
        except ValueError:
            percentiles = ()
        if not percentiles or not all(0 < x <= 100 for x in percentiles):
            raise ValueError(f"--percentiles {args.percentiles!r}: numbers in (0, 100], comma-separated")
        duration = parse_duration(args.duration) if args.duration else None
        shape: Shape | None
        if args.max:
            if args.count is None:
                raise ValueError("--max needs --count")
            shape = None
        elif args.shape:
            shape = parse_shape(args.shape, duration)
        else:
            if args.rate is None:
                raise ValueError("give --rate (messages per second), --shape or --max")
            shape = Shape.constant(args.rate, duration)
            if duration is None and args.count is None:
                raise ValueError("--rate needs --duration or --count")
        if args.processes < 0 or args.workers < 0 or args.processes + args.workers < 1:
            raise ValueError("--processes and --workers must be >= 0, and at least one publisher is needed")
        problem = cli_args.same_endpoints(args.events, args.reports)
        if problem:
            raise ValueError(problem)
        if args.acks and args.no_stamp:
            raise ValueError("--acks matches reports to messages by their stamps; drop --no-stamp")
        if args.ack_filter and not args.acks:
            raise ValueError("--ack-filter selects the messages --acks expects reports for; add --acks")
    except ValueError as err:
        return _usage(str(err))
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        del signum, frame
        stop.set()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        report = _run(args, shape, thresholds, percentiles, stop)
    except FilterError as err:
        return _usage(str(err))
    except (MockHMError, ValueError, OSError, ModuleNotFoundError) as err:
        print(f"mockhm load: {err}", file=sys.stderr, flush=True)
        return 1
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    if report.stopped_early:  # Ctrl-C or SIGTERM before the run's end; the report was still written
        return EXIT_INTERRUPTED
    broken = [t for t in report.thresholds if not t["ok"]]
    return THRESHOLD_EXIT if broken else 0


def _run(
    args: argparse.Namespace,
    shape: Shape | None,
    thresholds: list[Threshold],
    percentiles: tuple[float, ...],
    stop: threading.Event,
) -> LoadReport:
    from rich.console import Console

    console = Console(stderr=True)
    out = Console()
    pool, description = load_pool(args.source, size=args.pool, seed=args.seed, profile=args.profile)
    if args.filter:
        pool, description = filter_pool(pool, args.filter, description)
    from mockhm.cli.replaying import streaming, wait_for_subscribers

    # A context of its own: closing with a linger and terminating it waits until the queued
    # messages reached the subscribers (ZeroMQ has no flush); a stopped run lingers too.
    with streaming(
        None, args.linger,
        args.events if _single(args) else f"inproc://mockhm-load-unused-{id(args)}",
        args.reports, profile=args.profile, hwm=args.hwm, lossless=args.lossless, journal=False,
    ) as hm:  # fmt: skip
        if not _single(args):
            from mockhm.load.processes import run_load_processes

            console.print(
                f"  waiting for {max(args.wait, 1)} subscription(s) (up to {args.wait_timeout:g} s)"
                + (
                    "; --wait 0 waits for one: load workers see subscribers only through the proxy"
                    if not args.wait
                    else ""
                )
            )
            report = run_load_processes(
                hm, args.events, pool, shape, processes=args.processes, remote_workers=args.workers,
                control=args.control, frontend=args.proxy, count=args.count,
                on_ready=lambda c, f: console.print(f"mockhm load: workers use --worker {c} (proxy {f})"),
                arrivals=args.arrivals, seed=args.seed, stamp=not args.no_stamp, body_size=args.body_size,
                acks=args.acks, drain=args.drain, percentiles=percentiles, thresholds=thresholds,
                hwm=args.hwm, lossless=args.lossless, wait=args.wait, wait_timeout=args.wait_timeout,
                source_name=description, stop=stop, linger=args.linger, ack_filters=args.ack_filter,
            )  # fmt: skip
        else:
            console.print(f"mockhm load: events on {hm.events_endpoint}, reports on {hm.reports_endpoint}")
            if not wait_for_subscribers(hm, args.wait, stop, timeout=args.wait_timeout):
                raise KeyboardInterrupt  # Ctrl-C while waiting: exit 130, nothing was sent
            report = _with_progress(
                console, args.quiet, lambda cb: run_load(
                    hm, pool, shape, count=args.count, arrivals=args.arrivals, seed=args.seed,
                    stamp=not args.no_stamp, body_size=args.body_size, acks=args.acks, drain=args.drain,
                    percentiles=percentiles, thresholds=thresholds, on_progress=cb, stop=stop,
                    source_name=description, consume_reports=True, ack_filters=args.ack_filter,
                ),
            )  # fmt: skip
    print_summary(out, report)
    if args.json:
        report.write_json(args.json)
    if args.csv:
        report.write_csv(args.csv)
    if args.plot:
        report.write_plot(args.plot)
    return report


def _with_progress(console: object, quiet: bool, go: object) -> LoadReport:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
    from rich.progress import Progress as Bar

    assert isinstance(console, Console) and callable(go)
    if quiet or not console.is_terminal:
        result = go(None)
        assert isinstance(result, LoadReport)
        return result
    with Bar(
        TextColumn("[bold]load"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        TextColumn("{task.fields[stats]}"), console=console, transient=True,
    ) as bar:  # fmt: skip
        task = bar.add_task("load", total=None, stats="")

        def update(p: Progress) -> None:
            rate = p.sent / p.elapsed_s if p.elapsed_s >= 0.2 else 0.0
            bar.update(
                task, total=p.total, completed=p.scheduled_so_far,
                stats=f"sent {p.sent} refused {p.refused} lag {p.lag_ms:.1f} ms {rate:,.0f}/s "
                f"reports {p.reports}",
            )  # fmt: skip

        result = go(update)
    assert isinstance(result, LoadReport)
    return result


def print_summary(console: object, report: LoadReport) -> None:
    """The end-of-run table (rich)."""
    from rich.console import Console
    from rich.table import Table

    assert isinstance(console, Console)
    table = Table(
        title=f"mockhm load: {report.shape} -> {report.endpoint} ({report.mode})", show_header=False
    )
    table.add_column("metric", style="bold")
    table.add_column("value", justify="right")
    table.add_row("scheduled", f"{report.scheduled}" + (" (stopped early)" if report.stopped_early else ""))
    table.add_row("sent", f"{report.sent}  ({report.rate:,.1f}/s over {report.duration_s:.3f} s)")
    if report.mode == "lossless":
        table.add_row("refused at HWM", str(report.refused))
    else:
        table.add_row(
            "dropped at HWM", "not visible (faithful PUB mode drops silently; use --lossless or --acks)"
        )
    if report.unrouted:
        table.add_row("sent to nobody", f"{report.unrouted} (no subscription was active)")
    if report.lag_ms:
        table.add_row("lag behind schedule", _ms(report.lag_ms, report.percentiles))
    if report.acks_expected:
        table.add_row("acknowledged", f"{report.acked} of {report.sent_stamped} stamped (unmatched reports: "
                      f"{report.unmatched_reports})")  # fmt: skip
        selected = "every message" if report.ack_filters is None else ", ".join(map(repr, report.ack_filters))
        table.add_row("expected from", f"keys starting {selected}" if report.ack_filters else selected)
        table.add_row(
            "latency from schedule", _ms(report.latency_ms, report.percentiles) if report.latency_ms else "-"
        )
    loss = report.loss
    table.add_row("loss", "unknown" if loss is None else str(loss))
    for t in report.thresholds:
        mark = "[green]ok[/]" if t["ok"] else "[red]BROKEN[/]"
        actual = "unknown" if t["actual"] is None else f"{t['actual']:g}"
        table.add_row(
            f"threshold {t['threshold']}", f"{mark} (actual {actual}){' ' + t['why'] if t['why'] else ''}"
        )
    console.print(table)


def _ms(values: dict[str, float] | None, percentiles: tuple[float, ...]) -> str:
    if not values:
        return "-"
    parts = [f"p{p:g} {values[f'p{p:g}']:.3f}" for p in percentiles]
    return " ".join([*parts, f"max {values['max']:.3f}"]) + " ms"
