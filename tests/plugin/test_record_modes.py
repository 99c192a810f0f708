"""Cassette record modes in the plugin (issue 6, item 6), in pytest-recording's words.

The outer test plays the live Hook Manager: a real ``mockhm.HookManager`` on
``tcp://127.0.0.1:*`` that publishes once the inner session's recorder has subscribed (XPUB
subscription notice, no sleeps).  The inner test is the same code in every mode: it
subscribes to its own ``hookmanager``, waits for that subscription, calls
``hookmanager_cassette.play()`` and asserts the exact frames it receives.
"""

from __future__ import annotations

import base64
import contextlib
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from mockhm import HookManager
from mockhm.streams.capturefile import read_capture, read_header
from mockhm.streams.record import RECORD_MODES

Frames = tuple[bytes, bytes]


def _message(key: str, body: str) -> Frames:
    return key.encode("ascii"), base64.b64encode(body.encode("ascii"))


#: Nothing in these bodies is scrubbed, so the cassette holds them exactly as published (§2).
API = _message(
    "EVENT API one.zone.info 1",
    "<HOOK_MESSAGE><HOOK_TYPE>API</HOOK_TYPE><CALL>one.zone.info</CALL><CALL_INFO><RESULT>1</RESULT>"
    "<PARAMETERS/><EXTRA/></CALL_INFO></HOOK_MESSAGE>",
)
IMAGE = _message(
    "EVENT STATE IMAGE/READY/7 ",
    "<HOOK_MESSAGE><HOOK_TYPE>STATE</HOOK_TYPE><HOOK_OBJECT>IMAGE</HOOK_OBJECT><STATE>READY</STATE>"
    "<RESOURCE_ID>7</RESOURCE_ID></HOOK_MESSAGE>",
)
NET = _message(
    "EVENT STATE NET/READY/3 ",
    "<HOOK_MESSAGE><HOOK_TYPE>STATE</HOOK_TYPE><HOOK_OBJECT>NET</HOOK_OBJECT><STATE>READY</STATE>"
    "<RESOURCE_ID>3</RESOURCE_ID></HOOK_MESSAGE>",
)
_VM_BODY = (
    "<HOOK_MESSAGE><HOOK_TYPE>STATE</HOOK_TYPE><HOOK_OBJECT>VM</HOOK_OBJECT><STATE>ACTIVE</STATE>"
    "<LCM_STATE>RUNNING</LCM_STATE><RESOURCE_ID>42</RESOURCE_ID><VM><ID>42</ID><UNAME>{}</UNAME></VM>"
    "</HOOK_MESSAGE>"
)
#: A user name is scrubbed on the way into the cassette (recording scrubs by default) ...
VM_LIVE = _message("EVENT STATE VM/ACTIVE/RUNNING/42 ", _VM_BODY.format("alice"))
#: ... to its first pseudonym, which is what the test sees while recording and replaying.
VM_SCRUBBED = _message("EVENT STATE VM/ACTIVE/RUNNING/42 ", _VM_BODY.format("user-1"))

INNER = """
import math

import pytest
import zmq

EXPECTED = {expected!r}


@pytest.mark.hookmanager_cassette{marker}
def test_stream(hookmanager, hookmanager_cassette):
    assert (hookmanager_cassette.replaying, hookmanager_cassette.recording) == {flags!r}
    sub = zmq.Context.instance().socket(zmq.SUB)
    sub.setsockopt(zmq.LINGER, 0)
    sub.setsockopt(zmq.RCVTIMEO, 5000)
    try:
        sub.connect(hookmanager.events_endpoint)
        sub.setsockopt(zmq.SUBSCRIBE, b"")
        hookmanager.wait_for_subscribers()
        hookmanager_cassette.play(speed=math.inf)
        got = [tuple(sub.recv_multipart()) for _ in EXPECTED]
    finally:
        sub.close()
    assert got == EXPECTED
"""


def _inner(
    pytester: pytest.Pytester,
    expected: Sequence[Frames],
    *,
    replaying: bool,
    recording: bool,
    marker: str = "",
) -> Path:
    """Write the inner test module; return where its cassette goes."""
    source = INNER.format(expected=list(expected), flags=(replaying, recording), marker=marker)
    pytester.makepyfile(test_cassette=source)
    return pytester.path / "cassettes" / "test_cassette" / "test_stream.jsonl"


