"""The hostile catalogue's kinds as an enumeration users can parametrize over.

::

    @pytest.mark.parametrize("kind", mockhm.HostileKind)
    def test_subscriber_survives(hookmanager, kind):
        case = mockhm.hostile_case(kind)
        hookmanager.publish(*case.messages)
        ...

Importing this module is light (no Hypothesis, no lxml); :func:`mockhm.hostile_case` builds
the messages of a kind.
"""

from __future__ import annotations

import enum


class HostileKind(str, enum.Enum):
    """Every kind of hostile traffic mockhm can build, broken ones first.

    *Broken* kinds put on the wire what a real oned or a damaged link can, and validation must
    reject each of their messages (:attr:`broken` is ``True``, :attr:`code` names the problem
    code :func:`mockhm.check_message` reports).  *Quirks* are legal but surprising: every
    message is valid.  Members are strings (``HostileKind.DUPLICATE == "duplicate"``), so they
    go wherever a kind name is accepted (``mockhm.strategies.hostile_messages(kinds=...)``,
    test ids).  The wire protocol page of the documentation explains each quirk.
    """

    AMP_IN_PARAMETER = "amp-in-parameter"
    """Broken: a template value in an API call's IN parameter holds a raw ``&`` (oned does not
    escape it), so the body is not well-formed XML."""
    LT_IN_PARAMETER = "lt-in-parameter"
    """Broken: the same with a raw ``<``."""
    RAW_ERROR_MESSAGE = "raw-error-message"
    """Broken: a 7.2+ API failure message printed raw with ``<`` and ``&``."""
    AMP_IN_UNAME = "amp-in-uname"
    """Broken: a user named ``r&d`` is legal, and UNAME is printed raw."""
    INVALID_BASE64 = "invalid-base64"
    """Broken: frame 2 is not standard base64."""
    ONE_FRAME = "one-frame"
    """Broken: the key without its content frame."""
    THREE_FRAMES = "three-frames"
    """Broken: key, content and an extra frame."""
    UNKNOWN_KEY = "unknown-key"
    """Broken: frame 1 is not a key the Hook Manager publishes."""
    MISSING_TRAILING_SPACE = "missing-trailing-space"
    """Broken: a STATE key without its trailing space."""
    KEY_BODY_MISMATCH = "key-body-mismatch"
    """Broken: the key names one VM, the body another."""
    RETRY_WITHOUT_SPACE = "retry-without-space"
    """Broken: RETRY content without its trailing space."""
    MISSING_EXTRA = "missing-extra"
    """Broken: well-formed, but an API body without its (always present) EXTRA element."""
    EMPTY_STATE = "empty-state"
    """Quirk: NET UPDATE_FAILURE prints as an empty STATE (keys ``EVENT NET <id>// ``)."""
    USED_PERS_AS_USED = "used-pers-as-used"
    """Quirk: IMAGE USED_PERS is published as USED, twice in a row."""
    HUGE_BODY = "huge-body"
    """Quirk: a valid VM body of about a megabyte (a huge USER_TEMPLATE)."""
    DUPLICATE = "duplicate"
    """Quirk: the same event published twice."""
    REORDERED = "reordered"
    """Quirk: RUNNING published before BOOT, as the threaded driver of 6.0+ may."""
    ID_PREFIX_COLLISION = "id-prefix-collision"
    """Quirk: VMs whose keys share a prefix (4, 42, 420); only a filter ending in the space is
    exact."""

    @property
    def code(self) -> str | None:
        """The problem code validation reports for every message of a broken kind, or ``None``
        for a quirk."""
        return _CODES.get(self.value)

    @property
    def broken(self) -> bool:
        """``True`` if validation must reject the messages of this kind."""
        return self.value in _CODES

    def __str__(self) -> str:
        return self.value


_CODES: dict[str, str] = {
    "amp-in-parameter": "xml",
    "lt-in-parameter": "xml",
    "raw-error-message": "xml",
    "amp-in-uname": "xml",
    "invalid-base64": "base64",
    "one-frame": "frames",
    "three-frames": "frames",
    "unknown-key": "key",
    "missing-trailing-space": "key",
    "key-body-mismatch": "key-body-mismatch",
    "retry-without-space": "retry-shape",
    "missing-extra": "schema",
}
