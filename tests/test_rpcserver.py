"""The XML-RPC server under the front-end: real HTTP on loopback, xmlrpc-c's manners.

Fault codes and texts are xmlrpc-c's as oned 7.4 links it: -506 ``Method 'X' not defined``
(``src/registry.c``, xmlrpc_dispatchCall), -503 for a body that is not a call (same file,
xmlrpc_registry_process_call2), -501 for parameter type errors (``src/cpp/param_list.cpp``).
"""

from __future__ import annotations

import http.client
import socket
import threading
import xmlrpc.client
from collections.abc import Iterator, Sequence

import pytest

from mockhm.frontend.rpcserver import I8, TYPE_ERROR, RpcFault, RpcServer, dumps_response


def _handler(method: str, params: Sequence[object]) -> object:
    if method == "one.test.echo":
        return [True, list(params), 0]
    if method == "one.test.fail":
        return [False, "[one.test.fail] nope", 1024, 7, I8(-1)]
    raise RpcFault(TYPE_ERROR, "Parameter that is supposed to be integer is not")


@pytest.fixture
def server() -> Iterator[RpcServer]:
    srv = RpcServer(_handler, lambda: ("one.test.echo", "one.test.fail", "one.test.typed"))
    try:
        yield srv
    finally:
        srv.close()


def _proxy(server: RpcServer) -> xmlrpc.client.ServerProxy:
    return xmlrpc.client.ServerProxy(server.url)


def test_bound_on_loopback_before_the_constructor_returns(server: RpcServer) -> None:
    assert server.url == f"http://127.0.0.1:{server.port}/RPC2"
    with socket.create_connection(("127.0.0.1", server.port), timeout=2):
        pass
    with _proxy(server) as proxy:
        assert proxy.one.test.echo("oneadmin:password", 1, "a", True) == [
            True,
            ["oneadmin:password", 1, "a", True],
            0,
        ]


def test_unknown_method_is_fault_506(server: RpcServer) -> None:
    with _proxy(server) as proxy, pytest.raises(xmlrpc.client.Fault) as err:
        proxy.one.vm.nosuch("s")
    assert (err.value.faultCode, err.value.faultString) == (-506, "Method 'one.vm.nosuch' not defined")


def test_handler_fault_and_failure_with_i8(server: RpcServer) -> None:
    with _proxy(server) as proxy:
        with pytest.raises(xmlrpc.client.Fault) as err:
            proxy.one.test.typed("s", "x")
        assert err.value.faultCode == -501
        assert proxy.one.test.fail("s") == [False, "[one.test.fail] nope", 1024, 7, -1]


def test_i8_on_the_wire() -> None:
    body = dumps_response([False, "m", 1024, 7, I8(-1)]).decode()
    assert "<value><i8>-1</i8></value>" in body and "<value><int>1024</int></value>" in body
    assert "<value><i8>4294967296</i8></value>" in dumps_response(2**32).decode()


def _post(server: RpcServer, path: str, body: bytes, method: str = "POST") -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    try:
        conn.request(method, path, body=body, headers={"Content-Type": "text/xml"})
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def test_not_a_call_is_fault_503(server: RpcServer) -> None:
    status, body = _post(server, "/RPC2", b"<methodCall><nope")
    assert status == 200
    with pytest.raises(xmlrpc.client.Fault) as err:
        xmlrpc.client.loads(body)
    assert err.value.faultCode == -503
    assert err.value.faultString.startswith("Call XML not a proper XML-RPC call.  ")


def test_other_paths_and_verbs(server: RpcServer) -> None:
    assert _post(server, "/", xmlrpc.client.dumps((), "one.test.echo"))[0] == 404
    assert _post(server, "/RPC2", b"", method="GET")[0] == 405


def test_introspection_and_multicall(server: RpcServer) -> None:
    with _proxy(server) as proxy:
        assert "one.test.echo" in proxy.system.listMethods()
        assert proxy.system.methodExist("one.test.fail") is True
        multi = xmlrpc.client.MultiCall(proxy)
        multi.one.test.echo("s")
        multi.one.nosuch()
        results = multi()
        assert results[0] == [True, ["s"], 0]
        with pytest.raises(xmlrpc.client.Fault):
            results[1]


def test_close_cuts_idle_keepalive_connections() -> None:
    before = set(threading.enumerate())
    srv = RpcServer(_handler, lambda: ("one.test.echo",))
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=5)
    conn.request("POST", "/RPC2", body=xmlrpc.client.dumps(("s",), "one.test.echo"))
    assert conn.getresponse().read()  # the connection stays open (HTTP/1.1 keep-alive)
    srv.close()
    conn.close()
    assert set(threading.enumerate()) <= before
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", srv.port), timeout=1).close()
