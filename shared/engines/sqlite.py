"""SQLite in worker processes: one image file per fixture, a fresh copy for every check.

The sandbox here is SQLite's own, applied inside the worker (sqlite_worker.py): an authorizer
that allows, per mode, only the actions a read (or write) query needs and always denies
ATTACH/DETACH, PRAGMA and extension loading; a progress handler that interrupts at the
statement deadline; hard limits (no attached databases, bounded string and SQL length, a page
cap on fixtures); and an address-space limit on the worker. SQLite cannot interrupt a single
function call, so the parent kills the worker at the hard deadline (backstop_s): the wall
clock bound holds whatever a statement does. Each check deserializes the fixture's image into
a new in-memory connection, so no session state and no write (rolled back or not, sequences
included) reaches a later check.
"""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from proto.common import Engine
from proto.sample import ErrorClass
from shared.engines.base import STATE_ROW_CAP, QueryResult, SqlEngine
from shared.engines.failures import CheckFailed
from shared.engines.render import FixturePlan
from shared.engines.sandbox import (
    ALL_DENIED_FUNCTIONS,
    ALLOWED_PREFIXED_FUNCTIONS,
    DENIED_FUNCTION_PREFIXES,
)
from shared.engines.sqlite_pool import WorkerCrashed, WorkerPool, WorkerTimeout
from shared.errors import EngineUnavailable

# Hard limits per connection: a denied ATTACH still fails if the authorizer were bypassed.
# LENGTH bounds every string or blob a statement can build (and so the work of one call).
SQLITE_LIMITS: dict[int, int] = {
    sqlite3.SQLITE_LIMIT_ATTACHED: 0,
    sqlite3.SQLITE_LIMIT_LENGTH: 10_000_000,
    sqlite3.SQLITE_LIMIT_SQL_LENGTH: 1_000_000,
}

# Message fragments → error class; anything else is a query error.
SQLITE_MESSAGES: tuple[tuple[str, ErrorClass], ...] = (
    ("syntax error", ErrorClass.SYNTAX),
    ("incomplete input", ErrorClass.SYNTAX),
    ("unrecognized token", ErrorClass.SYNTAX),
    ("null character", ErrorClass.SYNTAX),
    ("not authorized", ErrorClass.FORBIDDEN),
    ("prohibited", ErrorClass.FORBIDDEN),
    ("one statement at a time", ErrorClass.FORBIDDEN),
    ("too many attached", ErrorClass.FORBIDDEN),
    ("interrupted", ErrorClass.TIMEOUT),
    ("too big", ErrorClass.TIMEOUT),
    ("out of memory", ErrorClass.TIMEOUT),
    ("database or disk is full", ErrorClass.TIMEOUT),
)
SQLITE_UNAVAILABLE = (
    "database is locked",
    "unable to open",
    "disk i/o error",
    "image is malformed",
)
# Worker reply kinds that are the statement's own fault, with their class.
WORKER_FAILURES: dict[str, ErrorClass] = {
    "too_large": ErrorClass.TOO_LARGE,
    "memory": ErrorClass.TIMEOUT,
    "value": ErrorClass.QUERY,
}


@dataclass(frozen=True)
class SqliteFixture:
    path: Path | None  # None: the empty database of the syntax level
    tables: tuple[str, ...] = ()


