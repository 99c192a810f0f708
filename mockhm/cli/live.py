"""What is happening inside a running ``mockhm serve``: a live view on a terminal, log lines elsewhere.

On a terminal (rich): the active subscriptions with what each has been sent since it
subscribed, messages per key family, reports by hook and return code, and the front-end's
objects by state, refreshed twice a second.  When stdout is not a terminal (a pipe, a CI
log), one plain line per subscription, unsubscription and report instead, as they happen.

Everything is read from the Hook Manager's own bookkeeping (subscription notices, the
delivery oracle's counts, the per-key counters, the 2102 reports), so the view costs nothing
on the send path.
"""

from __future__ import annotations

import collections
import contextlib
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, TextIO

from mockhm.hookmanager.ledger import Mark
from mockhm.wire.errors import KeyFormatError
from mockhm.wire.keys import parse_key

if TYPE_CHECKING:
    from rich.console import Console, RenderableType

    from mockhm.hookmanager.manager import HookManager

#: Objects of the front-end by kind, then state: ``{"VM": {"ACTIVE/RUNNING": 3}, "HOST": ...}``.
ObjectCounts = Mapping[str, Mapping[str, int]]

#: Rows shown per table on a terminal (the rest are summed up in one row).
ROWS = 12


def key_family(key: str | bytes) -> str:
    """A key without its ids: ``EVENT STATE VM/ACTIVE/RUNNING/4 `` gives ``STATE VM/ACTIVE/RUNNING``.

    API keys keep their call and result (``API one.vm.allocate 1``), object keys their kind and
    states (``VM <id>/ACTIVE/RUNNING``); anything else is shown as it is.
    """
    try:
        parsed = parse_key(key)
    except KeyFormatError:
        text = key.decode("ascii", "replace") if isinstance(key, bytes) else key
        return text.strip() or "(empty key)"
    if parsed.kind == "API":
        return f"API {parsed.call} {int(bool(parsed.success))}"
    states = "/".join(s for s in (parsed.state, parsed.lcm_state) if s)
    if parsed.kind == "STATE":
        return f"STATE {parsed.obj}/{states}"
    if parsed.kind == "OBJECT":
        return f"{parsed.obj} <id>/{states}"
    if parsed.kind == "SERVICE":
        return "SERVICE <id>"
    return parsed.kind


def objects_by_state(cloud: Any) -> dict[str, dict[str, int]]:
    """VMs and hosts (and images, networks) of a model by state, from its ``vms``, ``hosts``,
    ``images`` and ``nets`` mappings (objects with ``state`` and, for VMs, ``lcm_state``)."""
    out: dict[str, dict[str, int]] = {}
    for kind, attr in (("VM", "vms"), ("HOST", "hosts"), ("IMAGE", "images"), ("NET", "nets")):
        pool = getattr(cloud, attr, None)
        if not isinstance(pool, Mapping) or not pool:
            continue
        for _ in range(3):  # the model may be changing in another thread: copy, retry on a clash
            try:
                objects = list(pool.values())
                break
            except RuntimeError:
                continue
        else:
            continue
        counts: collections.Counter[str] = collections.Counter()
        for obj in objects:
            state = str(getattr(obj, "state", "?"))
            lcm = getattr(obj, "lcm_state", None) if kind == "VM" else None
            counts[f"{state}/{lcm}" if lcm and state == "ACTIVE" else state] += 1
        out[kind] = dict(sorted(counts.items()))
    return out


