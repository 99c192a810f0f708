"""Info calls per second of the mock oned front-end, next to a bare stdlib XML-RPC server.

Both servers answer ``one.vm.info`` with the same document (the front-end's own VM after a
deploy) in the same process, in alternating rounds:

* ``frontend`` - :class:`mockhm.FrontEnd` over :class:`mockhm.oned.Oned` (session check,
  the model's lock, the document rendered per call, xmlrpc-c's response form with the
  Hook Manager beside it);
* ``bare``     - ``xmlrpc.server.SimpleXMLRPCServer`` with one registered function returning the
  pre-rendered ``[True, document, 0]``: the floor of the stdlib XML-RPC stack.

Both speak HTTP/1.1 with keep-alive; one client (``xmlrpc.client.ServerProxy``, one
connection) calls sequentially.  The ratio frontend/bare is computed per round pair and
reported as median, min..max.  Loopback only.

Run:  python benchmarks/bench_frontend.py [--rounds 7] [--calls 1000] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import threading
import time
import xmlrpc.client
from xmlrpc.server import SimpleXMLRPCRequestHandler, SimpleXMLRPCServer

from mockhm import FrontEnd, HookManager


class _KeepAlive(SimpleXMLRPCRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass


def _rate(url: str, session: str, vid: int, calls: int) -> float:
    with xmlrpc.client.ServerProxy(url) as proxy:
        proxy.one.vm.info(session, vid)  # connect and warm up
        start = time.perf_counter()
        for _ in range(calls):
            proxy.one.vm.info(session, vid)
        return calls / (time.perf_counter() - start)


def main(argv: list[str] | None = None) -> dict[str, object]:
    """Run the benchmark, print the table; the figures (also written with ``--json``)."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rounds", type=int, default=7)
    p.add_argument("--calls", type=int, default=1000)
    p.add_argument("--json", default=None)
    args = p.parse_args(argv)
    with (
        HookManager("tcp://127.0.0.1:*", "tcp://127.0.0.1:*", journal=False) as hm,
        FrontEnd(hm, url="http://127.0.0.1:0/RPC2", drivers="manual") as fe,
    ):
        fe.call("one.host.allocate", fe.session, "bench-host", "dummy", "dummy", -1)
        ok, vid, _ = fe.call("one.vm.allocate", fe.session, 'NAME="bench"\nCPU="1"\nMEMORY="64"')  # type: ignore[misc]
        fe.settle()
        ok, doc, _ = fe.call("one.vm.info", fe.session, vid)  # type: ignore[misc]
        assert ok, doc
        document = [True, doc, 0]
        bare = SimpleXMLRPCServer(("127.0.0.1", 0), requestHandler=_KeepAlive, logRequests=False)
        bare.register_function(lambda session, oid: document, "one.vm.info")
        thread = threading.Thread(target=bare.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        thread.start()
        bare_url = f"http://127.0.0.1:{bare.server_address[1]}/RPC2"
        rates: dict[str, list[float]] = {"frontend": [], "bare": []}
        try:
            for i in range(args.rounds):
                order = [("frontend", fe.url), ("bare", bare_url)]
                for name, url in order if i % 2 == 0 else reversed(order):
                    rates[name].append(_rate(url, fe.session, vid, args.calls))
        finally:
            bare.shutdown()
            bare.server_close()
            thread.join(5)
    ratios = [f / b for f, b in zip(rates["frontend"], rates["bare"], strict=True)]
    print(f"machine: {os.cpu_count()} cores, {platform.processor() or platform.machine()}, "
          f"Python {platform.python_version()}")  # fmt: skip
    print(
        f"document: one.vm.info of a deployed VM, {len(doc)} bytes; {args.calls} calls x {args.rounds} rounds"
    )
    for name, values in rates.items():
        print(f"  {name:9s} median {statistics.median(values):8.0f} calls/s  "
              f"(min {min(values):.0f} .. max {max(values):.0f})")  # fmt: skip
    print(f"  ratio frontend/bare: median {statistics.median(ratios):.2f} "
          f"(min {min(ratios):.2f} .. max {max(ratios):.2f})")  # fmt: skip
    figures: dict[str, object] = {
        "rates": rates,
        "ratios": ratios,
        "document_bytes": len(doc),
        "frontend_median": statistics.median(rates["frontend"]),
        "bare_median": statistics.median(rates["bare"]),
        "ratio_median": statistics.median(ratios),
        "ratio_min": min(ratios),
        "ratio_max": max(ratios),
    }
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(figures, fh, indent=2)
    return figures


if __name__ == "__main__":
    main()
