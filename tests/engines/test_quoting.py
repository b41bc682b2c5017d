"""Names are quoted only where the target must have it: the reserved-word lists are the running
servers' own, and every unquoted spelling resolves as SQLite resolves it."""

from __future__ import annotations

import sqlite3

import aiomysql
import pymysql
import pytest

from proto.common import Engine
from shared.engines.fixture import Fixture
from shared.engines.provision import parse_mysql_dsn
from shared.engines.quoting import (
    MYSQL_RESERVED,
    POSTGRES_RESERVED,
    SQLITE_RESERVED,
    needs_quotes,
    requote_identifiers,
)
from shared.engines.render import render_fixture, render_sql
from shared.engines.settings import EngineSettings
from tests.engines.admin import fetch_pg

pytestmark = pytest.mark.engines


async def test_postgres_reserved_words_are_the_servers(engine_settings: EngineSettings) -> None:
    rows = await fetch_pg(
        engine_settings,
        "SELECT word FROM pg_get_keywords() WHERE catcode IN ('R', 'T')",
        scratch=False,
    )
    assert {r["word"] for r in rows} == POSTGRES_RESERVED


async def test_every_word_mariadb_refuses_bare_is_quoted(engine_settings: EngineSettings) -> None:
    assert engine_settings.mysql_dsn
    conn = await aiomysql.connect(**parse_mysql_dsn(engine_settings.mysql_dsn), autocommit=True)
    refused = []
    try:
        async with conn.cursor() as cur:
            await cur.execute("SELECT word FROM information_schema.keywords")
            words = [row[0].lower() for row in await cur.fetchall()]
            for word in (w for w in words if w.replace("_", "").isalnum()):
                try:
                    await cur.execute(f"SELECT {word} FROM (SELECT 1 AS `{word}`) AS {word}")
                    await cur.fetchall()
                except pymysql.err.MySQLError:
                    refused.append(word)
    finally:
        conn.close()
    assert refused, "the probe must find reserved words"
    assert sorted(set(refused) - MYSQL_RESERVED) == []


def test_every_word_sqlite_refuses_bare_is_quoted() -> None:
    conn = sqlite3.connect(":memory:")
    candidates = POSTGRES_RESERVED | MYSQL_RESERVED | SQLITE_RESERVED
    refused = set()
    for word in sorted(candidates):
        try:
            conn.execute(f"CREATE TABLE {word} ({word} INT)")
            conn.execute(f"SELECT {word}.{word} FROM {word}")
            conn.execute(f"DROP TABLE {word}")
        except sqlite3.Error:
            refused.add(word)
    assert refused <= SQLITE_RESERVED


@pytest.mark.parametrize(
    ("name", "target", "quoted"),
    [
        ("Date", Engine.POSTGRES, False),
        ("order", Engine.POSTGRES, True),
        ("order", Engine.MYSQL, True),
        ("Order Lines", Engine.MYSQL, True),
        ("discount%", Engine.POSTGRES, True),
        ("user_id", Engine.MYSQL, False),
        ("2nd", Engine.POSTGRES, True),
    ],
)
def test_needs_quotes(name: str, target: Engine, quoted: bool) -> None:
    assert needs_quotes(name, target) is quoted


def test_ddl_and_queries_quote_the_same_names() -> None:
    fixture = Fixture(ddl='CREATE TABLE "Posts" ("Id" INTEGER, "Date" DATE, "order" INT)')
    assert render_fixture(fixture, Engine.POSTGRES) == [
        'CREATE TABLE Posts (Id INT, Date DATE, "order" INT)'
    ]
    assert render_fixture(fixture, Engine.MYSQL) == [
        "CREATE TABLE Posts (Id INT, Date DATE, `order` INT)"
    ]
    sql = 'SELECT "Date", "order" FROM "Posts"'
    assert render_sql(sql, Engine.SQLITE, Engine.POSTGRES) == 'SELECT Date, "order" FROM Posts'
    assert (
        requote_identifiers(sql, Engine.SQLITE, Engine.MYSQL) == "SELECT Date, `order` FROM Posts"
    )


def test_sqlite_double_quoted_strings_become_strings_where_they_name_nothing() -> None:
    sql = 'SELECT name FROM singer WHERE country = "France" AND "Name" <> \'x\''
    known = frozenset({"singer", "name", "country"})
    assert (
        requote_identifiers(sql, Engine.SQLITE, Engine.MYSQL, known)
        == "SELECT name FROM singer WHERE country = 'France' AND Name <> 'x'"
    )