@contextlib.contextmanager
def live_hook_manager(messages: Sequence[Frames]) -> Iterator[str]:
    """A live Hook Manager that publishes ``messages`` once one subscriber (the recorder) is in."""
    live = HookManager("tcp://127.0.0.1:*", None)
    errors: list[BaseException] = []

    def feed() -> None:
        try:
            live.wait_for_subscribers(1, timeout=10)
            live.publish(*messages)
        except BaseException as err:
            errors.append(err)

    thread = threading.Thread(target=feed, name="live-hook-manager", daemon=True)
    thread.start()
    try:
        yield live.events_endpoint
    finally:
        thread.join(12)
        live.close()
    assert not thread.is_alive(), "the live Hook Manager's feeder did not finish"
    assert not errors, errors


def _cassette_frames(path: Path) -> list[tuple[bytes, ...]]:
    return [rec.frames for _line, rec in read_capture(path)[1]]


def _run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest("-p", "no:randomly", "--strict-markers", *args)


def _record(
    pytester: pytest.Pytester,
    mode: str,
    live: Sequence[Frames],
    seen: Sequence[Frames],
    *,
    replaying: bool,
    recording: bool,
) -> None:
    with live_hook_manager(live) as endpoint:
        _inner(pytester, seen, replaying=replaying, recording=recording)
        _run(pytester, f"--hm-record-mode={mode}", f"--hm-record-from={endpoint}").assert_outcomes(passed=1)


def test_marker_is_registered(pytester: pytest.Pytester) -> None:
    _run(pytester, "--markers").stdout.fnmatch_lines(
        [
            "@pytest.mark.hookmanager_cassette(name=None, *, mode=None, filters=None, count=None, duration=None*"
        ]
    )


def test_none_with_missing_cassette_fails_naming_path_mode_and_state(pytester: pytest.Pytester) -> None:
    """The default mode replays only: a missing cassette is a clear failure, not an INTERNALERROR."""
    path = _inner(pytester, [API], replaying=True, recording=False)
    result = _run(pytester)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            f"*cassette {path} does not exist and record mode 'none' (from default) never records; "
            "record it once with --hm-record-mode=once*--hm-record-from*"
        ]
    )
    result.stdout.no_fnmatch_line("*INTERNALERROR*")
    assert not path.exists()


def test_once_records_from_a_live_hook_manager_then_replays_byte_for_byte(pytester: pytest.Pytester) -> None:
    with live_hook_manager([API, VM_LIVE, IMAGE]) as endpoint:
        path = _inner(pytester, [API, VM_SCRUBBED, IMAGE], replaying=False, recording=True)
        result = _run(pytester, "--hm-record-mode=once", f"--hm-record-from={endpoint}")
        result.assert_outcomes(passed=1)
    assert _cassette_frames(path) == [API, VM_SCRUBBED, IMAGE]
    assert read_header(path)["source"] == endpoint
    written = path.read_bytes()
    assert b"alice" not in written

    # Second run, same mode, no live Hook Manager: the cassette exists, so it is replayed
    # into the inner test's hookmanager and left exactly as it was.
    _inner(pytester, [API, VM_SCRUBBED, IMAGE], replaying=True, recording=False)
    _run(pytester, "--hm-record-mode=once").assert_outcomes(passed=1)
    assert path.read_bytes() == written


def test_rewrite_replaces_the_cassette(pytester: pytest.Pytester) -> None:
    _record(pytester, "once", [API, IMAGE], [API, IMAGE], replaying=False, recording=True)
    # rewrite never replays: the test sees only what the live Hook Manager sends now.
    _record(pytester, "rewrite", [NET], [NET], replaying=False, recording=True)
    path = pytester.path / "cassettes" / "test_cassette" / "test_stream.jsonl"
    assert _cassette_frames(path) == [NET]


def test_new_episodes_replays_then_appends(pytester: pytest.Pytester) -> None:
    _record(pytester, "once", [API, IMAGE], [API, IMAGE], replaying=False, recording=True)
    # The old episodes are replayed first, then the new live message follows, in order.
    _record(pytester, "new_episodes", [NET], [API, IMAGE, NET], replaying=True, recording=True)
    path = pytester.path / "cassettes" / "test_cassette" / "test_stream.jsonl"
    assert _cassette_frames(path) == [API, IMAGE, NET]
    offsets = [rec.t for _line, rec in read_capture(path)[1]]
    assert offsets == sorted(offsets)


