"""Hypothesis strategies for RETRY messages, any event, event keys and wire messages."""

from __future__ import annotations

from typing import Final

from hypothesis import strategies as st

from mockhm.traffic.api_events import api_events, api_events_from, check_calls
from mockhm.traffic.drawing import IDS, SEEDS, faker_for, profile_arg
from mockhm.traffic.state_events import all_state_choices, state_events, state_events_from
from mockhm.wire.bodies import retry_message as _retry_message
from mockhm.wire.keys import RETRY_KEY, api_key, state_keys
from mockhm.wire.message import HookEvent, WireMessage
from mockhm.wire.profiles import Profile

_RETRY_ARGUMENTS: Final[tuple[str, ...]] = ("", "$ID", "vm-hook $ID $STATE", "--dry-run")


@st.composite
def _retry(draw: st.DrawFn, prof: Profile) -> HookEvent:
    hook_id = draw(st.integers(min_value=0, max_value=200))
    kind = draw(st.integers(min_value=0, max_value=2))
    if kind < 2:
        arguments = draw(st.sampled_from(_RETRY_ARGUMENTS))
    else:
        # HEM's usual ARGUMENTS: the base64 of the original event's body ($TEMPLATE)
        inner = draw(
            st.one_of(
                state_events_from(all_state_choices(prof), prof),
                api_events_from(check_calls(None, prof), None, prof),
            )
        )
        arguments = inner.content.decode("ascii")
    host = draw(st.one_of(st.none(), SEEDS.map(lambda s: str(faker_for(s).one_host_name()))))
    return _retry_message(hook_id, arguments, remote_host=host, profile=prof)


def retry_messages(profile: Profile | str | None = None) -> st.SearchStrategy[HookEvent]:
    """RETRY messages: key ``RETRY``, content ``base64(body) + " "``."""
    return _retry(profile_arg(profile))


def hook_events(profile: Profile | str | None = None) -> st.SearchStrategy[HookEvent]:
    """Any valid event of ``profile``: STATE, API or RETRY (in that shrink order)."""
    prof = profile_arg(profile)
    return st.one_of(state_events(profile=prof), api_events(profile=prof), retry_messages(prof))


def wire_messages(profile: Profile | str | None = None) -> st.SearchStrategy[WireMessage]:
    """One two-frame message of a valid event (one of the event's keys)."""
    return hook_events(profile).flatmap(lambda ev: st.sampled_from(ev.messages()))


@st.composite
def _event_key(draw: st.DrawFn, prof: Profile) -> str:
    kind = draw(st.integers(min_value=0, max_value=2))
    if kind == 0:
        obj, state, lcm = draw(st.sampled_from(all_state_choices(prof)))
        from mockhm.wire.states import printed_state

        service = None
        if obj == "VM" and prof.service_key:
            service = draw(st.one_of(st.none(), st.integers(min_value=0, max_value=100)))
        keys = state_keys(obj, draw(IDS), printed_state(obj, state), lcm, service_id=service,
                          profile=prof)  # fmt: skip
        return draw(st.sampled_from(keys))
    if kind == 1:
        return api_key(draw(st.sampled_from(check_calls(None, prof))), draw(st.booleans()))
    return RETRY_KEY


def event_keys(profile: Profile | str | None = None) -> st.SearchStrategy[str]:
    """Frame 1 of any valid event of ``profile``, trailing spaces included."""
    return _event_key(profile_arg(profile))
