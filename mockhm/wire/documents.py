"""The objects embedded in STATE bodies and API EXTRA: ``VM``, ``HOST``, ``IMAGE``, ``VNET``.

Each is a mutable record that :mod:`mockhm.oned.cloud` evolves and that renders itself
with ``to_xml(profile)`` in oned's exact element order.
Shape differences between releases are asked of the :class:`~mockhm.wire.profiles.Profile`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mockhm.wire.profiles import Profile
from mockhm.wire.states import HOST_STATES, IMAGE_STATES, LCM_STATES, NET_STATES, VM_STATES
from mockhm.wire.xml import Template, cdata, el, opt, template

#: Default owner/group permissions of a new object: OWNER_U, OWNER_M only.
DEFAULT_PERMISSIONS = (1, 1, 0, 0, 0, 0, 0, 0, 0)
_PERMISSION_TAGS = tuple(f"{who}_{what}" for who in ("OWNER", "GROUP", "OTHER") for what in "UMA")


def _permissions(bits: tuple[int, ...]) -> str:
    inner = "".join(el(t, b) for t, b in zip(_PERMISSION_TAGS, bits, strict=True))
    return f"<PERMISSIONS>{inner}</PERMISSIONS>"


def _ids(tag: str, ids: list[int]) -> str:
    return f"<{tag}>" + "".join(el("ID", i) for i in ids) + f"</{tag}>"


@dataclass
class Owner:
    """UID, GID, UNAME, GNAME of an object."""

    uid: int = 0
    gid: int = 0
    uname: str = "oneadmin"
    gname: str = "oneadmin"

    def to_xml(self) -> str:
        return el("UID", self.uid) + el("GID", self.gid) + el("UNAME", self.uname) + el("GNAME", self.gname)


@dataclass
class History:
    """One ``HISTORY`` record: a VM's stay on a host."""

    oid: int
    seq: int
    hostname: str
    hid: int
    cid: int = 0
    stime: int = 0
    etime: int = 0
    vm_mad: str = "kvm"
    tm_mad: str = "ssh"
    ds_id: int = 0
    pstime: int = 0
    petime: int = 0
    rstime: int = 0
    retime: int = 0
    estime: int = 0
    eetime: int = 0
    action: int = 0
    uid: int = -1
    gid: int = -1
    request_id: int = -1
    #: 7.0+: the scheduler plan and action that placed the VM (-2/-1 until a plan applies).
    plan_id: int = -1
    action_id: int = -1

    def set_action(self, action: int, uid: int = -1, gid: int = -1, request_id: int = -1) -> None:
        """``VirtualMachine::set_action``: who asked for what (cleared with ``action=0``)."""
        self.action, self.uid, self.gid, self.request_id = action, uid, gid, request_id

    def to_xml(self, profile: Profile) -> str:
        plan = el("PLAN_ID", self.plan_id) + el("ACTION_ID", self.action_id) if profile.history_plan else ""
        return (
            "<HISTORY>"
            + el("OID", self.oid) + el("SEQ", self.seq) + el("HOSTNAME", self.hostname)
            + el("HID", self.hid) + el("CID", self.cid) + el("STIME", self.stime)
            + el("ETIME", self.etime) + cdata("VM_MAD", self.vm_mad) + cdata("TM_MAD", self.tm_mad)
            + el("DS_ID", self.ds_id) + plan
            + el("PSTIME", self.pstime) + el("PETIME", self.petime) + el("RSTIME", self.rstime)
            + el("RETIME", self.retime) + el("ESTIME", self.estime) + el("EETIME", self.eetime)
            + el("ACTION", self.action) + el("UID", self.uid) + el("GID", self.gid)
            + el("REQUEST_ID", self.request_id)
            + "</HISTORY>"
        )  # fmt: skip


