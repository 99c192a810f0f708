"""A VM from a template as ``VirtualMachine::insert`` builds it (``src/vm/VirtualMachine.cc@release-7.4.0``).

The user's template is split: the attributes oned understands move to TEMPLATE (with
what oned adds: VMID, TEMPLATE_ID, AUTOMATIC_REQUIREMENTS, OS/UUID and OS/MACHINE,
CONTEXT/DISK_ID and TARGET, DISK_ID and NIC_ID, SUBMIT_ON_HOLD), the rest stays in
USER_TEMPLATE.  The shapes are those of ``7.4.0-vm-lifecycle.jsonl``.
"""

from __future__ import annotations

import uuid
from typing import Final

from mockhm.oned.names import name_problem
from mockhm.oned.state import CloudBase, CloudError
from mockhm.oned.template import Attribute
from mockhm.traffic.rules import mac_for_ip

#: Attributes ``VirtualMachine::insert`` and its ``parse_*`` helpers move to TEMPLATE.
SYSTEM_ATTRIBUTES: Final = frozenset(
    {"CPU", "VCPU", "MEMORY", "VCPU_MAX", "MEMORY_MAX", "MEMORY_SLOTS", "MEMORY_RESIZE_MODE", "CPU_COST",
     "MEMORY_COST", "DISK_COST", "EMULATOR", "FEATURES", "OS", "RAW", "PCI", "CONTEXT", "DISK", "NIC",
     "NIC_ALIAS", "NIC_DEFAULT", "GRAPHICS", "VIDEO", "INPUT", "TOPOLOGY", "NUMA_NODE", "CPU_MODEL",
     "SCHED_REQUIREMENTS", "SCHED_RANK", "SCHED_DS_REQUIREMENTS", "SCHED_DS_RANK", "BACKUP_CONFIG", "TPM",
     "IOMMU", "VMGROUP", "SECURITY_GROUP_RULE", "SPICE_OPTIONS", "HYPERV_OPTIONS", "TEMPLATE_ID"}
)  # fmt: skip


#: oned reads MEMORY and VCPU into a ``long int`` and CPU into a ``float``
#: (``VirtualMachine::parse_capacity``, ``src/vm/VirtualMachine.cc@release-7.4.0``): a value
#: beyond them does not parse, and is refused like a non-number.
_LONG_MAX: Final = 2**63 - 1
_FLOAT_MAX: Final = 3.4028234663852886e38


def _positive_int(text: object) -> int | None:
    try:
        value = int(str(text))
    except ValueError:
        return None
    return value if 0 < value <= _LONG_MAX else None


def _positive_float(text: object) -> float | None:
    try:
        value = float(str(text))
    except ValueError:
        return None
    return value if 0 < value <= _FLOAT_MAX else None  # also refuses inf and NaN


def _target(index: int) -> str:
    return "sd" + chr(ord("a") + index)


