"""Hostile traffic: every broken case is rejected for the reason it is labelled with;
every quirk case is legal (§2.2, §3.1, §3.2.1, §3.2.2, §3.4, §4.4, §4.5)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis.errors import InvalidArgument

from mockhm import strategies as mst
from mockhm.schemas.validation import check_message, expected_keys
from mockhm.traffic.hostile import CASES, HostileCase, hostile_case, hostile_cases
from mockhm.wire.message import WireMessage

BROKEN = [k for k in CASES if hostile_case(k).broken]
QUIRKS = [k for k in CASES if not hostile_case(k).broken]


def _codes(message: WireMessage, profile: str) -> list[str]:
    return [p.code for p in check_message(message.frames, profile=profile)]


@pytest.mark.parametrize("profile", ["7.4", "6.0", "5.10.0"])
@pytest.mark.parametrize("kind", BROKEN)
def test_broken_cases_are_rejected_with_their_labelled_reason(kind: str, profile: str) -> None:
    case = hostile_case(kind, 42, profile)
    assert case.messages
    for message in case.messages:
        assert message.label == case.label and message.label.startswith(f"{kind}: ")
        assert case.code in _codes(message, case.profile), case.label


@pytest.mark.parametrize("profile", ["7.4", "6.0", "5.10.0"])
@pytest.mark.parametrize("kind", QUIRKS)
def test_quirk_cases_are_legal(kind: str, profile: str) -> None:
    case = hostile_case(kind, 42, profile)
    assert "quirk" in case.label
    for message in case.messages:
        assert message.label == case.label
        assert _codes(message, case.profile) == []


def test_broken_and_quirk_kinds_cover_the_issue() -> None:
    assert {"amp-in-parameter", "raw-error-message", "invalid-base64", "one-frame",
            "three-frames", "unknown-key"} <= set(BROKEN)  # fmt: skip
    assert {"empty-state", "used-pers-as-used", "huge-body", "duplicate", "reordered",
            "id-prefix-collision"} <= set(QUIRKS)  # fmt: skip


def test_ill_formed_bodies_still_give_the_drivers_key() -> None:
    """§3.2.1: one_hm reads leniently and still finds CALL and RESULT."""
    case = hostile_case("amp-in-parameter", 5)
    message = case.messages[0]
    assert expected_keys(message.body()) == ("EVENT API one.vm.update 1",)
    assert b"web & db" in message.body()


def test_empty_state_keys() -> None:
    case = hostile_case("empty-state", 7, "6.6")
    assert [m.key for m in case.messages] == ["EVENT NET 7// ", "EVENT STATE NET///7 "]


def test_used_pers_prints_used_but_embeds_8() -> None:
    case = hostile_case("used-pers-as-used", 3, "6.0")
    assert case.messages[0].key == "EVENT IMAGE 3/USED/ "
    assert b"<STATE>8</STATE>" in case.messages[0].body()


def test_prefix_collision_ids_share_a_prefix() -> None:
    """The case is about the VM asked for, as the docs say (VM 4/42/420 by default); resource_id 4
    gave VMs 5, 52 and 520."""
    for case in (hostile_case("id-prefix-collision"), hostile_case("id-prefix-collision", 4)):
        keys = [m.key for m in case.messages]
        assert keys[0] == "EVENT VM 4/ACTIVE/RUNNING "
        assert [k for k in keys if k.startswith("EVENT VM 4")] == [
            "EVENT VM 4/ACTIVE/RUNNING ", "EVENT VM 42/ACTIVE/RUNNING ", "EVENT VM 420/ACTIVE/RUNNING ",
        ]  # fmt: skip
    keys = [m.key for m in hostile_case("id-prefix-collision", 0).messages]
    assert [k for k in keys if k.startswith("EVENT VM ")] == [
        "EVENT VM 1/ACTIVE/RUNNING ", "EVENT VM 12/ACTIVE/RUNNING ", "EVENT VM 120/ACTIVE/RUNNING ",
    ]  # fmt: skip


def test_huge_body_is_large_and_valid() -> None:
    case = hostile_case("huge-body", 1)
    assert len(case.messages[0].body()) > 1_000_000


def test_reordered_runs_before_boot() -> None:
    keys = [m.key for m in hostile_case("reordered", 9).messages]
    assert keys.index("EVENT VM 9/ACTIVE/RUNNING ") < keys.index("EVENT VM 9/ACTIVE/BOOT ")


@settings(max_examples=50, deadline=None, database=None)
@given(hostile_cases(kinds=[k for k in CASES if k != "huge-body"]))
def test_hostile_cases_strategy(case: HostileCase) -> None:
    for message in case.messages:
        codes = _codes(message, case.profile)
        assert (case.code in codes) if case.broken else codes == []


@settings(max_examples=50, deadline=None, database=None)
@given(mst.hostile_messages(kinds=["one-frame", "invalid-base64", "duplicate"]))
def test_hostile_messages_are_labelled(message: WireMessage) -> None:
    assert message.label is not None
    assert message.label.split(":")[0] in {"one-frame", "invalid-base64", "duplicate"}


def test_bad_kind() -> None:
    with pytest.raises(InvalidArgument, match="one-frame"):
        mst.hostile_messages(kinds=["two-frames"])
    with pytest.raises(ValueError, match="unknown hostile kind"):
        hostile_case("nope")
