"""mockhm: a wire-exact mock of OpenNebula's Hook Manager for testing hook subscribers.

The front door: everything public is re-exported here.  ``mockhm.strategies`` is a public
submodule (Hypothesis strategies).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

#: Public name -> the private module that defines it.  Imported on first use, so that
#: ``import mockhm`` (and Hypothesis' entry point, which runs in every downstream test
#: session) loads neither pyzmq, lxml nor Faker until something needs them.
_EXPORTS: dict[str, str] = {
    "api_event": "mockhm._bodies",
    "document_state_event": "mockhm._bodies",
    "retry_message": "mockhm._bodies",
    "state_event": "mockhm._bodies",
    "vmmonitor_event": "mockhm._bodies",
    "Cloud": "mockhm._cloud",
    "CloudError": "mockhm._cloud",
    "BindError": "mockhm._errors",
    "BodyValidationError": "mockhm._errors",
    "KeyFormatError": "mockhm._errors",
    "MessageFormatError": "mockhm._errors",
    "MockHMError": "mockhm._errors",
    "PublisherClosedError": "mockhm._errors",
    "ReportTimeoutError": "mockhm._errors",
    "ScenarioError": "mockhm._errors",
    "ScenarioNotFoundError": "mockhm._errors",
    "SubscriberTimeoutError": "mockhm._errors",
    "UnknownProfileError": "mockhm._errors",
    "HookManager": "mockhm._hookmanager",
    "Statistics": "mockhm._hookmanager",
    "ParsedKey": "mockhm._keys",
    "api_key": "mockhm._keys",
    "parse_key": "mockhm._keys",
    "state_keys": "mockhm._keys",
    "HookEvent": "mockhm._message",
    "WireMessage": "mockhm._message",
    "PROFILES": "mockhm._profiles",
    "Profile": "mockhm._profiles",
    "get_profile": "mockhm._profiles",
    "HookReport": "mockhm._reports",
    "encode_report": "mockhm._reports",
    "parse_report": "mockhm._reports",
}

if TYPE_CHECKING:
    from mockhm._bodies import api_event as api_event
    from mockhm._bodies import document_state_event as document_state_event
    from mockhm._bodies import retry_message as retry_message
    from mockhm._bodies import state_event as state_event
    from mockhm._bodies import vmmonitor_event as vmmonitor_event
    from mockhm._cloud import Cloud as Cloud
    from mockhm._cloud import CloudError as CloudError
    from mockhm._errors import BindError as BindError
    from mockhm._errors import BodyValidationError as BodyValidationError
    from mockhm._errors import KeyFormatError as KeyFormatError
    from mockhm._errors import MessageFormatError as MessageFormatError
    from mockhm._errors import MockHMError as MockHMError
    from mockhm._errors import PublisherClosedError as PublisherClosedError
    from mockhm._errors import ReportTimeoutError as ReportTimeoutError
    from mockhm._errors import ScenarioError as ScenarioError
    from mockhm._errors import ScenarioNotFoundError as ScenarioNotFoundError
    from mockhm._errors import SubscriberTimeoutError as SubscriberTimeoutError
    from mockhm._errors import UnknownProfileError as UnknownProfileError
    from mockhm._hookmanager import HookManager as HookManager
    from mockhm._hookmanager import Statistics as Statistics
    from mockhm._keys import ParsedKey as ParsedKey
    from mockhm._keys import api_key as api_key
    from mockhm._keys import parse_key as parse_key
    from mockhm._keys import state_keys as state_keys
    from mockhm._message import HookEvent as HookEvent
    from mockhm._message import WireMessage as WireMessage
    from mockhm._profiles import PROFILES as PROFILES
    from mockhm._profiles import Profile as Profile
    from mockhm._profiles import get_profile as get_profile
    from mockhm._reports import HookReport as HookReport
    from mockhm._reports import encode_report as encode_report
    from mockhm._reports import parse_report as parse_report


__all__ = [
    "PROFILES",
    "BindError",
    "BodyValidationError",
    "Cloud",
    "CloudError",
    "HookEvent",
    "HookManager",
    "HookReport",
    "KeyFormatError",
    "MessageFormatError",
    "MockHMError",
    "ParsedKey",
    "Profile",
    "PublisherClosedError",
    "ReportTimeoutError",
    "ScenarioError",
    "ScenarioNotFoundError",
    "Statistics",
    "SubscriberTimeoutError",
    "UnknownProfileError",
    "WireMessage",
    "__version__",
    "api_event",
    "api_key",
    "document_state_event",
    "encode_report",
    "get_profile",
    "parse_key",
    "parse_report",
    "retry_message",
    "state_event",
    "state_keys",
    "vmmonitor_event",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'mockhm' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
