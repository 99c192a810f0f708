"""The publishing half of the Hook Manager: the send paths, counting and journaling, and the
XPUB subscription notices they drain.

Mixed into :class:`~mockhm.HookManager`, which owns the sockets, the lock and the counters; the
send paths take the lock once per call, send with pyzmq's Cython-level send, and count what
they sent per batch (in C) rather than per message.
"""

from __future__ import annotations

import collections
import itertools
import logging
import operator
import threading
from collections.abc import Iterable, Mapping, Sequence
from typing import Final

import zmq
from zmq.backend import Socket as _BackendSocket

from mockhm.hookmanager.ledger import Ledger
from mockhm.hookmanager.restart import closed_error
from mockhm.hookmanager.subscriptions import SubscriptionTable
from mockhm.wire.message import HookEvent, WireMessage, frames_as_bytes

log = logging.getLogger("mockhm")

Publishable = HookEvent | WireMessage | Sequence[bytes]

#: Senders read pending subscription notices at most every this many messages; the I/O thread
#: reads them within :data:`DRAIN_POLL_MS` after a send (a send can consume the wake-up edge of
#: the socket's descriptor, so the thread polls briefly while notices may be pending).
DRAIN_EVERY: Final = 256
DRAIN_POLL_MS: Final = 5

# pyzmq's Cython-level send: the same zmq_msg_send as ``Socket.send`` without its pure-Python
# wrapper (routing ids, groups, Frame checks), which costs as much as the send itself for
# small frames.  Bytes are copied into the message (as ``copy=True`` does).
_send = _BackendSocket.send
_first = operator.itemgetter(0)


