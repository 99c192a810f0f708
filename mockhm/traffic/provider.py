"""A Faker provider for OpenNebula values (names, capacities, addresses, contexts).

Every value obeys the rules oned enforces: object names (VM, host, image,
network, template) never contain whitespace or any of ``&|:\\";/'#{}$<>`` and are at most
128 characters; user and group names never contain whitespace or ``:``.  Addresses are
consistent the way OpenNebula makes them: a NIC's MAC is ``02:00`` followed by the four
bytes of its IPv4 address, and its IPv6 address is the prefix plus the EUI-64 of that MAC.

All randomness comes from the Faker instance's own :class:`random.Random`, so a Faker
seeded with :meth:`faker.Faker.seed_instance` gives the same values every run::

    fake = make_faker(7)
    fake.one_vm_name()        # always the same name for seed 7
"""

from __future__ import annotations

import base64
import ipaddress

from faker import Faker
from faker.providers import BaseProvider

from mockhm.traffic.rules import INVALID_USER_CHARS, ipv6_for_mac, mac_for_ip
from mockhm.traffic.words import (
    CAPACITIES,
    DISTROS,
    DOMAINS,
    ENVS,
    GRAPHICS_TYPES,
    GROUPS,
    IMAGE_SUFFIXES,
    KEYMAPS,
    NET_KINDS,
    PASSWORD_CHARS,
    ROLES,
    SITES,
)


