"""Issue 10 on the command line: one error policy (1 handled, 2 usage, 99 threshold, 70 bug),
bad arguments named with their allowed values (items 5, 7, 17), ports (7), nobody subscribed (11)."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import pytest

from mockhm.cli import EXIT_BUG, EXIT_ERROR, EXIT_INTERRUPTED, EXIT_USAGE, main, run_command

LOOP = "tcp://127.0.0.1:*"


def _usage(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    with pytest.raises(SystemExit) as exit_:
        main(list(argv))
    assert exit_.value.code == EXIT_USAGE, argv
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["serve", "--rate", "1e-300"], "expected 0 (as fast as possible) or a finite number"),
        (["serve", "--rate", "nan"], "expected 0 (as fast as possible) or a finite number"),
        (["serve", "--rate", "-5"], "expected 0 (as fast as possible) or a finite number"),
        (["serve", "--hwm", "-1"], "-1 is out of range; expected 0 or more"),
        (["serve", "x.jsonl", "--speed", "nan"], "expected 0 (flat out) or a finite number"),
        (["serve", "x.jsonl", "--speed", "-1"], "expected 0 (flat out) or a finite number"),
        (["serve", "x.jsonl", "--loop", "-3"], "-3 is out of range; expected 1 or more"),
        (["serve", "x.jsonl", "--max-gap", "-1"], "expected a finite number 0 or more"),
        (["serve", "-p", "70000"], "'70000': expected a port 1..65535, or * for any free one"),
        (["serve", "-p", "-1"], "'-1': expected a port 1..65535"),
        (["serve", "-l", "99999"], "'99999': expected a port 1..65535"),
        (["serve", "--events", "tcp://127.0.0.1:99999"], "port '99999' is out of range; expected 1..65535"),
        (["serve", "--count", "-1"], "-1 is out of range; expected 0 or more"),
        (["serve", "--filter", "é", "x.jsonl"], "a filter is a prefix of an ASCII key"),
        (
            ["record", "notanendpoint", "-o", "r.jsonl"],
            "has no transport; expected e.g. tcp://127.0.0.1:2101",
        ),
        (["record", "tcp://127.0.0.1:2101", "--filter", "é", "-o", "r.jsonl"], "ASCII key"),
        (["record", "tcp://127.0.0.1:2101", "--duration", "-1", "-o", "r.jsonl"], "more than 0"),
        (
            ["record", "tcp://127.0.0.1:2101", "-o", "/nonexistent/r.jsonl"],
            "directory '/nonexistent' does not",
        ),
        (["generate", "-o", "/nonexistent/x.jsonl"], "directory '/nonexistent' does not exist"),
        (["generate", "-o", "g.txt"], "expected a file name ending .jsonl or .yaml or .yml"),
        (["load", "--max", "--count", "1", "--body-size", "-5"], "-5 is out of range; expected 0.."),
        (["load", "--rate", "0", "--count", "1"], "expected a finite number 1e-06 or more"),
        (["load", "--max", "--count", "0"], "0 is out of range; expected 1 or more"),
        # an unknown profile: exit 1 from serve and load, and record wrote it into the header
        (["serve", "--profile", "abc"], "argument --profile: unknown profile 'abc'; expected one of"),
        (["load", "--max", "--count", "1", "--profile", "abc"], "argument --profile: unknown profile 'abc'"),
        (["record", "tcp://127.0.0.1:2101", "-o", "r.jsonl", "--profile", "abc"], "unknown profile 'abc'"),
        # one endpoint for both sockets: ipc bound both silently, tcp blamed another Hook Manager
        (
            ["serve", "--events", "ipc:///tmp/hm.sock", "--reports", "ipc:///tmp/hm.sock"],
            "are the same endpoint",
        ),
        (["serve", "-p", "2101", "-l", "2101"], "are the same endpoint (tcp://127.0.0.1:2101)"),
        # -b is an address: an endpoint or host:port gave a message about an endpoint never typed
        (["serve", "-b", "127.0.0.1:2101"], "'127.0.0.1:2101': expected an address such as 127.0.0.1 or ::1"),
        (["serve", "-b", "tcp://127.0.0.1"], "expected an address such as 127.0.0.1 or ::1, not an endpoint"),
        # --worker foo said "Invalid argument (addr='foo')" after starting
        (["load", "--worker", "foo"], "'foo' has no transport; expected e.g. tcp://127.0.0.1:2101"),
        (["load", "--max", "--count", "1", "--control", "tcp://127.0.0.1"], "expected tcp://HOST:PORT"),
        # output paths were checked only after the run (which was then reported as failed)
        (
            ["load", "--max", "--count", "1", "--json", "/nonexistent/r.json"],
            "directory '/nonexistent' does not",
        ),
        (["load", "--max", "--count", "1", "--csv", "."], "'.' is a directory; expected a file name"),
        (
            ["load", "--max", "--count", "1", "--plot", "r.txt"],
            "expected a file name ending .html or .htm or",
        ),
        # replay options without a scenario were ignored: --dry-run of the story sent for real
        (["serve", "--dry-run", "--count", "2"], "--dry-run: only for replaying a scenario or capture"),
        (["serve", "--filter", "EVENT API", "--loop", "2"], "--filter, --loop: only for replaying"),
        (["serve", "--speed", "2", "--max-gap", "1"], "--speed, --max-gap: only for replaying"),
        (["serve", "--idle", "--count", "2"], "--count: with --idle only what API clients cause"),
    ],
)
def test_bad_arguments_are_usage_errors_naming_the_allowed_values(
    capsys: pytest.CaptureFixture[str], argv: list[str], says: str
) -> None:
    """Items 5, 7, 17: each used to run (wrapping, hanging or a traceback) instead."""
    err = _usage(capsys, *argv)
    assert says in err, err


def test_handled_error_exits_1_and_a_bug_exits_70(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    missing = tmp_path / "missing.yaml"
    assert main(["serve", str(missing), "--events", LOOP, "--reports", LOOP]) == EXIT_ERROR

    def broken(args: argparse.Namespace) -> int:
        return {}["no such key"]  # type: ignore[no-any-return]

    capsys.readouterr()
    code = run_command(argparse.Namespace(command="serve", func=broken))
    err = capsys.readouterr().err
    assert code == EXIT_BUG == 70
    assert "Traceback" in err and "internal error: this is a bug in mockhm" in err


def test_capture_with_no_frames_or_bad_offsets_is_a_handled_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Items 5 and 17: ``"frames": []`` raised IndexError in serve; t NaN/Infinity/-100 passed."""
    header = '{"format": "mockhm-capture", "version": 1, "profile": "7.4"}\n'
    cases = {
        '{"t": 0, "wall": 0, "frames": []}': "field 'frames': expected at least one frame",
        '{"t": NaN, "wall": 0, "frames": ["RETRY", "eA=="]}': "field 't': expected a finite number",
        '{"t": Infinity, "wall": 0, "frames": ["RETRY", "eA=="]}': "field 't': expected a finite number",
        '{"t": -100, "wall": 0, "frames": ["RETRY", "eA=="]}': "field 't': expected a finite number",
        # an int too large for a float raised OverflowError (exit 70)
        '{"t": 1'
        + "0" * 400
        + ', "wall": 0, "frames": ["RETRY", "eA=="]}': "field 't': expected a finite number",
        '{"t": 0, "wall": 1'
        + "0" * 400
        + ', "frames": ["RETRY", "eA=="]}': "field 'wall': expected a finite",
        '{"t": 0, "wall": 0, "frames": ' + "[" * 100_000 + "]" * 100_000 + "}": "nested too deeply",
    }
    for line, says in cases.items():
        path = tmp_path / "c.jsonl"
        path.write_text(header + line + "\n")
        assert main(["serve", str(path), "--events", LOOP, "--reports", LOOP]) == EXIT_ERROR
        out = capsys.readouterr()
        assert f"{path}:2: " in out.out + out.err and says in out.out + out.err
        assert "Traceback" not in out.err


