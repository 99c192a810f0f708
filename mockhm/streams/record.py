"""Recording a live Hook Manager to a capture file, scrubbing secrets, and cassettes.

* :class:`Scrubber` rewrites secrets and personal values *inside* the base64 bodies with
  consistent pseudonyms (the same input gives the same pseudonym for the whole capture, so
  a host name in a VM's history still matches the host's own events).  It works on the
  text, so bodies stay byte-identical outside the values it replaces, and ill-formed
  bodies (raw API strings) are scrubbed too instead of crashing it; they are
  counted.  Keys carry only ids and states, so they are never changed.
* :class:`Recorder` subscribes with a SUB socket and writes one flushed JSON line per
  message (:mod:`mockhm.streams.capturefile`), so a Ctrl-C or a crash loses nothing received.
* :class:`Cassette` decides, for a test, whether to replay a capture or record one from a
  live Hook Manager, in pytest-recording's words (``none``, ``once``, ``new_episodes``,
  ``all``, ``rewrite``).
"""

from __future__ import annotations

import collections
import contextlib
import ipaddress
import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import zmq
from lxml import etree

from mockhm.streams.capturefile import CaptureRecord, CaptureWriter, make_header, read_capture
from mockhm.traffic.rules import mac_for_ip
from mockhm.wire.errors import MockHMError, ScenarioNotFoundError
from mockhm.wire.message import b64decode, b64encode

if TYPE_CHECKING:
    from mockhm.hookmanager.manager import HookManager
    from mockhm.streams.replay import ReplayReport

# --------------------------------------------------------------------------- scrubbing

#: Replacement text of secrets (``*_BASE64`` fields get its base64 so they still decode).
SCRUBBED: Final[str] = "scrubbed"
_ELEMENT = re.compile(rb"<([A-Z][A-Z0-9_]*)>(?:<!\[CDATA\[(.*?)\]\]>|([^<]*))</\1>", re.S)
_HOST_NAME = re.compile(rb"(<HOST><ID>\d+</ID><NAME>)([^<]*)(</NAME>)")
_HOST_ALLOCATE_NAME = re.compile(
    rb"(<CALL>one\.host\.allocate</CALL>.*?<PARAMETER><POSITION>2</POSITION><TYPE>IN</TYPE><VALUE>)([^<]*)"
    rb"(</VALUE>)",
    re.S,
)
_ARGUMENTS = re.compile(rb"(<ARGUMENTS>)([A-Za-z0-9+/=]*)(</ARGUMENTS>)")
_SECRET_TAGS: Final = frozenset(
    {"SSH_PUBLIC_KEY", "SSH_PRIVATE_KEY", "START_SCRIPT", "START_SCRIPT_BASE64", "PASSWORD", "PASSWD"}
)
_IP_TAG = re.compile(
    r"(?:ETH\d+_|ALIAS\d+_)?(?:IP|IP6|IP6_GLOBAL|IP6_ULA|IP6_LINK|GATEWAY|GATEWAY6|DNS|VROUTER_IP|"
    r"NETWORK_ADDRESS|IP_END|IP6_END|IP6_GLOBAL_END|IP6_ULA_END)"
)
_MAC_TAG = re.compile(r"(?:ETH\d+_|ALIAS\d+_)?MAC(?:_END)?")
#: CONTEXT holds whatever users put there (keys, tokens, scripts): every value is scrubbed
#: except these, which only describe the guest's network plumbing.
_CONTEXT_SAFE = re.compile(
    r"NETWORK|TARGET|DISK_ID|(?:ETH|ALIAS)\d+_(?:MASK|MTU|METHOD|IP6_METHOD|NETWORK|VLAN_ID|CONTEXT_FORCE_IPV4)"
)
_CONTEXT = re.compile(rb"(<CONTEXT>)(.*?)(</CONTEXT>)", re.S)
#: ``KEY="value"`` pairs of a template sent as an API IN string (e.g. one.vm.allocate).
_TEMPLATE_SECRET = re.compile(
    rb'((?:SSH_PUBLIC_KEY|SSH_PRIVATE_KEY|START_SCRIPT(?:_BASE64)?|[A-Z_]*PASSWORD|[A-Z_]*TOKEN[A-Z_]*)\s*=\s*")'
    rb'((?:[^"\\]|\\.)*)(")'
)
_STRICT: Final = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


