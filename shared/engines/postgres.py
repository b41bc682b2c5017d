"""PostgreSQL through asyncpg pools: a schema per fixture in a dedicated scratch database.

Every check runs as the query role inside one transaction that is always rolled back —
READ ONLY for queries — with search_path set to the fixture's schema. Statements go through
the extended protocol (prepare, then a cursor that fetches max_rows + 1), which also refuses
more than one statement per text. Fixtures are built by the owner role in one transaction,
so a schema either exists complete or not at all.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import json
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import asyncpg

from proto.common import Engine
from proto.sample import ErrorClass, Scalar
from shared.engines.base import POOL_CLOSE_S, STATE_ROW_CAP, QueryResult, SqlEngine, ms_since
from shared.engines.budgets import ResultBudget
from shared.engines.failures import CheckFailed
from shared.engines.provision import EMPTY_SCHEMA, Accounts, provision_postgres
from shared.engines.render import FixturePlan
from shared.errors import EngineUnavailable

# SQLSTATE prefix → error class; None = the engine is in trouble (retryable). Longest wins.
PG_SQLSTATES: dict[str, ErrorClass | None] = {
    "42601": ErrorClass.SYNTAX,
    "42501": ErrorClass.FORBIDDEN,  # insufficient privilege
    "25006": ErrorClass.FORBIDDEN,  # write in a read-only transaction
    "57014": ErrorClass.TIMEOUT,  # statement_timeout
    "54001": ErrorClass.TIMEOUT,  # statement too complex
    "53200": ErrorClass.TIMEOUT,  # out of memory
    "53400": ErrorClass.TIMEOUT,  # temp_file_limit
    "53": None,  # disk full, too many connections
    "08": None,  # connection exceptions
    "57P": None,  # shutdown, crash recovery
    "40": None,  # serialization failure, deadlock
    "55P03": None,  # lock not available
    "58": None,  # system errors
    "XX": None,  # internal errors (e.g. a relation dropped mid-query)
}
PG_MISSING = frozenset({"42P01", "3F000"})  # undefined table, undefined schema
# A fixture is usable when its schema exists and our query account may SET ROLE to its role.
FIXTURE_REACHABLE_SQL = (
    "SELECT 1 FROM pg_namespace n WHERE n.nspname = $1 AND EXISTS ("
    "SELECT 1 FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid "
    "JOIN pg_roles u ON u.oid = m.member WHERE r.rolname = $1 AND u.rolname = $2)"
)
# A fixture's sequences by its schema's oid: the pg_sequences view joined every sequence of the
# database to pg_namespace by a scan per sequence, ~14 ms of server CPU per read with 300
# fixtures cached (it grew with the cache, #23); this reads only the schema's own.
SEQUENCES_SQL = (
    "SELECT c.relname AS sequencename, pg_sequence_last_value(c.oid) AS last_value, "
    "q.seqstart AS start_value FROM pg_class c JOIN pg_sequence q ON q.seqrelid = c.oid "
    "WHERE c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = $1) "
    "AND c.relkind = 'S'"
)
# Bytes of every table, index and TOAST table of a fixture's schema, as stored.
FIXTURE_BYTES_SQL = (
    "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
    "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind = 'r'"
)
# A built fixture's size and its sequences as built, in one round trip (#23): one row with
# NULL sequence columns when it has none.
FIXTURE_BUILT_SQL = (
    f"SELECT b.size, s.sequencename, s.last_value, s.start_value FROM ({FIXTURE_BYTES_SQL}) "
    f"AS b(size) LEFT JOIN ({SEQUENCES_SQL}) AS s ON true"
)
_UNAVAILABLE = (OSError, asyncpg.InterfaceError, asyncpg.PostgresConnectionError)


def _keep_as_is(value: Scalar) -> object:
    return value


def _to_bool(value: Scalar) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"1", "t", "true", "y", "yes", "on"}
    return bool(value)


def _to_text(value: Scalar) -> str:
    return str(int(value)) if isinstance(value, bool) else str(value)


def _to_timestamp_tz(value: Scalar) -> dt.datetime:
    stamp = dt.datetime.fromisoformat(str(value))
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.UTC)


# asyncpg encodes by the column's type, so JSON-ish row values are converted first.
PG_PARAM_CONVERTERS: dict[str, Callable[[Scalar], object]] = {
    "int2": lambda v: int(v),  # type: ignore[arg-type]
    "int4": lambda v: int(v),  # type: ignore[arg-type]
    "int8": lambda v: int(v),  # type: ignore[arg-type]
    "numeric": lambda v: Decimal(str(v)),
    "float4": lambda v: float(v),  # type: ignore[arg-type]
    "float8": lambda v: float(v),  # type: ignore[arg-type]
    "bool": _to_bool,
    "text": _to_text,
    "varchar": _to_text,
    "bpchar": _to_text,
    "date": lambda v: dt.date.fromisoformat(str(v)),
    "timestamp": lambda v: dt.datetime.fromisoformat(str(v)),
    "timestamptz": _to_timestamp_tz,
    "time": lambda v: dt.time.fromisoformat(str(v)),
    "json": lambda v: v if isinstance(v, str) else json.dumps(v),
    "jsonb": lambda v: v if isinstance(v, str) else json.dumps(v),
}


class QueryConnection(asyncpg.Connection):  # type: ignore[misc]
    """A query-role connection that remembers its session was reset with the check's rollback
    (end_check), so the pool's release does not reset it a second time."""

    _reset_done = False

    def mark_reset(self) -> None:
        self._reset_done = True


