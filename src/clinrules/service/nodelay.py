"""The HTTP protocol `clinrules serve` runs: uvicorn's h11 protocol with Nagle's algorithm off.

Why: with `--workers N` uvicorn binds the listening socket itself, with
protocol number 0, and asyncio turns Nagle's algorithm off only on sockets
whose protocol is `IPPROTO_TCP`. Each response (headers, then body) then
waits for the client's delayed ACK: 44 ms a request on Linux, every request
(measured with `benchmarks/service.py`: p50 44 ms with 2 workers, 15 ms with
one). A single worker binds through asyncio and is not affected; the same
protocol serves both, so both behave alike.
"""

from __future__ import annotations

import asyncio
import socket

from uvicorn.protocols.http.h11_impl import H11Protocol


def no_delay(transport: asyncio.BaseTransport) -> bool:
    """Turn Nagle's algorithm off on a TCP transport's socket; False for a socket that is not TCP."""
    sock = transport.get_extra_info("socket")
    if (
        sock is None
        or sock.family not in (socket.AF_INET, socket.AF_INET6)
        or sock.type != socket.SOCK_STREAM
    ):
        return False
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return True


class NoDelayH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, with TCP_NODELAY set on every connection it accepts."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        no_delay(transport)
        super().connection_made(transport)
