"""Load runs: pacing, the run itself, worker processes and the load report.

May import every layer below: wire, schemas, traffic, oned, hookmanager, streams."""
