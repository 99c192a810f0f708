"""The transition graph of reference §5 as data: what each stable state allows and the paths.

For every stable (STATE, LCM_STATE) of a VM (and every STATE of a host, image and
network), the actions allowed there and the exact STATE path each action walks.
:mod:`mockhm.oned.lifecycle` drives a :class:`~mockhm.oned.cloud.Cloud` along it.
"""

from __future__ import annotations

from typing import Final

from mockhm.oned.vmops import HOT_OPERATIONS
from mockhm.wire.profiles import Profile, get_profile

VmState = tuple[str, str]
Path = tuple[VmState, ...]

_A: Final = "ACTIVE"
_I: Final = "LCM_INIT"
RUNNING: Final[VmState] = (_A, "RUNNING")
_DEPLOY: Final[Path] = ((_A, _I), (_A, "PROLOG"), (_A, "BOOT"), RUNNING)
_TERMINATE_RUNNING: Final[Path] = ((_A, "SHUTDOWN"), (_A, "EPILOG"), ("DONE", _I))
_TERMINATE_OFF: Final[Path] = ((_A, "EPILOG"), ("DONE", _I))
_RECOVER: Final[dict[str, Path]] = {
    "recover-delete": ((_A, "CLEANUP_DELETE"), ("DONE", _I)),
    "recover-recreate": ((_A, "CLEANUP_RESUBMIT"), ("PENDING", _I)),
}


def _hot(on: str) -> dict[str, Path]:
    """Hot operations available in RUNNING (``on="running"``) or POWEROFF, with their paths."""
    back = RUNNING if on == "running" else ("POWEROFF", _I)
    paths: dict[str, Path] = {}
    for name, (_call, lcm_on, lcm_off, _since) in HOT_OPERATIONS.items():
        lcm = lcm_on if on == "running" else lcm_off
        if lcm is not None:
            paths[name] = ((_A, lcm), back)
    return paths


#: VM actions allowed in each stable state and the (STATE, LCM_STATE) path each walks (§5).
#: Transient states (PROLOG, SHUTDOWN…) are never stable: an action runs to its end.
VM_TRANSITIONS: Final[dict[VmState, dict[str, Path]]] = {
    ("PENDING", _I): {
        "deploy": _DEPLOY,
        "hold": (("HOLD", _I),),
        "terminate": (("DONE", _I),),
        "deploy-prolog-failure": ((_A, _I), (_A, "PROLOG"), (_A, "PROLOG_FAILURE")),
        "deploy-boot-failure": ((_A, _I), (_A, "PROLOG"), (_A, "BOOT"), (_A, "BOOT_FAILURE")),
    },
    ("HOLD", _I): {"release": (("PENDING", _I),), "terminate": (("DONE", _I),)},
    RUNNING: {
        "reboot": (),
        "poweroff": ((_A, "SHUTDOWN_POWEROFF"), ("POWEROFF", _I)),
        "poweroff-hard": ((_A, "SHUTDOWN_POWEROFF"), ("POWEROFF", _I)),
        "suspend": ((_A, "SAVE_SUSPEND"), ("SUSPENDED", _I)),
        "stop": ((_A, "SAVE_STOP"), (_A, "EPILOG_STOP"), ("STOPPED", _I)),
        "undeploy": ((_A, "SHUTDOWN_UNDEPLOY"), (_A, "EPILOG_UNDEPLOY"), ("UNDEPLOYED", _I)),
        "migrate-live": ((_A, "MIGRATE"), RUNNING),
        "migrate-cold": (
            (_A, "SAVE_MIGRATE"),
            (_A, "PROLOG_MIGRATE"),
            (_A, "BOOT_MIGRATE"),
            RUNNING,
        ),
        **_hot("running"),
        "terminate": _TERMINATE_RUNNING,
        "terminate-hard": _TERMINATE_RUNNING,
    },
    ("POWEROFF", _I): {
        "resume": ((_A, "BOOT_POWEROFF"), RUNNING),
        **_hot("poweroff"),
        "terminate": _TERMINATE_OFF,
    },
    ("SUSPENDED", _I): {"resume": ((_A, "BOOT_SUSPENDED"), RUNNING), "terminate": _TERMINATE_OFF},
    ("STOPPED", _I): {
        "resume": (("PENDING", _I), (_A, _I), (_A, "PROLOG_RESUME"), (_A, "BOOT_STOPPED"), RUNNING),
        "terminate": _TERMINATE_OFF,
    },
    ("UNDEPLOYED", _I): {
        "resume": (
            ("PENDING", _I),
            (_A, _I),
            (_A, "PROLOG_UNDEPLOY"),
            (_A, "BOOT_UNDEPLOY"),
            RUNNING,
        ),
        "terminate": _TERMINATE_OFF,
    },
    (_A, "UNKNOWN"): {"recover-success": (RUNNING,), "terminate": _TERMINATE_RUNNING, **_RECOVER},
    (_A, "PROLOG_FAILURE"): {"recover-retry": ((_A, "PROLOG"), (_A, "BOOT"), RUNNING), **_RECOVER},
    (_A, "BOOT_FAILURE"): {"recover-retry": ((_A, "BOOT"), RUNNING), **_RECOVER},
    ("DONE", _I): {},
}

