"""``one.system.*``, ``one.host.*``, ``one.datastore.*``, ``one.image.*``, ``one.vn.*``,
users, groups and the cluster: handlers of :mod:`mockhm.oned.front`."""

from __future__ import annotations

import ipaddress
from typing import Any

from mockhm.oned.drivers import MONITOR_DELAY
from mockhm.oned.methods_vm import Result, parse
from mockhm.oned.names import name_problem
from mockhm.oned.pools import Datastore, cluster_xml, group_xml, merge, user_xml
from mockhm.oned.requests import Failure, no_exists, update_replaces
from mockhm.oned.requests import OnedBase as Oned
from mockhm.traffic.rules import mac_for_ip


def system_version(oned: Oned, args: list[Any]) -> Result:
    version = ".".join(str(n) for n in oned.profile.release)
    return version, oned.api("one.system.version", args, version)


def system_config(oned: Oned, args: list[Any]) -> Result:
    config = (
        "<OPENNEBULA_CONFIGURATION><DEFAULT_DEVICE_PREFIX><![CDATA[sd]]></DEFAULT_DEVICE_PREFIX>"
        "<MANAGER_TIMER><![CDATA[15]]></MANAGER_TIMER><PORT><![CDATA[2633]]></PORT>"
        "<SCHED_MAX_WND_TIME><![CDATA[10]]></SCHED_MAX_WND_TIME></OPENNEBULA_CONFIGURATION>"
    )
    return config, oned.api("one.system.config", args, config)


# -- hosts ---------------------------------------------------------------------------------


def host_allocate(oned: Oned, args: list[Any]) -> Result:
    name, im_mad, vm_mad = args[0], args[1], args[2]
    cloud = oned.cloud
    taken = next((h.id for h in cloud.hosts.values() if h.name == name), None)
    if taken is not None:
        raise Failure("ALLOCATE", f"Error allocating a new host. NAME is already taken by HOST {taken}.")
    problem = name_problem(name)
    if problem:
        raise Failure("ALLOCATE", f"Error allocating a new host. {problem}.")
    host = cloud.new_host(name, im_mad, vm_mad)
    cloud.advance(1)
    events = [
        cloud._emit(host),
        *oned.api("one.host.allocate", args, host.id, extra=host.to_xml(oned.profile)),
    ]
    cloud.queue_monitor(host.id, MONITOR_DELAY)
    return host.id, events


def host_info(oned: Oned, args: list[Any]) -> Result:
    host = oned.cloud.hosts.get(args[0])
    if host is None:
        raise no_exists("host", args[0])
    return host.to_xml(oned.profile, monitoring=True), []


def host_status(oned: Oned, args: list[Any]) -> Result:
    hid, code = args
    names = {0: "enable", 1: "disable", 2: "offline"}
    if code not in names:
        raise Failure("ACTION", "Wrong status code")
    oned.cloud._host(hid)
    return hid, oned.cloud.status_sync(hid, names[code])


def host_update(oned: Oned, args: list[Any]) -> Result:
    hid, text = args[0], args[1]
    host = oned.cloud._host(hid)
    host.template = merge(host.template, parse(text), replace=update_replaces(args))
    return hid, oned.api("one.host.update", args, hid)


def host_delete(oned: Oned, args: list[Any]) -> Result:
    hid = args[0]
    host = oned.cloud._host(hid)
    if host.vms:
        raise Failure("ACTION", "Can not remove a host with running VMs")
    extra = host.to_xml(oned.profile)
    del oned.cloud.hosts[hid]
    return hid, oned.api("one.host.delete", args, hid, extra=extra)


def hostpool_info(oned: Oned, args: list[Any]) -> Result:
    hosts = sorted(oned.cloud.hosts.values(), key=lambda h: h.id)
    return "<HOST_POOL>" + "".join(
        h.to_xml(oned.profile, monitoring=True) for h in hosts
    ) + "</HOST_POOL>", []


# -- datastores and images -----------------------------------------------------------------


def _datastore(oned: Oned, dsid: int) -> Datastore:
    ds = oned.datastores.get(dsid)
    if ds is None:
        raise no_exists("datastore", dsid)
    return ds