async def end_check(conn: asyncpg.Connection, timeout: float) -> None:
    """Roll a check back and reset its session in one round trip (one simple query) instead of
    two, the rollback and the pool's reset on release (#23). Raises as execute() does; a
    connection already terminated (a killed statement) raises InterfaceError."""
    await conn.execute("ROLLBACK;\n" + conn.get_reset_query(), timeout=timeout)
    conn.mark_reset()


async def execute_and_reset(conn: asyncpg.Connection, sql: str, timeout: float) -> None:
    """Our own statements (never a record's text) and the pool's session reset in one simple
    query: one round trip fewer per use of an owner or admin connection (#23)."""
    await conn.execute(f"{sql};\n{conn.get_reset_query()}", timeout=timeout)
    conn.mark_reset()


async def reset_unless_done(conn: asyncpg.Connection) -> None:
    """A pool's reset on release: nothing more after end_check (or execute_and_reset) did it;
    the full reset otherwise (a check whose rollback failed still leaves a clean session or
    none)."""
    if getattr(conn, "_reset_done", False):
        conn._reset_done = False
        return
    await conn.execute(conn.get_reset_query())


@dataclass(frozen=True)
class PgFixture:
    schema: str
    tables: tuple[str, ...] = ()
    # (name, last_value, start_value) of each sequence as built: restored after every write.
    sequences: tuple[tuple[str, int | None, int], ...] = ()


