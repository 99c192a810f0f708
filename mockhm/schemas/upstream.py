"""Checking bodies against OpenNebula's own XSDs, and where they part from the wire.

OpenNebula's schemas (``share/doc/xsd`` in a checkout) put every element in the
``http://opennebula.org/XMLSchema`` namespace, while oned sends none.  To use them at all,
the namespace is injected into every element of the body first, which is what
OpenNebula's old schema test script did by adding ``xmlns=`` to the root element.
The schema is picked by body kind: ``hook_message_api.xsd``, ``hook_message_state.xsd``
or ``hook_message_retry.xsd``.

:func:`drift_cases` and :func:`drift_markdown` produce the table in
``docs/upstream-drift.md``: which kinds of body mockhm emits pass upstream's schemas.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Final

from lxml import etree

from mockhm.schemas.validation import split_libxml_message
from mockhm.wire.errors import BodyValidationError, MockHMError
from mockhm.wire.profiles import Profile, get_profile

#: The namespace of OpenNebula's schemas.
UPSTREAM_NS: Final[str] = "http://opennebula.org/XMLSchema"
#: The upstream schema file for each body kind.
UPSTREAM_SCHEMAS: Final[dict[str, str]] = {
    "API": "hook_message_api.xsd",
    "STATE": "hook_message_state.xsd",
    "RETRY": "hook_message_retry.xsd",
}


class UpstreamSchemaError(MockHMError, ValueError):
    """An upstream schema directory or file that cannot be used (missing, ill-formed, not compiling)."""

    def __init__(self, message: str, *, path: str) -> None:
        super().__init__(message)
        self.path = path


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


def body_kind(root: etree._Element) -> str | None:
    """``API``, ``STATE`` or ``RETRY`` for a parsed body, ``None`` if it is none of them."""
    first = next(root.iterchildren(etree.Element), None)
    if root.tag != "HOOK_MESSAGE" or first is None:
        return None
    if first.tag == "ARGUMENTS":
        return "RETRY"
    if first.tag == "HOOK_TYPE" and first.text in ("API", "STATE"):
        return first.text
    return None


def inject_namespace(root: etree._Element, namespace: str = UPSTREAM_NS) -> etree._Element:
    """A copy of ``root`` with every element without a namespace put into ``namespace``."""
    out = copy.deepcopy(root)
    for node in out.iter(etree.Element):
        tag = node.tag
        if isinstance(tag, str) and not tag.startswith("{"):
            node.tag = f"{{{namespace}}}{tag}"
    return out


class UpstreamSchemas:
    """A directory of upstream XSDs, compiled lazily per body kind and cached.

    Args:
        directory: e.g. ``../shared/opennebula/xsd/release-7.4.0`` or an OpenNebula
            checkout's ``share/doc/xsd``.
    """

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)
        if not self.directory.is_dir():
            raise UpstreamSchemaError(
                f"upstream schema directory {self.directory} does not exist", path=str(directory)
            )
        self._compiled: dict[str, etree.XMLSchema] = {}
        self._lock = threading.Lock()

    def schema(self, kind: str) -> etree.XMLSchema:
        """The compiled schema for body kind ``kind`` (``API``, ``STATE``, ``RETRY``)."""
        with self._lock:
            if kind in self._compiled:
                return self._compiled[kind]
            if kind not in UPSTREAM_SCHEMAS:
                raise ValueError(f"unknown body kind {kind!r}; expected one of API, STATE, RETRY")
            path = self.directory / UPSTREAM_SCHEMAS[kind]
            if not path.is_file():
                raise UpstreamSchemaError(f"{path} does not exist", path=str(path))
            try:
                doc = etree.parse(str(path), _parser())
            except etree.XMLSyntaxError as err:
                raise UpstreamSchemaError(
                    f"{path} is not well-formed XML: line {err.lineno}: {err.msg}", path=str(path)
                ) from None
            try:
                compiled = etree.XMLSchema(doc)
            except etree.XMLSchemaParseError as err:
                raise UpstreamSchemaError(f"{path} does not compile: {err}", path=str(path)) from None
            self._compiled[kind] = compiled
            return compiled

    def validate(self, body: bytes, *, key: str | None = None) -> None:
        """Validate ``body`` with the namespace injected.

        Raises:
            BodyValidationError: the body is ill-formed, of no known kind, or invalid
                for the upstream schema; the error names the schema file, line,
                element and reason.
            UpstreamSchemaError: the schema for the body's kind cannot be loaded.
        """
        label = f"body for {key!r}" if key is not None else "body"
        try:
            root = etree.fromstring(body, _parser())
        except etree.XMLSyntaxError as err:
            raise BodyValidationError(
                f"{label} is not well-formed XML, no schema can accept it: line {err.lineno}: {err.msg}",
                key=key,
                line=err.lineno,
                reason=str(err.msg),
            ) from None
        kind = body_kind(root)
        if kind is None:
            raise BodyValidationError(
                f"{label} is not an API, STATE or RETRY HOOK_MESSAGE", key=key, reason="unknown kind"
            )
        schema = self.schema(kind)
        name = UPSTREAM_SCHEMAS[kind]
        with self._lock:
            if schema.validate(inject_namespace(root)):
                return
            error = schema.error_log[0]
        element, reason = split_libxml_message(error.message.replace(f"{{{UPSTREAM_NS}}}", ""))
        reason = reason.strip().removesuffix(".")
        raise BodyValidationError(
            f"{label} does not match upstream {name} ({self.directory}): line {error.line}: "
            f"element {element}: {reason}",
            key=key,
            schema=f"upstream {name}",
            line=error.line,
            element=element,
            reason=reason,
        )


@lru_cache(maxsize=8)
def upstream_schemas(directory: str | Path) -> UpstreamSchemas:
    """A cached :class:`UpstreamSchemas` for ``directory``."""
    return UpstreamSchemas(Path(directory).resolve())


def validate_upstream(body: bytes, directory: str | Path, *, key: str | None = None) -> None:
    """Validate ``body`` against the upstream XSDs in ``directory`` (namespace injected)."""
    upstream_schemas(directory).validate(body, key=key)


# --------------------------------------------------------------------------- drift table


@dataclass(frozen=True)
class DriftCase:
    """One kind of body for the drift table: a name, what it stands for, and the body."""

    name: str
    description: str
    body: bytes
    profile: str = "7.4"


@dataclass(frozen=True)
class DriftRow:
    """A :class:`DriftCase` with both verdicts (``None`` means valid)."""

    case: DriftCase
    ours: str | None
    upstream: str | None


def _short(err: BodyValidationError) -> str:
    if err.element:
        return f"{err.element}: {err.reason}"
    return err.reason or str(err)


def drift_rows(cases: Iterable[DriftCase], directory: str | Path) -> list[DriftRow]:
    """Check every case against mockhm's schemas and the upstream ones."""
    from mockhm.schemas.validation import validate_body

    upstream = UpstreamSchemas(directory)
    rows = []
    for case in cases:
        ours: str | None = None
        theirs: str | None = None
        try:
            validate_body(case.body, profile=case.profile)
        except BodyValidationError as err:
            ours = _short(err)
        try:
            upstream.validate(case.body)
        except BodyValidationError as err:
            theirs = _short(err)
        rows.append(DriftRow(case, ours, theirs))
    return rows


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def drift_markdown(rows: Sequence[DriftRow], *, upstream_label: str) -> str:
    """The drift table as Markdown (deterministic: the committed docs page is compared)."""
    lines = [
        "# Upstream schema drift",
        "",
        "<!-- generated by tests/test_upstream.py::test_drift_table_is_current; do not edit -->",
        "",
        f"Bodies as mockhm builds them, checked against mockhm's schemas and against "
        f"OpenNebula's `{upstream_label}` XSDs with the namespace `{UPSTREAM_NS}` injected "
        "into every element (oned sends none); [the wire protocol](protocol.md#schemas) says why "
        "they disagree. "
        "`mockhm validate --upstream DIR` runs the same check on any capture.",
        "",
        "| body | mockhm | upstream | upstream's first complaint |",
        "|---|---|---|---|",
    ]
    for row in rows:
        ours = "valid" if row.ours is None else f"**invalid**: {_cell(row.ours)}"
        theirs = "valid" if row.upstream is None else "**rejected**"
        why = "" if row.upstream is None else _cell(row.upstream)
        lines.append(f"| {_cell(row.case.description)} | {ours} | {theirs} | {why} |")
    passing = sum(1 for r in rows if r.upstream is None)
    lines += [
        "",
        f"{passing} of {len(rows)} kinds of body pass upstream. As oned sends them, a VM passes "
        "only once it has been deployed (TEMPLATE/TM_MAD_SYSTEM) and has no DISK/IMAGE attribute "
        "(upstream checks a DISK's IMAGE child against its global IMAGE document element); a "
        "fresh host's DATASTORES carries four zeros, as a real 7.4.0 oned writes it. "
        "`Cloud(upstream_compatible=True)` (or the "
        "`upstream_compatible` field of a VM document) builds those shapes so that "
        "upstream accepts them. No HOST or NET STATE body and no VM with SERVICE_ID or RETRY "
        "with REMOTE_HOST can pass, whatever the builder does.",
        "",
    ]
    return "\n".join(lines)