def test_all_records_and_appends_without_replaying(pytester: pytest.Pytester) -> None:
    _record(pytester, "once", [API, IMAGE], [API, IMAGE], replaying=False, recording=True)
    _record(pytester, "all", [NET], [NET], replaying=False, recording=True)
    path = pytester.path / "cassettes" / "test_cassette" / "test_stream.jsonl"
    assert _cassette_frames(path) == [API, IMAGE, NET]


def test_marker_mode_beats_the_command_line(pytester: pytest.Pytester) -> None:
    """``mode='none'`` on the marker wins over ``--hm-record-mode=rewrite``: nothing is recorded."""
    path = _inner(pytester, [API], replaying=True, recording=False, marker='(mode="none")')
    result = _run(pytester, "--hm-record-mode=rewrite", "--hm-record-from=tcp://127.0.0.1:9")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [f"*cassette {path} does not exist and record mode 'none' (from marker) never records*"]
    )
    # Issue 10 item 15: the advice names the marker, which outranks --hm-record-mode.
    result.stdout.fnmatch_lines(['*change the marker to @pytest.mark.hookmanager_cassette(mode="once")*'])
    result.stdout.no_fnmatch_line("*--hm-record-mode=once*")
    assert not path.exists()


def test_marker_name_and_filters(pytester: pytest.Pytester) -> None:
    """A named cassette goes next to the default one; ``filters`` limit what is recorded."""
    with live_hook_manager([API, IMAGE, NET]) as endpoint:
        _inner(
            pytester,
            [IMAGE],
            replaying=False,
            recording=True,
            marker='("images", mode="once", filters=["EVENT STATE IMAGE/"])',
        )
        _run(pytester, f"--hm-record-from={endpoint}").assert_outcomes(passed=1)
    path = pytester.path / "cassettes" / "test_cassette" / "images.jsonl"
    assert _cassette_frames(path) == [IMAGE]


def test_recording_without_an_endpoint_names_the_options(pytester: pytest.Pytester) -> None:
    path = _inner(pytester, [API], replaying=False, recording=True)
    result = _run(pytester, "--hm-record-mode=once")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            f"*cassette {path} does not exist and record mode 'once' (from cli) needs to record, but no "
            "live Hook Manager was named: set --hm-record-from, MOCKHM_RECORD_FROM or hm_record_from"
        ]
    )


def test_cassette_path_of_a_class_method_and_a_parametrized_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_paths="""
        import pytest

        class TestGroup:
            @pytest.mark.parametrize("x", ["a/b", "c d"])
            def test_it(self, hookmanager_cassette, x):
                pass
        """
    )
    result = _run(pytester, "--hm-record-mode=none", "-rE")
    result.assert_outcomes(errors=2)
    base = pytester.path / "cassettes" / "test_paths"
    output = result.stdout.str()  # brackets are literal here, not fnmatch classes
    for name in ("TestGroup.test_it[a-b].jsonl", "TestGroup.test_it[c-d].jsonl"):
        assert f"cassette {base / name} does not exist" in output


@pytest.mark.parametrize(
    ("layers", "want"),
    [
        ((), None),
        (("ini",), "all (ini)"),
        (("ini", "env"), "rewrite (env)"),
        (("ini", "env", "cli"), "once (cli)"),
    ],
)
def test_record_mode_precedence_and_report_header(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    inner_ini: str,
    layers: tuple[str, ...],
    want: str | None,
) -> None:
    """cli > env > ini > default; the header shows the mode and source unless it is ``none``."""
    monkeypatch.delenv("MOCKHM_RECORD_MODE", raising=False)
    monkeypatch.delenv("MOCKHM_RECORD_FROM", raising=False)
    pytester.makeini(
        inner_ini
        + ("hm_record_mode = all\nhm_record_from = tcp://127.0.0.1:2101\n" if "ini" in layers else "")
    )
    if "env" in layers:
        monkeypatch.setenv("MOCKHM_RECORD_MODE", "rewrite")
    pytester.makepyfile("def test_nothing():\n    pass\n")
    result = _run(pytester, *(["--hm-record-mode=once"] if "cli" in layers else []))
    result.assert_outcomes(passed=1)
    if want is None:
        result.stdout.no_fnmatch_line("*mockhm cassettes*")
    else:
        result.stdout.fnmatch_lines(
            [f"mockhm cassettes: record mode {want}, recording from tcp://127.0.0.1:2101 (ini)"]
        )