@dataclass
class VmDocument:
    """A ``<VM>`` as ``VirtualMachine::to_xml_extended`` writes it (7.4 order)."""

    id: int
    name: str
    owner: Owner = field(default_factory=Owner)
    permissions: tuple[int, ...] = DEFAULT_PERMISSIONS
    last_poll: int = 0
    state: str = "PENDING"
    lcm_state: str = "LCM_INIT"
    prev_state: str = "PENDING"
    prev_lcm_state: str = "LCM_INIT"
    resched: int = 0
    stime: int = 0
    etime: int = 0
    deploy_id: str = ""
    lock: int | None = None
    monitoring: dict[str, str] = field(default_factory=dict)
    template: dict[str, object] = field(default_factory=dict)
    user_template: dict[str, object] = field(default_factory=dict)
    history: list[History] = field(default_factory=list)
    #: Carry ``TEMPLATE/TM_MAD_SYSTEM`` before the first deploy, as upstream's vm.xsd
    #: requires (defect 6 of reference §8.3); oned itself adds it only at dispatch.
    upstream_compatible: bool = False
    #: The last monitoring is loaded into the object (``VirtualMachine::load_monitoring``):
    #: only then do LAST_POLL and MONITORING print (info calls, ``set_vm_info`` transitions).
    loaded: bool = False

    @property
    def service_id(self) -> str | None:
        """``USER_TEMPLATE/SERVICE_ID`` (set by OneFlow), written raw into SERVICE_ID."""
        value = self.user_template.get("SERVICE_ID")
        return value if isinstance(value, str) else None

    @property
    def remote_host(self) -> str | None:
        """Host name of the last history record, or ``None`` if never deployed."""
        return self.history[-1].hostname if self.history else None

    def to_xml(self, profile: Profile, *, history: str = "all", monitoring: bool | None = None) -> str:
        """Render; ``history="last"`` gives the one-record form of API EXTRA.

        ``monitoring`` (default: :attr:`loaded`) prints LAST_POLL and the last MONITORING,
        as oned does once ``load_monitoring`` ran; otherwise LAST_POLL 0 and an empty MONITORING.
        """
        shown = self.loaded if monitoring is None else monitoring
        records = self.history[-1:] if history == "last" else self.history
        lock = (
            "<LOCK>" + el("LOCKED", self.lock) + el("OWNER", 0) + el("TIME", self.stime)
            + el("REQ_ID", -1) + "</LOCK>"
            if self.lock is not None
            else ""
        )  # fmt: skip
        hist = (
            "<HISTORY_RECORDS>" + "".join(h.to_xml(profile) for h in records) + "</HISTORY_RECORDS>"
            if records
            else "<HISTORY_RECORDS/>"
        )
        return (
            "<VM>" + el("ID", self.id) + self.owner.to_xml() + el("NAME", self.name)
            + _permissions(self.permissions) + el("LAST_POLL", self.last_poll if shown else 0)
            + el("STATE", VM_STATES[self.state]) + el("LCM_STATE", LCM_STATES[self.lcm_state])
            + el("PREV_STATE", VM_STATES[self.prev_state])
            + el("PREV_LCM_STATE", LCM_STATES[self.prev_lcm_state])
            + el("RESCHED", self.resched) + el("STIME", self.stime) + el("ETIME", self.etime)
            + el("DEPLOY_ID", self.deploy_id) + lock
            + template("MONITORING", self.monitoring if shown else {})
            + ("<SCHED_ACTIONS></SCHED_ACTIONS>" if profile.vm_sched_actions else "")
            + template("TEMPLATE", _as_template(self._template()))
            + template("USER_TEMPLATE", _as_template(self.user_template))
            + hist
            + ("<BACKUPS><BACKUP_CONFIG/><BACKUP_IDS></BACKUP_IDS></BACKUPS>" if profile.vm_backups else "")
            + "</VM>"
        )  # fmt: skip

    def _template(self) -> dict[str, object]:
        if not self.upstream_compatible:
            return self.template
        shaped = dict(self.template)
        shaped.setdefault("TM_MAD_SYSTEM", "ssh")
        disk = shaped.get("DISK")
        if isinstance(disk, dict) and "IMAGE" in disk:
            # Upstream's TEMPLATE/DISK is untyped, so its IMAGE child is checked against the
            # global IMAGE *document* element and rejected; DISK keeps IMAGE_ID only.
            shaped["DISK"] = {k: v for k, v in disk.items() if k != "IMAGE"}
        return shaped


