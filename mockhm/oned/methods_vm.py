"""``one.vm.*``, ``one.vmpool.info``, ``one.template.*`` and ``one.templatepool.info``.

Each handler takes the parameters after the session and returns the response value and
the events of the call in oned's order (see :mod:`mockhm.oned.front`).
"""

from __future__ import annotations

from typing import Any

from mockhm.oned.names import name_problem
from mockhm.oned.pools import VmTemplate, merge
from mockhm.oned.requests import Failure, no_exists, update_replaces
from mockhm.oned.requests import OnedBase as Oned
from mockhm.oned.state import CloudError
from mockhm.oned.template import Attribute, TemplateSyntaxError, parse_template
from mockhm.oned.vmtemplate import vm_templates
from mockhm.wire.documents import VmDocument
from mockhm.wire.states import VM_STATES

Result = tuple[object, list[Any]]
_STATE_NUMBERS = {number: name for name, number in VM_STATES.items()}


def parse(text: str) -> list[Attribute]:
    """A template of a call; a bad one fails as oned's (INTERNAL, the parser's text)."""
    try:
        return parse_template(text)
    except TemplateSyntaxError as err:
        raise Failure("INTERNAL", str(err)) from None


def _new_vm(
    oned: Oned, attrs: list[Attribute], *, hold: bool, template_id: int | None, hold_attr: bool
) -> VmDocument:
    cloud = oned.cloud
    vid = cloud._ids["vm"]
    name, tmpl, user = vm_templates(cloud, vid, attrs, hold_attr=hold_attr, template_id=template_id)
    cloud._next_id("vm")
    cloud.advance(1)
    state = "HOLD" if hold else "PENDING"
    vm = VmDocument(id=vid, name=name, state=state, prev_state=state, stime=cloud.now, template=tmpl,
                    user_template=user)  # fmt: skip
    cloud.vms[vid] = vm
    return vm


def vm_allocate(oned: Oned, args: list[Any]) -> Result:
    text, hold = args[0], bool(args[1]) if len(args) > 1 else False
    vm = _new_vm(oned, parse(text), hold=hold, template_id=None, hold_attr=hold)
    events = [oned.cloud._emit(vm)]
    events += oned.api("one.vm.allocate", args, vm.id, extra=vm.to_xml(oned.profile, history="last"))
    if not hold:
        oned.cloud.request_place()
    return vm.id, events


def vm_info(oned: Oned, args: list[Any]) -> Result:
    vm = oned.cloud.vms.get(args[0])
    if vm is None:
        raise no_exists("vm", args[0])
    return vm.to_xml(oned.profile, monitoring=True), []


def vm_action(oned: Oned, args: list[Any]) -> Result:
    action, vid = args
    return vid, oned.cloud.action_sync(vid, action)


def vm_deploy(oned: Oned, args: list[Any]) -> Result:
    vid, hid = args[0], args[1]
    cloud = oned.cloud
    vm = cloud._vm(vid)
    if vm.state not in ("PENDING", "HOLD", "STOPPED", "UNDEPLOYED"):
        from mockhm.oned.vms import state_str

        raise Failure("ACTION", f"Deploy action is not available for state {state_str(vm)}")
    host = cloud.hosts.get(hid)
    if host is None:
        raise no_exists("host", hid)
    events = cloud.deploy_sync(vm, host, scheduler=False)
    return vid, events + oned.api("one.vm.deploy", args, vid)


def vm_migrate(oned: Oned, args: list[Any]) -> Result:
    vid, hid = args[0], args[1]
    oned.cloud._vm(vid)
    if hid not in oned.cloud.hosts:
        raise no_exists("host", hid)
    live = bool(args[2]) if len(args) > 2 else False
    return vid, oned.cloud.migrate_sync(vid, hid, live=live, params=list(args))


def vm_update(oned: Oned, args: list[Any]) -> Result:
    vid, text = args[0], args[1]
    vm = oned.cloud._vm(vid)
    replace = update_replaces(args)
    vm.user_template = merge(vm.user_template, parse(text), replace=replace)
    return vid, oned.api("one.vm.update", args, vid)


