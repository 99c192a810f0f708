"""A tiny stateful oned: actions in, the events a real oned emits out.

:class:`Cloud` keeps VM, host, image and network documents and applies the
life-cycle transitions oned takes to them.  Every action returns the events in emission
order, with documents that evolve consistently (PREV_* fields, history records,
REMOTE_HOST, STIME/ETIME, ids).  It is pure: no sockets, no wall clock.  Names and
addresses come from a seeded Faker, so the same seed gives the same bytes.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence
from typing import Final

from mockhm.traffic.provider import make_faker
from mockhm.traffic.rules import mac_for_ip
from mockhm.wire.bodies import ApiValue, api_event, document_state_event, retry_message
from mockhm.wire.defaults import EPOCH
from mockhm.wire.documents import (
    History,
    HostDocument,
    ImageDocument,
    Owner,
    VmDocument,
    VnetDocument,
)
from mockhm.wire.message import HookEvent
from mockhm.wire.profiles import Profile, get_profile

Events = list[HookEvent]

#: (STATE, LCM_STATE) sequences of ``one.vm.action`` by action and starting state (§5).
_TERMINATE_FROM_RUNNING: Final = [("ACTIVE", "SHUTDOWN"), ("ACTIVE", "EPILOG"), ("DONE", "LCM_INIT")]
_TERMINATE_FROM_OFF: Final = [("ACTIVE", "EPILOG"), ("DONE", "LCM_INIT")]

#: one.vm.action actions that change no state (API event only, §5 last row).
_API_ONLY_ACTIONS: Final = frozenset({"reboot", "reboot-hard", "resched", "unresched"})

#: Hot operations: (call, LCM while RUNNING, LCM while POWEROFF, first release).
HOT_OPERATIONS: Final[dict[str, tuple[str, str | None, str | None, tuple[int, int, int]]]] = {
    "disk-attach": ("one.vm.attach", "HOTPLUG", "HOTPLUG_PROLOG_POWEROFF", (5, 10, 0)),
    "disk-detach": ("one.vm.detach", "HOTPLUG", "HOTPLUG_EPILOG_POWEROFF", (5, 10, 0)),
    "nic-attach": ("one.vm.attachnic", "HOTPLUG_NIC", "HOTPLUG_NIC_POWEROFF", (5, 10, 0)),
    "nic-detach": ("one.vm.detachnic", "HOTPLUG_NIC", "HOTPLUG_NIC_POWEROFF", (5, 10, 0)),
    "snapshot-create": ("one.vm.snapshotcreate", "HOTPLUG_SNAPSHOT", None, (5, 10, 0)),
    "disk-snapshot": ("one.vm.disksnapshotcreate", "DISK_SNAPSHOT", "DISK_SNAPSHOT_POWEROFF", (5, 10, 0)),
    "disk-resize": ("one.vm.diskresize", "DISK_RESIZE", "DISK_RESIZE_POWEROFF", (5, 10, 0)),
    "resize": ("one.vm.resize", "HOTPLUG_RESIZE", None, (6, 0, 0)),
    "backup": ("one.vm.backup", "BACKUP", "BACKUP_POWEROFF", (6, 6, 0)),
    "restore": ("one.vm.restore", None, "RESTORE", (6, 10, 0)),
}  # fmt: skip

#: ``one.vm.recover`` operations (§6.1) and the states they lead to from a failed VM (§5).
RECOVER_OPERATIONS: Final[dict[str, int]] = {
    "failure": 0, "success": 1, "retry": 2, "delete": 3, "delete-recreate": 4,
}  # fmt: skip


class CloudError(ValueError):
    """An action that the current state of the cloud does not allow."""


class Cloud:
    """A deterministic model of oned's objects that emits their hook events.

    Args:
        profile: release profile of the events (default 7.4).
        seed: seeds names, addresses and durations; the same seed gives the same bytes.
        start_time: the cloud clock (unix seconds) used in STIME, history records and so on.
        upstream_compatible: build VMs and hosts in the shapes upstream's 7.4 XSDs accept where
            that is possible (TM_MAD_SYSTEM before deploy, DATASTORES before the first monitor).
    """

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
        self.now = start_time
        self.fake = make_faker(seed)
        self.random = random.Random(seed)
        self.vms: dict[int, VmDocument] = {}
        self.hosts: dict[int, HostDocument] = {}
        self.images: dict[int, ImageDocument] = {}
        self.nets: dict[int, VnetDocument] = {}
        self._ids = {"vm": 0, "host": 0, "image": 0, "net": 0, "hook_exec": 0}
        #: VMs being resumed from STOPPED/UNDEPLOYED: their deploy uses PROLOG_RESUME/_UNDEPLOY.
        self._resuming: dict[int, str] = {}

    # -- plumbing --------------------------------------------------------------------------

    def advance(self, low: int, high: int | None = None) -> int:
        """Move the cloud clock on by ``low`` seconds, or a random ``low..high``."""
        self.now += low if high is None else self.random.randint(low, high)
        return self.now

    def _next_id(self, kind: str) -> int:
        value = self._ids[kind]
        self._ids[kind] += 1
        return value

    def _emit(self, doc: VmDocument | HostDocument | ImageDocument | VnetDocument) -> HookEvent:
        """Build the STATE event, then ``set_prev_state()`` as oned does."""
        event = document_state_event(doc, self.profile)
        doc.prev_state = doc.state
        if isinstance(doc, VmDocument):
            doc.prev_lcm_state = doc.lcm_state
        return event

    def _vm(self, vid: int) -> VmDocument:
        try:
            return self.vms[vid]
        except KeyError:
            raise CloudError(f"no VM {vid}; VMs are {sorted(self.vms)}") from None

    def _host(self, hid: int) -> HostDocument:
        try:
            return self.hosts[hid]
        except KeyError:
            raise CloudError(f"no host {hid}; hosts are {sorted(self.hosts)}") from None

    def _api(self, call: str, params: Sequence[ApiValue], **kwargs: object) -> HookEvent:
        return api_event(call, params, profile=self.profile, **kwargs)  # type: ignore[arg-type]

    def _vm_to(
        self, vm: VmDocument, steps: Iterable[tuple[str, str]], pace: tuple[int, int] = (1, 8)
    ) -> Events:
        events = []
        for state, lcm in steps:
            self.advance(*pace)
            vm.state, vm.lcm_state = state, lcm
            self._on_vm_state(vm)
            events.append(self._emit(vm))
        return events

    def _on_vm_state(self, vm: VmDocument) -> None:
        """Keep history records and host usage in step with the VM's state."""
        if vm.state == "DONE":
            vm.etime = self.now
        rec = vm.history[-1] if vm.history else None
        if rec is None:
            return
        host = self.hosts.get(rec.hid)
        lcm = vm.lcm_state
        if lcm in ("PROLOG", "PROLOG_RESUME", "PROLOG_UNDEPLOY", "PROLOG_MIGRATE"):
            rec.pstime = self.now
        elif lcm.startswith("BOOT"):
            rec.petime = rec.petime or self.now
            vm.deploy_id = vm.deploy_id or f"one-{vm.id}"
        elif lcm == "RUNNING":
            rec.rstime = rec.rstime or self.now
            vm.last_poll = self.now
            vm.monitoring = self._vm_monitoring(vm)
            if host is not None and vm.id not in host.vms:
                host.vms.append(vm.id)
        elif lcm in ("SHUTDOWN", "SHUTDOWN_POWEROFF", "SHUTDOWN_UNDEPLOY", "SAVE_STOP", "SAVE_SUSPEND"):
            rec.retime = self.now
        elif lcm.startswith("EPILOG"):
            rec.estime = self.now
        if vm.state in ("DONE", "STOPPED", "UNDEPLOYED") or (vm.state == "PENDING" and rec.etime == 0):
            rec.eetime = rec.eetime or self.now
            rec.etime = rec.etime or self.now
            if host is not None and vm.id in host.vms:
                host.vms.remove(vm.id)

    def _vm_monitoring(self, vm: VmDocument) -> dict[str, str]:
        memory = int(str(vm.template.get("MEMORY", "512")))
        r = self.random
        return {
            "CPU": f"{r.uniform(0.5, 45):.2f}",
            "DISKRDBYTES": str(r.randint(10**6, 10**9)),
            "DISKWRBYTES": str(r.randint(10**6, 10**9)),
            "ID": str(vm.id),
            "MEMORY": str(memory * 1024 * r.randint(30, 90) // 100),
            "NETRX": str(r.randint(10**4, 10**8)),
            "NETTX": str(r.randint(10**4, 10**8)),
            "TIMESTAMP": str(self.now),
        }

    # -- hosts -----------------------------------------------------------------------------

    def host_allocate(self, name: str | None = None, *, im_mad: str = "kvm", vm_mad: str = "kvm") -> Events:
        """``onehost create``: STATE INIT, then ``one.host.allocate`` with the host in EXTRA."""
        hid = self._next_id("host")
        host = HostDocument(
            id=hid,
            name=name or self.fake.one_host_name(),
            im_mad=im_mad,
            vm_mad=vm_mad,
            template={"IM_MAD": im_mad, "RESERVED_CPU": "", "RESERVED_MEM": "", "VM_MAD": vm_mad},
            upstream_compatible=self.upstream_compatible,
        )
        self.hosts[hid] = host
        self.advance(1)
        state = self._emit(host)
        api = self._api(
            "one.host.allocate", [host.name, im_mad, vm_mad, -1], result=hid, extra=host.to_xml(self.profile)
        )
        return [state, api]

    def host_monitor(self, hid: int, *, ok: bool = True) -> Events:
        """A monitor cycle: the first good one gives MONITORED, a failed one ERROR."""
        host = self._host(hid)
        self.advance(5, 30)
        host.monitor_time = self.now
        if ok:
            r = self.random
            if host.total_cpu == 0:
                cores = r.choice((8, 16, 32, 48, 64))
                host.total_cpu = cores * 100
                host.total_mem = cores * r.choice((4, 8)) * 1024 * 1024
                total = r.choice((500, 1000, 2000)) * 1024
                host.disk = (total // 2, total, total // 2)
            used_cpu = r.randint(0, host.total_cpu // 4)
            used_mem = r.randint(0, host.total_mem // 4)
            host.monitoring = {
                "CAPACITY": {
                    "FREE_CPU": str(host.total_cpu - used_cpu),
                    "FREE_MEMORY": str(host.total_mem - used_mem),
                    "USED_CPU": str(used_cpu),
                    "USED_MEMORY": str(used_mem),
                },
                "SYSTEM": {"NETRX": str(r.randint(10**6, 10**10)), "NETTX": str(r.randint(10**6, 10**10))},
            }
            wanted = "MONITORED" if host.state in ("INIT", "ERROR", "MONITORED") else host.state
        else:
            wanted = "ERROR" if host.state in ("INIT", "MONITORED", "ERROR") else host.state
        if wanted == host.state:
            return []
        host.state = wanted
        return [self._emit(host)]

    def host_status(self, hid: int, status: str) -> Events:
        """``onehost enable|disable|offline`` (``one.host.status`` 0, 1, 2)."""
        codes = {"enable": 0, "disable": 1, "offline": 2}
        if status not in codes:
            raise CloudError(f"host status {status!r}; expected one of 'disable', 'enable', 'offline'")
        host = self._host(hid)
        api = self._api("one.host.status", [hid, codes[status]], result=hid)
        new = {"disable": "DISABLED", "offline": "OFFLINE"}.get(status)
        if new is None:
            new = "MONITORED" if host.monitoring is not None else "INIT"
        if new == host.state:
            return [api]
        host.state = new
        self.advance(1)
        return [self._emit(host), api]

    def host_fail(self, hid: int) -> Events:
        """The host stops answering: host ERROR, then its running VMs go ACTIVE/UNKNOWN."""
        events = self.host_monitor(hid, ok=False)
        for vm in self._vms_on(hid):
            if (vm.state, vm.lcm_state) == ("ACTIVE", "RUNNING"):
                events += self._vm_to(vm, [("ACTIVE", "UNKNOWN")], pace=(0, 2))
        return events

    def host_recover(self, hid: int) -> Events:
        """The host answers again: MONITORED, and UNKNOWN VMs back to RUNNING."""
        events = self.host_monitor(hid, ok=True)
        for vm in self._vms_on(hid):
            if (vm.state, vm.lcm_state) == ("ACTIVE", "UNKNOWN"):
                events += self._vm_to(vm, [("ACTIVE", "RUNNING")], pace=(0, 2))
        return events

    def _vms_on(self, hid: int) -> list[VmDocument]:
        return [vm for vm in self.vms.values() if vm.history and vm.history[-1].hid == hid]

    # -- virtual machines ------------------------------------------------------------------

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

        ``call="one.template.instantiate"`` gives the API event of a template instantiation.
        """
        vid = self._next_id("vm")
        fake = self.fake
        name = name or fake.one_vm_name()
        capacity = fake.one_capacity()
        template: dict[str, object] = {
            "AUTOMATIC_DS_REQUIREMENTS": '("CLUSTERS/ID" @> 0)',
            "AUTOMATIC_NIC_REQUIREMENTS": '("CLUSTERS/ID" @> 0)',
            "AUTOMATIC_REQUIREMENTS": "(CLUSTER_ID = 0) & !(PUBLIC_CLOUD = YES) & !(PIN_POLICY = PINNED)",
            **capacity,
            "GRAPHICS": fake.one_graphics(vid),
            "OS": fake.one_os(),
            "VMID": str(vid),
        }
        image = self.images.get(image_id) if image_id is not None else None
        img_name = image.name if image else fake.one_image_name()
        template["DISK"] = fake.one_disk(0, image_id if image_id is not None else 0, img_name)
        net = self.nets.get(net_id) if net_id is not None else None
        if net is not None and net.address_ranges:
            ip = self._lease(net)
            net_name, nid = net.name, net.id
        else:
            ip, net_name, nid = fake.one_private_ipv4(), fake.one_vnet_name(), net_id or 0
        mac = mac_for_ip(ip)
        template["NIC"] = fake.one_nic(0, nid, net_name, ip, mac)
        template["CONTEXT"] = fake.one_context(vid, ip, mac, fake.one_ssh_public_key())
        self.advance(1, 5)
        vm = VmDocument(
            id=vid,
            name=name,
            owner=owner or Owner(),
            state="HOLD" if hold else "PENDING",
            prev_state="HOLD" if hold else "PENDING",
            stime=self.now,
            template=template,
            user_template=dict(user_template or {}),
            upstream_compatible=self.upstream_compatible,
        )
        self.vms[vid] = vm
        state = self._emit(vm)
        if call == "one.template.instantiate":
            params: list[ApiValue] = [0, name, hold, "", False]
        else:
            params = [_template_string(template), hold]
        # one.template.instantiate carries no EXTRA (§3.2.3, captures-7.4.0/7.4.0-vm-lifecycle.jsonl).
        extra = vm.to_xml(self.profile, history="last") if call == "one.vm.allocate" else ""
        api = self._api(call, params, result=vid, extra=extra)
        return [state, api]

    def _lease(self, net: VnetDocument) -> str:
        ar = net.address_ranges[0]
        index = int(ar.get("NEXT_INDEX", "0"))
        ar["NEXT_INDEX"] = str(index + 1)
        net.used_leases += 1
        base = ar["IP"].rsplit(".", 1)
        return f"{base[0]}.{int(base[1]) + index}"

    def vm_deploy(self, vid: int, hid: int | None = None, *, fail: str | None = None) -> Events:
        """Scheduler deploy: ACTIVE/LCM_INIT → PROLOG → BOOT → RUNNING.

        Up to 6.10 the scheduler's ``one.vm.deploy`` API event follows ACTIVE/LCM_INIT.
        ``fail="prolog"`` or ``"boot"`` stops in PROLOG_FAILURE / BOOT_FAILURE.
        """
        vm = self._vm(vid)
        resume = {"STOPPED": "PROLOG_RESUME", "UNDEPLOYED": "PROLOG_UNDEPLOY"}
        if vm.state != "PENDING":
            raise CloudError(f"VM {vid} is {vm.state}/{vm.lcm_state}; only PENDING VMs are deployed")
        host = self._pick_host(hid)
        previous = self._resuming.pop(vid, None)
        self.advance(1, 10)
        vm.history.append(
            History(
                oid=vid, seq=len(vm.history), hostname=host.name, hid=host.id,
                vm_mad=host.vm_mad, stime=self.now, pstime=self.now,
            )
        )  # fmt: skip
        vm.template.setdefault("TM_MAD_SYSTEM", "ssh")
        events = self._vm_to(vm, [("ACTIVE", "LCM_INIT")], pace=(0, 0))
        if self.profile.scheduler_api_events:
            events.append(self._api("one.vm.deploy", [vid, host.id, False, 0, ""], result=vid))
        prolog = resume.get(previous or "", "PROLOG")
        boot = {"PROLOG_RESUME": "BOOT_STOPPED", "PROLOG_UNDEPLOY": "BOOT_UNDEPLOY"}.get(prolog, "BOOT")
        events += self._vm_to(vm, [("ACTIVE", prolog)], pace=(0, 1))
        if fail == "prolog":
            return events + self._vm_to(vm, [("ACTIVE", f"{prolog}_FAILURE")], pace=(5, 30))
        events += self._vm_to(vm, [("ACTIVE", boot)], pace=(5, 40))
        if fail == "boot":
            return events + self._vm_to(vm, [("ACTIVE", f"{boot}_FAILURE")], pace=(2, 10))
        return events + self._vm_to(vm, [("ACTIVE", "RUNNING")], pace=(2, 15))

    def _pick_host(self, hid: int | None) -> HostDocument:
        if hid is not None:
            return self._host(hid)
        candidates = [h for h in self.hosts.values() if h.state == "MONITORED"]
        if not candidates:
            raise CloudError("no MONITORED host to deploy on; allocate and monitor a host first")
        return min(candidates, key=lambda h: (len(h.vms), h.id))

    def vm_action(self, vid: int, action: str) -> Events:
        """``one.vm.action``: the API event, then the STATE sequence oned walks.

        An action the VM's state does not allow gives a failed API event (ACTION error).
        """
        vm = self._vm(vid)
        steps = self._action_steps(vm, action)
        if steps is None:
            error = (
                f'[one.vm.action] Error performing action "{action}" on virtual machine [{vid}]. '
                f"This action is not available for state {vm.lcm_state if vm.state == 'ACTIVE' else vm.state}"
            )
            return [self._api("one.vm.action", [action, vid], success=False, error=error,
                              error_code="ACTION", resp_id=vid)]  # fmt: skip
        self.advance(1, 3)
        events = [self._api("one.vm.action", [action, vid], result=vid)]
        before = vm.state
        events += self._vm_to(vm, steps)
        if vm.state == "PENDING" and before in ("STOPPED", "UNDEPLOYED"):
            self._resuming[vid] = before
            events += self.vm_deploy(vid)
        return events

    def _action_steps(self, vm: VmDocument, action: str) -> list[tuple[str, str]] | None:
        state, lcm = vm.state, vm.lcm_state
        running = (state, lcm) == ("ACTIVE", "RUNNING")
        if action in _API_ONLY_ACTIONS:
            return (
                []
                if running
                or (state, lcm) == ("ACTIVE", "UNKNOWN")
                or (action.endswith("resched") and state == "ACTIVE")
                else None
            )
        if action in ("terminate", "terminate-hard"):
            if running or lcm == "UNKNOWN":
                return list(_TERMINATE_FROM_RUNNING)
            if state in ("POWEROFF", "SUSPENDED", "STOPPED", "UNDEPLOYED"):
                return list(_TERMINATE_FROM_OFF)
            if state in ("PENDING", "HOLD", "CLONING", "CLONING_FAILURE"):
                return [("DONE", "LCM_INIT")]
            if state == "ACTIVE" and lcm.endswith("FAILURE"):
                return [("ACTIVE", "EPILOG"), ("DONE", "LCM_INIT")]
            return None
        table: dict[str, tuple[bool, list[tuple[str, str]]]] = {
            "poweroff": (running, [("ACTIVE", "SHUTDOWN_POWEROFF"), ("POWEROFF", "LCM_INIT")]),
            "poweroff-hard": (running, [("ACTIVE", "SHUTDOWN_POWEROFF"), ("POWEROFF", "LCM_INIT")]),
            "suspend": (running, [("ACTIVE", "SAVE_SUSPEND"), ("SUSPENDED", "LCM_INIT")]),
            "stop": (running, [("ACTIVE", "SAVE_STOP"), ("ACTIVE", "EPILOG_STOP"), ("STOPPED", "LCM_INIT")]),
            "undeploy": (running, [("ACTIVE", "SHUTDOWN_UNDEPLOY"), ("ACTIVE", "EPILOG_UNDEPLOY"),
                                    ("UNDEPLOYED", "LCM_INIT")]),
            "undeploy-hard": (running, [("ACTIVE", "SHUTDOWN_UNDEPLOY"), ("ACTIVE", "EPILOG_UNDEPLOY"),
                                         ("UNDEPLOYED", "LCM_INIT")]),
            "hold": (state == "PENDING", [("HOLD", "LCM_INIT")]),
            "release": (state == "HOLD", [("PENDING", "LCM_INIT")]),
        }  # fmt: skip
        if action == "resume":
            resume = {
                "POWEROFF": [("ACTIVE", "BOOT_POWEROFF"), ("ACTIVE", "RUNNING")],
                "SUSPENDED": [("ACTIVE", "BOOT_SUSPENDED"), ("ACTIVE", "RUNNING")],
                "STOPPED": [("PENDING", "LCM_INIT")],
                "UNDEPLOYED": [("PENDING", "LCM_INIT")],
            }
            return resume.get(state)
        if action not in table:
            from mockhm.wire.calls import VM_ACTIONS

            raise CloudError(f"unknown VM action {action!r}; expected one of {', '.join(VM_ACTIONS)}")
        allowed, steps = table[action]
        return steps if allowed else None

    def vm_migrate(self, vid: int, hid: int | None = None, *, live: bool = True) -> Events:
        """``onevm migrate [--live]``: MIGRATE → RUNNING, or the cold SAVE/PROLOG/BOOT_MIGRATE path."""
        vm = self._vm(vid)
        if (vm.state, vm.lcm_state) != ("ACTIVE", "RUNNING"):
            raise CloudError(f"VM {vid} is {vm.state}/{vm.lcm_state}; only RUNNING VMs migrate")
        current = vm.history[-1]
        others = [h for h in self.hosts.values() if h.state == "MONITORED" and h.id != current.hid]
        target = self._host(hid) if hid is not None else (others[0] if others else None)
        if target is None:
            raise CloudError(f"no other MONITORED host to migrate VM {vid} to")
        self.advance(1, 3)
        events = [self._api("one.vm.migrate", [vid, target.id, live, False, -1, 0], result=vid)]
        steps = [("ACTIVE", "MIGRATE")] if live else [("ACTIVE", "SAVE_MIGRATE")]
        events += self._vm_to(vm, steps)
        current.etime = current.eetime = self.now
        if current.hid in self.hosts and vid in self.hosts[current.hid].vms:
            self.hosts[current.hid].vms.remove(vid)
        vm.history.append(
            History(oid=vid, seq=len(vm.history), hostname=target.name, hid=target.id,
                    vm_mad=target.vm_mad, stime=self.now, pstime=self.now, petime=self.now)
        )  # fmt: skip
        if not live:
            events += self._vm_to(vm, [("ACTIVE", "PROLOG_MIGRATE"), ("ACTIVE", "BOOT_MIGRATE")])
        return events + self._vm_to(vm, [("ACTIVE", "RUNNING")])

    def vm_hot(self, vid: int, operation: str) -> Events:
        """A hot operation (disk/NIC attach, snapshots, resize, backup, restore): the API
        event, the transient LCM state, then back to RUNNING or POWEROFF."""
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
            raise CloudError(f"{operation} is not available for VM {vid} in {vm.state}/{vm.lcm_state}")
        back = ("ACTIVE", "RUNNING") if running else ("POWEROFF", "LCM_INIT")
        self.advance(1, 3)
        events = [self._api(call, [vid, ""], result=vid)]
        return events + self._vm_to(vm, [("ACTIVE", transient), back])

    def vm_recover(self, vid: int, operation: str) -> Events:
        """``onevm recover``: success/failure/retry of a stuck or failed VM, delete, recreate."""
        if operation not in RECOVER_OPERATIONS:
            raise CloudError(
                f"unknown recover operation {operation!r}; expected one of {', '.join(RECOVER_OPERATIONS)}"
            )
        vm = self._vm(vid)
        self.advance(1, 3)
        events = [self._api("one.vm.recover", [vid, RECOVER_OPERATIONS[operation]], result=vid)]
        if operation == "delete":
            return events + self._vm_to(vm, [("ACTIVE", "CLEANUP_DELETE"), ("DONE", "LCM_INIT")])
        if operation == "delete-recreate":
            return events + self._vm_to(vm, [("ACTIVE", "CLEANUP_RESUBMIT"), ("PENDING", "LCM_INIT")])
        if vm.lcm_state == "UNKNOWN" and operation == "success":
            return events + self._vm_to(vm, [("ACTIVE", "RUNNING")])
        if vm.lcm_state == "PROLOG_FAILURE" and operation == "retry":
            steps = [("ACTIVE", "PROLOG"), ("ACTIVE", "BOOT"), ("ACTIVE", "RUNNING")]
            return events + self._vm_to(vm, steps)
        if vm.lcm_state.endswith("FAILURE") and operation in ("retry", "success"):
            return events + self._vm_to(vm, [("ACTIVE", "BOOT"), ("ACTIVE", "RUNNING")])
        return events

    # -- images and networks ---------------------------------------------------------------

    def image_allocate(self, name: str | None = None, *, persistent: bool = False) -> Events:
        """``oneimage create``: the API event (image LOCKED in EXTRA), then READY when the copy ends.

        An image is inserted LOCKED with PREV_STATE still INIT, so the READY event says
        PREV_STATE INIT.  IMAGE state events exist from 6.0.
        """
        iid = self._next_id("image")
        name = name or self.fake.one_image_name()
        self.advance(1, 3)
        image = ImageDocument(
            id=iid, name=name, persistent=int(persistent), regtime=self.now, modtime=self.now,
            source=f"/var/lib/one//datastores/1/{self.fake.one_hex(32)}",
            path=f"https://marketplace.example.com/appliance/{name}.qcow2",
        )  # fmt: skip
        self.images[iid] = image
        template = f'NAME="{name}" PATH="{image.path}" TYPE="OS"'
        events = [
            self._api(
                "one.image.allocate", [template, 1, False], result=iid, extra=image.to_xml(self.profile)
            )
        ]
        if "IMAGE" in self.profile.state_objects:
            self.advance(10, 120)
            image.state = "READY"
            events.append(self._emit(image))
        else:
            image.state = image.prev_state = "READY"
        return events

    def image_state(self, iid: int, state: str) -> Events:
        """Set an image's state (USED, DISABLED, ERROR, …); USED_PERS prints as USED."""
        image = self.images[iid]
        image.state = state
        self.advance(1, 5)
        if "IMAGE" not in self.profile.state_objects:
            image.prev_state = state
            return []
        return [self._emit(image)]

    def net_allocate(self, name: str | None = None) -> Events:
        """``onevnet create``: the API event (LOCK_CREATE in EXTRA), then READY (6.4+)."""
        nid = self._next_id("net")
        name = name or self.fake.one_vnet_name()
        ar = {"AR_ID": "0", "ALLOCATED": "", "NEXT_INDEX": "0", **self.fake.one_address_range()}
        bridge = f"onebr.{nid}"
        net = VnetDocument(
            id=nid, name=name, bridge=bridge,
            template={"BRIDGE": bridge, "BRIDGE_TYPE": "linux", "VN_MAD": "bridge"},
            address_ranges=[ar],
        )  # fmt: skip
        self.nets[nid] = net
        self.advance(1, 3)
        template = f'NAME="{name}" VN_MAD="bridge" AR=[TYPE="IP4", IP="{ar["IP"]}", SIZE="{ar["SIZE"]}"]'
        events = [self._api("one.vn.allocate", [template, -1], result=nid, extra=net.to_xml(self.profile))]
        return events + self.net_state(nid, "READY")

    def net_state(self, nid: int, state: str) -> Events:
        """Set a network's state; UPDATE_FAILURE prints as an empty STATE."""
        net = self.nets[nid]
        net.state = state
        self.advance(1, 5)
        if "NET" not in self.profile.state_objects:
            net.prev_state = state
            return []
        return [self._emit(net)]

    def net_delete(self, nid: int) -> Events:
        """``onevnet delete``: LOCK_DELETE → DONE, and the API event with the network in EXTRA."""
        net = self.nets[nid]
        extra = net.to_xml(self.profile)
        events = self.net_state(nid, "LOCK_DELETE") + self.net_state(nid, "DONE")
        return [*events, self._api("one.vn.delete", [nid], result=nid, extra=extra)]

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


def _template_string(template: Mapping[str, object]) -> str:
    """The ``A="B"`` form a CLI user sends to ``one.vm.allocate``."""
    parts = [f'{key}="{template[key]}"' for key in ("NAME", "CPU", "VCPU", "MEMORY") if key in template]
    disk = template.get("DISK")
    if isinstance(disk, Mapping):
        parts.append(f'DISK=[IMAGE_ID="{disk.get("IMAGE_ID", "0")}"]')
    nic = template.get("NIC")
    if isinstance(nic, Mapping):
        parts.append(f'NIC=[NETWORK_ID="{nic.get("NETWORK_ID", "0")}"]')
    return " ".join(parts)