class OpenNebulaProvider(BaseProvider):
    """Faker provider for OpenNebula object names, capacities, addresses and templates.

    Add it with ``fake.add_provider(OpenNebulaProvider)`` or get a ready Faker from
    :func:`make_faker`.  Methods are prefixed ``one_`` so they never clash with Faker's own.
    """

    # -- names -----------------------------------------------------------------------------

    def one_vm_name(self) -> str:
        """A VM name such as ``web-prod-03`` or ``ubuntu2204-17`` (oned's default form)."""
        r = self.generator.random
        form = r.randrange(4)
        if form == 0:
            return f"{r.choice(ROLES)}-{r.choice(ENVS)}-{r.randint(1, 40):02d}"
        if form == 1:
            return f"{r.choice(DISTROS)}-{r.randint(0, 999)}"
        if form == 2:
            return f"{r.choice(ROLES)}{r.randint(1, 20)}.{r.choice(SITES)}"
        return f"{r.choice(ROLES)}-{r.choice(ROLES)}-{r.randint(1, 9)}"

    def one_host_name(self) -> str:
        """A hypervisor host name such as ``kvm-node-07`` or ``node12.dc1.example.com``."""
        r = self.generator.random
        form = r.randrange(4)
        if form == 0:
            return f"kvm-node-{r.randint(1, 64):02d}"
        if form == 1:
            return f"node{r.randint(1, 99)}.{r.choice(SITES)}.{r.choice(DOMAINS)}"
        if form == 2:
            return f"hv{r.randint(1, 40):02d}-{r.choice(SITES)}"
        return f"compute-{r.randint(0, 9)}-{r.randint(1, 48)}.{r.choice(DOMAINS)}"

    def one_image_name(self) -> str:
        """An image name such as ``debian12-golden`` or ``web-prod-03-disk-0``."""
        r = self.generator.random
        if r.random() < 0.75:
            return f"{r.choice(DISTROS)}{r.choice(IMAGE_SUFFIXES)}"
        return f"{self.one_vm_name()}-disk-{r.randint(0, 3)}"

    def one_vnet_name(self) -> str:
        """A virtual network name such as ``private`` or ``vxlan-dc2-104``."""
        r = self.generator.random
        if r.random() < 0.4:
            return str(r.choice(NET_KINDS))
        return f"{r.choice(NET_KINDS)}-{r.choice(SITES)}-{r.randint(1, 4094)}"

    def one_template_name(self) -> str:
        """A VM template name such as ``ubuntu2204`` or ``k8s-worker-large``."""
        r = self.generator.random
        if r.random() < 0.5:
            return str(r.choice(DISTROS))
        size = r.choice(("small", "medium", "large", "xl"))
        return f"{r.choice(ROLES)}-{size}"

    def one_user_name(self) -> str:
        """A user name (no whitespace, no ``:``), ``oneadmin`` now and then."""
        r = self.generator.random
        if r.random() < 0.15:
            return "oneadmin"
        name: str = self.generator.user_name()
        return "".join(c for c in name if not c.isspace() and c not in INVALID_USER_CHARS) or "user"

    def one_group_name(self) -> str:
        """A group name (no whitespace, no ``:``)."""
        return str(self.generator.random.choice(GROUPS))

    # -- capacity and templates ------------------------------------------------------------

    def one_capacity(self) -> dict[str, str]:
        """``{"CPU", "VCPU", "MEMORY"}`` as oned stores them (MEMORY in MB)."""
        cpu, vcpu, memory = self.generator.random.choice(CAPACITIES)
        return {"CPU": cpu, "VCPU": vcpu, "MEMORY": memory}

    def one_graphics(self, vm_id: int | None = None) -> dict[str, str]:
        """A GRAPHICS section; PORT is ``5900 + vm_id`` like oned's default VNC_PORTS."""
        r = self.generator.random
        graphics = {"LISTEN": "0.0.0.0", "TYPE": r.choice(GRAPHICS_TYPES)}
        if vm_id is not None:
            graphics["PORT"] = str(5900 + vm_id)
        if r.random() < 0.2:
            graphics["KEYMAP"] = r.choice(KEYMAPS)
        return dict(sorted(graphics.items()))

    def one_os(self) -> dict[str, str]:
        """An OS section: ARCH, BOOT and sometimes FIRMWARE/MACHINE."""
        r = self.generator.random
        os_ = {"ARCH": "x86_64", "BOOT": r.choice(("disk0", "disk0", "disk0,nic0"))}
        if r.random() < 0.3:
            os_["FIRMWARE"] = r.choice(("BIOS", "UEFI"))
            os_["MACHINE"] = "q35"
        return os_

    def one_disk(self, disk_id: int, image_id: int, image: str, datastore_id: int = 1) -> dict[str, str]:
        """A DISK section of a VM using image ``image_id``."""
        r = self.generator.random
        size = r.choice((2048, 4096, 8192, 10240, 20480, 40960))
        return {
            "ALLOW_ORPHANS": "FORMAT",
            "CLONE": "YES",
            "CLONE_TARGET": "SYSTEM",
            "DATASTORE": "default",
            "DATASTORE_ID": str(datastore_id),
            "DEV_PREFIX": "vd",
            "DISK_ID": str(disk_id),
            "DISK_SNAPSHOT_TOTAL_SIZE": "0",
            "DISK_TYPE": "FILE",
            "DRIVER": "qcow2",
            "FORMAT": "qcow2",
            "IMAGE": image,
            "IMAGE_ID": str(image_id),
            "IMAGE_STATE": "2",
            "LN_TARGET": "NONE",
            "ORIGINAL_SIZE": str(size),
            "READONLY": "NO",
            "SAVE": "NO",
            "SIZE": str(size),
            "SOURCE": f"/var/lib/one//datastores/{datastore_id}/{self.one_hex(32)}",
            "TARGET": f"vd{'abcdefgh'[disk_id % 8]}",
            "TM_MAD": "qcow2",
            "TYPE": "FILE",
        }

    def one_nic(
        self, nic_id: int, network_id: int, network: str, ip: str, mac: str | None = None
    ) -> dict[str, str]:
        """A NIC section whose MAC is derived from ``ip`` unless given."""
        mac = mac or mac_for_ip(ip)
        return {
            "AR_ID": "0",
            "BRIDGE": f"br{network_id}",
            "BRIDGE_TYPE": "linux",
            "IP": ip,
            "MAC": mac,
            "MODEL": "virtio",
            "NAME": f"NIC{nic_id}",
            "NETWORK": network,
            "NETWORK_ID": str(network_id),
            "NIC_ID": str(nic_id),
            "SECURITY_GROUPS": "0",
            "TARGET": f"one-{network_id}-{nic_id}",
            "VN_MAD": "bridge",
        }

    def one_context(self, vm_id: int, ip: str, mac: str, ssh_key: str) -> dict[str, str]:
        """A CONTEXT section consistent with the VM's first NIC.

        About one VM in five also carries a ``PASSWORD`` and one in five a
        ``START_SCRIPT_BASE64`` holding a token: realistic secrets that capture scrubbing
        must remove.
        """
        r = self.generator.random
        net = ipaddress.IPv4Network(f"{ip}/24", strict=False)
        context = {
            "DISK_ID": "1",
            "ETH0_DNS": str(net.network_address + 1),
            "ETH0_GATEWAY": str(net.network_address + 1),
            "ETH0_IP": ip,
            "ETH0_MAC": mac,
            "ETH0_MASK": "255.255.255.0",
            "NETWORK": "YES",
            "SET_HOSTNAME": f"vm-{vm_id}",
            "SSH_PUBLIC_KEY": ssh_key,
            "TARGET": "hda",
        }
        if r.random() < 0.2:
            context["PASSWORD"] = "".join(r.choice(PASSWORD_CHARS) for _ in range(16))
        if r.random() < 0.2:
            token = self.one_hex(40)
            script = f"#!/bin/sh\ncurl -fsS -H 'Authorization: Bearer {token}' https://config.example.com/{vm_id}\n"
            context["START_SCRIPT_BASE64"] = base64.b64encode(script.encode()).decode("ascii")
        return dict(sorted(context.items()))

    def one_vm_template(
        self,
        vm_id: int,
        *,
        template_id: int = 0,
        image_id: int = 0,
        image: str | None = None,
        network_id: int = 0,
        network: str | None = None,
        ip: str | None = None,
    ) -> dict[str, object]:
        """A VM ``TEMPLATE`` after allocation: capacity, DISK, NIC, CONTEXT, GRAPHICS, OS.

        The NIC's MAC derives from its IP and CONTEXT repeats both (ETH0_IP, ETH0_MAC);
        about one VM in four also has an IPv6 ULA address (``IP6_ULA``/``ETH0_IP6_ULA``)
        derived from that MAC.  Keys are alphabetical, as ``Template::to_xml`` writes them.
        """
        r = self.generator.random
        ip = ip or self.one_private_ipv4()
        mac = mac_for_ip(ip)
        nic = self.one_nic(0, network_id, network or self.one_vnet_name(), ip, mac)
        context = self.one_context(vm_id, ip, mac, self.one_ssh_public_key())
        if r.random() < 0.25:
            ula = ipv6_for_mac(mac)
            nic["IP6_ULA"] = ula
            context["ETH0_IP6_ULA"] = ula
            nic = dict(sorted(nic.items()))
            context = dict(sorted(context.items()))
        attrs: dict[str, object] = {
            "AUTOMATIC_DS_REQUIREMENTS": '("CLUSTERS/ID" @> 0)',
            "AUTOMATIC_NIC_REQUIREMENTS": '("CLUSTERS/ID" @> 0)',
            "AUTOMATIC_REQUIREMENTS": ("(CLUSTER_ID = 0) & !(PUBLIC_CLOUD = YES) & !(PIN_POLICY = PINNED)"),
            "CONTEXT": context,
            "DISK": self.one_disk(0, image_id, image or self.one_image_name()),
            "GRAPHICS": self.one_graphics(vm_id),
            "NIC": nic,
            "OS": self.one_os(),
            "TEMPLATE_ID": str(template_id),
            "VMID": str(vm_id),
            **self.one_capacity(),
        }
        return dict(sorted(attrs.items()))

    # -- addresses -------------------------------------------------------------------------

    def one_private_ipv4(self) -> str:
        """A private IPv4 host address (10/8, 172.16/12 or 192.168/16), never .0 or .255."""
        r = self.generator.random
        form = r.randrange(3)
        if form == 0:
            return f"10.{r.randint(0, 255)}.{r.randint(0, 255)}.{r.randint(2, 250)}"
        if form == 1:
            return f"172.{r.randint(16, 31)}.{r.randint(0, 255)}.{r.randint(2, 250)}"
        return f"192.168.{r.randint(0, 255)}.{r.randint(2, 250)}"

    def one_address_range(self) -> dict[str, str]:
        """An IPv4 address range: TYPE ``IP4``, IP (start), SIZE and the MAC of the start IP."""
        r = self.generator.random
        form = r.randrange(2)
        if form == 0:
            ip = f"10.{r.randint(0, 255)}.{r.randint(0, 255)}.10"
        else:
            ip = f"192.168.{r.randint(0, 255)}.10"
        size = r.choice((16, 32, 50, 100, 200, 240))
        return {"IP": ip, "MAC": mac_for_ip(ip), "SIZE": str(size), "TYPE": "IP4"}

    def one_mac_for_ip(self, ip: str) -> str:
        """OpenNebula's MAC for ``ip`` (``02:00`` + the address bytes)."""
        return mac_for_ip(ip)

    def one_ipv6_for_mac(self, mac: str, prefix: str = "fd00::") -> str:
        """The EUI-64 (SLAAC) IPv6 address of ``mac`` under ``prefix``."""
        return ipv6_for_mac(mac, prefix)

    # -- secrets, ids, time ----------------------------------------------------------------

    def one_hex(self, length: int = 32) -> str:
        """``length`` lowercase hex digits (image SOURCE hashes, tokens)."""
        return f"{self.generator.random.getrandbits(4 * length):0{length}x}"

    def one_ssh_public_key(self) -> str:
        """An ``ssh-ed25519 AAAAC3Nza... user@host`` line with a well-formed random key blob."""
        r = self.generator.random
        algo = b"ssh-ed25519"
        blob = (
            len(algo).to_bytes(4, "big")
            + algo
            + (32).to_bytes(4, "big")
            + r.getrandbits(256).to_bytes(32, "big")
        )
        comment = f"{self.one_user_name()}@{r.choice(ROLES)}{r.randint(1, 9)}"
        return f"ssh-ed25519 {base64.b64encode(blob).decode('ascii')} {comment}"

    def one_timestamp_after(self, t: int, min_s: int = 1, max_s: int = 600) -> int:
        """A UNIX timestamp between ``t + min_s`` and ``t + max_s`` (inclusive)."""
        if min_s < 0 or max_s < min_s:
            raise ValueError(f"need 0 <= min_s <= max_s, got min_s={min_s}, max_s={max_s}")
        return t + int(self.generator.random.randint(min_s, max_s))

    def one_timestamp(self) -> int:
        """A plausible recent UNIX timestamp (2024-2026)."""
        return int(self.generator.random.randint(1_704_067_200, 1_798_761_600))

    def one_deploy_id(self, vm_id: int) -> str:
        """The hypervisor's id of a deployed VM, ``one-<id>`` as the KVM driver names it."""
        return f"one-{vm_id}"


def make_faker(seed: int | None = None) -> Faker:
    """A Faker with :class:`OpenNebulaProvider` added and, if ``seed`` is given, seeded.

    Seeding is per instance (:meth:`faker.Faker.seed_instance`), so two fakers made with the
    same seed produce identical sequences and never disturb each other or the global seed.
    """
    fake = Faker("en_US")
    fake.add_provider(OpenNebulaProvider)
    if seed is not None:
        fake.seed_instance(seed)
    return fake
