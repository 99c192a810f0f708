"""The built wheel, installed into a fresh environment, works away from the checkout: the
built-in scenarios, the schemas, the plugin's entry point and the console script."""

from __future__ import annotations

import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_installed_wheel_names_scenarios_validates_and_registers_plugin(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), str(ROOT)],
        capture_output=True, text=True, timeout=600, cwd=tmp_path,
    )  # fmt: skip
    assert build.returncode == 0, build.stderr
    (wheel,) = wheels.glob("mockhm-*.whl")
    env_dir = tmp_path / "env"
    venv.create(env_dir, system_site_packages=True, with_pip=True)  # dependencies from this env
    python = env_dir / "bin" / "python"
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--no-deps", str(wheel)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert install.returncode == 0, install.stderr
    code = (
        "import importlib.metadata as md, mockhm, pytest_mockhm\n"
        "from mockhm.streams.scenario import builtin_scenarios, load_scenario\n"
        "from mockhm.schemas.validation import validate_event\n"
        "assert '/env/' in mockhm.__file__, mockhm.__file__\n"
        "names = sorted(builtin_scenarios())\n"
        "print(names)\n"
        "assert len(load_scenario('host-failure-storm').messages) > 10\n"
        "validate_event(mockhm.state_event('VM', 1, 'ACTIVE', 'RUNNING'))\n"
        "print([e.value for e in md.entry_points(group='pytest11') if e.name == 'mockhm'])\n"
    )
    run = subprocess.run([str(python), "-c", code], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines() == [
        "['api-failures', 'hook-retry', 'host-failure-storm', 'image-and-network', 'mixed-day', "
        "'oneflow-service', 'vm-lifecycle']",
        "['pytest_mockhm.plugin']",
    ]
    cli = subprocess.run(
        [str(env_dir / "bin" / "mockhm"), "serve", "vm-lifecycle", "--dry-run", "-p", "*", "-l", "*"],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )  # fmt: skip
    assert cli.returncode == 0, cli.stderr
    assert "mockhm: vm-lifecycle: would send 94 of 94 message(s)" in cli.stdout
