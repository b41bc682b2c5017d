"""Validity on three engines for `python -m bench quality --revalidate`: every dataset file
validated as `sqlsynth validate` does (level full, policy portable), on SQLite and a private
PostgreSQL and MariaDB (or `SQLSYNTH_POSTGRES_DSN` / `SQLSYNTH_MYSQL_DSN`)."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from proto.common import Engine, Level, Policy
from shared.datasets import load_dataset
from shared.datasets.check import check_records, summarise
from shared.engines.registry import EngineSettings, open_engines
from shared.engines.validator import Validator
from shared.runtime.servers import servers_for
from shared.runtime.signals import cancel_on_terminate

ENGINES = [Engine.SQLITE, Engine.POSTGRES, Engine.MYSQL]


def valid_on_all(paths: list[Path], concurrency: int = 16) -> dict[Path, float | None]:
    """Per dataset file, the share of records whose query is valid on all three engines."""
    configured = {
        Engine.POSTGRES: os.environ.get("SQLSYNTH_POSTGRES_DSN"),
        Engine.MYSQL: os.environ.get("SQLSYNTH_MYSQL_DSN"),
    }
    with servers_for(ENGINES, configured) as servers:
        if servers.unavailable:
            raise RuntimeError(f"unavailable engines: {servers.unavailable}")
        settings = EngineSettings(
            postgres_dsn=servers.dsns.get(Engine.POSTGRES),
            mysql_dsn=servers.dsns.get(Engine.MYSQL),
        )
        return asyncio.run(_validate_all(paths, settings, concurrency))


async def _validate_all(
    paths: list[Path], settings: EngineSettings, concurrency: int
) -> dict[Path, float | None]:
    out: dict[Path, float | None] = {}
    async with cancel_on_terminate():
        opened = await open_engines(settings, ENGINES)
        try:
            validator = Validator(opened)
            for path in paths:
                records = list(load_dataset(path))
                results = await check_records(
                    validator,
                    records,
                    ENGINES,
                    level=Level.FULL,
                    policy=Policy.PORTABLE,
                    concurrency=concurrency,
                )
                out[path] = summarise(results, ENGINES, Level.FULL)["query_valid"]["all"]
        finally:
            for engine in opened.values():
                await engine.close()
    return out
