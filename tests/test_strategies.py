"""Public Hypothesis strategies: valid by construction, keys as the driver derives them (§2.1),
per-profile contents, helpful argument errors, and exact replay."""

from __future__ import annotations

import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from mockhm import strategies as mst
from mockhm.schemas.validation import check_message, expected_keys
from mockhm.wire.calls import published_calls
from mockhm.wire.keys import parse_key
from mockhm.wire.message import HookEvent, WireMessage, b64decode
from mockhm.wire.profiles import PROFILES, get_profile

FAST = settings(max_examples=60, deadline=None, database=None)
GA_PROFILES = [name for name, p in PROFILES.items() if p.key_form == "ga"]


def assert_sound(event: HookEvent) -> None:
    """Every message of ``event`` passes every check, and the keys are the driver's (§2.1)."""
    assert event.label is None
    assert expected_keys(event.body, event.profile) == event.keys
    for message in event.messages():
        assert check_message(message.frames, profile=event.profile) == []


@pytest.mark.parametrize("profile", ["7.4", "7.2", "6.6", "6.0", "5.12", "5.10.0", "docs"])
def test_hook_events_validate_in_every_profile(profile: str) -> None:
    @FAST
    @given(mst.hook_events(profile=profile))
    def check(event: HookEvent) -> None:
        assert event.profile == get_profile(profile).name
        assert_sound(event)

    check()


@FAST
@given(mst.state_events())
def test_state_events_validate(event: HookEvent) -> None:
    assert event.kind == "STATE"
    assert_sound(event)


@FAST
@given(mst.api_events())
def test_api_events_validate(event: HookEvent) -> None:
    assert event.kind == "API"
    assert_sound(event)
    call = parse_key(event.keys[0]).call
    assert call in published_calls("7.4")


@FAST
@given(mst.retry_messages())
def test_retry_messages_validate(event: HookEvent) -> None:
    """§3.4: key RETRY, content base64 + one space, ARGUMENTS itself base64."""
    assert event.keys == ("RETRY",)
    assert event.content.endswith(b" ") and not event.content.endswith(b"  ")
    assert_sound(event)


@FAST
@given(mst.state_events(objects=["VM"], states=["RUNNING", "POWEROFF"]))
def test_state_filter_by_state_and_lcm_name(event: HookEvent) -> None:
    key = parse_key(event.keys[0])
    assert (key.obj, key.state, key.lcm_state) in {
        ("VM", "ACTIVE", "RUNNING"),
        ("VM", "POWEROFF", "LCM_INIT"),
    }


@FAST
@given(mst.state_events(objects=["NET"], states=["UPDATE_FAILURE"], profile="6.6"))
def test_net_update_failure_prints_an_empty_state(event: HookEvent) -> None:
    """§4.5: UPDATE_FAILURE has no string form; keys have ``//``."""
    assert event.keys[0].endswith("// ")
    assert b"<STATE></STATE>" in event.body
    assert_sound(event)


@FAST
@given(mst.state_events(objects=["IMAGE"], states=["USED_PERS"], profile="6.0"))
def test_image_used_pers_prints_as_used(event: HookEvent) -> None:
    """§4.4: the quirk is legal, so the strategy produces it as a valid event."""
    assert parse_key(event.keys[0]).state == "USED"
    assert b"<STATE>8</STATE>" in event.body
    assert_sound(event)


@FAST
@given(mst.api_events(calls=["one.vm.action"], result=False, profile="7.0"))
def test_api_failures_of_one_call(event: HookEvent) -> None:
    """§3.2.2: failures have OUT false, the message (CDATA up to 7.0), code and resp_id."""
    assert event.keys == ("EVENT API one.vm.action 0",)
    assert b"<VALUE>false</VALUE>" in event.body
    assert b"<![CDATA[[one.vm.action]" in event.body


@pytest.mark.parametrize("profile", GA_PROFILES)
def test_only_objects_and_calls_of_the_profile(profile: str) -> None:
    prof = get_profile(profile)
    seen_objects: set[str] = set()
    published = set(published_calls(prof))

    @settings(max_examples=80, deadline=None, database=None)
    @given(mst.hook_events(profile=prof))
    def check(event: HookEvent) -> None:
        key = parse_key(event.keys[0])
        if key.kind == "API":
            assert key.call in published
        elif key.obj is not None:
            seen_objects.add(key.obj)
            assert key.obj in prof.state_objects
            if key.obj == "VM" and key.lcm_state:
                assert key.lcm_state in prof.lcm_states

    check()
    assert "VM" in seen_objects


def test_suppressed_calls_are_refused_with_the_reason() -> None:
    message = r"one\.vm\.info.*publish no API event in profile 7\.4"
    with pytest.raises(InvalidArgument, match=message):
        mst.api_events(calls=["one.vm.info"])
    mst.api_events(calls=["one.vm.info"], profile="5.10.0")  # nothing suppressed in 5.10.0


