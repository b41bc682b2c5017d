"""Fixtures of the template engine tests: the hand-made shop domain, in a RowStore and in
SQLite, and one engine shared by the session."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Iterator

import pytest
import pytest_asyncio

from proto.common import Engine
from shared.engines.registry import close_engines, open_engines
from shared.engines.settings import EngineSettings
from shared.engines.validator import Validator
from shared.generation.template.engine import TemplateEngine
from shared.generation.template.instance.rowstore import RowStore
from shared.generation.template.schema.ddl import ddl_statements, render_insert
from tests.unit.template.helpers import SHOP, SHOP_ROWS


@pytest.fixture(scope="session")
def shop() -> RowStore:
    return RowStore.build(SHOP, SHOP_ROWS, "shop#0")


@pytest.fixture()
def shop_sqlite() -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(":memory:")
    for stmt in ddl_statements(SHOP):
        conn.execute(stmt)
    for rows in SHOP_ROWS:
        for stmt in render_insert(rows):
            conn.execute(stmt)
    yield conn
    conn.close()


@pytest.fixture(scope="session")
def engine() -> TemplateEngine:
    return TemplateEngine()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def sqlite_validator() -> AsyncIterator[Validator]:
    """The pipeline's validator with SQLite alone (in-process, no servers)."""
    engines = await open_engines(EngineSettings(), [Engine.SQLITE])
    try:
        yield Validator(engines)
    finally:
        await close_engines(engines)
