"""Images, virtual networks, hook retries and plain API calls.

An image is inserted LOCKED and the datastore driver makes it READY later; a network is
inserted LOCK_CREATE and the VN driver makes it READY; ``one.vn.delete`` sets
LOCK_DELETE inside the call, publishes the API event, and the driver's answer makes it
DONE (``src/rm/RequestManagerDelete.cc`` and ``src/vnm/VirtualNetworkPool.cc`` at
``release-7.4.0``, issue 13).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from mockhm.oned.drivers import Events
from mockhm.oned.hosts import HostOperations
from mockhm.oned.state import CloudError
from mockhm.wire.bodies import ApiValue, retry_message
from mockhm.wire.documents import ImageDocument, VnetDocument
from mockhm.wire.states import IMAGE_STATES, NET_STATES


class ObjectOperations(HostOperations):
    """Images and networks on top of hosts and VMs."""

    def new_image(
        self,
        name: str,
        *,
        persistent: bool = False,
        datastore_id: int = 1,
        datastore: str = "default",
        path: str = "",
        source: str = "",
        template: dict[str, object] | None = None,
    ) -> ImageDocument:
        """Insert an image LOCKED (no event)."""
        iid = self._next_id("image")
        image = ImageDocument(
            id=iid, name=name, persistent=int(persistent), regtime=self.now, modtime=self.now, source=source,
            path=path, datastore_id=datastore_id, datastore=datastore,
            template=template if template is not None else {"DEV_PREFIX": "vd"},
        )  # fmt: skip
        self.images[iid] = image
        return image

    def image_ready_later(self, iid: int, *, source: str = "", form: str = "") -> None:
        """Queue the datastore driver's answer (``cp``: SOURCE and FORMAT): LOCKED -> READY."""

        def copied() -> Events:
            image = self.images.get(iid)
            if image is None:
                return []
            image.source = image.source or source
            image.format = image.format or form
            return self.image_state(iid, "READY")

        self._later("image copy", "image", iid, copied)

    def image_allocate(self, name: str | None = None, *, persistent: bool = False) -> Events:
        """``oneimage create``: the API event (image LOCKED in EXTRA), then READY when the copy ends.

        An image is inserted LOCKED with PREV_STATE still INIT, so the READY event says
        PREV_STATE INIT.  IMAGE state events exist from 6.0.
        """
        name = name or self.fake.one_image_name()
        self.advance(1, 3)
        image = self.new_image(
            name, persistent=persistent, source=f"/var/lib/one//datastores/1/{self.fake.one_hex(32)}",
            path=f"https://marketplace.example.com/appliance/{name}.qcow2",
        )  # fmt: skip
        template = f'NAME="{name}" PATH="{image.path}" TYPE="OS"'
        events = [
            self._api(
                "one.image.allocate", [template, 1, False], result=image.id, extra=image.to_xml(self.profile)
            )
        ]
        self.advance(10, 120)
        return events + self.image_state(image.id, "READY")

    def image_state(self, iid: int, state: str) -> Events:
        """Set an image's state (USED, DISABLED, ERROR, …); USED_PERS prints as USED."""
        return self._object_state(self._image(iid), "IMAGE", state, IMAGE_STATES)

    def new_net(
        self,
        name: str,
        *,
        ar: dict[str, str] | None = None,
        vn_mad: str = "bridge",
        bridge: str | None = None,
        template: dict[str, object] | None = None,
    ) -> VnetDocument:
        """Insert a network in LOCK_CREATE (no event)."""
        nid = self._next_id("net")
        bridge = bridge or f"onebr{nid}"  # VirtualNetwork::insert: "onebr" + id
        net = VnetDocument(
            id=nid, name=name, bridge=bridge, vn_mad=vn_mad,
            template=template if template is not None
            else {"BRIDGE": bridge, "BRIDGE_TYPE": "linux", "VN_MAD": vn_mad},
            address_ranges=[ar] if ar else [],
        )  # fmt: skip
        self.nets[nid] = net
        return net

    def net_ready_later(self, nid: int) -> None:
        """Queue the VN driver's answer: LOCK_CREATE -> READY."""
        self._later(
            "vnet create", "net", nid, lambda: self.net_state(nid, "READY") if nid in self.nets else []
        )

    def net_allocate(self, name: str | None = None) -> Events:
        """``onevnet create``: the API event (LOCK_CREATE in EXTRA), then READY (6.4+)."""
        name = name or self.fake.one_vnet_name()
        ar = {"AR_ID": "0", "NEXT_INDEX": "0", "SHARED": "NO", **self.fake.one_address_range()}
        net = self.new_net(name, ar=ar)
        self.advance(1, 3)
        template = f'NAME="{name}" VN_MAD="bridge" AR=[TYPE="IP4", IP="{ar["IP"]}", SIZE="{ar["SIZE"]}"]'
        events = [self._api("one.vn.allocate", [template, -1], result=net.id, extra=net.to_xml(self.profile))]
        return events + self.net_state(net.id, "READY")

    def net_state(self, nid: int, state: str) -> Events:
        """Set a network's state; UPDATE_FAILURE prints as an empty STATE."""
        return self._object_state(self._net(nid), "NET", state, NET_STATES)

    def _object_state(
        self, doc: ImageDocument | VnetDocument, obj: str, state: str, states: Mapping[str, int]
    ) -> Events:
        """Set an image's or network's state, checked first; its STATE event where the profile has one."""
        if state not in states:
            what = "image" if obj == "IMAGE" else "network"
            raise CloudError(f"{what} state {state!r}; expected one of {', '.join(states)}")
        doc.state = state
        self.advance(1, 5)
        if obj not in self.profile.state_objects:
            doc.prev_state = state
            return []
        return [self._emit(doc)]

    def net_delete_sync(self, nid: int) -> Events:
        """``one.vn.delete``: LOCK_DELETE now, the API event, DONE when the driver answers."""
        net = self._net(nid)
        extra = net.to_xml(self.profile)  # SharedAPI::del keeps the body before deleting
        events = self.net_state(nid, "LOCK_DELETE")
        events.append(self._api("one.vn.delete", [nid], result=nid, extra=extra))

        def done() -> Events:
            out = self.net_state(nid, "DONE")
            self.nets.pop(nid, None)
            return out

        self._later("vnet delete", "net", nid, done)
        return events

    def net_delete(self, nid: int) -> Events:
        """``onevnet delete``: LOCK_DELETE, the API event, then DONE (issue 13)."""
        return self.net_delete_sync(nid) + self.settle()

    # -- hooks and plain API calls ---------------------------------------------------------

    def hook_retry(self, hook_id: int, arguments: str, *, remote_host: str | None = None) -> Events:
        """``onehook retry``: the RETRY message, then ``EVENT API one.hook.retry 1``."""
        exec_id = self._next_id("hook_exec")
        self.advance(1, 3)
        retry = retry_message(hook_id, arguments, remote_host=remote_host, profile=self.profile)
        return [retry, self._api("one.hook.retry", [hook_id, exec_id], result=hook_id)]

    def api(self, call: str, params: Sequence[ApiValue] = (), **kwargs: object) -> Events:
        """Any API call with no state change (rename, update, chown…), success or failure."""
        self.advance(1, 3)
        return [self._api(call, params, **kwargs)]
