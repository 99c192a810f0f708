"""Hosts: allocation, monitoring (the dummy probe), status changes, failure and recovery.

A new host is INIT until its first monitor; a good monitor gives MONITORED and fills
HOST_SHARE and TEMPLATE with what the probe reported; a failed one gives ERROR and
writes ``TEMPLATE/ERROR`` (``Host::error`` and ``PoolObjectSQL::set_template_error_message``
in ``src/host/Host.cc`` and ``src/pool/PoolObjectSQL.cc`` at ``release-7.4.0``).
"""

from __future__ import annotations

import time

from mockhm.oned import probe
from mockhm.oned.drivers import MONITOR_DELAY, Events
from mockhm.oned.state import CloudError
from mockhm.oned.vmops import VmOperations
from mockhm.wire.documents import HostDocument, VmDocument

#: ``one.host.status`` codes.
HOST_STATUS: dict[str, int] = {"enable": 0, "disable": 1, "offline": 2}


def log_time(when: int) -> str:
    """``one_util::log_time``: ``ctime`` without its newline (UTC here)."""
    return time.strftime("%a %b %e %H:%M:%S %Y", time.gmtime(when))


class HostOperations(VmOperations):
    """Host life-cycle on top of the VM transitions (VMs go UNKNOWN with their host)."""

    def new_host(
        self, name: str, im_mad: str, vm_mad: str, cluster_id: int = 0, cluster: str = "default"
    ) -> HostDocument:
        """Insert a host in INIT (no event; :meth:`host_allocate` publishes)."""
        hid = self._next_id("host")
        host = HostDocument(
            id=hid, name=name, im_mad=im_mad, vm_mad=vm_mad, cluster_id=cluster_id, cluster=cluster,
            template={"IM_MAD": im_mad, "RESERVED_CPU": "", "RESERVED_MEM": "", "VM_MAD": vm_mad},
            upstream_compatible=self.upstream_compatible,
        )  # fmt: skip
        self.hosts[hid] = host
        return host

    def host_allocate(self, name: str | None = None, *, im_mad: str = "kvm", vm_mad: str = "kvm") -> Events:
        """``onehost create``: STATE INIT, then ``one.host.allocate`` with the host in EXTRA."""
        host = self.new_host(name or self.fake.one_host_name(), im_mad, vm_mad)
        self.advance(1)
        state = self._emit(host)
        api = self._api(
            "one.host.allocate",
            [host.name, im_mad, vm_mad, -1],
            result=host.id,
            extra=host.to_xml(self.profile),
        )
        if self.auto_drivers:
            self.queue_monitor(host.id, MONITOR_DELAY)
        return [state, api]

    def queue_monitor(self, hid: int, delay: float) -> None:
        """Queue one monitor of host ``hid`` (the front-end's monitor driver)."""
        self._later(
            "monitor", "host", hid, lambda: self.host_monitor(hid) if hid in self.hosts else [], delay
        )

    def host_monitor(self, hid: int, *, ok: bool = True) -> Events:
        """A monitor cycle: the first good one gives MONITORED, a failed one ERROR."""
        host = self._host(hid)
        self.sync_clock()
        self.advance(5, 30)
        host.monitor_time = self.now
        if host.state in ("OFFLINE",):
            return []
        events = []
        if not self.profile.host_monitoring and host.state in ("INIT", "MONITORED", "ERROR", "DISABLED"):
            # 5.10: Host::set_monitoring_state, then update_info/error sets the result, even the same
            # state again: two HOST events per cycle (include/Host.h@release-5.10.0)
            before = host.state
            host.state = f"MONITORING_{before}"
            events.append(self._emit(host))
            host.state = before
        if ok:
            self._probe(host)
            host.template.pop("ERROR", None)
            wanted = "MONITORED" if host.state in ("INIT", "ERROR", "MONITORED") else host.state
        else:
            host.template["ERROR"] = (
                f"{log_time(self.now)} : Error monitoring Host {host.name} ({host.id}): probe failed"
            )
            wanted = "ERROR" if host.state in ("INIT", "MONITORED", "ERROR") else host.state
        if wanted == host.state and not events:
            return []
        if events:
            host.prev_state = f"MONITORING_{host.state}"
        host.state = wanted
        return [*events, self._emit(host)]

    def _probe(self, host: HostDocument) -> None:
        r = self.random
        if host.im_mad == "dummy":
            if host.total_cpu == 0:
                host.total_cpu, host.total_mem = probe.TOTAL_CPU, probe.TOTAL_MEMORY
                host.pci, host.numa = probe.pci_devices(), probe.numa_nodes()
                host.template.update(probe.PROBE_TEMPLATE)
                host.template["HOSTNAME"] = host.name
            host.disk = (probe.MAX_DISK, probe.MAX_DISK, r.randint(0, probe.MAX_DISK))
        elif host.total_cpu == 0:
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

    def status_sync(self, hid: int, status: str) -> Events:
        """``one.host.status``: the state changes inside the call (STATE first, then API)."""
        if status not in HOST_STATUS:
            raise CloudError(
                f"host status {status!r}; expected one of 'disable', 'enable', 'offline'",
                code="ACTION",
                oned="Wrong status code",
            )
        host = self._host(hid)
        api = self._api("one.host.status", [hid, HOST_STATUS[status]], result=hid)
        # Host::enable/disable/offline (src/host/Host.cc@release-7.4.0): enable gives MONITORED
        # only from DISABLED with capacity, else INIT (to be monitored again); offline drops it
        new = {"disable": "DISABLED", "offline": "OFFLINE"}.get(status)
        if new is None:
            new = "MONITORED" if host.state == "DISABLED" and host.total_cpu > 0 else "INIT"
        if new == "OFFLINE":
            host.total_cpu = host.total_mem = 0
            for attr in ("TOTALCPU", "TOTALMEMORY", "FREECPU", "FREEMEMORY", "USEDCPU", "USEDMEMORY"):
                host.template.pop(attr, None)
        if new == host.state:
            return [api]
        host.state = new
        self.advance(1)
        events = [self._emit(host), api]
        if new == "INIT" and self.auto_drivers:
            self.queue_monitor(hid, MONITOR_DELAY)
        return events

    def host_status(self, hid: int, status: str) -> Events:
        """``onehost enable|disable|offline`` (``one.host.status`` 0, 1, 2)."""
        return self.status_sync(hid, status) + self.settle()

    def host_fail(self, hid: int) -> Events:
        """The host stops answering: host ERROR, then its running VMs go ACTIVE/UNKNOWN."""
        events = self.host_monitor(hid, ok=False)
        for vm in self._vms_on(hid):
            if (vm.state, vm.lcm_state) == ("ACTIVE", "RUNNING"):
                self.advance(0, 2)
                events += self._set(vm, "ACTIVE", "UNKNOWN")
        return events

    def host_recover(self, hid: int) -> Events:
        """The host answers again: MONITORED, and UNKNOWN VMs back to RUNNING."""
        events = self.host_monitor(hid, ok=True)
        for vm in self._vms_on(hid):
            if (vm.state, vm.lcm_state) == ("ACTIVE", "UNKNOWN"):
                self.advance(0, 2)
                events += self._set(vm, "ACTIVE", "RUNNING")
        return events

    def _vms_on(self, hid: int) -> list[VmDocument]:
        return [vm for vm in self.vms.values() if vm.history and vm.history[-1].hid == hid]
