"""What OpenNebula's dummy IM probe reports for a host: one cohesive table of data.

The dummy monitoring probe (``src/im_mad/remotes/dummy-probes.d/host/system/system.rb``
at ``release-7.4.0``) reports a fixed machine: 8 CPUs x 100 (``TOTALCPU`` 800), 16 GiB,
two NUMA nodes of 8 cores with 4 threads each, 2 MiB and 1 GiB huge pages, and a list of
PCI devices; the host document shows them in ``HOST_SHARE`` and ``TEMPLATE`` after the
first successful monitor (``7.4.0-hosts.jsonl`` of the captures).  Free/used disk and the
monitoring readings are random in the probe; mockhm draws them from the seeded random.
"""

from __future__ import annotations

from typing import Final

from mockhm.wire.xml import cdata

TOTAL_CPU: Final = 800
TOTAL_MEMORY: Final = 16777216
MAX_DISK: Final = 20480
_NODES, _CORES, _THREADS = 2, 8, 4
_PAGES: Final = (2048, 1048576)

#: Host TEMPLATE attributes the probe adds (HOSTNAME is the host's name).
PROBE_TEMPLATE: Final[dict[str, str]] = {
    "ARCH": "x86_64",
    "CPUSPEED": "3200",
    "HYPERVISOR": "dummy",
    "KVM_CPU_FEATURES": (
        "vme,ds,acpi,ss,ht,tm,pbe,dtes64,monitor,ds_cpl,vmx,smx,est,tm2,xtpr,pdcm,osxsave,f16c,"
        "rdrand,arat,tsc_adjust,clflushopt,clwb,intel-pt,sha-ni,umip,pku,ospke,waitpkg,gfni,vaes,"
        "vpclmulqdq,rdpid,movdiri,movdir64b,pks,fsrm,md-clear,serialize,arch-lbr,stibp,"
        "arch-capabilities,core-capability,ssbd,avx-vnni,xsaveopt,xsavec,xgetbv1,xsaves,pdpe1gb,"
        "abm,invtsc,rdctl-no,ibrs-all,skip-l1dfl-vmentry,mds-no,pschange-mc-no"
    ),
    "KVM_CPU_MODELS": (
        "486 pentium pentium2 pentium3 pentiumpro coreduo n270 core2duo qemu32 kvm32 cpu64-rhel5 "
        "cpu64-rhel6 kvm64 Conroe Penryn Nehalem Nehalem-IBRS Westmere Westmere-IBRS SandyBridge "
        "SandyBridge-IBRS IvyBridge IvyBridge-IBRS SapphireRapids SapphireRapids-noTSX Opteron_G1"
    ),
    "MEMORY_ENCRYPTION": "SEV",
    "MODELNAME": "Dummy(R) Core @ 3.2GHz",
    "TOTALCPU": str(TOTAL_CPU),
    "TOTALMEMORY": str(TOTAL_MEMORY),
}

_L40S: Final = ",".join(
    f"{1145 + i} (NVIDIA L40S-{size})"
    for i, size in enumerate(
        ["1B", "2B", "1Q", "2Q", "3Q", "4Q", "6Q", "8Q", "12Q", "16Q", "24Q", "48Q",
         "1A", "2A", "3A", "4A", "6A", "8A", "12A", "16A", "24A", "48A"]
    )
)  # fmt: skip
_MLX: Final = "Mellanox Technologies"
_VF: Final = "MT27710 Family [ConnectX-4 Lx Virtual Function]"

