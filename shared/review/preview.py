"""What the reviewer reads: the record's tables and the query's result rows, from an in-memory
SQLite built from the record's `sql_context` (generated records write it in SQLite). ATTACH and
PRAGMA are denied, as for the Claude engine's own run_query tool: a record can reach no file."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

MAX_ROWS = 50
_DENIED = {sqlite3.SQLITE_ATTACH, sqlite3.SQLITE_DETACH, sqlite3.SQLITE_PRAGMA}


@dataclass(frozen=True)
class Grid:
    """A table or a result: a name, columns and (at most MAX_ROWS) rows; or an error."""

    name: str
    columns: tuple[str, ...] = ()
    rows: tuple[tuple[object, ...], ...] = ()
    total: int = 0
    error: str | None = None


def _authorize(action: int, *_: object) -> int:
    return sqlite3.SQLITE_DENY if action in _DENIED else sqlite3.SQLITE_OK


def _connect(context: str) -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:")
    conn.set_authorizer(_authorize)
    conn.executescript(context)
    return conn


def _fetch(conn: sqlite3.Connection, name: str, sql: str) -> Grid:
    cursor = conn.execute(sql)
    columns = tuple(d[0] for d in cursor.description or ())
    rows = cursor.fetchall()
    return Grid(name, columns, tuple(tuple(r) for r in rows[:MAX_ROWS]), len(rows))


def read_tables(context: str) -> list[Grid]:
    """Every table the context creates, with its rows."""
    try:
        conn = _connect(context)
    except sqlite3.Error as exc:
        return [Grid("schema", error=f"the schema does not run on SQLite: {exc}")]
    try:
        names = [
            row[0]
            for row in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY rowid"
            )
        ]
        return [_fetch(conn, name, f'SELECT * FROM "{name}"') for name in names]
    finally:
        conn.close()


def run_preview(context: str, sql: str) -> Grid:
    """The query's rows on SQLite (a DML statement shows no rows, only that it ran)."""
    try:
        conn = _connect(context)
    except sqlite3.Error as exc:
        return Grid("result", error=f"the schema does not run on SQLite: {exc}")
    try:
        return _fetch(conn, "result", sql)
    except (sqlite3.Error, ValueError) as exc:
        return Grid("result", error=str(exc))
    finally:
        conn.close()
