"""Scenarios: YAML files that script a timed stream of hook events, for people to write.

A scenario is checked completely and compiled to a list of :class:`TimedMessage` before
anything is sent; an invalid one raises :class:`~mockhm.ScenarioError` naming the file,
line, step and field, and the allowed values.  Format (``format_version: 1``)::

    format_version: 1
    description: one line shown by `mockhm scenarios`
    profile: "7.4"            # release to imitate
    seed: 0                   # names, addresses and cloud clock
    gap: 0.1                  # default seconds between the messages of one step
    variables: {vms: 3}       # used as ${vms}; a whole-string ${x} keeps its type
    steps:
      - at: 0                 # seconds from the start (or `after:` the previous step)
        host: {action: allocate, name: "{faker:one_host_name}"}
      - after: 1
        repeat: 3             # the step runs 3 times ...
        every: 2              # ... 2 s apart (default: back to back)
        vm_lifecycle: {count: "${vms}", actions: [deploy, poweroff, resume, terminate]}

Each step has exactly one builder: ``host``, ``vm``, ``vm_lifecycle``, ``api``, ``image``,
``network``, ``retry``, ``raw`` (frames sent as written, for hostile messages) or ``story``
(the built-in ``mixed-day`` story).  Builders drive one :class:`~mockhm.Cloud`, so ids,
names and documents line up across steps.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import yaml

from mockhm.oned.cloud import HOT_OPERATIONS, RECOVER_OPERATIONS, Cloud, CloudError
from mockhm.streams.capturefile import decode_frame
from mockhm.wire.documents import Owner
from mockhm.wire.errors import ScenarioError, ScenarioNotFoundError
from mockhm.wire.message import HookEvent
from mockhm.wire.profiles import PROFILES

FORMAT_VERSION: Final[int] = 1
#: Seconds between the messages of one step unless the scenario or step says otherwise.
DEFAULT_GAP: Final[float] = 0.1
SUFFIXES: Final[tuple[str, ...]] = (".yaml", ".yml")


@dataclass(frozen=True)
class TimedMessage:
    """One wire message and when it is due, in seconds from the start of the stream.

    ``step`` is the 1-based scenario step (or capture line) it comes from.
    """

    t: float
    frames: tuple[bytes, ...]
    step: int = 0

    @property
    def key(self) -> str:
        """Frame 1 as text."""
        return self.frames[0].decode("ascii", "replace") if self.frames else ""


@dataclass(frozen=True)
class Scenario:
    """A loaded, checked and compiled scenario."""

    name: str
    description: str
    profile: str
    seed: int
    messages: tuple[TimedMessage, ...]
    path: str | None = None
    variables: Mapping[str, Any] = field(default_factory=dict)

    @property
    def duration(self) -> float:
        """Offset of the last message (0 for an empty scenario)."""
        return self.messages[-1].t if self.messages else 0.0


# --------------------------------------------------------------------------- finding


def scenario_dirs() -> list[Path]:
    """Where built-in scenarios live: the scenario directory installed inside the package (a
    wheel), then a checkout's ``scenarios/`` next to the ``mockhm`` package (source or editable
    install)."""
    package = Path(__file__).resolve().parents[1]
    return [d for d in (package / "_scenarios", package.parent / "scenarios") if d.is_dir()]


def builtin_scenarios() -> dict[str, Path]:
    """Built-in scenario names and their files (the first directory wins)."""
    found: dict[str, Path] = {}
    for d in scenario_dirs():
        for p in sorted(d.iterdir()):
            if p.suffix in SUFFIXES and p.stem not in found:
                found[p.stem] = p
    return dict(sorted(found.items()))


def find_scenario(name: str | Path) -> Path:
    """A scenario or capture file: an existing path, or the name of a built-in scenario.

    Raises:
        ScenarioNotFoundError: neither; the message lists the built-in names.
    """
    p = Path(name)
    if p.is_file():
        return p
    builtin = builtin_scenarios()
    if str(name) in builtin:
        return builtin[str(name)]
    raise ScenarioNotFoundError(
        f"no scenario file {str(name)!r} and no built-in scenario of that name; "
        f"built-in scenarios are {', '.join(builtin) or '(none found)'}",
        path=str(name),
    )


def describe(path: Path) -> str:
    """The one-line ``description`` of a scenario file (empty if it has none or is broken)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return ""
    text = data.get("description", "") if isinstance(data, dict) else ""
    return " ".join(str(text).split())


