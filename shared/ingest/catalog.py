"""A schema from a live database's catalogue (`--schema-from postgres://…` / `mysql://…`),
or from a DDL file, in the same shape as an inferred one, so seeds get DDL either way."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from urllib.parse import unquote, urlparse

import aiomysql
import asyncpg

from shared.errors import EngineUnavailable
from shared.ingest.schema_infer import infer_schema
from shared.ingest.schema_model import (
    BOOLEAN,
    DATE,
    DECIMAL,
    INTEGER,
    TIMESTAMP,
    VARCHAR,
    ColumnInfo,
    InferredSchema,
)

# Catalogue type names → portable types; the first matching prefix wins.
_TYPE_PREFIXES = (
    ("bool", BOOLEAN),
    ("tinyint(1)", BOOLEAN),
    ("int", INTEGER),
    ("bigint", INTEGER),
    ("smallint", INTEGER),
    ("mediumint", INTEGER),
    ("tinyint", INTEGER),
    ("serial", INTEGER),
    ("numeric", DECIMAL),
    ("decimal", DECIMAL),
    ("real", DECIMAL),
    ("double", DECIMAL),
    ("float", DECIMAL),
    ("money", DECIMAL),
    ("timestamp", TIMESTAMP),
    ("datetime", TIMESTAMP),
    ("date", DATE),
)
_CATALOGUE_WEIGHT = 100

PG_COLUMNS = """
SELECT c.table_name, c.column_name, c.data_type
FROM information_schema.columns c
JOIN information_schema.tables t
  ON t.table_schema = c.table_schema AND t.table_name = c.table_name
WHERE c.table_schema = ANY($1::text[]) AND t.table_type = 'BASE TABLE'
ORDER BY c.table_name, c.ordinal_position
"""
PG_KEYS = """
SELECT tc.constraint_type, kcu.table_name, kcu.column_name,
       ccu.table_name AS ref_table, ccu.column_name AS ref_column
FROM information_schema.table_constraints tc
JOIN information_schema.key_column_usage kcu
  ON kcu.constraint_name = tc.constraint_name AND kcu.table_schema = tc.table_schema
LEFT JOIN information_schema.constraint_column_usage ccu
  ON tc.constraint_type = 'FOREIGN KEY' AND ccu.constraint_name = tc.constraint_name
  AND ccu.constraint_schema = tc.constraint_schema
WHERE tc.table_schema = ANY($1::text[]) AND tc.constraint_type IN ('PRIMARY KEY', 'FOREIGN KEY')
"""
MYSQL_COLUMNS = """
SELECT c.TABLE_NAME, c.COLUMN_NAME, c.COLUMN_TYPE
FROM information_schema.COLUMNS c
JOIN information_schema.TABLES t
  ON t.TABLE_SCHEMA = c.TABLE_SCHEMA AND t.TABLE_NAME = c.TABLE_NAME
