"""Liveness and readiness for Kubernetes probes, on their own small HTTP port.

- `GET /healthz` answers 200 while the event loop runs: a loop blocked by a stuck handler cannot
  answer, so the kubelet restarts the pod;
- `GET /readyz` answers 200 once the service's start-up hook finished and the broker answers
  FastStream's `broker.ping` (what FastStream's own `make_ping_asgi` checks), 503 otherwise.

A plain asyncio server rather than FastStream's ASGI app: running the services under uvicorn
would hand SIGTERM to uvicorn and change how every service drains on shutdown.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

PING_TIMEOUT_S = 2.0
READ_TIMEOUT_S = 5.0


@dataclass
class HealthState:
    """What the probes read: `ready` is set by the app after its start-up hook."""

    ping: Callable[[float], Awaitable[bool]]
    ready: bool = False

    async def check_ready(self) -> bool:
        if not self.ready:
            return False
        try:
            return await self.ping(PING_TIMEOUT_S)
        except Exception:  # a failed ping of any kind means "not ready", never a crashed probe
            return False


async def answer(state: HealthState, reader: asyncio.StreamReader) -> tuple[int, bytes]:
    request = await asyncio.wait_for(reader.readline(), READ_TIMEOUT_S)
    parts = request.decode("latin-1").split()
    path = parts[1] if len(parts) >= 2 else ""
    if path == "/healthz":
        return 200, b"ok\n"
    if path == "/readyz":
        ok = await state.check_ready()
        return (200, b"ready\n") if ok else (503, b"not ready\n")
    return 404, b"not found\n"


REASONS = {200: "OK", 404: "Not Found", 503: "Service Unavailable"}


async def serve_probe(
    state: HealthState, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    try:
        status, body = await answer(state, reader)
        head = (
            f"HTTP/1.1 {status} {REASONS[status]}\r\nContent-Type: text/plain\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        )
        writer.write(head.encode() + body)
        await writer.drain()
    except (OSError, TimeoutError, UnicodeDecodeError):
        pass  # a probe that hung up or sent nothing: nothing to answer
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


async def start_health_server(state: HealthState, port: int) -> asyncio.Server:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await serve_probe(state, reader, writer)

    return await asyncio.start_server(handle, host="0.0.0.0", port=port)
