"""Hypothesis strategies for Hook Manager traffic.

Every strategy builds its events with mockhm's own builders (``api_event``,
``document_state_event``, ``retry_message``), so each example is valid by construction:
nothing is generated and then filtered.  Ids, states, calls and results are drawn
directly by Hypothesis and shrink toward small ids and the simplest choices; decorative
values (names, addresses, keys) come from a Faker seeded with an integer Hypothesis drew,
so a failing example replays exactly.

    from hypothesis import given
    from mockhm import strategies as mst

    @given(mst.state_events(objects=["VM"], states=["RUNNING"]))
    def test_my_subscriber(event): ...

Arguments are checked when the strategy is created; a bad one raises
:class:`hypothesis.errors.InvalidArgument` naming the argument and the allowed values.
"""

from __future__ import annotations

from collections.abc import Collection

from hypothesis import strategies as st

from mockhm.traffic.api_events import api_events
from mockhm.traffic.drawing import profiles
from mockhm.traffic.events import event_keys, hook_events, retry_messages, wire_messages
from mockhm.traffic.state_events import state_events
from mockhm.wire.message import HookEvent, WireMessage
from mockhm.wire.profiles import Profile

__all__ = [
    "api_events",
    "event_keys",
    "hook_events",
    "hostile_messages",
    "lifecycles",
    "profiles",
    "retry_messages",
    "state_events",
    "wire_messages",
]


# -- the rest live in mockhm.traffic; life-cycles walk the model of mockhm.oned -----------


def lifecycles(
    vms: int | tuple[int, int] = (1, 3),
    steps: int | tuple[int, int] = (1, 30),
    profile: Profile | str | None = None,
) -> st.SearchStrategy[list[HookEvent]]:
    """Event streams in which every VM, host, image and network follows oned's life-cycles.

    Two hosts are allocated and monitored first, then an image, a network and ``vms`` VMs; then
    ``steps`` actions, each chosen by Hypothesis among those allowed right now (shrinking toward
    fewer steps and the first allowed action).  For a seeded, non-Hypothesis stream use
    :func:`mockhm.generate_events`.

    Args:
        vms: number of VMs alive at once, an int or a (min, max) pair (1..50).
        steps: number of actions after the set-up, an int or a (min, max) pair (0..1000).
        profile: release profile (default 7.4).
    """
    from mockhm.oned.lifecycle import lifecycles as _lifecycles

    return _lifecycles(vms=vms, steps=steps, profile=profile)


def hostile_messages(kinds: Collection[str] | None = None) -> st.SearchStrategy[WireMessage]:
    """Deliberately broken or surprising messages, each with its ``label``.

    Single messages drawn from the hostile catalogue's cases (:func:`mockhm.hostile_case`).

    Args:
        kinds: the kinds to draw from, :class:`mockhm.HostileKind` members or their values
            (default: every kind); for example ``[k for k in HostileKind if k.broken]``.
    """
    from mockhm.traffic.hostile import hostile_messages as _hostile_messages

    return _hostile_messages(kinds)