def vm_templates(
    cloud: CloudBase, vid: int, attrs: list[Attribute], *, hold_attr: bool, template_id: int | None
) -> tuple[str, dict[str, object], dict[str, object]]:
    """Name, TEMPLATE and USER_TEMPLATE of a new VM; :class:`CloudError` (INTERNAL) as oned refuses."""
    user: dict[str, object] = {}
    disks: list[dict[str, str]] = []
    nics: list[dict[str, str]] = []
    for name, value in attrs:
        if name == "DISK" and isinstance(value, dict):
            disks.append(dict(value))
        elif name == "NIC" and isinstance(value, dict):
            nics.append(dict(value))
        else:
            user.setdefault(name, value)
    vm_name = str(user.pop("NAME", "")) or f"one-{vid}"
    problem = name_problem(vm_name)
    if problem:
        raise CloudError(problem, code="INTERNAL", oned=problem)
    user.pop("VMID", None)
    user.pop("TEMPLATE_NAME", None)
    memory = _positive_int(user.get("MEMORY", ""))
    if memory is None:
        raise CloudError("MEMORY missing or not positive", code="INTERNAL",
                         oned="MEMORY attribute must be a positive integer value.")  # fmt: skip
    if _positive_float(user.get("CPU", "")) is None:
        raise CloudError("CPU missing or not positive", code="INTERNAL",
                         oned="CPU attribute must be a positive float or integer value.")  # fmt: skip
    if "VCPU" in user and _positive_int(user["VCPU"]) is None:
        raise CloudError(
            "VCPU not positive", code="INTERNAL", oned="VCPU attribute must be a positive integer value."
        )
    tmpl: dict[str, object] = {k: v for k, v in user.items() if k in SYSTEM_ATTRIBUTES}
    user = {k: v for k, v in user.items() if k not in SYSTEM_ATTRIBUTES}
    tmpl["VMID"] = str(vid)
    if template_id is not None:
        tmpl["TEMPLATE_ID"] = str(template_id)
    if hold_attr:
        tmpl["SUBMIT_ON_HOLD"] = "YES"
    given = tmpl.get("OS")
    os_attr: dict[str, str] = dict(given) if isinstance(given, dict) else {}
    os_attr.setdefault("MACHINE", "q35")
    os_attr.setdefault("UUID", str(uuid.UUID(int=cloud.random.getrandbits(128), version=4)))
    tmpl["OS"] = os_attr
    clusters = False
    if disks:
        tmpl["DISK"] = [_disk(cloud, i, d) for i, d in enumerate(disks)]
        clusters = True
    if nics:
        tmpl["NIC"] = [_nic(cloud, vid, i, n) for i, n in enumerate(nics)]
        clusters = True
    context = tmpl.get("CONTEXT")
    if isinstance(context, dict):
        ctx = dict(context)
        ctx["DISK_ID"] = str(len(disks))
        ctx["TARGET"] = _target(len(disks))
        tmpl["CONTEXT"] = ctx
    if clusters:
        tmpl["AUTOMATIC_DS_REQUIREMENTS"] = '("CLUSTERS/ID" @> 0)'
        if nics:
            tmpl["AUTOMATIC_NIC_REQUIREMENTS"] = '("CLUSTERS/ID" @> 0)'
        tmpl["AUTOMATIC_REQUIREMENTS"] = "(CLUSTER_ID = 0) & !(PIN_POLICY = PINNED)"
    else:
        tmpl["AUTOMATIC_REQUIREMENTS"] = "!(PIN_POLICY = PINNED)"
    return vm_name, tmpl, user


def _disk(cloud: CloudBase, index: int, disk: dict[str, str]) -> dict[str, str]:
    out = dict(disk)
    out["DISK_ID"] = str(index)
    image_id = disk.get("IMAGE_ID")
    image = cloud.images.get(int(image_id)) if image_id and image_id.isdigit() else None
    if image_id is not None and image is None:
        raise CloudError(f"no image {image_id}", code="INTERNAL", oned=f"Error getting image [{image_id}].")
    if image is not None:
        out.update({
            "CLONE": "NO" if image.persistent else "YES", "CLUSTER_ID": "0", "DATASTORE": image.datastore,
            "DATASTORE_ID": str(image.datastore_id), "DEV_PREFIX": "sd", "DISK_TYPE": "FILE",
            "DRIVER": image.format, "FORMAT": image.format, "IMAGE": image.name, "IMAGE_ID": str(image.id),
            "IMAGE_STATE": "2" if image.persistent else "1", "IMAGE_UID": "0", "IMAGE_UNAME": "oneadmin",
            "ORIGINAL_SIZE": str(image.size), "READONLY": "NO", "SAVE": "YES" if image.persistent else "NO",
            "SIZE": str(image.size), "SOURCE": image.source, "TM_MAD": "dummy", "TYPE": "FILE",
        })  # fmt: skip
    out.setdefault("TARGET", _target(index))
    return out


def _nic(cloud: CloudBase, vid: int, index: int, nic: dict[str, str]) -> dict[str, str]:
    out = dict(nic)
    out["NIC_ID"] = str(index)
    net_id = nic.get("NETWORK_ID")
    net = cloud.nets.get(int(net_id)) if net_id and net_id.isdigit() else None
    if net_id is not None and net is None:
        raise CloudError(
            f"no network {net_id}", code="INTERNAL", oned=f"Error getting virtual network [{net_id}]."
        )
    if net is not None and net.address_ranges:
        ar = net.address_ranges[0]
        lease = int(ar.get("NEXT_INDEX", "0"))
        ar["NEXT_INDEX"] = str(lease + 1)
        net.used_leases += 1
        base = ar.get("IP", "10.0.0.1").rsplit(".", 1)
        ip = f"{base[0]}.{int(base[1]) + lease}"
        out.update({
            "AR_ID": ar.get("AR_ID", "0"), "BRIDGE": net.bridge, "BRIDGE_TYPE": net.bridge_type,
            "CLUSTER_ID": "0", "IP": ip, "MAC": mac_for_ip(ip), "NETWORK": net.name,
            "NETWORK_ID": str(net.id), "NETWORK_UID": "0", "NETWORK_UNAME": "oneadmin",
            "SECURITY_GROUPS": "0", "TARGET": f"one-{vid}-{index}",
            "VN_MAD": net.vn_mad,
        })  # fmt: skip
    return out
