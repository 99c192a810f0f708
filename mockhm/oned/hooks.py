"""The hook pool and the hook log: HOOK documents, HOOK_EXECUTION_RECORDs, retries.

A hook's template is kept as oned keeps it (``Hook::insert``, ``HookStateVM::parse_template``
in ``src/hm/`` at ``release-7.4.0``): NAME and TYPE move out of the template, COMMAND and
REMOTE (YES/NO) are re-added, a VM state hook's ``ON`` becomes STATE and LCM_STATE.
Executions come from the reports executors send on 2102 (``HookLog::add``: per-hook
execution ids from 0, the report's fragment kept verbatim), and ``one.hook.retry``
publishes a RETRY built from a recorded execution (``HookLog::retry``).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from typing import Final

from mockhm.oned.names import name_problem
from mockhm.oned.template import Attribute
from mockhm.wire.states import LCM_STATES, VM_STATES
from mockhm.wire.xml import Template, template

#: ``ON`` of a VM state hook -> (STATE, LCM_STATE).
_VM_ON: Final[dict[str, tuple[str, str]]] = {
    "PROLOG": ("ACTIVE", "PROLOG"), "RUNNING": ("ACTIVE", "RUNNING"), "SHUTDOWN": ("ACTIVE", "EPILOG"),
    "STOP": ("STOPPED", "LCM_INIT"), "DONE": ("DONE", "LCM_INIT"), "UNKNOWN": ("ACTIVE", "UNKNOWN"),
}  # fmt: skip
#: oned's hook log keeps this many executions per hook (oned.conf HOOK_LOG_CONF LOG_RETENTION).
LOG_RETENTION: Final = 20


class HookError(ValueError):
    """A hook template oned refuses; the text is oned's."""


@dataclass
class Execution:
    """One HOOK_EXECUTION_RECORD."""

    hook_id: int
    execution_id: int
    timestamp: int
    fragment: str  # ARGUMENTS, EXECUTION_RESULT, REMOTE_HOST?, RETRY? as the executor sent them

    def to_xml(self) -> str:
        return (
            f"<HOOK_EXECUTION_RECORD><HOOK_ID>{self.hook_id}</HOOK_ID>"
            f"<EXECUTION_ID>{self.execution_id}</EXECUTION_ID><TIMESTAMP>{self.timestamp}</TIMESTAMP>"
            f"{self.fragment}</HOOK_EXECUTION_RECORD>"
        )


@dataclass
class Hook:
    """A hook of the pool."""

    id: int
    name: str
    type: str
    template: dict[str, object]
    log: list[Execution] = field(default_factory=list)

    def to_xml(self, *, with_log: bool = False) -> str:
        """``Hook::_to_xml``; ``with_log`` adds the HOOKLOG (``one.hook.info``)."""
        log = "<HOOKLOG>" + "".join(e.to_xml() for e in self.log) + "</HOOKLOG>" if with_log else ""
        tmpl: Template = self.template  # type: ignore[assignment]
        return (
            f"<HOOK><ID>{self.id}</ID><NAME>{self.name}</NAME><TYPE>{self.type}</TYPE>"
            + template("TEMPLATE", tmpl)
            + log
            + "</HOOK>"
        )

    @property
    def command(self) -> str:
        return str(self.template.get("COMMAND", ""))

    @property
    def filter(self) -> str:
        """The key prefix the HEM subscribes to for this hook (``onehem-server.rb``)."""
        if self.type == "api":
            return f"EVENT API {self.template.get('CALL', '')}"
        t = self.template
        return f"EVENT STATE {t.get('RESOURCE', '')}/{t.get('STATE', '')}/{t.get('LCM_STATE', '')}"