class PostgresEngine(SqlEngine):
    engine = Engine.POSTGRES
    _owner: asyncpg.Pool
    _query: asyncpg.Pool
    _admin: asyncpg.Pool
    _accounts: Accounts

    async def start(self) -> None:
        dsn = self.settings.postgres_dsn
        if not dsn:
            raise EngineUnavailable("postgres: no DSN configured (SQLSYNTH_POSTGRES_DSN)")
        base: dict[str, Any] = {
            "dsn": dsn,
            "database": self.settings.scratch_database,
            "statement_cache_size": 0,  # search_path changes per check: never reuse plans
            "timeout": self.settings.connect_timeout_s,
            # Our own round trips (BEGIN, ROLLBACK, catalog reads) are bounded too.
            "command_timeout": self.backstop_s,
        }
        settings = {
            "application_name": "sqlsynth-engines",
            "statement_timeout": str(self.settings.statement_timeout_ms),
            "search_path": EMPTY_SCHEMA,
        }
        try:
            self._accounts = accounts = await provision_postgres(dsn, self.settings)
            self._owner = await asyncpg.create_pool(
                **base,
                user=accounts.owner,
                password=accounts.owner_password,
                min_size=1,
                max_size=2,
                server_settings=settings,
                connection_class=QueryConnection,
                reset=reset_unless_done,
            )
            # Fixture roles and terminating a stuck backend take the admin account; it never
            # runs SQL from a record.
            self._admin = await asyncpg.create_pool(
                dsn,
                database=self.settings.scratch_database,
                min_size=0,
                max_size=1,
                timeout=self.settings.connect_timeout_s,
                command_timeout=self.backstop_s,
                connection_class=QueryConnection,
                reset=reset_unless_done,
            )
            self._killer_args = {
                "dsn": dsn,
                "database": self.settings.scratch_database,
                "timeout": 2.0,
            }
            # Write locks across processes (advisory locks, revoked from the sandbox accounts)
            # are held by the admin account too, in the DSN's own database (the scratch one
            # revokes them from PUBLIC, which binds an admin that is not a superuser); waiting
            # for one is bounded like a pool wait.
            wait_ms = str(int(self.acquire_s * 1000))
            self._locks = await asyncpg.create_pool(
                dsn,
                min_size=0,
                max_size=self.settings.pool_size,
                timeout=self.settings.connect_timeout_s,
                command_timeout=self.acquire_s + 2,
                server_settings={
                    "application_name": "sqlsynth-engines-locks",
                    "lock_timeout": wait_ms,
                    "statement_timeout": wait_ms,
                },
            )
            self._query = await asyncpg.create_pool(
                **base,
                user=accounts.query,
                password=accounts.query_password,
                min_size=1,
                max_size=self.settings.pool_size,
                server_settings={**settings, "default_transaction_read_only": "on"},
                connection_class=QueryConnection,
                reset=reset_unless_done,
            )
        except (*_UNAVAILABLE, asyncpg.PostgresError, TimeoutError) as exc:
            await self.close()
            raise EngineUnavailable(f"postgres: {exc}") from exc

    async def close(self) -> None:
        if self.settings.drop_on_close and hasattr(self, "_owner"):
            with contextlib.suppress(EngineUnavailable):
                await self.fixtures.close()
        if self.settings.drop_on_close and hasattr(self, "_owner"):
            with contextlib.suppress(EngineUnavailable):
                await self._drop_retired()
        names = ("_query", "_owner", "_admin", "_locks")
        pools = [getattr(self, name, None) for name in names]
        opened = [pool for pool in pools if pool is not None]
        try:
            # Together, in one bound: not one backstop per pool.
            await asyncio.wait_for(asyncio.gather(*(p.close() for p in opened)), POOL_CLOSE_S)
        except (*_UNAVAILABLE, asyncpg.PostgresError, TimeoutError):
            for pool in opened:
                pool.terminate()

    @contextlib.asynccontextmanager
    async def _session(self, schema: str, *, writes: bool) -> AsyncIterator[asyncpg.Connection]:
        """A query-role connection inside a transaction that is rolled back on exit."""
        try:
            conn = await self._query.acquire(timeout=self.acquire_s)
        except (*_UNAVAILABLE, TimeoutError) as exc:
            raise EngineUnavailable(f"postgres: no connection: {exc!r}") from exc
        try:
            mode = "READ WRITE" if writes else "READ ONLY"
            # The fixture's own role: this check reads this fixture and no other.
            role = f'SET LOCAL ROLE "{schema}"; ' if schema != EMPTY_SCHEMA else ""
            try:
                await conn.execute(f'BEGIN {mode}; {role}SET LOCAL search_path TO "{schema}"')
            except (asyncpg.InsufficientPrivilegeError, asyncpg.InvalidParameterValueError) as exc:
                # The role went with a fixture another engine dropped (or rebuilt for its own
                # query account): the fixture is gone for us, which the caller rebuilds once.
                raise CheckFailed(ErrorClass.QUERY, f"fixture role: {exc}", missing=True) from exc
            yield conn
        except (*_UNAVAILABLE, TimeoutError) as exc:
            # The statement under check handles its own timeouts: this one is ours.
            raise EngineUnavailable(f"postgres: {exc!r}") from exc
        finally:
            with contextlib.suppress(*_UNAVAILABLE, asyncpg.PostgresError, TimeoutError):
                await end_check(conn, self.backstop_s)
            with contextlib.suppress(*_UNAVAILABLE, asyncpg.PostgresError, TimeoutError):
                await self._query.release(conn, timeout=self.backstop_s)

    @contextlib.asynccontextmanager
    async def _lock_writes(self, handle: PgFixture) -> AsyncIterator[None]:
        """A session advisory lock keyed by the fixture's schema: released at the end, or by
        the server when this process (and its connection) dies."""
        key = advisory_key(handle.schema)
        try:
            conn = await self._locks.acquire(timeout=self.acquire_s)
        except (*_UNAVAILABLE, TimeoutError) as exc:
            raise EngineUnavailable(f"postgres: no lock connection: {exc!r}") from exc
        try:
            try:
                await conn.execute("SELECT pg_advisory_lock($1)", key)
            except asyncpg.PostgresError as exc:  # lock_timeout: held elsewhere too long
                raise EngineUnavailable(
                    f"postgres: another process writes on this fixture for too long: {exc}"
                ) from exc
            except (*_UNAVAILABLE, TimeoutError) as exc:
                raise EngineUnavailable(f"postgres: {exc!r}") from exc
            try:
                yield
            finally:
                try:
                    await conn.execute(
                        "SELECT pg_advisory_unlock($1)", key, timeout=self.backstop_s
                    )
                except (*_UNAVAILABLE, asyncpg.PostgresError, TimeoutError):
                    conn.terminate()  # the server releases a dead session's locks
        finally:
            with contextlib.suppress(*_UNAVAILABLE, asyncpg.PostgresError, TimeoutError):
                await self._locks.release(conn, timeout=self.backstop_s)

    async def _parse(self, sql: str, *, writes: bool) -> None:
        try:
            await self._prepare(PgFixture(EMPTY_SCHEMA), sql, writes=writes)
        except CheckFailed as failure:
            if failure.error_class in (ErrorClass.SYNTAX, ErrorClass.FORBIDDEN):
                raise

    async def _prepare(self, handle: PgFixture, sql: str, *, writes: bool) -> None:
        async with self._session(handle.schema, writes=writes) as conn:
            try:
                await conn.prepare(sql, timeout=self.backstop_s)
            except asyncpg.PostgresError as exc:
                raise classify_pg(exc) from exc
            except TimeoutError as exc:
                raise await self._timed_out(conn) from exc

    async def _execute(self, handle: PgFixture, sql: str, *, writes: bool) -> QueryResult:
        limit = self.settings.max_rows + 1
        budget = ResultBudget(self.settings.max_result_bytes)
        async with self._session(handle.schema, writes=writes) as conn:
            try:
                # Timed from the statement on: waiting for a pooled connection and setting the
                # session up are queueing on a busy machine, not the statement's cost.
                began = time.perf_counter()
                stmt = await conn.prepare(sql, timeout=self.backstop_s)
                if writes:
                    await stmt.fetch(timeout=self.backstop_s)
                    spent = ms_since(began)
                    affected = _count_affected(stmt.get_statusmsg())
                    tables = [await _read_table(conn, t, budget) for t in handle.tables]
                    return QueryResult(affected=affected, tables=tables, engine_ms=spent)
                columns = tuple(a.name for a in stmt.get_attributes())
                cursor = await stmt.cursor(timeout=self.backstop_s)
                rows: list[tuple[Any, ...]] = []
                while len(rows) < limit:
                    # Chunks sized by the bytes seen so far: huge rows come a few at a time.
                    asked = budget.next_chunk(limit - len(rows))
                    chunk = await cursor.fetch(asked, timeout=self.backstop_s)
                    budget.take(chunk)
                    rows.extend(tuple(r) for r in chunk)
                    if len(chunk) < asked:
                        # Fewer rows than asked: the server ended the portal instead of
                        # suspending it, so asking again would only learn that (#23).
                        break
            except asyncpg.PostgresError as exc:
                raise classify_pg(exc) from exc
            except TimeoutError as exc:
                raise await self._timed_out(conn) from exc
        return QueryResult(columns, rows, too_many=len(rows) >= limit, engine_ms=ms_since(began))

    async def _timed_out(self, conn: asyncpg.Connection) -> CheckFailed:
        """Past the client deadline: cancel, then terminate the backend, and drop the socket.

        A function that never checks for interrupts (strpos() over megabytes) ignores the
        cancel and even the terminate until it returns; the check does not wait for it.
        """
        pid = conn.get_server_pid()
        conn.terminate()  # the pool opens a fresh connection in its place
        try:
            # A connection of its own: the pool may be full of statements just as stuck.
            killer = await asyncpg.connect(**self._killer_args)
            try:
                await killer.fetchval("SELECT pg_cancel_backend($1)", pid, timeout=2.0)
                await killer.fetchval("SELECT pg_terminate_backend($1)", pid, timeout=2.0)
            finally:
                killer.terminate()
        except (*_UNAVAILABLE, asyncpg.PostgresError, TimeoutError) as exc:
            raise EngineUnavailable(f"postgres: not answering: {exc!r}") from exc
        return CheckFailed(
            ErrorClass.TIMEOUT,
            f"stopped at the {self.backstop_s:.1f} s deadline (terminated)",
            killed=True,
        )

    async def _create_fixture(self, name: str, plan: FixturePlan) -> PgFixture:
        """Build the fixture in one transaction of the owner role.

        Round trips (#23): the role in one, the schema's set-up in one, two per fixture
        statement and per table of rows (each statement still prepared on its own: the
        extended protocol refuses a second statement in a text), the size and sequences in
        one read, the grants with the commit and the session reset in one.
        """
        try:
            conn = await self._owner.acquire(timeout=self.acquire_s)
        except (*_UNAVAILABLE, TimeoutError) as exc:
            raise EngineUnavailable(f"postgres: no owner connection: {exc!r}") from exc
        try:
            await self._create_fixture_role(name)
            sequences = await self._fill_schema(conn, name, plan)
            if sequences is None:  # built earlier, by us or another replica
                rows = await conn.fetch(SEQUENCES_SQL, name)
                sequences = tuple(
                    (r["sequencename"], r["last_value"], r["start_value"]) for r in rows
                )
        except asyncpg.PostgresError as exc:
            raise classify_pg(exc) from exc
        except (asyncpg.DataError, ValueError, TypeError) as exc:
            raise CheckFailed(ErrorClass.SCHEMA, f"row values: {exc}") from exc
        except (*_UNAVAILABLE, TimeoutError) as exc:
            raise EngineUnavailable(f"postgres: {exc!r}") from exc
        finally:
            with contextlib.suppress(*_UNAVAILABLE, asyncpg.PostgresError, TimeoutError):
                await self._owner.release(conn, timeout=self.backstop_s)
        return PgFixture(name, plan.tables, sequences)

    async def _create_fixture_role(self, name: str) -> None:
        """The fixture's own role, the only one with rights on its schema. The query role may
        SET ROLE to it (NOINHERIT: holding the membership alone grants nothing)."""
        async with self._admin.acquire(timeout=self.acquire_s) as admin:
            await execute_and_reset(
                admin,
                f"DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{name}') "
                f'THEN CREATE ROLE "{name}" NOLOGIN; END IF; END $$; '
                f'GRANT "{name}" TO {self._accounts.query}',
                self.backstop_s,
            )

    async def _fill_schema(
        self, conn: asyncpg.Connection, name: str, plan: FixturePlan
    ) -> tuple[tuple[str, int | None, int], ...] | None:
        """The schema, its statements and rows, committed whole; its sequences as built.

        None when the schema already exists (built earlier, by us or by another replica
        that committed first): nothing of ours was created.
        """
        try:
            await conn.execute(f'BEGIN; CREATE SCHEMA "{name}"; SET LOCAL search_path TO "{name}"')
        except (asyncpg.DuplicateSchemaError, asyncpg.UniqueViolationError):
            # Built earlier, or by another replica that committed first while we waited (the
            # catalog's unique index): theirs is read.
            await _roll_back(conn)
            return None
        except BaseException:
            await _roll_back(conn)
            raise
        try:
            for statement in plan.statements:
                await conn.fetch(statement)  # extended protocol: one statement per text
            for insert in plan.inserts:
                await _insert_rows(conn, insert.sql, insert.rows)
            built = await conn.fetch(FIXTURE_BUILT_SQL, name)
            size = built[0]["size"]
            if size > self.settings.max_fixture_bytes:
                raise CheckFailed(
                    ErrorClass.TOO_LARGE,
                    f"fixture of {size} bytes, over {self.settings.max_fixture_bytes}",
                )
            await execute_and_reset(
                conn,
                f'GRANT USAGE ON SCHEMA "{name}" TO "{name}"; '
                f'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA "{name}" '
                f'TO "{name}"; '
                f'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA "{name}" TO "{name}"; COMMIT',
                self.backstop_s,
            )
        except BaseException:
            await _roll_back(conn)
            raise
        return tuple(
            (r["sequencename"], r["last_value"], r["start_value"])
            for r in built
            if r["sequencename"] is not None
        )

    async def _restore_after_write(self, handle: PgFixture) -> None:
        """Sequences ignore ROLLBACK: put back any a write check advanced."""
        if not handle.sequences:
            return
        rows = await self._owner.fetch(SEQUENCES_SQL, handle.schema)
        now = {r["sequencename"]: r["last_value"] for r in rows}
        for name, last_value, start_value in handle.sequences:
            if now.get(name) == last_value:
                continue
            qualified = f'"{handle.schema}"."{name}"'
            if last_value is None:  # never used: the next nextval() returns start_value
                await self._owner.execute(
                    "SELECT setval($1::regclass, $2, false)", qualified, start_value
                )
            else:
                await self._owner.execute(
                    "SELECT setval($1::regclass, $2, true)", qualified, last_value
                )

    async def _drop_fixture(self, handle: PgFixture) -> None:
        try:
            async with self._owner.acquire(timeout=self.acquire_s) as owner:
                drop = f'DROP SCHEMA IF EXISTS "{handle.schema}" CASCADE'
                await execute_and_reset(owner, drop, self.backstop_s)
            async with self._admin.acquire(timeout=self.acquire_s) as admin:
                drop = f'DROP ROLE IF EXISTS "{handle.schema}"'
                await execute_and_reset(admin, drop, self.backstop_s)
        except (*_UNAVAILABLE, asyncpg.PostgresError, TimeoutError) as exc:
            raise EngineUnavailable(f"postgres: {exc!r}") from exc

    async def _exists(self, handle: PgFixture) -> bool:
        try:
            found = await self._owner.fetchval(
                FIXTURE_REACHABLE_SQL, handle.schema, self._accounts.query
            )
        except (*_UNAVAILABLE, asyncpg.PostgresError, TimeoutError) as exc:
            raise EngineUnavailable(f"postgres: {exc!r}") from exc
        return bool(found)


