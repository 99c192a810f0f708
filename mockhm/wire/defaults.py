"""Default, realistic documents for one-off STATE events (``state_event``).

The defaults reproduce the shapes of the reference's test vectors, so
``state_event("VM", 5, "ACTIVE", "RUNNING")`` is the vector ``vm-running-deployed``.
"""

from __future__ import annotations

import dataclasses
from typing import Final

from mockhm.wire.documents import History, HostDocument, ImageDocument, VmDocument, VnetDocument
from mockhm.wire.errors import InvalidArgumentError
from mockhm.wire.states import LCM_STATES, VM_STATES

EPOCH: Final[int] = 1764250000

#: VM states whose VM has been on a host (history record, DEPLOY_ID, TM_MAD_SYSTEM).
_DEPLOYED: Final[frozenset[str]] = frozenset({"ACTIVE", "POWEROFF", "SUSPENDED", "STOPPED", "UNDEPLOYED"})

#: The (STATE, LCM_STATE) a VM usually comes from, for the embedded PREV_* fields (§5).
VM_PREDECESSOR: Final[dict[tuple[str, str], tuple[str, str]]] = {
    ("ACTIVE", "LCM_INIT"): ("PENDING", "LCM_INIT"),
    ("ACTIVE", "PROLOG"): ("ACTIVE", "LCM_INIT"),
    ("ACTIVE", "BOOT"): ("ACTIVE", "PROLOG"),
    ("ACTIVE", "RUNNING"): ("ACTIVE", "BOOT"),
    ("ACTIVE", "SHUTDOWN"): ("ACTIVE", "RUNNING"),
    ("ACTIVE", "EPILOG"): ("ACTIVE", "SHUTDOWN"),
    ("ACTIVE", "SHUTDOWN_POWEROFF"): ("ACTIVE", "RUNNING"),
    ("POWEROFF", "LCM_INIT"): ("ACTIVE", "SHUTDOWN_POWEROFF"),
    ("ACTIVE", "UNKNOWN"): ("ACTIVE", "RUNNING"),
    ("DONE", "LCM_INIT"): ("ACTIVE", "EPILOG"),
    ("HOLD", "LCM_INIT"): ("HOLD", "LCM_INIT"),
}

HOST_PREDECESSOR: Final[dict[str, str]] = {"MONITORED": "INIT", "ERROR": "MONITORED", "INIT": "INIT"}


def default_vm(vm_id: int, state: str = "PENDING", lcm_state: str = "LCM_INIT") -> VmDocument:
    """A minimal but realistic VM in ``state``/``lcm_state`` (vector shapes)."""
    prev = VM_PREDECESSOR.get((state, lcm_state), (state, lcm_state))
    vm = VmDocument(
        id=vm_id,
        name=f"test-{vm_id}",
        state=state,
        lcm_state=lcm_state,
        prev_state=prev[0],
        prev_lcm_state=prev[1],
        stime=EPOCH,
        template={
            "AUTOMATIC_DS_REQUIREMENTS": '("CLUSTERS/ID" @> 0)',
            "AUTOMATIC_NIC_REQUIREMENTS": '("CLUSTERS/ID" @> 0)',
            "AUTOMATIC_REQUIREMENTS": "(CLUSTER_ID = 0) & !(PUBLIC_CLOUD = YES) & !(PIN_POLICY = PINNED)",
            "CPU": "1",
            "MEMORY": "128",
            "VMID": str(vm_id),
        },
    )
    if state in _DEPLOYED:
        vm.deploy_id = f"one-{vm_id}"
        vm.template["TM_MAD_SYSTEM"] = "ssh"
        vm.history.append(
            History(
                oid=vm_id, seq=0, hostname="node1", hid=0, stime=EPOCH + 10,
                pstime=EPOCH + 10, petime=EPOCH + 12, rstime=EPOCH + 12,
            )
        )  # fmt: skip
    if state == "DONE":
        vm.etime = EPOCH + 600
    return vm