def build_hook(hook_id: int, attrs: list[Attribute]) -> Hook:
    """``Hook::insert`` on a parsed template; raises :class:`HookError` with oned's text."""
    tmpl: dict[str, object] = {}
    for name, value in attrs:
        tmpl.setdefault(name, value)
    name = str(tmpl.pop("NAME", ""))
    if name_problem(name):  # HookPool::allocate says no more than this
        raise HookError("Invalid name.")
    command = str(tmpl.pop("COMMAND", ""))
    if not command:
        raise HookError("No COMMAND in template for Hook.")
    tmpl["COMMAND"] = command
    tmpl["REMOTE"] = "YES" if str(tmpl.pop("REMOTE", "")).upper() == "YES" else "NO"
    kind = str(tmpl.pop("TYPE", "")).lower()
    if kind not in ("api", "state"):
        raise HookError("No TYPE or invalid one in template for Hook.")
    if kind == "api":
        if not tmpl.get("CALL"):
            raise HookError("Error creating hook: CALL attribute is not defined")
    else:
        resource = str(tmpl.get("RESOURCE", "")).upper()
        if resource not in ("VM", "HOST", "IMAGE", "NET"):
            raise HookError(f"Invalid resource type: {resource}")
        tmpl["RESOURCE"] = resource
        if resource == "VM":
            on = str(tmpl.pop("ON", "")).upper() or ("CUSTOM" if "STATE" in tmpl else "")
            if on == "CUSTOM":
                state, lcm = str(tmpl.get("STATE", "")), str(tmpl.get("LCM_STATE", ""))
                if state not in VM_STATES:
                    raise HookError(f"Wrong STATE: {state}")
                if lcm not in LCM_STATES:
                    raise HookError(f"Wrong LCM_STATE: {lcm}")
            elif on in _VM_ON:
                state, lcm = _VM_ON[on]
            else:
                raise HookError(f"Unkown state condition: {on}")
            tmpl["STATE"], tmpl["LCM_STATE"] = state, lcm
        elif not tmpl.get("STATE"):
            raise HookError(f"Wrong STATE for {resource} hook")
    return Hook(hook_id, name, kind, tmpl)


class HookPool:
    """Hooks by id, and their logs."""

    def __init__(self) -> None:
        self.hooks: dict[int, Hook] = {}
        self._next = 0

    def allocate(self, attrs: list[Attribute]) -> Hook:
        hook = build_hook(self._next, attrs)
        self.hooks[hook.id] = hook
        self._next += 1
        return hook

    def record(self, hook_id: int, fragment: str, timestamp: int) -> Execution | None:
        """``HookLog::add``: the next execution id of this hook, oldest records dropped."""
        hook = self.hooks.get(hook_id)
        if hook is None:
            return None
        next_id = hook.log[-1].execution_id + 1 if hook.log else 0
        execution = Execution(hook_id, next_id, timestamp, fragment)
        hook.log.append(execution)
        del hook.log[:-LOG_RETENTION]
        return execution

    def retry_arguments(self, hook_id: int, execution_id: int) -> tuple[str, str]:
        """ARGUMENTS and REMOTE_HOST of a recorded execution (``HookLog::retry``)."""
        hook = self.hooks[hook_id]
        for execution in hook.log:
            if execution.execution_id == execution_id:
                return _field(execution.fragment, "ARGUMENTS"), _field(execution.fragment, "REMOTE_HOST")
        raise HookError("Invalid HookLog body. Arguments not found.")


def _field(fragment: str, tag: str) -> str:
    start = fragment.find(f"<{tag}>")
    end = fragment.find(f"</{tag}>")
    if start < 0 or end < 0:
        return ""
    return fragment[start + len(tag) + 2 : end]


def report_fragment(raw: bytes) -> str | None:
    """The XML fragment of a 2102 report (``<rc> <hook id> <base64>``), or ``None``."""
    parts = raw.split(b" ", 2)
    if len(parts) < 3:
        return None
    try:
        return base64.b64decode(parts[2].strip(), validate=True).decode("utf-8", "replace")
    except (binascii.Error, ValueError):
        return None
