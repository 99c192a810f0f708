"""The oned front-end part of ``mockhm serve``: options, start-up and the banner."""

from __future__ import annotations

import argparse
import contextlib
import shutil
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path

from mockhm.cli import args as cli_args
from mockhm.frontend.frontend import (
    AUTH_ENV,
    DEFAULT_AUTH,
    XMLRPC_ENV,
    ExposedFrontEndWarning,
    FrontEnd,
    parse_auth,
    parse_url,
)
from mockhm.hookmanager.manager import HookManager


def add_options(p: argparse.ArgumentParser) -> None:
    """``--oned``, ``--no-oned``, ``--idle``, ``--auth``, ``--oned-speed``."""
    g = p.add_argument_group("the oned XML-RPC front-end (same state as the events)")
    g.add_argument(
        "--oned",
        metavar="URL",
        default=None,
        help="where oned's XML-RPC API listens (default http://<bind>:2633/RPC2; port 0 for any)",
    )
    g.add_argument("--no-oned", action="store_true", help="no XML-RPC front-end: the Hook Manager alone")
    g.add_argument(
        "--idle",
        action="store_true",
        help="no built-in story: nothing happens until a client calls the API (the drivers still run)",
    )
    g.add_argument(
        "--auth",
        metavar="USER:PASSWORD",
        default=DEFAULT_AUTH,
        help=f"the credentials the front-end accepts (default {DEFAULT_AUTH})",
    )
    g.add_argument(
        "--oned-speed",
        type=float,
        default=1.0,
        metavar="X",
        help="driver clock: model seconds per second (default 1, oned's pace; 1000 for tests)",
    )


def check_options(p: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Usage errors (exit 2) for option combinations that cannot work."""
    if args.no_oned and (args.idle or args.oned):
        p.error("--no-oned leaves the front-end out; --idle and --oned need it")
    if args.scenario and (args.idle or args.oned):
        p.error("a scenario or capture replays recorded events; --idle and --oned serve the live model")
    try:
        parse_auth(args.auth)
        if args.oned:
            parse_url(args.oned)
    except ValueError as err:
        p.error(str(err))
    if not args.oned_speed > 0:
        p.error(f"--oned-speed {args.oned_speed}: must be > 0")


def url(args: argparse.Namespace) -> str:
    """The URL to listen on: ``--oned``, else port 2633 on the Hook Manager's ``--bind``."""
    if args.oned:
        return str(args.oned)
    return f"http://{cli_args.url_host(args.bind)}:2633/RPC2"


@contextlib.contextmanager
def started(args: argparse.Namespace, hm: HookManager) -> Iterator[FrontEnd]:
    """A front-end over ``hm`` with a fresh ``ONE_AUTH`` file; both gone at exit."""
    tmp = Path(tempfile.mkdtemp(prefix="mockhm-oned-"))
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ExposedFrontEndWarning)
            fe = FrontEnd(
                hm, profile=hm.profile, seed=args.seed, auth=args.auth, url=url(args), speed=args.oned_speed
            )
        with fe:
            fe.write_one_auth(tmp / "one_auth")
            fe.bind_warnings = [str(w.message) for w in caught]
            yield fe
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def banner(fe: FrontEnd, idle: bool) -> None:
    """How to point OpenNebula's clients (CLI, OCA, pyone) at the front-end."""
    print(f"  oned XML-RPC front-end on {fe.url}, on the same state as the events:", flush=True)
    print(f"    export {XMLRPC_ENV}={fe.url}", flush=True)
    print(f"    export {AUTH_ENV}={fe.one_auth_file}    (holds {fe.session})", flush=True)
    for warning in getattr(fe, "bind_warnings", ()):
        print(f"  WARNING: {warning}", flush=True)
    if idle:
        print(
            "  idle: no built-in story; nothing happens until a client calls the API (the drivers run)",
            flush=True,
        )
