"""Frame 1, byte for byte (reference §2)."""

from __future__ import annotations

import pytest

from mockhm import KeyFormatError, api_key, parse_key, state_keys


@pytest.mark.parametrize(
    ("args", "kwargs", "expected"),
    [
        pytest.param(("VM", 5, "PENDING", "LCM_INIT"), {},
                     ("EVENT VM 5/PENDING/LCM_INIT ", "EVENT STATE VM/PENDING/LCM_INIT/5 "), id="vm-§2.1"),
        pytest.param(("VM", 7, "ACTIVE", "RUNNING"), {"service_id": 3},
                     ("EVENT VM 7/ACTIVE/RUNNING ", "EVENT STATE VM/ACTIVE/RUNNING/7 ", "EVENT SERVICE 3 "),
                     id="vm-service-5.12+"),
        pytest.param(("VM", 7, "ACTIVE", "RUNNING"), {"service_id": 3, "profile": "5.10.2"},
                     ("EVENT VM 7/ACTIVE/RUNNING ", "EVENT STATE VM/ACTIVE/RUNNING/7 "),
                     id="vm-service-absent-before-5.12"),
        pytest.param(("HOST", 0, "MONITORED"), {},
                     ("EVENT HOST 0/MONITORED/ ", "EVENT STATE HOST/MONITORED//0 "), id="host-double-slash"),
        pytest.param(("HOST", 0, "ERROR", "RUNNING"), {},
                     ("EVENT HOST 0/ERROR/ ", "EVENT STATE HOST/ERROR//0 "), id="host-ignores-lcm"),
        pytest.param(("IMAGE", 3, "READY"), {},
                     ("EVENT IMAGE 3/READY/ ", "EVENT STATE IMAGE/READY//3 "), id="image"),
        pytest.param(("NET", 7, ""), {},
                     ("EVENT NET 7// ", "EVENT STATE NET///7 "), id="net-update-failure-§4.5"),
        pytest.param(("VM", 5, "PENDING", "LCM_INIT"), {"profile": "docs"},
                     ("EVENT STATE VM/PENDING/LCM_INIT",), id="docs-pre-release-§2.3"),
        pytest.param(("HOST", 0, "INIT"), {"profile": "docs"}, ("EVENT STATE HOST/INIT/",), id="docs-host"),
    ],
)  # fmt: skip
def test_state_keys_are_exact(args: tuple, kwargs: dict, expected: tuple[str, ...]) -> None:
    assert state_keys(*args, **kwargs) == expected


def test_api_key_has_no_trailing_space() -> None:
    assert api_key("one.vm.allocate", True) == "EVENT API one.vm.allocate 1"
    assert api_key("one.vm.action", False) == "EVENT API one.vm.action 0"


@pytest.mark.parametrize(
    "key",
    [
        "EVENT API one.vm.allocate 1",
        "EVENT VM 5/PENDING/LCM_INIT ",
        "EVENT STATE VM/ACTIVE/RUNNING/42 ",
        "EVENT HOST 0/MONITORED/ ",
        "EVENT STATE HOST/ERROR//0 ",
        "EVENT STATE NET///7 ",
        "EVENT SERVICE 3 ",
        "RETRY",
    ],
)
def test_parse_key_round_trips(key: str) -> None:
    parsed = parse_key(key)
    assert parsed.key == key
    assert parsed.exact
    if parsed.kind in ("STATE", "OBJECT"):
        assert parsed.obj is not None and parsed.resource_id is not None
        rebuilt = state_keys(parsed.obj, parsed.resource_id, parsed.state or "", parsed.lcm_state)
        assert key in rebuilt


def test_parse_key_fields() -> None:
    p = parse_key(b"EVENT STATE VM/ACTIVE/RUNNING/42 ")
    assert (p.kind, p.obj, p.state, p.lcm_state, p.resource_id) == ("STATE", "VM", "ACTIVE", "RUNNING", 42)
    a = parse_key("EVENT API one.vm.action 0")
    assert (a.kind, a.call, a.success) == ("API", "one.vm.action", False)
    assert parse_key("EVENT SERVICE 3 ").service_id == 3
    docs = parse_key("EVENT STATE VM/PENDING/LCM_INIT")
    assert docs.kind == "STATE" and not docs.exact and docs.resource_id is None


def test_missing_trailing_space_is_named() -> None:
    with pytest.raises(KeyFormatError, match=r"end with exactly one space") as info:
        parse_key("EVENT STATE VM/ACTIVE/RUNNING/42")
    assert info.value.key == "EVENT STATE VM/ACTIVE/RUNNING/42"


@pytest.mark.parametrize(
    "key", ["", "EVENT", "EVENT API one.vm.allocate", "EVENT VM 4/ACTIVE/RUNNING  ", "retry"]
)
def test_bad_keys_name_the_key_and_the_forms(key: str) -> None:
    with pytest.raises(KeyFormatError, match=r"^not a Hook Manager key: .*; expected 'EVENT API"):
        parse_key(key)