@pytest.mark.parametrize("where", ["cli", "env", "ini"])
def test_bad_record_mode_is_a_usage_error_listing_the_modes(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, inner_ini: str, where: str
) -> None:
    monkeypatch.delenv("MOCKHM_RECORD_MODE", raising=False)
    args: list[str] = []
    if where == "cli":
        args.append("--hm-record-mode=sometimes")
    elif where == "env":
        monkeypatch.setenv("MOCKHM_RECORD_MODE", "sometimes")
    else:
        pytester.makeini(inner_ini + "hm_record_mode = sometimes\n")
    pytester.makepyfile("def test_nothing():\n    pass\n")
    result = _run(pytester, *args)
    assert RECORD_MODES == ("none", "once", "new_episodes", "all", "rewrite")  # pytest-recording's
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [f"*expected a record mode, one of {', '.join(RECORD_MODES)}; got 'sometimes'*"]
    )


# -- recording to a count or a duration given on the marker (issue 15) ------------------------

#: The same body in every mode: no branch on ``recording``, no count known to the test body.
COMPLETE = """
import math

import pytest
import zmq


@pytest.mark.hookmanager_cassette{marker}
def test_stream(hookmanager, hookmanager_cassette):
    sub = zmq.Context.instance().socket(zmq.SUB)
    sub.setsockopt(zmq.LINGER, 0)
    sub.setsockopt(zmq.RCVTIMEO, 5000)
    try:
        sub.connect(hookmanager.events_endpoint)
        sub.setsockopt(zmq.SUBSCRIBE, b"")
        hookmanager.wait_for_subscribers()
        hookmanager_cassette.play(speed=math.inf)
        assert not hookmanager_cassette.recording  # complete: the cassette is on disk
        delivery = hookmanager.delivered("")
        got = [tuple(sub.recv_multipart()) for _ in range(delivery.count)]
    finally:
        sub.close()
    hookmanager.assert_delivered("", got)
    assert got == {expected!r}
"""


@pytest.mark.parametrize("marker", ["(count=2)", "(duration=0.5)"])
def test_count_or_duration_on_the_marker_completes_the_recording_in_play(
    pytester: pytest.Pytester, inner_ini: str, marker: str
) -> None:
    """play() returns once the cassette is complete; the header carries the test's profile."""
    pytester.makeini(inner_ini + "hm_profile = 6.10\n")
    expected = [API, IMAGE] if "count" in marker else [API, IMAGE, NET]
    pytester.makepyfile(test_cassette=COMPLETE.format(marker=marker, expected=expected))
    path = pytester.path / "cassettes" / "test_cassette" / "test_stream.jsonl"
    with live_hook_manager([API, IMAGE, NET]) as endpoint:
        _run(pytester, "--hm-record-mode=once", f"--hm-record-from={endpoint}").assert_outcomes(passed=1)
    assert _cassette_frames(path) == expected
    assert read_header(path)["profile"] == "6.10"
    _run(pytester).assert_outcomes(passed=1)  # replayed, same body


def test_a_count_never_reached_fails_naming_what_was_recorded(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_cassette=COMPLETE.format(marker="(count=5, timeout=0.5)", expected=[]))
    with live_hook_manager([API]) as endpoint:
        result = _run(pytester, "--hm-record-mode=once", f"--hm-record-from={endpoint}")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([f"*recorded 1 of 5 message(s) from {endpoint} within 0.5 s*"])


@pytest.mark.parametrize("marker", ["(count=0)", "(count=1.5)", '(duration="1s")'])
def test_bad_count_or_duration_is_a_clear_error(pytester: pytest.Pytester, marker: str) -> None:
    pytester.makepyfile(test_cassette=COMPLETE.format(marker=marker, expected=[]))
    result = _run(pytester)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*@pytest.mark.hookmanager_cassette(*): expected a *"])
