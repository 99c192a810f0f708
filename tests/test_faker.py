"""The Faker provider: OpenNebula's name rules (§3.1), consistent addresses, reproducible seeds."""

from __future__ import annotations

import base64
import ipaddress
import json
import os
import subprocess
import sys

import pytest

from mockhm.traffic.provider import OpenNebulaProvider, make_faker
from mockhm.traffic.rules import (
    INVALID_NAME_CHARS,
    ipv6_for_mac,
    is_valid_object_name,
    is_valid_user_name,
    mac_for_ip,
)

DRAWS = 400

_SAMPLE_SCRIPT = """
import json
from mockhm.traffic.provider import make_faker
f = make_faker(20261127)
out = []
for vm_id in range(30):
    ar = f.one_address_range()
    out.append([
        f.one_vm_name(), f.one_host_name(), f.one_image_name(), f.one_vnet_name(),
        f.one_template_name(), f.one_user_name(), f.one_group_name(), f.one_capacity(), ar,
        f.one_ssh_public_key(), f.one_os(), f.one_graphics(vm_id),
        f.one_context(vm_id, ar["IP"], ar["MAC"], "k"), f.one_timestamp_after(1_700_000_000),
    ])
print(json.dumps(out, sort_keys=True))
"""


def _sample(seed: int) -> list[object]:
    fake = make_faker(seed)
    return [
        [fake.one_vm_name(), fake.one_host_name(), fake.one_capacity(), fake.one_address_range()]
        for _ in range(50)
    ]


def test_same_seed_same_values() -> None:
    assert _sample(42) == _sample(42)


def test_different_seeds_differ() -> None:
    assert _sample(1) != _sample(2)


def test_seeded_instances_do_not_share_state() -> None:
    """Drawing from one seeded Faker never shifts another one's sequence."""
    a, b = make_faker(5), make_faker(5)
    first = a.one_vm_name()
    make_faker(5).one_vm_name()  # an unrelated instance in between
    for _ in range(10):
        a.one_host_name()
    assert b.one_vm_name() == first


