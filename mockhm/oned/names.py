"""Which object names oned accepts: ``PoolObjectSQL::name_is_valid``
(``src/pool/PoolObjectSQL.cc@release-7.4.0``), checked where oned checks it."""

from __future__ import annotations

from typing import Final

#: Characters no object name may hold (``PoolObjectSQL::INVALID_NAME_CHARS``).
INVALID_NAME_CHARS: Final = "&|:\\\";/'#{}$<>\t\n\v\f\r"
#: The longest name oned accepts.
MAX_NAME_LENGTH: Final = 128


def name_problem(name: str) -> str | None:
    """oned's reason to refuse ``name`` (``"Invalid NAME, char '&' is not allowed"``), or ``None``."""
    if not name:
        return "Invalid NAME, it cannot be empty"
    bad = next((c for c in name if c in INVALID_NAME_CHARS), None)
    if bad is not None:
        return f"Invalid NAME, char '{bad}' is not allowed"
    if len(name) > MAX_NAME_LENGTH:
        return f"Invalid NAME, max length is {MAX_NAME_LENGTH} chars"
    return None
