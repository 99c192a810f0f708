"""Scenario files: format, checking on load, errors that name file/line/step/field (issue 6)."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
import zmq

from mockhm import HookManager, ScenarioError
from mockhm.schemas.validation import check_message
from mockhm.streams.replay import replay
from mockhm.streams.scenario import load_scenario, loads_scenario

HEAD = 'format_version: 1\nprofile: "7.4"\nseed: 3\ngap: 0.5\nsteps:\n'


def scenario(steps: str) -> str:
    return HEAD + steps


def test_offsets_gap_repeat_every_and_after() -> None:
    s = loads_scenario(
        scenario(
            "  - at: 1\n    host: {action: allocate}\n"  # 3 messages (2 STATE keys + API)
            "  - after: 2\n    repeat: 2\n    every: 10\n    retry: {hook_id: 1, arguments: x}\n"
        )
    )
    assert [m.t for m in s.messages] == [1.0, 1.5, 2.0, 4.0, 4.5, 14.0, 14.5]
    assert [m.step for m in s.messages] == [1, 1, 1, 2, 2, 2, 2]
    assert [m.key for m in s.messages[3:5]] == ["RETRY", "EVENT API one.hook.retry 1"]


def test_variables_keep_type_and_interpolate() -> None:
    s = loads_scenario(
        "format_version: 1\nvariables: {n: 2, svc: 9}\nsteps:\n"
        "  - host: {action: allocate}\n  - host: {action: monitor}\n"
        '  - vm_lifecycle: {count: "${n}", actions: [deploy], user_template: {SERVICE_ID: "${svc}"}}\n'
    )
    service = [m.key for m in s.messages if m.key.startswith("EVENT SERVICE")]
    assert service and set(service) == {"EVENT SERVICE 9 "}  # §2.1 SERVICE key
    allocs = [m for m in s.messages if m.key == "EVENT API one.vm.allocate 1"]
    assert len(allocs) == 2


def test_faker_fields_are_seeded_and_reproducible() -> None:
    text = scenario('  - host: {action: allocate, name: "{faker:one_host_name}"}\n')
    a, b = loads_scenario(text), loads_scenario(text)
    assert a.messages == b.messages
    other = loads_scenario(text.replace("seed: 3", "seed: 4"))
    assert a.messages[0].frames != other.messages[0].frames


def test_raw_frames_are_sent_as_written() -> None:
    s = loads_scenario(
        scenario('  - raw: {frames: ["EVENT API one.vm.allocate 1", "not base64!", {b64: "AAE="}]}\n')
    )
    assert s.messages[0].frames == (b"EVENT API one.vm.allocate 1", b"not base64!", b"\x00\x01")


def test_every_built_message_is_valid() -> None:
    s = loads_scenario(
        scenario(
            "  - host: {action: allocate}\n  - host: {action: monitor}\n"
            "  - image: {action: allocate}\n  - network: {action: allocate}\n"
            "  - vm: {action: allocate, image: last, network: last, uname: alice, gname: dev}\n"
            "  - vm: {action: deploy}\n  - vm: {action: hot, operation: disk-attach}\n"
            "  - vm: {action: poweroff}\n  - vm: {action: terminate}\n"
            "  - api: {call: one.vm.action, params: [poweroff, 5], success: false, error: nope}\n"
        )
    )
    for m in s.messages:
        assert check_message(m.frames, profile="7.4") == [], m.key


@pytest.mark.parametrize(
    ("text", "line", "step", "field", "words"),
    [
        (scenario("  - vm: {action: dploy}\n"), 6, 1, "action",
         ["unknown value 'dploy'", "'deploy'", "'poweroff'"]),
        (scenario("  - host: {action: allocate}\n  - host: {action: monitor, idd: 0}\n"), 7, 2, "idd",
         ["unknown field", "'id'"]),
        (scenario("  - api: {params: [1]}\n"), 6, 1, "call", ["required field missing"]),
        (scenario("  - at: 5\n    host: {action: allocate}\n  - at: 1\n    host: {action: allocate}\n"),
         8, 2, "at", ["before the previous step"]),
        (scenario("  - host: {action: allocate, name: '${nope}'}\n"), 6, 1, None,
         ["undefined variable ${nope}"]),
        (scenario("  - host: {action: allocate, name: '{faker:one_nonsense}'}\n"), 6, 1, None,
         ["unknown Faker method 'one_nonsense'", "one_vm_name"]),
        (scenario("  - vm: {action: deploy, id: 7}\n"), 6, 1, None, ["no VM 7"]),
        (scenario("  - host: {action: allocate}\n    vm: {action: allocate}\n"), 6, 1, None,
         ["several builders"]),
        (scenario("  - wait: 3\n"), 6, 1, "wait", ["unknown field", "vm_lifecycle"]),
        (scenario("  - raw: {frames: [{b64: '***'}]}\n"), 6, 1, "frames", ["not valid base64"]),
        (HEAD.replace('"7.4"', '"9.9"') + "  - host: {action: allocate}\n", 2, None, "profile",
         ["unknown profile '9.9'", "7.4"]),
        (HEAD.replace("format_version: 1", "format_version: 2") + "  - host: {action: allocate}\n", 1,
         None, "format_version", ["expected format_version: 1"]),
    ],
)  # fmt: skip
def test_errors_name_file_line_step_field_and_allowed_values(
    tmp_path: Path, text: str, line: int, step: int | None, field: str | None, words: list[str]
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    err = info.value
    assert (err.path, err.line, err.step, err.field) == (str(path), line, step, field)
    message = str(err)
    assert message.startswith(f"{path}:{line}: ")
    if step is not None:
        assert f"step {step}" in message
    for word in words:
        assert word in message


def test_yaml_syntax_error_names_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(scenario("  - host: {action: allocate\n"))
    with pytest.raises(ScenarioError, match=r"broken.yaml:\d+: not valid YAML"):
        load_scenario(path)


def test_duplicate_keys_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "dup.yaml"
    path.write_text(scenario("  - host: {action: allocate, action: monitor}\n"))
    with pytest.raises(ScenarioError, match="duplicate key 'action'"):
        load_scenario(path)


def test_invalid_scenario_sends_nothing_to_a_live_hook_manager(tmp_path: Path) -> None:
    """An error in the last step means the first steps are not sent either."""
    path = tmp_path / "late-error.yaml"
    path.write_text(scenario("  - host: {action: allocate}\n" * 3 + "  - vm: {action: dploy}\n"))
    ctx = zmq.Context.instance()
    with HookManager("tcp://127.0.0.1:*", None) as hm:
        sub = ctx.socket(zmq.SUB)
        sub.setsockopt(zmq.LINGER, 0)
        try:
            sub.setsockopt(zmq.SUBSCRIBE, b"")
            sub.connect(hm.events_endpoint)
            hm.wait_for_subscribers(1)
            with pytest.raises(ScenarioError, match="step 4"):
                replay(path, hm, speed=1000)
            assert hm.statistics().sent == 0
            assert sub.poll(200) == 0
        finally:
            sub.close(0)


def test_b64_frames_in_raw_steps_round_trip() -> None:
    body = base64.b64encode(b"<HOOK_MESSAGE/>").decode()
    s = loads_scenario(scenario(f'  - raw: {{frames: ["EVENT API one.vm.allocate 1", "{body}"]}}\n'))
    assert s.messages[0].frames[1] == body.encode()
