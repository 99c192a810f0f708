"""VM STATE messages at load-test rates: templated documents that still follow the life-cycles.

:class:`VmStateStream` renders each VM's full document once (Faker-enriched, optionally grown
to a production size), then cuts the body into a template around the fields a state change
rewrites: the header's STATE and LCM_STATE names and the document's STATE, LCM_STATE,
PREV_STATE and PREV_LCM_STATE codes.  Each VM walks the §5 graph
(:data:`mockhm.oned.lifecycle.VM_TRANSITIONS`: an action chosen with the generator's weights,
then every state of its path, one message per state), so consecutive messages of one VM are
always an edge of :func:`mockhm.oned.lifecycle.vm_edges` and PREV_* always holds the state
left.  A message costs one bytes substitution and one base64 encoding.

What it costs in realism, against :func:`mockhm.oned.lifecycle.generate_events` (a Cloud
applying every action): the rest of each document is frozen (no new history record on a
deploy or migration, no STIME/ETIME, DEPLOY_ID or monitoring changes); a VM that reaches DONE
comes back as PENDING under a fresh id (its template rendered again) rather than as a new
allocation with an API event; hosts, images and networks do not move; no API events.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

from mockhm.oned.lifecycle import VM_TRANSITIONS, vm_edges
from mockhm.wire.bodies import document_state_event
from mockhm.wire.defaults import default_document
from mockhm.wire.documents import History, VmDocument
from mockhm.wire.keys import state_keys
from mockhm.wire.message import b64encode
from mockhm.wire.profiles import Profile, get_profile
from mockhm.wire.states import LCM_STATES, VM_STATES

VmState = tuple[str, str]

#: Relative weights of actions (others weigh 1): VMs live a while, failures are rare.
WEIGHTS: Final[dict[str, float]] = {
    "terminate": 0.15, "terminate-hard": 0.05, "recover-delete": 0.3, "deploy": 4.0, "resume": 3.0,
    "release": 2.0, "recover-retry": 2.0, "reboot": 0.0, "hold": 0.3, "deploy-prolog-failure": 0.2,
    "deploy-boot-failure": 0.2,
}  # fmt: skip

_HEAD = re.compile(rb"^(<HOOK_MESSAGE><HOOK_TYPE>STATE</HOOK_TYPE><HOOK_OBJECT>VM</HOOK_OBJECT><STATE>)"
                   rb"[A-Z_]+(</STATE><LCM_STATE>)[A-Z_]+(</LCM_STATE>)")  # fmt: skip
_CODES = re.compile(rb"(<STATE>)\d+(</STATE><LCM_STATE>)\d+(</LCM_STATE><PREV_STATE>)\d+"
                    rb"(</PREV_STATE><PREV_LCM_STATE>)\d+(</PREV_LCM_STATE>)")  # fmt: skip


def _template(body: bytes) -> bytes:
    """The body with ``%s`` for the six fields a state change rewrites (``%`` escaped)."""
    body = body.replace(b"%", b"%%")
    head = _HEAD.match(body)
    codes = _CODES.search(body, head.end() if head else 0)
    if head is None or codes is None:
        raise ValueError("not a VM STATE body of the expected shape")
    spans = [(head.end(1), head.start(2)), (head.end(2), head.start(3))]
    spans += [(codes.end(g), codes.start(g + 1)) for g in range(1, 5)]
    out, last = [], 0
    for start, end in spans:
        out += [body[last:start], b"%s"]
        last = end
    return b"".join([*out, body[last:]])


def grow(doc: VmDocument) -> VmDocument:
    """A busy production VM (~8 KB body): three disks, two NICs, a user template, two migrations."""
    disk = doc.template.get("DISK")
    nic = doc.template.get("NIC")
    if isinstance(disk, dict):
        doc.template["DISK"] = [
            disk,
            {**disk, "DISK_ID": "1", "TARGET": "vdb"},
            {**disk, "DISK_ID": "2", "TARGET": "vdc"},
        ]
    if isinstance(nic, dict):
        doc.template["NIC"] = [nic, {**nic, "NIC_ID": "1", "NAME": "NIC1"}]
    doc.user_template.update(
        {
            "DESCRIPTION": "web tier, managed by the CMDB",
            "LABELS": "prod,web",
            "LOGO": "images/logos/ubuntu.png",
            "SCHED_REQUIREMENTS": 'CLUSTER_ID="100"',
        }
    )
    # Deployed once and migrated twice (oned keeps the records when a VM is queued again).
    stime = doc.stime + 10
    doc.history = [
        History(oid=doc.id, seq=i, hostname=f"node{i + 1}", hid=i, stime=stime + i * 60,
                pstime=stime + i * 60, petime=stime + i * 60 + 2, rstime=stime + i * 60 + 2)
        for i in range(3)
    ]  # fmt: skip
    return doc


@dataclass
class _Vm:
    id: int
    template: bytes
    state: VmState
    path: list[VmState]
    keys: dict[VmState, tuple[bytes, ...]]


class VmStateStream:
    """An endless, seeded stream of VM STATE messages ``(key, content)`` (see the module docstring).

    Args:
        vms: VMs in the pool (their documents are drawn once, with Faker values).
        seed: seeds Faker and the action choices: same arguments, same bytes.
        profile: release profile.
        production_size: grow documents to ~8 KB (three disks, two NICs, history).
    """

    def __init__(
        self,
        vms: int = 64,
        *,
        seed: int = 0,
        profile: Profile | str | None = None,
        production_size: bool = True,
    ) -> None:
        from mockhm.traffic.enrich import enrich
        from mockhm.traffic.provider import make_faker

        self.profile = get_profile(profile)
        self._rng = random.Random(seed)
        self._fake = make_faker(seed)
        self._enrich = enrich
        self._grow = production_size
        self._next_id = vms
        self._vms = [self._new_vm(i, ("PENDING", "LCM_INIT")) for i in range(vms)]
        self._choices: dict[VmState, tuple[list[str], list[float]]] = {}
        allowed = vm_edges(self.profile)
        for state, actions in VM_TRANSITIONS.items():
            names = [a for a, path in actions.items() if WEIGHTS.get(a, 1.0) > 0 and path
                     and all(e in allowed for e in zip((state, *path), path, strict=False))]  # fmt: skip
            self._choices[state] = (names, [WEIGHTS.get(a, 1.0) for a in names])

    def _new_vm(self, vm_id: int, state: VmState) -> _Vm:
        doc = default_document("VM", vm_id, *state)
        doc = self._enrich(self._fake, doc)
        assert isinstance(doc, VmDocument)
        if self._grow:
            doc = grow(doc)
        body = document_state_event(doc, self.profile).body
        return _Vm(vm_id, _template(body), state, [], {})

    def _keys_for(self, vm: _Vm, state: VmState) -> tuple[bytes, ...]:
        got = vm.keys.get(state)
        if got is None:
            keys = state_keys("VM", vm.id, state[0], state[1], profile=self.profile)
            got = vm.keys[state] = tuple(k.encode() for k in keys)
        return got

    def __iter__(self) -> Iterator[tuple[bytes, bytes]]:
        rng = self._rng
        vms = self._vms
        n = len(vms)
        while True:
            slot = rng.randrange(n)
            vm = vms[slot]
            if not vm.path:
                if vm.state == ("DONE", "LCM_INIT"):
                    # A terminated VM is gone; a fresh one takes its place in the pool.
                    vm = vms[slot] = self._new_vm(self._next_id, ("PENDING", "LCM_INIT"))
                    self._next_id += 1
                names, weights = self._choices[vm.state]
                vm.path = list(VM_TRANSITIONS[vm.state][rng.choices(names, weights)[0]])
            new = vm.path.pop(0)
            prev, vm.state = vm.state, new
            body = vm.template % (
                new[0].encode(), new[1].encode(), b"%d" % VM_STATES[new[0]], b"%d" % LCM_STATES[new[1]],
                b"%d" % VM_STATES[prev[0]], b"%d" % LCM_STATES[prev[1]],
            )  # fmt: skip
            content = b64encode(body)
            for key in self._keys_for(vm, new):
                yield key, content

    def take(self, n: int) -> list[tuple[bytes, bytes]]:
        """The next ``n`` messages."""
        it = iter(self)
        return [next(it) for _ in range(n)]