def default_host(host_id: int, state: str = "MONITORED") -> HostDocument:
    """A host; monitored ones carry capacity and MONITORING, INIT ones are empty."""
    host = HostDocument(
        id=host_id,
        name=f"node{host_id + 1}",
        state=state,
        prev_state=HOST_PREDECESSOR.get(state, "MONITORED"),
        template={"IM_MAD": "kvm", "RESERVED_CPU": "", "RESERVED_MEM": "", "VM_MAD": "kvm"},
    )
    if state != "INIT":
        host.total_mem, host.total_cpu = 4000000, 400
        host.disk = (51200, 102400, 51200)
        host.monitor_time = EPOCH + 100
        host.monitoring = {
            "CAPACITY": {
                "FREE_CPU": "390",
                "FREE_MEMORY": "3800000",
                "USED_CPU": "10",
                "USED_MEMORY": "200000",
            },
            "SYSTEM": {"NETRX": "1000", "NETTX": "2000"},
        }
    return host


def default_image(image_id: int, state: str = "READY") -> ImageDocument:
    """An image in the default datastore."""
    return ImageDocument(
        id=image_id,
        name=f"image-{image_id}",
        regtime=EPOCH,
        modtime=EPOCH,
        source=f"/var/lib/one//datastores/1/{image_id:06x}",
        path=f"/tmp/image-{image_id}.qcow2",
        state=state,
        prev_state="LOCKED" if state == "READY" else "READY",
    )


def default_vnet(net_id: int, state: str = "READY") -> VnetDocument:
    """A bridged IPv4 network with one address range."""
    bridge = f"onebr.{net_id}"
    return VnetDocument(
        id=net_id,
        name=f"net-{net_id}",
        bridge=bridge,
        state=state,
        prev_state="INIT" if state == "READY" else "READY",
        template={"BRIDGE": bridge, "BRIDGE_TYPE": "linux", "VN_MAD": "bridge"},
        address_ranges=[
            {"AR_ID": "0", "IP": "10.0.0.10", "MAC": "02:00:0a:00:00:0a", "NEXT_INDEX": "0",
             "SHARED": "NO", "SIZE": "20", "TYPE": "IP4"}
        ],
    )  # fmt: skip


def default_document(
    obj: str, resource_id: int, state: str, lcm_state: str | None = None, **fields: object
) -> VmDocument | HostDocument | ImageDocument | VnetDocument:
    """A default document of HOOK_OBJECT ``obj`` with ``fields`` set on it."""
    doc: VmDocument | HostDocument | ImageDocument | VnetDocument
    if isinstance(resource_id, bool) or not isinstance(resource_id, int) or resource_id < 0:
        raise InvalidArgumentError(
            f"resource_id={resource_id!r}; expected an object id, an integer 0 or more"
        )
    if obj == "VM":
        if state != "ACTIVE" and lcm_state not in (None, "LCM_INIT"):
            raise InvalidArgumentError(
                f"a VM in {state} has LCM_STATE LCM_INIT; {lcm_state} is a state of ACTIVE VMs only"
            )
        for name in ("prev_state", "prev_lcm_state"):
            table = VM_STATES if name == "prev_state" else LCM_STATES
            if name in fields and fields[name] not in table:
                raise InvalidArgumentError(f"{name}={fields[name]!r}; expected one of {', '.join(table)}")
        doc = default_vm(resource_id, state, lcm_state or "LCM_INIT")
    elif obj == "HOST":
        doc = default_host(resource_id, state)
    elif obj == "IMAGE":
        doc = default_image(resource_id, state)
    elif obj == "NET":
        doc = default_vnet(resource_id, state)
    else:
        raise ValueError(f"unknown hook object {obj!r}; expected one of 'HOST', 'IMAGE', 'NET', 'VM'")
    if obj != "VM" and lcm_state:
        raise ValueError(f"lcm_state is for VMs only; {obj} events have an empty LCM_STATE")
    names = {f.name for f in dataclasses.fields(doc)}
    for name, value in fields.items():
        if name not in names:
            raise TypeError(
                f"{type(doc).__name__} has no field {name!r}; fields are {', '.join(sorted(names))}"
            )
        setattr(doc, name, value)
    return doc
