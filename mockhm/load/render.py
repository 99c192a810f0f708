"""Rendering a load run: stamping base messages cheaply, ahead of the clock, in bounded memory.

Stamps: three attributes go into the first open template of the body (the VM's
``USER_TEMPLATE``, else the ``TEMPLATE`` of a host, image or network), in alphabetical order
like oned writes template attributes, each value in CDATA:

* ``MOCKHM_DUE_NS``: scheduled send time, ns after the start of the run (16 digits, zero-padded);
* ``MOCKHM_RUN``: a random id of this run (reports of other runs are ignored);
* ``MOCKHM_SEQ``: the message's index in the schedule (12 digits, zero-padded).

The values are fixed-width, so a base message is encoded once per run with zeros in the
stamps (a :class:`Template`); stamping message ``i`` re-encodes only the few 3-byte groups of
the body that hold the digits (a dozen base64 blocks), and joins them with the template's
unchanged base64 around them.  Template contents are open in oned's documents, so stamped
bodies stay valid.  Bodies without an open template (most API events, RETRY) are sent
unstamped and cannot be acknowledged; so are messages whose key no acknowledging filter
selects (``stamp_keys``): an executor never sees them, so no report is expected for them.

A :class:`Renderer` thread renders chunks of the schedule into a bounded queue while the
sender sends earlier ones: a run's memory depends on the queue's bound, not on its length.
"""

from __future__ import annotations

import base64
import binascii
import itertools
import queue
import re
import secrets
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Final

Frames = tuple[bytes, ...]

#: Digits of the fixed-width stamps.
DUE_DIGITS: Final = 16
SEQ_DIGITS: Final = 12
#: Messages per rendered chunk (and most messages sent in one batch).
CHUNK: Final = 256
#: Default bound of the rendered-ahead queue, in bytes of messages.
BUFFER_BYTES: Final = 16 << 20

_TEMPLATE_OPEN = (b"<USER_TEMPLATE>", b"<TEMPLATE>")
_TOKEN = re.compile(rb"<!\[CDATA\[.*?\]\]>|<(/?)([A-Za-z_][\w.-]*)[^>]*?(/?)>", re.S)
_b64 = base64.b64encode


def stamp_point(body: bytes, name: bytes = b"MOCKHM_") -> int | None:
    """Where attributes named ``name...`` go in the body's first open template, or ``None``.

    The position keeps the template's children in alphabetical order.
    """
    for opener in _TEMPLATE_OPEN:
        start = body.find(opener)
        if start < 0:
            continue
        pos = start + len(opener)
        depth = 0
        for m in _TOKEN.finditer(body, pos):
            closing, tag, selfclose = m.group(1), m.group(2), m.group(3)
            if tag is None:  # CDATA
                continue
            if closing:
                if depth == 0:
                    return m.start()  # the template's own end tag
                depth -= 1
            elif not selfclose:
                if depth == 0 and tag > name:
                    return m.start()
                depth += 1
            elif depth == 0 and tag > name:
                return m.start()
        return None
    return None


def attr(name: str, value: str) -> bytes:
    """``<NAME><![CDATA[value]]></NAME>``."""
    return f"<{name}><![CDATA[{value}]]></{name}>".encode()


@dataclass(frozen=True)
class _Span:
    """Where a fixed-width number sits: body bytes ``[start, end)`` cover whole 3-byte groups."""

    start: int  # body offset, multiple of 3
    head: bytes  # constant body bytes from ``start`` to the digits
    tail: bytes  # constant body bytes from the digits to ``end``
    width: int


