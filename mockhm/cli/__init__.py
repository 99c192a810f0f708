"""The ``mockhm`` command line: one module per subcommand, each with ``register(subparsers)``."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
import traceback
import warnings
from typing import Final

from mockhm import __version__
from mockhm.wire.errors import MockHMError

#: Subcommand modules under ``mockhm.cli``; each adds its parser and sets ``func``.
COMMANDS: tuple[str, ...] = ("serve", "validate", "generate", "record", "scenarios", "load", "profiles")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every available subcommand."""
    parser = argparse.ArgumentParser(
        prog="mockhm",
        description="A wire-exact mock of OpenNebula's Hook Manager for testing hook subscribers.",
        epilog=EPILOG,
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


#: Exit codes of every subcommand (the README's "Exit codes" section says the same).
EXIT_OK: Final = 0
#: A handled error: a bad file, a port in use, a peer that misbehaved; the message says which.
EXIT_ERROR: Final = 1
#: A usage error: a bad argument, named with its allowed values (argparse's code).
EXIT_USAGE: Final = 2
#: An unexpected exception, i.e. a bug in mockhm (``EX_SOFTWARE`` of sysexits.h).
EXIT_BUG: Final = 70
#: ``mockhm load``: a ``--threshold`` was broken (k6's code).
EXIT_THRESHOLD: Final = 99
#: Interrupted before the command could stop on its own (128 + SIGINT).
EXIT_INTERRUPTED: Final = 130

EPILOG: Final = (
    "exit codes: 0 ok; 1 error (bad file, port in use, ...: the message says which and how to fix it); "
    "2 usage (a bad argument); 99 a load --threshold was broken; 70 an unexpected error, i.e. a bug in "
    "mockhm: please report it with the traceback it printed; 130 interrupted."
)


def main(argv: list[str] | None = None) -> int:
    """Run ``mockhm``; returns the exit code (see :data:`EPILOG`)."""
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(argv)
    if args.command is None:  # no command: serve the built-in story
        args = parser.parse_args([*argv, "serve"])
    level = logging.WARNING - 10 * min(args.verbose, 2)
    logging.basicConfig(level=level, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    return run_command(args)


def run_command(args: argparse.Namespace) -> int:
    """Run a parsed command under the error policy: handled errors exit 1, bugs 70."""
    import zmq

    name = f"mockhm {args.command}" if getattr(args, "command", None) else "mockhm"
    # A bind outside loopback is logged and printed in the banner; the API's warnings.warn
    # would say it a third time.
    warnings.filterwarnings("ignore", message=r"the \w+ socket is bound to .* not loopback")
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        print(f"{name}: interrupted", file=sys.stderr, flush=True)
        return EXIT_INTERRUPTED
    except (MockHMError, OSError, zmq.ZMQError) as err:
        print(f"{name}: error: {err}", file=sys.stderr, flush=True)
        return EXIT_ERROR
    except Exception:
        traceback.print_exc()
        print(
            f"{name}: internal error: this is a bug in mockhm {__version__}, not in your input; please "
            f"report it with the traceback above (exit code {EXIT_BUG})",
            file=sys.stderr,
            flush=True,
        )
        return EXIT_BUG


def entry() -> None:  # pragma: no cover - console script
    """Console-script entry point."""
    sys.exit(main())