def _as_template(attrs: dict[str, object]) -> Template:
    return attrs  # type: ignore[return-value]  # values are str, dict or list of dict by construction


@dataclass
class HostDocument:
    """A ``<HOST>`` as ``Host::to_xml`` writes it."""

    id: int
    name: str
    state: str = "INIT"
    prev_state: str = "INIT"
    im_mad: str = "kvm"
    vm_mad: str = "kvm"
    cluster_id: int = 0
    cluster: str = "default"
    total_mem: int = 0
    total_cpu: int = 0
    mem_usage: int = 0
    cpu_usage: int = 0
    disk: tuple[int, int, int] | None = None  # (free, max, used) MB, after the first monitor
    vms: list[int] = field(default_factory=list)
    template: dict[str, object] = field(default_factory=dict)
    monitoring: dict[str, dict[str, str]] | None = None
    monitor_time: int = 0
    #: Kept for callers of earlier releases: ``DATASTORES`` is always filled now (a fresh
    #: 7.4 host shows zeros, ``7.4.0-hosts.jsonl``), which is also what upstream's host.xsd wants.
    upstream_compatible: bool = False
    #: ``HOST_SHARE`` PCI_DEVICES and NUMA_NODES as the monitor probe reported them (XML).
    pci: str = "<PCI_DEVICES></PCI_DEVICES>"
    numa: str = "<NUMA_NODES></NUMA_NODES>"

    def to_xml(self, profile: Profile, *, monitoring: bool = False) -> str:
        """Render; ``monitoring=True`` loads the last MONITORING (info calls), else ``<MONITORING/>``.

        oned writes a host into hook messages without loading its monitoring
        (``7.4.0-hosts.jsonl``); ``one.host.info`` loads it (``src/rm/api/HostAPI.h@release-7.4.0``).
        """
        if not profile.host_monitoring:
            return self._to_xml_510()
        free, total, used = self.disk or (0, 0, 0)
        datastores = (
            "<DATASTORES>" + cdata("DISK_USAGE", 0) + cdata("FREE_DISK", free)
            + cdata("MAX_DISK", total) + cdata("USED_DISK", used) + "</DATASTORES>"
        )  # fmt: skip
        share = (
            "<HOST_SHARE>" + el("MEM_USAGE", self.mem_usage) + el("CPU_USAGE", self.cpu_usage)
            + el("TOTAL_MEM", self.total_mem) + el("TOTAL_CPU", self.total_cpu)
            + el("MAX_MEM", self.total_mem) + el("MAX_CPU", self.total_cpu)
            + el("RUNNING_VMS", len(self.vms)) + el("VMS_THREAD", 1) + datastores
            + self.pci + self.numa + "</HOST_SHARE>"
        )  # fmt: skip
        if self.monitoring is None or not monitoring:
            monitoring_xml = "<MONITORING/>"
        else:
            monitoring_xml = (
                "<MONITORING>" + el("TIMESTAMP", self.monitor_time) + el("ID", self.id)
                + "".join(template(k, v) for k, v in self.monitoring.items()) + "</MONITORING>"
            )  # fmt: skip
        return (
            "<HOST>" + el("ID", self.id) + el("NAME", self.name)
            + el("STATE", HOST_STATES[self.state]) + el("PREV_STATE", HOST_STATES[self.prev_state])
            + cdata("IM_MAD", self.im_mad) + cdata("VM_MAD", self.vm_mad)
            + el("CLUSTER_ID", self.cluster_id) + el("CLUSTER", self.cluster) + share
            + _ids("VMS", self.vms) + template("TEMPLATE", _as_template(self.template))
            + monitoring_xml + "</HOST>"
        )  # fmt: skip

    def _to_xml_510(self) -> str:
        """5.10's ``Host::to_xml``: LAST_MON_TIME, the flat HOST_SHARE, no MONITORING
        (``src/host/Host.cc`` and ``src/host/HostShare.cc`` at ``release-5.10.0``)."""
        free, total, used = self.disk or (0, 0, 0)
        capacity = (self.monitoring or {}).get("CAPACITY", {})
        free_cpu = int(capacity.get("FREE_CPU", self.total_cpu))
        free_mem = int(capacity.get("FREE_MEMORY", self.total_mem))
        datastores = (
            "<DATASTORES><DS>" + cdata("FREE_MB", free) + cdata("ID", 0) + cdata("TOTAL_MB", total)
            + cdata("USED_MB", used) + "</DS></DATASTORES>"
            if self.disk is not None
            else "<DATASTORES></DATASTORES>"
        )  # fmt: skip
        share = (
            "<HOST_SHARE>" + el("DISK_USAGE", 0) + el("MEM_USAGE", self.mem_usage)
            + el("CPU_USAGE", self.cpu_usage) + el("TOTAL_MEM", self.total_mem)
            + el("TOTAL_CPU", self.total_cpu) + el("MAX_DISK", total) + el("MAX_MEM", self.total_mem)
            + el("MAX_CPU", self.total_cpu)
            + el("FREE_DISK", free) + el("FREE_MEM", free_mem) + el("FREE_CPU", free_cpu)
            + el("USED_DISK", used) + el("USED_MEM", self.total_mem - free_mem)
            + el("USED_CPU", self.total_cpu - free_cpu) + el("RUNNING_VMS", len(self.vms))
            + el("VMS_THREAD", 1) + datastores + self.pci + self.numa + "</HOST_SHARE>"
        )  # fmt: skip
        return (
            "<HOST>" + el("ID", self.id) + el("NAME", self.name)
            + el("STATE", HOST_STATES[self.state]) + el("PREV_STATE", HOST_STATES[self.prev_state])
            + cdata("IM_MAD", self.im_mad) + cdata("VM_MAD", self.vm_mad)
            + el("LAST_MON_TIME", self.monitor_time) + el("CLUSTER_ID", self.cluster_id)
            + el("CLUSTER", self.cluster) + share
            + _ids("VMS", self.vms) + template("TEMPLATE", _as_template(self.template)) + "</HOST>"
        )  # fmt: skip