def test_same_seed_byte_identical_across_processes() -> None:
    """Two interpreters with different hash seeds print byte-identical values."""
    outputs = []
    for hash_seed in ("0", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        done = subprocess.run(
            [sys.executable, "-c", _SAMPLE_SCRIPT],
            capture_output=True,
            env=env,
            timeout=60,
            check=True,
        )
        outputs.append(done.stdout)
    assert outputs[0] == outputs[1]
    assert len(json.loads(outputs[0])) == 30


@pytest.mark.parametrize(
    "method",
    ["one_vm_name", "one_host_name", "one_image_name", "one_vnet_name", "one_template_name"],
)
def test_object_names_obey_oned_rules(method: str) -> None:
    """§3.1: no whitespace, none of ``&|:\\";/'#{}$<>``, at most 128 characters."""
    fake = make_faker(3)
    names = {getattr(fake, method)() for _ in range(DRAWS)}
    bad = [n for n in names if not is_valid_object_name(n)]
    assert bad == []
    assert len(names) > 20, f"{method} is not varied enough: {sorted(names)[:10]}"


@pytest.mark.parametrize("method", ["one_user_name", "one_group_name"])
def test_user_and_group_names_obey_oned_rules(method: str) -> None:
    """§3.1: user and group names ban only whitespace and ``:``."""
    fake = make_faker(4)
    bad = [n for n in (getattr(fake, method)() for _ in range(DRAWS)) if not is_valid_user_name(n)]
    assert bad == []


def test_name_checks_reject_each_forbidden_character() -> None:
    for c in INVALID_NAME_CHARS + " \t\n":
        assert not is_valid_object_name(f"web{c}01")
    assert not is_valid_object_name("x" * 129)
    assert not is_valid_object_name("")
    assert is_valid_object_name("x" * 128)
    assert is_valid_user_name("a&b")  # looser rules for users (§3.1)
    assert not is_valid_user_name("a:b")


def test_host_names_look_like_host_names() -> None:
    fake = make_faker(9)
    for _ in range(DRAWS):
        name = fake.one_host_name()
        labels = name.split(".")
        assert all(
            label and label[0].isalnum() and all(c.isalnum() or c == "-" for c in label) for label in labels
        ), name


def test_capacity_is_realistic() -> None:
    fake = make_faker(11)
    for _ in range(DRAWS):
        cap = fake.one_capacity()
        assert set(cap) == {"CPU", "VCPU", "MEMORY"}
        assert 0 < float(cap["CPU"]) <= int(cap["VCPU"]) <= 8
        assert 512 <= int(cap["MEMORY"]) <= 16384
        assert int(cap["MEMORY"]) % 512 == 0


def test_mac_is_02_00_plus_the_ipv4_bytes() -> None:
    assert mac_for_ip("10.0.0.10") == "02:00:0a:00:00:0a"
    assert mac_for_ip("192.168.1.254") == "02:00:c0:a8:01:fe"


def test_ipv6_is_eui64_of_the_mac() -> None:
    assert ipv6_for_mac("02:00:0a:00:00:0a") == "fd00::aff:fe00:a"
    assert ipv6_for_mac("02:00:c0:a8:01:fe", "2001:db8:1:2::") == "2001:db8:1:2:0:c0ff:fea8:1fe"
    with pytest.raises(ValueError, match="02:00:0a:00:00:0a"):
        ipv6_for_mac("02:00:0a")


def test_address_range_is_consistent() -> None:
    fake = make_faker(12)
    for _ in range(DRAWS):
        ar = fake.one_address_range()
        ip = ipaddress.IPv4Address(ar["IP"])
        assert ar["TYPE"] == "IP4"
        assert ip.is_private
        assert ar["MAC"] == mac_for_ip(ar["IP"]) == fake.one_mac_for_ip(ar["IP"])
        assert int(ar["SIZE"]) > 0
        # the whole range stays inside the /24 of its start address
        assert int(ar["IP"].rsplit(".", 1)[1]) + int(ar["SIZE"]) <= 256
        v6 = ipaddress.IPv6Address(fake.one_ipv6_for_mac(ar["MAC"]))
        assert v6 in ipaddress.IPv6Network("fd00::/64")
        # EUI-64: 02:00:a:b:c:d -> 0000:0aff:febb:ccdd, the IPv4 bytes around ff:fe
        assert v6.packed[-8:] == b"\x00\x00" + ip.packed[:1] + b"\xff\xfe" + ip.packed[1:]


def test_context_is_consistent_with_the_nic() -> None:
    fake = make_faker(13)
    secrets = 0
    for vm_id in range(DRAWS):
        ar = fake.one_address_range()
        key = fake.one_ssh_public_key()
        ctx = fake.one_context(vm_id, ar["IP"], ar["MAC"], key)
        assert ctx["NETWORK"] == "YES"
        assert ctx["ETH0_IP"] == ar["IP"]
        assert ctx["ETH0_MAC"] == ar["MAC"]
        assert ctx["SSH_PUBLIC_KEY"] == key
        assert ctx["TARGET"] == "hda"
        assert list(ctx) == sorted(ctx), "template children are alphabetical (§3.1)"
        if "START_SCRIPT_BASE64" in ctx:
            assert base64.b64decode(ctx["START_SCRIPT_BASE64"]).startswith(b"#!/bin/sh")
        secrets += "PASSWORD" in ctx or "START_SCRIPT_BASE64" in ctx
    # secrets appear, but not in every VM
    assert 0.2 * DRAWS < secrets < 0.6 * DRAWS


def test_ssh_key_is_a_well_formed_ed25519_line() -> None:
    fake = make_faker(14)
    for _ in range(50):
        algo, blob, comment = fake.one_ssh_public_key().split(" ")
        raw = base64.b64decode(blob, validate=True)
        assert algo == "ssh-ed25519"
        assert raw[:4] == (11).to_bytes(4, "big")
        assert raw[4:15] == b"ssh-ed25519"
        assert raw[15:19] == (32).to_bytes(4, "big")
        assert len(raw) == 51
        assert "@" in comment


def test_timestamps_increase() -> None:
    fake = make_faker(15)
    t = 1_700_000_000
    for _ in range(DRAWS):
        nxt = fake.one_timestamp_after(t, 1, 30)
        assert t + 1 <= nxt <= t + 30
        t = nxt
    with pytest.raises(ValueError, match="min_s"):
        fake.one_timestamp_after(t, 5, 1)


def test_provider_can_be_added_to_any_faker() -> None:
    from faker import Faker

    fake = Faker()
    fake.add_provider(OpenNebulaProvider)
    fake.seed_instance(1)
    assert is_valid_object_name(fake.one_vm_name())