# --------------------------------------------------------------------------- YAML with lines


class _Map(dict[str, Any]):
    """A mapping that remembers the line of itself and of each key."""

    line: int = 0
    lines: dict[str, int]


class _Loader(yaml.SafeLoader):
    pass


def _construct_map(loader: _Loader, node: yaml.MappingNode) -> _Map:
    loader.flatten_mapping(node)
    out = _Map()
    out.line = node.start_mark.line + 1
    out.lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        if not isinstance(key, str):
            raise _LoadError(line, f"keys must be strings, got {key!r}")
        if key in out:
            raise _LoadError(line, f"duplicate key {key!r} (first on line {out.lines[key]})")
        out[key] = loader.construct_object(value_node, deep=True)
        out.lines[key] = line
    return out


_Loader.add_constructor("tag:yaml.org,2002:map", _construct_map)


class _LoadError(Exception):
    def __init__(self, line: int, what: str) -> None:
        super().__init__(what)
        self.line = line
        self.what = what


# --------------------------------------------------------------------------- checking


class _Where:
    """Builds errors that name the file, line, step and field."""

    def __init__(self, path: str) -> None:
        self.path = path

    def error(
        self,
        line: int,
        what: str,
        *,
        step: int | None = None,
        builder: str | None = None,
        field: str | None = None,
    ) -> ScenarioError:
        parts = [f"{self.path}:{line}"]
        if step is not None:
            parts.append(f"step {step}" + (f" ({builder})" if builder else ""))
        if field is not None:
            parts.append(f"field {field!r}")
        parts.append(what)
        return ScenarioError(": ".join(parts), path=self.path, line=line, step=step, field=field)


_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_FAKER = re.compile(r"\{faker:([A-Za-z_][A-Za-z0-9_]*)\}")

_TOP_FIELDS: Final = ("format_version", "name", "description", "profile", "seed", "gap", "variables", "steps")
_TIMING_FIELDS: Final = ("at", "after", "gap", "repeat", "every", "comment")

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


def _int(v: Any) -> str | None:
    return None if isinstance(v, int) and not isinstance(v, bool) else "expected an integer"


def _nonneg_int(v: Any) -> str | None:
    return _int(v) or (None if v >= 0 else "expected an integer >= 0")


def _pos_int(v: Any) -> str | None:
    return _int(v) or (None if v >= 1 else "expected an integer >= 1")


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


def _number(v: Any) -> str | None:
    if isinstance(v, (int, float)) and not isinstance(v, bool) and v >= 0:
        return None
    return "expected a number of seconds >= 0"


def _frames(v: Any) -> str | None:
    if not isinstance(v, list):
        return 'expected a list of frames (ASCII strings or {b64: "..."})'
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
_BUILDERS: Final[dict[str, dict[str, tuple[Checker, bool]]]] = {
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
        "count": (_pos_int, False),
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
        "error_code": (
            lambda v: None if isinstance(v, (int, str)) else "expected a code name or number",
            False,
        ),
        "resp_id": (_int, False),
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
        "rounds": (_pos_int, False),
        "vms_per_round": (_pos_int, False),
    },
}


def _substitute(value: Any, variables: Mapping[str, Any], fail: Callable[[str], Exception]) -> Any:
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
    if isinstance(value, _Map):
        out = _Map({k: _substitute(v, variables, fail) for k, v in value.items()})
        out.line, out.lines = value.line, value.lines
        return out
    if isinstance(value, list):
        return [_substitute(v, variables, fail) for v in value]
    return value


def _faker_names(cloud: Cloud) -> list[str]:
    return sorted(n for n in dir(cloud.fake) if n.startswith("one_") and n.endswith("_name"))


def _fill_faker(value: Any, cloud: Cloud, fail: Callable[[str], Exception]) -> Any:
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
        return {k: _fill_faker(v, cloud, fail) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill_faker(v, cloud, fail) for v in value]
    return value


# --------------------------------------------------------------------------- building


