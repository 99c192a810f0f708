"""The mock front-end: oned's XML-RPC API and the Hook Manager over one shared state.

:class:`FrontEnd` joins three running parts around the pure model :class:`mockhm.oned.Oned`:

* a real XML-RPC server (:mod:`mockhm.frontend.rpcserver`) answering ``/RPC2`` through
  ``Oned.call`` and publishing each call's events on the Hook Manager;
* the driver clock (:mod:`mockhm.frontend.clock`) running the queued driver steps (monitors,
  the scheduler, transient states) as time passes, or on demand in ``manual`` mode;
* the Hook Manager's report channel (2102) feeding the hook log, so ``one.hook.info`` shows
  what executors reported.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import os
import socket
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

from mockhm.frontend.clock import FAST, DriverClock, DriverMode
from mockhm.frontend.rpcserver import I8, RpcFault, RpcServer
from mockhm.hookmanager.manager import HookManager
from mockhm.oned.methods import METHODS
from mockhm.wire.calls import calls
from mockhm.wire.errors import PublisherClosedError
from mockhm.wire.message import HookEvent
from mockhm.wire.profiles import Profile, get_profile
from mockhm.wire.reports import HookReport

log = logging.getLogger("mockhm.frontend")

#: Where oned's XML-RPC server listens by default (``PORT = 2633`` in ``oned.conf``).
DEFAULT_URL: Final[str] = "http://127.0.0.1:2633/RPC2"
#: oned's credentials out of the box in mockhm (the captures used ``oneadmin:password``).
DEFAULT_AUTH: Final[str] = "oneadmin:password"
#: Environment variables OpenNebula's clients read (CLI, OCA, pyone).
XMLRPC_ENV: Final[str] = "ONE_XMLRPC"
AUTH_ENV: Final[str] = "ONE_AUTH"


class ExposedFrontEndWarning(UserWarning):
    """The front-end was bound to an address other machines can reach."""


def parse_auth(auth: str) -> tuple[str, str]:
    """``"USER:PASSWORD"`` -> ``(user, password)``; a clear error for anything else."""
    if not isinstance(auth, str):
        raise ValueError(f"auth {auth!r}: expected USER:PASSWORD, e.g. {DEFAULT_AUTH!r}")
    user, sep, password = auth.partition(":")
    if not sep or not user or not password:
        raise ValueError(f"auth {auth!r}: expected USER:PASSWORD, e.g. {DEFAULT_AUTH!r}")
    return user, password


def parse_url(url: str) -> tuple[str, int]:
    """``http://HOST:PORT/RPC2`` -> ``(host, port)``; port 0 picks a free one."""
    parts = urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        raise ValueError(f"front-end URL {url!r}: expected http://HOST:PORT/RPC2 (no https in the mock)")
    if parts.path not in ("", "/RPC2"):
        raise ValueError(f"front-end URL {url!r}: oned serves /RPC2 only, not {parts.path!r}")
    try:
        port = parts.port if parts.port is not None else 2633
    except ValueError:
        raise ValueError(f"front-end URL {url!r}: the port must be a number 0-65535") from None
    return parts.hostname, port


def is_loopback(host: str) -> bool:
    """Does ``host`` resolve only to loopback addresses?"""
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except socket.gaierror:
        return False
    return all(ipaddress.ip_address(str(info[4][0]).split("%")[0]).is_loopback for info in infos)


def warn_if_exposed(host: str, user: str, *, stacklevel: int = 2) -> None:
    """Warn (:class:`ExposedFrontEndWarning`) when ``host`` is not a loopback address."""
    if not is_loopback(host):
        warnings.warn(
            f"the mock front-end listens on {host}, reachable from other machines; it accepts "
            f"{user}'s password in clear text (bind 127.0.0.1 unless you mean it)",
            ExposedFrontEndWarning,
            stacklevel=stacklevel,
        )


