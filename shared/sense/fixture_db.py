"""The record's schema and rows in an in-memory SQLite database, for the data checks.

SQLite suffices (issue 12): the checks compare a query with variants of itself on the same rows,
so the engine's dialect quirks cancel out. DDL in another dialect is transpiled by sqlglot.
"""

from __future__ import annotations

import re
import sqlite3

import sqlglot

from proto.common import Engine
from shared.sense.record import SenseInput
from shared.sql.feature_parse import resolve_dialect

# A runaway variant (a predicate dropped from a self-join) must not stall a worker.
MAX_STEPS = 500_000
_STATEMENT = re.compile(r";\s*(?:\n|$)")


class FixtureError(Exception):
    """The schema or rows do not load on SQLite: the data checks cannot run."""


def open_fixture(record: SenseInput) -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:")
    conn.isolation_level = None  # explicit savepoints: a DML check must leave the rows as found
    conn.execute("PRAGMA foreign_keys = OFF")
    script = _sqlite_script(record.schema_ddl, record.schema_dialect)
    try:
        conn.executescript(script)
        for table in record.rows:
            if not table.values:
                continue
            columns = ", ".join(f'"{c}"' for c in table.columns)
            marks = ", ".join("?" for _ in table.columns)
            conn.executemany(
                f'INSERT INTO "{table.table}" ({columns}) VALUES ({marks})', table.values
            )
    except (sqlite3.Error, ValueError) as exc:
        conn.close()
        raise FixtureError(f"the fixture does not load on SQLite: {exc}") from exc
    _limit_steps(conn)
    return conn


def _sqlite_script(ddl: str, dialect: Engine) -> str:
    if dialect is Engine.SQLITE:
        return ddl
    try:
        statements = sqlglot.transpile(ddl, read=resolve_dialect(dialect), write="sqlite")
    except Exception as exc:  # sqlglot raises more than ParseError on odd DDL
        raise FixtureError(f"the schema does not transpile to SQLite: {exc}") from exc
    return ";\n".join(statements) + ";"


def _limit_steps(conn: sqlite3.Connection) -> None:
    steps = {"n": 0}

    def tick() -> int:
        steps["n"] += 1
        return 1 if steps["n"] * 1000 > MAX_STEPS else 0

    # The handler runs every 1000 VM instructions; a non-zero return interrupts the query.
    conn.set_progress_handler(tick, 1000)


def reset_budget(conn: sqlite3.Connection) -> None:
    _limit_steps(conn)


def to_sqlite(sql: str, dialect: Engine) -> str:
    if dialect is Engine.SQLITE:
        return sql
    return sqlglot.transpile(sql, read=resolve_dialect(dialect), write="sqlite")[0]
