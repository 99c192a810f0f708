"""Release profiles: what a given OpenNebula release puts on the wire .

Every per-release difference mockhm knows of lives in the :data:`PROFILES` table and
nowhere else; builders, keys and schemas ask the profile instead of comparing versions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final, Literal

from mockhm.wire.errors import UnknownProfileError
from mockhm.wire.states import HOST_STATES, IMAGE_STATES, LCM_STATES, NET_STATES, VM_STATES

#: Info calls whose API events are suppressed from 5.10.2 on (§3.2.6).
SUPPRESSED_INFO_CALLS: Final[frozenset[str]] = frozenset(
    f"one.{name}"
    for name in [
        "vm.info",
        "vmpool.info",
        "vmpool.infoextended",
        "template.info",
        "templatepool.info",
        "host.info",
        "hostpool.info",
        "group.info",
        "grouppool.info",
        "groupquota.info",
        "vn.info",
        "vnpool.info",
        "user.info",
        "userpool.info",
        "userquota.info",
        "datastore.info",
        "datastorepool.info",
        "image.info",
        "imagepool.info",
        "acl.info",
        "vntemplate.info",
        "vntemplatepool.info",
        "cluster.info",
        "clusterpool.info",
        "document.info",
        "documentpool.info",
        "zone.info",
        "zonepool.info",
        "secgroup.info",
        "secgrouppool.info",
        "vmgroup.info",
        "vmgrouppool.info",
        "vdc.info",
        "vdcpool.info",
        "vrouter.info",
        "vrouterpool.info",
        "market.info",
        "marketpool.info",
        "marketapp.info",
        "marketapppool.info",
        "hook.info",
        "hookpool.info",
        "hooklog.info",
    ]
)

_LCM_SINCE: Final[dict[str, tuple[int, int, int]]] = {
    "HOTPLUG_NIC_POWEROFF": (5, 12, 0),
    "HOTPLUG_RESIZE": (6, 0, 0),
    "HOTPLUG_SAVEAS_UNDEPLOYED": (6, 0, 0),
    "HOTPLUG_SAVEAS_STOPPED": (6, 0, 0),
    "BACKUP": (6, 6, 0),
    "BACKUP_POWEROFF": (6, 6, 0),
    "RESTORE": (6, 10, 0),
}
#: DISK_SNAPSHOT_REVERT_SUSPENDED (55) was commented out after 6.6 (§4.2).
_LCM_UNTIL: Final[dict[str, tuple[int, int, int]]] = {"DISK_SNAPSHOT_REVERT_SUSPENDED": (6, 6, 99)}
_HOST_MONITORING_STATES: Final[frozenset[str]] = frozenset(
    {"MONITORING_MONITORED", "MONITORING_ERROR", "MONITORING_INIT", "MONITORING_DISABLED"}
)

KeyForm = Literal["ga", "docs"]


@dataclass(frozen=True)
class Profile:
    """What one OpenNebula release publishes.  Use :func:`get_profile` to obtain one."""

    name: str
    """Profile name, e.g. ``"7.4"``."""
    release: tuple[int, int, int]
    """First release the profile stands for."""
    summary: str
    """One line for ``mockhm profiles`` and error messages."""
    key_form: KeyForm = "ga"
    """``"ga"`` is the code's key form; ``"docs"`` the documentation's pre-release one."""
    state_objects: frozenset[str] = field(init=False)
    """HOOK_OBJECTs that emit STATE events."""
    service_key: bool = field(init=False)
    """SERVICE_ID in VM bodies and the ``EVENT SERVICE <id> `` key (5.12+)."""
    out_string_cdata: bool = field(init=False)
    """String OUT values (return values) wrapped in CDATA (5.10.0 only)."""
    error_cdata: bool = field(init=False)
    """Failure messages (OUT position 2) wrapped in CDATA (up to 7.0)."""
    suppressed_calls: frozenset[str] = field(init=False)
    """Calls that never produce an API event."""
    lcm_states: frozenset[str] = field(init=False)
    """LCM_STATE names that exist in this release."""
    host_states: frozenset[str] = field(init=False)
    """HOST STATE names that exist in this release."""
    image_states: frozenset[str] = field(init=False)
    """IMAGE STATE names that exist (empty when images emit no STATE events)."""
    net_states: frozenset[str] = field(init=False)
    """NET STATE names that exist (empty when networks emit no STATE events)."""
    grpc: bool = field(init=False)
    """gRPC API server present (7.2+): booleans as ``true``/``false`` for gRPC calls."""
    scheduler_api_events: bool = field(init=False)
    """The scheduler deploys over XML-RPC, so ``EVENT API one.vm.deploy 1`` appears (up to 6.10)."""
    internal_vmmonitor: bool = field(init=False)
    """``one.internal.vmmonitor`` pseudo call (7.2+)."""
    threaded: bool = field(init=False)
    """Multithreaded driver: publish order may differ slightly from oned's (6.0+)."""
    vm_backups: bool = field(init=False)
    """VM documents carry ``<BACKUPS>`` (6.6+)."""
    vm_sched_actions: bool = field(init=False)
    """VM documents carry ``<SCHED_ACTIONS>`` (6.8+: ``src/vm/VirtualMachine.cc@release-6.8.0``)."""
    image_modtime: bool = field(init=False)
    """IMAGE documents carry MODTIME (7.0+, ``src/image/Image.cc@release-7.0.0``)."""
    image_backup_increments: bool = field(init=False)
    """IMAGE documents carry BACKUP_INCREMENTS (6.6+, ``src/image/Image.cc@release-6.6.0``)."""
    image_backup_disk_ids: bool = field(init=False)
    """IMAGE documents carry BACKUP_DISK_IDS (6.10+, ``src/image/Image.cc@release-6.10.0``)."""
    host_monitoring: bool = field(init=False)
    """HOST documents with a MONITORING element and the 5.12 HOST_SHARE (5.12+); before, LAST_MON_TIME,
    the 5.10 HOST_SHARE and MONITORING_* states each cycle (``src/host/Host.cc`` and
    ``include/Host.h`` at release-5.10.0)."""
    history_plan: bool = field(init=False)
    """HISTORY records carry ``PLAN_ID``/``ACTION_ID`` (7.0+; **inferred**)."""
    vnet_template_id: bool = field(init=False)
    """VNET documents carry ``<TEMPLATE_ID/>`` (7.4+)."""
    vnet_update_lists: bool = field(init=False)
    """VNET documents carry UPDATED_VMS … ERROR_VMS (6.6+, with UPDATE_FAILURE; **inferred**)."""

    def __post_init__(self) -> None:
        r = self.release
        put = object.__setattr__
        objects = {"VM", "HOST"}
        if r >= (6, 0, 0):
            objects.add("IMAGE")
        if r >= (6, 4, 0):
            objects.add("NET")
        put(self, "state_objects", frozenset(objects))
        put(self, "service_key", r >= (5, 12, 0))
        put(self, "out_string_cdata", r < (5, 10, 1))
        put(self, "error_cdata", r < (7, 2, 0))
        put(self, "suppressed_calls", SUPPRESSED_INFO_CALLS if r >= (5, 10, 2) else frozenset())
        put(
            self,
            "lcm_states",
            frozenset(
                n for n in LCM_STATES if _LCM_SINCE.get(n, (0, 0, 0)) <= r <= _LCM_UNTIL.get(n, (99, 0, 0))
            ),
        )
        put(
            self,
            "host_states",
            frozenset(n for n in HOST_STATES if r < (5, 12, 0) or n not in _HOST_MONITORING_STATES),
        )
        put(self, "image_states", frozenset(IMAGE_STATES) if "IMAGE" in objects else frozenset())
        put(
            self,
            "net_states",
            frozenset(n for n in NET_STATES if n != "UPDATE_FAILURE" or r >= (6, 6, 0))
            if "NET" in objects
            else frozenset(),
        )
        put(self, "grpc", r >= (7, 2, 0))
        put(self, "scheduler_api_events", r < (7, 0, 0))
        put(self, "internal_vmmonitor", r >= (7, 2, 0))
        put(self, "threaded", r >= (6, 0, 0))
        put(self, "vm_backups", r >= (6, 6, 0))
        put(self, "vm_sched_actions", r >= (6, 8, 0))
        put(self, "image_modtime", r >= (7, 0, 0))
        put(self, "image_backup_increments", r >= (6, 6, 0))
        put(self, "image_backup_disk_ids", r >= (6, 10, 0))
        put(self, "host_monitoring", r >= (5, 12, 0))
        put(self, "history_plan", r >= (7, 0, 0))
        put(self, "vnet_template_id", r >= (7, 4, 0))
        put(self, "vnet_update_lists", r >= (6, 6, 0))

    def states(self, obj: str) -> frozenset[str]:
        """STATE names of HOOK_OBJECT ``obj`` (``VM``, ``HOST``, ``IMAGE``, ``NET``) in this release."""
        if obj == "VM":
            return frozenset(VM_STATES)
        if obj == "HOST":
            return self.host_states
        if obj == "IMAGE":
            return self.image_states
        if obj == "NET":
            return self.net_states
        raise ValueError(f"unknown hook object {obj!r}; expected one of 'HOST', 'IMAGE', 'NET', 'VM'")

    def __str__(self) -> str:
        return self.name


