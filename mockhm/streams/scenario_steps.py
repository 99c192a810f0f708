"""The step builders: a step's checked arguments become events on the scenario's one Cloud."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from mockhm.oned.cloud import HOT_OPERATIONS, RECOVER_OPERATIONS, Cloud, CloudError
from mockhm.streams.capturefile import decode_frame
from mockhm.streams.scenario_yaml import LineMap, Where
from mockhm.wire.documents import Owner
from mockhm.wire.message import HookEvent


class StepBuilder:
    """Turns checked builder arguments into events on one Cloud."""

    def __init__(self, cloud: Cloud) -> None:
        self.cloud = cloud

    def _last(self, table: Mapping[int, object], kind: str) -> int:
        if not table:
            raise CloudError(f"'last' {kind}: no {kind} exists yet")
        return max(table)

    def _ref(self, value: Any, table: Mapping[int, object], kind: str) -> int | None:
        if value is None:
            return None
        if value == "last":
            return self._last(table, kind)
        if int(value) not in table:
            raise CloudError(f"no {kind} {value}; {kind}s are {sorted(table)}")
        return int(value)

    def host(self, a: Mapping[str, Any]) -> list[HookEvent]:
        c, action = self.cloud, a["action"]
        if action == "allocate":
            return c.host_allocate(
                a.get("name"), im_mad=a.get("im_mad", "kvm"), vm_mad=a.get("vm_mad", "kvm")
            )
        hid = self._ref(a.get("id", "last"), c.hosts, "host")
        assert hid is not None
        if action == "monitor":
            return c.host_monitor(hid, ok=a.get("ok", True))
        if action == "fail":
            return c.host_fail(hid)
        if action == "recover":
            return c.host_recover(hid)
        return c.host_status(hid, action)

    def _vm_ids(self, value: Any) -> list[int]:
        c = self.cloud
        if value == "all":
            return [vid for vid, vm in c.vms.items() if vm.state != "DONE"]
        vid = self._ref(value, c.vms, "VM")
        assert vid is not None
        return [vid]

    def _allocate(self, a: Mapping[str, Any], name: str | None = None) -> list[HookEvent]:
        c = self.cloud
        owner = None
        if "uname" in a or "gname" in a:
            owner = Owner(uname=a.get("uname", "oneadmin"), gname=a.get("gname", "oneadmin"))
        ut = {k: str(v) for k, v in (a.get("user_template") or {}).items()}
        return c.vm_allocate(
            name=name or a.get("name"),
            hold=a.get("hold", False),
            image_id=self._ref(a.get("image"), c.images, "image"),
            net_id=self._ref(a.get("network"), c.nets, "network"),
            user_template=ut,
            owner=owner,
            call=a.get("call", "one.vm.allocate"),
        )

    def _vm_do(self, vid: int, action: str, a: Mapping[str, Any]) -> list[HookEvent]:
        c = self.cloud
        if action == "deploy":
            return c.vm_deploy(vid, self._ref(a.get("host"), c.hosts, "host"), fail=a.get("fail"))
        if action == "migrate":
            return c.vm_migrate(vid, self._ref(a.get("host"), c.hosts, "host"), live=a.get("live", True))
        if action == "hot":
            return c.vm_hot(vid, a.get("operation", ""))
        if action == "recover":
            return c.vm_recover(vid, a.get("operation", ""))
        return c.vm_action(vid, action)

    def vm(self, a: Mapping[str, Any]) -> list[HookEvent]:
        action = a["action"]
        if action == "allocate":
            return self._allocate(a)
        if action == "hot" and a.get("operation") not in HOT_OPERATIONS:
            raise FieldError("operation", f"expected one of {', '.join(HOT_OPERATIONS)}")
        if action == "recover" and a.get("operation") not in RECOVER_OPERATIONS:
            raise FieldError("operation", f"expected one of {', '.join(RECOVER_OPERATIONS)}")
        events: list[HookEvent] = []
        for vid in self._vm_ids(a.get("id", "last")):
            events += self._vm_do(vid, action, a)
        return events

    def vm_lifecycle(self, a: Mapping[str, Any]) -> list[HookEvent]:
        c = self.cloud
        events: list[HookEvent] = []
        vids = []
        for i in range(a.get("count", 1)):
            name = f"{a['name']}-{i}" if "name" in a and a.get("count", 1) > 1 else a.get("name")
            events += self._allocate(a, name)
            vids.append(max(c.vms))
        for action in a.get("actions", ["deploy", "poweroff", "resume", "terminate"]):
            for vid in vids:
                events += self._vm_do(vid, action, a)
        return events

    def api(self, a: Mapping[str, Any]) -> list[HookEvent]:
        kwargs = {k: a[k] for k in ("success", "result", "error", "error_code", "resp_id", "extra", "grpc")
                  if k in a}  # fmt: skip
        return self.cloud.api(a["call"], a.get("params", []), **kwargs)

    def image(self, a: Mapping[str, Any]) -> list[HookEvent]:
        c = self.cloud
        if a["action"] == "allocate":
            return c.image_allocate(a.get("name"), persistent=a.get("persistent", False))
        iid = self._ref(a.get("id", "last"), c.images, "image")
        assert iid is not None
        if "state" not in a:
            raise FieldError("state", "required for action 'state'")
        return c.image_state(iid, a["state"])

    def network(self, a: Mapping[str, Any]) -> list[HookEvent]:
        c = self.cloud
        if a["action"] == "allocate":
            return c.net_allocate(a.get("name"))
        nid = self._ref(a.get("id", "last"), c.nets, "network")
        assert nid is not None
        if a["action"] == "delete":
            return c.net_delete(nid)
        if "state" not in a:
            raise FieldError("state", "required for action 'state'")
        return c.net_state(nid, a["state"])

    def retry(self, a: Mapping[str, Any]) -> list[HookEvent]:
        return self.cloud.hook_retry(a["hook_id"], a.get("arguments", ""), remote_host=a.get("remote_host"))

    def story(self, a: Mapping[str, Any]) -> list[HookEvent]:
        from mockhm.oned.story import mixed_day

        return list(mixed_day(self.cloud, rounds=a.get("rounds", 1), vms_per_round=a.get("vms_per_round", 3)))


class FieldError(Exception):
    def __init__(self, field: str, what: str) -> None:
        super().__init__(what)
        self.field = field
        self.what = what


def run_builder(
    build: StepBuilder, builder: str, args: dict[str, Any], spec_args: LineMap, where: Where, n: int
) -> list[tuple[bytes, ...]]:
    if builder == "raw":
        return [tuple(decode_frame(f) for f in args["frames"])]
    method: Callable[[Mapping[str, Any]], list[HookEvent]] = getattr(build, builder)
    try:
        events = method(args)
    except FieldError as err:
        raise where.error(
            spec_args.lines.get(err.field, spec_args.line), err.what, step=n, builder=builder, field=err.field
        ) from None
    except (CloudError, ValueError, KeyError) as err:
        text = str(err) if not isinstance(err, KeyError) else f"no such object {err}"
        raise where.error(spec_args.line, text, step=n, builder=builder) from None
    return [m.frames for e in events for m in e.messages()]
