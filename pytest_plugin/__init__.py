"""pytest-mockhm: pytest fixtures for mockhm, the mock OpenNebula Hook Manager.

Installed with mockhm and registered through the ``pytest11`` entry point, so ``pip install
mockhm`` is all a project does.  The fixtures live in :mod:`pytest_mockhm.plugin`; the names
below are exported for type annotations (``def test_x(hookmanager: HookManagerFixture)``); the
``oned`` fixture's type is :class:`mockhm.FrontEnd`.  Importing this package does not import pyzmq
or lxml.
"""

from __future__ import annotations

from ._cassette import CassetteFixture as CassetteFixture
from ._factory import MakeHookManager as MakeHookManager
from ._fixture import HookManagerFixture as HookManagerFixture
from ._reports import CapHookReports as CapHookReports
from ._reports import ReportExpectation as ReportExpectation
from ._settings import Settings as Settings

__all__ = [
    "CapHookReports",
    "CassetteFixture",
    "HookManagerFixture",
    "MakeHookManager",
    "ReportExpectation",
    "Settings",
]
