"""``Oned``: oned's XML-RPC methods over the shared :class:`~mockhm.oned.cloud.Cloud`.

:meth:`Oned.call` takes a method name and the parameters exactly as XML-RPC delivers
them (the session string first) and answers as oned does: ``[True, value, 0]`` or
``[False, message, code, id]`` (``Request::failure_message`` in
``src/rm/Request.cc@release-7.4.0``; codes from ``include/Request.h``), with the events
oned publishes for the call in its order.  A wrong session fails with AUTHENTICATION and
publishes nothing; unknown methods and wrong parameter types are XML-RPC faults, as
xmlrpc-c answers them.  Driver continuations are queued, never run by ``call``:
:meth:`Oned.step`, :meth:`Oned.run_until` and :meth:`Oned.settle` run them.
Pure: no sockets, no threads, no sleeps.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

from mockhm.oned.hooks import report_fragment
from mockhm.oned.methods import METHODS
from mockhm.oned.requests import Failure, Fault, OnedBase
from mockhm.oned.state import Caller, CloudError
from mockhm.wire.bodies import ERROR_CODES
from mockhm.wire.message import HookEvent
from mockhm.wire.reports import HookReport

#: xmlrpc-c fault codes: a parameter of the wrong type or missing, an unknown method.
FAULT_TYPE: Final = -501
FAULT_NO_SUCH_METHOD: Final = -506

#: What ``paramList`` says a parameter should have been.
_TYPE_NAMES: Final = {"i": "integer", "s": "a string", "b": "boolean"}


@dataclass(frozen=True)
class Reply:
    """oned's answer to one call and the events it published, in order.

    ``response`` is ``[True, value, 0]`` or ``[False, message, code, id]``; a request
    xmlrpc-c itself refuses (unknown method, a parameter of the wrong type) has ``fault``
    ``(code, message)`` instead and an empty ``response``.
    """

    response: list[object]
    events: list[HookEvent] = field(default_factory=list)
    fault: tuple[int, str] | None = None


class Oned(OnedBase):
    """A pure model of oned 7.4's front-end: its XML-RPC methods and its drivers.

    Args:
        profile: the release whose events are published (default 7.4).
        seed: seeds generated names, UUIDs and probe readings.
        users: the credentials sessions are checked against (``user:password``).
        start_time: unix time of the model clock's zero (document times).
        cloud: share an existing :class:`Cloud` (a story's) instead of a fresh one.
    """

    # -- the contract ----------------------------------------------------------------------

    def call(self, method: str, params: Sequence[object]) -> Reply:
        """One XML-RPC call: oned's response and the events it publishes now."""
        spec = METHODS.get(method)
        if spec is None:
            return Reply([], fault=(FAULT_NO_SUCH_METHOD, f"Method '{method}' not defined"))
        if not params or not isinstance(params[0], str):
            text = (
                "Not enough parameters" if not params else "Parameter that is supposed to be a string is not"
            )
            return Reply([], fault=(FAULT_TYPE, text))
        # Request::execute authenticates before the method reads its other parameters.
        user, _, password = params[0].partition(":")
        if self.users.get(user) != password or not user:
            return Reply([False, f"[{method}] User couldn't be authenticated, aborting call.",
                          ERROR_CODES["AUTHENTICATION"], -1])  # fmt: skip
        try:
            args = _check(spec.signature, list(params))
        except Fault as fault:
            return Reply([], fault=(fault.code, fault.text))
        self._request += 1
        uid = 0 if user == "oneadmin" else 1 if user == "serveradmin" else 2
        self.cloud.caller = Caller(uid, 0, self.cloud.random.randint(0, 9999))
        self.cloud.sync_clock()
        try:
            value, events = spec.handler(self, args[1:])
        except (Failure, CloudError) as err:
            failure = err if isinstance(err, Failure) else self._from_cloud(err, spec.kind)
            message = f"[{method}] {failure.text}"
            code = ERROR_CODES[failure.code]
            events = self._published(method, args[1:], failure=(message, code, failure.resp_id))
            return Reply([False, message, code, failure.resp_id], events)
        return Reply([True, value, 0], events)

    def pending(self) -> int:
        """Queued driver steps (monitor, scheduler, transient states)."""
        return self.cloud.drivers.pending()

    def next_due(self) -> float | None:
        """Model time (seconds) at which the next runnable driver step is due."""
        return self.cloud.drivers.next_due()

    @property
    def clock(self) -> float:
        """The model clock of the drivers (seconds since start)."""
        return self.cloud.drivers.clock

    def step(self) -> list[HookEvent]:
        """Run the next queued driver step."""
        return self.cloud.drivers.step()

    def run_until(self, when: float) -> list[HookEvent]:
        """Run the driver steps due by model time ``when`` (seconds)."""
        return self.cloud.drivers.run_until(when)

    def settle(self, *, limit: int = 10_000) -> list[HookEvent]:
        """Run driver steps until none is pending (held objects keep theirs)."""
        return self.cloud.drivers.settle(limit=limit)

    def hold(self, kind: str, oid: int) -> None:
        """Keep an object (``vm``, ``host``, ``image``, ``net``) in its state."""
        self.cloud.drivers.hold(kind, oid)

    def unhold(self, kind: str, oid: int) -> None:
        """Let a held object's driver steps run again."""
        self.cloud.drivers.unhold(kind, oid)

    def record_execution(self, report: HookReport) -> None:
        """A 2102 report from an executor becomes a HOOK_EXECUTION_RECORD of its hook."""
        fragment = report_fragment(report.raw)
        if fragment is None or report.hook_id is None:
            return
        self.hooks.record(report.hook_id, fragment, self.cloud.now)


def _check(signature: str, params: list[object]) -> list[object]:
    """xmlrpc-c's ``paramList`` checks: the session and each typed parameter."""
    required, _, optional = signature.partition("|")
    types = "s" + required + optional
    if len(params) < 1 + len(required):
        raise Fault(FAULT_TYPE, "Not enough parameters")
    for kind, value in zip(types, params, strict=False):
        ok = (
            isinstance(value, int) and not isinstance(value, bool) if kind == "i"
            else isinstance(value, bool) if kind == "b"
            else isinstance(value, str)
        )  # fmt: skip
        if not ok:
            raise Fault(FAULT_TYPE, f"Parameter that is supposed to be {_TYPE_NAMES[kind]} is not")
    return params[: len(types)]