class _Build:
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
            raise _FieldError("operation", f"expected one of {', '.join(HOT_OPERATIONS)}")
        if action == "recover" and a.get("operation") not in RECOVER_OPERATIONS:
            raise _FieldError("operation", f"expected one of {', '.join(RECOVER_OPERATIONS)}")
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
            raise _FieldError("state", "required for action 'state'")
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
            raise _FieldError("state", "required for action 'state'")
        return c.net_state(nid, a["state"])

    def retry(self, a: Mapping[str, Any]) -> list[HookEvent]:
        return self.cloud.hook_retry(a["hook_id"], a.get("arguments", ""), remote_host=a.get("remote_host"))

    def story(self, a: Mapping[str, Any]) -> list[HookEvent]:
        from mockhm.oned.story import mixed_day

        return list(mixed_day(self.cloud, rounds=a.get("rounds", 1), vms_per_round=a.get("vms_per_round", 3)))


class _FieldError(Exception):
    def __init__(self, field: str, what: str) -> None:
        super().__init__(what)
        self.field = field
        self.what = what


def _check_fields(args: Any, builder: str, where: _Where, step: int, line: int) -> _Map:
    spec = _BUILDERS[builder]
    if not isinstance(args, _Map):
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


def _timing(step: _Map, name: str, where: _Where, n: int, builder: str, check: Checker) -> Any:
    if name not in step:
        return None
    problem = check(step[name])
    if problem:
        raise where.error(step.lines[name], problem, step=n, builder=builder, field=name)
    return step[name]


def compile_scenario(
    data: Any, *, path: str = "<scenario>", variables: Mapping[str, Any] | None = None
) -> Scenario:
    """Check and compile parsed scenario data (from :func:`parse_yaml`) into a :class:`Scenario`.

    Args:
        data: the parsed document.
        path: the file name used in errors.
        variables: values that override the scenario's ``variables``.

    Raises:
        ScenarioError: the first problem, naming file, line, step and field.
    """
    where = _Where(path)
    if not isinstance(data, _Map):
        raise where.error(1, "a scenario is a mapping with format_version, profile, seed and steps")
    for name in data:
        if name not in _TOP_FIELDS:
            raise where.error(
                data.lines[name], f"unknown field; a scenario has {', '.join(_TOP_FIELDS)}", field=name
            )
    version = data.get("format_version")
    if version != FORMAT_VERSION:
        line = data.lines.get("format_version", data.line)
        raise where.error(
            line, f"expected format_version: {FORMAT_VERSION}, got {version!r}", field="format_version"
        )
    profile = str(data.get("profile", "7.4"))
    if profile not in PROFILES:
        raise where.error(
            data.lines.get("profile", 1),
            f"unknown profile {profile!r}; expected one of {', '.join(PROFILES)}",
            field="profile",
        )
    seed = data.get("seed", 0)
    if _int(seed):
        raise where.error(data.lines.get("seed", 1), "expected an integer seed", field="seed")
    gap = data.get("gap", DEFAULT_GAP)
    if _number(gap):
        raise where.error(data.lines.get("gap", 1), "expected a number of seconds >= 0", field="gap")
    declared = data.get("variables") or {}
    if not isinstance(declared, dict):
        raise where.error(data.lines.get("variables", 1), "expected a mapping", field="variables")
    values = {**declared, **(variables or {})}
    steps = data.get("steps")
    if not isinstance(steps, list) or not steps:
        raise where.error(
            data.lines.get("steps", data.line), "expected a non-empty list of steps", field="steps"
        )
    cloud = Cloud(profile, seed=seed)
    build = _Build(cloud)
    messages: list[TimedMessage] = []
    end = 0.0
    for n, raw_step in enumerate(steps, start=1):
        line = raw_step.line if isinstance(raw_step, _Map) else data.lines["steps"]
        if not isinstance(raw_step, _Map):
            raise where.error(line, f"a step is a mapping with one of {', '.join(_BUILDERS)}", step=n)
        builders = [k for k in raw_step if k in _BUILDERS]
        for name in raw_step:
            if name not in _BUILDERS and name not in _TIMING_FIELDS:
                raise where.error(
                    raw_step.lines[name],
                    f"unknown field; a step has one builder ({', '.join(_BUILDERS)}) and "
                    f"{', '.join(_TIMING_FIELDS)}",
                    step=n, field=name,
                )  # fmt: skip
        if len(builders) != 1:
            what = "no builder" if not builders else f"several builders ({', '.join(builders)})"
            raise where.error(line, f"{what}; a step has exactly one of {', '.join(_BUILDERS)}", step=n)
        builder = builders[0]

        def fail(what: str, _n: int = n, _b: str = builder, _l: int = line) -> ScenarioError:
            return where.error(_l, what, step=_n, builder=_b)

        step = _substitute(raw_step, values, fail)
        at = _timing(step, "at", where, n, builder, _number)
        after = _timing(step, "after", where, n, builder, _number)
        if at is not None and after is not None:
            raise where.error(line, "give 'at' or 'after', not both", step=n, builder=builder, field="after")
        step_gap = _timing(step, "gap", where, n, builder, _number)
        step_gap = gap if step_gap is None else step_gap
        repeat = _timing(step, "repeat", where, n, builder, _pos_int) or 1
        every = _timing(step, "every", where, n, builder, _number)
        start = float(at) if at is not None else end + float(after or 0.0)
        if messages and start < end:
            raise where.error(
                step.lines["at"],
                f"at {at} s is before the previous step's last message ({end:g} s); "
                "steps are sent in file order, so offsets must not go back",
                step=n, builder=builder, field="at",
            )  # fmt: skip
        args = _check_fields(step[builder], builder, where, n, step.lines[builder])
        t = start
        for r in range(repeat):
            if every is not None:
                t = start + r * float(every)
                if messages and t < end:
                    raise where.error(
                        step.lines["every"],
                        f"repeat {r + 1} would start at {t:g} s, before repeat {r} ends ({end:g} s); "
                        "raise 'every' or lower 'gap'",
                        step=n, builder=builder, field="every",
                    )  # fmt: skip
            elif r:
                t = end + step_gap
            filled = _fill_faker(dict(args), cloud, fail)
            frames_list = _run_builder(build, builder, filled, args, where, n)
            for i, frames in enumerate(frames_list):
                messages.append(TimedMessage(round(t + i * step_gap, 9), frames, n))
            end = messages[-1].t if frames_list else max(end, t)
    name = str(data.get("name") or Path(path).stem)
    description = " ".join(str(data.get("description", "")).split())
    return Scenario(name, description, profile, seed, tuple(messages), path, values)