def datastore_allocate(oned: Oned, args: list[Any]) -> Result:
    tmpl = merge({}, parse(args[0]), replace=True)
    name = str(tmpl.pop("NAME", ""))
    if not name:
        raise Failure("ALLOCATE", "Error allocating a new datastore. No NAME in template.")
    dsid = max(oned.datastores) + 1
    kind = str(tmpl.get("TYPE", "IMAGE_DS"))
    ds = Datastore(
        dsid, name, kind if kind in ("IMAGE_DS", "SYSTEM_DS", "FILE_DS", "BACKUP_DS") else "IMAGE_DS", tmpl
    )
    oned.datastores[dsid] = ds
    return dsid, oned.api("one.datastore.allocate", args, dsid, extra=ds.to_xml())


def datastore_info(oned: Oned, args: list[Any]) -> Result:
    return _datastore(oned, args[0]).to_xml(), []


def datastore_update(oned: Oned, args: list[Any]) -> Result:
    ds = _datastore(oned, args[0])
    ds.template = merge(ds.template, parse(args[1]), replace=(args[2] if len(args) > 2 else 0) == 0)
    if ds.id == 0:
        oned.cloud.tm_mad_system = ds.tm_mad or "ssh"
    return ds.id, oned.api("one.datastore.update", args, ds.id)


def datastorepool_info(oned: Oned, args: list[Any]) -> Result:
    return "<DATASTORE_POOL>" + "".join(
        d.to_xml() for _, d in sorted(oned.datastores.items())
    ) + "</DATASTORE_POOL>", []


def image_allocate(oned: Oned, args: list[Any]) -> Result:
    text, dsid = args[0], args[1]
    attrs = parse(text)
    ds = _datastore(oned, dsid)
    tmpl = merge({}, attrs, replace=True)
    name = str(tmpl.pop("NAME", ""))
    if not name:
        raise Failure("ALLOCATE", "Error allocating a new image. No NAME in template.")
    cloud = oned.cloud
    taken = next((i.id for i in cloud.images.values() if i.name == name), None)
    if taken is not None:
        raise Failure("ALLOCATE", f"Error allocating a new image. NAME is already taken by IMAGE {taken}.")
    # Image::insert (src/image/Image.cc@release-7.4.0): TYPE (default OS), PERSISTENT, PATH, SOURCE,
    # FORMAT, SIZE, FS, DRIVER leave the template; OS and DATABLOCK get DEV_PREFIX (oned.conf "sd").
    kind = str(tmpl.pop("TYPE", "OS")).upper()
    types = {"OS": 0, "CDROM": 1, "DATABLOCK": 2, "KERNEL": 3, "RAMDISK": 4, "CONTEXT": 5, "BACKUP": 6}
    if kind not in types:
        raise Failure("INTERNAL", f"Unknown type {kind}")
    persistent = str(tmpl.pop("PERSISTENT", "NO")).upper() == "YES" and kind in ("OS", "DATABLOCK")
    path = str(tmpl.pop("PATH", ""))
    source = str(tmpl.pop("SOURCE", ""))
    form = str(tmpl.pop("FORMAT", ""))
    for attr in ("SIZE", "FS", "DRIVER", "TM_MAD"):
        tmpl.pop(attr, None)
    if not path and not source and kind not in ("DATABLOCK", "OS"):
        raise Failure("INTERNAL", "No PATH nor SOURCE in template.")
    if kind in ("OS", "DATABLOCK"):
        tmpl.setdefault("DEV_PREFIX", "sd")
    image = cloud.new_image(
        name, persistent=persistent, datastore_id=ds.id, datastore=ds.name, path=path, source=source,
        template=tmpl,
    )  # fmt: skip
    image.type = types[kind]
    image.format = form if source else "" if path else form or "raw"
    dummy = ds.ds_mad == "dummy"
    if dummy:
        image.size = 1024  # the dummy driver's stat
    ds.images.append(image.id)
    events = oned.api("one.image.allocate", args, image.id, extra=image.to_xml(oned.profile))
    copied = "dummy_path" if dummy else f"/var/lib/one//datastores/{ds.id}/{cloud.fake.one_hex(32)}"
    cloud.image_ready_later(
        image.id, source=source or copied, form=image.format or ("dummy_format" if dummy else "qcow2")
    )
    return image.id, events


