"""``mockhm record``: subscribe to a (real or mock) Hook Manager and write a capture file."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from mockhm.cli import EXIT_INTERRUPTED
from mockhm.cli import args as cli_args
from mockhm.streams.record import Recorder
from mockhm.wire.errors import MockHMError


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``record`` parser."""
    p = sub.add_parser(
        "record",
        help="record a Hook Manager's events to a capture file (scrubbed by default)",
        description="Subscribe to ENDPOINT and write every message to a JSON Lines capture as it "
        "arrives (flushed per line: Ctrl-C or a crash loses nothing received); the file is written "
        "from the first message on, so a recording that receives nothing leaves an existing FILE as "
        "it was. Secrets, passwords, "
        "SSH keys, user and group names, IPs, MACs and host names inside the bodies are replaced by "
        "consistent pseudonyms unless --no-scrub.",
    )
    p.add_argument(
        "endpoint",
        metavar="ENDPOINT",
        type=cli_args.connect_endpoint,
        help="events endpoint, e.g. tcp://127.0.0.1:2101",
    )
    p.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="FILE",
        type=cli_args.output_file(".jsonl"),
        help="capture file to write (.jsonl)",
    )
    p.add_argument(
        "--filter", action="append", default=None, metavar="PREFIX", type=cli_args.key_filter,
        help="subscription prefix (repeatable; default: everything)",
    )  # fmt: skip
    p.add_argument("--no-scrub", action="store_true", help="write bodies exactly as received")
    p.add_argument("--count", type=cli_args.integer(1), default=None, help="stop after N messages")
    p.add_argument(
        "--duration", type=cli_args.positive_seconds, default=None, help="stop after S seconds (more than 0)"
    )
    p.add_argument(
        "--profile", default=None, type=cli_args.profile, help="release of the source, written to the header"
    )
    p.add_argument("--quiet", action="store_true", help="do not print each message")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Record until --count, --duration, Ctrl-C or SIGTERM; print what was scrubbed."""
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        del signum, frame
        stop.set()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    recorder = Recorder(
        args.endpoint, args.output, filters=args.filter or ("",), scrub=not args.no_scrub,
        profile=args.profile, count=args.count, duration=args.duration, lazy=True,
    )  # fmt: skip

    def show(frames: tuple[bytes, ...]) -> None:
        if not args.quiet:
            key = frames[0].decode("ascii", "replace") if frames else ""
            print(f"{recorder.messages:6d} {key!r}", flush=True)

    existed = Path(args.output).exists()
    print(f"mockhm record: {args.endpoint} -> {args.output} (Ctrl-C stops)", flush=True)
    try:
        report = recorder.run(stop, show)
    except (MockHMError, OSError) as err:
        print(f"mockhm record: {err}", file=sys.stderr, flush=True)
        return 1
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    print(f"mockhm record: {report.summary()}", flush=True)
    if not report.messages and existed:
        print(f"mockhm record: nothing received; {args.output} is left as it was", flush=True)
    # Ctrl-C is how an open-ended recording ends; with --count or --duration it cut the recording short.
    return EXIT_INTERRUPTED if stop.is_set() and (args.count or args.duration) else 0
