"""TEMPORARY test adapter over today's ``Cloud`` until ``mockhm.oned.Oned`` lands (then deleted).

Just enough of the front-end contract (PLAN.md) to exercise the server, the driver clock, the
fixture and the CLI plumbing: a few calls, a driver queue with due times, a hook log.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from mockhm.oned.cloud import Cloud
from mockhm.wire.bodies import api_event
from mockhm.wire.message import HookEvent


class _Queue:
    def __init__(self) -> None:
        self.clock = 0.0
        self._steps: list[tuple[float, int, str, Callable[[], list[HookEvent]]]] = []
        self._seq = 0

    def push(self, delay: float, label: str, run: Callable[[], list[HookEvent]]) -> None:
        self._seq += 1
        heapq.heappush(self._steps, (self.clock + delay, self._seq, label, run))

    def next_due(self) -> float | None:
        return self._steps[0][0] if self._steps else None

    def labels(self) -> list[str]:
        return [s[2] for s in sorted(self._steps)]

    def step(self) -> list[HookEvent]:
        if not self._steps:
            return []
        due, _, _, run = heapq.heappop(self._steps)
        self.clock = max(self.clock, due)
        return run()

    def run_until(self, when: float) -> list[HookEvent]:
        out: list[HookEvent] = []
        while self._steps and self._steps[0][0] <= when:
            out += self.step()
        self.clock = max(self.clock, when)
        return out


@dataclass
class Reply:
    response: list[object]
    events: list[HookEvent] = field(default_factory=list)
    fault: tuple[int, str] | None = None


class AdapterOned:
    def __init__(
        self, *, profile: str = "7.4", seed: int = 0, users: Mapping[str, str] | None = None
    ) -> None:
        self.cloud: Any = Cloud(profile, seed=seed)
        self.cloud.drivers = _Queue()
        self.users = dict(users or {"oneadmin": "password"})
        self.executions: list[object] = []

    def call(self, method: str, params: Sequence[object]) -> Reply:
        session = params[0] if params else None
        user, _, password = str(session).partition(":")
        if self.users.get(user) != password:
            return Reply([False, f"[{method}] User couldn't be authenticated, aborting call.", 256, -1])
        c = self.cloud
        if method == "one.system.version":
            return Reply([True, "7.4.0", 0], [api_event(method, [], result="7.4.0", profile=c.profile)])
        if method == "one.vm.info":
            if len(params) < 2 or type(params[1]) is not int:
                return Reply([], fault=(-501, "Parameter that is supposed to be integer is not"))
            vm = c.vms.get(params[1])
            if vm is None:
                return Reply(
                    [False, f"[one.vm.info] Error getting virtual machine [{params[1]}].", 1024, params[1]]
                )
            return Reply([True, vm.to_xml(c.profile), 0])
        if method == "one.host.allocate":
            events = c.host_allocate(str(params[1]))
            hid = max(c.hosts)
            c.drivers.push(2.0, f"monitor host {hid}", lambda: c.host_monitor(hid))
            return Reply([True, hid, 0], events)
        if method == "one.vm.allocate":
            events = c.vm_allocate()
            return Reply([True, max(c.vms), 0], events)
        return Reply([False, f"[{method}] not in the adapter", 4096, -1])

    def next_due(self) -> float | None:
        return self.cloud.drivers.next_due()

    @property
    def clock(self) -> float:
        return float(self.cloud.drivers.clock)

    def run_until(self, when: float) -> list[HookEvent]:
        return list(self.cloud.drivers.run_until(when))

    def pending(self) -> int:
        return len(self.cloud.drivers._steps)

    def step(self) -> list[HookEvent]:
        return list(self.cloud.drivers.step())

    def settle(self, *, limit: int = 10_000) -> list[HookEvent]:
        out: list[HookEvent] = []
        for _ in range(limit):
            if self.cloud.drivers.next_due() is None:
                break
            out += self.step()
        return out

    def hold(self, kind: str, oid: int) -> None:
        pass

    def unhold(self, kind: str, oid: int) -> None:
        pass

    def record_execution(self, report: object) -> None:
        self.executions.append(report)