class FrontEnd:
    """A running mock oned front-end beside a mock Hook Manager, sharing one state.

    The XML-RPC server is bound and answering when the constructor returns.  Use it as a
    context manager, or call :meth:`close`.

    Args:
        hookmanager: the :class:`~mockhm.HookManager` to publish on and read reports from;
            ``None`` starts one on its default endpoints (2101/2102), closed with the front-end.
        oned: the model to serve; ``None`` makes a fresh one (the pure oned model) with
            ``profile``, ``seed`` and ``auth``.  Its ``cloud`` is the state the Hook Manager's
            stories and tests may drive too.
        profile: release profile (default: the Hook Manager's).
        seed: seed of the model's names and addresses.
        auth: the credentials oned accepts, ``"USER:PASSWORD"`` (default ``oneadmin:password``).
        url: where to listen, ``http://HOST:PORT/RPC2`` (port 0: a free one); loopback by
            default, and a warning when bound elsewhere.
        drivers: ``"auto"`` (a thread runs driver steps as they fall due) or ``"manual"``
            (nothing runs until :meth:`step` or :meth:`settle`).
        speed: model seconds per wall second in ``auto`` mode (default 1000: a scheduler
            window of 10 s passes in 10 ms; use 1 for oned's own pace).
    """

    def __init__(
        self,
        hookmanager: HookManager | None = None,
        *,
        oned: Any = None,
        profile: Profile | str | None = None,
        seed: int = 0,
        auth: str = DEFAULT_AUTH,
        url: str = DEFAULT_URL,
        drivers: DriverMode = "auto",
        speed: float = FAST,
    ) -> None:
        user, password = parse_auth(auth)
        host, port = parse_url(url)
        if hookmanager is not None and hookmanager.closed:
            raise PublisherClosedError(
                "the Hook Manager given to FrontEnd is closed: its events would be lost"
            )
        self.session = f"{user}:{password}"
        self._own_hm = hookmanager is None
        if oned is None:
            from mockhm.oned.front import Oned

            prof = get_profile(profile if profile is not None else getattr(hookmanager, "profile", None))
            oned = Oned(profile=prof.name, seed=seed, users={user: password})
        self.oned = oned
        self.profile: Profile = get_profile(oned.cloud.profile)
        if hookmanager is not None and hookmanager.profile.name != self.profile.name:
            raise ValueError(
                f"the Hook Manager publishes profile {hookmanager.profile.name} but the model is "
                f"{self.profile.name}; give both the same profile"
            )
        # The calls of this release that the model answers: system.listMethods lists no method
        # that would then answer "not defined".
        self._methods = frozenset(calls(self.profile)) & METHODS.keys()
        self.hm = hookmanager if hookmanager is not None else HookManager(profile=self.profile)
        self._remove_listener = None
        self._closed = False
        #: The last ``ONE_AUTH`` file written by :meth:`write_one_auth`, if any.
        self.one_auth_file: Path | None = None
        #: Warnings about the address bound (``mockhm serve`` prints them in its banner).
        self.bind_warnings: list[str] = []
        try:
            self.clock = DriverClock(oned, self._publish, mode=drivers, speed=speed)
            self._remove_listener = self.hm.add_report_listener(self._on_report)
            warn_if_exposed(host, user, stacklevel=3)
            self.server = RpcServer(self._handle, lambda: self._methods, host=host, port=port)
        except BaseException:
            self._teardown()
            raise
        log.info("mock oned front-end on %s (profile %s, drivers %s)", self.url, self.profile, drivers)

    # -- context manager -----------------------------------------------------------------------

    def __enter__(self) -> FrontEnd:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the server, the driver thread, and the Hook Manager if this front-end started it."""
        if self._closed:
            return
        self._closed = True
        self._teardown()

    def _teardown(self) -> None:
        server = getattr(self, "server", None)
        if server is not None:
            server.close()
        clock = getattr(self, "clock", None)
        if clock is not None:
            clock.close()
        if self._remove_listener is not None:
            self._remove_listener()
        if self._own_hm and getattr(self, "hm", None) is not None:
            self.hm.close()

    @property
    def closed(self) -> bool:
        """``True`` once :meth:`close` was called."""
        return self._closed

    # -- where clients connect -------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The ``ONE_XMLRPC`` endpoint, ``http://127.0.0.1:PORT/RPC2``."""
        return self.server.url

    @property
    def env(self) -> dict[str, str]:
        """``ONE_XMLRPC`` (and the Hook Manager's endpoints) for subprocess clients.

        ``ONE_AUTH`` is a file path; write one with :meth:`write_one_auth`.
        """
        out = {XMLRPC_ENV: self.url, "MOCKHM_EVENTS_ENDPOINT": self.hm.events_endpoint}
        if self.hm.reports_endpoint is not None:
            out["MOCKHM_REPORTS_ENDPOINT"] = self.hm.reports_endpoint
        return out

    def write_one_auth(self, path: str | os.PathLike[str]) -> Path:
        """Write ``user:password`` to ``path`` (mode 0600), as ``ONE_AUTH`` files hold it."""
        target = Path(path)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(self.session + "\n")
        self.one_auth_file = target
        return target

    # -- the model, under the lock ---------------------------------------------------------------

    @contextlib.contextmanager
    def locked(self) -> Iterator[Any]:
        """Hold the state's lock and yield the model's ``cloud``: drive it from Python (a story,
        a scenario) without racing the XML-RPC clients or the drivers; publish with :meth:`publish`."""
        with self.clock.cond:
            yield self.oned.cloud

    def publish(self, *events: HookEvent | Sequence[HookEvent]) -> int:
        """Publish events built from the shared state (takes the lock)."""
        with self.clock.cond:
            return self.hm.publish(*events)

    def _publish(self, events: list[HookEvent]) -> object:
        return self.hm.publish(events) if events else 0

    def call(self, method: str, *params: object) -> object:
        """Make one call in-process, exactly as an XML-RPC client would (session included).

        Raises:
            PublisherClosedError: the front-end is closed (its events could not be published).
        """
        if self._closed:
            raise PublisherClosedError("the mock front-end is closed")
        return self.server.dispatch(method, list(params))

    def _handle(self, method: str, params: Sequence[object]) -> object:
        with self.clock.cond:
            self.clock.catch_up()
            reply = self.oned.call(method, list(params))
            fault = getattr(reply, "fault", None)
            if fault is not None:
                raise RpcFault(int(fault[0]), str(fault[1]))
            self._publish(list(reply.events))
            self.clock.changed()
        response = list(reply.response)
        if response and response[0] is False and len(response) == 4:
            # xmlrpc-c's value_i8(att.replication_idx): UINT64_MAX unless replicating, i.e. -1
            # (src/rm/xml-rpc/RequestXRPC.cc@release-7.4.0, src/rm/Request.cc@release-5.10.0).
            response.append(I8(-1))
        return response

    def _on_report(self, report: HookReport) -> None:
        with self.clock.cond:
            self.oned.record_execution(report)

    # -- drivers ---------------------------------------------------------------------------------

    def step(self) -> list[HookEvent]:
        """Run the next driver step now and publish its events (any mode)."""
        return self.clock.step()

    def run_until(self, when: float) -> list[HookEvent]:
        """Run the driver steps due by model time ``when`` (seconds since start) and publish
        them: time travel for ``manual`` mode (a monitor due in 2 s, the scheduler's window)."""
        return self.clock.run_until(when)

    def settle(self, *, limit: int = 10_000) -> list[HookEvent]:
        """Run every runnable driver step now and publish their events (any mode)."""
        return self.clock.settle(limit=limit)

    def wait_idle(self, timeout: float = 5.0) -> None:
        """``auto`` mode: block until the drivers ran every runnable step on their own."""
        self.clock.wait_idle(timeout)

    def pending(self) -> int:
        """Queued driver steps (held ones included)."""
        return self.clock.pending()

    def hold(self, kind: str, oid: int) -> None:
        """Keep object ``kind`` ``oid`` (``vm``, ``host``, ``image``, ``net``) in its state."""
        with self.clock.cond:
            self.oned.hold(kind, oid)

    def unhold(self, kind: str, oid: int) -> None:
        """Let a held object's driver steps run again."""
        with self.clock.cond:
            self.oned.unhold(kind, oid)
            self.clock.changed()

    def check(self) -> None:
        """Raise the first error of the driver thread or the Hook Manager's I/O thread."""
        if self.clock.errors:
            raise self.clock.errors[0]
        self.hm.check()

    def __repr__(self) -> str:
        state = "closed" if self._closed else self.url
        return f"<FrontEnd {state} profile={self.profile.name} drivers={self.clock.mode}>"
