"""Engines keyed by the Engine enum, and opening a set of them at once."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from proto.common import Engine
from shared.engines.base import SqlEngine
from shared.engines.mysql import MysqlEngine
from shared.engines.postgres import PostgresEngine
from shared.engines.settings import EngineSettings
from shared.engines.sqlite import SqliteEngine
from shared.errors import EngineUnavailable

__all__ = ["ENGINE_CLASSES", "EngineSettings", "close_engines", "open_engines"]

ENGINE_CLASSES: dict[Engine, type[SqlEngine]] = {
    Engine.SQLITE: SqliteEngine,
    Engine.POSTGRES: PostgresEngine,
    Engine.MYSQL: MysqlEngine,
}


async def open_engines(
    settings: EngineSettings, engines: Sequence[Engine]
) -> dict[Engine, SqlEngine]:
    """Start the engines concurrently; if any cannot be reached, close the rest and raise."""
    opened = {engine: ENGINE_CLASSES[engine](settings) for engine in dict.fromkeys(engines)}
    results = await asyncio.gather(*(e.start() for e in opened.values()), return_exceptions=True)
    failures = [
        (engine, result)
        for engine, result in zip(opened, results, strict=True)
        if isinstance(result, BaseException)
    ]
    if failures:
        await close_engines(opened)
        detail = "; ".join(_describe_failure(engine, exc) for engine, exc in failures)
        raise EngineUnavailable(detail) from failures[0][1]
    return opened


async def close_engines(engines: dict[Engine, SqlEngine]) -> None:
    await asyncio.gather(*(e.close() for e in engines.values()), return_exceptions=True)


def _describe_failure(engine: Engine, exc: BaseException) -> str:
    text = str(exc)
    return text if text.startswith(f"{engine.value}:") else f"{engine.value}: {text or exc!r}"
