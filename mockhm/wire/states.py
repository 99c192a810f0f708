"""State enumerations of the objects that emit STATE hooks.

Pure data: the numeric value oned stores inside the embedded document and the
string it prints in ``HOOK_MESSAGE/STATE`` and in the keys.  Which names exist
in which release is decided by :mod:`mockhm.wire.profiles`.
"""

from __future__ import annotations

from typing import Final

#: VM STATE (§4.1); 7 (FAILED) was removed and is never sent.
VM_STATES: Final[dict[str, int]] = {
    "INIT": 0,
    "PENDING": 1,
    "HOLD": 2,
    "ACTIVE": 3,
    "STOPPED": 4,
    "SUSPENDED": 5,
    "DONE": 6,
    "POWEROFF": 8,
    "UNDEPLOYED": 9,
    "CLONING": 10,
    "CLONING_FAILURE": 11,
}

#: VM LCM_STATE (§4.2), every value ever defined; 13, 14 and 58 were removed.
LCM_STATES: Final[dict[str, int]] = {
    "LCM_INIT": 0,
    "PROLOG": 1,
    "BOOT": 2,
    "RUNNING": 3,
    "MIGRATE": 4,
    "SAVE_STOP": 5,
    "SAVE_SUSPEND": 6,
    "SAVE_MIGRATE": 7,
    "PROLOG_MIGRATE": 8,
    "PROLOG_RESUME": 9,
    "EPILOG_STOP": 10,
    "EPILOG": 11,
    "SHUTDOWN": 12,
    "CLEANUP_RESUBMIT": 15,
    "UNKNOWN": 16,
    "HOTPLUG": 17,
    "SHUTDOWN_POWEROFF": 18,
    "BOOT_UNKNOWN": 19,
    "BOOT_POWEROFF": 20,
    "BOOT_SUSPENDED": 21,
    "BOOT_STOPPED": 22,
    "CLEANUP_DELETE": 23,
    "HOTPLUG_SNAPSHOT": 24,
    "HOTPLUG_NIC": 25,
    "HOTPLUG_SAVEAS": 26,
    "HOTPLUG_SAVEAS_POWEROFF": 27,
    "HOTPLUG_SAVEAS_SUSPENDED": 28,
    "SHUTDOWN_UNDEPLOY": 29,
    "EPILOG_UNDEPLOY": 30,
    "PROLOG_UNDEPLOY": 31,
    "BOOT_UNDEPLOY": 32,
    "HOTPLUG_PROLOG_POWEROFF": 33,
    "HOTPLUG_EPILOG_POWEROFF": 34,
    "BOOT_MIGRATE": 35,
    "BOOT_FAILURE": 36,
    "BOOT_MIGRATE_FAILURE": 37,
    "PROLOG_MIGRATE_FAILURE": 38,
    "PROLOG_FAILURE": 39,
    "EPILOG_FAILURE": 40,
    "EPILOG_STOP_FAILURE": 41,
    "EPILOG_UNDEPLOY_FAILURE": 42,
    "PROLOG_MIGRATE_POWEROFF": 43,
    "PROLOG_MIGRATE_POWEROFF_FAILURE": 44,
    "PROLOG_MIGRATE_SUSPEND": 45,
    "PROLOG_MIGRATE_SUSPEND_FAILURE": 46,
    "BOOT_UNDEPLOY_FAILURE": 47,
    "BOOT_STOPPED_FAILURE": 48,
    "PROLOG_RESUME_FAILURE": 49,
    "PROLOG_UNDEPLOY_FAILURE": 50,
    "DISK_SNAPSHOT_POWEROFF": 51,
    "DISK_SNAPSHOT_REVERT_POWEROFF": 52,
    "DISK_SNAPSHOT_DELETE_POWEROFF": 53,
    "DISK_SNAPSHOT_SUSPENDED": 54,
    "DISK_SNAPSHOT_REVERT_SUSPENDED": 55,
    "DISK_SNAPSHOT_DELETE_SUSPENDED": 56,
    "DISK_SNAPSHOT": 57,
    "DISK_SNAPSHOT_DELETE": 59,
    "PROLOG_MIGRATE_UNKNOWN": 60,
    "PROLOG_MIGRATE_UNKNOWN_FAILURE": 61,
    "DISK_RESIZE": 62,
    "DISK_RESIZE_POWEROFF": 63,
    "DISK_RESIZE_UNDEPLOYED": 64,
    "HOTPLUG_NIC_POWEROFF": 65,
    "HOTPLUG_RESIZE": 66,
    "HOTPLUG_SAVEAS_UNDEPLOYED": 67,
    "HOTPLUG_SAVEAS_STOPPED": 68,
    "BACKUP": 69,
    "BACKUP_POWEROFF": 70,
    "RESTORE": 71,
}

#: HOST STATE (§4.3); the MONITORING_* states exist in 5.10.x only.
HOST_STATES: Final[dict[str, int]] = {
    "INIT": 0,
    "MONITORING_MONITORED": 1,
    "MONITORED": 2,
    "ERROR": 3,
    "DISABLED": 4,
    "MONITORING_ERROR": 5,
    "MONITORING_INIT": 6,
    "MONITORING_DISABLED": 7,
    "OFFLINE": 8,
}

#: IMAGE STATE (§4.4).
IMAGE_STATES: Final[dict[str, int]] = {
    "INIT": 0,
    "READY": 1,
    "USED": 2,
    "DISABLED": 3,
    "LOCKED": 4,
    "ERROR": 5,
    "CLONE": 6,
    "DELETE": 7,
    "USED_PERS": 8,
    "LOCKED_USED": 9,
    "LOCKED_USED_PERS": 10,
}

#: VNET STATE (§4.5); UPDATE_FAILURE exists from 6.6.
NET_STATES: Final[dict[str, int]] = {
    "INIT": 0,
    "READY": 1,
    "LOCK_CREATE": 2,
    "LOCK_DELETE": 3,
    "DONE": 4,
    "ERROR": 5,
    "UPDATE_FAILURE": 6,
}

#: What oned prints for a state name in HOOK_MESSAGE/STATE and in keys (§4.4, §4.5):
#: IMAGE USED_PERS prints as USED, LOCKED_USED_PERS as LOCKED_USED, and NET
#: UPDATE_FAILURE has no string form at all.
PRINTED_STATE: Final[dict[tuple[str, str], str]] = {
    ("IMAGE", "USED_PERS"): "USED",
    ("IMAGE", "LOCKED_USED_PERS"): "LOCKED_USED",
    ("NET", "UPDATE_FAILURE"): "",
}

#: Hook objects and their state tables.  HOOK_OBJECT says NET, the document says VNET (§3.3).
OBJECT_STATES: Final[dict[str, dict[str, int]]] = {
    "VM": VM_STATES,
    "HOST": HOST_STATES,
    "IMAGE": IMAGE_STATES,
    "NET": NET_STATES,
}

#: Root element of the embedded document for each HOOK_OBJECT.
DOCUMENT_ROOT: Final[dict[str, str]] = {"VM": "VM", "HOST": "HOST", "IMAGE": "IMAGE", "NET": "VNET"}


def printed_state(obj: str, state: str) -> str:
    """The STATE string oned prints for ``state`` of a HOOK_OBJECT ``obj``."""
    return PRINTED_STATE.get((obj, state), state)
