"""Replay a real oned's XML-RPC calls against :class:`Oned` and compare the event streams.

Captures live in ``<repo>/../shared/opennebula/captures-<release>/`` as
``<release>-<scenario>.jsonl`` (mockhm capture files of what ``one_hm`` published) and
``<release>-calls.jsonl`` (every call of every scenario, in the order they ran).  Every
scenario with an entry in the calls file is replayed, in order, on one fresh ``Oned``
of that release: the model clock follows the calls' timestamps (driver steps due before
a call run before it), and after a scenario's last call the drivers settle, as the real
run polled until its state was reached.  Hooks run as the real HEM ran them: an
executor stand-in runs each hook's COMMAND (a real subprocess) for every published event
its filter selects and reports the execution, so execution ids line up.

Ordering: ``one_hm`` publishes from a thread pool, so events oned emitted close together
can leave it in another order (the captures' README).  Events received within
:data:`REORDER_WINDOW` of each other form a group whose order is free; everything else
must be in the same order.  Values may differ only as :mod:`tests.conformance.allowlist` says.
"""

from __future__ import annotations

import base64
import json
import re
import shlex
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.parsers import expat

from lxml import etree

from mockhm.oned.front import Oned
from mockhm.wire.message import HookEvent
from mockhm.wire.reports import encode_report, parse_report
from tests.conformance.allowlist import allowed

#: Receive times within this many seconds may be in any order (one_hm's worker threads).
REORDER_WINDOW = 0.005
ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "opennebula"
SESSION = "oneadmin:password"


@dataclass
class RealEvent:
    """Consecutive messages with one content: one body published under its keys."""

    t: float
    keys: tuple[str, ...]
    body: bytes


@dataclass
class Scenario:
    release: str
    name: str
    calls: list[dict[str, Any]]
    t_start: float
    events: list[RealEvent]


@dataclass
class Outcome:
    """What the comparison of one scenario found."""

    scenario: str
    real: int = 0
    mock: int = 0
    keys_equal: bool = False
    reordered: int = 0
    problems: list[str] = field(default_factory=list)
    allowed: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        state = "MATCH" if not self.problems else f"{len(self.problems)} problem(s)"
        extra = ", ".join(f"{k}: {n}" for k, n in sorted(self.allowed.items()))
        return (
            f"{self.scenario}: {state}; {self.real} real / {self.mock} mock events, keys in "
            f"{'the same order' if self.keys_equal else 'order up to events swapped'}, {self.reordered} "
            f"reordered within {REORDER_WINDOW * 1000:.0f} ms; allowed differences: {extra or 'none'}"
        )


def releases() -> list[Path]:
    """Every ``captures-<release>`` directory with a calls file."""
    if not SHARED.is_dir():
        return []
    return sorted(d for d in SHARED.glob("captures-*") if any(d.glob("*-calls.jsonl")))


def load(directory: Path) -> list[Scenario]:
    """The scenarios of a release in the order they ran, with their real events."""
    calls_file = next(directory.glob("*-calls.jsonl"))
    release = calls_file.name.removesuffix("-calls.jsonl")
    scenarios = []
    for line in calls_file.read_text().splitlines():
        entry = json.loads(line)
        capture = directory / f"{release}-{entry['scenario']}.jsonl"
        if not capture.exists():
            continue
        scenarios.append(
            Scenario(release, entry["scenario"], entry["calls"], entry["t_start"], _events(capture))
        )
    return scenarios


def _events(path: Path) -> list[RealEvent]:
    events: list[RealEvent] = []
    for line in path.read_text().splitlines()[1:]:
        record = json.loads(line)
        key, content = record["frames"]
        body = base64.b64decode(content.split(" ")[0])
        if events and events[-1].body == body and key not in events[-1].keys and key != "RETRY":
            events[-1].keys += (key,)
        else:
            events.append(RealEvent(record["t"], (key,), body))
    return events


def profile_of(release: str) -> str:
    """The profile of a capture's release: a release number selects the newest profile not newer."""
    return release


# -- the executor stand-in -----------------------------------------------------------------


def hem_arguments(event: HookEvent, template_args: str) -> str:
    """``Hook#arguments`` of onehem-server.rb: $API / $TEMPLATE as base64 of the pretty XML."""
    if not template_args:
        return ""
    root = etree.fromstring(event.body, etree.XMLParser(strip_cdata=False))
    if event.kind == "API":
        node = root.find("CALL_INFO")
    else:
        obj = root.findtext("HOOK_OBJECT") or ""
        node = root.find("VNET" if obj == "NET" else obj)
    text = "" if node is None else etree.tostring(node, pretty_print=True, encoding="unicode").rstrip("\n")
    encoded = base64.b64encode(text.encode()).decode()
    words = [encoded if w in ("$API", "$TEMPLATE") else w for w in template_args.split()]
    return " ".join(words)


def execute_hooks(oned: Oned, events: list[HookEvent]) -> None:
    """Run every hook whose filter selects an event, as the HEM does, and report it."""
    for event in events:
        for hook in sorted(oned.hooks.hooks.values(), key=lambda h: h.id):
            if not any(key.startswith(hook.filter) for key in event.keys) or event.kind == "RETRY":
                continue
            args = hem_arguments(event, str(hook.template.get("ARGUMENTS", "")))
            command = hook.command
            done = subprocess.run(
                [*shlex.split(command), *args.split()], capture_output=True, timeout=30, check=False
            )
            host = ""
            if event.kind == "STATE" and str(hook.template.get("REMOTE")) == "YES":
                host = etree.fromstring(event.body).findtext("REMOTE_HOST") or ""
            report = encode_report(
                done.returncode, hook.id, arguments=args, command=command,
                stdout=done.stdout.decode(errors="replace"), stderr=done.stderr.decode(errors="replace"),
                remote_host=host or None,
            )  # fmt: skip
            oned.record_execution(parse_report(report))


