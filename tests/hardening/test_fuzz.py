"""Issue 10: fuzzing the inputs people and peers control.  Whatever comes in, only mockhm's own
errors (``MockHMError``, or argparse's usage exit 2) may come out: no traceback, no hang.

Example counts are modest so that the suite stays fast; the strategies aim at the real field
names so that the fuzzing reaches past the first check."""

from __future__ import annotations

import argparse
import base64
import contextlib
import io
import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
import zmq
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mockhm import HookManager
from mockhm.cli import build_parser
from mockhm.streams.capturefile import parse_header, parse_record
from mockhm.streams.scenario import loads_scenario
from mockhm.streams.scenario_fields import TIMING_FIELDS, TOP_FIELDS
from mockhm.wire.errors import MockHMError
from mockhm.wire.reports import parse_report

FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# -- the scenario loader -------------------------------------------------------------------------

BUILDERS = ("host", "vm", "vm_lifecycle", "api", "image", "network", "retry", "raw", "story")
ARGS = ("action", "id", "count", "name", "actions", "call", "params", "result", "success", "hook_id",
        "arguments", "rounds", "frames", "state", "host", "live", "hold", "vms_per_round", "remote_host")  # fmt: skip
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 40), st.sampled_from([10**9, -(10**9), 2**64]),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12),
    st.sampled_from(["allocate", "deploy", "monitor", "poweroff", "terminate", "mixed-day", "7.4", "${x}",
                     "{faker:name}", "EVENT API one.vm.allocate 1", "UkVUUlk="]),
)  # fmt: skip
keys = st.sampled_from((*TOP_FIELDS, *TIMING_FIELDS, *BUILDERS, *ARGS, "x"))
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=5),
    max_leaves=20,
)
step = st.dictionaries(st.sampled_from((*TIMING_FIELDS, *BUILDERS)), values, min_size=1, max_size=3)
scenario = st.fixed_dictionaries(
    {"format_version": st.sampled_from([1, 1, 1, 2, True, "1", None]), "steps": st.lists(step, max_size=4)},
    optional={"profile": st.sampled_from(["7.4", "5.10.0", "6.10", "9.9", 7]), "seed": scalars,
              "gap": scalars, "variables": st.dictionaries(st.sampled_from(["x", "vms"]), scalars, max_size=2)},
)  # fmt: skip


def _expect_ours(call: Any, *args: Any) -> None:
    with contextlib.suppress(MockHMError):  # anything else fails the test
        call(*args)


@FUZZ
@given(scenario)
def test_scenario_loader_raises_only_scenario_errors(data: dict[str, Any]) -> None:
    _expect_ours(loads_scenario, yaml.safe_dump(data, sort_keys=False))


@FUZZ
@given(st.text(max_size=300))
def test_scenario_loader_on_any_text(text: str) -> None:
    _expect_ours(loads_scenario, text)


# -- the capture reader --------------------------------------------------------------------------

frame = st.one_of(st.text(max_size=20), st.fixed_dictionaries({"b64": st.text(max_size=12)}), scalars)
record = st.dictionaries(
    st.sampled_from(["t", "wall", "frames", "x"]),
    st.one_of(scalars, st.lists(frame, max_size=3)),
    max_size=4,
)


@FUZZ
@given(st.one_of(record.map(json.dumps), st.text(max_size=200)))
def test_capture_reader_raises_only_scenario_errors(line: str) -> None:
    _expect_ours(parse_record, line, Path("fuzz.jsonl"), 2)
    _expect_ours(parse_header, line, Path("fuzz.jsonl"))


def test_capture_reader_on_deep_nesting_and_non_finite_numbers() -> None:
    for line in ("[" * 50_000 + "]" * 50_000, '{"t": NaN, "wall": 1, "frames": ["a"]}', '{"t": 1e999}'):
        with pytest.raises(MockHMError):
            parse_record(line, Path("fuzz.jsonl"), 2)


# -- command-line parsing ------------------------------------------------------------------------


def _options() -> list[str]:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    names: set[str] = set()
    for p in sub.choices.values():
        for action in p._actions:
            names.update(o for o in action.option_strings if o not in ("-h", "--help"))
    return sorted(names)


argument = st.one_of(
    st.sampled_from(["serve", "record", "load", "generate", "validate", "scenarios", "profiles"]),
    st.sampled_from(_options()),
    st.sampled_from(["0", "-1", "1e-300", "nan", "inf", "-inf", "70000", "*", "é", "tcp://127.0.0.1:99999",
                     "tcp://*:1", "x.jsonl", "/nonexistent/x.jsonl", "2", "1.5", "", "--"]),
    st.text(max_size=8),
)  # fmt: skip


@FUZZ
@given(st.lists(argument, max_size=6))
def test_cli_parsing_gives_a_namespace_or_a_usage_error(argv: list[str]) -> None:
    out, err = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            build_parser().parse_args(argv)
    except SystemExit as exit_:
        assert exit_.code in (0, 2), (argv, err.getvalue())
        assert "Traceback" not in err.getvalue()


# -- 2102 reports ---------------------------------------------------------------------------------

fragment = st.lists(
    st.sampled_from(["<ARGUMENTS>", "</ARGUMENTS>", "<EXECUTION_RESULT>", "</EXECUTION_RESULT>", "<CODE>",
                     "</CODE>", "<STDOUT>", "</STDOUT>", "<RETRY>yes</RETRY>", "&amp;", "&x;", "<!DOCTYPE x>",
                     "<![CDATA[", "]]>", "x", "1", "\x00", "é"]),
    max_size=12,
).map("".join)  # fmt: skip
report = st.one_of(
    st.binary(max_size=200),
    st.tuples(
        st.sampled_from(["0", "1", "-1", "x", "", "99999999999999999999"]), st.integers(-2, 10), fragment
    ).map(lambda t: f"{t[0]} {t[1]} ".encode() + base64.b64encode(t[2].encode())),
)


@FUZZ
@given(report)
def test_report_parser_never_raises(raw: bytes) -> None:
    parsed = parse_report(raw)
    assert parsed.raw == raw
    assert parsed.error is None or isinstance(parsed.error, str)


@pytest.fixture(scope="module")
def rep_channel() -> Iterator[tuple[HookManager, zmq.Socket[bytes]]]:
    ctx: zmq.Context[zmq.Socket[bytes]] = zmq.Context()
    with HookManager("tcp://127.0.0.1:*", "tcp://127.0.0.1:*") as hm:
        assert hm.reports_endpoint is not None
        req = ctx.socket(zmq.REQ)
        req.setsockopt(zmq.LINGER, 0)
        req.setsockopt(zmq.RCVTIMEO, 5000)
        req.connect(hm.reports_endpoint)
        try:
            yield hm, req
        finally:
            req.close(0)
    ctx.term()


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(report, min_size=1, max_size=3))
def test_report_channel_acks_anything_and_stays_up(
    rep_channel: tuple[HookManager, zmq.Socket[bytes]], frames: list[bytes]
) -> None:
    hm, req = rep_channel
    req.send_multipart(frames)
    assert req.recv() == b"ACK"
    hm.check()
    assert math.isfinite(hm.statistics().reports)
