"""VM allocation, migration, hot operations and recovery (``one.vm.*`` beyond ``action``).

Migrations are LCM triggers (API event first); hot operations set their transient
state inside the Dispatch Manager (STATE first) and the driver brings the VM back;
``set_vm_info`` loads the monitoring into the events of migrations and of most hot
operations (``src/dm/DispatchManagerActions.cc``, ``src/lcm/LifeCycleActions.cc`` at
``release-7.4.0``; ``7.4.0-vm-lifecycle.jsonl``).
"""

from __future__ import annotations

import heapq
import ipaddress
from collections.abc import Mapping
from typing import Final

from mockhm.oned.drivers import Events
from mockhm.oned.state import CloudError
from mockhm.oned.vms import VmTransitions, state_str
from mockhm.traffic.rules import mac_for_ip
from mockhm.wire.bodies import ApiValue
from mockhm.wire.documents import History, Owner, VmDocument, VnetDocument

#: Hot operations: (call, LCM while RUNNING, LCM while POWEROFF, first release).
HOT_OPERATIONS: Final[dict[str, tuple[str, str | None, str | None, tuple[int, int, int]]]] = {
    "disk-attach": ("one.vm.attach", "HOTPLUG", "HOTPLUG_PROLOG_POWEROFF", (5, 10, 0)),
    "disk-detach": ("one.vm.detach", "HOTPLUG", "HOTPLUG_EPILOG_POWEROFF", (5, 10, 0)),
    "nic-attach": ("one.vm.attachnic", "HOTPLUG_NIC", "HOTPLUG_NIC_POWEROFF", (5, 10, 0)),
    "nic-detach": ("one.vm.detachnic", "HOTPLUG_NIC", "HOTPLUG_NIC_POWEROFF", (5, 10, 0)),
    "snapshot-create": ("one.vm.snapshotcreate", "HOTPLUG_SNAPSHOT", None, (5, 10, 0)),
    "snapshot-delete": ("one.vm.snapshotdelete", "HOTPLUG_SNAPSHOT", None, (5, 10, 0)),
    "disk-snapshot": ("one.vm.disksnapshotcreate", "DISK_SNAPSHOT", "DISK_SNAPSHOT_POWEROFF", (5, 10, 0)),
    "disk-resize": ("one.vm.diskresize", "DISK_RESIZE", "DISK_RESIZE_POWEROFF", (5, 10, 0)),
    "resize": ("one.vm.resize", "HOTPLUG_RESIZE", None, (6, 0, 0)),
    "backup": ("one.vm.backup", "BACKUP", "BACKUP_POWEROFF", (6, 6, 0)),
    "restore": ("one.vm.restore", None, "RESTORE", (6, 10, 0)),
    "exec": ("one.vm.exec", "HOTPLUG", None, (7, 2, 0)),
}  # fmt: skip

#: Hot operations whose DM part calls ``set_vm_info`` (monitoring loaded into the event).
_LOADS_MONITORING: Final = frozenset(
    {"disk-detach", "nic-attach", "nic-detach", "disk-snapshot", "disk-resize", "backup", "restore"}
)

#: ``one.vm.recover`` operations (§6.1) and the states they lead to from a failed VM (§5).
RECOVER_OPERATIONS: Final[dict[str, int]] = {
    "failure": 0, "success": 1, "retry": 2, "delete": 3, "delete-recreate": 4,
}  # fmt: skip


def template_string(template: Mapping[str, object]) -> str:
    """The ``A="B"`` form a CLI user sends to ``one.vm.allocate``."""
    parts = [f'{key}="{template[key]}"' for key in ("NAME", "CPU", "VCPU", "MEMORY") if key in template]
    disk = template.get("DISK")
    if isinstance(disk, Mapping):
        parts.append(f'DISK=[IMAGE_ID="{disk.get("IMAGE_ID", "0")}"]')
    nic = template.get("NIC")
    if isinstance(nic, Mapping):
        parts.append(f'NIC=[NETWORK_ID="{nic.get("NETWORK_ID", "0")}"]')
    return " ".join(parts)