@dataclass(frozen=True)
class Template:
    """One base message, ready to stamp: ``parts`` is its base64 cut around the two stamps."""

    key: bytes
    plain: Frames  # the message as sent without stamps (padded when asked)
    parts: tuple[bytes, bytes, bytes] | None  # base64 before DUE, between, after SEQ
    due: _Span | None
    seq: _Span | None

    def stamp(self, due_ns: int, seq: int) -> Frames:
        """The message stamped with ``due_ns`` and ``seq`` (only the digits' blocks re-encoded)."""
        if self.parts is None or self.due is None or self.seq is None:
            return self.plain
        d, s = self.due, self.seq
        a, b, c = self.parts
        due = _b64(b"%s%0*d%s" % (d.head, d.width, due_ns, d.tail))
        num = _b64(b"%s%0*d%s" % (s.head, s.width, seq, s.tail))
        return (self.key, b"".join((a, due, b, num, c)))


def _span(body: bytes, digits_at: int, width: int) -> _Span:
    start = digits_at - digits_at % 3
    end = -(-(digits_at + width) // 3) * 3
    return _Span(start, body[start:digits_at], body[digits_at + width : end], width)


def make_template(frames: Sequence[bytes], run_id: str, *, body_size: int | None = None) -> Template:
    """Prepare one base message for stamping (see the module docstring)."""
    plain = tuple(frames)
    if len(plain) != 2 or plain[0] == b"RETRY":
        return Template(plain[0] if plain else b"", plain, None, None, None)
    try:
        body = base64.b64decode(plain[1], validate=True)
    except (binascii.Error, ValueError):
        return Template(plain[0], plain, None, None, None)
    point = stamp_point(body) if body else None
    if point is None:
        return Template(plain[0], plain, None, None, None)
    head, tail, pad = body[:point], body[point:], b""
    stamps = len(attr("MOCKHM_DUE_NS", "0" * DUE_DIGITS) + attr("MOCKHM_RUN", run_id))
    stamps += len(attr("MOCKHM_SEQ", "0" * SEQ_DIGITS))
    if body_size is not None and len(body) + stamps < body_size:
        missing = body_size - len(body) - stamps - len(attr("MOCKHM_PAD", ""))
        pad = attr("MOCKHM_PAD", "x" * max(missing, 0))
    padded = (plain[0], _b64(head + pad + tail))
    due_attr = attr("MOCKHM_DUE_NS", "0" * DUE_DIGITS)
    seq_attr = attr("MOCKHM_RUN", run_id) + attr("MOCKHM_SEQ", "0" * SEQ_DIGITS)
    # Alphabetical, like oned's templates: DUE_NS < PAD < RUN < SEQ.
    stamped = head + due_attr + pad + seq_attr + tail
    due_at = len(head) + len(b"<MOCKHM_DUE_NS><![CDATA[")
    seq_at = len(head) + len(due_attr) + len(pad) + len(seq_attr) - len(b"]]></MOCKHM_SEQ>") - SEQ_DIGITS
    due, seq = _span(stamped, due_at, DUE_DIGITS), _span(stamped, seq_at, SEQ_DIGITS)
    due_end = due_at + DUE_DIGITS + len(due.tail)
    seq_end = seq_at + SEQ_DIGITS + len(seq.tail)
    encoded = _b64(stamped)  # 4 base64 characters per 3 bytes
    parts = (
        encoded[: due.start // 3 * 4],
        encoded[due_end // 3 * 4 : seq.start // 3 * 4],
        encoded[seq_end // 3 * 4 :],
    )
    return Template(plain[0], padded, parts, due, seq)


@dataclass(frozen=True)
class Chunk:
    """Consecutive messages of a run: ``frames[k]`` is message ``first + k * step``, due at ``offsets[k]``."""

    first: int
    offsets: list[int]
    frames: list[Frames]
    stamped: int


class Plan:
    """A run's messages, produced lazily: base messages cycled, stamped, on the schedule.

    ``index_start``/``index_step`` select every ``step``-th message of the run (worker
    processes); ``offsets`` must already be that worker's share of the schedule.
    ``stamp_keys`` limits stamps to messages whose key starts with one of these prefixes
    (``None``: every message with an open template).
    """

    def __init__(
        self,
        pool: Sequence[Sequence[bytes]],
        offsets: Iterable[int],
        *,
        stamp: bool = True,
        body_size: int | None = None,
        run_id: str | None = None,
        index_start: int = 0,
        index_step: int = 1,
        stamp_keys: Sequence[str] | None = None,
    ) -> None:
        if not pool:
            raise ValueError("the message source is empty: nothing to send")
        self.run_id = run_id or secrets.token_hex(6)
        self.stamp = stamp
        self.templates = [make_template(f, self.run_id, body_size=body_size) for f in pool]
        if stamp_keys is not None:
            selected = tuple(k.encode("ascii") for k in stamp_keys)
            self.templates = [
                t if t.key.startswith(selected) else replace(t, parts=None, due=None, seq=None)
                for t in self.templates
            ]
        self.offsets = iter(offsets)
        self.index_start = index_start
        self.index_step = index_step

    def message_bytes(self) -> int:
        """Mean size of one message (both frames), to size buffers."""
        sizes = [sum(map(len, t.plain)) + (64 if t.parts else 0) for t in self.templates]
        return max(sum(sizes) // len(sizes), 1)

    def chunks(self, size: int = CHUNK) -> Iterator[Chunk]:
        """The run in chunks of ``size`` messages, rendered as they are asked for."""
        templates = self.templates
        n_pool = len(templates)
        step = self.index_step
        seq = self.index_start
        stamp = self.stamp
        while True:
            offsets = list(itertools.islice(self.offsets, size))
            if not offsets:
                return
            frames: list[Frames] = []
            add = frames.append
            stamped = 0
            first = seq
            for due in offsets:
                t = templates[seq % n_pool]
                if stamp and t.parts is not None:
                    add(t.stamp(due, seq))
                    stamped += 1
                else:
                    add(t.plain)
                seq += step
            if due >= 10**DUE_DIGITS:
                raise ValueError(
                    f"a run longer than {10**DUE_DIGITS / 1e9 / 86400:.0f} days cannot be stamped"
                )
            yield Chunk(first, offsets, frames, stamped)


class Renderer:
    """Renders a :class:`Plan` in a thread, ahead of the clock, into a bounded queue.

    Iterate over it for the chunks; :meth:`close` stops the thread (also mid-run).  Errors
    of the thread are raised by the iteration.
    """

    def __init__(self, plan: Plan, *, max_bytes: int = BUFFER_BYTES, chunk: int = CHUNK) -> None:
        per_chunk = plan.message_bytes() * chunk
        self._queue: queue.Queue[Chunk | BaseException | None] = queue.Queue(max(2, max_bytes // per_chunk))
        self._plan = plan
        self._chunk = chunk
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="mockhm-render", daemon=True)
        self._thread.start()

    def wait_ahead(self, chunks: int = 4, timeout: float = 10.0) -> None:
        """Block until ``chunks`` chunks (or the whole run, or the buffer's bound) are rendered."""
        want = min(chunks, self._queue.maxsize)
        deadline = time.monotonic() + timeout
        while self._queue.qsize() < want and self._thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.001)

    def _put(self, item: Chunk | BaseException | None) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
            except queue.Full:
                continue
            return True
        return False

    def _run(self) -> None:
        try:
            for chunk in self._plan.chunks(self._chunk):
                if not self._put(chunk):
                    return
        except BaseException as err:  # raised in the consumer
            self._put(err)
            return
        self._put(None)

    def __iter__(self) -> Iterator[Chunk]:
        while True:
            try:
                item = self._queue.get(timeout=1.0)
            except queue.Empty:
                if not self._thread.is_alive() and self._queue.empty():
                    return
                continue
            if item is None:
                return
            if isinstance(item, BaseException):
                raise item
            yield item

    def close(self) -> None:
        """Stop rendering and drop what is queued."""
        self._stop.set()
        while True:
            try:
                self._queue.get_nowait()
            except queue.Empty:  # noqa: PERF203 - the end of what is queued
                break
        self._thread.join(5)
