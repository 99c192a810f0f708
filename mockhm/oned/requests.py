"""What the method handlers of :class:`~mockhm.oned.front.Oned` work on: its pools and helpers.

Holds the errors a request fails with (``Request::failure_message`` wording, codes of
``include/Request.h@release-7.4.0``), the method table's entry type and :class:`OnedBase`,
the state ``Oned`` adds to the shared :class:`~mockhm.oned.cloud.Cloud`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from mockhm.oned.cloud import Cloud
from mockhm.oned.drivers import Events
from mockhm.oned.hooks import HookPool
from mockhm.oned.pools import Datastore, VmTemplate, default_datastores
from mockhm.oned.state import CloudError
from mockhm.wire.bodies import ApiValue
from mockhm.wire.defaults import EPOCH

#: ``RequestLogger::object_name`` by object kind.
OBJECT_NAMES: Final[dict[str, str]] = {
    "vm": "virtual machine", "host": "host", "template": "virtual machine template", "net": "virtual network",
    "image": "image", "datastore": "datastore", "hook": "hook", "user": "user", "group": "group",
    "cluster": "cluster", "none": "",
}  # fmt: skip


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


class OnedBase:
    """oned's pools beside the Cloud: datastores, VM templates, hooks, users."""

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


Handler = Callable[[OnedBase, list[Any]], tuple[object, Events]]


@dataclass(frozen=True)
class Method:
    """A method: parameter types after the session (``i``, ``s``, ``b``; after ``|`` optional),
    the object kind its errors name, and the handler."""

    signature: str
    kind: str
    handler: Handler


def no_exists(kind: str, oid: int) -> Failure:
    """NO_EXISTS as ``failure_message`` words it."""
    return Failure("NO_EXISTS", f"Error getting {OBJECT_NAMES[kind]} [{oid}].", oid)


def _value(value: object) -> ApiValue:
    return value if isinstance(value, (str, int, float, bool)) else ""


def _values(args: Sequence[object]) -> list[ApiValue]:
    return [_value(a) for a in args]


def update_replaces(args: Sequence[object]) -> bool:
    """The update type of ``one.*.update`` (``args[2]``): ``True`` for 0 (replace), ``False`` for
    1 (merge); :class:`Failure` RPC_API for anything else, as ``SharedAPI::update`` answers."""
    kind = args[2] if len(args) > 2 else 0
    if kind not in (0, 1):
        raise Failure("RPC_API", "Wrong update type")
    return kind == 0
