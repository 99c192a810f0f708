"""The built-in story ``mockhm serve`` streams when given nothing else.

A realistic day in a small cloud, driven through :class:`~mockhm.oned.cloud.Cloud`: hosts
come up, a network and an image appear, VMs are created and deployed, some are powered
off and resumed, one migrates, a host fails and recovers, an API call fails, a hook
execution is retried (only one an executor reported, with its own arguments: oned retries a
stored execution record), and everything is terminated before the next round starts
with fresh ids.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

from mockhm.oned.cloud import Cloud
from mockhm.wire.message import HookEvent
from mockhm.wire.reports import HookReport


def last_execution(reports: Sequence[HookReport]) -> HookReport | None:
    """The latest report that oned would have stored as an execution record (it validates as
    XML and has ARGUMENTS), i.e. one that ``onehook retry`` can retry; ``None`` if there is none."""
    for report in reversed(reports):
        if report.error is None and report.hook_id is not None and report.arguments is not None:
            return report
    return None


def mixed_day(
    cloud: Cloud,
    *,
    rounds: int | None = None,
    vms_per_round: int = 3,
    executions: Callable[[], HookReport | None] | None = None,
) -> Iterator[HookEvent]:
    """Yield the story's events in emission order; ``rounds=None`` goes on forever.

    ``executions`` returns the execution to retry each round (e.g. the latest 2102 report, see
    :func:`last_execution`); without one, no RETRY is sent: a retry of an execution that never
    happened would make a real HEM run a hook it may not have.
    """
    if isinstance(vms_per_round, bool) or not isinstance(vms_per_round, int) or vms_per_round < 1:
        raise ValueError(f"vms_per_round={vms_per_round!r}; expected an integer, 1 or more")
    for _ in range(3):
        yield from cloud.host_allocate()
    for hid in list(cloud.hosts):
        yield from cloud.host_monitor(hid)
    yield from cloud.net_allocate()
    yield from cloud.image_allocate()
    net_id, image_id = max(cloud.nets), max(cloud.images)
    done = 0
    while rounds is None or done < rounds:
        vids = []
        for _ in range(vms_per_round):
            events = cloud.vm_allocate(image_id=image_id, net_id=net_id)
            vids.append(max(cloud.vms))
            yield from events
        for vid in vids:
            yield from cloud.vm_deploy(vid)
        first, second = vids[0], vids[1 % len(vids)]
        yield from cloud.vm_action(first, "poweroff")
        yield from cloud.vm_action(first, "resume")
        yield from cloud.vm_migrate(second, live=True)
        yield from cloud.api("one.vm.rename", [second, f"{cloud.vms[second].name}-renamed"], result=second)
        yield from cloud.api(
            "one.vm.action", ["poweroff", 9999], success=False, error_code="NO_EXISTS",
            error="[one.vm.action] Error getting virtual machine [9999].", resp_id=9999,
        )  # fmt: skip
        failing = cloud.vms[vids[-1]].history[-1].hid
        yield from cloud.host_fail(failing)
        yield from cloud.host_recover(failing)
        execution = executions() if executions is not None else None
        if execution is not None and execution.hook_id is not None and execution.arguments is not None:
            yield from cloud.hook_retry(
                execution.hook_id, execution.arguments, remote_host=execution.remote_host
            )
        for vid in vids:
            yield from cloud.vm_action(vid, "terminate")
        done += 1
