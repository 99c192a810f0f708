"""Streams on disk: capture files, scenarios, record (scrubbing, cassettes), replay, file validation.

May import: wire, schemas, traffic, oned, hookmanager (the layers below)."""
