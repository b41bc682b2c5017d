"""sql_context_by_dialect: the schema and rows as text each engine loads as they are, with odd
names and values (quotes, backslashes, %, NULL, booleans) read back unchanged."""

from __future__ import annotations

import sqlite3
import uuid

import aiomysql
import asyncpg
import pytest

from proto.common import Engine
from proto.sample import TableRows
from shared.engines.fixture import Fixture
from shared.engines.provision import parse_mysql_dsn
from shared.engines.render import render_context, split_statements
from shared.engines.settings import EngineSettings

pytestmark = pytest.mark.engines

DDL = (
    'CREATE TABLE "Order Lines" ("Id" INTEGER PRIMARY KEY, "Date" DATE, "note" TEXT, '
    '"discount%" DECIMAL(5,2), "order" INTEGER, flag BOOLEAN);'
)
ROWS = TableRows(
    table="Order Lines",
    columns=["Id", "Date", "note", "discount%", "order", "flag"],
    values=[
        [1, "2024-01-02", 'it\'s a \\path\\ and "quotes"', 5.5, 10, True],
        [2, None, "100% sure", None, 11, False],
    ],
)
FIXTURE = Fixture(ddl=DDL, dialect=Engine.SQLITE, rows=(ROWS,))
NOTES = {(1, 'it\'s a \\path\\ and "quotes"'), (2, "100% sure")}


def test_context_text_per_engine_spells_names_its_own_way() -> None:
    mysql = render_context(FIXTURE, Engine.MYSQL)
    postgres = render_context(FIXTURE, Engine.POSTGRES)
    assert mysql.startswith("CREATE TABLE `Order Lines` (Id INT PRIMARY KEY, Date DATE")
    assert "`discount%`" in mysql and "`order`" in mysql
    assert postgres.startswith('CREATE TABLE "Order Lines" (Id INT PRIMARY KEY, Date DATE')
    assert "TRUE" in postgres and "\\\\path" in mysql  # MySQL reads backslash escapes


def test_sqlite_context_loads_as_is() -> None:
    conn = sqlite3.connect(":memory:")
    conn.executescript(render_context(FIXTURE, Engine.SQLITE))
    assert set(conn.execute('SELECT "Id", note FROM "Order Lines"').fetchall()) == NOTES


async def test_mysql_context_loads_through_a_plain_session(engine_settings: EngineSettings) -> None:
    assert engine_settings.mysql_dsn
    database = f"ctx_{uuid.uuid4().hex[:8]}"
    conn = await aiomysql.connect(**parse_mysql_dsn(engine_settings.mysql_dsn), autocommit=True)
    try:
        async with conn.cursor() as cur:
            await cur.execute(f"CREATE DATABASE {database}")
            await cur.execute(f"USE {database}")
            for statement in split_statements(render_context(FIXTURE, Engine.MYSQL), Engine.MYSQL):
                await cur.execute(statement)
            await cur.execute("SELECT id, NOTE FROM `Order Lines`")
            assert set(await cur.fetchall()) == NOTES
            await cur.execute(f"DROP DATABASE {database}")
    finally:
        conn.close()


async def test_postgres_context_loads_through_a_plain_session(
    engine_settings: EngineSettings,
) -> None:
    assert engine_settings.postgres_dsn
    schema = f"ctx_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(engine_settings.postgres_dsn)
    try:
        await conn.execute(f"CREATE SCHEMA {schema}; SET search_path TO {schema}")
        await conn.execute(render_context(FIXTURE, Engine.POSTGRES))
        rows = await conn.fetch('SELECT ID, Note FROM "Order Lines"')
        assert {(r[0], r[1]) for r in rows} == NOTES
    finally:
        await conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        await conn.close()
