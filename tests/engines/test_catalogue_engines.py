"""Every catalogue domain (variant 0) created and filled on real SQLite, PostgreSQL and MariaDB,
each in a throwaway schema/database; foreign keys must be declared and enforced."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import AsyncIterator, Sequence
from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import aiomysql
import asyncpg
import pytest

from proto.sample import Scalar, TableRows
from shared.generation.template.instance.schema_instance import SchemaInstance, build_schema
from shared.generation.template.schema.catalogue import domain_names
from shared.generation.template.schema.ddl import ddl_statements, render_insert
from shared.generation.template.schema.schema_model import ColumnType, Domain
from shared.runtime.local import LocalStack

pytestmark = pytest.mark.engines


def _scratch(name: str) -> str:
    return f"cat_{name}_{os.getpid()}"


def _insert_sql(rows: TableRows, placeholder: str) -> str:
    marks = ", ".join(placeholder.format(i) for i in range(1, len(rows.columns) + 1))
    return f"INSERT INTO {rows.table} ({', '.join(rows.columns)}) VALUES ({marks})"


def _for_asyncpg(domain: Domain, rows: TableRows) -> list[tuple[Any, ...]]:
    """asyncpg binds typed parameters: NUMERIC wants Decimal and DATE wants date objects."""
    types = [domain.table(rows.table).column(c).type for c in rows.columns]

    def convert(value: Scalar, col_type: ColumnType) -> Any:
        if value is None:
            return None
        if col_type is ColumnType.DECIMAL:
            return Decimal(f"{value:.2f}")
        if col_type is ColumnType.DATE:
            return date.fromisoformat(str(value))
        return value

    return [tuple(convert(v, t) for v, t in zip(row, types, strict=True)) for row in rows.values]


def _fk_count(domain: Domain) -> int:
    return sum(len(t.foreign_keys) for t in domain.tables)


def _orphan_row(instance: SchemaInstance) -> tuple[TableRows, str] | None:
    """A copy of a child row whose first non-self FK points at a parent that does not exist."""
    for table in instance.domain.tables:
        for fk in table.foreign_keys:
            if fk.ref_table == table.name:
                continue
            rows = instance.table_rows(table.name)
            row = list(rows.values[0])
            row[rows.columns.index(table.primary_key)] = 10_000
            row[rows.columns.index(fk.column)] = 99_999
            for i, name in enumerate(rows.columns):
                if name in table.unique_together and name != fk.column:
                    row[i] = rows.values[0][i]
            return TableRows(table=table.name, columns=rows.columns, values=[row]), table.name
    return None


@pytest.mark.parametrize("name", domain_names())
def test_domain_runs_on_sqlite(name: str) -> None:
    instance = build_schema(name, 0)
    conn = sqlite3.connect(":memory:")
    try:
        conn.execute("PRAGMA foreign_keys = ON")
        for stmt in ddl_statements(instance.domain):
            conn.execute(stmt)
        for rows in instance.rows:
            conn.executemany(_insert_sql(rows, "?"), [tuple(r) for r in rows.values])
        for rows in instance.rows:
            (count,) = conn.execute(f"SELECT COUNT(*) FROM {rows.table}").fetchone()
            assert count == len(rows.values)
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        orphan = _orphan_row(instance)
        if orphan is not None:
            with pytest.raises(sqlite3.IntegrityError):
                conn.execute(render_insert(orphan[0])[0])
    finally:
        conn.close()


@pytest.fixture(scope="module")
async def pg_conn(stack: LocalStack) -> AsyncIterator[asyncpg.Connection]:
    dsn = stack.dsn("postgres")
    assert dsn is not None
    conn = await asyncpg.connect(dsn)
    try:
        yield conn
    finally:
        await conn.close()


@pytest.mark.parametrize("name", domain_names())
async def test_domain_runs_on_postgres(pg_conn: asyncpg.Connection, name: str) -> None:
    instance = build_schema(name, 0)
    schema = _scratch(name)
    await pg_conn.execute(f"CREATE SCHEMA {schema}")
    try:
        await pg_conn.execute(f"SET search_path TO {schema}")
        for stmt in ddl_statements(instance.domain):
            await pg_conn.execute(stmt)
        for rows in instance.rows:
            sql = _insert_sql(rows, "${}")
            await pg_conn.executemany(sql, _for_asyncpg(instance.domain, rows))
        for rows in instance.rows:
            count = await pg_conn.fetchval(f"SELECT COUNT(*) FROM {rows.table}")
            assert count == len(rows.values)
        declared = await pg_conn.fetchval(
            "SELECT COUNT(*) FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace"
            " WHERE n.nspname = $1 AND c.contype = 'f' AND c.convalidated",
            schema,
        )
        assert declared == _fk_count(instance.domain)
        orphan = _orphan_row(instance)
        if orphan is not None:
            with pytest.raises(asyncpg.ForeignKeyViolationError):
                await pg_conn.execute(render_insert(orphan[0])[0])
    finally:
        await pg_conn.execute("SET search_path TO public")
        await pg_conn.execute(f"DROP SCHEMA {schema} CASCADE")


async def test_identifiers_are_not_postgres_keywords(pg_conn: asyncpg.Connection) -> None:
    # Column-name-safe keywords (catcode C) are avoided too: they are types such as `time`.
    rows = await pg_conn.fetch("SELECT word FROM pg_get_keywords() WHERE catcode <> 'U'")
    keywords = {r["word"] for r in rows}
    idents = {
        ident
        for name in domain_names()
        for table in build_schema(name).domain.tables
        for ident in [table.name, *(c.name for c in table.columns)]
    }
    assert keywords, "pg_get_keywords returned nothing"
    assert sorted(idents & keywords) == []


@pytest.fixture(scope="module")
async def mysql_conn(stack: LocalStack) -> AsyncIterator[aiomysql.Connection]:
    dsn = stack.dsn("mysql")
    assert dsn is not None
    url = urlsplit(dsn)
    conn = await aiomysql.connect(
        host=url.hostname or "127.0.0.1",
        port=url.port or 3306,
        user=url.username,
        password=url.password or "",
        autocommit=True,
    )
    try:
        yield conn
    finally:
        conn.close()


async def _run(conn: aiomysql.Connection, sql: str, args: Sequence[Any] | None = None) -> Any:
    async with conn.cursor() as cur:
        await cur.execute(sql, args)
        return await cur.fetchall()


@pytest.mark.parametrize("name", domain_names())
async def test_domain_runs_on_mariadb(mysql_conn: aiomysql.Connection, name: str) -> None:
    instance = build_schema(name, 0)
    database = _scratch(name)
    await _run(mysql_conn, f"CREATE DATABASE {database}")
    try:
        await _run(mysql_conn, f"USE {database}")
        for stmt in ddl_statements(instance.domain):
            await _run(mysql_conn, stmt)
        async with mysql_conn.cursor() as cur:
            for rows in instance.rows:
                await cur.executemany(_insert_sql(rows, "%s"), [tuple(r) for r in rows.values])
        for rows in instance.rows:
            ((count,),) = await _run(mysql_conn, f"SELECT COUNT(*) FROM {rows.table}")
            assert count == len(rows.values)
        ((declared,),) = await _run(
            mysql_conn,
            "SELECT COUNT(*) FROM information_schema.REFERENTIAL_CONSTRAINTS"
            " WHERE CONSTRAINT_SCHEMA = %s",
            (database,),
        )
        assert declared == _fk_count(instance.domain)
        orphan = _orphan_row(instance)
        if orphan is not None:
            with pytest.raises(aiomysql.IntegrityError):
                await _run(mysql_conn, render_insert(orphan[0])[0])
    finally:
        await _run(mysql_conn, f"DROP DATABASE {database}")
