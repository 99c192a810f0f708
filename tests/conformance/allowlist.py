"""The values a conforming mockhm may print differently from a real oned, and why.

This is the one place of the conformance suite that loosens equality.  Element
structure and order, keys and every other value must be equal.  Each entry names a
leaf (by tag, or ``PARENT/TAG``) and a rule that the two values must still satisfy.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Final

Rule = Callable[[str, str], bool]


def _bare(text: str) -> str:
    return text.removeprefix("<![CDATA[").removesuffix("]]>")


def _time(real: str, mock: str) -> bool:
    """Wall-clock seconds: both unset (0) or both set, written alike (raw or CDATA)."""
    if real.startswith("<![CDATA[") != mock.startswith("<![CDATA["):
        return False
    real, mock = _bare(real), _bare(mock)
    return (real == "0") == (mock == "0") and real.lstrip("-").isdigit() and mock.lstrip("-").isdigit()


def _plan(real: str, mock: str) -> bool:
    """The plan manager marks a scheduler deploy's record (PLAN_ID -1, ACTION_ID 0) on its own
    thread while the LCM runs the prolog, so PROLOG* events show it or the unplanned -2/-1
    (``7.4.0-vm-lifecycle.jsonl``: PROLOG_RESUME has -1/0, PROLOG_UNDEPLOY -2/-1)."""
    return {real, mock} in ({"-2", "-1"}, {"-1", "0"})


def _request_id(real: str, mock: str) -> bool:
    """oned numbers each XML-RPC request at random: both -1 (no request) or both a number."""
    return (real == "-1") == (mock == "-1")


def _uuid(real: str, mock: str) -> bool:
    shape = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
    return bool(shape.match(_bare(real))) and bool(shape.match(_bare(mock)))


def _number(real: str, mock: str) -> bool:
    """A probe reading: any number (CDATA or raw as the real one)."""
    return real.startswith("<![CDATA[") == mock.startswith("<![CDATA[") and _bare(mock).lstrip("-").isdigit()


def _image_source(real: str, mock: str) -> bool:
    """An image SOURCE: the datastore path is fixed, the file name is a random hash."""
    return real.rsplit("/", 1)[0] == mock.rsplit("/", 1)[0]


#: tag or PARENT/TAG -> (rule, reason)
ALLOWED: Final[dict[str, tuple[Rule, str]]] = {
    **dict.fromkeys(
        ("STIME", "ETIME", "PSTIME", "PETIME", "RSTIME", "RETIME", "ESTIME", "EETIME", "REGTIME", "MODTIME",
         "LAST_POLL", "TIMESTAMP", "LAST_MON_TIME"),
        (_time, "a wall-clock time of the run"),
    ),
    "HISTORY/PLAN_ID": (_plan, "a race between oned's plan manager and its LCM (see _plan)"),
    "HISTORY/ACTION_ID": (_plan, "a race between oned's plan manager and its LCM (see _plan)"),
    "REQUEST_ID": (_request_id, "oned's random number of the XML-RPC request"),
    "OS/UUID": (_uuid, "a random UUID oned generates for each VM"),
    "DATASTORES/FREE_DISK": (_number, "a reading of the dummy monitoring probe (random)"),
    "DATASTORES/USED_DISK": (_number, "a reading of the dummy monitoring probe (random)"),
    **{
        f"MONITORING/{tag}": (_number, "a reading of the dummy VM monitoring probe (random)")
        for tag in ("CPU", "DISKRDBYTES", "DISKRDIOPS", "DISKWRBYTES", "DISKWRIOPS", "MEMORY", "NETRX", "NETTX")
    },
    "IMAGE/SOURCE": (_image_source, "the random file name the datastore driver gives an image"),
}  # fmt: skip


def allowed(path: tuple[str, ...], real: str, mock: str) -> str | None:
    """The reason ``real`` and ``mock`` may differ at ``path``, or ``None`` if they may not."""
    for key in ("/".join(path[-2:]), path[-1]):
        entry = ALLOWED.get(key)
        if entry is not None and entry[0](real, mock):
            return entry[1]
    return None