def test_speed_zero_replays_flat_out(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``--speed 0`` said "flat out" but fell back to real time; a 1000 s gap would time out."""
    header = '{"format": "mockhm-capture", "version": 1, "profile": "7.4"}\n'
    lines = [
        '{"t": 0, "wall": 0, "frames": ["RETRY", "eA=="]}',
        '{"t": 1000, "wall": 0, "frames": ["RETRY", "eA=="]}',
    ]
    path = tmp_path / "c.jsonl"
    path.write_text(header + "\n".join(lines) + "\n")
    assert main(["serve", str(path), "--speed", "0", "--events", LOOP, "--reports", LOOP]) == 0
    assert "sent 2" in capsys.readouterr().out


def test_lossless_load_with_nobody_subscribed_breaks_loss_threshold(tmp_path: Path) -> None:
    """Item 11: every message went to nobody, so ``loss==0`` is broken (exit 99), not passed."""
    out = tmp_path / "r.json"
    proc = subprocess.run(
        [sys.executable, "-m", "mockhm", "load", "--events", LOOP, "--reports", LOOP, "--wait", "0",
         "--lossless", "--max", "--count", "50", "--pool", "10", "--threshold", "loss==0",
         "--json", str(out), "--quiet", "--linger", "0"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 99, proc.stdout + proc.stderr
    data = json.loads(out.read_text())
    assert (data["sent"], data["refused"], data["unrouted"], data["loss"]) == (50, 0, 50, 50)
    assert "sent to nobody" in proc.stdout


def test_help_documents_the_exit_codes() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "mockhm", "--help"], capture_output=True, text=True, timeout=60
    )
    text = " ".join(proc.stdout.split())
    assert (
        "70 an unexpected error, i.e. a bug in mockhm" in text and "99 a load --threshold was broken" in text
    )


def test_serve_banner_warns_about_a_bind_outside_loopback(capsys: pytest.CaptureFixture[str]) -> None:
    """Item 8: ``serve -b 0.0.0.0`` said nothing."""
    assert (
        main(["serve", "-b", "0.0.0.0", "-p", "*", "-l", "*", "--count", "0", "--drain", "0", "--no-oned"])
        == 0
    )
    out = capsys.readouterr().out
    assert "WARNING: the events socket is bound to tcp://0.0.0.0:" in out
    assert "WARNING: the reports socket is bound to tcp://0.0.0.0:" in out
    assert main(["serve", "-p", "*", "-l", "*", "--count", "0", "--drain", "0", "--no-oned"]) == 0
    assert "WARNING" not in capsys.readouterr().out


@pytest.mark.parametrize(
    ("extra", "says"),
    [
        (["--acks", "--no-stamp"], "--acks matches reports to messages by their stamps; drop --no-stamp"),
        (["--ack-filter", "EVENT API"], "--ack-filter selects the messages --acks expects reports for"),
        (["--percentiles", "abc"], "--percentiles 'abc': numbers in (0, 100], comma-separated"),
    ],
)
def test_load_options_that_cannot_work_together_are_usage_errors(
    capsys: pytest.CaptureFixture[str], extra: list[str], says: str
) -> None:
    """``--acks --no-stamp`` ran and reported 0 of N stamped acknowledged; ``--ack-filter`` without
    ``--acks`` was ignored; ``--percentiles abc`` said only "could not convert string to float"."""
    assert main(["load", "--events", LOOP, "--reports", LOOP, "--max", "--count", "1", *extra]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert f"mockhm load: error: {says}" in err and "Traceback" not in err


def test_load_with_one_endpoint_for_both_sockets_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    events = "ipc:///tmp/mockhm-same.sock"
    assert main(["load", "--events", events, "--reports", events, "--max", "--count", "1"]) == EXIT_USAGE
    assert f"--events and --reports are the same endpoint ({events})" in capsys.readouterr().err


def test_serve_binds_an_ipv6_address_in_brackets(capsys: pytest.CaptureFixture[str]) -> None:
    """``-b ::1`` made ``tcp://::1:*``, which no endpoint parser reads (the oned URL had brackets)."""
    import socket

    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        pytest.skip("no IPv6 loopback on this machine")
    assert main(["serve", "-b", "::1", "-p", "*", "-l", "*", "--no-oned", "--count", "1", "--quiet"]) == 0
    assert "events on tcp://[::1]:" in capsys.readouterr().out


def test_a_bad_byte_after_the_header_is_reported_on_its_own_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The header reader decoded a whole buffer: a bad byte on line 2 was reported as line 1 and
    the whole file rejected."""
    path = tmp_path / "c.jsonl"
    header = b'{"format": "mockhm-capture", "version": 1, "profile": "7.4"}\n'
    path.write_bytes(header + b'{"t": 0, "wall": 0, "frames": ["RETRY", "\xff"]}\n')
    assert main(["validate", str(path)]) == EXIT_ERROR
    out = capsys.readouterr()
    assert f"{path}:2: not UTF-8" in out.out + out.err
    assert f"{path}:1:" not in out.out + out.err


def _interrupt_after(argv: list[str], ready: str, tmp_path: Path) -> tuple[int, str]:
    """Run ``mockhm ARGV``, send SIGINT once ``ready`` is printed; the exit code and the output."""
    import os
    import selectors
    import signal
    import time

    proc = subprocess.Popen(
        [sys.executable, "-m", "mockhm", *argv], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )  # fmt: skip
    assert proc.stdout is not None
    seen = b""
    try:
        with selectors.DefaultSelector() as sel:  # raw reads: a buffered readline hides lines from select
            sel.register(proc.stdout, selectors.EVENT_READ)
            deadline = time.monotonic() + 30
            while ready.encode() not in seen and time.monotonic() < deadline:
                if sel.select(1):
                    chunk = os.read(proc.stdout.fileno(), 65536)
                    if not chunk:
                        break
                    seen += chunk
        assert ready.encode() in seen, seen
        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=10)
    return proc.returncode, (seen + rest).decode("utf-8", "replace")


@pytest.mark.parametrize(
    ("argv", "ready", "code"),
    [
        # load waited out its --wait-timeout after Ctrl-C, then said the subscribers had not come (1)
        (
            [
                "load",
                "--events",
                LOOP,
                "--reports",
                LOOP,
                "--wait",
                "1",
                "--wait-timeout",
                "60",
                "--rate",
                "10",
                "--duration",
                "5s",
            ],
            "waiting for 1 subscription(s) (up to 60 s)",
            EXIT_INTERRUPTED,
        ),
        (
            [
                "load",
                "--events",
                LOOP,
                "--reports",
                LOOP,
                "--wait",
                "0",
                "--rate",
                "20",
                "--duration",
                "60s",
                "--quiet",
            ],
            "events on",
            EXIT_INTERRUPTED,
        ),
        (["serve", "vm-lifecycle", "-p", "*", "-l", "*", "--speed", "0.01"], "replaying", EXIT_INTERRUPTED),
        (["serve", "-p", "*", "-l", "*", "--no-oned", "--count", "1000"], "streaming", EXIT_INTERRUPTED),
        (
            ["serve", "-p", "*", "-l", "*", "--no-oned"],
            "streaming",
            0,
        ),  # runs until stopped: Ctrl-C is its end
        (["record", "tcp://127.0.0.1:9", "-o", "r.jsonl", "--count", "5"], "Ctrl-C stops", EXIT_INTERRUPTED),
        (["record", "tcp://127.0.0.1:9", "-o", "r.jsonl"], "Ctrl-C stops", 0),
    ],
    ids=[
        "load-waiting",
        "load-running",
        "serve-scenario",
        "serve-count",
        "serve-story",
        "record-count",
        "record",
    ],
)
def test_ctrl_c_before_a_command_could_end_on_its_own_exits_130(
    tmp_path: Path, argv: list[str], ready: str, code: int
) -> None:
    """The documented 130: serve's scenarios and --count, load and a bounded record exited 0 (load
    waiting for subscribers: 1, after its whole --wait-timeout)."""
    rc, out = _interrupt_after(argv, ready, tmp_path)
    assert rc == code, out
    assert "Traceback" not in out and "within 60 s" not in out


def test_serve_filter_that_selects_nothing_of_a_scenario_is_a_usage_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """It sent nothing and exited 0; ``mockhm load --filter`` already refused the same (exit 2)."""
    assert (
        main(["serve", "vm-lifecycle", "--events", LOOP, "--reports", LOOP, "--filter", "NOPE"]) == EXIT_USAGE
    )
    err = capsys.readouterr().err
    assert "--filter 'NOPE': no message of vm-lifecycle has such a key (keys include 'EVENT API" in err
