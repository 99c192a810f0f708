"""Endpoints: checked before a bind or connect, warned about outside loopback, waited free.

* libzmq takes a TCP port modulo 65536 (``:70000`` binds 4464, ``:-1`` binds 65535); mockhm
  refuses a port outside 1..65535 (``*`` and ``0`` still pick a free one) before anything binds.
* A bind on every interface (``0.0.0.0``, ``*``, ``::``) or any non-loopback address streams
  bodies to anyone who connects and takes hook reports from anyone: it is allowed (one_hm's
  ``-b``) but logged and warned about (:func:`warnings.warn`); loopback stays the default.
* :func:`wait_port_free` waits, bounded, until a closed listener's port can be bound again:
  libzmq closes listeners asynchronously, after ``zmq_close`` returned.
"""

from __future__ import annotations

import functools
import ipaddress
import logging
import re
import socket
import threading
import time
import warnings
from collections.abc import Iterator
from typing import TYPE_CHECKING, Final

log = logging.getLogger("mockhm")

_TCP: Final = re.compile(r"tcp://(?:(?P<source>[^;]*);)?(?P<host>\[[^\]]*\]|[^:\[\]]*):(?P<port>[^:]*)\Z")
#: The transports libzmq understands (the rest fail in libzmq with EPROTONOSUPPORT).
TRANSPORTS: Final = ("tcp", "ipc", "inproc", "pgm", "epgm", "vmci", "ws", "wss", "udp", "tipc")


class EndpointError(ValueError):
    """An endpoint mockhm refuses before libzmq sees it (subclassed by the callers' errors)."""


def _host_port(endpoint: str) -> tuple[str, str] | None:
    m = _TCP.match(endpoint)
    if m is None:
        return None
    return m["host"].strip("[]"), m["port"]


if TYPE_CHECKING:
    import zmq


def allow_ipv6(sock: zmq.Socket[bytes], endpoint: str) -> None:
    """Turn on ``ZMQ_IPV6`` for a ``tcp://[...]`` endpoint: libzmq binds and connects IPv6
    addresses only with it (``No such device`` otherwise)."""
    if endpoint.startswith("tcp://["):
        import zmq  # not at module level: the command line's argument checks import this module

        sock.setsockopt(zmq.IPV6, 1)


def check_endpoint(endpoint: str, *, bind: bool) -> None:
    """Raise :class:`EndpointError` for an endpoint libzmq would misread or refuse.

    Names the endpoint, what is wrong and the allowed form.
    """
    if not isinstance(endpoint, str) or "://" not in endpoint:
        raise EndpointError(
            f"endpoint {endpoint!r} has no transport; expected e.g. tcp://127.0.0.1:2101, "
            "ipc:///tmp/hm.sock or inproc://name"
        )
    transport = endpoint.split("://", 1)[0]
    if transport not in TRANSPORTS:
        raise EndpointError(
            f"endpoint {endpoint!r}: unknown transport {transport!r}; expected one of {', '.join(TRANSPORTS)}"
        )
    if transport != "tcp":
        return
    hp = _host_port(endpoint)
    if hp is None or not hp[0]:
        raise EndpointError(f"endpoint {endpoint!r}: expected tcp://HOST:PORT, e.g. tcp://127.0.0.1:2101")
    port = hp[1]
    if bind and port == "*":
        return
    if not port.isdigit() or not (0 < int(port) <= 65535 or (bind and int(port) == 0)):
        allowed = "1..65535, or * (or 0) for a free one" if bind else "1..65535"
        raise EndpointError(f"endpoint {endpoint!r}: port {port!r} is out of range; expected {allowed}")


def is_loopback(endpoint: str) -> bool:
    """``True`` unless ``endpoint`` is TCP on an address other hosts can reach."""
    hp = _host_port(endpoint)
    if hp is None:
        return not endpoint.startswith(("tcp://", "pgm://", "epgm://", "ws://", "wss://", "udp://"))
    return _loopback_host(hp[0])


@functools.lru_cache(maxsize=64)
def _loopback_host(host: str) -> bool:
    """Whether a bound host is loopback (cached: every Hook Manager asks about 127.0.0.1)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:  # an interface or host name: it may well be reachable
        return False


def warn_if_exposed(endpoint: str, role: str) -> str | None:
    """Log and warn when ``endpoint`` is bound outside loopback; return the message (or ``None``)."""
    if is_loopback(endpoint):
        return None
    what = "streams hook bodies to anyone who connects" if role == "events" else "accepts reports from anyone"
    message = (
        f"the {role} socket is bound to {endpoint}, which is not loopback: it {what}; "
        "bind 127.0.0.1 unless other hosts must reach it"
    )
    log.warning("%s", message)
    warnings.warn(message, UserWarning, stacklevel=4)
    return message


def _port_free(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    host = {"*": "0.0.0.0", "": "0.0.0.0"}.get(host, host)
    try:
        probe = socket.socket(family, socket.SOCK_STREAM)
    except OSError:
        return True
    with probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as libzmq's listener does
        try:
            probe.bind((host, port))
        except OSError as err:
            return err.errno != 98 and err.errno != 48  # EADDRINUSE (Linux, BSD/macOS)
    return True


def backoff(timeout: float) -> Iterator[None]:
    """Pauses between probes of a condition nobody signals, for at most ``timeout`` seconds.

    Yields at once, then after pauses growing from 50 µs to 2 ms: libzmq releases a closed
    listener's port within about 0.1 ms here, so a fixed 2 ms pause would make every close
    cost 2 ms.  Stops (without a last yield) once the deadline has passed.
    """
    deadline = time.monotonic() + timeout
    pause = threading.Event()  # never set: a bounded wait between probes
    delay = 0.00005
    while True:
        yield
        left = deadline - time.monotonic()
        if left <= 0:
            return
        pause.wait(min(delay, left))
        delay = min(delay * 2, 0.002)


def wait_port_free(endpoint: str, timeout: float) -> bool:
    """Wait until the TCP port of a closed listener can be bound again (``True``), at most ``timeout`` s.

    Other transports return ``True`` at once (libzmq replaces a stale ipc file on bind).
    """
    hp = _host_port(endpoint)
    if hp is None or not hp[1].isdigit():
        return True
    host, port = hp[0], int(hp[1])
    return any(_port_free(host, port) for _ in backoff(timeout))
