"""pytest-mockhm: pytest fixtures for mockhm, the mock OpenNebula Hook Manager.

Installed with mockhm and registered through the ``pytest11`` entry point, so ``pip install
mockhm`` is all a project does.  The fixtures live in :mod:`pytest_mockhm.plugin`; the names
below are exported for type annotations (``def test_x(hookmanager: HookManagerFixture)``).
Importing this package does not import pyzmq or lxml.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._cassette import CassetteFixture as CassetteFixture
from ._factory import MakeHookManager as MakeHookManager
from ._fixture import HookManagerFixture as HookManagerFixture
from ._reports import CapHookReports as CapHookReports
from ._reports import ReportExpectation as ReportExpectation
from ._settings import Settings as Settings

if TYPE_CHECKING:
    from mockhm import FrontEnd as FrontEnd

__all__ = [
    "CapHookReports",
    "CassetteFixture",
    "FrontEnd",
    "HookManagerFixture",
    "MakeHookManager",
    "ReportExpectation",
    "Settings",
]


def __getattr__(name: str) -> Any:
    """``FrontEnd``, the type of the ``oned`` fixture, is :class:`mockhm.FrontEnd` (imported on
    first use: importing this package imports neither pyzmq nor lxml)."""
    if name == "FrontEnd":
        from mockhm import FrontEnd

        return FrontEnd
    raise AttributeError(f"module 'pytest_mockhm' has no attribute {name!r}")
