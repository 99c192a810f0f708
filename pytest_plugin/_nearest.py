"""Failure messages that show what was seen closest to what was asked for."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def nearest(wanted: str, seen: Iterable[str], n: int = 5) -> list[str]:
    """Up to ``n`` distinct strings of ``seen`` most similar to ``wanted``, best first.

    A key is compared both whole and cut to the length of ``wanted`` (so a prefix such as
    ``"EVENT API one.vm.alocate"`` is near ``"EVENT API one.vm.allocate 1"``).
    """
    scored: dict[str, float] = {}
    for item in seen:
        if item in scored:
            continue
        whole = difflib.SequenceMatcher(None, wanted, item).ratio()
        cut = difflib.SequenceMatcher(None, wanted, item[: len(wanted) + 1]).ratio()
        scored[item] = max(whole, cut)
    ranked = sorted(scored.items(), key=lambda kv: (-kv[1], kv[0]))
    return [item for item, _ in ranked[:n]]


def show(items: list[str], total: int) -> str:
    """``'a', 'b' (2 of 7)`` or ``nothing``."""
    if not items:
        return "nothing"
    more = f" ({len(items)} nearest of {total})" if total > len(items) else ""
    return ", ".join(repr(i) for i in items) + more