@dataclass
class ImageDocument:
    """An ``<IMAGE>`` as ``Image::to_xml`` writes it."""

    id: int
    name: str
    owner: Owner = field(default_factory=Owner)
    permissions: tuple[int, ...] = DEFAULT_PERMISSIONS
    type: int = 0
    disk_type: int = 0
    persistent: int = 0
    regtime: int = 0
    modtime: int = 0
    source: str = ""
    path: str = ""
    format: str = "qcow2"
    fs: str = ""
    size: int = 256
    state: str = "LOCKED"
    prev_state: str = "INIT"
    running_vms: list[int] = field(default_factory=list)
    datastore_id: int = 1
    datastore: str = "default"
    template: dict[str, object] = field(default_factory=lambda: {"DEV_PREFIX": "vd"})

    def to_xml(self, profile: Profile) -> str:
        """``Image::to_xml``: MODTIME from 7.0, BACKUP_INCREMENTS from 6.6, BACKUP_DISK_IDS from 6.10."""
        return (
            "<IMAGE>" + el("ID", self.id) + self.owner.to_xml() + el("NAME", self.name)
            + _permissions(self.permissions) + el("TYPE", self.type)
            + el("DISK_TYPE", self.disk_type) + el("PERSISTENT", self.persistent)
            + el("REGTIME", self.regtime) + (el("MODTIME", self.modtime) if profile.image_modtime else "")
            + cdata("SOURCE", self.source) + cdata("PATH", self.path)
            + cdata("FORMAT", self.format) + cdata("FS", self.fs) + el("SIZE", self.size)
            + el("STATE", IMAGE_STATES[self.state])
            + el("PREV_STATE", IMAGE_STATES[self.prev_state])
            + el("RUNNING_VMS", len(self.running_vms)) + el("CLONING_OPS", 0)
            + el("CLONING_ID", -1) + el("TARGET_SNAPSHOT", -1)
            + el("DATASTORE_ID", self.datastore_id) + el("DATASTORE", self.datastore)
            + _ids("VMS", self.running_vms) + "<CLONES></CLONES><APP_CLONES></APP_CLONES>"
            + template("TEMPLATE", _as_template(self.template))
            + "<SNAPSHOTS>" + cdata("ALLOW_ORPHANS", "NO") + cdata("CURRENT_BASE", -1)
            + cdata("NEXT_SNAPSHOT", 0) + "</SNAPSHOTS>"
            + ("<BACKUP_INCREMENTS></BACKUP_INCREMENTS>" if profile.image_backup_increments else "")
            + ("<BACKUP_DISK_IDS></BACKUP_DISK_IDS>" if profile.image_backup_disk_ids else "")
            + "</IMAGE>"
        )  # fmt: skip


