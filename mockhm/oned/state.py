"""The state every part of the model shares: objects, clock, driver queue, emission.

:class:`CloudBase` holds oned's objects (VMs, hosts, images, networks), the document
clock, the seeded randomness and the :class:`~mockhm.oned.drivers.DriverQueue`; the
transition mixins (:mod:`mockhm.oned.vms`, :mod:`mockhm.oned.hosts`,
:mod:`mockhm.oned.objects`) build on it and :class:`~mockhm.oned.cloud.Cloud` joins them.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Sequence
from dataclasses import dataclass

from mockhm.oned.drivers import DRIVER_DELAY, DriverQueue, Events
from mockhm.traffic.provider import make_faker
from mockhm.wire.bodies import ApiValue, api_event, document_state_event
from mockhm.wire.defaults import EPOCH
from mockhm.wire.documents import HostDocument, ImageDocument, VmDocument, VnetDocument
from mockhm.wire.errors import MockHMError
from mockhm.wire.message import HookEvent
from mockhm.wire.profiles import Profile, get_profile

Document = VmDocument | HostDocument | ImageDocument | VnetDocument


class CloudError(MockHMError, ValueError):
    """An action that the current state of the cloud does not allow.

    ``code`` is oned's error code name (``ACTION``, ``NO_EXISTS``, ``INTERNAL``…),
    ``oned`` oned's own message (without the ``[method]`` prefix) when it has one and
    ``resp_id`` the object the failure response names (-1 for none).
    """

    def __init__(self, message: str, *, code: str = "ACTION", oned: str | None = None, resp_id: int = -1):
        super().__init__(message)
        self.code = code
        self.oned = oned if oned is not None else message
        self.resp_id = resp_id


@dataclass(frozen=True)
class Caller:
    """Who makes a request: HISTORY records keep UID, GID and REQUEST_ID of each action."""

    uid: int = 0
    gid: int = 0
    request_id: int = -1


class CloudBase:
    """Objects, clocks, driver queue and the STATE/API event plumbing."""

    def __init__(
        self,
        profile: Profile | str | None = None,
        *,
        seed: int | None = 0,
        start_time: int = EPOCH,
        upstream_compatible: bool = False,
    ) -> None:
        self.profile = get_profile(profile)
        self.upstream_compatible = upstream_compatible
        self.start_time = start_time
        self.now = start_time
        self.fake = make_faker(seed)
        self.random = random.Random(seed)
        self.vms: dict[int, VmDocument] = {}
        self.hosts: dict[int, HostDocument] = {}
        self.images: dict[int, ImageDocument] = {}
        self.nets: dict[int, VnetDocument] = {}
        self._ids = {"vm": 0, "host": 0, "image": 0, "net": 0, "hook_exec": 0}
        #: VM id -> (network id, lease index) of its address; indices freed per network.
        self._leases: dict[int, tuple[int, int]] = {}
        self._free_leases: dict[int, list[int]] = {}
        self.drivers = DriverQueue()
        #: Drivers run on their own (front-end): allocations queue monitors, releases the
        #: scheduler.  ``False`` (the classic Cloud API) leaves that to the caller.
        self.auto_drivers = False
        #: The caller of the request being handled (set by the front-end per call).
        self.caller = Caller()

    # -- plumbing --------------------------------------------------------------------------

    def _release(self, vid: int) -> None:
        """A VM reached DONE: its address goes back to its network (oned frees the lease)."""
        lease = self._leases.pop(vid, None)
        if lease is None:
            return
        nid, index = lease
        heapq.heappush(self._free_leases.setdefault(nid, []), index)
        net = self.nets.get(nid)
        if net is not None:
            net.used_leases = max(net.used_leases - 1, 0)

    def advance(self, low: int, high: int | None = None) -> int:
        """Move the cloud clock on by ``low`` seconds, or a random ``low..high``."""
        self.now += low if high is None else self.random.randint(low, high)
        return self.now

    def sync_clock(self) -> None:
        """Documents are stamped with the driver clock when it is ahead (front-end use)."""
        self.now = max(self.now, self.start_time + int(self.drivers.clock))

    def _next_id(self, kind: str) -> int:
        value = self._ids[kind]
        self._ids[kind] += 1
        return value

    def _emit(self, doc: Document) -> HookEvent:
        """Build the STATE event, then ``set_prev_state()`` as oned does."""
        event = document_state_event(doc, self.profile)
        doc.prev_state = doc.state
        if isinstance(doc, VmDocument):
            doc.prev_lcm_state = doc.lcm_state
            doc.loaded = False  # the monitoring loaded for one update is not stored
        return event

    def _later(self, label: str, kind: str, oid: int, run: object, delay: float = DRIVER_DELAY) -> None:
        """Queue a driver continuation ``run`` (a callable returning events)."""
        self.drivers.push(delay, label, kind, oid, run)  # type: ignore[arg-type]

    def settle(self, *, limit: int = 10_000) -> Events:
        """Run queued driver steps until none is runnable."""
        return self.drivers.settle(limit=limit)

    def _vm(self, vid: int) -> VmDocument:
        vm = self.vms.get(vid)
        if vm is None:
            raise CloudError(f"no VM {vid}; VMs are {sorted(self.vms)}", code="NO_EXISTS", resp_id=vid)
        return vm

    def _host(self, hid: int) -> HostDocument:
        host = self.hosts.get(hid)
        if host is None:
            raise CloudError(f"no host {hid}; hosts are {sorted(self.hosts)}", code="NO_EXISTS", resp_id=hid)
        return host

    def _image(self, iid: int) -> ImageDocument:
        image = self.images.get(iid)
        if image is None:
            raise CloudError(
                f"no image {iid}; images are {sorted(self.images)}", code="NO_EXISTS", resp_id=iid
            )
        return image

    def _net(self, nid: int) -> VnetDocument:
        net = self.nets.get(nid)
        if net is None:
            raise CloudError(
                f"no network {nid}; networks are {sorted(self.nets)}", code="NO_EXISTS", resp_id=nid
            )
        return net

    def _api(self, call: str, params: Sequence[ApiValue], **kwargs: object) -> HookEvent:
        # A client's value with a raw '&' or '<' gives an ill-formed body, as oned writes it.
        return api_event(call, params, profile=self.profile, ill_formed=True, **kwargs)  # type: ignore[arg-type]
