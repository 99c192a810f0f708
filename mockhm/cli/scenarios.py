"""``mockhm scenarios``: list the built-in scenarios, or check and show one."""

from __future__ import annotations

import argparse
import sys

from mockhm.streams.scenario import iter_builtin
from mockhm.streams.sources import describe_frames, load_source
from mockhm.wire.errors import ScenarioError


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``scenarios`` parser."""
    p = sub.add_parser(
        "scenarios",
        help="list the built-in scenarios (or check one: mockhm scenarios NAME|FILE)",
        description="Without an argument, list the built-in scenarios with a one-line description. "
        "With NAME or FILE (scenario or capture), check it completely and print its messages.",
    )
    p.add_argument("scenario", nargs="?", help="a scenario name or file to check and show")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """List or check."""
    if args.scenario is None:
        rows = list(iter_builtin())
        width = max((len(n) for n, _d, _p in rows), default=0)
        for name, description, _path in rows:
            print(f"{name:<{width}}  {description}")
        return 0
    try:
        source = load_source(args.scenario)
    except ScenarioError as err:
        print(f"mockhm scenarios: {err}", file=sys.stderr, flush=True)
        return 1
    for m in source.messages:
        print(f"{m.t:10.3f}s  {describe_frames(m.frames)}")
    last = source.messages[-1].t if source.messages else 0.0
    print(f"{source.name}: {len(source.messages)} message(s) over {last:.3f} s, profile {source.profile}")
    return 0
