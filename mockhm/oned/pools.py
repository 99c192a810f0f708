"""The pools beside VMs and hosts: datastores, VM templates, users, groups, clusters.

A fresh oned (a new database) holds the datastores 0 ``system``, 1 ``default`` and
2 ``files``, the users 0 ``oneadmin`` and 1 ``serveradmin``, the groups 0 ``oneadmin``
and 1 ``users`` and the cluster 0 ``default`` (``src/nebula/Nebula.cc`` and the pools'
bootstrap at ``release-7.4.0``), so object ids line up with a real oned's.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mockhm.oned.template import Attribute
from mockhm.wire.documents import DEFAULT_PERMISSIONS, Owner
from mockhm.wire.xml import Template, cdata, el, template

#: DATASTORE TYPE and DISK_TYPE names -> numbers.
_DS_TYPES = {"IMAGE_DS": 0, "SYSTEM_DS": 1, "FILE_DS": 2, "BACKUP_DS": 3}
_PERM_TAGS = tuple(f"{who}_{what}" for who in ("OWNER", "GROUP", "OTHER") for what in "UMA")


def _permissions(bits: tuple[int, ...]) -> str:
    return (
        "<PERMISSIONS>" + "".join(el(t, b) for t, b in zip(_PERM_TAGS, bits, strict=True)) + "</PERMISSIONS>"
    )


def merge(old: dict[str, object], attrs: list[Attribute], *, replace: bool) -> dict[str, object]:
    """``one.X.update``: type 0 replaces the template, type 1 merges into it."""
    new: dict[str, object] = {} if replace else dict(old)
    new.update(dict(attrs))
    return new


@dataclass
class Datastore:
    """A ``<DATASTORE>`` as ``Datastore::to_xml`` writes it."""

    id: int
    name: str
    type: str
    template: dict[str, object]
    owner: Owner = field(default_factory=Owner)
    permissions: tuple[int, ...] = (1, 1, 0, 1, 0, 0, 0, 0, 0)
    total_mb: int = 0
    free_mb: int = 0
    used_mb: int = 0
    images: list[int] = field(default_factory=list)

    @property
    def ds_mad(self) -> str:
        return str(self.template.get("DS_MAD", "-"))

    @property
    def tm_mad(self) -> str:
        return str(self.template.get("TM_MAD", ""))

    def to_xml(self) -> str:
        tmpl: Template = self.template  # type: ignore[assignment]
        return (
            "<DATASTORE>" + el("ID", self.id) + self.owner.to_xml() + el("NAME", self.name)
            + _permissions(self.permissions) + cdata("DS_MAD", self.ds_mad) + cdata("TM_MAD", self.tm_mad)
            + cdata("BASE_PATH", f"/var/lib/one//datastores/{self.id}") + el("TYPE", _DS_TYPES[self.type])
            + el("DISK_TYPE", 0) + el("STATE", 0) + "<CLUSTERS>" + el("ID", 0) + "</CLUSTERS>"
            + el("TOTAL_MB", self.total_mb) + el("FREE_MB", self.free_mb) + el("USED_MB", self.used_mb)
            + "<IMAGES>" + "".join(el("ID", i) for i in self.images) + "</IMAGES>"
            + template("TEMPLATE", tmpl) + "</DATASTORE>"
        )  # fmt: skip


def default_datastores() -> dict[int, Datastore]:
    """Datastores 0 (system), 1 (default), 2 (files) of a fresh oned."""
    common = {"ALLOW_ORPHANS": "NO", "CLONE_TARGET": "SYSTEM", "DISK_TYPE": "FILE", "LN_TARGET": "SYSTEM"}
    return {
        0: Datastore(0, "system", "SYSTEM_DS",
                     {**common, "SHARED": "YES", "TM_MAD": "ssh", "TYPE": "SYSTEM_DS"}),
        1: Datastore(1, "default", "IMAGE_DS",
                     {**common, "DS_MAD": "fs", "SAFE_DIRS": "/var/tmp", "TM_MAD": "ssh",
                      "TYPE": "IMAGE_DS"}),
        2: Datastore(2, "files", "FILE_DS",
                     {**common, "DS_MAD": "fs", "SAFE_DIRS": "/var/tmp", "TM_MAD": "ssh",
                      "TYPE": "FILE_DS"}),
    }  # fmt: skip


@dataclass
class VmTemplate:
    """A ``<VMTEMPLATE>`` as ``VMTemplate::to_xml`` writes it (``7.4.0-vm-lifecycle.jsonl``)."""

    id: int
    name: str
    regtime: int
    template: dict[str, object]
    owner: Owner = field(default_factory=Owner)
    permissions: tuple[int, ...] = DEFAULT_PERMISSIONS

    def to_xml(self) -> str:
        tmpl: Template = self.template  # type: ignore[assignment]
        return (
            "<VMTEMPLATE>" + el("ID", self.id) + self.owner.to_xml() + el("NAME", self.name)
            + _permissions(self.permissions) + el("REGTIME", self.regtime) + template("TEMPLATE", tmpl)
            + "</VMTEMPLATE>"
        )  # fmt: skip

    def attributes(self) -> list[Attribute]:
        """The template as parsed attributes (for instantiation)."""
        out: list[Attribute] = []
        for name, value in self.template.items():
            if isinstance(value, list):
                out.extend((name, dict(v)) for v in value)
            elif isinstance(value, dict):
                out.append((name, dict(value)))
            else:
                out.append((name, str(value)))
        return out


def user_xml(uid: int, name: str, gid: int, group: str, password: str, auth: str = "core") -> str:
    """A ``<USER>`` (``User::to_xml``), without quotas."""
    return (
        "<USER>" + el("ID", uid) + el("GID", gid) + "<GROUPS>" + el("ID", gid) + "</GROUPS>"
        + el("GNAME", group) + el("NAME", name) + el("PASSWORD", password) + el("AUTH_DRIVER", auth)
        + el("ENABLED", 1) + "<LOGIN_TOKEN/><TEMPLATE>" + cdata("TOKEN_PASSWORD", "") + "</TEMPLATE></USER>"
    )  # fmt: skip


def group_xml(gid: int, name: str, users: list[int]) -> str:
    """A ``<GROUP>`` (``Group::to_xml``), without quotas."""
    return (
        "<GROUP>" + el("ID", gid) + el("NAME", name) + "<TEMPLATE></TEMPLATE><USERS>"
        + "".join(el("ID", u) for u in users) + "</USERS><ADMINS></ADMINS></GROUP>"
    )  # fmt: skip


def cluster_xml(hosts: list[int], datastores: list[int], nets: list[int]) -> str:
    """The default cluster 0 (``Cluster::to_xml``)."""

    def ids(tag: str, values: list[int]) -> str:
        return f"<{tag}>" + "".join(el("ID", v) for v in values) + f"</{tag}>"

    return (
        "<CLUSTER>" + el("ID", 0) + el("NAME", "default") + ids("HOSTS", hosts)
        + ids("DATASTORES", datastores) + ids("VNETS", nets) + "<TEMPLATE>" + cdata("RESERVED_CPU", "")
        + cdata("RESERVED_MEM", "") + "</TEMPLATE></CLUSTER>"
    )  # fmt: skip
