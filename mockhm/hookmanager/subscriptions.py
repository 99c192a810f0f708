"""Who holds which filter, from the XPUB socket's subscription notices.

What libzmq 4.3 does (checked with real sockets, see tests/hardening/test_hm_hardening.py):

* With ``XPUB_VERBOSER`` every subscribe notice reaches the application, duplicates too: a
  SUB that sets the same filter twice after connecting (HEM does, when two hooks share a key)
  produces two notices.  A SUB that set it twice before connecting sends it once.
* The SUB counts its own duplicates and sends one unsubscribe when its count reaches zero;
  when a connection closes, XPUB announces each distinct filter of that connection once.

So a filter is held by a *connection* at most once.  Notices a peer sent carry the descriptor
of its connection (``ZMQ_SRCFD``), which tells duplicates from a second subscriber; the
unsubscribes XPUB generates for a closed connection carry none, and remove the holder whose
descriptor is closed (else any holder: the count stays exact either way).  inproc peers have
no descriptor and are counted per notice.
"""

from __future__ import annotations

import collections
import os

#: A connection's descriptor, or ``None`` when the notice carries none.
Peer = int | None


def _alive(fd: int) -> bool:
    try:
        os.fstat(fd)
    except OSError:
        return False
    return True


class SubscriptionTable:
    """Active filters, one entry per connection that holds each."""

    def __init__(self) -> None:
        self._holders: dict[str, list[Peer]] = {}

    def subscribe(self, prefix: str, peer: Peer) -> bool:
        """Record a subscribe notice; ``False`` when that connection already held ``prefix``."""
        holders = self._holders.setdefault(prefix, [])
        if peer is not None and peer in holders:
            return False
        holders.append(peer)
        return True

    def unsubscribe(self, prefix: str, peer: Peer) -> bool:
        """Record an unsubscribe notice; ``False`` when nobody held ``prefix``."""
        holders = self._holders.get(prefix)
        if not holders:
            return False
        if peer is not None and peer in holders:
            holders.remove(peer)
        else:
            closed = [p for p in holders if p is None or p == peer or not _alive(p)]
            holders.remove(closed[0] if closed else holders[-1])
        if not holders:
            del self._holders[prefix]
        return True

    def __contains__(self, prefix: object) -> bool:
        return prefix in self._holders

    def elements(self) -> list[str]:
        """Every active filter once per holder, sorted."""
        return sorted(p for p, holders in self._holders.items() for _ in holders)

    def counts(self) -> collections.Counter[str]:
        """Holders per filter."""
        return collections.Counter({p: len(h) for p, h in self._holders.items()})

    def total(self) -> int:
        """All (connection, filter) pairs."""
        return sum(len(h) for h in self._holders.values())

    def matching(self, key_prefix: str) -> int:
        """Pairs whose filter lets a key starting with ``key_prefix`` through."""
        return sum(len(h) for p, h in self._holders.items() if key_prefix.startswith(p))
