"""The service as it is deployed: a separate process that finds the Hook Manager through the
environment (MOCKHM_EVENTS_ENDPOINT, exported by the ``hookmanager`` fixture)."""

from __future__ import annotations

import json
import os
import selectors
import subprocess
import sys
from pathlib import Path

from pytest_mockhm import HookManagerFixture


def _read_json_line(proc: subprocess.Popen[str], timeout: float) -> dict[str, object]:
    assert proc.stdout is not None
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        if not sel.select(timeout):
            raise TimeoutError(f"the service printed nothing within {timeout} s")
    return json.loads(proc.stdout.readline())


def test_service_process_reads_the_endpoint_from_the_environment(hookmanager: HookManagerFixture) -> None:
    root = Path(__file__).resolve().parent.parent
    mark = hookmanager.mark()
    proc = subprocess.Popen(
        [sys.executable, "-m", "inventory.service"],
        cwd=root,
        env=dict(os.environ),  # carries MOCKHM_EVENTS_ENDPOINT
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert _read_json_line(proc, 10) == {"listening": hookmanager.events_endpoint}
        hookmanager.wait_for_subscribers(prefix="EVENT STATE VM/", exact=True, since=mark, timeout=10)
        hookmanager.publish_state("VM", 8, "ACTIVE", "RUNNING")
        assert _read_json_line(proc, 5) == {"running": [8]}
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        assert proc.stdout is not None
        proc.stdout.close()
