"""The templated VM STATE stream: fast, and still the §5 life-cycles (reference §5, §3.3)."""

from __future__ import annotations

import base64
import re

from lxml import etree

from mockhm.load.generate import VmStateStream
from mockhm.load.run import load_pool
from mockhm.oned.lifecycle import vm_edges
from mockhm.schemas.validation import validate_body
from mockhm.wire.keys import state_keys
from mockhm.wire.states import LCM_STATES, VM_STATES

_KEY = re.compile(r"^EVENT VM (\d+)/([A-Z_]+)/([A-Z_]*) $")


def test_every_vm_walks_edges_of_the_graph_and_prev_holds_the_state_left() -> None:
    messages = VmStateStream(8, seed=3, profile="7.4").take(4000)
    edges = vm_edges("7.4")
    codes = {v: k for k, v in VM_STATES.items()}, {v: k for k, v in LCM_STATES.items()}
    last: dict[int, tuple[str, str]] = {}
    for i in range(0, len(messages), 2):  # one body, two keys (§2.1)
        (k1, content), (k2, again) = messages[i], messages[i + 1]
        assert content is again
        m = _KEY.match(k1.decode())
        assert m is not None, k1
        vm, state = int(m[1]), (m[2], m[3])
        assert (k1.decode(), k2.decode()) == state_keys("VM", vm, *state, profile="7.4")
        body = base64.b64decode(content, validate=True)
        if i < 400:
            validate_body(body, profile="7.4", key=k1.decode())
        doc = etree.fromstring(body).find("VM")
        assert doc is not None
        assert (
            codes[0][int(doc.findtext("STATE") or "")],
            codes[1][int(doc.findtext("LCM_STATE") or "")],
        ) == state
        prev = (
            codes[0][int(doc.findtext("PREV_STATE") or "")],
            codes[1][int(doc.findtext("PREV_LCM_STATE") or "")],
        )
        if vm in last:
            assert prev == last[vm] and (prev, state) in edges, (vm, prev, state)
        else:
            assert prev == ("PENDING", "LCM_INIT")  # a VM comes into the pool PENDING
        last[vm] = state
    assert len(last) > 8  # some VMs were terminated and replaced under fresh ids


def test_same_seed_same_bytes_and_a_load_source() -> None:
    assert VmStateStream(4, seed=9).take(50) == VmStateStream(4, seed=9).take(50)
    pool, description = load_pool("vm-states", size=100, seed=2)
    assert len(pool) == 100 and "VM STATE" in description
    assert all(len(base64.b64decode(f[1])) > 6000 for f in pool)  # production-sized documents
