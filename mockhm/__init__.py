"""mockhm: a wire-exact mock of OpenNebula's Hook Manager for testing hook subscribers.

The front door: everything public is re-exported here.  ``mockhm.strategies`` is a public
submodule (Hypothesis strategies).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

#: Public name -> the module (in a layer folder) that defines it.  Imported on first use, so that
#: ``import mockhm`` (and Hypothesis' entry point, which runs in every downstream test
#: session) loads neither pyzmq, lxml nor Faker until something needs them.
_EXPORTS: dict[str, str] = {
    "FrontEnd": "mockhm.frontend.frontend",
    "Delivery": "mockhm.hookmanager.ledger",
    "Mark": "mockhm.hookmanager.ledger",
    "Subscription": "mockhm.hookmanager.ledger",
    "HookManager": "mockhm.hookmanager.manager",
    "Statistics": "mockhm.hookmanager.manager",
    "Shape": "mockhm.load.pacing",
    "LoadReport": "mockhm.load.report",
    "run_load": "mockhm.load.run",
    "Cloud": "mockhm.oned.cloud",
    "CloudError": "mockhm.oned.cloud",
    "LifecycleDriver": "mockhm.oned.lifecycle",
    "LifecycleStep": "mockhm.oned.lifecycle",
    "generate_events": "mockhm.oned.lifecycle",
    "generate_steps": "mockhm.oned.lifecycle",
    "mixed_day": "mockhm.oned.story",
    "Problem": "mockhm.schemas.validation",
    "check_message": "mockhm.schemas.validation",
    "validate_body": "mockhm.schemas.validation",
    "validate_event": "mockhm.schemas.validation",
    "Cassette": "mockhm.streams.record",
    "Scrubber": "mockhm.streams.record",
    "record": "mockhm.streams.record",
    "ReplayReport": "mockhm.streams.replay",
    "replay": "mockhm.streams.replay",
    "Scenario": "mockhm.streams.scenario",
    "TimedMessage": "mockhm.streams.scenario",
    "builtin_scenarios": "mockhm.streams.scenario",
    "load_scenario": "mockhm.streams.scenario",
    "loads_scenario": "mockhm.streams.scenario",
    "ReplaySource": "mockhm.streams.sources",
    "load_capture": "mockhm.streams.sources",
    "MessageResult": "mockhm.streams.validate",
    "ValidationReport": "mockhm.streams.validate",
    "validate_file": "mockhm.streams.validate",
    "HostileCase": "mockhm.traffic.hostile",
    "hostile_case": "mockhm.traffic.hostile",
    "HostileKind": "mockhm.traffic.kinds",
    "OpenNebulaProvider": "mockhm.traffic.provider",
    "make_faker": "mockhm.traffic.provider",
    "api_event": "mockhm.wire.bodies",
    "document_state_event": "mockhm.wire.bodies",
    "retry_message": "mockhm.wire.bodies",
    "state_event": "mockhm.wire.bodies",
    "vmmonitor_event": "mockhm.wire.bodies",
    "BindError": "mockhm.wire.errors",
    "BodyValidationError": "mockhm.wire.errors",
    "KeyFormatError": "mockhm.wire.errors",
    "MessageFormatError": "mockhm.wire.errors",
    "MockHMError": "mockhm.wire.errors",
    "PublisherClosedError": "mockhm.wire.errors",
    "ReportTimeoutError": "mockhm.wire.errors",
    "ScenarioError": "mockhm.wire.errors",
    "ScenarioNotFoundError": "mockhm.wire.errors",
    "SubscriberTimeoutError": "mockhm.wire.errors",
    "UnknownProfileError": "mockhm.wire.errors",
    "ParsedKey": "mockhm.wire.keys",
    "api_key": "mockhm.wire.keys",
    "parse_key": "mockhm.wire.keys",
    "state_keys": "mockhm.wire.keys",
    "HookEvent": "mockhm.wire.message",
    "WireMessage": "mockhm.wire.message",
    "PROFILES": "mockhm.wire.profiles",
    "Profile": "mockhm.wire.profiles",
    "get_profile": "mockhm.wire.profiles",
    "HookReport": "mockhm.wire.reports",
    "encode_report": "mockhm.wire.reports",
    "parse_report": "mockhm.wire.reports",
}

if TYPE_CHECKING:
    from mockhm.frontend.frontend import FrontEnd as FrontEnd
    from mockhm.hookmanager.ledger import Delivery as Delivery
    from mockhm.hookmanager.ledger import Mark as Mark
    from mockhm.hookmanager.ledger import Subscription as Subscription
    from mockhm.hookmanager.manager import HookManager as HookManager
    from mockhm.hookmanager.manager import Statistics as Statistics
    from mockhm.load.pacing import Shape as Shape
    from mockhm.load.report import LoadReport as LoadReport
    from mockhm.load.run import run_load as run_load
    from mockhm.oned.cloud import Cloud as Cloud
    from mockhm.oned.cloud import CloudError as CloudError
    from mockhm.oned.lifecycle import LifecycleDriver as LifecycleDriver
    from mockhm.oned.lifecycle import LifecycleStep as LifecycleStep
    from mockhm.oned.lifecycle import generate_events as generate_events
    from mockhm.oned.lifecycle import generate_steps as generate_steps
    from mockhm.oned.story import mixed_day as mixed_day
    from mockhm.schemas.validation import Problem as Problem
    from mockhm.schemas.validation import check_message as check_message
    from mockhm.schemas.validation import validate_body as validate_body
    from mockhm.schemas.validation import validate_event as validate_event
    from mockhm.streams.record import Cassette as Cassette
    from mockhm.streams.record import Scrubber as Scrubber
    from mockhm.streams.record import record as record
    from mockhm.streams.replay import ReplayReport as ReplayReport
    from mockhm.streams.replay import replay as replay
    from mockhm.streams.scenario import Scenario as Scenario
    from mockhm.streams.scenario import TimedMessage as TimedMessage
    from mockhm.streams.scenario import builtin_scenarios as builtin_scenarios
    from mockhm.streams.scenario import load_scenario as load_scenario
    from mockhm.streams.scenario import loads_scenario as loads_scenario
    from mockhm.streams.sources import ReplaySource as ReplaySource
    from mockhm.streams.sources import load_capture as load_capture
    from mockhm.streams.validate import MessageResult as MessageResult
    from mockhm.streams.validate import ValidationReport as ValidationReport
    from mockhm.streams.validate import validate_file as validate_file
    from mockhm.traffic.hostile import HostileCase as HostileCase
    from mockhm.traffic.hostile import hostile_case as hostile_case
    from mockhm.traffic.kinds import HostileKind as HostileKind
    from mockhm.traffic.provider import OpenNebulaProvider as OpenNebulaProvider
    from mockhm.traffic.provider import make_faker as make_faker
    from mockhm.wire.bodies import api_event as api_event
    from mockhm.wire.bodies import document_state_event as document_state_event
    from mockhm.wire.bodies import retry_message as retry_message
    from mockhm.wire.bodies import state_event as state_event
    from mockhm.wire.bodies import vmmonitor_event as vmmonitor_event
    from mockhm.wire.errors import BindError as BindError
    from mockhm.wire.errors import BodyValidationError as BodyValidationError
    from mockhm.wire.errors import KeyFormatError as KeyFormatError
    from mockhm.wire.errors import MessageFormatError as MessageFormatError
    from mockhm.wire.errors import MockHMError as MockHMError
    from mockhm.wire.errors import PublisherClosedError as PublisherClosedError
    from mockhm.wire.errors import ReportTimeoutError as ReportTimeoutError
    from mockhm.wire.errors import ScenarioError as ScenarioError
    from mockhm.wire.errors import ScenarioNotFoundError as ScenarioNotFoundError
    from mockhm.wire.errors import SubscriberTimeoutError as SubscriberTimeoutError
    from mockhm.wire.errors import UnknownProfileError as UnknownProfileError
    from mockhm.wire.keys import ParsedKey as ParsedKey
    from mockhm.wire.keys import api_key as api_key
    from mockhm.wire.keys import parse_key as parse_key
    from mockhm.wire.keys import state_keys as state_keys
    from mockhm.wire.message import HookEvent as HookEvent
    from mockhm.wire.message import WireMessage as WireMessage
    from mockhm.wire.profiles import PROFILES as PROFILES
    from mockhm.wire.profiles import Profile as Profile
    from mockhm.wire.profiles import get_profile as get_profile
    from mockhm.wire.reports import HookReport as HookReport
    from mockhm.wire.reports import encode_report as encode_report
    from mockhm.wire.reports import parse_report as parse_report


__all__ = [
    "PROFILES",
    "BindError",
    "BodyValidationError",
    "Cassette",
    "Cloud",
    "CloudError",
    "Delivery",
    "FrontEnd",
    "HookEvent",
    "HookManager",
    "HookReport",
    "HostileCase",
    "HostileKind",
    "KeyFormatError",
    "LifecycleDriver",
    "LifecycleStep",
    "LoadReport",
    "Mark",
    "MessageFormatError",
    "MessageResult",
    "MockHMError",
    "OpenNebulaProvider",
    "ParsedKey",
    "Problem",
    "Profile",
    "PublisherClosedError",
    "ReplayReport",
    "ReplaySource",
    "ReportTimeoutError",
    "Scenario",
    "ScenarioError",
    "ScenarioNotFoundError",
    "Scrubber",
    "Shape",
    "Statistics",
    "SubscriberTimeoutError",
    "Subscription",
    "TimedMessage",
    "UnknownProfileError",
    "ValidationReport",
    "WireMessage",
    "__version__",
    "api_event",
    "api_key",
    "builtin_scenarios",
    "check_message",
    "document_state_event",
    "encode_report",
    "generate_events",
    "generate_steps",
    "get_profile",
    "hostile_case",
    "load_capture",
    "load_scenario",
    "loads_scenario",
    "make_faker",
    "mixed_day",
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