class SqliteEngine(SqlEngine):
    engine = Engine.SQLITE

    async def start(self) -> None:
        if self.settings.sqlite_dir:
            self._dir = Path(self.settings.sqlite_dir)
            self._dir.mkdir(parents=True, exist_ok=True)
            self._own_dir = False
        else:
            self._dir = Path(tempfile.mkdtemp(prefix="sqlsynth-sqlite-"))
            self._own_dir = True
        self._workers = WorkerPool(
            self.settings.pool_size,
            {
                "limits": SQLITE_LIMITS,
                "denied": sorted(ALL_DENIED_FUNCTIONS),
                "prefixes": list(DENIED_FUNCTION_PREFIXES),
                "allowed": sorted(ALLOWED_PREFIXED_FUNCTIONS),
                "memory_bytes": self.settings.sqlite_worker_memory_mb * 1024 * 1024,
            },
        )
        await self._workers.prestart()  # no check waits for a process to start

    async def close(self) -> None:
        await self.fixtures.close()
        if hasattr(self, "_workers"):
            await self._workers.close()
        if getattr(self, "_own_dir", False):
            shutil.rmtree(self._dir, ignore_errors=True)

    async def _call(self, request: dict[str, Any], seconds: float) -> dict[str, Any]:
        """One worker round trip; CheckFailed for the statement's own failures."""
        request["seconds"] = seconds
        try:
            # The hard deadline, as on the server engines (backstop_s for a check).
            hard = seconds * 1.5 + 1.0
            reply = await self._workers.call(request, hard, acquire_s=self.acquire_s)
        except WorkerTimeout as exc:
            raise CheckFailed(ErrorClass.TIMEOUT, f"sqlite: {exc}") from exc
        except WorkerCrashed as exc:
            # A worker dies under a statement that exhausts its memory: that statement's fault.
            raise CheckFailed(ErrorClass.TIMEOUT, str(exc)) from exc
        except TimeoutError as exc:
            raise EngineUnavailable("sqlite: every worker busy for too long") from exc
        if reply["ok"]:
            return reply
        kind, message = reply["kind"], reply["message"]
        if kind == "sqlite":
            raise classify_sqlite(message)
        raise CheckFailed(WORKER_FAILURES.get(kind, ErrorClass.QUERY), message)

    def _request(self, handle: SqliteFixture, sql: str, *, writes: bool) -> dict[str, Any]:
        return {
            "op": "run",
            "path": str(handle.path) if handle.path else None,
            "sql": sql,
            "mode": "write" if writes else "read",
            "explain": False,
            "max_rows": self.settings.max_rows,
            "max_result_bytes": self.settings.max_result_bytes,
            "tables": list(handle.tables),
            "state_cap": STATE_ROW_CAP,
        }

    async def _parse(self, sql: str, *, writes: bool) -> None:
        # EXPLAIN compiles without running; an empty database turns names into non-syntax errors.
        try:
            await self._prepare(SqliteFixture(None), sql, writes=writes)
        except CheckFailed as failure:
            if failure.error_class in (ErrorClass.SYNTAX, ErrorClass.FORBIDDEN):
                raise

    async def _prepare(self, handle: SqliteFixture, sql: str, *, writes: bool) -> None:
        request = self._request(handle, sql, writes=writes)
        request["explain"] = True
        await self._call(request, self.timeout_s)

    async def _execute(self, handle: SqliteFixture, sql: str, *, writes: bool) -> QueryResult:
        reply = await self._call(self._request(handle, sql, writes=writes), self.timeout_s)
        if writes:
            tables = reply["tables"]
            for table, _, rows in tables:
                if len(rows) > STATE_ROW_CAP:
                    raise CheckFailed(
                        ErrorClass.TOO_MANY_ROWS, f"{table} grew past {STATE_ROW_CAP} rows"
                    )
            return QueryResult(
                affected=reply["affected"], tables=tables, engine_ms=reply["engine_ms"]
            )
        rows = reply["rows"]
        return QueryResult(
            tuple(reply["columns"]),
            rows,
            too_many=len(rows) > self.settings.max_rows,
            engine_ms=reply["engine_ms"],
        )

    async def _create_fixture(self, name: str, plan: FixturePlan) -> SqliteFixture:
        path = self._dir / f"{name}.sqlite"
        if not path.exists():  # else built earlier (files are renamed whole)
            request = {
                "op": "build",
                "path": str(path),
                "statements": list(plan.statements),
                "inserts": [(insert.sql, list(insert.rows)) for insert in plan.inserts],
                "max_bytes": self.settings.max_fixture_bytes,
            }
            try:
                await self._call(request, self.timeout_s * 4)
            except CheckFailed as failure:
                if "database or disk is full" in failure.message:
                    limit = self.settings.max_fixture_bytes
                    raise CheckFailed(
                        ErrorClass.TOO_LARGE, f"fixture larger than {limit} bytes"
                    ) from failure
                raise
        return SqliteFixture(path, plan.tables)

    async def _drop_fixture(self, handle: SqliteFixture) -> None:
        if handle.path is not None and self.settings.drop_on_close:
            with contextlib.suppress(FileNotFoundError):
                handle.path.unlink()

    async def _exists(self, handle: SqliteFixture) -> bool:
        return handle.path is None or handle.path.exists()


def classify_sqlite(message: str) -> CheckFailed:
    lowered = message.lower()
    if any(fragment in lowered for fragment in SQLITE_UNAVAILABLE):
        raise EngineUnavailable(f"sqlite: {message}")
    for fragment, error_class in SQLITE_MESSAGES:
        if fragment in lowered:
            return CheckFailed(error_class, message)
    return CheckFailed(ErrorClass.QUERY, message)
