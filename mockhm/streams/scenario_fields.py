"""The scenario format's fields: what each builder takes, the value checks, ``${variables}`` and
``{faker:method}``."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

from mockhm.oned.cloud import Cloud
from mockhm.streams.capturefile import decode_frame
from mockhm.streams.scenario_yaml import LineMap, Where
from mockhm.wire.bodies import ERROR_CODES

_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_FAKER = re.compile(r"\{faker:([A-Za-z_][A-Za-z0-9_]*)\}")

TOP_FIELDS: Final = ("format_version", "name", "description", "profile", "seed", "gap", "variables", "steps")
TIMING_FIELDS: Final = ("at", "after", "gap", "repeat", "every", "comment")

_HOST_ACTIONS: Final = ("allocate", "monitor", "fail", "recover", "enable", "disable", "offline")
_VM_STATE_ACTIONS: Final = (
    "poweroff", "poweroff-hard", "suspend", "stop", "undeploy", "undeploy-hard", "hold", "release",
    "resume", "terminate", "terminate-hard", "reboot", "reboot-hard", "resched", "unresched",
)  # fmt: skip
_VM_ACTIONS: Final = ("allocate", "deploy", "migrate", "hot", "recover", *_VM_STATE_ACTIONS)
_IMAGE_ACTIONS: Final = ("allocate", "state")
_NET_ACTIONS: Final = ("allocate", "state", "delete")
_STORIES: Final = ("mixed-day",)


Checker = Callable[[Any], str | None]


def check_int(v: Any) -> str | None:
    return None if isinstance(v, int) and not isinstance(v, bool) else "expected an integer"


def _nonneg_int(v: Any) -> str | None:
    return check_int(v) or (None if v >= 0 else "expected an integer >= 0")


def check_pos_int(v: Any) -> str | None:
    return check_int(v) or (None if v >= 1 else "expected an integer >= 1")


#: Bounds of the fields that multiply work (issue 10, item 6): a scenario is for people; a
#: longer stream is ``mockhm load`` (or ``repeat`` of a smaller step).
MAX_REPEAT: Final = 10_000
MAX_COUNT: Final = 1_000
MAX_ROUNDS: Final = 1_000


def bounded_int(high: int) -> Checker:
    """An integer 1..``high``."""

    def check(v: Any) -> str | None:
        problem = check_pos_int(v)
        if problem is None and v > high:
            problem = f"{v} is too large: expected an integer >= 1 and at most {high:,}"
        return problem

    return check


def _str(v: Any) -> str | None:
    return None if isinstance(v, str) else "expected a string"


def _bool(v: Any) -> str | None:
    return None if isinstance(v, bool) else "expected true or false"


def _id(*words: str) -> Checker:
    def check(v: Any) -> str | None:
        if isinstance(v, int) and not isinstance(v, bool) and v >= 0:
            return None
        if isinstance(v, str) and v in words:
            return None
        return f"expected an id (integer >= 0) or one of {', '.join(repr(w) for w in words)}"

    return check


def _choice(values: Sequence[str]) -> Checker:
    def check(v: Any) -> str | None:
        if v in values:
            return None
        return f"unknown value {v!r}; expected one of {', '.join(repr(x) for x in values)}"

    return check


def _str_map(v: Any) -> str | None:
    if isinstance(v, dict) and all(isinstance(x, (str, int, float)) for x in v.values()):
        return None
    return "expected a mapping of names to strings or numbers"


def _list(v: Any) -> str | None:
    return None if isinstance(v, list) else "expected a list"


def _actions(v: Any) -> str | None:
    if not isinstance(v, list) or not v:
        return "expected a non-empty list of VM actions"
    allowed = ("deploy", "migrate", *_VM_STATE_ACTIONS)
    for item in v:
        if item not in allowed:
            return f"unknown action {item!r}; expected one of {', '.join(repr(a) for a in allowed)}"
    return None


def _api_value(v: Any) -> str | None:
    if isinstance(v, list):
        return None if all(isinstance(x, (str, int, float, bool)) for x in v) else "bad list"
    return None if isinstance(v, (str, int, float, bool)) else "expected a string, number or boolean"


def _params(v: Any) -> str | None:
    if not isinstance(v, list):
        return "expected a list of parameters (strings, numbers, booleans)"
    for i, item in enumerate(v):
        if _api_value(item):
            return f"parameter {i + 1} is {item!r}; expected a string, number, boolean or list of those"
    return None


def _error_code(v: Any) -> str | None:
    if (isinstance(v, int) and not isinstance(v, bool)) or (isinstance(v, str) and v in ERROR_CODES):
        return None
    return f"expected a code number or one of {', '.join(ERROR_CODES)}"


def check_number(v: Any) -> str | None:
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        try:
            if 0 <= float(v) < math.inf:  # an int too large for a float is not a time either
                return None
        except OverflowError:
            pass
    return "expected a finite number of seconds >= 0"


def _frames(v: Any) -> str | None:
    if not isinstance(v, list):
        return 'expected a list of frames (ASCII strings or {b64: "..."})'
    if not v:
        return "expected at least one frame (a ZeroMQ message has one), got []"
    for i, item in enumerate(v):
        problem = _frame_problem(item)
        if problem:
            return f"frame {i + 1}: {problem}"
    return None


def _frame_problem(item: Any) -> str | None:
    try:
        decode_frame(dict(item) if isinstance(item, dict) else item)
    except ValueError as err:
        return str(err)
    return None


#: Builder -> field -> (checker, required).  The ``action`` field is checked first.
BUILDERS: Final[dict[str, dict[str, tuple[Checker, bool]]]] = {
    "host": {
        "action": (_choice(_HOST_ACTIONS), True),
        "id": (_id("last"), False),
        "name": (_str, False),
        "ok": (_bool, False),
        "im_mad": (_str, False),
        "vm_mad": (_str, False),
    },
    "vm": {
        "action": (_choice(_VM_ACTIONS), True),
        "id": (_id("last", "all"), False),
        "host": (_id("last"), False),
        "name": (_str, False),
        "hold": (_bool, False),
        "image": (_id("last"), False),
        "network": (_id("last"), False),
        "user_template": (_str_map, False),
        "uname": (_str, False),
        "gname": (_str, False),
        "live": (_bool, False),
        "operation": (_str, False),
        "fail": (_choice(("prolog", "boot")), False),
        "call": (_choice(("one.vm.allocate", "one.template.instantiate")), False),
    },
    "vm_lifecycle": {
        "count": (bounded_int(MAX_COUNT), False),
        "actions": (_actions, False),
        "name": (_str, False),
        "image": (_id("last"), False),
        "network": (_id("last"), False),
        "host": (_id("last"), False),
        "user_template": (_str_map, False),
    },
    "api": {
        "call": (_str, True),
        "params": (_params, False),
        "success": (_bool, False),
        "result": (_api_value, False),
        "error": (_str, False),
        "error_code": (_error_code, False),
        "resp_id": (check_int, False),
        "extra": (_str, False),
        "grpc": (_bool, False),
    },
    "image": {
        "action": (_choice(_IMAGE_ACTIONS), True),
        "id": (_id("last"), False),
        "name": (_str, False),
        "persistent": (_bool, False),
        "state": (_str, False),
    },
    "network": {
        "action": (_choice(_NET_ACTIONS), True),
        "id": (_id("last"), False),
        "name": (_str, False),
        "state": (_str, False),
    },
    "retry": {
        "hook_id": (_nonneg_int, True),
        "arguments": (_str, False),
        "remote_host": (_str, False),
    },
    "raw": {"frames": (_frames, True), "label": (_str, False)},
    "story": {
        "name": (_choice(_STORIES), True),
        "rounds": (bounded_int(MAX_ROUNDS), False),
        "vms_per_round": (bounded_int(MAX_COUNT), False),
    },
}


def substitute(value: Any, variables: Mapping[str, Any], fail: Callable[[str], Exception]) -> Any:
    """Replace ``${name}`` in strings (recursively); a whole-string reference keeps its type."""
    if isinstance(value, str):
        whole = _VAR.fullmatch(value)

        def lookup(name: str) -> Any:
            if name not in variables:
                defined = ", ".join(sorted(variables)) or "(none)"
                raise fail(f"undefined variable ${{{name}}}; defined variables are {defined}")
            return variables[name]

        if whole:
            return lookup(whole[1])
        return _VAR.sub(lambda m: str(lookup(m[1])), value)
    if isinstance(value, LineMap):
        out = LineMap({k: substitute(v, variables, fail) for k, v in value.items()})
        out.line, out.lines = value.line, value.lines
        return out
    if isinstance(value, list):
        return [substitute(v, variables, fail) for v in value]
    return value


def _faker_names(cloud: Cloud) -> list[str]:
    return sorted(n for n in dir(cloud.fake) if n.startswith("one_") and n.endswith("_name"))


def fill_faker(value: Any, cloud: Cloud, fail: Callable[[str], Exception]) -> Any:
    """Replace ``{faker:method}`` with a value from the scenario's seeded Faker."""
    if isinstance(value, str):

        def call(m: re.Match[str]) -> str:
            name = m[1]
            method = getattr(cloud.fake, name, None) if not name.startswith("_") else None
            if method is None or not callable(method):
                raise fail(
                    f"unknown Faker method {name!r}; OpenNebula ones are {', '.join(_faker_names(cloud))} "
                    "(any Faker method without arguments works too)"
                )
            try:
                return str(method())
            except TypeError as err:
                raise fail(f"Faker method {name!r} needs arguments: {err}") from None

        return _FAKER.sub(call, value)
    if isinstance(value, dict):
        return {k: fill_faker(v, cloud, fail) for k, v in value.items()}
    if isinstance(value, list):
        return [fill_faker(v, cloud, fail) for v in value]
    return value


def check_fields(args: Any, builder: str, where: Where, step: int, line: int) -> LineMap:
    spec = BUILDERS[builder]
    if not isinstance(args, LineMap):
        raise where.error(line, f"expected a mapping of {', '.join(spec)}", step=step, builder=builder)
    for name in args:
        if name not in spec:
            raise where.error(
                args.lines.get(name, line),
                f"unknown field; {builder} takes {', '.join(repr(f) for f in spec)}",
                step=step, builder=builder, field=name,
            )  # fmt: skip
    for name, (check, required) in spec.items():
        if name not in args:
            if required:
                raise where.error(args.line, "required field missing", step=step, builder=builder, field=name)
            continue
        problem = check(args[name])
        if problem:
            raise where.error(args.lines.get(name, line), problem, step=step, builder=builder, field=name)
    return args


def timing_field(step: LineMap, name: str, where: Where, n: int, builder: str, check: Checker) -> Any:
    if name not in step:
        return None
    problem = check(step[name])
    if problem:
        raise where.error(step.lines[name], problem, step=n, builder=builder, field=name)
    return step[name]
