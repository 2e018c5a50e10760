"""`clinrules serve` turns Nagle's algorithm off on every connection, with one worker or several.

With `--workers N` uvicorn binds the listening socket with protocol number 0,
and asyncio then leaves Nagle's algorithm on: every response waited 44 ms
for the client's delayed ACK (benchmarks/service.py). These tests check the
socket option and that `serve` runs the protocol that sets it; no timing.
"""

from __future__ import annotations

import io
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("uvicorn")

from clinrules.cli.main import main
from clinrules.cli.serve import WORKER_SETTINGS
from clinrules.service.nodelay import NoDelayH11Protocol, no_delay

RULESET = Path(__file__).resolve().parent.parent / "rulesets" / "sciatica" / "glute_bridge.rules"


class _Transport:
    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock

    def get_extra_info(self, name: str) -> Any:
        return self.sock if name == "socket" else None


@pytest.fixture
def accepted() -> Iterator[socket.socket]:
    """A connection accepted on a listening socket bound as uvicorn binds it for workers (protocol 0)."""
    listener = socket.socket(family=socket.AF_INET)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    client = socket.create_connection(listener.getsockname())
    conn, _ = listener.accept()
    try:
        yield conn
    finally:
        for s in (conn, client, listener):
            s.close()


def test_a_connection_accepted_like_uvicorn_workers_do_gets_tcp_nodelay(accepted: socket.socket) -> None:
    assert accepted.proto == 0  # why asyncio's own TCP_NODELAY does not apply
    assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 0
    assert no_delay(_Transport(accepted))  # type: ignore[arg-type]
    assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0


def test_a_socket_that_is_not_tcp_is_left_alone() -> None:
    left, right = socket.socketpair(socket.AF_UNIX)
    try:
        assert not no_delay(_Transport(left))  # type: ignore[arg-type]
    finally:
        left.close()
        right.close()


@pytest.mark.parametrize("workers", ["1", "2"])
def test_serve_runs_the_protocol_that_sets_it(monkeypatch: pytest.MonkeyPatch, workers: str) -> None:
    import uvicorn

    monkeypatch.setenv(WORKER_SETTINGS, "{}")  # restored after the test: serve sets it for its workers
    seen: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: seen.update(options))
    out, err = io.StringIO(), io.StringIO()
    code = main(["serve", str(RULESET), "--allow-draft", "--port", "8080", "--workers", workers], out, err)
    assert code == 0, err.getvalue()
    assert seen["http"] is NoDelayH11Protocol
