"""A HEM-style hook executor: runs a hook for matching events and reports each execution.

Reports go to the 2102 channel as ``"<rc> <hook_id> <base64>"`` on a REQ socket; the executor
waits for the ``ACK`` with a timeout and, if none comes, drops the socket (a REQ socket cannot
send twice) and counts the report as lost.
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Callable
from dataclasses import dataclass

import zmq

#: A hook's action: takes the event key, returns ``(rc, stdout)``.
Action = Callable[[str], tuple[int, str]]


@dataclass(frozen=True)
class Hook:
    """One hook: its id, the key prefix it fires on and what it runs."""

    hook_id: int
    prefix: str
    action: Action


def encode(rc: int, hook_id: int, key: str, stdout: str) -> bytes:
    """The report request for one execution."""
    out = base64.b64encode(stdout.encode()).decode()
    fragment = (
        f"<ARGUMENTS>{key}</ARGUMENTS><EXECUTION_RESULT><COMMAND>hook-{hook_id}</COMMAND>"
        f"<STDOUT>{out}</STDOUT><STDERR></STDERR><CODE>{rc}</CODE></EXECUTION_RESULT>"
    )
    return f"{rc} {hook_id} ".encode() + base64.b64encode(fragment.encode())


class Executor:
    """Subscribes to every hook's prefix, runs the matching hooks, reports to ``reports``."""

    def __init__(self, events: str, reports: str, hooks: list[Hook], *, ack_timeout: float = 2.0) -> None:
        self.events, self.reports, self.hooks = events, reports, hooks
        self.ack_timeout = ack_timeout
        self.lost = 0
        #: Set when a report got no ACK in time.
        self.report_lost = threading.Event()
        self.stop = threading.Event()
        self._ctx = zmq.Context.instance()
        self._req: zmq.Socket[bytes] | None = None

    def _report(self, request: bytes) -> bool:
        if self._req is None:
            self._req = self._ctx.socket(zmq.REQ)
            self._req.setsockopt(zmq.LINGER, 0)
            self._req.connect(self.reports)
        self._req.send(request)
        if self._req.poll(int(self.ack_timeout * 1000)) and self._req.recv() == b"ACK":
            return True
        self._req.close(0)
        self._req = None
        self.lost += 1
        self.report_lost.set()
        return False

    def run(self) -> None:
        """Serve until :attr:`stop` is set."""
        sub = self._ctx.socket(zmq.SUB)
        sub.setsockopt(zmq.LINGER, 0)
        for hook in self.hooks:
            sub.setsockopt(zmq.SUBSCRIBE, hook.prefix.encode())
        sub.connect(self.events)
        try:
            while not self.stop.is_set():
                if not sub.poll(100):
                    continue
                key = sub.recv_multipart()[0].decode()
                for hook in self.hooks:
                    if key.startswith(hook.prefix):
                        rc, stdout = hook.action(key)
                        self._report(encode(rc, hook.hook_id, key, stdout))
        finally:
            sub.close(0)
            if self._req is not None:
                self._req.close(0)
