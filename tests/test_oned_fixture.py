"""The plugin's ``oned`` fixture: shares ``hookmanager``'s state, exports ONE_XMLRPC and ONE_AUTH."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from mockhm import FrontEnd

CLIENT = r"""
import os, xmlrpc.client
session = open(os.environ["ONE_AUTH"]).read().strip()
with xmlrpc.client.ServerProxy(os.environ["ONE_XMLRPC"]) as one:
    print(one.one.vm.allocate(session, 'NAME="from-a-subprocess"\nCPU="1"\nMEMORY="64"', True)[1])
"""


def test_subprocess_client_finds_the_front_end(oned: FrontEnd, hookmanager: Any) -> None:
    assert os.environ["ONE_XMLRPC"] == oned.url
    assert oned.url.startswith("http://127.0.0.1:") and not oned.url.startswith("http://127.0.0.1:2633/")
    assert Path(os.environ["ONE_AUTH"]).read_text() == "oneadmin:password\n"
    out = subprocess.run(
        [sys.executable, "-c", CLIENT], capture_output=True, text=True, timeout=30, check=True
    )
    vid = int(out.stdout)
    assert hookmanager.cloud is oned.oned.cloud  # one state
    assert hookmanager.cloud.vms[vid].name == "from-a-subprocess"
    assert hookmanager.published_keys[-1] == "EVENT API one.vm.allocate 1"


@pytest.mark.oned(drivers="manual", auth="alice:secret")
def test_marker_configures_it(oned: FrontEnd) -> None:
    assert oned.session == "alice:secret" and oned.clock.mode == "manual"
    assert Path(os.environ["ONE_AUTH"]).read_text() == "alice:secret\n"
    assert oned.call("one.system.version", "oneadmin:password")[2] == 256  # type: ignore[index]
