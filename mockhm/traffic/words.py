"""The word lists the Faker provider draws from: roles, sites, distributions, groups, capacities."""

from __future__ import annotations

import string
from typing import Final

ROLES: Final[tuple[str, ...]] = (
    "web",
    "db",
    "app",
    "api",
    "cache",
    "worker",
    "lb",
    "proxy",
    "ci-runner",
    "k8s-master",
    "k8s-worker",
    "mail",
    "dns",
    "monitor",
    "vpn",
    "build",
    "test",
    "jump",
    "backup",
    "etcd",
)
ENVS: Final[tuple[str, ...]] = ("prod", "staging", "dev", "qa", "lab", "demo", "int")
DISTROS: Final[tuple[str, ...]] = (
    "ubuntu2204",
    "ubuntu2404",
    "debian12",
    "debian11",
    "alma9",
    "rocky9",
    "alpine318",
    "centos7",
    "fedora40",
    "opensuse15",
    "windows2022",
    "freebsd14",
)
IMAGE_SUFFIXES: Final[tuple[str, ...]] = ("", "-base", "-golden", "-data", "-cloud", "-min")
NET_KINDS: Final[tuple[str, ...]] = (
    "public",
    "private",
    "internal",
    "mgmt",
    "storage",
    "backend",
    "dmz",
    "vxlan",
    "service",
)
SITES: Final[tuple[str, ...]] = ("dc1", "dc2", "ams1", "fra2", "par1", "lab", "edge3")
DOMAINS: Final[tuple[str, ...]] = (
    "example.com",
    "example.org",
    "example.net",
    "cloud.internal",
    "lan",
    "corp.example",
)
GROUPS: Final[tuple[str, ...]] = (
    "users",
    "oneadmin",
    "devops",
    "developers",
    "qa",
    "research",
    "ops",
    "students",
    "finance",
    "platform",
    "data-science",
    "sre",
)
#: (CPU, VCPU, MEMORY in MB): shapes people actually give their VMs.
CAPACITIES: Final[tuple[tuple[str, str, str], ...]] = (
    ("0.1", "1", "512"),
    ("0.5", "1", "1024"),
    ("1", "1", "1024"),
    ("1", "1", "2048"),
    ("1", "2", "2048"),
    ("2", "2", "4096"),
    ("0.5", "2", "4096"),
    ("2", "4", "8192"),
    ("4", "4", "8192"),
    ("1", "4", "8192"),
    ("4", "8", "16384"),
    ("8", "8", "16384"),
)
GRAPHICS_TYPES: Final[tuple[str, ...]] = ("VNC", "VNC", "VNC", "SPICE")
KEYMAPS: Final[tuple[str, ...]] = ("en-us", "de", "es", "fr")
PASSWORD_CHARS: Final[str] = string.ascii_letters + string.digits + "!%*+-=?@^_"