def _category(tag: str) -> str | None:
    if tag in _SECRET_TAGS or tag.endswith("PASSWORD") or "TOKEN" in tag:
        return "secret"
    if tag in ("UNAME", "USERNAME"):
        return "user"
    if tag == "GNAME":
        return "group"
    if tag in ("HOSTNAME", "REMOTE_HOST"):
        return "host"
    if _IP_TAG.fullmatch(tag):
        return "ip"
    if _MAC_TAG.fullmatch(tag):
        return "mac"
    return None


@dataclass
class Scrubber:
    """Consistent pseudonyms for secrets, users, groups, IPs, MACs and host names.

    One instance per capture: ``scrub(frames)`` returns the frames with frame 2 rewritten.
    ``counts`` says how many values of each field were replaced; ``ill_formed`` how many
    bodies were not well-formed XML (scrubbed textually, the same way); ``unscrubbable``
    how many messages could not be decoded at all (kept as received).
    """

    counts: collections.Counter[str] = field(default_factory=collections.Counter)
    ill_formed: int = 0
    unscrubbable: int = 0
    _names: dict[tuple[str, str], str] = field(default_factory=dict)
    _ips: dict[str, str] = field(default_factory=dict)

    def _pseudonym(self, kind: str, value: str) -> str:
        if not value:
            return value
        key = (kind, value)
        if key not in self._names:
            n = sum(1 for k in self._names if k[0] == kind) + 1
            self._names[key] = f"{kind}-{n}"
        return self._names[key]

    def _ip(self, value: str) -> str:
        out = []
        for token in value.split(" "):
            try:
                addr = ipaddress.ip_address(token)
            except ValueError:
                out.append(token)
                continue
            if token not in self._ips:
                n = len(self._ips) + 1
                if addr.version == 4:
                    self._ips[token] = f"10.251.{n // 254 % 256}.{n % 254 + 1}"
                else:
                    self._ips[token] = f"fd00:5c:7b::{n:x}"
            out.append(self._ips[token])
        return " ".join(out)

    def _mac(self, value: str) -> str:
        parts = value.split(":")
        if len(parts) == 6 and parts[:2] == ["02", "00"]:
            try:
                ip = ".".join(str(int(p, 16)) for p in parts[2:])
            except ValueError:
                ip = ""
            if ip:
                return mac_for_ip(self._ip(ip))
        return self._pseudonym("mac", value) if value else value

    def _value(self, category: str, tag: str, value: str) -> str:
        if category == "secret":
            if tag.endswith("_BASE64"):
                return b64encode(SCRUBBED.encode()).decode()
            return SCRUBBED
        if category == "ip":
            return self._ip(value)
        if category == "mac":
            return self._mac(value)
        return self._pseudonym(category, value)

    def scrub_body(self, body: bytes) -> bytes:
        """Scrub one decoded ``HOOK_MESSAGE`` (well-formed or not)."""

        def element(m: re.Match[bytes]) -> bytes:
            tag = m[1].decode("ascii")
            category = _category(tag)
            raw = m[2] if m[2] is not None else m[3]
            if category is None or not raw:
                return m[0]
            value = raw.decode("utf-8", "replace")
            new = self._value(category, tag, value)
            if new == value:
                return m[0]
            self.counts[tag] += 1
            inner = f"<![CDATA[{new}]]>" if m[2] is not None else new
            return b"<" + m[1] + b">" + inner.encode() + b"</" + m[1] + b">"

        def host(m: re.Match[bytes]) -> bytes:
            value = m[2].decode("utf-8", "replace")
            if not value:
                return m[0]
            self.counts["HOST/NAME"] += 1
            return m[1] + self._pseudonym("host", value).encode() + m[3]

        def arguments(m: re.Match[bytes]) -> bytes:
            try:
                inner = b64decode(m[2])
            except ValueError:
                return m[0]
            new = self.scrub_body(inner)
            if new == inner:
                return m[0]
            self.counts["ARGUMENTS"] += 1
            return m[1] + b64encode(new) + m[3]

        def context_value(m: re.Match[bytes]) -> bytes:
            tag = m[1].decode("ascii")
            raw = m[2] if m[2] is not None else m[3]
            if not raw or _category(tag) is not None or _CONTEXT_SAFE.fullmatch(tag):
                return m[0]
            self.counts[f"CONTEXT/{tag}"] += 1
            new = self._value("secret", tag, raw.decode("utf-8", "replace")).encode()
            inner = b"<![CDATA[" + new + b"]]>" if m[2] is not None else new
            return b"<" + m[1] + b">" + inner + b"</" + m[1] + b">"

        def context(m: re.Match[bytes]) -> bytes:
            return m[1] + _ELEMENT.sub(context_value, m[2]) + m[3]

        def template_secret(m: re.Match[bytes]) -> bytes:
            if not m[2]:
                return m[0]
            tag = m[1].split(b"=")[0].strip().decode("ascii")
            self.counts[f"template {tag}"] += 1
            return m[1] + self._value("secret", tag, m[2].decode("utf-8", "replace")).encode() + m[3]

        body = _CONTEXT.sub(context, body)
        body = _TEMPLATE_SECRET.sub(template_secret, body)
        body = _ELEMENT.sub(element, body)
        body = _HOST_NAME.sub(host, body)
        body = _HOST_ALLOCATE_NAME.sub(host, body)
        return _ARGUMENTS.sub(arguments, body)

    def scrub(self, frames: Sequence[bytes]) -> tuple[bytes, ...]:
        """The frames with secrets in the body replaced; keys are never changed."""
        frames = tuple(frames)
        if len(frames) != 2:
            self.unscrubbable += 1
            return frames
        key, content = frames
        retry = key == b"RETRY"
        encoded = content[:-1] if retry and content.endswith(b" ") else content
        try:
            body = b64decode(encoded)
        except ValueError:
            self.unscrubbable += 1
            return frames
        try:
            etree.fromstring(body, _STRICT)
        except etree.XMLSyntaxError:
            self.ill_formed += 1
        new = self.scrub_body(body)
        if new == body:
            return frames
        return (key, b64encode(new) + (b" " if retry else b""))

    def summary(self) -> str:
        """What was scrubbed, for people."""
        if not self.counts:
            text = "scrubbed nothing"
        else:
            text = "scrubbed " + ", ".join(f"{tag} {n}" for tag, n in sorted(self.counts.items()))
        if self.ill_formed:
            text += f"; {self.ill_formed} ill-formed body(ies) scrubbed as text"
        if self.unscrubbable:
            text += f"; {self.unscrubbable} message(s) not decodable, kept as received (NOT scrubbed)"
        return text