@pytest.mark.parametrize(
    ("factory", "match"),
    [
        (lambda: mst.api_events(profile="4.0"), r"profile='4\.0'.*'7\.4'"),
        (lambda: mst.api_events(result="yes"), r"result='yes'.*True, False or None"),
        (lambda: mst.api_events(calls="one.vm.action"), r"calls=.*collection"),
        (lambda: mst.api_events(calls=["one.vm.oops"]), r"one\.vm\.oops"),
        (lambda: mst.state_events(objects=["NET"], profile="6.0"), r"VM, HOST, IMAGE only"),
        (lambda: mst.state_events(objects=["USER"]), r"objects=\['USER'\]"),
        (lambda: mst.state_events(states=["RUNING"]), r"'RUNING'.*RUNNING"),
        (lambda: mst.state_events(objects=["HOST"], states=["RUNNING"]), r"'RUNNING'.*MONITORED"),
        (lambda: mst.state_events(objects=["VM"], states=["BACKUP"], profile="6.4"), r"BACKUP"),
    ],
)
def test_bad_arguments_name_the_argument_and_the_allowed_values(factory, match) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidArgument, match=match):
        factory()


@FAST
@given(st.from_type(HookEvent), st.from_type(WireMessage))
def test_from_type_is_registered_through_the_entry_point(event: HookEvent, message: WireMessage) -> None:
    assert_sound(event)
    assert len(message.frames) == 2
    assert message.label is None
    assert check_message(message.frames) == []


@FAST
@given(mst.event_keys(profile="7.4"))
def test_event_keys_parse(key: str) -> None:
    parsed = parse_key(key)
    assert parsed.exact
    if parsed.kind in ("OBJECT", "STATE", "SERVICE"):
        assert key.endswith(" ")


@FAST
@given(mst.wire_messages())
def test_wire_messages_decode(message: WireMessage) -> None:
    body = message.body()
    assert body.startswith(b"<HOOK_MESSAGE>")
    assert message.key in expected_keys(body)


def test_no_health_check_failures_at_default_settings() -> None:
    """Default settings, every health check on: the strategies draw cheaply and never filter."""

    @settings(database=None, deadline=None, suppress_health_check=[])
    @given(mst.hook_events(), mst.event_keys())
    def check(event: HookEvent, key: str) -> None:
        assert event.keys and key

    check()


def test_shrinks_to_a_minimal_event() -> None:
    """A failing property shrinks to the simplest event: a PENDING VM with id 0."""
    from hypothesis import find

    event = find(
        mst.state_events(),
        lambda e: e.keys[0].startswith("EVENT VM"),
        settings=settings(database=None, max_examples=200),
    )
    assert event.keys == ("EVENT VM 0/PENDING/LCM_INIT ", "EVENT STATE VM/PENDING/LCM_INIT/0 ")


def test_failures_replay_exactly() -> None:
    """The same draws give byte-identical events, Faker values included."""
    from hypothesis import find

    def first_big() -> bytes:
        event = find(
            mst.state_events(objects=["VM"], states=["RUNNING"]),
            lambda e: len(e.body) > 3000 and b"PASSWORD" in e.body,
            settings=settings(database=None, max_examples=500, derandomize=True),
        )
        return event.body

    assert first_big() == first_big()


_SUBPROCESS = """
import sys
from hypothesis import given, settings
from mockhm import strategies as mst
out = []
@settings(max_examples=40, derandomize=True, database=None, deadline=None)
@given(mst.hook_events())
def collect(event):
    out.append(event.content)
collect()
sys.stdout.buffer.write(b"\\n".join(out))
"""


def test_derandomized_runs_are_byte_identical_across_processes() -> None:
    runs = [
        subprocess.run(
            [sys.executable, "-c", _SUBPROCESS],
            capture_output=True,
            timeout=120,
            check=True,
            env={"PYTHONHASHSEED": seed, "PATH": "/usr/bin:/bin"},
        ).stdout
        for seed in ("1", "2")
    ]
    assert runs[0] == runs[1]
    assert len(runs[0].split(b"\n")) >= 10
    bodies = [b64decode(c.rstrip(b" ")) for c in runs[0].split(b"\n")]
    assert all(b.startswith(b"<HOOK_MESSAGE>") for b in bodies)


@pytest.mark.filterwarnings("ignore::hypothesis.errors.NonInteractiveExampleWarning")
def test_strategies_are_reusable_objects() -> None:
    strategy = mst.state_events(objects=["HOST"], profile="5.10.0")
    for _ in range(3):
        key = parse_key(strategy.example().keys[0])
        assert key.obj == "HOST"
