"""The probe server the pods' liveness/readiness probes call (services/common/health.py)."""

from __future__ import annotations

import asyncio

from services.common.health import HealthState, start_health_server


async def fetch(port: int, path: str) -> int:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: probe\r\n\r\n".encode())
    await writer.drain()
    status = int((await reader.readline()).split()[1])
    writer.close()
    await writer.wait_closed()
    return status


async def test_alive_at_once_ready_only_after_start_up_and_while_the_broker_answers() -> None:
    broker_up = True

    async def ping(timeout: float) -> bool:
        if not broker_up:
            raise ConnectionError("no route to nats")
        return True

    state = HealthState(ping)
    server = await start_health_server(state, 0)
    port = server.sockets[0].getsockname()[1]
    try:
        assert await fetch(port, "/healthz") == 200
        assert await fetch(port, "/readyz") == 503  # start-up hook not finished
        state.ready = True
        assert await fetch(port, "/readyz") == 200
        broker_up = False
        assert await fetch(port, "/readyz") == 503
        assert await fetch(port, "/healthz") == 200  # a lost broker is not a reason to restart
        assert await fetch(port, "/metrics") == 404
    finally:
        server.close()
        await server.wait_closed()
