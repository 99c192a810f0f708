"""Recording captures: the scrubbing policy (:mod:`.rules`) and scrubber (:mod:`.scrub`), the
recorder (:mod:`.recorder`) and cassettes (:mod:`.cassette`).

May import: wire, traffic, hookmanager (endpoint checks), streams.capturefile; streams.replay lazily.
"""

from __future__ import annotations

from mockhm.streams.record.cassette import RECORD_MODES, Cassette, CassetteError, CassettePlan
from mockhm.streams.record.recorder import Recorder, RecordReport, record
from mockhm.streams.record.rules import SCRUBBED
from mockhm.streams.record.scrub import Scrubber

__all__ = [
    "RECORD_MODES",
    "SCRUBBED",
    "Cassette",
    "CassetteError",
    "CassettePlan",
    "RecordReport",
    "Recorder",
    "Scrubber",
    "record",
]
