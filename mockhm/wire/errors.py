"""The exception vocabulary of mockhm.  Each error also subclasses a built-in."""

from __future__ import annotations


class MockHMError(Exception):
    """Base class of every error mockhm raises on purpose."""


class InvalidArgumentError(MockHMError, ValueError):
    """An argument outside its allowed values; the message names it, the values and the fix."""


class UnknownProfileError(MockHMError, ValueError):
    """A release profile name that mockhm does not know."""


class KeyFormatError(MockHMError, ValueError):
    """A frame 1 that is not a key the Hook Manager publishes."""

    def __init__(self, message: str, key: str) -> None:
        super().__init__(message)
        self.key = key


class MessageFormatError(MockHMError, ValueError):
    """A wire message whose frames, base64 or XML cannot be taken apart."""


class BodyValidationError(MockHMError, ValueError):
    """A body that does not match mockhm's schema for its kind and profile.

    Attributes name the key the body was published under (if known), the schema,
    the line, the element and libxml2's reason.
    """

    def __init__(
        self,
        message: str,
        *,
        key: str | None = None,
        schema: str | None = None,
        line: int | None = None,
        element: str | None = None,
        reason: str | None = None,
    ) -> None:
        super().__init__(message)
        self.key = key
        self.schema = schema
        self.line = line
        self.element = element
        self.reason = reason


class BindError(MockHMError, OSError):
    """A socket could not bind its endpoint."""

    def __init__(self, message: str, endpoint: str) -> None:
        super().__init__(message)
        self.endpoint = endpoint


class PublisherClosedError(MockHMError, RuntimeError):
    """The mock Hook Manager was used after it was closed."""


class SubscriberTimeoutError(MockHMError, TimeoutError):
    """The expected subscriptions did not arrive in time."""

    def __init__(self, message: str, *, endpoint: str, expected: int, seen: list[str]) -> None:
        super().__init__(message)
        self.endpoint = endpoint
        self.expected = expected
        self.seen = seen


class ReportTimeoutError(MockHMError, TimeoutError):
    """An expected report on the 2102 channel did not arrive in time."""


class ScenarioError(MockHMError, ValueError):
    """A scenario or capture file that cannot be used; names the file, line, step and field."""

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        line: int | None = None,
        step: int | None = None,
        field: str | None = None,
    ) -> None:
        super().__init__(message)
        self.path = path
        self.line = line
        self.step = step
        self.field = field


class ScenarioNotFoundError(ScenarioError, FileNotFoundError):
    """No scenario file or built-in scenario of that name."""