class VmOperations(VmTransitions):
    """Allocation (classic, Faker-filled), migration, hot operations, recovery."""

    def vm_allocate(
        self,
        *,
        name: str | None = None,
        hold: bool = False,
        image_id: int | None = None,
        net_id: int | None = None,
        user_template: Mapping[str, str] | None = None,
        owner: Owner | None = None,
        call: str = "one.vm.allocate",
    ) -> Events:
        """``onevm create``: STATE PENDING (or HOLD), then the API event.

        ``call="one.template.instantiate"`` gives the API event of a template instantiation
        (its EXTRA is empty, as oned's).
        """
        vid = self._next_id("vm")
        fake = self.fake
        name = name or fake.one_vm_name()
        template: dict[str, object] = {
            "AUTOMATIC_DS_REQUIREMENTS": '("CLUSTERS/ID" @> 0)',
            "AUTOMATIC_NIC_REQUIREMENTS": '("CLUSTERS/ID" @> 0)',
            "AUTOMATIC_REQUIREMENTS": "(CLUSTER_ID = 0) & !(PUBLIC_CLOUD = YES) & !(PIN_POLICY = PINNED)",
            **fake.one_capacity(),
            "GRAPHICS": fake.one_graphics(vid),
            "OS": fake.one_os(),
            "VMID": str(vid),
        }
        image = self.images.get(image_id) if image_id is not None else None
        img_name = image.name if image else fake.one_image_name()
        template["DISK"] = fake.one_disk(0, image_id if image_id is not None else 0, img_name)
        net = self.nets.get(net_id) if net_id is not None else None
        if net is not None and net.address_ranges:
            ip = self._lease(net, vid)
            net_name, nid = net.name, net.id
        else:
            ip, net_name, nid = fake.one_private_ipv4(), fake.one_vnet_name(), net_id or 0
        mac = mac_for_ip(ip)
        template["NIC"] = fake.one_nic(0, nid, net_name, ip, mac)
        template["CONTEXT"] = fake.one_context(vid, ip, mac, fake.one_ssh_public_key())
        self.advance(1, 5)
        vm = VmDocument(
            id=vid, name=name, owner=owner or Owner(), state="HOLD" if hold else "PENDING",
            prev_state="HOLD" if hold else "PENDING", stime=self.now, template=template,
            user_template=dict(user_template or {}), upstream_compatible=self.upstream_compatible,
        )  # fmt: skip
        self.vms[vid] = vm
        state = self._emit(vm)
        if call == "one.template.instantiate":
            params: list[ApiValue] = [0, name, hold, "", False]
            extra = ""
        else:
            params = [template_string(template), hold]
            extra = vm.to_xml(self.profile, history="last")
        return [state, self._api(call, params, result=vid, extra=extra)]

    def _lease(self, net: VnetDocument, vid: int) -> str:
        """The next fresh address of the range, else the lowest one a DONE VM gave back."""
        ar = net.address_ranges[0]
        index = int(ar.get("NEXT_INDEX", "0"))
        size = int(ar.get("SIZE", "0"))
        free = self._free_leases.setdefault(net.id, [])
        if index < size:
            ar["NEXT_INDEX"] = str(index + 1)
        elif free:
            index = heapq.heappop(free)
        else:
            raise CloudError(
                f"network {net.id} ({net.name}) has no free address: all {size} of its address range are "
                "leased; terminate a VM first or allocate another network"
            )
        net.used_leases += 1
        self._leases[vid] = (net.id, index)
        return str(ipaddress.ip_address(ar["IP"]) + index)

    # -- migration -------------------------------------------------------------------------

    def migrate_sync(
        self, vid: int, hid: int | None, *, live: bool, params: list[ApiValue] | None = None
    ) -> Events:
        """``one.vm.migrate``: the API event now; SAVE_MIGRATE… or MIGRATE on the LCM thread.

        A new HISTORY record on the target opens before the migration's first state, so
        REMOTE_HOST already names the target (``7.4.0-vm-lifecycle.jsonl``).
        """
        vm = self._vm(vid)
        up = vm.state == "ACTIVE" and vm.lcm_state in ("RUNNING", "UNKNOWN")
        if not (up or vm.state in ("POWEROFF", "SUSPENDED")) or (live and vm.state != "ACTIVE"):
            raise CloudError(
                f"VM {vid} is {vm.state}/{vm.lcm_state}; migrate needs RUNNING, UNKNOWN, POWEROFF, SUSPENDED",
                oned=f"Migrate action is not available for state {state_str(vm)}",
            )
        current = vm.history[-1]
        if hid is None:
            others = [h for h in self.hosts.values() if h.state == "MONITORED" and h.id != current.hid]
            if not others:
                raise CloudError(f"no other MONITORED host to migrate VM {vid} to")
            target = others[0]
        else:
            target = self._host(hid)
        ds_id = params[4] if params is not None and len(params) > 4 else -1
        if target.id == current.hid and ds_id in (-1, current.ds_id):  # VirtualMachineAPI.cc migrate
            raise CloudError(
                f"VM {vid} already runs on host {current.hid}",
                oned=f"VM is already running on host [{current.hid}] and datastore [{current.ds_id}]",
            )
        self.advance(1, 3)
        call_params: list[ApiValue] = params if params is not None else [vid, target.id, live, False, -1, 0]
        api = self._api("one.vm.migrate", call_params, result=vid)
        self._lcm(vm, lambda: self._migrate(vm, target.id, live))
        return [api]

    def _migrate(self, vm: VmDocument, hid: int, live: bool) -> Events:
        target = self._host(hid)
        current = vm.history[-1]
        self._act(vm, "live-migrate" if live else "migrate")
        c = self.caller
        new = History(
            oid=vm.id, seq=len(vm.history), hostname=target.name, hid=target.id, vm_mad=target.vm_mad,
            tm_mad=current.tm_mad, ds_id=current.ds_id, stime=self.now, plan_id=-2, action_id=-1,
        )  # fmt: skip
        if not live:
            new.set_action(current.action, c.uid, c.gid, c.request_id)
        vm.history.append(new)
        vm.loaded = bool(vm.monitoring)  # set_vm_info
        if live:
            events = self._set(vm, "ACTIVE", "MIGRATE")
            self._then(vm, "migrate", lambda: self._migrated(vm, current))
            return events
        if vm.state != "ACTIVE":  # cold migration of a powered-off or suspended VM
            back = vm.state
            prolog = "PROLOG_MIGRATE_POWEROFF" if back == "POWEROFF" else "PROLOG_MIGRATE_SUSPEND"
            current.etime = current.retime = current.retime or self.now
            new.pstime = self.now
            events = self._set(vm, "ACTIVE", prolog)
            self._then(vm, "prolog", lambda: self._set(vm, back))
            return events
        events = self._set(vm, "ACTIVE", "SAVE_MIGRATE")
        self._then(vm, "save", lambda: self._prolog_migrate(vm, current))
        return events

    def _prolog_migrate(self, vm: VmDocument, previous: History) -> Events:
        previous.etime = previous.retime = self.now
        self._host_del(vm, previous)
        vm.history[-1].pstime = self.now
        events = self._set(vm, "ACTIVE", "PROLOG_MIGRATE")
        self._then(vm, "prolog", lambda: self._boot_migrate(vm))
        return events

    def _boot_migrate(self, vm: VmDocument) -> Events:
        rec = vm.history[-1]
        rec.petime = rec.rstime = self.now
        events = self._set(vm, "ACTIVE", "BOOT_MIGRATE")
        self._then(vm, "boot", lambda: self._running(vm))
        return events

    def _migrated(self, vm: VmDocument, previous: History) -> Events:
        previous.etime = previous.retime = self.now
        self._host_del(vm, previous)
        vm.history[-1].rstime = self.now
        return self._running(vm)

    # -- hot operations and recovery -------------------------------------------------------

    def hot_sync(self, vid: int, operation: str, params: list[ApiValue] | None = None) -> Events:
        """A hot operation: the DM sets the transient state (STATE event), then the API
        event; the driver brings the VM back to RUNNING or POWEROFF."""
        if operation not in HOT_OPERATIONS:
            raise CloudError(f"unknown operation {operation!r}; expected one of {', '.join(HOT_OPERATIONS)}")
        call, lcm_on, lcm_off, since = HOT_OPERATIONS[operation]
        if self.profile.release < since:
            raise CloudError(
                f"{operation} needs OpenNebula {'.'.join(map(str, since))}+, profile is {self.profile.name}"
            )
        vm = self._vm(vid)
        running = (vm.state, vm.lcm_state) == ("ACTIVE", "RUNNING")
        transient = lcm_on if running else lcm_off if vm.state == "POWEROFF" else None
        if transient is None or transient not in self.profile.lcm_states:
            raise CloudError(
                f"{operation} is not available for VM {vid} in {vm.state}/{vm.lcm_state}",
                oned=f"Could not perform {operation} on VM {vid}, wrong state {state_str(vm)}.",
            )
        back = ("ACTIVE", "RUNNING") if running else ("POWEROFF", "LCM_INIT")
        self.advance(1, 3)
        vm.loaded = operation in _LOADS_MONITORING and bool(vm.monitoring)
        events = self._set(vm, "ACTIVE", transient)
        events.append(self._api(call, params if params is not None else [vid, ""], result=vid))
        self._then(vm, operation, lambda: self._set(vm, *back))
        return events

    def recover_sync(self, vid: int, operation: str) -> Events:
        """``one.vm.recover``, by state as ``DispatchManager`` does (``recover``, ``retry``,
        ``delete_vm``, ``delete_recreate`` in ``src/dm/DispatchManagerActions.cc@release-7.4.0``):
        success/failure/retry act now on an ACTIVE VM (LCM::recover is a direct call, STATE
        first); an ACTIVE, POWEROFF or SUSPENDED VM is deleted or recreated on the LCM thread,
        one that never ran (or is off its host) at once; other states are refused."""
        if operation not in RECOVER_OPERATIONS:
            raise CloudError(
                f"unknown recover operation {operation!r}; expected one of {', '.join(RECOVER_OPERATIONS)}"
            )
        vm = self._vm(vid)
        state = vm.state
        if operation in ("failure", "success", "retry") and state != "ACTIVE":
            what = "a retry" if operation == "retry" else "a recover operation"
            raise CloudError(
                f"VM {vid} is {state}; recover {operation} needs an ACTIVE VM",
                oned=f"Could not perform {what} on VM {vid}, wrong state {state_str(vm)}.",
            )
        if operation == "delete-recreate" and state == "DONE":
            raise CloudError(f"VM {vid} is DONE", oned="Cannot delete-recreate a VM already in DONE state")
        self.advance(1, 3)
        api = self._api("one.vm.recover", [vid, RECOVER_OPERATIONS[operation]], result=vid)
        lcm = vm.lcm_state
        if operation == "delete" and state not in ("ACTIVE", "DONE"):
            return [*self._cleaned(vm, "DONE"), api]  # free_vm_resources: DONE at once
        if operation == "delete-recreate" and state in ("HOLD", "STOPPED", "UNDEPLOYED"):
            events = self._cleaned(vm, "PENDING")  # straight back to PENDING
            return [*events, api]
        if (operation == "delete" and state == "DONE") or (
            operation == "delete-recreate" and state == "PENDING"
        ):
            return [api]  # nothing to do
        if operation in ("delete", "delete-recreate"):
            cleanup, end = (
                ("CLEANUP_DELETE", "DONE") if operation == "delete" else ("CLEANUP_RESUBMIT", "PENDING")
            )

            def clean() -> Events:
                events = self._set(vm, "ACTIVE", cleanup)
                self._then(vm, "cleanup", lambda: self._cleaned(vm, end))
                return events

            self._lcm(vm, clean)
            return [api]
        if lcm == "UNKNOWN" and operation == "success":
            return [*self._running(vm), api]
        if lcm == "PROLOG_FAILURE" and operation == "retry":
            return [*self._prolog(vm, "PROLOG"), api]
        if lcm.endswith("FAILURE") and operation in ("retry", "success"):
            return [*self._boot(vm, "BOOT"), api]
        return [api]

    def _cleaned(self, vm: VmDocument, end: str) -> Events:
        rec = self._record(vm)
        if rec is not None:
            rec.etime = rec.etime or self.now
        self._host_del(vm)
        events = self._set(vm, end)
        if end == "PENDING" and self.auto_drivers:
            self.request_place()
        return events
