"""Hypothesis entry point: ``st.from_type`` for mockhm's public event types.

Hypothesis calls :func:`_hypothesis_setup_hook` when it is imported (the
``hypothesis`` entry point in ``pyproject.toml``).  The hook must stay cheap and must
not fail while the rest of mockhm is being imported, so the strategies are looked up
lazily through :func:`hypothesis.strategies.deferred`.
"""

from __future__ import annotations


def _hypothesis_setup_hook() -> None:
    """Register strategies for :class:`~mockhm.HookEvent` and :class:`~mockhm.WireMessage`."""
    from hypothesis import strategies as st

    from mockhm.wire.message import HookEvent, WireMessage

    def _hook_events() -> st.SearchStrategy[HookEvent]:
        from mockhm.traffic.events import hook_events

        return hook_events()

    def _wire_messages() -> st.SearchStrategy[WireMessage]:
        from mockhm.traffic.events import wire_messages

        return wire_messages()

    st.register_type_strategy(HookEvent, st.deferred(_hook_events))
    st.register_type_strategy(WireMessage, st.deferred(_wire_messages))
