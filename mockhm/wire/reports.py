"""The 2102 channel: what hook executors report back.

A request is ``"<rc> <hook_id> <b64>"``; the base64 holds an XML *fragment* with no
single root: ``ARGUMENTS``, ``EXECUTION_RESULT`` and optional ``REMOTE_HOST`` and
``RETRY``.  :func:`parse_report` keeps everything it can read and says what it could not.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass

from lxml import etree

#: What the driver answers to every request, before it processes it (§3.5).
ACK = b"ACK"

#: ``huge_tree``: a hook's STDOUT may exceed libxml2's 10 MB text-node limit (issue 10, item 16);
#: entities are never resolved and no DTD is loaded, so that opens no expansion attack.
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True)


@dataclass(frozen=True)
class HookReport:
    """One decoded report from a hook executor, as received on the 2102 channel.

    A report that cannot be read completely is kept anyway, with :attr:`error` saying why;
    the fields that could be read are filled.
    """

    raw: bytes
    """The request exactly as received."""
    rc: int | None
    """Return code of the hook (token 1)."""
    hook_id: int | None
    """Id of the hook that ran (token 2)."""
    arguments: str | None = None
    """ARGUMENTS text (as the executor sent it, raw)."""
    command: str | None = None
    """EXECUTION_RESULT/COMMAND."""
    stdout: str | None = None
    """EXECUTION_RESULT/STDOUT, base64-decoded (it travels as ``Base64.encode64``)."""
    stderr: str | None = None
    """EXECUTION_RESULT/STDERR, base64-decoded."""
    code: int | None = None
    """EXECUTION_RESULT/CODE."""
    remote_host: str | None = None
    """REMOTE_HOST, for hooks run on a host."""
    retry: bool = False
    """``<RETRY>yes</RETRY>``: the execution answered a RETRY message."""
    error: str | None = None
    """Why the report could not be read completely, or ``None``."""

    @property
    def ok(self) -> bool:
        """The hook succeeded (rc 0), as the driver's SUCCESS/FAILURE says."""
        return self.rc == 0

    def matches(
        self,
        hook_id: int | None = None,
        rc: int | None = None,
        where: Callable[[HookReport], bool] | None = None,
    ) -> bool:
        """Is this a report for ``hook_id`` with ``rc`` that satisfies ``where``?  (``None``: any)"""
        return (
            (hook_id is None or self.hook_id == hook_id)
            and (rc is None or self.rc == rc)
            and (where is None or where(self))
        )


def _int(text: str | None) -> int | None:
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None


def _b64text(text: str | None) -> str | None:
    if text is None:
        return None
    try:
        return base64.b64decode("".join(text.split()), validate=True).decode("utf-8", "replace")
    except (binascii.Error, ValueError):
        return text


def parse_report(raw: bytes) -> HookReport:
    """Decode one 2102 request; never raises (a report that cannot be read carries ``error``)."""
    parts = raw.split(b" ", 2)
    rc = _int(parts[0].decode("ascii", "replace")) if parts else None
    hook_id = _int(parts[1].decode("ascii", "replace")) if len(parts) > 1 else None
    if len(parts) < 3 or rc is None or hook_id is None:
        return HookReport(raw, rc, hook_id, error="expected '<rc> <hook_id> <base64>'")
    try:
        fragment = base64.b64decode(parts[2].strip(), validate=True)
    except (binascii.Error, ValueError) as err:
        return HookReport(raw, rc, hook_id, error=f"result is not base64: {err}")
    try:
        # The fragment has no single root (§3.5): wrap it before parsing.
        root = etree.fromstring(b"<REPORT>" + fragment + b"</REPORT>", _PARSER)
    except etree.XMLSyntaxError as err:
        return HookReport(raw, rc, hook_id, error=f"result is not well-formed XML: {err}")
    return HookReport(
        raw,
        rc,
        hook_id,
        arguments=root.findtext("ARGUMENTS"),
        command=root.findtext("EXECUTION_RESULT/COMMAND"),
        stdout=_b64text(root.findtext("EXECUTION_RESULT/STDOUT")),
        stderr=_b64text(root.findtext("EXECUTION_RESULT/STDERR")),
        code=_int(root.findtext("EXECUTION_RESULT/CODE")),
        remote_host=root.findtext("REMOTE_HOST"),
        retry=root.findtext("RETRY") == "yes",
    )


def encode_report(
    rc: int,
    hook_id: int,
    *,
    arguments: str = "",
    command: str = "",
    stdout: str = "",
    stderr: str = "",
    remote_host: str | None = None,
    retry: bool = False,
) -> bytes:
    """A request as onehem-server builds it, for HEM-style clients and tests.

    STDOUT/STDERR use Ruby's ``Base64.encode64`` layout: a newline every 60 characters.
    """

    def encode64(text: str) -> str:
        data = base64.b64encode(text.encode()).decode("ascii")
        return "".join(data[i : i + 60] + "\n" for i in range(0, len(data), 60))

    fragment = (
        f"<ARGUMENTS>{arguments}</ARGUMENTS><EXECUTION_RESULT><COMMAND>{command}</COMMAND>"
        f"<STDOUT>{encode64(stdout)}</STDOUT><STDERR>{encode64(stderr)}</STDERR>"
        f"<CODE>{rc}</CODE></EXECUTION_RESULT>"
        + (f"<REMOTE_HOST>{remote_host}</REMOTE_HOST>" if remote_host else "")
        + ("<RETRY>yes</RETRY>" if retry else "")
    )
    return f"{rc} {hook_id} ".encode() + base64.b64encode(fragment.encode())
