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


def test_the_example_imports_only_public_names() -> None:
    """The downstream example needs no private import: every ``mockhm``/``pytest_mockhm`` name
    it imports is exported by the front door (module paths are checked by test_public_names)."""
    import ast

    import pytest_mockhm

    import mockhm

    public = {
        "mockhm": set(mockhm.__all__) | {"strategies", "aio"},
        "pytest_mockhm": set(pytest_mockhm.__all__),
    }
    problems = []
    for path in sorted((ROOT / "examples").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module in public:
                problems += [
                    f"{path.relative_to(ROOT)}:{node.lineno}: from {node.module} import {alias.name}"
                    for alias in node.names
                    if alias.name not in public[node.module]
                ]
            elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in public:
                if node.module not in {"mockhm.strategies", "mockhm.aio", "pytest_mockhm.plugin"}:
                    problems.append(f"{path.relative_to(ROOT)}:{node.lineno}: from {node.module} import ...")
            elif isinstance(node, ast.Import):
                problems += [
                    f"{path.relative_to(ROOT)}:{node.lineno}: import {alias.name}"
                    for alias in node.names
                    if alias.name.split(".")[0] in public
                    and alias.name not in {"mockhm", "pytest_mockhm", "mockhm.strategies", "mockhm.aio"}
                ]
    assert not problems, "the example reaches past the front door:\n" + "\n".join(problems)
