"""What oned enforces on names and how OpenNebula derives addresses.

Object names (VM, host, image, network, template) never contain whitespace or any of
``&|:\\";/'#{}$<>`` and are at most 128 characters; user and group names never contain
whitespace or ``:``.  A NIC's MAC is ``02:00`` followed by the four bytes of its IPv4
address, and its IPv6 address is the prefix plus the EUI-64 of that MAC.
"""

from __future__ import annotations

import ipaddress
from typing import Final

#: Characters oned refuses in object names (``PoolObjectSQL::INVALID_NAME_CHARS``, §3.1).
INVALID_NAME_CHARS: Final[str] = "&|:\\\";/'#{}$<>"
#: Characters oned refuses in user and group names (§3.1).
INVALID_USER_CHARS: Final[str] = ":"
#: Longest object name oned accepts.
MAX_NAME_LENGTH: Final[int] = 128


def mac_for_ip(ip: str) -> str:
    """OpenNebula's MAC for an IPv4 address: ``02:00`` then the four address bytes in hex.

    >>> mac_for_ip("10.0.0.10")
    '02:00:0a:00:00:0a'
    """
    packed = ipaddress.IPv4Address(ip).packed
    return "02:00:" + ":".join(f"{b:02x}" for b in packed)


def ipv6_for_mac(mac: str, prefix: str = "fd00::") -> str:
    """SLAAC (EUI-64) address of ``mac`` under a /64 ``prefix``, compressed form.

    >>> ipv6_for_mac("02:00:0a:00:00:0a")
    'fd00::aff:fe00:a'
    """
    octets = [int(part, 16) for part in mac.split(":")]
    if len(octets) != 6:
        raise ValueError(f"not a MAC address: {mac!r}; expected six hex octets like 02:00:0a:00:00:0a")
    eui = [octets[0] ^ 0x02, *octets[1:3], 0xFF, 0xFE, *octets[3:]]
    interface = int.from_bytes(bytes(eui), "big")
    network = ipaddress.IPv6Network(prefix if "/" in prefix else prefix + "/64", strict=False)
    return str(network.network_address + interface)


def is_valid_object_name(name: str) -> bool:
    """``True`` if oned would accept ``name`` for a VM, host, image, network or template."""
    return 0 < len(name) <= MAX_NAME_LENGTH and not any(c.isspace() or c in INVALID_NAME_CHARS for c in name)


def is_valid_user_name(name: str) -> bool:
    """``True`` if oned would accept ``name`` for a user or group."""
    return 0 < len(name) <= MAX_NAME_LENGTH and not any(c.isspace() or c in INVALID_USER_CHARS for c in name)
