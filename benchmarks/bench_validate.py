"""Cost of validating one VM STATE body of about 6 KB against mockhm's schema.

The schema is compiled once (first call, not timed).  In interleaved rounds, each sample
times one call of:

* ``lxml floor``: what validation cannot avoid, lxml's strict parse plus the compiled
  schema's ``validate`` (no mockhm code);
* ``validate_body (fresh)``: :func:`mockhm.validate_body` of a body it has not seen lately
  (2,000 distinct bodies cycled, more than its memo keeps);
* ``validate_body (repeated)``: the same body again (an event published under two or three
  keys, a replay loop): the memo of bodies found valid answers without parsing;
* ``parse only``: lxml's parse alone.

The ratio fresh / floor (median and min..max over the rounds) is mockhm's own overhead.
Run as a script::

    python benchmarks/bench_validate.py [--samples N] [--rounds R]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

from lxml import etree

from mockhm.schemas.validation import validate_body
from mockhm.schemas.xsd import BODY_PARSER, compiled_schema, load_schema
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


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=2000, help="samples per path and round")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    body = six_kb_vm_body()
    start = time.perf_counter()
    load_schema("state-vm", "7.4")
    compile_ms = (time.perf_counter() - start) * 1000
    marker = b"<NAME>"
    at = body.index(marker) + len(marker)
    fresh = [body[:at] + b"v%05d-" % i + body[at:] for i in range(2000)]
    validate_body(body)  # warm up
    schema = compiled_schema("7.4", "state-vm").schema
    print(f"body: {len(body)} bytes; schema compiled once in {compile_ms:.1f} ms")

    def floor(b: bytes) -> None:
        if not schema.validate(etree.fromstring(b, BODY_PARSER)):
            raise SystemExit("the benchmark body is invalid")

    paths: dict[str, Callable[[int], object]] = {
        "lxml floor (parse + schema)": lambda i: floor(fresh[i % len(fresh)]),
        "validate_body (fresh)": lambda i: validate_body(fresh[i % len(fresh)]),
        "validate_body (repeated)": lambda i: validate_body(body),
        "parse only (lxml)": lambda i: etree.fromstring(fresh[i % len(fresh)], BODY_PARSER),
    }
    values: dict[str, list[float]] = {n: [] for n in paths}
    medians: dict[str, list[float]] = {n: [] for n in paths}
    counter = 0
    for r in range(args.rounds):
        names = list(paths) if r % 2 == 0 else list(reversed(paths))
        for name in names:
            fn = paths[name]
            got = []
            for _ in range(args.samples):
                counter += 1
                t = time.perf_counter_ns()
                fn(counter)
                got.append((time.perf_counter_ns() - t) / 1000)
            values[name] += got
            medians[name].append(statistics.median(got))
    for name, v in values.items():
        report(name, v)
    ratios = [
        f / b
        for f, b in zip(medians["validate_body (fresh)"], medians["lxml floor (parse + schema)"], strict=True)
    ]
    print(
        f"fresh / floor: median {statistics.median(ratios):.2f} (min {min(ratios):.2f} .. max {max(ratios):.2f}) "
        f"over {args.rounds} rounds"
    )
    return {
        "fresh_us": statistics.median(values["validate_body (fresh)"]),
        "repeated_us": statistics.median(values["validate_body (repeated)"]),
        "floor_us": statistics.median(values["lxml floor (parse + schema)"]),
        "parse_us": statistics.median(values["parse only (lxml)"]),
        "ratio_median": statistics.median(ratios),
        "ratio_min": min(ratios),
        "ratio_max": max(ratios),
    }


if __name__ == "__main__":
    main()