# --------------------------------------------------------------------------- recording


@dataclass(frozen=True)
class RecordReport:
    """What a recording wrote."""

    path: Path
    messages: int
    elapsed: float
    scrubbed: dict[str, int]
    ill_formed: int
    unscrubbable: int
    scrub: bool

    def summary(self) -> str:
        """One line for people."""
        text = f"recorded {self.messages} message(s) to {self.path} in {self.elapsed:.1f} s"
        if not self.scrub:
            return text + " (not scrubbed)"
        counts = ", ".join(f"{k} {v}" for k, v in sorted(self.scrubbed.items())) or "nothing"
        text += f"; scrubbed {counts}"
        if self.ill_formed:
            text += f"; {self.ill_formed} ill-formed body(ies) scrubbed as text"
        if self.unscrubbable:
            text += f"; {self.unscrubbable} undecodable message(s) kept as received (NOT scrubbed)"
        return text


class Recorder:
    """Subscribe to a Hook Manager and write every message to a capture file as it arrives.

    Args:
        endpoint: the events endpoint, e.g. ``tcp://127.0.0.1:2101``.
        path: the capture file to write (replaced).
        filters: subscription prefixes (``""`` is everything).
        scrub: scrub bodies before writing (the default).
        profile: the source's release profile, written to the header if known.
        count: stop after this many messages.
        duration: stop after this many seconds.
        keep: records written first (for cassettes that add to an existing capture); new
            offsets continue after the last of them.
        context: the ``zmq.Context`` (the global instance by default).
    """

    def __init__(
        self,
        endpoint: str,
        path: str | Path,
        *,
        filters: Sequence[str] = ("",),
        scrub: bool = True,
        profile: str | None = None,
        count: int | None = None,
        duration: float | None = None,
        keep: Sequence[CaptureRecord] = (),
        context: zmq.Context[zmq.Socket[bytes]] | None = None,
    ) -> None:
        self.endpoint = endpoint
        self.path = Path(path)
        self.filters = tuple(filters) or ("",)
        self.scrubber: Scrubber | None = Scrubber() if scrub else None
        self.profile = profile
        self.count = count
        self.duration = duration
        self.keep = tuple(keep)
        self._ctx = context or zmq.Context.instance()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._report: RecordReport | None = None
        self._error: BaseException | None = None
        self.messages = 0
        #: Set once the SUB socket is connected and subscribed.
        self.subscribed = threading.Event()

    def stop(self) -> None:
        """Ask the recording to end (it finishes within ~50 ms)."""
        self._stop.set()

    def run(
        self,
        stop: threading.Event | None = None,
        on_message: Callable[[tuple[bytes, ...]], None] | None = None,
    ) -> RecordReport:
        """Record until ``count``, ``duration``, or ``stop`` is set; return what was written."""
        stop = stop or self._stop
        sub = self._ctx.socket(zmq.SUB)
        sub.setsockopt(zmq.LINGER, 0)
        start = time.monotonic()
        try:
            sub.connect(self.endpoint)
            for f in self.filters:
                sub.setsockopt(zmq.SUBSCRIBE, f.encode("ascii"))
            joined = time.time()
            base = self.keep[-1].t if self.keep else 0.0
            header = make_header(
                source=self.endpoint, profile=self.profile, filters=self.filters, joined=joined
            )
            with CaptureWriter(self.path, header) as out:
                for rec in self.keep:
                    out.write(rec.frames, rec.t, rec.wall)
                self.subscribed.set()
                poller = zmq.Poller()
                poller.register(sub, zmq.POLLIN)
                while not stop.is_set() and not self._stop.is_set():
                    if self.count is not None and self.messages >= self.count:
                        break
                    now = time.monotonic()
                    if self.duration is not None and now - start >= self.duration:
                        break
                    if not poller.poll(50):
                        continue
                    while True:
                        try:
                            frames = tuple(sub.recv_multipart(zmq.NOBLOCK))
                        except zmq.Again:
                            break
                        t = time.monotonic() - start
                        if self.scrubber is not None:
                            frames = self.scrubber.scrub(frames)
                        out.write(frames, base + t, time.time())
                        self.messages += 1
                        if on_message is not None:
                            on_message(frames)
                        if self.count is not None and self.messages >= self.count:
                            break
        finally:
            sub.close(0)
        s = self.scrubber
        self._report = RecordReport(
            self.path,
            self.messages,
            time.monotonic() - start,
            dict(s.counts) if s else {},
            s.ill_formed if s else 0,
            s.unscrubbable if s else 0,
            s is not None,
        )
        return self._report

    def start(self) -> Recorder:
        """Record in a background thread; returns once subscribed (see :meth:`finish`)."""

        def target() -> None:
            try:
                self.run()
            except BaseException as err:  # reported by finish()
                self._error = err
                self.subscribed.set()

        self._thread = threading.Thread(target=target, name="mockhm-recorder", daemon=True)
        self._thread.start()
        self.subscribed.wait(10)
        return self

    def finish(self, timeout: float = 5.0) -> RecordReport:
        """Stop a background recording and return its report."""
        self.stop()
        if self._thread is not None:
            self._thread.join(timeout)
        if self._error is not None:
            raise self._error
        if self._report is None:
            raise MockHMError(f"the recorder of {self.endpoint} did not stop within {timeout} s")
        return self._report


