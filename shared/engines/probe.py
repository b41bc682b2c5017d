"""Is an engine's server there at all? The circuit breaker's probe.

An engine error alone cannot tell a server that is down from a statement that broke its own
connection. A TCP connect to the server's address can: when it fails, the outage is the
server's and waiting costs the sample nothing; when it succeeds, the error is the sample's.
"""

from __future__ import annotations

import asyncio
import contextlib
from urllib.parse import urlsplit

from proto.common import Engine
from shared.engines.settings import EngineSettings

DEFAULT_PORTS = {Engine.POSTGRES: 5432, Engine.MYSQL: 3306}
PROBE_TIMEOUT_S = 1.0


def server_address(dsn: str, engine: Engine) -> tuple[str, int]:
    parts = urlsplit(dsn)
    return parts.hostname or "127.0.0.1", parts.port or DEFAULT_PORTS[engine]


async def reachable(host: str, port: int, timeout_s: float = PROBE_TIMEOUT_S) -> bool:
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout_s)
    except (OSError, TimeoutError):
        return False
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()
    return True


async def servers_down(settings: EngineSettings, engines: set[Engine]) -> list[Engine]:
    """The server engines among `engines` whose server does not accept a connection."""
    dsns = {Engine.POSTGRES: settings.postgres_dsn, Engine.MYSQL: settings.mysql_dsn}
    down = []
    for engine in sorted(engines & dsns.keys()):
        dsn = dsns[engine]
        if dsn and not await reachable(*server_address(dsn, engine)):
            down.append(engine)
    return down