async def _roll_back(conn: asyncpg.Connection) -> None:
    """End a failed build's transaction; a connection that cannot is closed, not reused."""
    try:
        await conn.execute("ROLLBACK")
    except (*_UNAVAILABLE, asyncpg.PostgresError, TimeoutError):
        conn.terminate()


async def _insert_rows(
    conn: asyncpg.Connection, sql: str, rows: tuple[tuple[Scalar, ...], ...]
) -> None:
    stmt = await conn.prepare(sql)
    params = stmt.get_parameters()
    converters = [PG_PARAM_CONVERTERS.get(p.name, _keep_as_is) for p in params]
    args = []
    for row in rows:
        if len(row) != len(params):
            raise CheckFailed(
                ErrorClass.SCHEMA, f"a row has {len(row)} values for {len(params)} columns"
            )
        args.append(
            tuple(None if v is None else f(v) for f, v in zip(converters, row, strict=True))
        )
    await stmt.executemany(args)


async def _read_table(
    conn: asyncpg.Connection, table: str, budget: ResultBudget
) -> tuple[str, int, list[Any]]:
    stmt = await conn.prepare(f"SELECT * FROM {table} LIMIT {STATE_ROW_CAP + 1}")
    rows = await stmt.fetch()
    budget.take(rows)
    if len(rows) > STATE_ROW_CAP:
        raise CheckFailed(ErrorClass.TOO_MANY_ROWS, f"{table} grew past {STATE_ROW_CAP} rows")
    return table, len(stmt.get_attributes()), [tuple(r) for r in rows]


def advisory_key(name: str) -> int:
    """A signed 64-bit advisory lock key for a scratch name."""
    return int.from_bytes(
        hashlib.sha256(f"sqlsynth-write:{name}".encode()).digest()[:8], "big", signed=True
    )


def _count_affected(status: str) -> int:
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else 0


def classify_pg(exc: asyncpg.PostgresError) -> CheckFailed:
    """Sort a server error: a final CheckFailed, or raise EngineUnavailable."""
    state = str(getattr(exc, "sqlstate", "") or "")
    message = str(exc)
    matches = [p for p in PG_SQLSTATES if state.startswith(p)]
    if matches:
        error_class = PG_SQLSTATES[max(matches, key=len)]
        if error_class is None:
            raise EngineUnavailable(f"postgres: {state} {message}") from exc
        return CheckFailed(error_class, message)
    return CheckFailed(ErrorClass.QUERY, message, missing=state in PG_MISSING)
