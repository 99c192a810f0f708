"""The example downstream project passes its own tests, run the way its CI would run them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_inventory_example_suite_passes() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MOCKHM_", "PYTEST_"))}
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "examples/inventory", "-q", "-p", "no:randomly"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert " passed" in proc.stdout and "failed" not in proc.stdout and "error" not in proc.stdout
