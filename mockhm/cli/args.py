"""Argument types of the command line: a bad value is a usage error (exit 2) that names the
allowed values, raised by argparse before anything binds, connects, reads or writes."""

from __future__ import annotations

import argparse
import ipaddress
import math
import os
from collections.abc import Callable
from pathlib import Path

from mockhm.hookmanager.endpoints import EndpointError, check_endpoint

#: The largest rate or speed factor accepted: beyond it pacing is meaningless (use 0: flat out).
MAX_RATE = 1e9
#: The smallest non-zero rate or speed factor: one message per ~11.6 days.
MIN_RATE = 1e-6
#: Ten years in seconds: the longest duration, gap or timeout accepted (``threading`` waits
#: overflow on absurd ones); not shown in messages.
_FOREVER = 10 * 365 * 86400.0


def integer(low: int | None = 0, high: int | None = None, *, what: str = "") -> Callable[[str], int]:
    """An integer in ``low..high`` (either end open when ``None``)."""

    def parse(text: str) -> int:
        try:
            value = int(text, 10)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not an integer{_range(low, high, what)}") from None
        if (low is not None and value < low) or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"{value} is out of range{_range(low, high, what)}")
        return value

    parse.__name__ = "integer"
    return parse


def _range(low: int | None, high: int | None, what: str) -> str:
    if low is not None and high is not None:
        text = f"; expected {low:,}..{high:,}"
    elif low is not None:
        text = f"; expected {low:,} or more"
    elif high is not None:
        text = f"; expected at most {high:,}"
    else:
        text = ""
    return text + (f" ({what})" if what else "")


def number(
    low: float = 0.0, high: float = math.inf, *, low_open: bool = False, zero: bool = False, what: str = ""
) -> Callable[[str], float]:
    """A finite number in ``[low, high]`` (``(low, high]`` with ``low_open``); ``zero`` also allows 0."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        ok = math.isfinite(value) and value <= high and (value > low if low_open else value >= low)
        if not ok and not (zero and value == 0):
            bound = f"more than {low:g}" if low_open else f"{low:g} or more"
            if high < _FOREVER:
                bound += f" and at most {high:g}"
            extra = f"0 ({what}) or " if zero else ""
            suffix = f" ({what})" if what and not zero else ""
            raise argparse.ArgumentTypeError(f"{text!r}: expected {extra}a finite number {bound}{suffix}")
        return value

    parse.__name__ = "number"
    return parse


#: ``--rate``: 0 (as fast as possible) or MIN_RATE..MAX_RATE messages per second.
rate = number(MIN_RATE, MAX_RATE, zero=True, what="as fast as possible")
#: ``--speed``: 0 (flat out) or MIN_RATE..MAX_RATE.
speed = number(MIN_RATE, MAX_RATE, zero=True, what="flat out")
#: seconds that may be 0 (``--max-gap``, ``--drain``, ``--linger``); ten years at most.
seconds = number(0.0, _FOREVER, what="seconds")
#: seconds that must be more than 0 (``record --duration``, timeouts).
positive_seconds = number(0.0, _FOREVER, low_open=True, what="seconds")


def port(text: str) -> str:
    """A TCP port 1..65535, or ``*`` (or 0) for any free one."""
    if text in ("*", "0"):
        return text
    if text.isdigit() and 0 < int(text) <= 65535:
        return str(int(text))
    raise argparse.ArgumentTypeError(f"{text!r}: expected a port 1..65535, or * for any free one")


def address(text: str) -> str:
    """``-b``: an address or host name to bind, like one_hm's (the ports are -p and -l)."""
    if "://" in text or "/" in text:
        raise argparse.ArgumentTypeError(
            f"{text!r}: expected an address such as 127.0.0.1 or ::1, not an endpoint"
        )
    if ":" in text:
        try:
            ipaddress.IPv6Address(text.strip("[]"))
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{text!r}: expected an address such as 127.0.0.1 or ::1 (the ports are -p and -l)"
            ) from None
    if not text:
        raise argparse.ArgumentTypeError("an empty address; expected e.g. 127.0.0.1")
    return text.strip("[]")


def url_host(host: str) -> str:
    """``host`` as it goes in an endpoint or URL: an IPv6 address in brackets."""
    return f"[{host}]" if ":" in host else host


def serve_endpoints(args: argparse.Namespace) -> tuple[str, str]:
    """``mockhm serve``'s events and reports endpoints: --events/--reports, else -b with -p and -l."""
    host = url_host(args.bind)
    return (
        args.events or f"tcp://{host}:{args.publisher_port}",
        args.reports or f"tcp://{host}:{args.logger_port}",
    )


def same_endpoints(events: str, reports: str) -> str | None:
    """What is wrong when the events and reports sockets would bind one endpoint, else ``None``."""
    if events == reports and not events.endswith(":*"):
        return (
            f"--events and --reports are the same endpoint ({events}); the PUB and REP sockets need one each"
        )
    return None


def bind_endpoint(text: str) -> str:
    """An endpoint to bind: tcp://HOST:PORT (port 1..65535 or *), ipc://PATH, inproc://NAME."""
    try:
        check_endpoint(text, bind=True)
    except EndpointError as err:
        raise argparse.ArgumentTypeError(str(err)) from None
    return text


def connect_endpoint(text: str) -> str:
    """An endpoint to connect to: tcp://HOST:PORT (port 1..65535), ipc://PATH, inproc://NAME."""
    try:
        check_endpoint(text, bind=False)
    except EndpointError as err:
        raise argparse.ArgumentTypeError(str(err)) from None
    return text


def key_filter(text: str) -> str:
    """A subscription prefix: keys are ASCII, so is a filter that can ever match."""
    if not text.isascii():
        raise argparse.ArgumentTypeError(
            f"{text!r}: a filter is a prefix of an ASCII key such as 'EVENT STATE VM/'; no key can match it"
        )
    return text


def profile(text: str) -> str:
    """A release profile, by name or release number (``6.9`` is served by ``6.8``): its name."""
    from mockhm.wire.profiles import get_profile

    try:
        return get_profile(text).name
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def output_file(*suffixes: str) -> Callable[[str], str]:
    """A file to write, with one of ``suffixes`` (any if none), in a directory that exists."""

    def parse(text: str) -> str:
        path = Path(text)
        if suffixes and not text.endswith(suffixes):
            raise argparse.ArgumentTypeError(f"{text!r}: expected a file name ending {' or '.join(suffixes)}")
        parent = path.parent if str(path.parent) else Path(".")
        if not parent.is_dir():
            raise argparse.ArgumentTypeError(f"{text!r}: directory {str(parent)!r} does not exist")
        if path.is_dir():
            raise argparse.ArgumentTypeError(f"{text!r} is a directory; expected a file name")
        if not os.access(parent, os.W_OK):
            raise argparse.ArgumentTypeError(f"{text!r}: directory {str(parent)!r} is not writable")
        return text

    parse.__name__ = "file"
    return parse
