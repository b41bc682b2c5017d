"""SQLite through aiosqlite: one connection per fixture (memory or file), sandboxed in-process.

The sandbox here is SQLite's own: an authorizer that allows, per mode, only the actions a
read (or write) query needs and always denies ATTACH/DETACH, PRAGMA and extension loading;
a progress handler that interrupts at the statement deadline; and hard limits (no attached
databases, bounded string and SQL length). Python's driver refuses more than one statement
per execute, and the statement cache is off so every text meets the authorizer.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import sqlite3
import time
import uuid
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

import aiosqlite

from proto.common import Engine
from proto.sample import ErrorClass
from shared.engines.base import STATE_ROW_CAP, CheckFailed, QueryResult, SqlEngine
from shared.engines.render import FixturePlan
from shared.engines.sandbox import is_denied_function
from shared.errors import EngineUnavailable

# Hard limits per connection: a denied ATTACH still fails if the authorizer were bypassed.
SQLITE_LIMITS: dict[int, int] = {
    sqlite3.SQLITE_LIMIT_ATTACHED: 0,
    sqlite3.SQLITE_LIMIT_LENGTH: 10_000_000,
    sqlite3.SQLITE_LIMIT_SQL_LENGTH: 1_000_000,
}
# VM steps between two looks at the deadline (cheap, and well under a millisecond).
PROGRESS_STEPS = 2_000


class Mode(Enum):
    ADMIN = "admin"  # our own statements: transactions, row inserts, state reads
    FIXTURE = "fixture"  # fixture DDL: create tables and indexes, insert rows
    READ = "read"
    WRITE = "write"


_READ = frozenset(
    {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION, sqlite3.SQLITE_RECURSIVE}
)
_CHANGE = frozenset({sqlite3.SQLITE_INSERT, sqlite3.SQLITE_UPDATE, sqlite3.SQLITE_DELETE})
# Authorizer actions allowed per mode; None = everything but the always-denied ones.
ALLOWED_ACTIONS: dict[Mode, frozenset[int] | None] = {
    Mode.ADMIN: None,
    Mode.FIXTURE: _READ | _CHANGE | {sqlite3.SQLITE_CREATE_TABLE, sqlite3.SQLITE_CREATE_INDEX},
    Mode.READ: _READ,
    Mode.WRITE: _READ | _CHANGE,
}
ALWAYS_DENIED = frozenset({sqlite3.SQLITE_ATTACH, sqlite3.SQLITE_DETACH})

# Message fragments → error class; anything else is a query error.
SQLITE_MESSAGES: tuple[tuple[str, ErrorClass], ...] = (
    ("syntax error", ErrorClass.SYNTAX),
    ("incomplete input", ErrorClass.SYNTAX),
    ("unrecognized token", ErrorClass.SYNTAX),
    ("not authorized", ErrorClass.FORBIDDEN),
    ("prohibited", ErrorClass.FORBIDDEN),
    ("one statement at a time", ErrorClass.FORBIDDEN),
    ("too many attached", ErrorClass.FORBIDDEN),
    ("interrupted", ErrorClass.TIMEOUT),
    ("too big", ErrorClass.TIMEOUT),
    ("out of memory", ErrorClass.TIMEOUT),
)
SQLITE_UNAVAILABLE = (
    "database is locked",
    "unable to open",
    "disk i/o error",
    "image is malformed",
)


class LimitedConnection(sqlite3.Connection):
    """sqlite3 connection with the hard limits applied before any SQL runs."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for category, value in SQLITE_LIMITS.items():
            self.setlimit(category, value)


