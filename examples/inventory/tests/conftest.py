"""Fixtures of the example project, built on mockhm's ``hookmanager``."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from inventory.service import Inventory, serve


@pytest.fixture
def inventory(hookmanager) -> Iterator[Inventory]:
    """The inventory service running in a thread against this test's mock Hook Manager,
    returned once its subscription has reached the Hook Manager."""
    inv = Inventory()
    stop = threading.Event()
    thread = threading.Thread(target=serve, args=(hookmanager.events_endpoint, inv, stop))
    thread.start()
    try:
        hookmanager.wait_for_subscribers(prefix="EVENT STATE VM/")
        yield inv
    finally:
        stop.set()
        thread.join(5)
