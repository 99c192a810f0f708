"""A tiny stateful oned: actions in, the events a real oned emits out.

:class:`Cloud` keeps VM, host, image and network documents and applies the life-cycle
transitions oned takes to them.  Each transition has a synchronous part (what oned changes
inside the call, published in oned's order: STATE events of a synchronous change before
the API event) and driver steps queued on :attr:`Cloud.drivers`.  The classic methods
(:meth:`Cloud.vm_action`, :meth:`Cloud.vm_deploy`…) return the whole walk: the
synchronous part, then every queued step run to the end.  It is pure: no sockets, no
wall clock.  Names and addresses come from a seeded Faker, so the same seed gives the
same bytes.

The parts live in :mod:`mockhm.oned.state` (objects, clocks, emission),
:mod:`mockhm.oned.vms` (deploy, scheduler, ``one.vm.action``), :mod:`mockhm.oned.vmops`
(allocation, migration, hot operations, recovery), :mod:`mockhm.oned.hosts` and
:mod:`mockhm.oned.objects` (images, networks, hook retries).
"""

from __future__ import annotations

from mockhm.oned.drivers import Events
from mockhm.oned.objects import ObjectOperations
from mockhm.oned.state import CloudError
from mockhm.oned.vmops import HOT_OPERATIONS, RECOVER_OPERATIONS
from mockhm.wire.defaults import EPOCH
from mockhm.wire.profiles import Profile

__all__ = ["HOT_OPERATIONS", "RECOVER_OPERATIONS", "Cloud", "CloudError"]


class Cloud(ObjectOperations):
    """A deterministic model of oned's objects that emits their hook events.

    Args:
        profile: release profile of the events (default 7.4).
        seed: seeds names, addresses and durations; the same seed gives the same bytes.
        start_time: the cloud clock (unix seconds) used in STIME, history records and so on.
        upstream_compatible: build VMs and hosts in the shapes upstream's 7.4 XSDs accept where
            that is possible (TM_MAD_SYSTEM before deploy).
    """

    def __init__(
        self,
        profile: Profile | str | None = None,
        *,
        seed: int | None = 0,
        start_time: int = EPOCH,
        upstream_compatible: bool = False,
    ) -> None:
        super().__init__(profile, seed=seed, start_time=start_time, upstream_compatible=upstream_compatible)
        self._init_vms()

    def vm_deploy(self, vid: int, hid: int | None = None, *, fail: str | None = None) -> Events:
        """Scheduler deploy: ACTIVE/LCM_INIT → PROLOG → BOOT → RUNNING.

        Up to 6.10 the scheduler's ``one.vm.deploy`` API event follows ACTIVE/LCM_INIT.
        ``fail="prolog"`` or ``"boot"`` stops in PROLOG_FAILURE / BOOT_FAILURE.
        """
        vm = self._vm(vid)
        if vm.state != "PENDING":
            raise CloudError(f"VM {vid} is {vm.state}/{vm.lcm_state}; only PENDING VMs are deployed")
        host = self.pick_host(hid)
        assert host is not None  # strict pick raises instead
        if fail is not None:
            self._fail[vid] = fail
        self.advance(1, 10)
        return self.deploy_sync(vm, host, scheduler=True) + self.settle()

    def vm_action(self, vid: int, action: str) -> Events:
        """``one.vm.action``: the events of the call, then those of the drivers until the end.

        An action the VM's state does not allow gives a failed API event (ACTION error, OUT 4 -1).
        A VM resumed from STOPPED or UNDEPLOYED is deployed again (the scheduler's part).
        """
        vm = self._vm(vid)
        before = vm.state
        try:
            events = self.action_sync(vid, action)
        except CloudError as err:
            if err.code != "ACTION" or action not in _known_actions():
                raise
            error = f"[one.vm.action] {err.oned}"
            return [self._api("one.vm.action", [action, vid], success=False, error=error,
                              error_code="ACTION", resp_id=err.resp_id)]  # fmt: skip
        events += self.settle()
        if vm.state == "PENDING" and before in ("STOPPED", "UNDEPLOYED") and not self.auto_drivers:
            events += self.vm_deploy(vid)
        return events

    def vm_migrate(self, vid: int, hid: int | None = None, *, live: bool = True) -> Events:
        """``onevm migrate [--live]``: MIGRATE → RUNNING, or the cold SAVE/PROLOG/BOOT_MIGRATE path."""
        vm = self._vm(vid)
        if (vm.state, vm.lcm_state) != ("ACTIVE", "RUNNING"):
            raise CloudError(f"VM {vid} is {vm.state}/{vm.lcm_state}; only RUNNING VMs migrate")
        return self.migrate_sync(vid, hid, live=live) + self.settle()

    def vm_hot(self, vid: int, operation: str) -> Events:
        """A hot operation (disk/NIC attach, snapshots, resize, backup, restore, exec): the
        transient LCM state, the API event, then back to RUNNING or POWEROFF."""
        return self.hot_sync(vid, operation) + self.settle()

    def vm_recover(self, vid: int, operation: str) -> Events:
        """``onevm recover``: success/failure/retry of a stuck or failed VM, delete, recreate."""
        return self.recover_sync(vid, operation) + self.settle()


def _known_actions() -> tuple[str, ...]:
    from mockhm.oned.vms import VM_ACTION_NAMES

    return VM_ACTION_NAMES
