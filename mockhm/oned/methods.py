"""The method table of :class:`~mockhm.oned.front.Oned`: name -> parameter types, object, handler.

Parameter types follow the XML-RPC signatures of ``src/rm/xml-rpc/*XRPC.h@release-7.4.0``
(``i`` int, ``s`` string, ``b`` boolean; after ``|`` the optional ones).
"""

from __future__ import annotations

from typing import Final

from mockhm.oned import methods_hook as hk
from mockhm.oned import methods_infra as inf
from mockhm.oned import methods_vm as vm
from mockhm.oned.requests import Method

METHODS: Final[dict[str, Method]] = {
    "one.system.version": Method("", "none", inf.system_version),
    "one.system.config": Method("", "none", inf.system_config),
    "one.vm.allocate": Method("s|b", "vm", vm.vm_allocate),
    "one.vm.info": Method("i|b", "vm", vm.vm_info),
    "one.vm.action": Method("si", "vm", vm.vm_action),
    "one.vm.deploy": Method("ii|bis", "vm", vm.vm_deploy),
    "one.vm.migrate": Method("ii|bbii", "vm", vm.vm_migrate),
    "one.vm.update": Method("is|i", "vm", vm.vm_update),
    "one.vm.recover": Method("ii", "vm", vm.vm_recover),
    "one.vm.rename": Method("is", "vm", vm.vm_rename),
    "one.vmpool.info": Method("iii|is", "vm", vm.vmpool_info),
    "one.template.allocate": Method("s", "template", vm.template_allocate),
    "one.template.info": Method("i|bb", "template", vm.template_info),
    "one.template.instantiate": Method("is|bsb", "template", vm.template_instantiate),
    "one.templatepool.info": Method("iii", "template", vm.templatepool_info),
    "one.host.allocate": Method("sss|i", "host", inf.host_allocate),
    "one.host.info": Method("i|b", "host", inf.host_info),
    "one.host.status": Method("ii", "host", inf.host_status),
    "one.host.update": Method("is|i", "host", inf.host_update),
    "one.host.delete": Method("i", "host", inf.host_delete),
    "one.hostpool.info": Method("", "host", inf.hostpool_info),
    "one.datastore.allocate": Method("s|i", "datastore", inf.datastore_allocate),
    "one.datastore.info": Method("i|b", "datastore", inf.datastore_info),
    "one.datastore.update": Method("is|i", "datastore", inf.datastore_update),
    "one.datastorepool.info": Method("", "datastore", inf.datastorepool_info),
    "one.image.allocate": Method("si|b", "image", inf.image_allocate),
    "one.image.info": Method("i|b", "image", inf.image_info),
    "one.image.persistent": Method("ib", "image", inf.image_persistent),
    "one.image.delete": Method("i|b", "image", inf.image_delete),
    "one.imagepool.info": Method("iii", "image", inf.imagepool_info),
    "one.vn.allocate": Method("s|i", "net", inf.vn_allocate),
    "one.vn.info": Method("i|b", "net", inf.vn_info),
    "one.vn.delete": Method("i", "net", inf.vn_delete),
    "one.vnpool.info": Method("iii", "net", inf.vnpool_info),
    "one.user.info": Method("|ib", "user", inf.user_info),
    "one.userpool.info": Method("", "user", inf.userpool_info),
    "one.group.info": Method("|ib", "group", inf.group_info),
    "one.grouppool.info": Method("", "group", inf.grouppool_info),
    "one.cluster.info": Method("i|b", "cluster", inf.cluster_info),
    "one.clusterpool.info": Method("", "cluster", inf.clusterpool_info),
    "one.hook.allocate": Method("s", "hook", hk.hook_allocate),
    "one.hook.info": Method("i|b", "hook", hk.hook_info),
    "one.hook.update": Method("is|i", "hook", hk.hook_update),
    "one.hook.delete": Method("i", "hook", hk.hook_delete),
    "one.hook.retry": Method("ii", "hook", hk.hook_retry),
    "one.hookpool.info": Method("iii", "hook", hk.hookpool_info),
    "one.hooklog.info": Method("iiii", "hook", hk.hooklog_info),
}
