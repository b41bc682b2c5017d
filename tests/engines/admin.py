"""Admin-side views of the servers, to verify what the engines did (test helper)."""

from __future__ import annotations

import asyncio
from typing import Any

import aiomysql
import asyncpg

from shared.engines.provision import parse_mysql_dsn
from shared.engines.settings import EngineSettings


async def fetch_pg(
    settings: EngineSettings, sql: str, *args: Any, scratch: bool = True
) -> list[Any]:
    assert settings.postgres_dsn
    database = settings.scratch_database if scratch else None
    conn = await asyncpg.connect(
        settings.postgres_dsn, **({"database": database} if database else {})
    )
    try:
        return list(await conn.fetch(sql, *args))
    finally:
        await conn.close()


async def fetch_mysql(settings: EngineSettings, sql: str, *args: Any) -> list[Any]:
    assert settings.mysql_dsn
    conn = await aiomysql.connect(**parse_mysql_dsn(settings.mysql_dsn), autocommit=True)
    try:
        async with conn.cursor() as cur:
            await cur.execute(sql, args or None)
            return list(await cur.fetchall())
    finally:
        conn.close()


async def count_scratch_copies(settings: EngineSettings, name: str) -> dict[str, int]:
    """How many copies of a scratch schema exist on each server engine."""
    pg = await fetch_pg(settings, "SELECT count(*) FROM pg_namespace WHERE nspname = $1", name)
    my = await fetch_mysql(
        settings, "SELECT count(*) FROM information_schema.schemata WHERE schema_name = %s", name
    )
    return {"postgres": int(pg[0][0]), "mysql": int(my[0][0])}


async def wait_for_idle_sandbox(settings: EngineSettings, limit_s: float = 120.0) -> None:
    """Wait until no statement of the sandbox's query account still runs on either server.

    A function that never checks for interrupts keeps running server-side after its check was
    stopped (docs/validation.md); tests wait it out so it cannot slow the next test's checks.
    """
    query = f"{settings.sandbox_prefix}_query"
    deadline = asyncio.get_running_loop().time() + limit_s
    while asyncio.get_running_loop().time() < deadline:
        pg = await fetch_pg(
            settings,
            "SELECT count(*) FROM pg_stat_activity WHERE usename = $1 AND state = 'active'",
            query,
        )
        my = await fetch_mysql(
            settings,
            "SELECT count(*) FROM information_schema.processlist "
            "WHERE user = %s AND command <> 'Sleep'",
            query,
        )
        if int(pg[0][0]) == 0 and int(my[0][0]) == 0:
            return
        await asyncio.sleep(0.5)
