"""The ``mockhm`` command line: one module per subcommand, each with ``register(subparsers)``."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from mockhm import __version__

#: Subcommand modules under ``mockhm.cli``; each adds its parser and sets ``func``.
COMMANDS: tuple[str, ...] = ("serve", "validate", "generate", "record", "scenarios", "load", "profiles")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every available subcommand."""
    parser = argparse.ArgumentParser(
        prog="mockhm",
        description="A wire-exact mock of OpenNebula's Hook Manager for testing hook subscribers.",
    )
    parser.add_argument("--version", action="version", version=f"mockhm {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output (-vv for debug)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"mockhm.cli.{name}")
        except ModuleNotFoundError as err:
            if err.name != f"mockhm.cli.{name}":
                raise
            continue
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run ``mockhm``; returns the exit code (0 ok, 1 failure, 2 usage)."""
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(argv)
    if args.command is None:  # no command: serve the built-in story
        args = parser.parse_args([*argv, "serve"])
    level = logging.WARNING - 10 * min(args.verbose, 2)
    logging.basicConfig(level=level, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    return int(args.func(args))


def entry() -> None:  # pragma: no cover - console script
    """Console-script entry point."""
    sys.exit(main())
