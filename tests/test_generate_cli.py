"""``mockhm generate``: seeded, byte-identical capture files that ``mockhm validate`` accepts."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest


def _mockhm(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mockhm", *args], capture_output=True, text=True, timeout=120, cwd=cwd
    )


@pytest.mark.parametrize("mode", [[], ["--lifecycles", "--profile", "6.6"]])
def test_same_seed_same_file_and_it_validates(tmp_path: Path, mode: list[str]) -> None:
    a, b, c = tmp_path / "a.jsonl", tmp_path / "b.jsonl", tmp_path / "c.jsonl"
    for path, seed in ((a, "5"), (b, "5"), (c, "6")):
        done = _mockhm("generate", "-o", str(path), "--count", "40", "--seed", seed, *mode, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert "wrote 40 events" in done.stderr
    assert a.read_bytes() == b.read_bytes()
    assert a.read_bytes() != c.read_bytes()
    lines = a.read_text().splitlines()
    header = json.loads(lines[0])
    assert header["format"] == "mockhm-capture" and header["profile"] == ("6.6" if mode else "7.4")
    assert all(len(json.loads(line)["frames"]) == 2 for line in lines[1:])
    checked = _mockhm("validate", "-q", str(a), cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_bad_profile_is_a_usage_error(tmp_path: Path) -> None:
    done = _mockhm("generate", "-o", str(tmp_path / "x.jsonl"), "--profile", "4.0", cwd=tmp_path)
    assert done.returncode == 2
    assert "--profile" in done.stderr and "'7.4'" in done.stderr


def test_count_0_is_refused_for_a_scenario_not_for_a_capture(tmp_path: Path) -> None:
    """``-n 0 -o x.yaml`` wrote a scenario with no steps, which mockhm then refused to load."""
    done = _mockhm("generate", "-o", str(tmp_path / "x.yaml"), "-n", "0", cwd=tmp_path)
    assert done.returncode == 2 and "--count 0: a scenario has at least one step" in done.stderr
    assert not (tmp_path / "x.yaml").exists()
    done = _mockhm("generate", "-o", str(tmp_path / "x.jsonl"), "-n", "0", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert _mockhm("validate", "-q", str(tmp_path / "x.jsonl"), cwd=tmp_path).returncode == 0


def test_yaml_output_is_a_scenario_with_the_same_frames(tmp_path: Path) -> None:
    """`-o x.yaml` keeps the generated stream as a scenario that loads and replays the same frames."""
    from mockhm.streams.capturefile import read_capture
    from mockhm.streams.scenario import load_scenario

    for name in ("g.jsonl", "g.yaml"):
        assert (
            _mockhm(
                "generate", "-o", name, "--lifecycles", "-n", "15", "--seed", "4", cwd=tmp_path
            ).returncode
            == 0
        )
    _, records = read_capture(tmp_path / "g.jsonl")
    captured = [tuple(r.frames) for _, r in records]
    scenario = load_scenario(tmp_path / "g.yaml")
    assert [tuple(m.frames) for m in scenario.messages] == captured
    assert scenario.profile == "7.4" and len(captured) > 15