@dataclass
class Guard:
    """Authorizer and progress handler state of one connection (read on its worker thread)."""

    mode: Mode = Mode.READ
    deadline: float = math.inf

    def arm(self, mode: Mode, seconds: float) -> None:
        self.mode, self.deadline = mode, time.monotonic() + seconds

    def disarm(self) -> None:
        self.mode, self.deadline = Mode.READ, math.inf

    def authorize(self, action: int, arg1: str | None, arg2: str | None, *_: object) -> int:
        if action in ALWAYS_DENIED:
            return sqlite3.SQLITE_DENY
        if action == sqlite3.SQLITE_FUNCTION and is_denied_function(arg2 or ""):
            return sqlite3.SQLITE_DENY
        allowed = ALLOWED_ACTIONS[self.mode]
        if allowed is None:
            return sqlite3.SQLITE_OK
        if action not in allowed:
            return sqlite3.SQLITE_DENY
        # Queries may change fixture tables (rolled back), never SQLite's own tables.
        if self.mode is Mode.WRITE and action in _CHANGE and (arg1 or "").startswith("sqlite_"):
            return sqlite3.SQLITE_DENY
        return sqlite3.SQLITE_OK

    def on_progress(self) -> int:
        return 1 if time.monotonic() > self.deadline else 0