#: Host actions (§5 HOST): the STATE each one leads to.  ``fail`` also turns the host's
#: RUNNING VMs UNKNOWN and ``recover`` brings them back to RUNNING.
HOST_TRANSITIONS: Final[dict[str, dict[str, str]]] = {
    "INIT": {"monitor": "MONITORED", "monitor-fail": "ERROR"},
    "MONITORED": {"fail": "ERROR", "disable": "DISABLED", "offline": "OFFLINE"},
    "ERROR": {"recover": "MONITORED"},
    "DISABLED": {"enable": "MONITORED"},
    # Host::enable: MONITORED only from DISABLED with capacity, else INIT (src/host/Host.cc@release-7.4.0)
    "OFFLINE": {"enable": "INIT"},
}
#: VM paths caused by host actions (not by the VM's own actions).
HOST_VM_PATHS: Final[dict[str, tuple[VmState, VmState]]] = {
    "fail": (RUNNING, (_A, "UNKNOWN")),
    "recover": ((_A, "UNKNOWN"), RUNNING),
}

#: Image actions (6.0+, §4.4, §5 IMAGE): the STATE each leads to.  USED_PERS is what a
#: persistent image gets; it prints as USED.
IMAGE_TRANSITIONS: Final[dict[str, dict[str, str]]] = {
    "READY": {"use": "USED", "disable": "DISABLED", "clone": "CLONE", "fail": "ERROR"},
    "USED": {"release": "READY", "lock": "LOCKED_USED"},
    "USED_PERS": {"release": "READY"},
    "LOCKED_USED": {"unlock": "USED"},
    "DISABLED": {"enable": "READY"},
    "CLONE": {"cloned": "READY"},
    "ERROR": {"enable": "READY"},
}

#: Virtual network actions (6.4+, §4.5, §5 NET).
NET_TRANSITIONS: Final[dict[str, dict[str, str]]] = {
    "READY": {"update-failure": "UPDATE_FAILURE", "delete": "DONE"},
    "UPDATE_FAILURE": {"update-ok": "READY"},
    "DONE": {},
}


def vm_edges(profile: Profile | str | None = None) -> frozenset[tuple[VmState | None, VmState]]:
    """Every (from, to) pair of consecutive VM STATE events the graph allows.

    ``None`` as *from* is allocation (PENDING or HOLD).
    """
    prof = get_profile(profile)
    edges: set[tuple[VmState | None, VmState]] = {(None, ("PENDING", _I)), (None, ("HOLD", _I))}
    for start, actions in VM_TRANSITIONS.items():
        for name, path in actions.items():
            if _vm_action_exists(name, prof):
                edges.update(zip((start, *path), path, strict=False))
    edges.update(HOST_VM_PATHS.values())
    return frozenset(edges)


def _vm_action_exists(name: str, prof: Profile) -> bool:
    if name in HOT_OPERATIONS:
        _call, _lcm_on, _lcm_off, since = HOT_OPERATIONS[name]
        return prof.release >= since
    return True
