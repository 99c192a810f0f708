"""The built-in story ``mockhm serve`` streams when given nothing else.

A realistic day in a small cloud, driven through :class:`~mockhm.oned.cloud.Cloud`: hosts
come up, a network and an image appear, VMs are created and deployed, some are powered
off and resumed, one migrates, a host fails and recovers, an API call fails, a hook is
retried, and everything is terminated before the next round starts with fresh ids.
"""

from __future__ import annotations

from collections.abc import Iterator

from mockhm.oned.cloud import Cloud
from mockhm.wire.message import HookEvent


def mixed_day(cloud: Cloud, *, rounds: int | None = None, vms_per_round: int = 3) -> Iterator[HookEvent]:
    """Yield the story's events in emission order; ``rounds=None`` goes on forever."""
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
        args = cloud.vms[first].name
        yield from cloud.hook_retry(2, args, remote_host=cloud.vms[first].history[-1].hostname)
        for vid in vids:
            yield from cloud.vm_action(vid, "terminate")
        done += 1
