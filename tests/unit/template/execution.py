"""Run template drafts on SQLite, PostgreSQL and MariaDB and compare the results.

Each schema instance is created once per engine (a SQLite file in memory, a PostgreSQL schema,
a MariaDB database with the validator's collation and sql_mode). SELECTs are compared after
normalising numbers to 4 decimals and dates to ISO text, in order when the query has a
top-level ORDER BY; DML runs in a transaction that is rolled back, and the target table's
contents before the rollback are compared.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import aiomysql
import asyncpg
import sqlglot
from sqlglot import exp

from proto.common import Engine
from proto.sample import Draft
from shared.engines.provision import MYSQL_FLAVOURS, MYSQL_SQL_MODE
from shared.engines.quoting import requote_identifiers
from shared.generation.template.instance.schema_instance import SchemaInstance
from shared.generation.template.schema.ddl import ddl_statements, render_insert

# The validator's MySQL settings: MySQL 8's stock sql_mode and MariaDB's nearest collation.
MYSQL_DATABASE_OPTIONS = MYSQL_FLAVOURS["mariadb"].database_options
Rows = list[tuple[Any, ...]]


def to_mysql(sql: str) -> str:
    """The portable text as the validator sends it to MySQL: quoted names respelled."""
    return requote_identifiers(sql, Engine.SQLITE, Engine.MYSQL)


def normalise(value: Any) -> Any:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | float | Decimal):
        number = round(float(value), 4)
        return int(number) if number == int(number) else number
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def normalise_rows(rows: Sequence[Sequence[Any]], ordered: bool) -> Rows:
    out = [tuple(normalise(v) for v in r) for r in rows]
    return out if ordered else sorted(out, key=repr)


def is_ordered(sql: str) -> bool:
    tree = sqlglot.parse_one(sql, read="sqlite")
    return isinstance(tree, exp.Query) and tree.args.get("order") is not None


def dml_target(sql: str) -> str | None:
    tree = sqlglot.parse_one(sql, read="sqlite")
    if isinstance(tree, exp.Insert | exp.Update | exp.Delete):
        table = tree.this.this if isinstance(tree.this, exp.Schema) else tree.this
        return str(table.name)
    return None


@dataclass
class Outcome:
    ok: bool
    rows: Rows = field(default_factory=list)
    error: str = ""


@dataclass
class Engines:
    postgres_dsn: str
    mysql_dsn: str
    prefix: str = "tpl"
    sqlite: dict[str, sqlite3.Connection] = field(default_factory=dict)
    pg: asyncpg.Connection | None = None
    my: aiomysql.Connection | None = None
    created: set[str] = field(default_factory=set)

    async def open(self) -> None:
        # No statement cache: the search path changes between schemas.
        self.pg = await asyncpg.connect(self.postgres_dsn, statement_cache_size=0)
        url = urlsplit(self.mysql_dsn)
        self.my = await aiomysql.connect(
            host=url.hostname or "127.0.0.1",
            port=url.port or 3306,
            user=url.username,
            password=url.password or "",
            autocommit=True,
        )
        async with self.my.cursor() as cur:
            await cur.execute(f"SET SESSION sql_mode = '{MYSQL_SQL_MODE}'")

    async def close(self) -> None:
        assert self.pg is not None and self.my is not None
        for name in self.created:
            await self.pg.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")
            async with self.my.cursor() as cur:
                await cur.execute(f"DROP DATABASE IF EXISTS {name}")
        await self.pg.close()
        self.my.close()
        for conn in self.sqlite.values():
            conn.close()

    def _name(self, instance: SchemaInstance) -> str:
        return f"{self.prefix}_{instance.domain.name}_{instance.variant}"

    async def prepare(self, instance: SchemaInstance) -> str:
        name = self._name(instance)
        if name in self.created:
            return name
        assert self.pg is not None and self.my is not None
        creates = ddl_statements(instance.domain)
        inserts = [s for rows in instance.rows for s in render_insert(rows)]
        conn = sqlite3.connect(":memory:", isolation_level=None)
        for stmt in creates + inserts:
            conn.execute(stmt)
        self.sqlite[name] = conn
        await self.pg.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE; CREATE SCHEMA {name}")
        await self.pg.execute(f"SET search_path TO {name}")
        for stmt in creates + inserts:
            await self.pg.execute(stmt)
        async with self.my.cursor() as cur:
            # A leftover of an interrupted run; IF EXISTS alone would warn on every fresh name.
            await cur.execute(
                "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = %s", (name,)
            )
            ((leftover,),) = await cur.fetchall()
            if leftover:
                await cur.execute(f"DROP DATABASE {name}")
            await cur.execute(f"CREATE DATABASE {name} {MYSQL_DATABASE_OPTIONS}")
            await cur.execute(f"USE {name}")
            for stmt in creates + inserts:
                await cur.execute(to_mysql(stmt.rstrip(";")))
        self.created.add(name)
        return name

    async def run(self, instance: SchemaInstance, draft: Draft) -> dict[str, Outcome]:
        name = await self.prepare(instance)
        target = dml_target(draft.sql)
        ordered = target is None and is_ordered(draft.sql)
        return {
            "sqlite": self._sqlite(name, draft.sql, target, ordered),
            "postgres": await self._postgres(name, draft.sql, target, ordered),
            "mysql": await self._mysql(name, draft.sql, target, ordered),
        }

    def _sqlite(self, name: str, sql: str, target: str | None, ordered: bool) -> Outcome:
        conn = self.sqlite[name]
        try:
            if target is None:
                return Outcome(True, normalise_rows(conn.execute(sql).fetchall(), ordered))
            conn.execute("BEGIN")
            try:
                cur = conn.execute(sql)
                if cur.rowcount <= 0:
                    return Outcome(False, error="DML touched no rows")
                rows = conn.execute(f"SELECT * FROM {target}").fetchall()
            finally:
                conn.execute("ROLLBACK")
            return Outcome(True, normalise_rows(rows, False))
        except sqlite3.Error as exc:
            return Outcome(False, error=str(exc))

    async def _postgres(self, name: str, sql: str, target: str | None, ordered: bool) -> Outcome:
        assert self.pg is not None
        await self.pg.execute(f"SET search_path TO {name}")
        tr = self.pg.transaction()
        await tr.start()
        try:
            if target is None:
                rows = [tuple(r) for r in await self.pg.fetch(sql)]
                return Outcome(True, normalise_rows(rows, ordered))
            status = await self.pg.execute(sql)
            if status.split()[-1] == "0":
                return Outcome(False, error="DML touched no rows")
            rows = [tuple(r) for r in await self.pg.fetch(f"SELECT * FROM {target}")]
            return Outcome(True, normalise_rows(rows, False))
        except asyncpg.PostgresError as exc:
            return Outcome(False, error=str(exc))
        finally:
            await tr.rollback()

    async def _mysql(self, name: str, sql: str, target: str | None, ordered: bool) -> Outcome:
        assert self.my is not None
        async with self.my.cursor() as cur:
            await cur.execute(f"USE {name}")
            await self.my.begin()
            try:
                await cur.execute(to_mysql(sql))
                if target is None:
                    return Outcome(True, normalise_rows(list(await cur.fetchall()), ordered))
                await cur.execute(f"SELECT * FROM {target}")
                return Outcome(True, normalise_rows(list(await cur.fetchall()), False))
            except aiomysql.Error as exc:
                return Outcome(False, error=str(exc))
            finally:
                await self.my.rollback()
