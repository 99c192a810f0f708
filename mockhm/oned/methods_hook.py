"""``one.hook.*``, ``one.hookpool.info`` and ``one.hooklog.info``: handlers of :mod:`mockhm.oned.front`.

Hook changes publish their API events (the HEM reloads on them); ``one.hook.retry``
publishes the RETRY built from a recorded execution before its API event
(``src/rm/api/RMHookAPI.cc`` and ``src/hm/HookLog.cc`` at ``release-7.4.0``).
"""

from __future__ import annotations

from typing import Any

from mockhm.oned.hooks import Hook, HookError, build_hook
from mockhm.oned.methods_vm import Result, parse
from mockhm.oned.requests import Failure, no_exists, update_replaces
from mockhm.oned.requests import OnedBase as Oned
from mockhm.wire.bodies import retry_message


def _hook(oned: Oned, hook_id: int) -> Hook:
    hook = oned.hooks.hooks.get(hook_id)
    if hook is None:
        raise no_exists("hook", hook_id)
    return hook


def hook_allocate(oned: Oned, args: list[Any]) -> Result:
    attrs = parse(args[0])
    try:
        hook = oned.hooks.allocate(attrs)
    except HookError as err:
        raise Failure("ALLOCATE", f"Error allocating a new hook. {err}") from None
    return hook.id, oned.api("one.hook.allocate", args, hook.id, extra=hook.to_xml())


def hook_info(oned: Oned, args: list[Any]) -> Result:
    return _hook(oned, args[0]).to_xml(with_log=True), []


def hook_update(oned: Oned, args: list[Any]) -> Result:
    hook = _hook(oned, args[0])
    replace = update_replaces(args)
    attrs = parse(args[1])
    base = [] if replace else [(k, v) for k, v in hook.template.items() if isinstance(v, (str, dict))]
    merged = dict(base)
    merged.update(dict(attrs))
    try:
        updated = build_hook(hook.id, [("NAME", hook.name), ("TYPE", hook.type), *merged.items()])
    except HookError as err:
        raise Failure("INTERNAL", str(err)) from None
    hook.template = updated.template
    return hook.id, oned.api("one.hook.update", args, hook.id)


def hook_delete(oned: Oned, args: list[Any]) -> Result:
    hook = _hook(oned, args[0])
    extra = hook.to_xml()
    del oned.hooks.hooks[hook.id]
    return hook.id, oned.api("one.hook.delete", args, hook.id, extra=extra)


def hook_retry(oned: Oned, args: list[Any]) -> Result:
    hook_id, execution_id = args
    _hook(oned, hook_id)
    try:
        arguments, host = oned.hooks.retry_arguments(hook_id, execution_id)
    except HookError as err:
        raise Failure("INTERNAL", str(err)) from None
    retry = retry_message(hook_id, arguments, remote_host=host or None, profile=oned.profile)
    return hook_id, [retry, *oned.api("one.hook.retry", args, hook_id)]


def hookpool_info(oned: Oned, args: list[Any]) -> Result:
    hooks = sorted(oned.hooks.hooks.values(), key=lambda h: h.id)
    return "<HOOK_POOL>" + "".join(h.to_xml() for h in hooks) + "</HOOK_POOL>", []


def hooklog_info(oned: Oned, args: list[Any]) -> Result:
    """``one.hooklog.info(min_ts, max_ts, hook_id, rc_filter)`` as ``HookPoolAPI::log_info``
    (``src/rm/api/HookPoolAPI.cc@release-7.4.0``) builds its WHERE clause: a bound 0 or more
    keeps records strictly after ``min_ts`` and strictly before ``max_ts`` (-1: no bound), a
    hook id 0 or more that hook (negative: every hook), rc_filter 1 successes, -1 failures,
    anything else all."""
    min_ts, max_ts, hook_id, rc = [*args, -1, -1, -1, 0][:4]
    records = []
    for hook in sorted(oned.hooks.hooks.values(), key=lambda h: -h.id):
        if hook_id >= 0 and hook.id != hook_id:
            continue
        for execution in hook.log:
            code = execution.fragment.split("<CODE>", 1)[-1].split("</CODE>", 1)[0]
            ok = code.strip() == "0"
            if (min_ts >= 0 and not execution.timestamp > min_ts) or (
                max_ts >= 0 and not execution.timestamp < max_ts
            ):
                continue
            if (rc == 1 and not ok) or (rc == -1 and ok):
                continue
            records.append(execution.to_xml())
    return "<HOOKLOG>" + "".join(records) + "</HOOKLOG>", []
