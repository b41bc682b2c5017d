"""Schemas for seeds without one: inferred from the statements, or read from a catalogue."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlparse

import aiomysql
import asyncpg
import pytest

from shared.ingest.catalog import read_ddl_file, read_mysql, read_postgres
from shared.ingest.schema_infer import infer_schema
from shared.ingest.schema_render import render_ddl
from shared.ingest.seeds import ingest_files
from shared.ingest.seeds_io import attach_schema, tables_of
from shared.runtime.local import LocalStack

SHOP = [
    "SELECT o.total FROM orders o JOIN customers c ON o.customer_id = c.id"
    " WHERE c.email LIKE '%@example.com' AND o.created_at > '2024-01-01 00:00:00'",
    "INSERT INTO customers (id, name, signup_date, is_active) VALUES (1, 'a', '2024-01-01', TRUE)",
    "SELECT SUM(p.amount), COUNT(*) FROM payments p JOIN orders ON orders.id = p.order_id",
    "UPDATE orders SET status = 'paid' WHERE id = 4",
    "WITH recent AS (SELECT customer_id FROM orders WHERE total > 10.5) SELECT * FROM recent",
]


def test_infer_tables_columns_types_and_keys() -> None:
    schema = infer_schema(SHOP, "postgres")
    assert set(schema.tables) == {"orders", "customers", "payments"}  # the CTE is no table
    orders, customers = schema.tables["orders"], schema.tables["customers"]
    assert {"total", "customer_id", "created_at", "id", "status"} <= set(orders.columns)
    assert orders.columns["total"].type == "DECIMAL"
    assert orders.columns["created_at"].type == "TIMESTAMP"
    assert orders.columns["status"].type == "VARCHAR"
    assert customers.columns["signup_date"].type == "DATE"
    assert customers.columns["is_active"].type == "BOOLEAN"
    assert orders.foreign_keys["customer_id"] == ("customers", "id")
    assert schema.tables["payments"].foreign_keys["order_id"] == ("orders", "id")
    assert customers.primary_key == "id" and orders.primary_key == "id"
    ddl = render_ddl(schema)
    # Parents first, so the DDL runs top to bottom.
    assert ddl.index("CREATE TABLE customers") < ddl.index("CREATE TABLE orders")
    assert ddl.index("CREATE TABLE orders") < ddl.index("CREATE TABLE payments")
    with sqlite3.connect(":memory:") as conn:
        conn.executescript(ddl)
        for sql in SHOP:
            conn.execute("EXPLAIN " + sql)


def test_pocketdata_schema(data_dir: Path) -> None:
    result = ingest_files([data_dir / "querylogs" / "googleplus_queries.csv"], dialect="sqlite")
    schema = infer_schema(result.seeds)
    assert schema.unparsed == 0
    assert len(schema.tables) >= 40
    assert {"unviewed_notifications_count", "cover_photo_spec"} <= set(
        schema.tables["account_status"].columns
    )
    assert {"activity_id", "modified", "data_state"} <= set(schema.tables["activities"].columns)
    with sqlite3.connect(":memory:") as conn:
        conn.executescript(render_ddl(schema))
        prepared = 0
        for seed in result.seeds:
            try:
                conn.execute("EXPLAIN " + seed.sql.replace("?", "NULL"))
                prepared += 1
            except sqlite3.Error:
                pass
    print(f"PocketData: {len(schema.tables)} tables, {prepared}/{len(result.seeds)} prepare")
    assert prepared / len(result.seeds) >= 0.95
    # Each seed gets the DDL of just the tables it uses.
    seeds = attach_schema(result.seeds, schema)
    one = next(s for s in seeds if s.sql.startswith("SELECT cover_photo_spec"))
    assert one.schema_ddl is not None and one.schema_ddl.count("CREATE TABLE") == 1


def test_ddl_file_and_tables_of(tmp_path: Path) -> None:
    path = tmp_path / "schema.sql"
    path.write_text("CREATE TABLE a (id INT PRIMARY KEY);\nCREATE TABLE b (a_id INT);\n")
    schema = read_ddl_file(path)
    assert set(schema.declared) == {"a", "b"}
    assert tables_of("WITH x AS (SELECT 1) SELECT * FROM a JOIN x ON TRUE JOIN b ON 1=1") == [
        "a",
        "b",
    ]


@pytest.mark.engines
async def test_inferred_ddl_runs_on_servers(stack: LocalStack) -> None:
    ddl = render_ddl(infer_schema(SHOP, "postgres"))
    name = f"ingest_{uuid.uuid4().hex[:8]}"
    pg = await asyncpg.connect(stack.dsn("postgres"))
    try:
        await pg.execute(f"CREATE SCHEMA {name}; SET search_path TO {name}")
        await pg.execute(ddl)
        for sql in SHOP:
            await pg.execute("EXPLAIN " + sql)
    finally:
        await pg.execute(f"DROP SCHEMA {name} CASCADE")
        await pg.close()
    my = await mysql_connect(stack)
    try:
        async with my.cursor() as cur:
            await cur.execute(f"CREATE DATABASE {name}")
            await cur.execute(f"USE {name}")
            for statement in render_ddl(infer_schema(SHOP, "postgres"), "mysql").split(";\n"):
                await cur.execute(statement.rstrip(";"))
            await cur.execute(f"DROP DATABASE {name}")
    finally:
        my.close()


async def mysql_connect(stack: LocalStack, db: str | None = None) -> aiomysql.Connection:
    url = urlparse(stack.dsn("mysql") or "")
    return await aiomysql.connect(
        host=url.hostname,
        port=url.port,
        user=url.username,
        password=url.password,
        db=db,
        autocommit=True,
    )


CATALOGUE_DDL = [
    "CREATE TABLE authors (id INTEGER PRIMARY KEY, name VARCHAR(80), born DATE)",
    "CREATE TABLE books (book_id INTEGER PRIMARY KEY, author_id INTEGER REFERENCES authors (id),"
    " price NUMERIC(8, 2), published TIMESTAMP, in_print BOOLEAN)",
]


def check_catalogue(schema_tables: Mapping[str, object], ddl: str) -> None:
    assert {"authors", "books"} <= set(schema_tables)
    with sqlite3.connect(":memory:") as conn:
        conn.executescript(ddl)
        conn.execute(
            "EXPLAIN SELECT b.price, a.name FROM books b JOIN authors a ON a.id = b.author_id"
        )


@pytest.mark.engines
async def test_live_postgres_catalogue(stack: LocalStack) -> None:
    name = f"cat_{uuid.uuid4().hex[:8]}"
    dsn = stack.dsn("postgres") or ""
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(f"CREATE SCHEMA {name}; SET search_path TO {name}")
        for statement in CATALOGUE_DDL:
            await conn.execute(statement)
        schema = await read_postgres(dsn, [name])
    finally:
        await conn.execute(f"DROP SCHEMA {name} CASCADE")
        await conn.close()
    books = schema.tables["books"]
    assert books.primary_key == "book_id"
    assert books.foreign_keys["author_id"] == ("authors", "id")
    assert books.columns["price"].type == "DECIMAL" and books.columns["in_print"].type == "BOOLEAN"
    assert schema.tables["authors"].columns["born"].type == "DATE"
    check_catalogue(schema.tables, render_ddl(schema))
    assert "FOREIGN KEY (author_id) REFERENCES authors (id)" in render_ddl(schema)


@pytest.mark.engines
async def test_live_mysql_catalogue(stack: LocalStack) -> None:
    name = f"cat_{uuid.uuid4().hex[:8]}"
    admin = await mysql_connect(stack)
    try:
        async with admin.cursor() as cur:
            await cur.execute(f"CREATE DATABASE {name}")
            await cur.execute(f"USE {name}")
            await cur.execute(CATALOGUE_DDL[0])
            await cur.execute(
                "CREATE TABLE books (book_id INTEGER PRIMARY KEY, author_id INTEGER,"
                " price DECIMAL(8, 2), published DATETIME, in_print BOOLEAN,"
                " FOREIGN KEY (author_id) REFERENCES authors (id))"
            )
        dsn = (stack.dsn("mysql") or "").rsplit("/", 1)[0] + f"/{name}"
        schema = await read_mysql(dsn)
    finally:
        async with admin.cursor() as cur:
            await cur.execute(f"DROP DATABASE {name}")
        admin.close()
    books = schema.tables["books"]
    assert books.primary_key == "book_id"
    assert books.foreign_keys["author_id"] == ("authors", "id")
    assert books.columns["in_print"].type == "BOOLEAN"
    assert books.columns["published"].type == "TIMESTAMP"
    check_catalogue(schema.tables, render_ddl(schema))
