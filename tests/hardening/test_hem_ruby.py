"""Item 9 with a real Ruby ffi-rzmq client subscribing the way onehem-server does (reference
§7.1): one SUB socket, connected first, then one SUBSCRIBE per hook, so two hooks on the same
key subscribe it twice; a hook removed is one UNSUBSCRIBE; a restart is a new process."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from mockhm import HookManager

HEM = r"""
require 'ffi-rzmq'
ctx = ZMQ::Context.new
sub = ctx.socket(ZMQ::SUB)
sub.setsockopt(ZMQ::LINGER, 0)
sub.connect(ARGV[0])
ARGV[1..].each { |key| sub.setsockopt(ZMQ::SUBSCRIBE, key) }
STDOUT.puts "subscribed"; STDOUT.flush
while (line = STDIN.gets)
  cmd, key = line.chomp.split(' ', 2)
  break if cmd == 'exit'
  sub.setsockopt(ZMQ::UNSUBSCRIBE, key) if cmd == 'unsubscribe'
  STDOUT.puts "done"; STDOUT.flush
end
sub.close
ctx.terminate
"""

SHARED = "EVENT STATE VM/ACTIVE/RUNNING/"
HOOKS = [SHARED, SHARED, "EVENT API one.vm.allocate ", "RETRY"]


def _ruby_ready() -> str | None:
    if shutil.which("ruby") is None:
        return "ruby is not installed (Debian: apt-get install ruby ruby-ffi-rzmq)"
    probe = subprocess.run(["ruby", "-e", "require 'ffi-rzmq'"], capture_output=True, text=True, timeout=30)
    return None if probe.returncode == 0 else f"ruby cannot load ffi-rzmq: {probe.stderr.strip()}"


def _hem(script: Path, endpoint: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        ["ruby", str(script), endpoint, *HOOKS, "FLUSH"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip


def _say(proc: subprocess.Popen[str], line: str) -> None:
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(line + "\n")
    proc.stdin.flush()
    if line != "exit":
        assert proc.stdout.readline() == "done\n"


@pytest.mark.ruby
def test_hem_sharing_a_key_restarting_and_dropping_hooks(tmp_path: Path) -> None:
    reason = _ruby_ready()
    if reason:
        pytest.skip(reason)
    script = tmp_path / "hem.rb"
    script.write_text(HEM)
    expected = sorted({*HOOKS, "FLUSH"})
    with HookManager("tcp://127.0.0.1:*", None) as hm:
        for _ in range(3):  # HEM restarts: the same filters every time, none left over
            with _hem(script, hm.events_endpoint) as hem:
                try:
                    _one_life(hm, hem, expected)
                finally:
                    if hem.poll() is None:
                        hem.kill()
            for key in ("EVENT API one.vm.allocate ", "RETRY"):
                hm.wait_for_unsubscribed(key, timeout=10)
            assert hm.subscriptions == []


def _one_life(hm: HookManager, hem: subprocess.Popen[str], expected: list[str]) -> None:
    assert hem.stdout is not None and hem.stdout.readline() == "subscribed\n"
    hm.wait_for_subscribers(1, prefix="FLUSH", timeout=10)
    assert hm.subscriptions == expected
    _say(hem, f"unsubscribe {SHARED}")  # one of the two hooks on the key is removed
    _say(hem, "unsubscribe FLUSH")
    hm.wait_for_unsubscribed("FLUSH", timeout=10)
    assert SHARED in hm.subscriptions  # the other hook still needs it
    _say(hem, f"unsubscribe {SHARED}")  # the second one too: ZeroMQ sends the notice now
    hm.wait_for_unsubscribed(SHARED, timeout=10)
    _say(hem, "exit")
    assert hem.wait(timeout=30) == 0
