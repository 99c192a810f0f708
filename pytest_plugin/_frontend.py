"""The ``oned`` fixture: a mock oned XML-RPC front-end on the state of ``hookmanager``.

``ONE_XMLRPC`` and ``ONE_AUTH`` (a file holding ``user:password``, as OpenNebula's CLI, OCA and
pyone read it) are exported for the test and restored afterwards, so clients started as
subprocesses find the front-end.  Each test gets a fresh front-end on a free loopback port
(safe under pytest-xdist: nothing binds 2633).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

from ._fixture import HookManagerFixture

if TYPE_CHECKING:
    from mockhm.frontend.frontend import FrontEnd

#: ``@pytest.mark.oned(...)`` keyword arguments.
ONED_KWARGS = frozenset({"drivers", "auth", "speed"})

# pytest splits a marker line at its first colon: the signature part must not hold one.
ONED_MARKER = (
    "oned(*, drivers='auto', auth=..., speed=1000.0): configure this test's mock oned "
    "front-end (the ``oned`` fixture): drivers 'auto' run by themselves, 'manual' only on oned.step() / "
    "oned.settle(); auth the USER:PASSWORD it accepts (default oneadmin:password); speed the model "
    "seconds per wall second"
)


def _marker(node: pytest.Item) -> dict[str, Any]:
    marker = node.get_closest_marker("oned")
    if marker is None:
        return {}
    unknown = sorted(set(marker.kwargs) - ONED_KWARGS)
    if marker.args or unknown:
        pytest.fail(
            f"@pytest.mark.oned takes keyword arguments {sorted(ONED_KWARGS)}; got {marker.args!r} "
            f"and unknown {unknown}",
            pytrace=False,
        )
    return dict(marker.kwargs)


@pytest.fixture
def oned(
    request: pytest.FixtureRequest,
    hookmanager: HookManagerFixture,
    tmp_path: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[FrontEnd]:
    """A mock oned front-end (:class:`mockhm.FrontEnd`) sharing ``hookmanager``'s state.

    Every call publishes on ``hookmanager``; ``hookmanager.cloud`` is the front-end's state;
    reports on 2102 land in the hook log.  ``oned.url`` and ``oned.session`` are what clients
    need; ``ONE_XMLRPC`` and ``ONE_AUTH`` are exported for subprocesses.  Configure with
    ``@pytest.mark.oned(drivers="manual", auth="user:pass", speed=...)``.
    """
    from mockhm.frontend.frontend import AUTH_ENV, XMLRPC_ENV, FrontEnd

    options = _marker(request.node)
    if hookmanager._cloud is not None:
        pytest.fail(
            "the oned fixture must come before anything uses hookmanager.cloud (the front-end "
            "brings the state both share)",
            pytrace=False,
        )
    host = hookmanager.events_endpoint.split("://", 1)[1].rsplit(":", 1)[0]
    fe = FrontEnd(
        hookmanager.hm,
        profile=hookmanager.profile,
        seed=hookmanager.seed,
        url=f"http://{host}:0/RPC2",
        **options,
    )
    try:
        hookmanager._cloud = fe.oned.cloud
        auth_file = fe.write_one_auth(tmp_path / "one_auth")
        monkeypatch.setenv(XMLRPC_ENV, fe.url)
        monkeypatch.setenv(AUTH_ENV, str(auth_file))
        yield fe
        fe.check()
    finally:
        fe.close()
