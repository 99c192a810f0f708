"""A real headless Chromium driven over the DevTools protocol, for the HTML that mockhm produces.

Debian's ``chromium`` is started with a fresh profile and ``--remote-debugging-port=0``; the port it
picked is read from ``DevToolsActivePort`` in that profile, and one WebSocket (the ``websockets``
package, synchronous client) carries every command.  Pages are served from ``127.0.0.1`` only.
What counts as a problem on a page: an uncaught exception, a ``console.error``/``console.assert``,
an error entry of the browser's own log (failed loads, CSP, mixed content), an HTTP status of 400 or
more, or a request that failed to load.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import http.server
import json
import os
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from websockets.sync.client import ClientConnection, connect

#: The flags every run uses (no network beyond loopback, no first-run UI, no sandbox as root).
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--remote-debugging-address=127.0.0.1",
    "--remote-debugging-port=0",
)


def find_chromium() -> str | None:
    """Path of Debian's ``chromium`` (or ``chromium-browser``), or None."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


@dataclass
class PageReport:
    """What one page load showed."""

    url: str
    problems: list[str] = field(default_factory=list)
    screenshot: Path | None = None


class CDPError(RuntimeError):
    """The browser answered a command with an error, or did not answer in time."""


class Chromium:
    """One headless Chromium process and its DevTools connection; use as a context manager."""

    def __init__(self, executable: str, profile_dir: Path, *, timeout: float = 30.0) -> None:
        self.timeout = timeout
        profile_dir.mkdir(parents=True, exist_ok=True)
        self._log = (profile_dir.parent / f"{profile_dir.name}-stderr.log").open("wb")
        self._proc = subprocess.Popen(
            [executable, *CHROMIUM_FLAGS, f"--user-data-dir={profile_dir}", "about:blank"],
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=self._log,
            start_new_session=True,  # its helpers share our child's process group, ended together
        )
        self._next_id = 0
        self._events: list[dict[str, Any]] = []
        try:
            port, path = self._devtools_address(profile_dir / "DevToolsActivePort")
            self._connection = contextlib.ExitStack()
            self._ws: ClientConnection = self._connection.enter_context(
                connect(f"ws://127.0.0.1:{port}{path}", max_size=None, open_timeout=timeout)
            )
        except BaseException:
            self._stop_process()
            raise

    def _devtools_address(self, active_port: Path) -> tuple[int, str]:
        """The port and browser path Chromium writes once DevTools listens (bounded wait)."""
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise CDPError(f"chromium exited with {self._proc.returncode}; see {self._log.name}")
            with contextlib.suppress(FileNotFoundError):
                lines = active_port.read_text().split()
                if len(lines) == 2:
                    return int(lines[0]), lines[1]
            time.sleep(0.05)  # polling a file Chromium writes; bounded by the deadline
        raise CDPError(f"chromium wrote no {active_port} within {self.timeout} s; see {self._log.name}")

    # -- protocol ----------------------------------------------------------------------------

    def _receive(self, deadline: float) -> dict[str, Any]:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise CDPError(f"no answer from chromium within {self.timeout} s")
        try:
            message: dict[str, Any] = json.loads(self._ws.recv(timeout=remaining))
        except TimeoutError as err:
            raise CDPError(f"no answer from chromium within {self.timeout} s") from err
        return message

    def send(self, method: str, params: dict[str, Any] | None = None, session: str | None = None) -> Any:
        """Send one command and return its result; events that arrive meanwhile are kept."""
        self._next_id += 1
        command: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session is not None:
            command["sessionId"] = session
        self._ws.send(json.dumps(command))
        deadline = time.monotonic() + self.timeout
        while True:
            message = self._receive(deadline)
            if message.get("id") == self._next_id:
                if "error" in message:
                    raise CDPError(f"{method}: {message['error']}")
                return message.get("result", {})
            if "method" in message:
                self._events.append(message)

    def wait_event(self, method: str, session: str) -> dict[str, Any]:
        """The first kept or arriving event ``method`` of ``session`` (bounded wait)."""
        for event in self._events:
            if event["method"] == method and event.get("sessionId") == session:
                self._events.remove(event)
                return event
        deadline = time.monotonic() + self.timeout
        while True:
            message = self._receive(deadline)
            if message.get("method") == method and message.get("sessionId") == session:
                return message
            if "method" in message:
                self._events.append(message)

    # -- pages -------------------------------------------------------------------------------

    def open(self, url: str, *, width: int = 1280, height: int = 900) -> Page:
        """A new tab showing ``url``, returned once its load event has fired."""
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Runtime", "Log", "Page", "Network"):
            self.send(f"{domain}.enable", session=session)
        self.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
            session=session,
        )
        page = Page(self, session, target, url)
        page.goto(url)
        return page

    def problems(self, session: str) -> list[str]:
        """Console errors, exceptions, failed loads and HTTP errors seen so far in ``session``."""
        found: list[str] = []
        for event in self._events:
            if event.get("sessionId") != session:
                continue
            method, params = event["method"], event.get("params", {})
            if method == "Runtime.exceptionThrown":
                details = params["exceptionDetails"]
                found.append(
                    f"exception: {details.get('exception', {}).get('description') or details['text']}"
                )
            elif method == "Runtime.consoleAPICalled" and params["type"] in ("error", "assert"):
                text = " ".join(str(a.get("value", a.get("description", ""))) for a in params["args"])
                found.append(f"console.{params['type']}: {text}")
            elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
                entry = params["entry"]
                found.append(f"log ({entry['source']}): {entry['text']} {entry.get('url', '')}".rstrip())
            elif method == "Network.responseReceived" and params["response"]["status"] >= 400:
                found.append(f"HTTP {params['response']['status']}: {params['response']['url']}")
            elif method == "Network.loadingFailed" and not params.get("canceled"):
                found.append(f"load failed: {params['errorText']} ({params.get('type', '?')})")
        return found

    def _stop_process(self) -> None:
        if self._proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._proc.pid, signal.SIGTERM)
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self._proc.pid, signal.SIGKILL)
                self._proc.wait(timeout=10)
        self._log.close()

    def close(self) -> None:
        """Close the browser (politely, then by its process group) and the connection."""
        with contextlib.suppress(Exception):
            self.send("Browser.close")
        with contextlib.suppress(Exception):
            self._connection.close()
        self._stop_process()

    def __enter__(self) -> Chromium:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Page:
    """One tab of a :class:`Chromium`."""

    def __init__(self, browser: Chromium, session: str, target: str, url: str) -> None:
        self.browser, self.session, self.target, self.url = browser, session, target, url

    def goto(self, url: str) -> None:
        """Navigate and wait for the load event; a navigation error raises :class:`CDPError`."""
        self.url = url
        result = self.browser.send("Page.navigate", {"url": url}, session=self.session)
        if result.get("errorText"):
            raise CDPError(f"{url}: {result['errorText']}")
        self.browser.wait_event("Page.loadEventFired", self.session)

    def evaluate(self, expression: str) -> Any:
        """The JSON value of a JavaScript expression (promises are awaited)."""
        result = self.browser.send(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
            session=self.session,
        )
        if "exceptionDetails" in result:
            raise CDPError(f"{expression!r} threw: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, condition: str, *, timeout_ms: int = 10_000) -> bool:
        """Whether the JavaScript ``condition`` became true within ``timeout_ms`` (checked in-page)."""
        script = (
            "new Promise((resolve) => { const t0 = performance.now(); (function poll() {"
            f" let ok = false; try {{ ok = Boolean({condition}); }} catch (e) {{ ok = false; }}"
            f" if (ok) resolve(true); else if (performance.now() - t0 > {timeout_ms}) resolve(false);"
            " else setTimeout(poll, 25); })(); })"
        )
        return bool(self.evaluate(script))

    def type_text(self, text: str) -> None:
        """Type into the focused element as a user would (one key event per character)."""
        for char in text:
            for kind in ("keyDown", "keyUp"):
                params: dict[str, Any] = {"type": kind, "key": char}
                if kind == "keyDown":
                    params["text"] = char
                self.browser.send("Input.dispatchKeyEvent", params, session=self.session)

    def screenshot(self, path: Path) -> Path:
        """Save a PNG of the viewport to ``path`` and return it."""
        data = self.browser.send("Page.captureScreenshot", {"format": "png"}, session=self.session)["data"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))
        return path

    def problems(self) -> list[str]:
        """See :meth:`Chromium.problems`."""
        return self.browser.problems(self.session)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextlib.contextmanager
def serve_directory(directory: Path) -> Iterator[str]:
    """Serve ``directory`` over HTTP on 127.0.0.1 (a free port); yields the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, name="docs-http", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