#: (address, vendor, device, class, class name, device name, vendor name, ifname, numa, sriov)
_DEVICES: Final[list[tuple[str, str, str, str, str, str, str, str, str, str]]] = [
    ("0000:02:00:0", "10de", "0863", "0302", "3D controller", "C79 [GeForce 9400M]",
     "NVIDIA Corporation", "-", "1", "no"),
    ("0000:00:06:0", "1b21", "0aa7", "0c03", "USB controller", "MCP79 OHCI USB 1.1 Controller",
     "ASMedia Technology Inc.", "-", "1", "no"),
    ("0000:00:06:1", "1022", "0aa9", "0c03", "USB controller", "MCP79 EHCI USB 2.0 Controller",
     "Advanced Micro Devices, Inc.", "-", "0", "no"),
    ("0000:04:00:1", "14e4", "165f", "0200", "Ethernet controller",
     "NetXtreme BCM5720 Gigabit Ethernet PCIe", "Broadcom Inc. and subsidiaries", "eno8403", "0", "no"),
    ("0000:81:00:0", "15b3", "1015", "0200", "Ethernet controller", "MT27710 Family [ConnectX-4 Lx]",
     _MLX, "pf0", "0", "pf"),
    ("0000:81:00:1", "15b3", "1015", "0200", "Ethernet controller", "MT27710 Family [ConnectX-4 Lx]",
     _MLX, "pf1", "0", "pf"),
    *[
        (f"0000:81:0{slot}:{fn}", "15b3", "1016", "0200", "Ethernet controller", _VF, _MLX,
         f"vf0{slot}{fn}", "0", "vf")
        for slot, fn in [(0, f) for f in range(2, 8)] + [(1, f) for f in range(8)] + [(2, 0), (2, 1)]
    ],
]  # fmt: skip


def pci_devices() -> str:
    """``<PCI_DEVICES>`` as ``HostSharePCI`` writes the probe's devices (children sorted)."""
    parts = []
    for address, vendor, device, klass, class_name, device_name, vendor_name, ifname, numa, sriov in _DEVICES:
        domain, bus, slot, function = address.split(":")
        attrs = {
            "ADDRESS": address, "BUS": bus, "CLASS": klass, "CLASS_NAME": class_name,
            "DEVICE": device, "DEVICE_NAME": device_name, "DOMAIN": domain, "FUNCTION": function,
            "IFNAME": ifname, "NUMA_NODE": numa, "SHORT_ADDRESS": f"{bus}:{slot}.{function}",
            "SLOT": slot, "SRIOV": sriov, "TYPE": f"{vendor}:{device}:{klass}", "VENDOR": vendor,
            "VENDOR_NAME": vendor_name, "VMID": "-1",
        }  # fmt: skip
        if device == "0863":
            attrs["PROFILES"] = _L40S
        if sriov == "pf":
            attrs["SRIOV_NUM"] = "8"
        parts.append("<PCI>" + "".join(cdata(k, attrs[k]) for k in sorted(attrs)) + "</PCI>")
    return "<PCI_DEVICES>" + "".join(parts) + "</PCI_DEVICES>"


def numa_nodes() -> str:
    """``<NUMA_NODES>`` of the probe's topology, as ``HostShareNUMA`` writes it."""
    nodes = []
    for node in range(_NODES):
        cores = []
        for core in range(_CORES):
            core_id = core + node * _CORES
            cpus = ",".join(f"{core_id + k * _CORES * _NODES}:-1" for k in range(_THREADS))
            cores.append(
                "<CORE>" + cdata("CPUS", cpus) + cdata("DEDICATED", "NO") + cdata("FREE", _THREADS)
                + cdata("ID", core_id) + "</CORE>"
            )  # fmt: skip
        pages = "".join(
            "<HUGEPAGE>" + cdata("PAGES", 1024) + cdata("SIZE", size) + cdata("USAGE", 0) + "</HUGEPAGE>"
            for size in _PAGES
        )
        distance = " ".join([str(node), *(str(other) for other in range(_NODES) if other != node)])
        memory = (
            "<MEMORY>" + cdata("DISTANCE", distance) + cdata("TOTAL", TOTAL_MEMORY // _NODES)
            + cdata("USAGE", 0) + "</MEMORY>"
        )  # fmt: skip
        nodes.append("<NODE>" + "".join(cores) + pages + memory + cdata("NODE_ID", node) + "</NODE>")
    return "<NUMA_NODES>" + "".join(nodes) + "</NUMA_NODES>"