@dataclass
class SqliteFixture:
    conn: aiosqlite.Connection
    guard: Guard
    path: Path | None = None
    tables: tuple[str, ...] = ()
    # One statement sequence at a time per connection (BEGIN ... ROLLBACK must not interleave).
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class SqliteEngine(SqlEngine):
    engine = Engine.SQLITE

    async def start(self) -> None:
        if self.settings.sqlite_dir:
            Path(self.settings.sqlite_dir).mkdir(parents=True, exist_ok=True)
        self._empty = await self._open(":memory:")

    async def close(self) -> None:
        await self.fixtures.close()
        if hasattr(self, "_empty"):
            await self._empty.conn.close()

    async def _open(self, target: str | Path, tables: tuple[str, ...] = ()) -> SqliteFixture:
        try:
            conn = await aiosqlite.connect(
                target, factory=LimitedConnection, isolation_level=None, cached_statements=0
            )
        except sqlite3.Error as exc:
            raise EngineUnavailable(f"sqlite: cannot open {target}: {exc}") from exc
        guard = Guard()
        await conn.set_authorizer(guard.authorize)
        await conn.set_progress_handler(guard.on_progress, PROGRESS_STEPS)
        return SqliteFixture(conn, guard, Path(target) if target != ":memory:" else None, tables)

    async def _parse(self, sql: str, *, writes: bool) -> None:
        # EXPLAIN compiles without running; an empty database turns names into non-syntax errors.
        try:
            await self._explain(self._empty, sql, writes)
        except CheckFailed as failure:
            if failure.error_class in (ErrorClass.SYNTAX, ErrorClass.FORBIDDEN):
                raise

    async def _prepare(self, handle: SqliteFixture, sql: str, *, writes: bool) -> None:
        await self._explain(handle, sql, writes)

    async def _explain(self, fx: SqliteFixture, sql: str, writes: bool) -> None:
        async with fx.lock:
            fx.guard.arm(Mode.WRITE if writes else Mode.READ, self.timeout_s)
            try:
                cursor = await fx.conn.execute(f"EXPLAIN {sql}")
                await cursor.close()
            except sqlite3.Error as exc:
                raise classify_sqlite(exc) from exc
            finally:
                fx.guard.disarm()

    async def _execute(self, handle: SqliteFixture, sql: str, *, writes: bool) -> QueryResult:
        fx = handle
        async with fx.lock:
            try:
                if writes:
                    return await self._run_write(fx, sql)
                fx.guard.arm(Mode.READ, self.timeout_s)
                cursor = await asyncio.wait_for(fx.conn.execute(sql), self.backstop_s)
                rows = await asyncio.wait_for(
                    cursor.fetchmany(self.settings.max_rows + 1), self.backstop_s
                )
                columns = tuple(d[0] for d in cursor.description or ())
                await cursor.close()
            except sqlite3.Error as exc:
                raise classify_sqlite(exc) from exc
            except TimeoutError as exc:
                await fx.conn.interrupt()
                raise CheckFailed(ErrorClass.TIMEOUT, "interrupted at the deadline") from exc
            finally:
                fx.guard.disarm()
        rows = list(rows)
        return QueryResult(columns, rows, too_many=len(rows) > self.settings.max_rows)

    async def _run_write(self, fx: SqliteFixture, sql: str) -> QueryResult:
        fx.guard.arm(Mode.ADMIN, self.timeout_s)
        await fx.conn.execute("BEGIN")
        try:
            fx.guard.mode = Mode.WRITE
            cursor = await asyncio.wait_for(fx.conn.execute(sql), self.backstop_s)
            affected = cursor.rowcount
            await cursor.close()
            fx.guard.mode = Mode.ADMIN
            tables = [await self._read_table(fx, t) for t in fx.tables]
        finally:
            fx.guard.mode = Mode.ADMIN
            if fx.conn.in_transaction:
                await fx.conn.execute("ROLLBACK")
        return QueryResult(affected=affected, tables=tables)

    async def _read_table(self, fx: SqliteFixture, table: str) -> tuple[str, int, list[Any]]:
        cursor = await fx.conn.execute(f"SELECT * FROM {table} LIMIT {STATE_ROW_CAP + 1}")
        rows = list(await cursor.fetchall())
        width = len(cursor.description or ())
        await cursor.close()
        if len(rows) > STATE_ROW_CAP:
            raise CheckFailed(ErrorClass.TOO_MANY_ROWS, f"{table} grew past {STATE_ROW_CAP} rows")
        return table, width, rows

    async def _create_fixture(self, name: str, plan: FixturePlan) -> SqliteFixture:
        directory = self.settings.sqlite_dir
        final = Path(directory) / f"{name}.sqlite" if directory else None
        if final is not None and final.exists():
            return await self._open(final, plan.tables)  # built earlier (files are renamed whole)
        building = final.with_suffix(f".{uuid.uuid4().hex}.tmp") if final else ":memory:"
        fx = await self._open(building, plan.tables)
        try:
            await self._fill(fx, plan)
        except BaseException:
            await fx.conn.close()
            if final is not None:
                with contextlib.suppress(OSError):
                    os.unlink(building)
            raise
        if final is None:
            return fx
        await fx.conn.close()
        os.replace(building, final)
        return await self._open(final, plan.tables)

    async def _fill(self, fx: SqliteFixture, plan: FixturePlan) -> None:
        fx.guard.arm(Mode.ADMIN, self.timeout_s * 4)
        try:
            await fx.conn.execute("BEGIN")
            for statement in plan.statements:
                fx.guard.mode = Mode.FIXTURE
                await (await fx.conn.execute(statement)).close()
            fx.guard.mode = Mode.ADMIN
            for insert in plan.inserts:
                await fx.conn.executemany(insert.sql, insert.rows)
            await fx.conn.execute("COMMIT")
        except sqlite3.Error as exc:
            raise classify_sqlite(exc) from exc
        finally:
            fx.guard.disarm()

    async def _drop_fixture(self, handle: SqliteFixture) -> None:
        await handle.conn.close()
        if handle.path is not None and self.settings.drop_on_close:
            with contextlib.suppress(FileNotFoundError):
                handle.path.unlink()

    async def _exists(self, handle: SqliteFixture) -> bool:
        return handle.path is None or handle.path.exists()


def classify_sqlite(exc: sqlite3.Error) -> CheckFailed:
    message = str(exc)
    lowered = message.lower()
    if any(fragment in lowered for fragment in SQLITE_UNAVAILABLE):
        raise EngineUnavailable(f"sqlite: {message}") from exc
    for fragment, error_class in SQLITE_MESSAGES:
        if fragment in lowered:
            return CheckFailed(error_class, message)
    return CheckFailed(ErrorClass.QUERY, message)