def record(
    endpoint: str,
    path: str | Path,
    *,
    filters: Sequence[str] = ("",),
    scrub: bool = True,
    count: int | None = None,
    duration: float | None = None,
    stop: threading.Event | None = None,
    profile: str | None = None,
    on_message: Callable[[tuple[bytes, ...]], None] | None = None,
) -> RecordReport:
    """Record ``endpoint`` to ``path`` until ``count`` messages, ``duration`` seconds or ``stop``."""
    rec = Recorder(
        endpoint, path, filters=filters, scrub=scrub, count=count, duration=duration, profile=profile
    )
    return rec.run(stop, on_message)


# --------------------------------------------------------------------------- cassettes

#: Record modes, in pytest-recording's words.
RECORD_MODES: Final[tuple[str, ...]] = ("none", "once", "new_episodes", "all", "rewrite")


@dataclass(frozen=True)
class CassettePlan:
    """What a cassette will do: replay the existing capture, record, or both."""

    replay: bool
    record: bool
    append: bool
    reason: str


class CassetteError(MockHMError, ValueError):
    """A cassette that cannot be used in its mode; names the path, the mode and whether it exists."""


@dataclass
class Cassette:
    """A capture file used by one test: replayed, recorded from a live Hook Manager, or both.

    Modes (pytest-recording's words):

    * ``none`` (default): replay only; a missing cassette is an error, nothing is recorded.
    * ``once``: replay if the file exists, else record it from ``endpoint``.
    * ``new_episodes``: replay what is there, and record new messages after it.
    * ``all``: record (never replay), keeping what the file already has before the new messages.
    * ``rewrite``: record from scratch, replacing the file.

    Args:
        path: the capture file.
        mode: one of :data:`RECORD_MODES`.
        endpoint: the live Hook Manager's events endpoint (needed to record).
        filters: subscription prefixes while recording.
        scrub: scrub recorded bodies (default).
    """

    path: Path
    mode: str = "none"
    endpoint: str | None = None
    filters: Sequence[str] = ("",)
    scrub: bool = True
    recorder: Recorder | None = None
    #: What the last :meth:`start` replayed, if it replayed.
    last_replay: ReplayReport | None = None

    def __post_init__(self) -> None:
        self.path = Path(self.path)
        if self.mode not in RECORD_MODES:
            raise CassetteError(
                f"unknown record mode {self.mode!r} for cassette {self.path}; "
                f"expected one of {', '.join(RECORD_MODES)}"
            )

    def decide(self) -> CassettePlan:
        """What this cassette will do now, given its mode and whether its file exists."""
        exists = self.path.is_file()
        state = "exists" if exists else "does not exist"
        mode = self.mode
        if mode == "none":
            if not exists:
                raise ScenarioNotFoundError(
                    f"cassette {self.path} does not exist and the record mode is 'none', which never "
                    "records; record it once with record mode 'once' and a live Hook Manager",
                    path=str(self.path),
                )
            return CassettePlan(True, False, False, f"mode 'none': cassette {state}, replaying it")
        if mode == "once":
            if exists:
                return CassettePlan(True, False, False, f"mode 'once': cassette {state}, replaying it")
            plan = CassettePlan(False, True, False, f"mode 'once': cassette {state}, recording it")
        elif mode == "new_episodes":
            plan = CassettePlan(exists, True, exists, f"mode 'new_episodes': cassette {state}")
        elif mode == "all":
            plan = CassettePlan(False, True, exists, f"mode 'all': cassette {state}, recording (appending)")
        else:
            plan = CassettePlan(
                False, True, False, f"mode 'rewrite': cassette {state}, recording from scratch"
            )
        if self.endpoint is None:
            raise CassetteError(
                f"cassette {self.path} {state} and record mode {mode!r} needs to record, but no live "
                "Hook Manager endpoint was given"
            )
        return plan

    def start(self, hookmanager: HookManager | None = None, **replay_options: Any) -> CassettePlan:
        """Replay into ``hookmanager`` if the plan says so, then start recording if it says so.

        The replay starts at once: pass ``wait=N`` (a :func:`mockhm.replay` option) so
        that it first waits for N subscriptions, since a PUB stream sent earlier is lost.  The
        pytest plugin instead replays when the test calls ``hookmanager_cassette.play()``.
        """
        plan = self.decide()
        if plan.replay:
            if hookmanager is None:
                raise CassetteError(f"cassette {self.path} (mode {self.mode!r}) replays: pass a HookManager")
            self.last_replay = self.replay(hookmanager, **replay_options)
        if plan.record:
            assert self.endpoint is not None
            keep: list[CaptureRecord] = []
            if plan.append:
                _header, records = read_capture(self.path)
                keep = [r for _line, r in records]
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.recorder = Recorder(
                self.endpoint, self.path, filters=self.filters, scrub=self.scrub, keep=keep
            ).start()
        return plan

    def replay(self, hookmanager: HookManager, **options: Any) -> ReplayReport:
        """Replay the cassette (in file order) into ``hookmanager``; see :func:`mockhm.replay`."""
        from mockhm.streams.replay import replay

        options.setdefault("echo", None)
        return replay(self.path, hookmanager, **options)

    def stop(self) -> RecordReport | None:
        """End a recording started by :meth:`start` (nothing to do if it only replayed)."""
        if self.recorder is None:
            return None
        report = self.recorder.finish()
        self.recorder = None
        return report

    @contextlib.contextmanager
    def use(self, hookmanager: HookManager | None = None, **replay_options: Any) -> Iterator[CassettePlan]:
        """``with cassette.use(hm) as plan:`` replays and/or records around the block."""
        plan = self.start(hookmanager, **replay_options)
        try:
            yield plan
        finally:
            self.stop()


__all__ = [
    "RECORD_MODES",
    "SCRUBBED",
    "Cassette",
    "CassetteError",
    "CassettePlan",
    "RecordReport",
    "Recorder",
    "Scrubber",
    "record",
]
