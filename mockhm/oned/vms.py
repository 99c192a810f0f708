"""VM transitions as oned 7.4 makes them: a synchronous part, then driver steps.

The Dispatch Manager changes some states inside the call (hold, release, resume from
STOPPED/UNDEPLOYED, terminate of a VM that never ran, deploy): their STATE event comes
before the call's API event.  Everything the Life-Cycle Manager does runs later, on its
own thread, and the drivers answer later still: those are queued driver steps
(``src/dm/DispatchManagerActions.cc``, ``src/lcm/LifeCycleActions.cc`` and
``src/lcm/LifeCycleStates.cc`` at ``release-7.4.0``).  History records follow the
captures (``7.4.0-vm-lifecycle.jsonl``): a new record on every deploy, on every resume
from POWEROFF or SUSPENDED and on every migration; ACTION/UID/GID/REQUEST_ID of the
requested action on the current record, cleared when the VM is RUNNING again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from mockhm.oned.drivers import SCHED_WINDOW, Events
from mockhm.oned.state import CloudBase, CloudError
from mockhm.wire.documents import History, HostDocument, VmDocument

#: ``VMActions::Action`` numbers (``include/VMActions.h@release-7.4.0``).
ACTION_IDS: Final[dict[str, int]] = {
    "migrate": 1, "live-migrate": 2, "undeploy": 5, "undeploy-hard": 6, "hold": 7, "release": 8,
    "stop": 9, "suspend": 10, "resume": 11, "reboot": 15, "reboot-hard": 16, "resched": 17,
    "unresched": 18, "poweroff": 19, "poweroff-hard": 20, "terminate": 27, "terminate-hard": 28,
    "deploy": 30,
}  # fmt: skip

#: The actions ``one.vm.action`` accepts (``VirtualMachineAPI::action``).
VM_ACTION_NAMES: Final = (
    "terminate-hard", "terminate", "undeploy-hard", "undeploy", "poweroff-hard", "poweroff",
    "reboot-hard", "reboot", "hold", "release", "stop", "suspend", "resume", "resched", "unresched",
)  # fmt: skip

_ACTIVE: Final = "ACTIVE"
_NOT_RAN: Final = frozenset({"INIT", "PENDING", "HOLD", "CLONING", "CLONING_FAILURE"})
_OFF: Final = frozenset({"POWEROFF", "SUSPENDED", "STOPPED", "UNDEPLOYED"})
_DELETE_FROM: Final = frozenset(
    {"BOOT_FAILURE", "BOOT_MIGRATE_FAILURE", "PROLOG_MIGRATE_FAILURE", "PROLOG_FAILURE", "EPILOG_FAILURE",
     "EPILOG_STOP_FAILURE", "EPILOG_UNDEPLOY_FAILURE", "PROLOG_MIGRATE_POWEROFF_FAILURE",
     "PROLOG_MIGRATE_SUSPEND_FAILURE", "BOOT_UNDEPLOY_FAILURE", "BOOT_STOPPED_FAILURE",
     "PROLOG_RESUME_FAILURE", "PROLOG_UNDEPLOY_FAILURE", "PROLOG_MIGRATE_UNKNOWN_FAILURE"}
)  # fmt: skip


def state_str(vm: VmDocument) -> str:
    """``VirtualMachine::state_str``: the LCM state while ACTIVE, else the VM state."""
    return vm.lcm_state if vm.state == _ACTIVE else vm.state


class VmTransitions(CloudBase):
    """VM deploy, actions and the driver steps that finish them."""

    #: A deploy that should fail in a phase (``"prolog"``/``"boot"``), by VM id.
    _fail: dict[int, str]
    _sched_open: bool

    def _init_vms(self) -> None:
        self._fail = {}
        self._sched_open = False
        #: TM_MAD of the system datastore, written into TEMPLATE/TM_MAD_SYSTEM and HISTORY.
        self.tm_mad_system = "ssh"

    # -- state changes ---------------------------------------------------------------------

    def _set(self, vm: VmDocument, state: str, lcm: str = "LCM_INIT") -> Events:
        """Change state and publish (the caller updated the history first)."""
        self.sync_clock()
        vm.state, vm.lcm_state = state, lcm
        if state == "DONE":
            vm.etime = self.now
            self._release(vm.id)
        return [self._emit(vm)]

    def _record(self, vm: VmDocument) -> History | None:
        return vm.history[-1] if vm.history else None

    def _act(self, vm: VmDocument, action: str) -> None:
        """``set_action`` on the current record, with the caller of this request."""
        rec = self._record(vm)
        if rec is not None:
            c = self.caller
            rec.set_action(ACTION_IDS[action], c.uid, c.gid, c.request_id)

    def _step(self, vm: VmDocument, label: str, expect: tuple[str, str], run: Callable[[], Events]) -> None:
        """Queue a driver step that runs only if the VM is still where it was left."""

        def guarded() -> Events:
            if (vm.state, vm.lcm_state) != expect or self.vms.get(vm.id) is not vm:
                return []
            self.advance(1, 3)
            return run()

        self._later(label, "vm", vm.id, guarded)

    def _host_add(self, vm: VmDocument) -> None:
        rec = self._record(vm)
        host = self.hosts.get(rec.hid) if rec else None
        if host is not None and vm.id not in host.vms:
            host.vms.append(vm.id)
            host.cpu_usage += int(float(str(vm.template.get("CPU", "1"))) * 100)
            host.mem_usage += int(str(vm.template.get("MEMORY", "0"))) * 1024

    def _host_del(self, vm: VmDocument, rec: History | None = None) -> None:
        rec = rec or self._record(vm)
        host = self.hosts.get(rec.hid) if rec else None
        if host is not None and vm.id in host.vms:
            host.vms.remove(vm.id)
            host.cpu_usage = max(0, host.cpu_usage - int(float(str(vm.template.get("CPU", "1"))) * 100))
            host.mem_usage = max(0, host.mem_usage - int(str(vm.template.get("MEMORY", "0"))) * 1024)

    def _monitor_vm(self, vm: VmDocument) -> None:
        """A poll of the dummy VM probe: the monitoring ``load_monitoring`` later shows."""
        memory = int(str(vm.template.get("MEMORY", "512")))
        r = self.random
        vm.last_poll = self.now
        vm.monitoring = {
            "CPU": str(r.randint(0, 100)), "DISKRDBYTES": str(r.randint(0, 1000)),
            "DISKRDIOPS": str(r.randint(0, 1000)), "DISKWRBYTES": str(r.randint(0, 1000)),
            "DISKWRIOPS": str(r.randint(0, 1000)), "ID": str(vm.id),
            "MEMORY": str(memory * 1024 * r.randint(30, 90) // 100),
            "NETRX": str(r.randint(0, 5000)), "NETTX": str(r.randint(0, 5000)), "TIMESTAMP": str(self.now),
        }  # fmt: skip

    # -- scheduler and deploy --------------------------------------------------------------

    def request_place(self) -> None:
        """``SchedulerManager::trigger_place``: open the window; it places when it expires."""
        if self._sched_open:
            return
        self._sched_open = True
        self._later("scheduler window", "scheduler", 0, self._place, delay=SCHED_WINDOW)

    def _place(self) -> Events:
        self._sched_open = False
        events: Events = []
        for vm in sorted(self.vms.values(), key=lambda v: v.id):
            if vm.state != "PENDING":
                continue
            host = self.pick_host(None, strict=False)
            if host is None:
                break
            events += self.deploy_sync(vm, host, scheduler=True)
        return events

    def pick_host(self, hid: int | None, *, strict: bool = True) -> HostDocument | None:
        """The rank scheduler's default policy: fewest running VMs, ties to the highest id
        (``src/schedm_mad/remotes/rank/etc/rank.conf@release-7.4.0`` POLICY 1; placement
        walks the sorted hosts from the end)."""
        if hid is not None:
            return self._host(hid)
        candidates = [h for h in self.hosts.values() if h.state == "MONITORED"]
        if not candidates:
            if strict:
                raise CloudError("no MONITORED host to deploy on; allocate and monitor a host first")
            return None
        return min(candidates, key=lambda h: (len(h.vms), -h.id))

    def deploy_sync(self, vm: VmDocument, host: HostDocument, *, scheduler: bool) -> Events:
        """DM::deploy: a history record on ``host``, ACTIVE/LCM_INIT now, the prolog later."""
        if vm.state not in ("PENDING", "HOLD", "STOPPED", "UNDEPLOYED"):
            raise CloudError(
                f"VM {vm.id} is {vm.state}/{vm.lcm_state}; deploy needs PENDING, HOLD, STOPPED or UNDEPLOYED",
                oned=f"Deploy action is not available for state {state_str(vm)}",
            )
        previous = self._record(vm)
        resume = previous.action if previous is not None else 0  # hasPreviousHistory + its action
        vm.history.append(
            History(oid=vm.id, seq=len(vm.history), hostname=host.name, hid=host.id, vm_mad=host.vm_mad,
                    tm_mad=self.tm_mad_system, plan_id=-2, action_id=-1)
        )  # fmt: skip
        vm.template["TM_MAD_SYSTEM"] = self.tm_mad_system
        events = self._set(vm, _ACTIVE)
        if scheduler and self.profile.scheduler_api_events:
            events.append(self._api("one.vm.deploy", [vm.id, host.id, False, 0, ""], result=vm.id))
        rec = vm.history[-1]
        if scheduler and self.profile.history_plan:
            rec.plan_id, rec.action_id = -1, 0
        prolog = {ACTION_IDS["stop"]: "PROLOG_RESUME", ACTION_IDS["undeploy"]: "PROLOG_UNDEPLOY",
                  ACTION_IDS["undeploy-hard"]: "PROLOG_UNDEPLOY"}.get(resume, "PROLOG")  # fmt: skip
        self._step(vm, prolog, (_ACTIVE, "LCM_INIT"), lambda: self._prolog(vm, prolog))
        return events

    def _prolog(self, vm: VmDocument, prolog: str) -> Events:
        rec = vm.history[-1]
        rec.stime = rec.pstime = self.now
        vm.loaded = bool(vm.monitoring)  # set_vm_info
        self._host_add(vm)
        events = self._set(vm, _ACTIVE, prolog)
        if self._fail.get(vm.id) == "prolog":
            del self._fail[vm.id]
            self._step(
                vm, "prolog failure", (_ACTIVE, prolog), lambda: self._set(vm, _ACTIVE, f"{prolog}_FAILURE")
            )
            return events
        boot = {"PROLOG_RESUME": "BOOT_STOPPED", "PROLOG_UNDEPLOY": "BOOT_UNDEPLOY"}.get(prolog, "BOOT")
        self._step(vm, boot, (_ACTIVE, prolog), lambda: self._boot(vm, boot))
        return events

    def _boot(self, vm: VmDocument, boot: str) -> Events:
        rec = vm.history[-1]
        rec.petime = rec.rstime = self.now
        events = self._set(vm, _ACTIVE, boot)
        if self._fail.get(vm.id) == "boot":
            del self._fail[vm.id]
            self._step(vm, "boot failure", (_ACTIVE, boot), lambda: self._set(vm, _ACTIVE, f"{boot}_FAILURE"))
            return events
        self._step(vm, "running", (_ACTIVE, boot), lambda: self._running(vm))
        return events

    def _running(self, vm: VmDocument) -> Events:
        """Deploy success: DEPLOY_ID from the driver, the action cleared, a first poll."""
        rec = vm.history[-1]
        if not vm.deploy_id:
            vm.deploy_id = f"{rec.hostname}:{vm.name}:dummy" if rec.vm_mad == "dummy" else f"one-{vm.id}"
        rec.set_action(0)
        self._host_add(vm)
        events = self._set(vm, _ACTIVE, "RUNNING")
        self._monitor_vm(vm)
        return events

    # -- one.vm.action ---------------------------------------------------------------------

    def action_sync(self, vid: int, action: str) -> Events:
        """``one.vm.action``: the synchronous events (API event included, in oned's order);
        the rest is queued.  Raises :class:`CloudError` as oned refuses."""
        vm = self._vm(vid)  # oned looks the VM up first: an unknown VM is NO_EXISTS whatever the action
        if action not in VM_ACTION_NAMES:
            raise CloudError(
                f"unknown VM action {action!r}; expected one of {', '.join(VM_ACTION_NAMES)}",
                oned=f'Action "{action}" is not supported',
            )
        api = self._api("one.vm.action", [action, vid], result=vid)
        state, lcm = vm.state, vm.lcm_state
        running = state == _ACTIVE and lcm == "RUNNING"
        up = state == _ACTIVE and lcm in ("RUNNING", "UNKNOWN")
        self.advance(1, 3)
        if action in ("terminate", "terminate-hard"):
            hard = action == "terminate-hard"
            if state in _NOT_RAN:
                return [*self._set(vm, "DONE"), api]
            if (
                state in _OFF
                or up
                or (hard and lcm == "SHUTDOWN")
                or (state == _ACTIVE and lcm in _DELETE_FROM)
            ):
                self._lcm(vm, lambda: self._shutdown(vm, action))
                return [api]
            if state == "DONE":
                return [api]
            raise self._wrong(vm, action, f"Could not terminate VM {vid}, wrong state {state_str(vm)}.")
        if action == "hold" and state == "PENDING":
            return [*self._set(vm, "HOLD"), api]
        if action == "release" and state == "HOLD":
            events = self._set(vm, "PENDING")
            self._place_if_auto()
            return [*events, api]
        if action == "resume" and state in ("STOPPED", "UNDEPLOYED"):
            events = self._set(vm, "PENDING")
            self._place_if_auto()
            return [*events, api]
        allowed: dict[str, bool] = {
            "poweroff": up, "poweroff-hard": up or (state == _ACTIVE and lcm == "SHUTDOWN_POWEROFF"),
            "undeploy": up or state == "POWEROFF",
            "undeploy-hard": up or state == "POWEROFF" or (state == _ACTIVE and lcm == "SHUTDOWN_UNDEPLOY"),
            "suspend": running, "stop": running or state == "SUSPENDED",
            "resume": state in ("POWEROFF", "SUSPENDED") or (state == _ACTIVE and lcm == "UNKNOWN"),
            "reboot": running, "reboot-hard": running,
            "resched": state == "POWEROFF" or up, "unresched": state == "POWEROFF" or up,
        }  # fmt: skip
        if not allowed.get(action, False):
            raise self._wrong(vm, action, f"This action is not available for state {state_str(vm)}")
        if action in ("reboot", "reboot-hard"):
            self._act(vm, action)
        elif action in ("resched", "unresched"):
            vm.resched = int(action == "resched")
        else:
            self._lcm(vm, lambda: self._lcm_action(vm, action))
        return [api]

    def _wrong(self, vm: VmDocument, action: str, text: str) -> CloudError:
        return CloudError(
            f"VM {vm.id} is {vm.state}/{vm.lcm_state}: {action} is not allowed there",
            oned=f'Error performing action "{action}": {text}',
        )

    def _place_if_auto(self) -> None:
        if self.auto_drivers:
            self.request_place()

    def _lcm(self, vm: VmDocument, run: Callable[[], Events]) -> None:
        """An LCM trigger: runs on the LCM thread, after the call returned."""
        self._step(vm, "lcm", (vm.state, vm.lcm_state), run)

    def _then(self, vm: VmDocument, label: str, run: Callable[[], Events]) -> None:
        self._step(vm, label, (vm.state, vm.lcm_state), run)

    def _shutdown(self, vm: VmDocument, action: str) -> Events:
        rec = self._record(vm)
        self._act(vm, action)
        if vm.state == _ACTIVE and vm.lcm_state in _DELETE_FROM | {"EPILOG_FAILURE"}:
            return self._epilog(vm, "EPILOG", "DONE")
        if vm.state in _OFF:
            if rec is not None:
                rec.estime = self.now
            return self._epilog(vm, "EPILOG", "DONE", stamped=True)
        events = self._set(vm, _ACTIVE, "SHUTDOWN")
        self._then(vm, "shutdown", lambda: self._epilog(vm, "EPILOG", "DONE"))
        return events

    def _epilog(self, vm: VmDocument, epilog: str, end: str, *, stamped: bool = False) -> Events:
        rec = self._record(vm)
        if rec is not None and not stamped:
            rec.retime = rec.retime or self.now
            rec.estime = self.now
        events = self._set(vm, _ACTIVE, epilog)
        self._then(vm, "epilog", lambda: self._epilog_done(vm, end))
        return events

    def _epilog_done(self, vm: VmDocument, end: str) -> Events:
        rec = self._record(vm)
        if rec is not None:
            rec.eetime = rec.etime = self.now
        self._host_del(vm)
        return self._set(vm, end)

    def _lcm_action(self, vm: VmDocument, action: str) -> Events:
        rec = self._record(vm)
        if action == "resume":
            return self._restart(vm)
        self._act(vm, action)
        if action.startswith("poweroff"):
            events = self._set(vm, _ACTIVE, "SHUTDOWN_POWEROFF")
            self._then(vm, "poweroff", lambda: self._off(vm, "POWEROFF"))
            return events
        if action == "suspend":
            events = self._set(vm, _ACTIVE, "SAVE_SUSPEND")
            self._then(vm, "save", lambda: self._off(vm, "SUSPENDED"))
            return events
        if action == "stop":
            if vm.state == "SUSPENDED":
                return self._epilog(vm, "EPILOG_STOP", "STOPPED")
            events = self._set(vm, _ACTIVE, "SAVE_STOP")
            self._then(vm, "save", lambda: self._epilog(vm, "EPILOG_STOP", "STOPPED"))
            return events
        # undeploy, undeploy-hard
        if vm.state == "POWEROFF":
            if rec is not None:
                rec.estime = self.now
            return self._epilog(vm, "EPILOG_UNDEPLOY", "UNDEPLOYED", stamped=True)
        events = self._set(vm, _ACTIVE, "SHUTDOWN_UNDEPLOY")
        self._then(vm, "shutdown", lambda: self._epilog(vm, "EPILOG_UNDEPLOY", "UNDEPLOYED"))
        return events

    def _off(self, vm: VmDocument, state: str) -> Events:
        rec = self._record(vm)
        if rec is not None:
            rec.retime = self.now
        return self._set(vm, state)

    def _restart(self, vm: VmDocument) -> Events:
        """Resume from POWEROFF/SUSPENDED (a new history record) or UNKNOWN (BOOT_UNKNOWN)."""
        boot = {"POWEROFF": "BOOT_POWEROFF", "SUSPENDED": "BOOT_SUSPENDED"}.get(vm.state, "BOOT_UNKNOWN")
        rec = self._record(vm)
        if rec is not None and vm.state in ("POWEROFF", "SUSPENDED"):
            rec.etime = self.now
            vm.history.append(
                History(oid=vm.id, seq=len(vm.history), hostname=rec.hostname, hid=rec.hid, cid=rec.cid,
                        vm_mad=rec.vm_mad, tm_mad=rec.tm_mad, ds_id=rec.ds_id, stime=self.now,
                        rstime=self.now, plan_id=rec.plan_id, action_id=rec.action_id)
            )  # fmt: skip
        self._act(vm, "resume")
        events = self._set(vm, _ACTIVE, boot)
        self._then(vm, "boot", lambda: self._running(vm))
        return events