PROFILES: Final[dict[str, Profile]] = {
    p.name: p
    for p in (
        Profile("5.10.0", (5, 10, 0), "first GA hook system; nothing suppressed, CDATA OUT strings"),
        Profile("5.10.1", (5, 10, 1), "raw OUT strings; nothing suppressed yet"),
        Profile("5.10.2", (5, 10, 2), "info calls suppressed, raw OUT strings"),
        Profile("5.12", (5, 12, 0), "SERVICE_ID and the EVENT SERVICE key"),
        Profile("6.0", (6, 0, 0), "IMAGE state hooks, multithreaded driver"),
        Profile("6.2", (6, 2, 0), "one.vm.sched*, one.market.enable, one.zone.enable"),
        Profile("6.4", (6, 4, 0), "NET (virtual network) state hooks"),
        Profile("6.6", (6, 6, 0), "BACKUP states, NET UPDATE_FAILURE (empty STATE)"),
        Profile("6.8", (6, 8, 0), "one.backupjob.*, one.vm.backupcancel, one.vmgroup.role*"),
        Profile("6.10", (6, 10, 0), "RESTORE state; last release with scheduler API events"),
        Profile("7.0", (7, 0, 0), "no API events for scheduler deploys"),
        Profile("7.2", (7, 2, 0), "gRPC, raw error strings, one.internal.vmmonitor"),
        Profile("7.4", (7, 4, 0), "newest release (default)"),
        Profile(
            "docs",
            (5, 10, 0),
            "the documentation's pre-release key form: one STATE key, no id, no trailing space",
            key_form="docs",
        ),
    )
}

