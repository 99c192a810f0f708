"""The built wheel, installed into a fresh environment, works away from the checkout: the
built-in scenarios, the schemas, the plugin's entry point and the console script."""

from __future__ import annotations

import site
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _env_seeing_these_packages(env_dir: Path, *, with_pip: bool = False) -> Path:
    """A fresh venv whose dependencies come from *this* interpreter's site-packages.

    ``system_site_packages=True`` would show the base interpreter's packages instead, which in a
    virtualenv (the README's setup) lack Faker & co. (issue 10, item 18).  The paths go in a
    ``.pth`` file after the env's own site-packages, so the installed wheel wins over a checkout,
    and ``.pth`` files in them (an editable install of the checkout) are not run.
    """
    venv.create(env_dir, with_pip=with_pip)
    python = env_dir / "bin" / "python"
    own = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, timeout=60, check=True,
    ).stdout.strip()  # fmt: skip
    theirs = [p for p in site.getsitepackages() if Path(p).is_dir()]
    (Path(own) / "mockhm-test-dependencies.pth").write_text("".join(f"{p}\n" for p in theirs))
    return python


def test_fresh_env_sees_this_interpreters_packages(tmp_path: Path) -> None:
    """Item 18: in a virtualenv the wheel's environment must see the virtualenv's packages."""
    python = _env_seeing_these_packages(tmp_path / "env")
    paths = subprocess.run(
        [str(python), "-c", "import sys; print('\\n'.join(sys.path))"],
        capture_output=True, text=True, timeout=60, check=True,
    ).stdout.splitlines()  # fmt: skip
    assert site.getsitepackages()[0] in paths


def test_installed_wheel_names_scenarios_validates_and_registers_plugin(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), str(ROOT)],
        capture_output=True, text=True, timeout=600, cwd=tmp_path,
    )  # fmt: skip
    assert build.returncode == 0, build.stderr
    (wheel,) = wheels.glob("mockhm-*.whl")
    env_dir = tmp_path / "env"
    python = _env_seeing_these_packages(env_dir, with_pip=True)
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