@dataclass
class VnetDocument:
    """A ``<VNET>`` as ``VirtualNetwork::to_xml`` writes it (raw AR templates)."""

    id: int
    name: str
    owner: Owner = field(default_factory=Owner)
    permissions: tuple[int, ...] = DEFAULT_PERMISSIONS
    clusters: list[int] = field(default_factory=lambda: [0])
    bridge: str = ""
    bridge_type: str = "linux"
    state: str = "LOCK_CREATE"
    prev_state: str = "INIT"
    vn_mad: str = "bridge"
    phydev: str = ""
    vlan_id: str = ""
    used_leases: int = 0
    template: dict[str, object] = field(default_factory=dict)
    address_ranges: list[dict[str, str]] = field(default_factory=list)

    def to_xml(self, profile: Profile) -> str:
        ars = "".join(template("AR", ar) for ar in self.address_ranges)
        updates = (
            "<UPDATED_VMS></UPDATED_VMS><OUTDATED_VMS></OUTDATED_VMS>"
            "<UPDATING_VMS></UPDATING_VMS><ERROR_VMS></ERROR_VMS>"
        )
        return (
            "<VNET>" + el("ID", self.id) + self.owner.to_xml() + el("NAME", self.name)
            + _permissions(self.permissions) + _ids("CLUSTERS", self.clusters)
            + cdata("BRIDGE", self.bridge) + cdata("BRIDGE_TYPE", self.bridge_type)
            + cdata("STATE", NET_STATES[self.state]) + cdata("PREV_STATE", NET_STATES[self.prev_state])
            + "<PARENT_NETWORK_ID/>" + ("<TEMPLATE_ID/>" if profile.vnet_template_id else "")
            + opt("VN_MAD", self.vn_mad) + opt("PHYDEV", self.phydev) + opt("VLAN_ID", self.vlan_id)
            + "<OUTER_VLAN_ID/>" + el("VLAN_ID_AUTOMATIC", 0) + el("OUTER_VLAN_ID_AUTOMATIC", 0)
            + el("USED_LEASES", self.used_leases) + "<VROUTERS></VROUTERS>"
            + (updates if profile.vnet_update_lists else "")
            + template("TEMPLATE", _as_template(self.template))
            + "<AR_POOL>" + ars + "</AR_POOL></VNET>"
        )  # fmt: skip