WHERE c.TABLE_SCHEMA = %s AND t.TABLE_TYPE = 'BASE TABLE'
ORDER BY c.TABLE_NAME, c.ORDINAL_POSITION
"""
MYSQL_KEYS = """
SELECT CONSTRAINT_NAME, TABLE_NAME, COLUMN_NAME, REFERENCED_TABLE_NAME, REFERENCED_COLUMN_NAME
FROM information_schema.KEY_COLUMN_USAGE
WHERE TABLE_SCHEMA = %s AND (CONSTRAINT_NAME = 'PRIMARY' OR REFERENCED_TABLE_NAME IS NOT NULL)
"""


def portable_type(catalogue_type: str) -> str:
    low = catalogue_type.lower().strip()
    for prefix, kind in _TYPE_PREFIXES:
        if low.startswith(prefix):
            return kind
    return VARCHAR


def add_column(schema: InferredSchema, table: str, column: str, catalogue_type: str) -> None:
    info = schema.table(table).column(column)
    info.votes = Counter({portable_type(catalogue_type): _CATALOGUE_WEIGHT})


def add_key(
    schema: InferredSchema,
    primary: bool,
    table: str,
    column: str,
    ref_table: str | None,
    ref_column: str | None,
) -> None:
    info = schema.table(table)
    if primary:
        # Composite keys keep their first column: the renderer declares single-column keys.
        info.primary_key = info.primary_key or column.lower()
    elif ref_table and ref_column:
        info.foreign_keys[column.lower()] = (ref_table, ref_column)


async def read_postgres(dsn: str, schemas: list[str] | None = None) -> InferredSchema:
    """Tables, columns, primary and foreign keys of the given schemas (default `public`)."""
    wanted = schemas or ["public"]
    try:
        conn = await asyncpg.connect(dsn, timeout=10)
    except (OSError, asyncpg.PostgresError) as exc:
        raise EngineUnavailable(f"cannot read the catalogue of {redact(dsn)}: {exc}") from exc
    try:
        schema = InferredSchema()
        for row in await conn.fetch(PG_COLUMNS, wanted):
            add_column(schema, row["table_name"], row["column_name"], row["data_type"])
        for row in await conn.fetch(PG_KEYS, wanted):
            add_key(
                schema,
                row["constraint_type"] == "PRIMARY KEY",
                row["table_name"],
                row["column_name"],
                row["ref_table"],
                row["ref_column"],
            )
        return schema
    finally:
        await conn.close()


async def connect_mysql(dsn: str, option: str, purpose: str) -> aiomysql.Connection:
    """A connection to the database a mysql:// DSN names; a one-line error otherwise (`option`
    and `purpose` say which CLI option asked and what for)."""
    url = urlparse(dsn)
    database = url.path.lstrip("/")
    if not database:
        raise ValueError(f"a mysql:// DSN for {option} must name a database")
    try:
        return await aiomysql.connect(
            host=url.hostname or "127.0.0.1",
            port=url.port or 3306,
            user=unquote(url.username or "root"),
            password=unquote(url.password or ""),
            db=database,
            connect_timeout=10,
        )
    except (OSError, aiomysql.Error) as exc:
        raise EngineUnavailable(f"cannot read {purpose} from {redact(dsn)}: {exc}") from exc


async def read_mysql(dsn: str) -> InferredSchema:
    """Tables, columns, primary and foreign keys of the DSN's database."""
    conn = await connect_mysql(dsn, "--schema-from", "the catalogue")
    database = urlparse(dsn).path.lstrip("/")
    try:
        schema = InferredSchema()
        async with conn.cursor() as cursor:
            await cursor.execute(MYSQL_COLUMNS, (database,))
            for table, column, kind in await cursor.fetchall():
                add_column(schema, table, column, kind)
            await cursor.execute(MYSQL_KEYS, (database,))
            for constraint, table, column, ref_table, ref_column in await cursor.fetchall():
                add_key(schema, constraint == "PRIMARY", table, column, ref_table, ref_column)
        return schema
    finally:
        conn.close()


async def read_schema_source(source: str) -> InferredSchema:
    """`postgres://…`, `mysql://…` (a live catalogue) or a path to a DDL file."""
    scheme = urlparse(source).scheme.lower()
    if scheme in ("postgres", "postgresql"):
        return await read_postgres(source)
    if scheme in ("mysql", "mariadb"):
        return await read_mysql(source.replace("mariadb://", "mysql://", 1))
    return read_ddl_file(Path(source))


def read_ddl_file(path: Path, dialect: str | None = None) -> InferredSchema:
    """CREATE TABLE statements of a file, kept as written (and their columns as evidence)."""
    return infer_schema([path.read_text(encoding="utf-8")], dialect)


def redact(dsn: str) -> str:
    url = urlparse(dsn)
    if url.password:
        return dsn.replace(f":{url.password}@", ":***@", 1)
    return dsn


__all__ = ["ColumnInfo", "read_ddl_file", "read_mysql", "read_postgres", "read_schema_source"]
