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

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from mockhm.oned.cloud import Cloud
from mockhm.oned.drivers import Events
from mockhm.oned.hooks import HookPool, report_fragment
from mockhm.oned.pools import Datastore, VmTemplate, default_datastores
from mockhm.oned.state import Caller, CloudError
from mockhm.wire.bodies import ERROR_CODES, ApiValue
from mockhm.wire.defaults import EPOCH
from mockhm.wire.message import HookEvent
from mockhm.wire.reports import HookReport

#: xmlrpc-c fault codes: a parameter of the wrong type or missing, an unknown method.
FAULT_TYPE: Final = -501
FAULT_NO_SUCH_METHOD: Final = -506

#: ``RequestLogger::object_name`` by object kind.
OBJECT_NAMES: Final[dict[str, str]] = {
    "vm": "virtual machine", "host": "host", "template": "virtual machine template", "net": "virtual network",
    "image": "image", "datastore": "datastore", "hook": "hook", "user": "user", "group": "group",
    "cluster": "cluster", "none": "",
}  # fmt: skip

_TYPE_NAMES: Final = {"i": "integer", "s": "a string", "b": "boolean"}


class Failure(Exception):
    """A request oned refuses: ``text`` is oned's message after ``[method] ``."""

    def __init__(self, code: str, text: str, resp_id: int = -1) -> None:
        super().__init__(text)
        self.code, self.text, self.resp_id = code, text, resp_id


class Fault(Exception):
    """An XML-RPC fault (the request never reached oned's method)."""

    def __init__(self, code: int, text: str) -> None:
        super().__init__(text)
        self.code, self.text = code, text


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


Handler = Callable[["Oned", list[Any]], tuple[object, Events]]


@dataclass(frozen=True)
class Method:
    """A method: parameter types after the session (``i``, ``s``, ``b``; after ``|`` optional),
    the object kind its errors name, and the handler."""

    signature: str
    kind: str
    handler: Handler


class Oned:
    """A pure model of oned 7.4's front-end: its XML-RPC methods and its drivers.

    Args:
        profile: the release whose events are published (default 7.4).
        seed: seeds generated names, UUIDs and probe readings.
        users: the credentials sessions are checked against (``user:password``).
        start_time: unix time of the model clock's zero (document times).
        cloud: share an existing :class:`Cloud` (a story's) instead of a fresh one.
    """

    def __init__(
        self,
        *,
        profile: str = "7.4",
        seed: int = 0,
        users: Mapping[str, str] | None = None,
        start_time: int = EPOCH,
        cloud: Cloud | None = None,
    ) -> None:
        self.cloud = cloud if cloud is not None else Cloud(profile, seed=seed, start_time=start_time)
        self.cloud.auto_drivers = True
        self.profile = self.cloud.profile
        self.users: dict[str, str] = dict(users if users is not None else {"oneadmin": "password"})
        self.datastores: dict[int, Datastore] = default_datastores()
        self.templates: dict[int, VmTemplate] = {}
        self.hooks = HookPool()
        self._request = 0
        self.cloud.tm_mad_system = self.datastores[0].tm_mad

    # -- the contract ----------------------------------------------------------------------

    def call(self, method: str, params: Sequence[object]) -> Reply:
        """One XML-RPC call: oned's response and the events it publishes now."""
        from mockhm.oned.methods import METHODS

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

    # -- helpers for the method handlers ---------------------------------------------------

    def api(self, method: str, args: Sequence[object], value: object, *, extra: str = "") -> Events:
        """The success API event of ``method`` (none for suppressed info calls)."""
        if method in self.profile.suppressed_calls:
            return []
        return [self.cloud._api(method, _values(args), result=_value(value), extra=extra)]

    def _published(self, method: str, args: Sequence[object], *, failure: tuple[str, int, int]) -> Events:
        if method in self.profile.suppressed_calls:
            return []
        message, code, resp_id = failure
        api = self.cloud._api(
            method, _values(args), success=False, error=message, error_code=code, resp_id=resp_id
        )
        return [api]

    def _from_cloud(self, err: CloudError, kind: str) -> Failure:
        if err.code == "NO_EXISTS":
            return Failure("NO_EXISTS", f"Error getting {OBJECT_NAMES[kind]} [{err.resp_id}].", err.resp_id)
        return Failure(err.code, err.oned, err.resp_id)


def no_exists(kind: str, oid: int) -> Failure:
    """NO_EXISTS as ``failure_message`` words it."""
    return Failure("NO_EXISTS", f"Error getting {OBJECT_NAMES[kind]} [{oid}].", oid)


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


def _value(value: object) -> ApiValue:
    return value if isinstance(value, (str, int, float, bool)) else ""


def _values(args: Sequence[object]) -> list[ApiValue]:
    return [_value(a) for a in args]