DEFAULT_PROFILE: Final[str] = "7.4"


def get_profile(name: str | Profile | None = None) -> Profile:
    """Return the profile for ``name``.

    ``name`` is a profile name (``"7.4"``, ``"docs"``), or any release number
    (``"6.8.1"``, ``"7.4.0"``), which selects the newest profile not newer than it.
    ``None`` gives the default, 7.4.
    """
    if isinstance(name, Profile):
        return name
    if name is None:
        return PROFILES[DEFAULT_PROFILE]
    if not isinstance(name, str):  # 5.10 as a float would be 5.1
        raise UnknownProfileError(
            f"profile {name!r} is a {type(name).__name__}; give the release as a string, e.g. '7.4' or '5.10'"
        )
    if name in PROFILES:
        return PROFILES[name]
    try:
        parts = tuple(int(p) for p in name.split("."))
    except ValueError:
        parts = ()
    if 2 <= len(parts) <= 3 and parts >= (5, 10):
        wanted = (*parts, 0)[:3] if len(parts) == 2 else parts
        ga = [p for p in PROFILES.values() if p.key_form == "ga" and p.release <= wanted]
        return max(ga, key=lambda p: p.release)
    allowed = ", ".join(repr(n) for n in PROFILES)
    raise UnknownProfileError(
        f"unknown profile {name!r}; expected one of {allowed}, or a release number from 5.10.0"
    )
