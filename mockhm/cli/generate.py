"""``mockhm generate``: write N generated events (or life-cycles) to a capture or scenario file.

The same ``--seed``, ``--count``, ``--profile`` and mode give a byte-identical file, so a
generated stream can be kept and replayed (``mockhm serve FILE``).  ``-o x.jsonl`` writes a
capture (JSON Lines, see ARCHITECTURE.md); ``-o x.yaml`` a scenario whose steps are ``raw``
frames at fixed offsets.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from mockhm.cli import args as cli_args
from mockhm.streams.capturefile import CaptureWriter, make_header
from mockhm.wire.defaults import EPOCH
from mockhm.wire.message import HookEvent
from mockhm.wire.profiles import PROFILES

#: Seconds between generated messages in the file's ``t`` column.
INTERVAL = 0.01


def independent_events(count: int, seed: int, profile: str) -> list[HookEvent]:
    """``count`` valid events drawn by :func:`mockhm.strategies.hook_events`, seeded."""
    from hypothesis import Phase, given, settings
    from hypothesis import seed as hseed

    from mockhm.strategies import hook_events

    out: list[HookEvent] = []
    round_ = 0
    while len(out) < count and round_ < 100:

        @hseed(seed * 1000 + round_)
        @settings(
            max_examples=count - len(out), database=None, deadline=None,
            phases=[Phase.generate], suppress_health_check=[],
        )  # fmt: skip
        @given(hook_events(profile=profile))
        def collect(event: HookEvent) -> None:
            if len(out) < count:
                out.append(event)

        collect()
        round_ += 1
    return out


def register(subparsers: Any) -> None:
    """Add the ``generate`` subcommand."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "generate",
        help="write generated events or life-cycles to a capture (.jsonl) or scenario (.yaml)",
        description=(
            "Write COUNT generated events to a JSON Lines capture (.jsonl) or a scenario "
            "(.yaml). Independent valid events by default; with --lifecycles, a stream in "
            "which VMs, hosts, images and networks follow OpenNebula's transitions. "
            "Same seed, same bytes."
        ),
    )
    parser.add_argument(
        "-o", "--output", required=True, metavar="FILE", type=cli_args.output_file(".jsonl", ".yaml", ".yml"),
        help="file to write: .jsonl for a capture, .yaml for a scenario",
    )  # fmt: skip
    parser.add_argument(
        "-n",
        "--count",
        type=cli_args.integer(0, 10_000_000),
        default=100,
        help="number of events (default 100)",
    )
    parser.add_argument("--seed", type=cli_args.integer(None), default=0, help="random seed (default 0)")
    parser.add_argument(
        "--profile",
        default="7.4",
        type=cli_args.profile,
        help=f"release profile: {', '.join(PROFILES)} (default 7.4)",
    )
    parser.add_argument("--lifecycles", action="store_true", help="life-cycle-valid streams")
    parser.add_argument(
        "--vms", type=cli_args.integer(1, 10_000), default=5, help="VMs alive at once with --lifecycles"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Generate and write; returns 0, or 2 for a bad argument (with the reason on stderr)."""
    profile = args.profile  # a profile name (cli_args.profile)
    if args.count < 0:
        print(f"mockhm generate: --count {args.count}: expected 0 or more", file=sys.stderr)
        return 2
    if args.count == 0 and not str(args.output).endswith(".jsonl"):
        print("mockhm generate: --count 0: a scenario has at least one step (a .jsonl capture may be empty)",
              file=sys.stderr)  # fmt: skip
        return 2
    if args.lifecycles:
        if args.vms < 1:
            print(f"mockhm generate: --vms {args.vms}: expected 1 or more", file=sys.stderr)
            return 2
        from mockhm.oned.lifecycle import generate_events

        events = generate_events(args.count, args.seed, profile, vms=args.vms)
    else:
        events = independent_events(args.count, args.seed, profile)
    if str(args.output).endswith((".yaml", ".yml")):
        return _write_scenario(args, profile, events)
    header = make_header(source=f"mockhm generate --seed {args.seed}", profile=profile, joined=EPOCH)
    written = 0
    with CaptureWriter(args.output, header) as out:
        for event in events:
            for message in event.messages():
                t = round(written * INTERVAL, 6)
                out.write(message.frames, t, EPOCH + t)
                written += 1
    print(f"wrote {len(events)} events ({written} messages) to {args.output}", file=sys.stderr)
    return 0


def _write_scenario(args: argparse.Namespace, profile: str, events: list[HookEvent]) -> int:
    import yaml

    steps: list[dict[str, object]] = []
    for event in events:
        for message in event.messages():
            frames = [f.decode("ascii") for f in message.frames]
            steps.append({"at": round(len(steps) * INTERVAL, 6), "raw": {"frames": frames}})
    mode = "life-cycles" if args.lifecycles else "independent events"
    scenario = {
        "format_version": 1,
        "name": f"generated-{args.seed}",
        "description": f"{len(events)} generated {mode} (mockhm generate --seed {args.seed})",
        "profile": profile,
        "seed": args.seed,
        "steps": steps,
    }
    with open(args.output, "w", encoding="utf-8") as out:
        yaml.safe_dump(scenario, out, sort_keys=False, width=1 << 20)
    print(f"wrote {len(events)} events ({len(steps)} messages) to {args.output}", file=sys.stderr)
    return 0