class Sending:
    """The publishing half of :class:`~mockhm.HookManager` (a mixin; see there)."""

    validate: bool
    keep_journal: int | None
    _lock: threading.Lock
    _cond: threading.Condition
    _closed: bool
    _down: bool
    _pub: zmq.Socket[bytes]
    _more: int
    _last: int
    _active: SubscriptionTable
    _ledger: Ledger
    _journal_on: bool
    _journal: list[tuple[bytes, ...]]
    _pending: list[Sequence[bytes]]
    _pending_odd: bool
    _sent: int
    _sent_base: int
    _sent_bytes: int
    _per_key: collections.Counter[bytes]
    _refused: int
    _unrouted: int
    _subs_seen: int
    _unsubs_seen: int
    _drained_at: int

    @property
    def journal(self) -> list[tuple[bytes, ...]]:
        """Every message sent, in order (when ``journal`` is on): what assertions look at."""
        with self._lock:
            self._count_pending()
        return self._journal

    def _count_pending(self) -> None:
        """Count (and journal) the messages sent since the last count.  Caller holds the lock."""
        sent = self._pending
        if not sent:
            return
        self._pending = []
        self._sent += len(sent)
        if self._pending_odd:
            self._pending_odd = False
            self._sent_bytes += sum(len(f) for frames in sent for f in frames)
            self._per_key.update(frames[0] if frames else b"" for frames in sent)
        else:
            self._sent_bytes += sum(map(len, itertools.chain.from_iterable(sent)))
            self._per_key.update(map(_first, sent))
        if self._journal_on:
            self._journal.extend(map(tuple, sent))
            self._trim_journal()

    # -- publishing ------------------------------------------------------------------------

    def publish(self, *items: Publishable | Iterable[Publishable]) -> int:
        """Send events or wire messages; return how many messages went out.

        A :class:`HookEvent` goes out once per key, two frames each, never interleaved with
        another sender's frames.  Lists (for example what :class:`mockhm.Cloud` returns)
        are flattened.  In lossless mode refused messages are counted, not sent.
        """
        if len(items) == 1 and type(items[0]) is HookEvent and not self.validate:
            # The common case, one built event: straight to the send path.
            built = items[0].frames
            if len(built) == 1:
                return self.send_frames(built[0])
            if built:
                return self._send_pairs(built)
        sent = 0
        for item in items:
            if isinstance(item, HookEvent):
                if self.validate and item.label is None:
                    from mockhm.schemas.validation import validate_event

                    validate_event(item)
                frames: Sequence[Sequence[bytes]] = item.frames
                if len(frames) == 1:
                    sent += self.send_frames(frames[0])
                    continue
                if not frames and item.keys:  # keys that cannot be encoded: messages() says why
                    frames = [m.frames for m in item.messages()]
                sent += self.send_many(frames)
            elif isinstance(item, WireMessage):
                sent += self.send_frames(item.frames)
            elif isinstance(item, (list, tuple)) and item and all(isinstance(f, bytes) for f in item):
                sent += self.send_frames(item)
            elif isinstance(item, Iterable) and not isinstance(item, (str, bytes, bytearray, Mapping)):
                sent += self.publish(*item)
            else:
                raise TypeError(
                    f"cannot publish {type(item).__name__} ({item!r:.60}); expected a HookEvent, a "
                    "WireMessage, frames (a list of bytes) or a list of those"
                )
        return sent

    def send_frames(self, frames: Sequence[bytes]) -> int:
        """Send one multipart message of any shape (also broken ones); 1 if sent, 0 if refused."""
        if len(frames) != 2:
            return self.send_many((frames,))
        # _send_pairs for one message, written out: calling it costs 0.2 µs more per message (of
        # ~2.6 µs for a 1.4 KB send here), measured side by side over 21 interleaved rounds.
        key, content = frames
        if type(key) is not bytes or type(content) is not bytes:
            frames = key, content = frames_as_bytes(frames)
        lock = self._lock
        lock.acquire()
        try:
            if self._closed or self._down:
                raise closed_error(self._down)
            nobody = not self._active._holders and self._nobody_subscribed()
            pub = self._pub
            try:
                _send(pub, key, self._more)
            except zmq.Again:  # refused at the high-water mark (lossless mode)
                self._refused += 1
                return 0
            _send(pub, content, self._last)
            if nobody:
                self._unrouted += 1
            pending = self._pending
            pending.append(frames)
            if len(pending) >= DRAIN_EVERY:
                self._count_pending()
                self._drain_subscriptions()
            return 1
        finally:
            lock.release()

    def _send_pairs(self, pairs: Sequence[Sequence[bytes]]) -> int:
        """Send ``(key, content)`` messages under one lock: the path of one message or event.

        Written for the cost of a few small messages (the lock is taken with ``acquire`` and
        ``release``: a ``with`` block costs as much again); a refusal hands the rest of the
        messages to :meth:`send_many`'s loop, still under the lock.
        """
        lock = self._lock
        lock.acquire()
        try:
            if self._closed or self._down:
                raise closed_error(self._down)
            # Asked before every send: the table's dict, not a method call (it would cost a
            # fifth of a small send).
            nobody = not self._active._holders and self._nobody_subscribed()
            pub, more, last = self._pub, self._more, self._last
            done = 0
            for key, content in pairs:
                try:
                    _send(pub, key, more)
                except zmq.Again:  # refused at the high-water mark (lossless mode)
                    self._account(pairs[:done], done, [], False, nobody)
                    self._refused += 1
                    return done + self._send_locked(pairs[done + 1 :], nobody)
                _send(pub, content, last)
                done += 1
            pending = self._pending
            pending.extend(pairs)
            if nobody:
                self._unrouted += done
            if len(pending) >= DRAIN_EVERY:
                self._count_pending()
                self._drain_subscriptions()
            return done
        finally:
            lock.release()

    def send_many(self, batch: Sequence[Sequence[bytes]]) -> int:
        """Send many multipart messages in order under one lock; return how many were sent.

        The fast path for load runs and replay: counters and the journal are kept exactly as
        by :meth:`send_frames`, but the lock is taken once, keys are counted in one C-level
        pass per batch and pending subscription notices are read at most every
        :data:`DRAIN_EVERY` messages (the I/O thread reads the rest within milliseconds).  In
        lossless mode a refused message is counted and skipped.
        """
        with self._lock:
            if self._closed or self._down:
                raise closed_error(self._down)
            nobody = not self._active._holders and self._nobody_subscribed()
            return self._send_locked(batch, nobody)

    def _send_locked(self, batch: Sequence[Sequence[bytes]], nobody: bool) -> int:
        """:meth:`send_many`'s loop and its accounting.  Caller holds the lock."""
        pub = self._pub
        send = _send
        more, last = self._more, self._last
        refused: list[int] = []
        odd = False  # a message that is not (key, content): counted the slow way
        done = 0
        try:
            for frames in batch:
                if len(frames) == 2:
                    if type(frames[0]) is not bytes or type(frames[1]) is not bytes:
                        frames_as_bytes(frames)  # raises for what is not a frame, before anything is sent
                    try:
                        send(pub, frames[0], more)
                    except zmq.Again:
                        refused.append(done)
                    else:
                        send(pub, frames[1], last)
                else:
                    odd = True
                    try:
                        pub.send_multipart(frames, flags=last)
                    except zmq.Again:
                        refused.append(done)
                done += 1
        finally:
            self._account(batch, done, refused, odd, nobody)
        return done - len(refused)

    def _trim_journal(self) -> None:
        """Keep the latest ``keep_journal`` messages.  Caller holds the lock."""
        keep = self.keep_journal
        if keep is not None and len(self._journal) > keep + keep // 8:
            del self._journal[:-keep]

    def _account(
        self, batch: Sequence[Sequence[bytes]], done: int, refused: list[int], odd: bool, nobody: bool
    ) -> None:
        """Counters and journal for the first ``done`` messages of a batch.  Caller holds the lock."""
        sent: Sequence[Sequence[bytes]] = batch if done == len(batch) else batch[:done]
        if refused:
            skip = set(refused)
            sent = [f for i, f in enumerate(sent) if i not in skip]
            self._refused += len(refused)
        if sent and nobody:
            self._unrouted += len(sent)
        self._pending.extend(sent)
        self._pending_odd |= odd
        if len(self._pending) >= DRAIN_EVERY:
            self._count_pending()
            self._drain_subscriptions()

    # -- subscriptions ---------------------------------------------------------------------

    def _nobody_subscribed(self) -> bool:
        """No subscription at all, after reading pending notices (only then: it is rare)."""
        if self._active.total():
            return False
        self._drain_subscriptions()
        return not self._active.total()

    def _drain_subscriptions(self) -> None:
        """Read every pending subscription notice.  Caller holds the lock."""
        pub = self._pub
        changed = False
        while int(pub.getsockopt(zmq.EVENTS)) & zmq.POLLIN:
            try:
                frame = pub.recv(zmq.NOBLOCK, copy=False)
            except zmq.Again:
                break
            note = frame.bytes
            if not note:
                continue
            try:  # the connection's descriptor: tells a duplicate from a second subscriber
                peer: int | None = int(frame.get(zmq.SRCFD))
            except zmq.ZMQError:  # generated by XPUB for a closed connection, or inproc
                peer = None
            prefix = note[1:].decode("ascii", "replace")
            sent = self._sent_ever()  # counts the pending messages: positions are exact
            if note[0] == 1:
                self._subs_seen += 1
                if self._active.subscribe(prefix, peer):
                    self._ledger.subscribed(prefix, self._drained_at, sent, peer)
            elif note[0] == 0:
                self._unsubs_seen += 1
                if self._active.unsubscribe(prefix, peer):
                    self._ledger.unsubscribed(prefix, sent, peer)
            changed = True
            log.debug("%s %r", "subscribe" if note[0] == 1 else "unsubscribe", prefix)
        self._drained_at = self._sent_base + self._sent
        if changed:
            self._cond.notify_all()

    @property
    def subscriptions(self) -> list[str]:
        """Active filters, one entry per subscriber and filter (``""`` subscribes to all)."""
        with self._lock:
            return self._active.elements()

    # -- positions ----------------------------------------------------------------------

    def _sent_ever(self) -> int:
        """Messages sent since the start (never rewound).  Caller holds the lock."""
        self._count_pending()
        return self._sent_base + self._sent