def image_info(oned: Oned, args: list[Any]) -> Result:
    image = oned.cloud.images.get(args[0])
    if image is None:
        raise no_exists("image", args[0])
    return image.to_xml(oned.profile), []


def image_persistent(oned: Oned, args: list[Any]) -> Result:
    iid, persistent = args
    image = oned.cloud.images.get(iid)
    if image is None:
        raise no_exists("image", iid)
    image.persistent = int(bool(persistent))
    return iid, oned.api("one.image.persistent", args, iid)


def image_delete(oned: Oned, args: list[Any]) -> Result:
    iid = args[0]
    image = oned.cloud.images.get(iid)
    if image is None:
        raise no_exists("image", iid)
    if image.running_vms:
        raise Failure("ACTION", f"There are {len(image.running_vms)} VMs using it.")
    cloud = oned.cloud
    extra = image.to_xml(oned.profile)  # SharedAPI::del keeps the body before deleting
    # ImageManager::delete_image (src/image/ImageManagerActions.cc@release-7.4.0): no SOURCE, dropped
    # now; else DELETE now and dropped when the datastore driver's rm answers
    events: list[Any] = []
    if image.source:
        events += cloud.image_state(iid, "DELETE")
        cloud._later("image rm", "image", iid, lambda: (cloud.images.pop(iid, None), [])[1])
    else:
        del cloud.images[iid]
    return iid, events + oned.api("one.image.delete", args, iid, extra=extra)


def imagepool_info(oned: Oned, args: list[Any]) -> Result:
    images = sorted(oned.cloud.images.values(), key=lambda i: i.id)
    return "<IMAGE_POOL>" + "".join(i.to_xml(oned.profile) for i in images) + "</IMAGE_POOL>", []


# -- virtual networks ----------------------------------------------------------------------


def vn_allocate(oned: Oned, args: list[Any]) -> Result:
    attrs = parse(args[0])
    tmpl: dict[str, object] = {}
    ars: list[dict[str, str]] = []
    for key, value in attrs:
        if key == "AR" and isinstance(value, dict):
            ars.append({"AR_ID": str(len(ars)), **value})
        else:
            tmpl.setdefault(key, value)
    name = str(tmpl.pop("NAME", ""))
    if not name:
        raise Failure("ALLOCATE", "Error allocating a new virtual network. No NAME in template.")
    vn_mad = str(tmpl.get("VN_MAD", ""))
    if not vn_mad:
        raise Failure("ALLOCATE", "Error allocating a new virtual network. VN_MAD is mandatory.")
    for ar in ars:  # AddressRange::init_ipv4 (src/vnm/AddressRange.cc@release-7.4.0), before anything exists
        if ar.get("TYPE", "").upper() in ("IP4", "IP4_6") and not _ipv4(ar.get("IP", "")):
            raise Failure("ALLOCATE", "Error allocating a new virtual network. Wrong or empty IP attribute")
    cloud = oned.cloud
    # VirtualNetwork::insert (src/vnm/VirtualNetwork.cc@release-7.4.0): VN_MAD, PHYDEV, BRIDGE
    # ("onebr" + id, or onebr.<VLAN_ID>), BRIDGE_TYPE by driver, SECURITY_GROUPS with 0
    vlan = str(tmpl.get("VLAN_ID", ""))
    bridge = str(tmpl.get("BRIDGE", "")) or (f"onebr.{vlan}" if vlan else f"onebr{cloud._ids['net']}")
    bridge_type = str(tmpl.get("BRIDGE_TYPE", "")) or (
        "openvswitch"
        if vn_mad.startswith("ovswitch")
        else "vcenter_port_groups"
        if vn_mad == "vcenter"
        else "linux"
    )
    phydev = str(tmpl.get("PHYDEV", ""))
    groups = sorted(
        {0, *(int(g) for g in str(tmpl.get("SECURITY_GROUPS", "")).split(",") if g.strip().isdigit())}
    )
    tmpl.update({"BRIDGE": bridge, "BRIDGE_TYPE": bridge_type, "PHYDEV": phydev, "VN_MAD": vn_mad,
                 "SECURITY_GROUPS": ",".join(str(g) for g in groups)})  # fmt: skip
    net = cloud.new_net(name, vn_mad=vn_mad, bridge=bridge, template=tmpl)
    net.bridge_type, net.phydev, net.vlan_id = bridge_type, phydev, vlan
    # AddressRange::from_vattr: AR_ID, a MAC, NEXT_INDEX 0, SHARED as a boolean, no ALLOCATED
    # (src/vnm/AddressRange.cc@release-7.4.0)
    net.address_ranges = [_address_range(ar) for ar in ars]
    events = oned.api("one.vn.allocate", args, net.id, extra=net.to_xml(oned.profile))
    cloud.net_ready_later(net.id)
    return net.id, events


