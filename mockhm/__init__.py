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
    "run_load": "mockhm._load",
    "LoadReport": "mockhm._loadreport",
    "HookEvent": "mockhm._message",
    "WireMessage": "mockhm._message",
    "Shape": "mockhm._pacing",
    "PROFILES": "mockhm._profiles",
    "Profile": "mockhm._profiles",
    "get_profile": "mockhm._profiles",
    "Cassette": "mockhm._record",
    "Scrubber": "mockhm._record",
    "record": "mockhm._record",
    "ReplayReport": "mockhm._replay",
    "replay": "mockhm._replay",
    "HookReport": "mockhm._reports",
    "encode_report": "mockhm._reports",
    "parse_report": "mockhm._reports",
    "Scenario": "mockhm._scenario",
    "load_scenario": "mockhm._scenario",
    "check_message": "mockhm._schemas",
    "validate_body": "mockhm._schemas",
    "validate_event": "mockhm._schemas",
    "validate_file": "mockhm._validate",
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
    from mockhm._load import run_load as run_load
    from mockhm._loadreport import LoadReport as LoadReport
    from mockhm._message import HookEvent as HookEvent
    from mockhm._message import WireMessage as WireMessage
    from mockhm._pacing import Shape as Shape
    from mockhm._profiles import PROFILES as PROFILES
    from mockhm._profiles import Profile as Profile
    from mockhm._profiles import get_profile as get_profile
    from mockhm._record import Cassette as Cassette
    from mockhm._record import Scrubber as Scrubber
    from mockhm._record import record as record
    from mockhm._replay import ReplayReport as ReplayReport
    from mockhm._replay import replay as replay
    from mockhm._reports import HookReport as HookReport
    from mockhm._reports import encode_report as encode_report
    from mockhm._reports import parse_report as parse_report
    from mockhm._scenario import Scenario as Scenario
    from mockhm._scenario import load_scenario as load_scenario
    from mockhm._schemas import check_message as check_message
    from mockhm._schemas import validate_body as validate_body
    from mockhm._schemas import validate_event as validate_event
    from mockhm._validate import validate_file as validate_file


__all__ = [
    "PROFILES",
    "BindError",
    "BodyValidationError",
    "Cassette",
    "Cloud",
    "CloudError",
    "HookEvent",
    "HookManager",
    "HookReport",
    "KeyFormatError",
    "LoadReport",
    "MessageFormatError",
    "MockHMError",
    "ParsedKey",
    "Profile",
    "PublisherClosedError",
    "ReplayReport",
    "ReportTimeoutError",
    "Scenario",
    "ScenarioError",
    "ScenarioNotFoundError",
    "Scrubber",
    "Shape",
    "Statistics",
    "SubscriberTimeoutError",
    "UnknownProfileError",
    "WireMessage",
    "__version__",
    "api_event",
    "api_key",
    "check_message",
    "document_state_event",
    "encode_report",
    "get_profile",
    "load_scenario",
    "parse_key",
    "parse_report",
    "record",
    "replay",
    "retry_message",
    "run_load",
    "state_event",
    "state_keys",
    "validate_body",
    "validate_event",
    "validate_file",
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