def _run_builder(
    build: _Build, builder: str, args: dict[str, Any], spec_args: _Map, where: _Where, n: int
) -> list[tuple[bytes, ...]]:
    if builder == "raw":
        return [tuple(decode_frame(f) for f in args["frames"])]
    method: Callable[[Mapping[str, Any]], list[HookEvent]] = getattr(build, builder)
    try:
        events = method(args)
    except _FieldError as err:
        raise where.error(
            spec_args.lines.get(err.field, spec_args.line), err.what, step=n, builder=builder, field=err.field
        ) from None
    except (CloudError, ValueError, KeyError) as err:
        text = str(err) if not isinstance(err, KeyError) else f"no such object {err}"
        raise where.error(spec_args.line, text, step=n, builder=builder) from None
    return [m.frames for e in events for m in e.messages()]


def parse_yaml(text: str, path: str = "<scenario>") -> Any:
    """Safe-load YAML keeping line numbers (mappings remember their lines)."""
    try:
        return yaml.load(text, Loader=_Loader)
    except _LoadError as err:
        raise _Where(path).error(err.line, err.what) from None
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = mark.line + 1 if mark else 1
        raise _Where(path).error(line, f"not valid YAML: {err.problem or err}") from None
    except yaml.YAMLError as err:
        raise _Where(path).error(1, f"not valid YAML: {err}") from None


def load_scenario(source: str | Path, *, variables: Mapping[str, Any] | None = None) -> Scenario:
    """Load, check and compile a scenario file or built-in scenario name.

    Raises:
        ScenarioNotFoundError: no such file or built-in name.
        ScenarioError: the scenario is invalid (file, line, step, field and allowed values).
    """
    path = find_scenario(source)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise ScenarioError(f"{path}: cannot read: {err}", path=str(path)) from None
    return compile_scenario(parse_yaml(text, str(path)), path=str(path), variables=variables)


def loads_scenario(text: str, *, name: str = "<scenario>") -> Scenario:
    """Load, check and compile scenario text (for tests and programs)."""
    return compile_scenario(parse_yaml(text, name), path=name)


def iter_builtin() -> Iterator[tuple[str, str, Path]]:
    """``(name, one-line description, path)`` of every built-in scenario."""
    for name, path in builtin_scenarios().items():
        yield name, describe(path), path


__all__ = [
    "FORMAT_VERSION",
    "Scenario",
    "TimedMessage",
    "builtin_scenarios",
    "compile_scenario",
    "find_scenario",
    "iter_builtin",
    "load_scenario",
    "loads_scenario",
    "parse_yaml",
    "scenario_dirs",
]
