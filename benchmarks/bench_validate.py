"""Cost of validating one VM STATE body of about 6 KB against mockhm's schema.

The schema is compiled once (first call, not timed).  Each sample times one
``validate_body`` call (strict parse + schema validation); parsing alone is timed the
same way for reference.  Run as a script::

    python benchmarks/bench_validate.py [--samples N]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

from lxml import etree

from mockhm.schemas.validation import validate_body
from mockhm.schemas.xsd import load_schema
from mockhm.wire.bodies import document_state_event
from mockhm.wire.defaults import default_vm
from mockhm.wire.documents import History


def six_kb_vm_body() -> bytes:
    """A deployed VM with disks, NICs, a user template and a few history records."""
    vm = default_vm(42, "ACTIVE", "RUNNING")
    vm.template.update(
        {
            "CONTEXT": {"NETWORK": "YES", "SSH_PUBLIC_KEY": "ssh-ed25519 AAAAC3Nza" + "x" * 60},
            "DISK": [
                {"DISK_ID": str(i), "IMAGE": f"img-{i}", "IMAGE_ID": str(i), "SIZE": "10240",
                 "SOURCE": f"/var/lib/one//datastores/1/{i:032x}", "TARGET": f"vd{chr(97 + i)}",
                 "TM_MAD": "ssh", "TYPE": "FILE"}
                for i in range(5)
            ],
            "NIC": [
                {"BRIDGE": "onebr0", "IP": f"10.0.0.{10 + i}", "MAC": f"02:00:0a:00:00:{10 + i:02x}",
                 "NETWORK": "priv", "NETWORK_ID": "0", "NIC_ID": str(i), "VN_MAD": "bridge"}
                for i in range(3)
            ],
        }
    )  # fmt: skip
    vm.user_template.update({"DESCRIPTION": "benchmark VM", "LABELS": "bench,web", "ROLE": "web"})
    for seq in range(1, 4):
        vm.history.append(History(oid=42, seq=seq, hostname=f"node{seq}", hid=seq, stime=seq))
    return document_state_event(vm).body


def sample(fn: Callable[[], object], samples: int) -> list[float]:
    out = []
    for _ in range(samples):
        start = time.perf_counter_ns()
        fn()
        out.append((time.perf_counter_ns() - start) / 1000)
    return out


def report(name: str, values: list[float]) -> None:
    q1, median, q3 = statistics.quantiles(values, n=4)
    print(
        f"{name:<28} median {median:8.1f} µs   IQR {q1:.1f}..{q3:.1f}   "
        f"min..max {min(values):.1f}..{max(values):.1f}   (n={len(values)})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=3000)
    args = parser.parse_args()
    body = six_kb_vm_body()
    start = time.perf_counter()
    load_schema("state-vm", "7.4")
    compile_ms = (time.perf_counter() - start) * 1000
    validate_body(body)  # warm up
    print(f"body: {len(body)} bytes; schema compiled once in {compile_ms:.1f} ms")
    report("parse only (lxml)", sample(lambda: etree.fromstring(body), args.samples))
    report("validate_body", sample(lambda: validate_body(body), args.samples))


if __name__ == "__main__":
    main()