def _address_range(ar: dict[str, str]) -> dict[str, str]:
    out = {k: v for k, v in ar.items() if k not in ("ALLOCATED", "USED_LEASES", "LEASES")}
    if "IP" in out and "MAC" not in out:
        out["MAC"] = mac_for_ip(out["IP"])
    out.setdefault("NEXT_INDEX", "0")
    out["SHARED"] = "YES" if out.get("SHARED", "NO").upper() == "YES" else "NO"
    return out


def vn_info(oned: Oned, args: list[Any]) -> Result:
    net = oned.cloud.nets.get(args[0])
    if net is None:
        raise no_exists("net", args[0])
    return net.to_xml(oned.profile), []


def vn_delete(oned: Oned, args: list[Any]) -> Result:
    nid = args[0]
    if nid not in oned.cloud.nets:
        raise no_exists("net", nid)
    return nid, oned.cloud.net_delete_sync(nid)


def vnpool_info(oned: Oned, args: list[Any]) -> Result:
    nets = sorted(oned.cloud.nets.values(), key=lambda n: n.id)
    return "<VNET_POOL>" + "".join(n.to_xml(oned.profile) for n in nets) + "</VNET_POOL>", []


# -- users, groups, cluster ----------------------------------------------------------------


def _users(oned: Oned) -> list[tuple[int, str, str]]:
    names = ["oneadmin", "serveradmin", *(u for u in oned.users if u not in ("oneadmin", "serveradmin"))]
    return [(uid, name, oned.users.get(name, "")) for uid, name in enumerate(names)]


def user_info(oned: Oned, args: list[Any]) -> Result:
    uid = args[0] if args and args[0] >= 0 else 0
    for number, name, password in _users(oned):
        if number == uid:
            return user_xml(
                number, name, 0 if number < 2 else 1, "oneadmin" if number < 2 else "users", password
            ), []
    raise no_exists("user", uid)


def userpool_info(oned: Oned, args: list[Any]) -> Result:
    body = "".join(
        user_xml(n, name, 0 if n < 2 else 1, "oneadmin" if n < 2 else "users", pw)
        for n, name, pw in _users(oned)
    )
    return f"<USER_POOL>{body}</USER_POOL>", []


def _groups(oned: Oned) -> list[str]:
    users = [n for n, _, _ in _users(oned)]
    return [
        group_xml(0, "oneadmin", [u for u in users if u < 2]),
        group_xml(1, "users", [u for u in users if u >= 2]),
    ]


def group_info(oned: Oned, args: list[Any]) -> Result:
    gid = args[0] if args and args[0] >= 0 else 0
    if gid not in (0, 1):
        raise no_exists("group", gid)
    return _groups(oned)[gid], []


def grouppool_info(oned: Oned, args: list[Any]) -> Result:
    return "<GROUP_POOL>" + "".join(_groups(oned)) + "</GROUP_POOL>", []


def cluster_info(oned: Oned, args: list[Any]) -> Result:
    if args[0] != 0:
        raise no_exists("cluster", args[0])
    return cluster_xml(sorted(oned.cloud.hosts), sorted(oned.datastores), sorted(oned.cloud.nets)), []


def clusterpool_info(oned: Oned, args: list[Any]) -> Result:
    return "<CLUSTER_POOL>" + cluster_info(oned, [0])[0] + "</CLUSTER_POOL>", []  # type: ignore[operator]


def _ipv4(text: str) -> bool:
    try:
        ipaddress.IPv4Address(text.strip())
    except ValueError:
        return False
    return True