# -- replay --------------------------------------------------------------------------------


def replay(scenarios: list[Scenario]) -> Iterator[tuple[Scenario, list[HookEvent], list[str]]]:
    """Each scenario with the events one fresh ``Oned`` published for its calls, and the
    calls whose response differed from oned's."""
    if not scenarios:
        return
    oned = Oned(profile=profile_of(scenarios[0].release))
    origin = scenarios[0].t_start
    for scenario in scenarios:
        published: list[HookEvent] = []
        problems: list[str] = []

        def publish(events: list[HookEvent], into: list[HookEvent] = published) -> None:
            into.extend(events)
            execute_hooks(oned, events)

        for call in scenario.calls:
            publish(oned.run_until(call["t"] - origin))
            method = call["method"]
            session = SESSION
            note = re.search(r"\((.*)\)$", method)
            if note:
                method = method[: note.start()].strip()
                if "auth" in note.group(1):
                    session = SESSION + "-wrong"
            reply = oned.call(method, [session, *call.get("args", [])])
            what = f"{method} {call.get('args', [])}"
            if reply.fault is not None:
                problems.append(f"{what}: XML-RPC fault {reply.fault}")
            elif reply.response[0] != call["ok"]:
                problems.append(
                    f"{what}: oned ok={call['ok']} ({call.get('value')!r}), mockhm {reply.response}"
                )
            elif not call["ok"] and isinstance(call.get("value"), str) and reply.response[1] != call["value"]:
                problems.append(f"{what}: oned said {call['value']!r}, mockhm {reply.response[1]!r}")
            elif call["ok"] and isinstance(call.get("value"), int) and reply.response[1] != call["value"]:
                problems.append(f"{what}: oned returned {call['value']!r}, mockhm {reply.response[1]!r}")
            publish(reply.events)
        publish(oned.settle())
        yield scenario, published, problems


# -- comparison ----------------------------------------------------------------------------


def _leaves(body: bytes) -> list[tuple[tuple[str, ...], str]]:
    """Element paths in document order, each with its raw text (CDATA kept as written)."""
    out: list[tuple[tuple[str, ...], str]] = []
    stack: list[str] = []
    text: list[str] = []
    parser = expat.ParserCreate()

    def start(name: str, _attrs: object) -> None:
        stack.append(name)
        text.clear()
        out.append((tuple(stack), "\0open"))

    def end(name: str) -> None:
        out.append((tuple(stack), "".join(text)))
        stack.pop()
        text.clear()

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text.append
    parser.StartCdataSectionHandler = lambda: text.append("<![CDATA[")
    parser.EndCdataSectionHandler = lambda: text.append("]]>")
    parser.Parse(body, True)
    return out


def _nested(path: tuple[str, ...], real: str, mock: str, outcome: Outcome, where: str) -> bool:
    """RETRY ARGUMENTS: base64 of the recorded execution's ARGUMENTS, itself base64 of XML."""
    if path[-1] != "ARGUMENTS" or path[0] != "HOOK_MESSAGE":
        return False
    try:
        inner = [base64.b64decode(base64.b64decode(v)) for v in (real, mock)]
    except ValueError:
        return False
    _compare_bodies(inner[0], inner[1], outcome, where + " ARGUMENTS")
    return True


def _compare_bodies(real: bytes, mock: bytes, outcome: Outcome, where: str) -> None:
    a, b = _leaves(real), _leaves(mock)
    if [p for p, _ in a] != [p for p, _ in b]:
        for (pa, _), (pb, _) in zip(a, b, strict=False):
            if pa != pb:
                outcome.problems.append(f"{where}: element {'/'.join(pa)} (real) vs {'/'.join(pb)} (mockhm)")
                return
        outcome.problems.append(f"{where}: {len(a)} vs {len(b)} element boundaries")
        return
    for (path, va), (_, vb) in zip(a, b, strict=True):
        if va == vb or _nested(path, va, vb, outcome, where):
            continue
        reason = allowed(path, va, vb)
        if reason is None:
            outcome.problems.append(f"{where}: {'/'.join(path)} = {va[:80]!r} (real) vs {vb[:80]!r} (mockhm)")
        else:
            outcome.allowed[path[-1]] = outcome.allowed.get(path[-1], 0) + 1


def compare(scenario: Scenario, mock: list[HookEvent]) -> Outcome:
    """Keys in order (free within a reorder group), then each body element by element."""
    real = scenario.events
    outcome = Outcome(scenario.name, len(real), len(mock))
    outcome.keys_equal = [e.keys for e in real] == [e.keys for e in mock]
    groups: list[list[int]] = []
    for i, event in enumerate(real):
        if groups and event.t - real[groups[-1][-1]].t <= REORDER_WINDOW:
            groups[-1].append(i)
        else:
            groups.append([i])
    position = 0
    for group in groups:
        chunk = mock[position : position + len(group)]
        position += len(group)
        pending = list(chunk)
        for index in group:
            match = next((m for m in pending if m.keys == real[index].keys), None)
            where = f"event {index} {real[index].keys[0]!r}"
            if match is None:
                got = [m.keys[0] for m in chunk]
                outcome.problems.append(f"{where}: mockhm published {got} here")
                continue
            if chunk.index(match) != group.index(index):
                outcome.reordered += 1
            pending.remove(match)
            _compare_bodies(real[index].body, match.body, outcome, where)
    if len(mock) > len(real):
        outcome.problems.append(
            f"mockhm published {len(mock) - len(real)} more: {[m.keys[0] for m in mock[len(real) :]]}"
        )
    return outcome
