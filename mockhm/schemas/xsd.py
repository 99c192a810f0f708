"""mockhm's own XSD set, compiled with lxml: the shipped files and the generated ``profile.xsd``.

The schema files live beside this module.  Everything that differs between releases
(state names and numbers, elements that exist only from some release on) is generated in
memory as ``profile.xsd`` from :mod:`mockhm.wire.states` and :mod:`mockhm.wire.profiles`,
so the tables there stay the single source of truth.

Schemas are compiled once per (profile, schema) and cached.  Parsing is safe: no
network, no DTD loading, no entity expansion; includes are served from the package by
an lxml resolver.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Final

from lxml import etree

from mockhm.wire.profiles import Profile, get_profile
from mockhm.wire.states import HOST_STATES, IMAGE_STATES, LCM_STATES, NET_STATES, VM_STATES, printed_state

if TYPE_CHECKING:
    from lxml.etree._docloader import _InputDocument

#: Every schema of the set, by name (``<name>.xsd`` in :mod:`mockhm.schemas`).
SCHEMA_NAMES: Final[tuple[str, ...]] = (
    "api",
    "envelope",
    "retry",
    "state",
    "state-host",
    "state-image",
    "state-net",
    "state-vm",
)
#: The name of the generated per-profile include.
PROFILE_XSD: Final[str] = "profile.xsd"
_BASE: Final[str] = "mockhm-schemas"
_XS: Final[str] = "http://www.w3.org/2001/XMLSchema"


def safe_parser(*, recover: bool = False) -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        recover=recover,
    )


#: Strict parser for bodies (well-formedness is part of validity).
BODY_PARSER: Final = safe_parser()
#: Lenient parser: the driver reads bodies with lenient Nokogiri (§3.2.1), so key
#: derivation must survive an ill-formed body the way it does.
LENIENT_PARSER: Final = safe_parser(recover=True)


# --------------------------------------------------------------------------- generation


def _enum(name: str, base: str, values: Iterable[str]) -> str:
    facets = "".join(f'<xs:enumeration value="{v}"/>' for v in values)
    return (
        f'<xs:simpleType name="{name}"><xs:restriction base="{base}">{facets}'
        "</xs:restriction></xs:simpleType>"
    )


def _group(name: str, content: str) -> str:
    return f'<xs:group name="{name}"><xs:sequence>{content}</xs:sequence></xs:group>'


def _by_number(table: dict[str, int], names: Iterable[str]) -> list[str]:
    return sorted(set(names), key=lambda n: table[n])


def profile_xsd(profile: str | Profile | None = None) -> bytes:
    """The generated ``profile.xsd`` of a profile: state types and release-only elements.

    Args:
        profile: a profile name or release number (default 7.4).

    Returns:
        The schema document, UTF-8.
    """
    p = get_profile(profile)
    image = _by_number(IMAGE_STATES, p.image_states)
    net = _by_number(NET_STATES, p.net_states)
    printed_image: list[str] = []
    for name in image:  # USED_PERS prints as USED (§4.4): never a STATE of its own
        text = printed_state("IMAGE", name)
        if text not in printed_image:
            printed_image.append(text)
    parts = [
        _enum("HookObjectName", "xs:string", sorted(p.state_objects)),
        _enum("VmStateName", "xs:string", _by_number(VM_STATES, VM_STATES)),
        _enum("LcmStateName", "xs:string", _by_number(LCM_STATES, p.lcm_states)),
        _enum("HostStateName", "xs:string", _by_number(HOST_STATES, p.host_states)),
        _enum("ImageStateName", "xs:string", printed_image),
        _enum("NetStateName", "xs:string", [printed_state("NET", n) for n in net]),
        _enum("VmStateNumber", "xs:integer", [str(VM_STATES[n]) for n in VM_STATES]),
        _enum(
            "LcmStateNumber",
            "xs:integer",
            [str(LCM_STATES[n]) for n in _by_number(LCM_STATES, p.lcm_states)],
        ),
        _enum(
            "HostStateNumber",
            "xs:integer",
            [str(HOST_STATES[n]) for n in _by_number(HOST_STATES, p.host_states)],
        ),
        _enum("ImageStateNumber", "xs:integer", [str(IMAGE_STATES[n]) for n in image]),
        _enum("NetStateNumber", "xs:integer", [str(NET_STATES[n]) for n in net]),
        _group(
            "ServiceId",
            '<xs:element name="SERVICE_ID" type="xs:nonNegativeInteger" minOccurs="0"/>'
            if p.service_key
            else "",
        ),
        _group(
            "VmSchedActions",
            '<xs:element name="SCHED_ACTIONS" type="Open"/>' if p.vm_sched_actions else "",
        ),
        _group(
            "VmBackups",
            '<xs:element name="BACKUPS"><xs:complexType><xs:sequence>'
            '<xs:element name="BACKUP_CONFIG" type="Open"/>'
            '<xs:element name="BACKUP_IDS" type="IdList"/>'
            "</xs:sequence></xs:complexType></xs:element>"
            if p.vm_backups
            else "",
        ),
        _group(
            "HistoryPlan",
            '<xs:element name="PLAN_ID" type="xs:integer"/><xs:element name="ACTION_ID" type="xs:integer"/>'
            if p.history_plan
            else "",
        ),
        _group(
            "VnetTemplateId",
            '<xs:element name="TEMPLATE_ID" type="OptionalInteger"/>' if p.vnet_template_id else "",
        ),
        _group(
            "VnetUpdateLists",
            "".join(
                f'<xs:element name="{n}" type="IdList"/>'
                for n in ("UPDATED_VMS", "OUTDATED_VMS", "UPDATING_VMS", "ERROR_VMS")
            )
            if getattr(p, "vnet_update_lists", True)
            else "",
        ),
    ]
    head = f"<!-- generated by mockhm for profile {p.name} -->"
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>{head}<xs:schema xmlns:xs="{_XS}">'
        + "".join(parts)
        + "</xs:schema>"
    ).encode()


def schema_source(name: str) -> bytes:
    """The text of one shipped schema file (``name`` with or without ``.xsd``)."""
    filename = name if name.endswith(".xsd") else f"{name}.xsd"
    return resources.files("mockhm.schemas").joinpath(filename).read_bytes()


class _PackageResolver(etree.Resolver):
    """Serves ``mockhm-schemas/<profile>/<file>``: package files and the generated include."""

    def resolve(
        self, system_url: str | None, public_id: str | None, context: object
    ) -> _InputDocument | None:
        del public_id
        parts = (system_url or "").split("/")
        if len(parts) < 3 or parts[-3] != _BASE:
            return None  # anything else stays unresolved (and no_network forbids fetching)
        profile, filename = parts[-2], parts[-1]
        data = profile_xsd(profile) if filename == PROFILE_XSD else schema_source(filename)
        return self.resolve_string(data, context, base_url=system_url)


@dataclass
class _Compiled:
    schema: etree.XMLSchema
    lock: threading.Lock


@cache
def compiled_schema(profile_name: str, name: str) -> _Compiled:
    if name not in SCHEMA_NAMES:
        raise ValueError(f"unknown schema {name!r}; expected one of {', '.join(SCHEMA_NAMES)}")
    parser = safe_parser()
    parser.resolvers.add(_PackageResolver())
    url = f"{_BASE}/{profile_name}/{name}.xsd"
    doc = etree.fromstring(schema_source(name), parser, base_url=url).getroottree()
    return _Compiled(etree.XMLSchema(doc), threading.Lock())


def load_schema(name: str, profile: str | Profile | None = None) -> etree.XMLSchema:
    """The compiled schema ``name`` (one of :data:`SCHEMA_NAMES`) for ``profile`` (cached)."""
    return compiled_schema(get_profile(profile).name, name).schema