class LiveView:
    """The view of one Hook Manager (and optionally a front-end's objects).

    Args:
        hm: the running Hook Manager.
        objects: returns the front-end's objects by kind and state (see :func:`objects_by_state`),
            or ``None`` when there is no front-end.
    """

    def __init__(self, hm: HookManager, objects: Callable[[], ObjectCounts] | None = None) -> None:
        self.hm = hm
        self.objects = objects
        #: ``True`` when shown as a live view on a terminal, ``False`` for plain lines.
        self.live = False
        self.started = time.monotonic()
        self._reports: collections.Counter[tuple[int | None, int | None]] = collections.Counter()
        # From the Hook Manager's start: the first poll tells who is there and what was reported.
        self._cursor = Mark(sent=0, reports=0, notices=0, restarts=0, monotonic_ns=0)
        self._notices_seen = 0
        self._ended_seen: set[int] = set()

    # -- keeping up ------------------------------------------------------------------------

    def poll(self) -> list[str]:
        """Take in what happened since the last poll; one plain line per event, in order."""
        now = self.hm.mark()
        log = self.hm.subscription_log()
        lines = [
            f"subscribe {sub.filter!r} (from message #{sub.since + 1})"
            for sub in log
            if sub.notice > self._notices_seen
        ]
        for sub in log:
            if not sub.active and sub.notice not in self._ended_seen:
                self._ended_seen.add(sub.notice)
                sent = (sub.until or 0) - sub.since
                lines.append(f"unsubscribe {sub.filter!r} after {sent} message(s) sent since it subscribed")
        self._ended_seen.intersection_update(s.notice for s in log)
        self._notices_seen = now.notices
        for report in self.hm.reports_after(self._cursor):
            self._reports[(report.hook_id, report.rc)] += 1
            why = f" ({report.error})" if report.error else ""
            lines.append(f"report: hook {report.hook_id} rc {report.rc}{why}")
        self._cursor = now
        return lines

    # -- the terminal view -----------------------------------------------------------------

    def render(self) -> RenderableType:
        """The view as rich renderables (a header and four tables)."""
        from rich.columns import Columns
        from rich.console import Group
        from rich.table import Table
        from rich.text import Text

        self.poll()
        hm = self.hm
        stats = hm.statistics()
        elapsed = max(time.monotonic() - self.started, 1e-9)
        header = Text.assemble(
            ("mockhm ", "bold"), f"{hm.profile.name}  events ", (hm.events_endpoint, "cyan"),
            "  reports ", (str(hm.reports_endpoint), "cyan"),
            f"\nsent {stats.sent} ({stats.sent / elapsed:,.1f}/s)  refused {stats.refused}  "
            f"reports {sum(self._reports.values())}  up {elapsed:,.0f} s",
        )  # fmt: skip

        subs = Table(title="subscriptions", title_justify="left", expand=False)
        subs.add_column("filter")
        subs.add_column("since message", justify="right")
        subs.add_column("sent to it", justify="right")
        deliveries = hm.deliveries()
        for d in deliveries[:ROWS]:
            subs.add_row(repr(d.filter), f"#{d.subscription.since + 1}", str(d.count))
        if len(deliveries) > ROWS:
            subs.add_row(f"... {len(deliveries) - ROWS} more", "", "")
        if not deliveries:
            subs.add_row("(nobody subscribed)", "", "")

        families: collections.Counter[str] = collections.Counter()
        for key, n in stats.sent_per_key.items():
            families[key_family(key)] += n
        fam = Table(title="messages per key family", title_justify="left")
        fam.add_column("family")
        fam.add_column("sent", justify="right")
        _rows(fam, families)

        reps = Table(title="reports by hook and rc", title_justify="left")
        reps.add_column("hook", justify="right")
        reps.add_column("rc", justify="right")
        reps.add_column("reports", justify="right")
        for (hook, rc), n in sorted(self._reports.items(), key=lambda kv: (str(kv[0][0]), str(kv[0][1]))):
            reps.add_row(str(hook), Text(str(rc), style="green" if rc == 0 else "red"), str(n))
        if not self._reports:
            reps.add_row("-", "-", "0")

        tables: list[RenderableType] = [subs, reps, fam]
        if self.objects is not None:
            objs = Table(title="front-end objects", title_justify="left")
            objs.add_column("kind")
            objs.add_column("state")
            objs.add_column("count", justify="right")
            for kind, states in self.objects().items():
                for state, n in states.items():
                    objs.add_row(kind, state, str(n))
            tables.append(objs)
        return Group(header, Columns(tables, padding=(0, 2)))


def _rows(table: Any, counts: collections.Counter[str]) -> None:
    common = counts.most_common()
    for name, n in common[:ROWS]:
        table.add_row(name, str(n))
    rest = common[ROWS:]
    if rest:
        table.add_row(f"... {len(rest)} more families", str(sum(n for _, n in rest)))
    if not common:
        table.add_row("(nothing sent yet)", "0")


@contextlib.contextmanager
def watching(
    hm: HookManager,
    *,
    objects: Callable[[], ObjectCounts] | None = None,
    console: Console | None = None,
    live: bool | None = None,
    out: TextIO | None = None,
    refresh: float = 0.5,
) -> Iterator[LiveView]:
    """Show ``hm`` while the block runs: a rich live view on a terminal, plain lines elsewhere.

    Args:
        hm: the Hook Manager.
        objects: the front-end's objects by state, if there is a front-end.
        console: the rich console (default: stdout's).
        live: force the live view (``True``) or plain lines (``False``); default: live when
            the console is a terminal.
        out: where plain lines go (default: stdout).
        refresh: seconds between refreshes.

    Yields:
        The :class:`LiveView`; its ``live`` attribute says which mode runs.
    """
    from rich.console import Console

    console = console or Console()
    view = LiveView(hm, objects)
    use_live = console.is_terminal if live is None else live
    view.live = use_live
    if use_live:
        from rich.live import Live

        with Live(get_renderable=view.render, console=console, refresh_per_second=1 / refresh):
            yield view
        return
    import sys

    stream = out or sys.stdout
    stop = threading.Event()

    def tell() -> None:
        for line in view.poll():
            print(line, file=stream, flush=True)

    def loop() -> None:
        while not stop.wait(refresh):  # a periodic refresh, not a wait for something
            tell()

    thread = threading.Thread(target=loop, name="mockhm-view", daemon=True)
    thread.start()
    try:
        yield view
    finally:
        stop.set()
        thread.join(5)
        tell()
