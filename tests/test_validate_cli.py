"""``mockhm validate`` and its Python API, on capture files (ARCHITECTURE.md format)."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

from mockhm.cli import main
from mockhm.streams.capturefile import CaptureWriter, make_header, read_capture
from mockhm.streams.validate import validate_file
from mockhm.wire.bodies import state_event
from mockhm.wire.errors import ScenarioError

REPO = Path(__file__).resolve().parents[1]
CAPTURES = REPO / "fixtures" / "captures"
CLEAN = CAPTURES / "clean-7.4.jsonl"
BROKEN = CAPTURES / "broken.jsonl"
XSD_74 = REPO.parent / "shared" / "opennebula" / "xsd" / "release-7.4.0"

#: What fixtures/captures/broken.jsonl holds: line -> problem codes.
BROKEN_LINES: dict[int, list[str]] = {
    2: ["frames"],  # one frame
    3: ["frames"],  # three frames
    4: ["key"],  # STATE key without its trailing space (§2.2)
    5: ["base64"],
    6: ["retry-shape"],  # RETRY content without its trailing space (§3.4)
    7: ["xml"],  # raw & in an API value (§3.2.1)
    8: ["schema"],  # IMAGE STATE USED_PERS is never printed (§4.4)
    9: ["key-body-mismatch"],  # id 6 for VM 5
    10: ["base64"],  # trailing space on a non-RETRY content
    11: ["capture"],  # frames is not a list
    12: ["capture"],  # line is not JSON
}


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(["validate", *argv])
    return code, capsys.readouterr().out


def test_clean_capture_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run_cli(capsys, str(CLEAN))
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == 17  # 16 messages + summary
    assert f"{CLEAN}:2: 'EVENT VM 5/PENDING/LCM_INIT ': ok" == lines[0]
    assert lines[-1] == f"{CLEAN}: ok: 16 messages, 16 ok, 0 failed (profile 7.4)"


def test_every_kind_of_breakage_is_reported_with_its_reason(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run_cli(capsys, str(BROKEN))
    assert code == 1
    for line, codes in BROKEN_LINES.items():
        block = out.split(f"{BROKEN}:{line}: ", 1)[1].split(f"\n{BROKEN}:", 1)[0]
        assert ": FAIL" in block.splitlines()[0]
        assert [entry.split(":")[0].strip() for entry in block.splitlines()[1:]] == codes
    assert "(these keys end with exactly one space)" in out
    assert "base64 followed by exactly one space (protocol: #retry)" in out
    assert "xmlParseEntityRef" in out
    assert "element STATE: The value 'USED_PERS' is not an element of the set" in out
    assert "it derives 'EVENT VM 5/ACTIVE/RUNNING ', 'EVENT STATE VM/ACTIVE/RUNNING/5 '" in out
    assert "field 'frames': expected a list of frames" in out
    assert out.splitlines()[-1] == f"{BROKEN}: FAILED: 11 messages, 0 ok, 11 failed (profile 7.4)"


def test_json_output(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run_cli(capsys, "--json", str(BROKEN), str(CLEAN))
    assert code == 1
    objs = [json.loads(line) for line in out.splitlines()]
    messages = [o for o in objs if "line" in o]
    assert {
        m["line"]: [p["code"] for p in m["problems"]] for m in messages if m["file"] == str(BROKEN)
    } == BROKEN_LINES
    assert sum(1 for m in messages if m["ok"]) == 16
    assert objs[-1] == {
        "summary": {"files": 2, "checked": 27, "failed": 11, "unusable_files": 0, "ok": False}
    }


def test_quiet_prints_only_failures_and_summaries(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run_cli(capsys, "--quiet", str(CLEAN), str(BROKEN))
    assert code == 1
    assert ": ok" not in out.replace(": ok: 16", "")
    assert out.splitlines()[-1] == "total: 2 files, 27 messages, 11 failed"


def test_profile_option_overrides_the_header(capsys: pytest.CaptureFixture[str]) -> None:
    """The vectors are 7.4 shapes: HISTORY PLAN_ID does not exist in 6.10."""
    code, out = run_cli(capsys, "--quiet", "--profile", "6.10", str(CLEAN))
    assert code == 1
    assert "element PLAN_ID" in out
    assert "(profile 6.10)" in out


def test_unknown_profile_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--profile", "4.0", str(CLEAN)]) == 2
    assert "expected one of" in capsys.readouterr().err


def test_missing_upstream_directory_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", "--upstream", str(tmp_path / "nope"), str(CLEAN)]) == 2
    assert "is not a directory" in capsys.readouterr().err


def test_a_file_that_is_not_a_capture(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "notes.jsonl"
    path.write_text('{"hello": 1}\n')
    code, out = run_cli(capsys, str(path))
    assert code == 1
    assert "ERROR" in out and "field 'format'" in out and "'mockhm-capture'" in out


def test_builtin_scenarios_validate(capsys: pytest.CaptureFixture[str]) -> None:
    """Scenarios are validated message by message after compiling them."""
    paths = sorted((REPO / "scenarios").glob("*.yaml"))
    if importlib.util.find_spec("mockhm.streams.scenario") is None or not paths:
        pytest.skip("scenario support or the built-in scenarios are not in this tree")
    code, out = run_cli(capsys, "--quiet", *map(str, paths))
    assert code == 0, out
    assert all(" ok: " in line for line in out.splitlines()[:-1])


def test_scenario_problems_name_the_step(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    if importlib.util.find_spec("mockhm.streams.scenario") is None:
        pytest.skip("scenario support (mockhm.streams.scenario) is not in this tree")
    path = tmp_path / "s.yaml"
    path.write_text(
        "format_version: 1\nprofile: '6.10'\nsteps:\n"
        "  - host: {action: allocate, name: node-a}\n"
        "  - raw: {frames: ['EVENT VM 1/ACTIVE/RUNNING', 'QUJD'], label: 'no trailing space'}\n"
    )
    code, out = run_cli(capsys, "--quiet", str(path))
    assert code == 1
    assert f"{path}: step 2: 'EVENT VM 1/ACTIVE/RUNNING': FAIL" in out
    assert "    key: " in out
    assert out.splitlines()[-1] == f"{path}: FAILED: 4 messages, 3 ok, 1 failed (profile 6.10)"


def test_a_scenario_that_does_not_load(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    if importlib.util.find_spec("mockhm.streams.scenario") is None:
        pytest.skip("scenario support (mockhm.streams.scenario) is not in this tree")
    path = tmp_path / "bad.yaml"
    path.write_text("format_version: 1\nsteps: [{teleport: {}}]\n")
    code, out = run_cli(capsys, str(path))
    assert code == 1
    assert out.startswith(f"{path}: ERROR: ")


@pytest.mark.skipif(not XSD_74.is_dir(), reason=f"upstream 7.4 XSDs not found at {XSD_74}")
def test_upstream_option_reports_upstream_drift(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run_cli(capsys, "--quiet", "--upstream", str(XSD_74), str(CLEAN))
    assert code == 1
    upstream_failures = [line for line in out.splitlines() if line.startswith("    upstream:")]
    # §8.2: PENDING VM, SERVICE VM (3 keys), HOST (2), NET (2) fail; the rest pass.
    assert len(upstream_failures) == 2 + 3 + 2 + 2
    assert "(profile 7.4)" in out


def test_python_api_streams_results(tmp_path: Path) -> None:
    """A large capture is streamed: results arrive one by one, failures alone are kept."""
    path = tmp_path / "big.jsonl"
    event = state_event("VM", 5, "ACTIVE", "RUNNING")
    bad = (b"EVENT VM 5/ACTIVE/RUNNING", event.content)
    with CaptureWriter(path, make_header(profile="7.4", joined=0.0)) as out:
        for i in range(3000):
            frames = bad if i == 1234 else event.messages()[i % 2].frames
            out.write(frames, i / 100, 1764250000 + i / 100)
    seen: list[int] = []
    report = validate_file(path, on_result=lambda r: seen.append(r.line))
    assert (report.checked, report.failed, report.profile) == (3000, 1, "7.4")
    assert len(seen) == 3000 and seen[:2] == [2, 3]
    assert [(f.line, f.key) for f in report.failures] == [(1236, "EVENT VM 5/ACTIVE/RUNNING")]


def test_capture_round_trip_keeps_every_frame_exactly(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    frames = [(b"EVENT API one.vm.action 1", b"QUJD"), (b"RETRY", b"QUJD "), (b"\xff\x00bin",)]
    with CaptureWriter(path, make_header(source="tcp://127.0.0.1:2101", profile="6.6")) as out:
        for i, f in enumerate(frames):
            out.write(f, float(i), 1.0 + i)
    header, records = read_capture(path)
    assert header["profile"] == "6.6" and header["format"] == "mockhm-capture"
    got = list(records)
    assert [lineno for lineno, _ in got] == [2, 3, 4]
    assert [r.frames for _, r in got] == frames
    assert '{"b64": "/wBiaW4="}' in path.read_text().splitlines()[3]


def test_read_capture_names_file_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    with CaptureWriter(path, make_header()) as out:
        out.write((b"RETRY", b"QUJD "), 0.0, 0.0)
    with path.open("a") as fh:
        fh.write('{"t": "soon", "wall": 0, "frames": []}\n')
    _, records = read_capture(path)
    with pytest.raises(ScenarioError) as info:
        list(records)
    assert (info.value.line, info.value.field) == (3, "t")
    assert str(path) in str(info.value)


def test_real_subprocess(tmp_path: Path) -> None:
    """``python -m mockhm validate`` as a user runs it."""
    broken = subprocess.run(
        [sys.executable, "-m", "mockhm", "validate", "--quiet", str(BROKEN)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert broken.returncode == 1, broken.stderr
    assert "retry-shape:" in broken.stdout
    clean = subprocess.run(
        [sys.executable, "-m", "mockhm", "validate", str(CLEAN)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert clean.returncode == 0, clean.stderr
    assert clean.stdout.splitlines()[-1].endswith("16 ok, 0 failed (profile 7.4)")
