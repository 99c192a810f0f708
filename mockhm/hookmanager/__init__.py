"""The Hook Manager shell: ZeroMQ XPUB on 2101 (events) and REP on 2102 (hook reports).

May import: wire, schemas."""
