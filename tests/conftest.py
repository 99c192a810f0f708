"""Shared test helpers: real ZeroMQ sockets (linger 0, receive timeouts), the reference vectors."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import zmq

ROOT = Path(__file__).resolve().parents[1]
#: ``../shared`` beside the repository, as laid out for developers and CI.
SHARED = ROOT.parent / "shared"
VECTORS_FILE = SHARED / "reference" / "hook-vectors-7.4.jsonl"
SEED_DOC = SHARED / "seeds" / "000_212e99c7e7090265.txt"
UPSTREAM_XSD_74 = SHARED / "opennebula" / "xsd" / "release-7.4.0"


def load_vectors() -> dict[str, dict[str, Any]]:
    """The reference's test vectors by name (skips when ../shared is absent)."""
    if not VECTORS_FILE.exists():
        pytest.skip(f"reference vectors not found at {VECTORS_FILE}")
    return {v["name"]: v for v in map(json.loads, VECTORS_FILE.read_text().splitlines()) if v}


@pytest.fixture(scope="session")
def vectors() -> dict[str, dict[str, Any]]:
    return load_vectors()


@pytest.fixture
def zmq_context() -> Iterator[zmq.Context[zmq.Socket[bytes]]]:
    """A private context; every socket made from it is closed with linger 0 at teardown."""
    ctx: zmq.Context[zmq.Socket[bytes]] = zmq.Context()
    sockets: list[zmq.Socket[bytes]] = []
    real_socket = ctx.socket

    def tracked(kind: int) -> zmq.Socket[bytes]:
        sock = real_socket(kind)
        sockets.append(sock)
        return sock

    ctx.socket = tracked  # type: ignore[method-assign]
    yield ctx
    for sock in sockets:
        sock.close(linger=0)
    ctx.term()


@pytest.fixture
def subscriber(
    zmq_context: zmq.Context[zmq.Socket[bytes]],
) -> Iterator[Callable[..., zmq.Socket[bytes]]]:
    """Make a SUB socket: filters are set *before* connecting (no missed welcome)."""
    made: list[zmq.Socket[bytes]] = []

    def make(endpoint: str, *prefixes: str | bytes, timeout: float = 2.0) -> zmq.Socket[bytes]:
        sock = zmq_context.socket(zmq.SUB)
        made.append(sock)
        sock.setsockopt(zmq.LINGER, 0)
        sock.setsockopt(zmq.RCVTIMEO, int(timeout * 1000))
        for prefix in prefixes or (b"",):
            sock.setsockopt(zmq.SUBSCRIBE, prefix.encode() if isinstance(prefix, str) else prefix)
        sock.connect(endpoint)
        return sock

    yield make
    for sock in made:
        sock.close(linger=0)


def recv_frames(sock: zmq.Socket[bytes]) -> list[bytes]:
    """One multipart message; fails the test (zmq.Again) instead of blocking forever."""
    return sock.recv_multipart()


def drain(sock: zmq.Socket[bytes], timeout: float = 0.2) -> list[list[bytes]]:
    """Every message that arrives until ``timeout`` passes with nothing new."""
    got = []
    poller = zmq.Poller()
    poller.register(sock, zmq.POLLIN)
    while poller.poll(int(timeout * 1000)):
        got.append(sock.recv_multipart())
    return got
