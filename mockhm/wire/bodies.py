"""Body builders: ``HOOK_MESSAGE`` documents for API, STATE and RETRY.

Each builder returns a :class:`~mockhm.wire.message.HookEvent`: the body exactly as oned
concatenates it, and every key ``one_hm`` publishes it under, in order.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Final
from xml.parsers import expat

from mockhm.wire.calls import MASKED_POSITIONS, carries_extra, check_call
from mockhm.wire.documents import HostDocument, ImageDocument, VmDocument, VnetDocument
from mockhm.wire.errors import InvalidArgumentError
from mockhm.wire.keys import RETRY_KEY, api_key, state_keys
from mockhm.wire.message import HookEvent, b64encode
from mockhm.wire.profiles import Profile, get_profile
from mockhm.wire.states import printed_state
from mockhm.wire.xml import el

#: A value of an XML-RPC parameter; lists and dicts (arrays, structs) print as "" (§3.2.1).
ApiValue = str | int | float | bool | Sequence[object] | Mapping[str, object]

#: Error codes of failure_response (§3.2.2); RPC_API was XML_RPC_API before 7.2.
ERROR_CODES: Final[dict[str, int]] = {
    "SUCCESS": 0,
    "AUTHENTICATION": 256,
    "AUTHORIZATION": 512,
    "NO_EXISTS": 1024,
    "ACTION": 2048,
    "XML_RPC_API": 4096,
    "RPC_API": 4096,
    "INTERNAL": 8192,
    "ALLOCATE": 16384,
    "LOCKED": 32768,
    "REPLICATION": 65536,
}

Document = VmDocument | HostDocument | ImageDocument | VnetDocument


def format_double(value: float) -> str:
    """C++ default stream format: 6 significant digits, ``%g`` style."""
    text = f"{value:.6g}"
    if "e" in text:
        mantissa, exp = text.split("e")
        sign, digits = exp[0], exp[1:].lstrip("0")
        text = f"{mantissa}e{sign}{digits.rjust(2, '0')}"
    return text


def render_value(value: ApiValue, *, grpc: bool = False) -> str:
    """An IN or OUT value as oned prints it: raw, never escaped."""
    if isinstance(value, bool):
        return ("true" if value else "false") if grpc else ("1" if value else "0")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return format_double(value)
    if isinstance(value, str):
        return value
    if grpc and isinstance(value, Sequence) and all(isinstance(v, int) for v in value):
        return ",".join(str(v) for v in value)
    return ""


def _well_formed(text: str) -> bool:
    """Would ``text`` inside ``<VALUE>`` keep the document well-formed?  (stdlib expat)"""
    if "&" not in text and "<" not in text and "]]>" not in text:
        return True
    try:
        expat.ParserCreate().Parse(f"<V>{text}</V>".encode(), True)
    except expat.ExpatError:
        return False
    return True


_SERVICE_ID = re.compile(r"<SERVICE_ID(?:/>|>(.*?)</SERVICE_ID>)", re.DOTALL)


def first_service_id(body: str) -> str | None:
    """The text of the first ``SERVICE_ID`` element anywhere in ``body``, or ``None``.

    ``one_hm`` looks it up with the document-wide XPath ``//SERVICE_ID``
    (``src/hm_mad/one_hm.rb@release-7.4.0``, ``key()``), so a SERVICE_ID in the embedded
    object's templates counts too, and an empty one gives the key ``EVENT SERVICE  ``.
    CDATA is unwrapped, as Nokogiri's ``text`` does.
    """
    m = _SERVICE_ID.search(body)
    if m is None:
        return None
    text = m[1] or ""
    return text.replace("<![CDATA[", "").replace("]]>", "")


def _parameter(position: int, kind: str, value: str) -> str:
    return "<PARAMETER>" + el("POSITION", position) + el("TYPE", kind) + el("VALUE", value) + "</PARAMETER>"


def api_event(
    call: str,
    params: Sequence[ApiValue] = (),
    *,
    success: bool = True,
    result: ApiValue | None = None,
    error: str | None = None,
    error_code: int | str = "NO_EXISTS",
    resp_id: int = -1,
    extra: str = "",
    profile: Profile | str | None = None,
    grpc: bool = False,
    ill_formed: bool = False,
) -> HookEvent:
    """An API event for ``call``.

    Args:
        call: the method name, e.g. ``"one.vm.action"``; must publish in ``profile``.
        params: the IN arguments after the session (positions 2…); the session is
            always ``****``, and oned's masked positions (passwords) are masked too.
        success: RESULT 1 (OUT ``true``, ``result``, ``0``) or 0 (OUT ``false``,
            ``error``, code, ``resp_id``).
        result: the success return value (an id, a string, a bool).
        error: the failure message, e.g. ``"[one.vm.action] Error getting virtual machine [99]."``
            (CDATA up to 7.0, raw from 7.2).
        error_code: a code name of :data:`ERROR_CODES` or a number.
        resp_id: failure OUT position 4, the object involved (-1 if none).
        extra: the EXTRA content: an object's XML on allocate/delete.
        profile: release profile (default 7.4).
        grpc: the call came through the gRPC server (7.2+): booleans print as true/false.
        ill_formed: oned writes string values raw, so a value with ``&`` or ``<`` breaks the
            document.  Such an event is refused unless this is ``True``; then
            it is built as oned would and labelled as ill-formed, for robustness tests.

    Raises:
        ValueError: the call does not publish in ``profile``, or a value would make the body
            ill-formed and ``ill_formed`` is not set.
    """
    prof = get_profile(profile)
    check_call(call, prof)
    if grpc and not prof.grpc:
        raise ValueError(f"grpc=True needs a profile with the gRPC server (7.2+), not {prof.name}")
    masked = MASKED_POSITIONS.get(call, frozenset())
    parts = [_parameter(1, "IN", "****")]
    for position, value in enumerate(params, start=2):
        text = "****" if position in masked else render_value(value, grpc=grpc)
        parts.append(_parameter(position, "IN", text))
    if extra and not carries_extra(call):
        raise ValueError(
            f"{call}: oned fills EXTRA only for allocate and delete calls (protocol: #api; "
            "src/rm/api/SharedAPI.cc@release-7.4.0), so this call's EXTRA is always empty"
        )
    if success:
        if isinstance(result, bool):
            # success_response(bool) prints true/false whatever the protocol (§3.2.2;
            # src/rm/Request.cc@release-5.10.0, include/Request.h@release-7.4.0).
            ret = "true" if result else "false"
        else:
            ret = render_value(result if result is not None else resp_id if resp_id >= 0 else 0)
        if isinstance(result, str) and prof.out_string_cdata:
            ret = f"<![CDATA[{ret}]]>"
        outs = [("true"), ret, "0"]
    else:
        if isinstance(error_code, str) and error_code in ERROR_CODES:
            code = ERROR_CODES[error_code]
        elif isinstance(error_code, int) and not isinstance(error_code, bool):
            code = error_code
        else:
            raise InvalidArgumentError(
                f"error_code={error_code!r}; expected a number or one of {', '.join(ERROR_CODES)}"
            )
        message = error if error is not None else f"[{call}] Error."
        if prof.error_cdata:
            message = f"<![CDATA[{message}]]>"
        outs = ["false", message, str(code), str(resp_id)]
    parts.extend(_parameter(i, "OUT", v) for i, v in enumerate(outs, start=1))
    label = None
    broken = [p for p in parts if not _well_formed(p)]
    if broken:
        label = (
            f"ill-formed XML: {call} carries a raw '&' or '<' in a parameter value, "
            "as oned writes it (protocol: #escaping)"
        )
        if not ill_formed:
            raise ValueError(
                f"{call}: a parameter value holds a raw '&' or '<' that oned would not escape, so the body "
                "would be ill-formed XML (protocol: #escaping); pass ill_formed=True to build it on purpose"
            )
    body = (
        "<HOOK_MESSAGE><HOOK_TYPE>API</HOOK_TYPE>" + el("CALL", call)
        + "<CALL_INFO>" + el("RESULT", 1 if success else 0)
        + "<PARAMETERS>" + "".join(parts) + "</PARAMETERS>"
        + el("EXTRA", extra) + "</CALL_INFO></HOOK_MESSAGE>"
    )  # fmt: skip
    return HookEvent("API", body.encode(), (api_key(call, success),), prof.name, label=label)


def vmmonitor_event(
    vm_id: int, results: Mapping[str, str], *, profile: Profile | str | None = None
) -> HookEvent:
    """The ``one.internal.vmmonitor`` pseudo call of 7.2+: QEMU_GA_EXEC results.

    The parameters come sorted by key, whatever the order of ``results``: oned walks the
    attribute's ``std::map`` (``src/im/InformationManager.cc@release-7.2.0``).
    """
    prof = get_profile(profile)
    if not prof.internal_vmmonitor:
        raise ValueError(f"one.internal.vmmonitor exists from 7.2, not in profile {prof.name}")
    if not isinstance(results, Mapping):
        raise TypeError(f"results={results!r}: expected a mapping of QEMU_GA_EXEC results, name to text")
    params = "".join(
        _parameter(i, "IN", f"{k}={v}") for i, (k, v) in enumerate(sorted(results.items()), start=1)
    )
    body = (
        "<HOOK_MESSAGE><HOOK_TYPE>API</HOOK_TYPE><CALL>one.internal.vmmonitor</CALL>"
        "<CALL_INFO><RESULT>1</RESULT><PARAMETERS>" + params + "</PARAMETERS>"
        "<EXTRA>" + el("VM_ID", vm_id) + "</EXTRA></CALL_INFO></HOOK_MESSAGE>"
    )
    return HookEvent("API", body.encode(), (api_key("one.internal.vmmonitor", True),), prof.name)


def document_state_event(document: Document, profile: Profile | str | None = None) -> HookEvent:
    """The STATE event oned emits for ``document`` in its current state.

    The document's PREV_* fields must still hold the state being left: the message is
    built before ``set_prev_state()``.
    """
    prof = get_profile(profile)
    if isinstance(document, VmDocument):
        obj, lcm = "VM", document.lcm_state
    elif isinstance(document, HostDocument):
        obj, lcm = "HOST", None
    elif isinstance(document, ImageDocument):
        obj, lcm = "IMAGE", None
    else:
        obj, lcm = "NET", None
    if obj not in prof.state_objects:
        allowed = ", ".join(sorted(prof.state_objects))
        raise ValueError(f"profile {prof.name} emits no {obj} state events; it emits {allowed}")
    if document.state not in prof.states(obj):
        raise ValueError(
            f"{obj} state {document.state!r} does not exist in profile {prof.name}; "
            f"expected one of {', '.join(sorted(prof.states(obj)))}"
        )
    if lcm is not None and lcm not in prof.lcm_states:
        raise ValueError(
            f"LCM_STATE {lcm!r} does not exist in profile {prof.name}; "
            f"expected one of {', '.join(sorted(prof.lcm_states))}"
        )
    state = printed_state(obj, document.state)
    head = "<HOOK_MESSAGE><HOOK_TYPE>STATE</HOOK_TYPE>" + el("HOOK_OBJECT", obj) + el("STATE", state)
    if isinstance(document, VmDocument):
        service_id = document.service_id if prof.service_key else None
        remote = document.remote_host
        head += (
            el("LCM_STATE", lcm) + el("RESOURCE_ID", document.id)
            + (el("SERVICE_ID", service_id) if service_id else "")  # only when set: HookStateVM.cc
            + (el("REMOTE_HOST", remote) if remote is not None else "<REMOTE_HOST/>")
        )  # fmt: skip
    elif isinstance(document, HostDocument):
        head += el("REMOTE_HOST", document.name) + el("RESOURCE_ID", document.id)
    else:
        head += el("RESOURCE_ID", document.id)
    body = head + document.to_xml(prof) + "</HOOK_MESSAGE>"
    keys = state_keys(obj, document.id, state, lcm, service_id=first_service_id(body), profile=prof)
    return HookEvent("STATE", body.encode(), keys, prof.name)


def state_event(
    obj: str,
    resource_id: int,
    state: str,
    lcm_state: str | None = None,
    *,
    profile: Profile | str | None = None,
    **fields: object,
) -> HookEvent:
    """A STATE event for a default, realistic object in ``state``.

    ``state_event("VM", 42, "ACTIVE", "RUNNING")`` gives a deployed VM with a history
    record; extra ``fields`` are set on the document (e.g. ``name="web-1"``,
    ``prev_state="ACTIVE"``).  For evolving objects use :class:`mockhm.Cloud`.
    """
    from mockhm.wire.defaults import default_document

    document = default_document(obj, resource_id, state, lcm_state, **fields)
    return document_state_event(document, profile)


def retry_message(
    hook_id: int,
    arguments: str,
    *,
    remote_host: str | None = None,
    profile: Profile | str | None = None,
) -> HookEvent:
    """A RETRY message: key ``RETRY``, content ``base64(body) + " "``.

    ``arguments`` is the ARGUMENTS text of the stored execution record; oned base64s
    it once more into the body.
    """
    prof = get_profile(profile)
    if not isinstance(arguments, str):
        raise TypeError(f"arguments={arguments!r}: expected the execution's ARGUMENTS text (a str)")
    inner = b64encode(arguments.encode()).decode("ascii")
    body = (
        "<HOOK_MESSAGE>" + el("ARGUMENTS", inner) + el("HOOK_ID", hook_id)
        + (el("REMOTE_HOST", remote_host) if remote_host else "") + "</HOOK_MESSAGE>"
    )  # fmt: skip
    return HookEvent("RETRY", body.encode(), (RETRY_KEY,), prof.name)