def drift_cases(profile: str | Profile | None = None) -> list[DriftCase]:
    """One body of each kind mockhm emits, built with mockhm's own builders."""
    from mockhm.wire.bodies import api_event, retry_message, state_event

    p = get_profile(profile)
    cases: list[tuple[str, str, Callable[[], bytes]]] = [
        ("api-success", "API success (`one.vm.action` poweroff)",
         lambda: api_event("one.vm.action", ["poweroff", 5], result=5, profile=p).body),
        ("api-failure", "API failure (error message)",
         lambda: api_event("one.vm.action", ["poweroff", 99], success=False,
                           error="[one.vm.action] Error getting virtual machine [99].",
                           resp_id=99, profile=p).body),
        ("api-xml-template", "API with an XML template as IN value",
         lambda: api_event("one.vm.allocate", ["<TEMPLATE><CPU>1</CPU></TEMPLATE>", False],
                           result=5, profile=p).body),
        ("api-ampersand",
         "API with `&` in a template string (ill-formed on purpose, [escaping](protocol.md#escaping))",
         lambda: api_event("one.vm.update", [5, 'DESCRIPTION="a & b"', 1], result=5,
                           profile=p, ill_formed=True).body),
        ("vm-pending", "STATE VM PENDING (allocated, never deployed)",
         lambda: state_event("VM", 5, "PENDING", "LCM_INIT", profile=p).body),
        ("vm-running", "STATE VM ACTIVE/RUNNING (deployed)",
         lambda: state_event("VM", 5, "ACTIVE", "RUNNING", profile=p).body),
        ("vm-service", "STATE VM ACTIVE/RUNNING of a OneFlow service (SERVICE_ID)",
         lambda: state_event("VM", 7, "ACTIVE", "RUNNING", profile=p,
                             user_template={"ROLE_NAME": "web", "SERVICE_ID": "3"}).body),
        ("host-init", "STATE HOST INIT (just allocated)",
         lambda: state_event("HOST", 0, "INIT", profile=p).body),
        ("host-monitored", "STATE HOST MONITORED",
         lambda: state_event("HOST", 0, "MONITORED", profile=p).body),
        ("image-ready", "STATE IMAGE READY",
         lambda: state_event("IMAGE", 3, "READY", profile=p).body),
        ("net-ready", "STATE NET READY",
         lambda: state_event("NET", 2, "READY", profile=p).body),
        ("net-update-failure", "STATE NET UPDATE_FAILURE (empty STATE, [states](protocol.md#other-states))",
         lambda: state_event("NET", 2, "UPDATE_FAILURE", profile=p).body),
        ("retry", "RETRY without REMOTE_HOST",
         lambda: retry_message(0, "PEhPT0tfTUVTU0FHRT4= 5", profile=p).body),
        ("retry-remote", "RETRY with REMOTE_HOST",
         lambda: retry_message(0, "PEhPT0tfTUVTU0FHRT4= 5", remote_host="node1", profile=p).body),
    ]  # fmt: skip
    return [DriftCase(name, text, build(), p.name) for name, text, build in cases]


__all__ = [
    "UPSTREAM_NS",
    "UPSTREAM_SCHEMAS",
    "DriftCase",
    "DriftRow",
    "UpstreamSchemaError",
    "UpstreamSchemas",
    "body_kind",
    "drift_cases",
    "drift_markdown",
    "drift_rows",
    "inject_namespace",
    "upstream_schemas",
    "validate_upstream",
]