def vm_rename(oned: Oned, args: list[Any]) -> Result:
    vid, name = args
    vm = oned.cloud._vm(vid)
    problem = name_problem(name)
    if problem:
        raise Failure("ACTION", problem)
    vm.name = name
    return vid, oned.api("one.vm.rename", args, vid)


def vm_recover(oned: Oned, args: list[Any]) -> Result:
    from mockhm.oned.vmops import RECOVER_OPERATIONS

    vid, operation = args
    names = {number: name for name, number in RECOVER_OPERATIONS.items()}
    if operation not in names:
        raise Failure("ACTION", "Wrong recovery operation code")
    return vid, oned.cloud.recover_sync(vid, names[operation])


def vmpool_info(oned: Oned, args: list[Any]) -> Result:
    """``one.vmpool.info(filter, start, end, state)``: -2 every VM (DONE too), -1 every one
    but DONE, or one state number; filter -2 all, -1 mine and my group's, -3 mine, or a uid."""
    flag, start, end, state = [*args, -2, -1, -1, -1][:4]
    vms = sorted(oned.cloud.vms.values(), key=lambda v: v.id)
    if start >= 0:
        vms = [v for v in vms if v.id >= start]
    if end >= 0:
        vms = [v for v in vms if v.id <= end]
    if state == -1:
        vms = [v for v in vms if v.state != "DONE"]
    elif state >= 0:
        vms = [v for v in vms if v.state == _STATE_NUMBERS.get(state)]
    if flag >= 0:
        vms = [v for v in vms if v.owner.uid == flag]
    body = "".join(v.to_xml(oned.profile, history="last") for v in vms)
    return f"<VM_POOL>{body}</VM_POOL>", []


def template_allocate(oned: Oned, args: list[Any]) -> Result:
    attrs = parse(args[0])
    tmpl: dict[str, object] = {}
    for name, value in attrs:
        if isinstance(value, dict) and name in tmpl:
            previous = tmpl[name]
            tmpl[name] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            tmpl.setdefault(name, value)
    name = str(tmpl.pop("NAME", ""))
    tid = max(oned.templates, default=-1) + 1
    if not name:
        name = f"template-{tid}"
    if any(t.name == name for t in oned.templates.values()):
        taken = next(t.id for t in oned.templates.values() if t.name == name)
        raise Failure("ALLOCATE", f"Error allocating a new virtual machine template. "
                                  f"NAME is already taken by VMTEMPLATE {taken}.")  # fmt: skip
    oned.cloud.advance(1)
    template = VmTemplate(tid, name, oned.cloud.now, tmpl)
    oned.templates[tid] = template
    return tid, oned.api("one.template.allocate", args, tid, extra=template.to_xml())


def template_info(oned: Oned, args: list[Any]) -> Result:
    template = oned.templates.get(args[0])
    if template is None:
        raise no_exists("template", args[0])
    return template.to_xml(), []


def templatepool_info(oned: Oned, args: list[Any]) -> Result:
    body = "".join(t.to_xml() for _, t in sorted(oned.templates.items()))
    return f"<VMTEMPLATE_POOL>{body}</VMTEMPLATE_POOL>", []


def template_instantiate(oned: Oned, args: list[Any]) -> Result:
    tid, name = args[0], args[1]
    hold = bool(args[2]) if len(args) > 2 else False
    extra = args[3] if len(args) > 3 else ""
    template = oned.templates.get(tid)
    if template is None:
        raise no_exists("template", tid)
    attrs = [a for a in template.attributes() if a[0] != "NAME"]
    if extra:
        merged = dict(template.template)
        merged.update(dict(parse(extra)))
        attrs = [a for a in VmTemplate(tid, "", 0, merged).attributes() if a[0] != "NAME"]
    vm_name = name or f"{template.name}-{oned.cloud._ids['vm']}"
    try:
        vm = _new_vm(oned, [("NAME", vm_name), *attrs], hold=hold, template_id=tid, hold_attr=hold)
    except CloudError as err:
        raise Failure(err.code, err.oned) from None
    events = [oned.cloud._emit(vm), *oned.api("one.template.instantiate", args, vm.id)]
    if not hold:
        oned.cloud.request_place()
    return vm.id, events
