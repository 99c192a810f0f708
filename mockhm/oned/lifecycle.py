"""Life-cycles: streams of events that only take the transitions oned takes.

The transition graph is data: for every stable (STATE, LCM_STATE) of a VM (and every
STATE of a host, image and network), the actions allowed there and the exact STATE
path each action walks.  A driver picks allowed actions and lets
:class:`~mockhm.Cloud` apply them, so documents evolve consistently (PREV_*,
history records, REMOTE_HOST, STIME/ETIME, leases).  Use it as a Hypothesis strategy
(:func:`lifecycles`) or as a seeded scenario generator (:func:`generate_events`).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Final

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from mockhm.oned.cloud import HOT_OPERATIONS, Cloud
from mockhm.oned.transitions import (
    HOST_TRANSITIONS,
    IMAGE_TRANSITIONS,
    NET_TRANSITIONS,
    VM_TRANSITIONS,
    vm_edges,
)
from mockhm.wire.errors import UnknownProfileError
from mockhm.wire.message import HookEvent
from mockhm.wire.profiles import PROFILES, Profile, get_profile


@dataclass(frozen=True)
class Step:
    """One action the driver took and the events it produced (``mockhm.LifecycleStep``)."""

    target: str
    """The object acted on, such as ``"VM 3"`` or ``"HOST 0"``."""
    action: str
    """The action, such as ``"deploy"``, ``"poweroff"`` or ``"monitor"``."""
    events: tuple[HookEvent, ...]
    """The events it produced, in emission order."""


class LifecycleDriver:
    """Applies allowed actions to a :class:`~mockhm.Cloud` and records them.

    Args:
        profile: release profile.
        seed: Cloud seed (names, addresses, durations).
        vms: VMs allocated at the start.
        hosts: hosts allocated and monitored at the start (two allow migrations).
    """

    def __init__(
        self, profile: Profile | str | None = None, *, seed: int = 0, vms: int = 1, hosts: int = 2
    ) -> None:
        self.profile = get_profile(profile)
        self.cloud = Cloud(self.profile, seed=seed)
        self.steps: list[Step] = []
        self.max_vms = vms
        for _ in range(hosts):
            hid = len(self.cloud.hosts)
            self._record(f"HOST {hid}", "allocate", self.cloud.host_allocate())
            self._record(f"HOST {hid}", "monitor", self.cloud.host_monitor(hid))
        self._record("IMAGE 0", "allocate", self.cloud.image_allocate())
        self._record("NET 0", "allocate", self.cloud.net_allocate())
        for _ in range(vms):
            self.allocate_vm(hold=False)

    # -- bookkeeping -----------------------------------------------------------------------

    def _record(self, target: str, action: str, events: list[HookEvent]) -> Step:
        step = Step(target, action, tuple(events))
        self.steps.append(step)
        return step

    def events(self) -> list[HookEvent]:
        """Every event so far, in emission order."""
        return [e for s in self.steps for e in s.events]

    def allocate_vm(self, *, hold: bool = False) -> Step:
        """Allocate a VM using the image and, while it has free leases, the network."""
        net = self.cloud.nets.get(0)
        free = (
            net is not None
            and net.state == "READY"
            and all(int(ar.get("NEXT_INDEX", "0")) < int(ar["SIZE"]) for ar in net.address_ranges)
        )
        vid = len(self.cloud.vms)
        events = self.cloud.vm_allocate(hold=hold, image_id=0, net_id=0 if free else None)
        return self._record(f"VM {vid}", "allocate", events)

    # -- what is allowed now ---------------------------------------------------------------

    def _monitored(self) -> list[int]:
        return [h.id for h in self.cloud.hosts.values() if h.state == "MONITORED"]

    def available(self) -> list[tuple[str, str]]:
        """Every (target, action) allowed right now, in a stable order (simple first)."""
        out: list[tuple[str, str]] = []
        monitored = self._monitored()
        for vid, vm in sorted(self.cloud.vms.items()):
            actions = VM_TRANSITIONS.get((vm.state, vm.lcm_state), {})
            out.extend((f"VM {vid}", a) for a in actions if self._vm_allowed(vid, a, monitored))
        alive = sum(vm.state != "DONE" for vm in self.cloud.vms.values())
        if alive < self.max_vms:
            out.append(("VM new", "allocate"))
        for hid, host in sorted(self.cloud.hosts.items()):
            out.extend((f"HOST {hid}", action) for action in HOST_TRANSITIONS.get(host.state, {}))
        if "IMAGE" in self.profile.state_objects:
            for iid, image in sorted(self.cloud.images.items()):
                image_actions = IMAGE_TRANSITIONS.get(image.state, {})
                out.extend((f"IMAGE {iid}", a) for a in image_actions)
        if "NET" in self.profile.state_objects:
            for nid, net in sorted(self.cloud.nets.items()):
                for action in NET_TRANSITIONS.get(net.state, {}):
                    if action == "update-failure" and "UPDATE_FAILURE" not in self.profile.net_states:
                        continue
                    out.append((f"NET {nid}", action))
        return out

    def _vm_allowed(self, vid: int, action: str, monitored: list[int]) -> bool:
        prof = self.profile
        if action in HOT_OPERATIONS:
            _call, lcm_on, lcm_off, since = HOT_OPERATIONS[action]
            vm = self.cloud.vms[vid]
            lcm = lcm_on if vm.state == "ACTIVE" else lcm_off
            return prof.release >= since and lcm is not None and lcm in prof.lcm_states
        if action.startswith("deploy") or (action == "resume" and self.cloud.vms[vid].state in (
            "STOPPED", "UNDEPLOYED",
        )):  # fmt: skip
            return bool(monitored)
        if action.startswith("migrate"):
            current = self.cloud.vms[vid].history[-1].hid
            return any(h != current for h in monitored)
        return True

    # -- doing it --------------------------------------------------------------------------

    def apply(self, target: str, action: str) -> Step:
        """Apply one allowed action (from :meth:`available`)."""
        kind, _, ident = target.partition(" ")
        cloud = self.cloud
        if kind == "VM" and ident == "new":
            return self.allocate_vm()
        oid = int(ident)
        events: list[HookEvent]
        if kind == "VM":
            events = self._vm_apply(oid, action)
        elif kind == "HOST":
            events = {
                "monitor": lambda: cloud.host_monitor(oid),
                "monitor-fail": lambda: cloud.host_monitor(oid, ok=False),
                "fail": lambda: cloud.host_fail(oid),
                "recover": lambda: cloud.host_recover(oid),
                "disable": lambda: cloud.host_status(oid, "disable"),
                "offline": lambda: cloud.host_status(oid, "offline"),
                "enable": lambda: cloud.host_status(oid, "enable"),
            }[action]()
        elif kind == "IMAGE":
            state = IMAGE_TRANSITIONS[cloud.images[oid].state][action]
            if state == "USED" and cloud.images[oid].persistent:
                state = "USED_PERS"
            events = cloud.image_state(oid, state)
        else:
            if action == "delete":
                events = cloud.net_delete(oid)
            else:
                events = cloud.net_state(oid, NET_TRANSITIONS[cloud.nets[oid].state][action])
        return self._record(target, action, events)

    def _vm_apply(self, vid: int, action: str) -> list[HookEvent]:
        cloud = self.cloud
        calls: dict[str, Callable[[], list[HookEvent]]] = {
            "deploy": lambda: cloud.vm_deploy(vid),
            "deploy-prolog-failure": lambda: cloud.vm_deploy(vid, fail="prolog"),
            "deploy-boot-failure": lambda: cloud.vm_deploy(vid, fail="boot"),
            "migrate-live": lambda: cloud.vm_migrate(vid, live=True),
            "migrate-cold": lambda: cloud.vm_migrate(vid, live=False),
            "recover-success": lambda: cloud.vm_recover(vid, "success"),
            "recover-retry": lambda: cloud.vm_recover(vid, "retry"),
            "recover-delete": lambda: cloud.vm_recover(vid, "delete"),
            "recover-recreate": lambda: cloud.vm_recover(vid, "delete-recreate"),
        }
        if action in calls:
            return calls[action]()
        if action in HOT_OPERATIONS:
            return cloud.vm_hot(vid, action)
        return cloud.vm_action(vid, action)

    def run(self, choose: Callable[[list[tuple[str, str]]], int], steps: int) -> Iterator[Step]:
        """Take up to ``steps`` actions, ``choose`` picking an index into :meth:`available`."""
        for _ in range(steps):
            options = self.available()
            if not options:
                return
            target, action = options[choose(options)]
            yield self.apply(target, action)


# -- public entry points ------------------------------------------------------------------


def _bounds(name: str, value: int | tuple[int, int], low: int, high: int) -> tuple[int, int]:
    lo, hi = (value, value) if isinstance(value, int) else value
    if not (low <= lo <= hi <= high):
        raise InvalidArgument(
            f"{name}={value!r}; expected an int or a (min, max) pair with {low} <= min <= max <= {high}"
        )
    return lo, hi


def _profile_arg(profile: Profile | str | None) -> Profile:
    try:
        return get_profile(profile)
    except UnknownProfileError:
        allowed = ", ".join(repr(n) for n in PROFILES)
        raise InvalidArgument(f"profile={profile!r}; expected one of {allowed}") from None


@st.composite
def _lifecycle_steps(
    draw: st.DrawFn, vms: tuple[int, int], steps: tuple[int, int], prof: Profile
) -> list[Step]:
    n_vms = draw(st.integers(min_value=vms[0], max_value=vms[1]))
    n_steps = draw(st.integers(min_value=steps[0], max_value=steps[1]))
    seed = draw(st.integers(min_value=0, max_value=2**32 - 1))
    driver = LifecycleDriver(prof, seed=seed, vms=n_vms)

    def choose(options: list[tuple[str, str]]) -> int:
        return draw(st.integers(min_value=0, max_value=len(options) - 1))

    for _ in driver.run(choose, n_steps):
        pass
    return driver.steps


def lifecycle_steps(
    vms: int | tuple[int, int] = (1, 3),
    steps: int | tuple[int, int] = (1, 30),
    profile: Profile | str | None = None,
) -> st.SearchStrategy[list[Step]]:
    """Like :func:`lifecycles` but keeps each action with its events (for checking)."""
    return _lifecycle_steps(
        _bounds("vms", vms, 1, 50), _bounds("steps", steps, 0, 1000), _profile_arg(profile)
    )


def lifecycles(
    vms: int | tuple[int, int] = (1, 3),
    steps: int | tuple[int, int] = (1, 30),
    profile: Profile | str | None = None,
) -> st.SearchStrategy[list[HookEvent]]:
    """Event streams in which every VM, host, image and network follows oned's life-cycles.

    Two hosts are allocated and monitored first, then an image, a network and ``vms``
    VMs; then ``steps`` actions, each chosen by Hypothesis among those allowed right now
    (shrinking toward fewer steps and the first allowed action).

    Args:
        vms: number of VMs alive at once, an int or a (min, max) pair (1..50).
        steps: number of actions after the set-up, an int or a (min, max) pair (0..1000).
        profile: release profile (default 7.4).
    """
    return lifecycle_steps(vms, steps, profile).map(lambda ss: [e for s in ss for e in s.events])


#: Relative weights of actions in :func:`generate_events` (others weigh 1): VMs live a while.
_WEIGHTS: Final[dict[str, float]] = {
    "terminate": 0.15, "terminate-hard": 0.05, "recover-delete": 0.3, "allocate": 2.0,
    "deploy": 4.0, "resume": 3.0, "release": 2.0, "recover-retry": 2.0, "recover": 2.0,
    "enable": 2.0, "monitor": 3.0, "reboot": 0.5, "hold": 0.3, "fail": 0.2, "offline": 0.05,
    "disable": 0.1,
    "monitor-fail": 0.2, "delete": 0.05, "deploy-prolog-failure": 0.2,
    "deploy-boot-failure": 0.2, "update-ok": 2.0,
}  # fmt: skip


def generate_steps(
    n: int, seed: int = 0, profile: Profile | str | None = None, *, vms: int = 5
) -> list[Step]:
    """Steps of a seeded life-cycle run until at least ``n`` events were emitted."""
    if n < 0:
        raise ValueError(f"n={n}; expected a count >= 0")
    if vms < 1:
        raise ValueError(f"vms={vms}; expected at least 1")
    rng = random.Random(seed)
    driver = LifecycleDriver(profile, seed=seed, vms=vms)

    def choose(options: list[tuple[str, str]]) -> int:
        weights = [_WEIGHTS.get(action, 1.0) for _target, action in options]
        return rng.choices(range(len(options)), weights)[0]

    count = len(driver.events())
    # every step emits at least one event except API-less no-ops; bound the loop anyway
    for step in driver.run(choose, 10 * n + 100):
        count += len(step.events)
        if count >= n:
            break
    return driver.steps


def generate_events(
    n: int, seed: int = 0, profile: Profile | str | None = None, *, vms: int = 5
) -> list[HookEvent]:
    """``n`` events of a seeded, life-cycle-valid run: same arguments, same bytes.

    Args:
        n: number of events.
        seed: seeds the action choices and the Cloud's names, addresses and clock.
        profile: release profile (default 7.4).
        vms: VMs alive at once.
    """
    events = [e for s in generate_steps(n, seed, profile, vms=vms) for e in s.events]
    return events[:n]


#: The public name of :class:`Step` (``mockhm.LifecycleStep``).
LifecycleStep = Step


__all__ = [
    "HOST_TRANSITIONS",
    "IMAGE_TRANSITIONS",
    "NET_TRANSITIONS",
    "VM_TRANSITIONS",
    "LifecycleDriver",
    "LifecycleStep",
    "Step",
    "generate_events",
    "generate_steps",
    "lifecycle_steps",
    "lifecycles",
    "vm_edges",
]
