"""A real XML-RPC server over HTTP, with the wire manners of oned's xmlrpc-c front-end.

The stdlib ``http.server`` carries the HTTP (keep-alive, one thread per connection); the
stdlib ``xmlrpc.client`` parses calls and writes responses.  What this module adds is what
oned's server (xmlrpc-c's Abyss server and method registry) does differently from the stdlib
dispatcher, each checked in xmlrpc-c's source (``src/registry.c``, ``src/cpp/registry.cpp``,
``src/cpp/param_list.cpp``) as oned 7.4 links it:

* only ``/RPC2`` answers (Abyss's default URI path); other paths get 404, other verbs 405;
* an unknown method is fault -506 ``Method 'NAME' not defined``;
* a body that is not an XML-RPC call is fault -503 ``Call XML not a proper XML-RPC call.  …``;
* a method that throws an xmlrpc-c fault (wrong arity or type) answers that fault, code and text;
* 64-bit integers travel as ``<i8>`` (xmlrpc-c's default dialect), see :class:`I8`;
* the introspection methods xmlrpc-c registers (``system.listMethods``, ``system.methodExist``,
  ``system.multicall``) answer too.

The server is bound (and listening) when the constructor returns; :meth:`RpcServer.close`
stops the accept loop, shuts every open keep-alive connection down and joins every thread.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import selectors
import socket
import threading
import time
import xmlrpc.client
from collections.abc import Callable, Collection, Sequence
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar, Final
from xml.parsers.expat import ExpatError

from mockhm.wire.errors import BindError

log = logging.getLogger("mockhm.frontend")

#: xmlrpc-c fault codes (``include/xmlrpc-c/base.h``).
PARSE_ERROR: Final[int] = -503
TYPE_ERROR: Final[int] = -501
NO_SUCH_METHOD_ERROR: Final[int] = -506
INTERNAL_ERROR: Final[int] = -500

#: The only path Abyss serves XML-RPC on by default.
RPC_PATH: Final[str] = "/RPC2"

#: Largest request body accepted (oned's default MESSAGE_SIZE is 1 GiB; a mock needs less).
MAX_BODY: Final[int] = 64 * 1024 * 1024


class I8(int):
    """An integer that travels as ``<i8>`` (xmlrpc-c's ``value_i8``), whatever its size."""


class RpcFault(Exception):
    """A fault response: what xmlrpc-c answers when a method cannot run (not oned's own errors)."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"fault {code}: {message}")
        self.code = code
        self.message = message


def _dump_i8(m: xmlrpc.client.Marshaller, value: Any, write: Callable[[str], object]) -> None:
    write(f"<value><i8>{int(value)}</i8></value>\n")


def _dump_int(m: xmlrpc.client.Marshaller, value: Any, write: Callable[[str], object]) -> None:
    if -(2**31) <= value < 2**31:
        write(f"<value><int>{int(value)}</int></value>\n")
    else:
        _dump_i8(m, value, write)


_DISPATCH = dict(xmlrpc.client.Marshaller.dispatch)
_DISPATCH[I8] = _dump_i8
_DISPATCH[int] = _dump_int


class _Marshaller(xmlrpc.client.Marshaller):
    """The stdlib marshaller plus ``<i8>``, and big ints as ``<i8>`` rather than an error."""

    dispatch = _DISPATCH


def dumps_response(value: object) -> bytes:
    """A ``methodResponse`` holding ``value`` as its one parameter."""
    body = _Marshaller("utf-8", allow_none=False).dumps([value])  # type: ignore[list-item]
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\r\n<methodResponse>\r\n<params>\r\n'
        + body
        + "</params>\r\n</methodResponse>\r\n"
    ).encode()


def dumps_fault(code: int, message: str) -> bytes:
    """A ``methodResponse`` fault with ``faultCode``/``faultString``."""
    fault = xmlrpc.client.Fault(code, message)
    text = _Marshaller("utf-8", allow_none=False).dumps(fault)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\r\n<methodResponse>\r\n' + text + "</methodResponse>\r\n"
    ).encode()


#: ``handler(method, params)`` returns the response value or raises :class:`RpcFault`.
Handler = Callable[[str, Sequence[object]], object]


class _HTTPServer(ThreadingHTTPServer):
    """One thread per connection; every open connection known so that close can cut it."""

    allow_reuse_address = True  # oned sets SO_REUSEADDR too (RequestManagerXRPC::setup_socket)

    def __init__(self, address: tuple[str, int], family: socket.AddressFamily, rpc: RpcServer) -> None:
        self.address_family = family
        self.rpc = rpc
        self._open: set[socket.socket] = set()
        self._threads_open: list[threading.Thread] = []
        self._open_lock = threading.Lock()
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        thread = threading.Thread(
            target=self.process_request_thread, args=(request, client_address), name="mockhm-rpc-conn"
        )
        thread.daemon = True  # never keeps the interpreter alive; close() joins it anyway
        with self._open_lock:
            self._open.add(request)
            self._threads_open = [t for t in self._threads_open if t.is_alive()]
            self._threads_open.append(thread)
        thread.start()

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def cut_connections(self, timeout: float) -> None:
        """Shut every open connection down and join its thread (bounded by ``timeout``)."""
        with self._open_lock:
            for sock in list(self._open):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
            threads = list(self._threads_open)
        deadline = time.monotonic() + timeout
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))


class _Handler(BaseHTTPRequestHandler):
    server: _HTTPServer
    protocol_version = "HTTP/1.1"
    server_version = "mockhm-oned"
    sys_version = ""
    #: An idle keep-alive connection is dropped after this many seconds (Abyss: KEEPALIVE_TIMEOUT 15).
    timeout = 15

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s", self.address_string(), format % args)

    def setup(self) -> None:
        super().setup()
        # Small request/response exchanges on a kept-alive connection: without this, Nagle's
        # algorithm and the peer's delayed ACK add ~40 ms to every call.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _send(self, status: HTTPStatus, body: bytes, content_type: str = "text/xml", extra: str = "") -> None:
        """Status line, headers and body in one write."""
        self.log_request(status.value)
        head = (
            f"{self.protocol_version} {status.value} {status.phrase}\r\n"
            f"Server: {self.version_string()}\r\nDate: {self.date_time_string()}\r\n{extra}"
            f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        self.wfile.write(head.encode("latin-1") + body)

    def do_POST(self) -> None:
        if self.path != RPC_PATH:
            self._send(HTTPStatus.NOT_FOUND, b"no XML-RPC here: use /RPC2\n", "text/plain")
            return
        try:
            length = int(self.headers.get("Content-Length", ""))
        except ValueError:
            self._send(HTTPStatus.LENGTH_REQUIRED, b"Content-Length required\n", "text/plain")
            self.close_connection = True
            return
        if length < 0 or length > MAX_BODY:
            self._send(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, b"request too large\n", "text/plain")
            self.close_connection = True
            return
        data = self.rfile.read(length)
        self._send(HTTPStatus.OK, self.server.rpc.respond(data))

    def do_GET(self) -> None:
        self._not_allowed()

    def do_PUT(self) -> None:
        self._not_allowed()

    def _not_allowed(self) -> None:
        self._send(HTTPStatus.METHOD_NOT_ALLOWED, b"XML-RPC takes POST\n", "text/plain", "Allow: POST\r\n")


class RpcServer:
    """An XML-RPC server on ``host:port`` answering ``/RPC2`` through ``handler``.

    Args:
        handler: called as ``handler(method, params)`` for every call of a known method; it
            returns the response value or raises :class:`RpcFault`.
        methods: the method names that exist (anything else is fault -506), or a callable
            answering whether a name exists.
        host: address to bind (default loopback).
        port: TCP port, 0 for a free one (see :attr:`port`).
    """

    SYSTEM_METHODS: ClassVar[tuple[str, ...]] = (
        "system.listMethods",
        "system.methodExist",
        "system.multicall",
    )

    def __init__(
        self,
        handler: Handler,
        methods: Callable[[], Collection[str]],
        *,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self._handler = handler
        self._methods = methods
        where = f"http://{host}:{port}{RPC_PATH}"
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
            family, _, _, _, address = infos[0]
            self._http = _HTTPServer((str(address[0]), int(address[1])), family, self)
        except OSError as err:
            hint = "; is another oned (or mockhm) listening there?" if err.errno == errno.EADDRINUSE else ""
            raise BindError(
                f"cannot bind the oned XML-RPC front-end to {where}: {err.strerror or err}{hint}", where
            ) from None
        self.host = host
        self.port: int = int(self._http.server_address[1])
        self._http.timeout = 0  # handle_request() after our own select: never blocks
        self._wake_r, self._wake_w = socket.socketpair()
        self._thread = threading.Thread(target=self._accept_loop, name="mockhm-rpc", daemon=True)
        self._thread.start()
        self._closed = False

    @property
    def url(self) -> str:
        """``http://HOST:PORT/RPC2``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}{RPC_PATH}"

    def close(self, timeout: float = 5.0) -> None:
        """Stop serving, cut open connections, join every thread.  Safe to call twice."""
        if self._closed:
            return
        self._closed = True
        with contextlib.suppress(OSError):
            self._wake_w.send(b"x")
        self._thread.join(timeout)
        self._http.server_close()
        self._http.cut_connections(timeout)
        self._wake_r.close()
        self._wake_w.close()

    def _accept_loop(self) -> None:
        """Accept connections until woken by :meth:`close` (no polling interval to wait out)."""
        with selectors.DefaultSelector() as selector:
            selector.register(self._http.socket, selectors.EVENT_READ)
            selector.register(self._wake_r, selectors.EVENT_READ)
            while True:
                ready = selector.select()
                if any(key.fileobj is self._wake_r for key, _ in ready):
                    return
                self._http.handle_request()

    # -- dispatch ---------------------------------------------------------------------------

    def respond(self, data: bytes) -> bytes:
        """The HTTP body answering the request body ``data``."""
        try:
            params, method = xmlrpc.client.loads(data)
        except (ExpatError, xmlrpc.client.ResponseError, ValueError, TypeError, IndexError) as err:
            return dumps_fault(PARSE_ERROR, f"Call XML not a proper XML-RPC call.  {err}")
        if method is None:
            return dumps_fault(PARSE_ERROR, "Call XML not a proper XML-RPC call.  No <methodName>")
        try:
            return dumps_response(self.dispatch(method, params))
        except RpcFault as fault:
            return dumps_fault(fault.code, fault.message)
        except Exception as err:  # the server never dies; the fault says what happened
            log.exception("%s failed", method)
            return dumps_fault(INTERNAL_ERROR, f"mockhm: {method} failed: {type(err).__name__}: {err}")

    def dispatch(self, method: str, params: Sequence[object]) -> object:
        """Run one call; raise :class:`RpcFault` as xmlrpc-c would."""
        if method == "system.listMethods":
            return sorted({*self._methods(), *self.SYSTEM_METHODS})
        if method == "system.methodExist":
            if len(params) < 1 or not isinstance(params[0], str):
                raise RpcFault(TYPE_ERROR, "Parameter that is supposed to be a string is not")
            return params[0] in self.SYSTEM_METHODS or params[0] in self._methods()
        if method == "system.multicall":
            return self._multicall(params)
        if method not in self._methods():
            raise RpcFault(NO_SUCH_METHOD_ERROR, f"Method '{method}' not defined")
        return self._handler(method, params)

    def _multicall(self, params: Sequence[object]) -> list[object]:
        if len(params) != 1 or not isinstance(params[0], list):
            raise RpcFault(TYPE_ERROR, "Parameter that is supposed to be an array is not")
        out: list[object] = []
        for call in params[0]:
            if not isinstance(call, dict) or not isinstance(call.get("methodName"), str):
                out.append({"faultCode": TYPE_ERROR, "faultString": "Call is not a struct with methodName"})
                continue
            name, args = call["methodName"], call.get("params", [])
            if name == "system.multicall":
                out.append({"faultCode": INTERNAL_ERROR, "faultString": "system.multicall within multicall"})
                continue
            try:
                out.append([self.dispatch(name, args if isinstance(args, list) else [])])
            except RpcFault as fault:
                out.append({"faultCode": fault.code, "faultString": fault.message})
        return out
