"""The type of the ``make_hookmanager`` fixture, for annotations.

Nothing here imports pyzmq or lxml.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from mockhm import Profile

    from ._fixture import HookManagerFixture


class MakeHookManager(Protocol):
    """``make_hookmanager``: starts another mock Hook Manager for this test.

    Every instance is verified (unless ``verify=False``) and closed at the test's teardown.
    Arguments left out follow the test's settings (marker > command line > environment >
    ini > default), like those of the ``hookmanager`` fixture::

        def test_two_zones(make_hookmanager: MakeHookManager) -> None:
            old = make_hookmanager(profile="6.10")
            silent = make_hookmanager(ack=None, verify=False)
    """

    def __call__(
        self,
        *,
        events: str | None = None,
        reports: str | None = None,
        no_reports: bool = False,
        ack: bytes | None = ...,
        verify: bool = True,
        profile: Profile | str | None = ...,
        validate: bool = ...,
        seed: int = ...,
        bind: str = ...,
        lossless: bool = ...,
        hwm: int | None = ...,
        journal: bool = ...,
    ) -> HookManagerFixture:
        """Start a mock Hook Manager and return its fixture object.

        Args:
            events: the events (XPUB) endpoint to bind; default ``tcp://<bind>:*``, a free
                loopback port.
            reports: the reports (REP) endpoint to bind; default ``tcp://<bind>:*``.
            no_reports: bind no reports socket at all (``reports_endpoint`` is ``None``), as
                for a subscriber that never reports.
            ack: the reply to each report, ``b"ACK"`` by default; ``None`` never answers (to
                test an executor's REQ timeout; the REP socket then stops after one report).
            verify: check expectations and the I/O thread at teardown (default ``True``).
            profile: the OpenNebula release to imitate, such as ``"6.10"`` (default: the
                test's, 7.4 unless configured).
            validate: check every built event against mockhm's schemas before sending it.
            seed: seed of the instance's ``cloud`` (names, addresses, timings).
            bind: the address ephemeral endpoints bind to (default ``127.0.0.1``).
            lossless: refuse and count sends at the high-water mark instead of dropping.
            hwm: the send high-water mark, like one_hm's ``--hwm`` (default libzmq's 1000).
            journal: keep every sent message (default ``True``; off for long runs).
        """
        ...
