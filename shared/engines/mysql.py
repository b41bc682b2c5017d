"""MySQL / MariaDB through aiomysql pools: a `sx_<key>` database per fixture.

Untrusted SQL runs as the query user through server-side PREPARE/EXECUTE: the server then
accepts exactly one statement (aiomysql always enables multi-statements on the wire), and
SCHEMA level is the PREPARE alone. Reads run in START TRANSACTION READ ONLY, writes in a
transaction that is rolled back; rows are streamed (unbuffered) and capped both by the
session's sql_select_limit and by fetching max_rows + 1. MySQL's DDL commits implicitly, so
the query user holds no DDL privilege at all; fixtures are built by the owner user, and a row
in the control table marks a fixture complete.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass
from typing import Any, TypeVar

import aiomysql
import pymysql
from pymysql.constants import CLIENT

from proto.common import Engine
from proto.sample import ErrorClass
from shared.engines.base import POOL_CLOSE_S, STATE_ROW_CAP, QueryResult, SqlEngine, ms_since
from shared.engines.budgets import ResultBudget
from shared.engines.failures import CheckFailed
from shared.engines.provision import (
    EMPTY_SCHEMA,
    MysqlFlavour,
    build_session_settings,
    parse_mysql_dsn,
    provision_mysql,
)
from shared.engines.render import FixturePlan
from shared.errors import EngineUnavailable

# Server error code → class; None = the engine is in trouble (retryable).
MYSQL_ERRORS: dict[int, ErrorClass | None] = {
    1064: ErrorClass.SYNTAX,
    1065: ErrorClass.SYNTAX,  # empty query
    1149: ErrorClass.SYNTAX,
    1044: ErrorClass.FORBIDDEN,  # access denied to database
    1045: ErrorClass.FORBIDDEN,
    1142: ErrorClass.FORBIDDEN,  # command denied (table privilege)
    1143: ErrorClass.FORBIDDEN,  # column privilege
    1227: ErrorClass.FORBIDDEN,  # needs SUPER / a global privilege
    1370: ErrorClass.FORBIDDEN,  # routine privilege
    1792: ErrorClass.FORBIDDEN,  # write in a READ ONLY transaction
    1295: ErrorClass.FORBIDDEN,  # not allowed as a prepared statement
    1969: ErrorClass.TIMEOUT,  # MariaDB max_statement_time
    3024: ErrorClass.TIMEOUT,  # MySQL max_execution_time
    3636: ErrorClass.TIMEOUT,  # MySQL cte_max_recursion_depth
    1317: ErrorClass.TIMEOUT,  # interrupted (KILL QUERY)
    1028: ErrorClass.TIMEOUT,  # sort aborted
    1038: ErrorClass.TIMEOUT,  # out of sort memory
    1114: ErrorClass.TIMEOUT,  # temporary table full
    1040: None,  # too many connections
    1053: None,  # server shutdown
    1203: None,  # max_user_connections
    1205: None,  # lock wait timeout
    1213: None,  # deadlock
    1226: None,  # user resource limit
    2002: None,
    2003: None,
    2006: None,  # server has gone away
    2013: None,  # lost connection during query
    2055: None,
}
# The protocol command that resets a session (variables, LAST_INSERT_ID, temporary tables,
# prepared statements, role) without a new login; pymysql has no name for it.
COM_RESET_CONNECTION = 0x1F
COUNTERS_SQL = (
    "SELECT table_name, auto_increment FROM information_schema.tables "
    "WHERE table_schema = %s AND auto_increment IS NOT NULL"
)
# Unknown table, unknown database; SET ROLE of a role that is gone (MariaDB 1959, MySQL 3530):
# another engine of the run dropped the fixture with its role.
MYSQL_MISSING = frozenset({1146, 1049, 1959, 3530})
_UNAVAILABLE = (OSError, asyncio.IncompleteReadError, pymysql.err.InterfaceError)


T = TypeVar("T")


async def within(awaitable: Awaitable[T], seconds: float) -> T:
    """Await with a deadline in this task: asyncio.wait_for (3.11) makes a task and a timer per
    call, and a check sends seven statements (#23). TimeoutError past the deadline, as before."""
    async with asyncio.timeout(seconds):
        return await awaitable


class QuietCursor(aiomysql.Cursor):  # type: ignore[misc]
    """aiomysql turns every server warning into a Python warning: checks keep their own."""

    async def _show_warnings(self, conn: aiomysql.Connection) -> None:
        return None


class QuietStreamCursor(aiomysql.SSCursor):  # type: ignore[misc]
    async def _show_warnings(self, conn: aiomysql.Connection) -> None:
        return None


@dataclass(frozen=True)
class MysqlFixture:
    database: str
    tables: tuple[str, ...] = ()
    # (table, AUTO_INCREMENT) as built: InnoDB keeps counters a rolled-back INSERT advanced.
    counters: tuple[tuple[str, int], ...] = ()


class MysqlEngine(SqlEngine):
    engine = Engine.MYSQL
    _owner: aiomysql.Pool
    _query: aiomysql.Pool
    flavour: MysqlFlavour

    async def start(self) -> None:
        dsn = self.settings.mysql_dsn
        if not dsn:
            raise EngineUnavailable("mysql: no DSN configured (SQLSYNTH_MYSQL_DSN)")
        try:
            self.flavour, accounts = await provision_mysql(dsn, self.settings)
            init = build_session_settings(self.flavour, self.settings)
            owner_init = build_session_settings(self.flavour, self.settings, owner=True)
            base: dict[str, Any] = {
                **parse_mysql_dsn(dsn),
                "autocommit": True,
                "charset": "utf8mb4",
                "connect_timeout": self.settings.connect_timeout_s,
                "local_infile": False,
            }
            self._control = f"{self.settings.sandbox_prefix}_ctl"
            # Fixture roles are made by the admin account; it never runs SQL from a record.
            self._admin = await self._open_bounded(
                aiomysql.create_pool(minsize=0, maxsize=1, **base)
            )
            # Write locks across processes (GET_LOCK), held by the admin account as well.
            self._locks = await self._open_bounded(
                aiomysql.create_pool(minsize=0, maxsize=self.settings.pool_size, **base)
            )
            self._owner = await self._open_bounded(
                aiomysql.create_pool(
                    minsize=1,
                    maxsize=2,
                    **{**base, "user": accounts.owner, "password": accounts.owner_password},
                    # sql_notes=0: "IF [NOT] EXISTS" notes would surface as Python warnings.
                    init_command=f"{owner_init}, sql_notes = 0",
                )
            )
            # FOUND_ROWS: an UPDATE reports matched rows, as PostgreSQL and SQLite do.
            self._query_args = {
                **base,
                "user": accounts.query,
                "password": accounts.query_password,
                "init_command": f"{init}, sql_select_limit = {self.settings.max_rows + 1}",
                "client_flag": CLIENT.FOUND_ROWS,
            }
            self._query = await self._open_bounded(
                aiomysql.create_pool(minsize=1, maxsize=self.settings.pool_size, **self._query_args)
            )
        except (*_UNAVAILABLE, pymysql.err.MySQLError, TimeoutError) as exc:
            await self.close()
            raise EngineUnavailable(f"mysql: {exc}") from exc

    async def close(self) -> None:
        if self.settings.drop_on_close and hasattr(self, "_owner"):
            with contextlib.suppress(EngineUnavailable):
                await self.fixtures.close()
                await self._drop_retired()
        names = ("_query", "_owner", "_admin", "_locks")
        pools = [getattr(self, name, None) for name in names]
        opened = [pool for pool in pools if pool is not None]
        for pool in opened:
            pool.close()
        try:
            # wait_closed waits for every connection in use: a stuck one would hold us forever.
            await asyncio.wait_for(asyncio.gather(*(p.wait_closed() for p in opened)), POOL_CLOSE_S)
        except (*_UNAVAILABLE, pymysql.err.MySQLError, TimeoutError):
            for pool in opened:
                pool.terminate()

    async def _open_bounded(self, opening: Awaitable[aiomysql.Pool]) -> aiomysql.Pool:
        """connect_timeout bounds the TCP connect only; a server that never greets needs this."""
        return await asyncio.wait_for(opening, self.settings.connect_timeout_s * 2)

    async def _acquire(self, pool: aiomysql.Pool) -> aiomysql.Connection:
        try:
            return await within(pool.acquire(), self.acquire_s)
        except (*_UNAVAILABLE, pymysql.err.MySQLError, TimeoutError) as exc:
            raise EngineUnavailable(f"mysql: no connection: {exc!r}") from exc

    async def _run(
        self,
        cur: aiomysql.Cursor,
        sql: str,
        args: tuple[Any, ...] | None = None,
        *,
        timeout: float | None = None,
    ) -> None:
        """One of our own round trips, bounded: no answer in time means the engine is stuck."""
        conn = cur.connection
        try:
            await within(cur.execute(sql, args), timeout or self.backstop_s)
        except TimeoutError as exc:
            conn.close()  # the protocol state is unknown after a cancelled read
            raise EngineUnavailable(f"mysql: no answer to {sql.split()[0]}") from exc
        except _UNAVAILABLE as exc:
            conn.close()
            raise EngineUnavailable(f"mysql: {exc!r}") from exc

    @contextlib.asynccontextmanager
    async def _session(self, database: str, *, writes: bool) -> AsyncIterator[aiomysql.Cursor]:
        """A query-user cursor in `database`, inside a transaction rolled back on exit."""
        conn = await self._acquire(self._query)
        try:
            cur = await conn.cursor(QuietStreamCursor)
            # The fixture's own role: this check reaches this fixture and no other database.
            role = database if database != EMPTY_SCHEMA else "NONE"
            await self._run(cur, f"SET ROLE {role}")
            await self._run(cur, f"USE {database}")
            await self._run(cur, "START TRANSACTION" if writes else "START TRANSACTION READ ONLY")
            yield cur
        except pymysql.err.MySQLError as exc:
            raise classify_mysql(exc) from exc
        except _UNAVAILABLE as exc:
            conn.close()
            raise EngineUnavailable(f"mysql: {exc!r}") from exc
        finally:
            await self._finish_session(conn)
            self._query.release(conn)

    async def _finish_session(self, conn: aiomysql.Connection) -> None:
        """Roll back and reset the session for the next check; a stuck connection is closed.

        COM_RESET_CONNECTION rolls back the open transaction itself (MySQL and MariaDB both
        document it), so a ROLLBACK before it was one more round trip per check (#23)."""
        if conn.closed:
            return
        try:
            await within(self._reset_session(conn), self.backstop_s)
        except (*_UNAVAILABLE, pymysql.err.MySQLError, TimeoutError):
            conn.close()

    async def _reset_session(self, conn: aiomysql.Connection) -> None:
        """COM_RESET_CONNECTION, then our session settings again (the reset drops them too):
        nothing a check set (user variables, LAST_INSERT_ID) reaches the next one."""
        await conn._execute_command(COM_RESET_CONNECTION, b"")
        await conn._read_ok_packet()
        async with conn.cursor(QuietCursor) as cur:
            await cur.execute(self._query_args["init_command"])

    @contextlib.asynccontextmanager
    async def _lock_writes(self, handle: MysqlFixture) -> AsyncIterator[None]:
        """GET_LOCK on `<database>:w` (the builder locks `<database>`): released at the end,
        or by the server when this process's connection dies."""
        name, wait = f"{handle.database}:w", self.acquire_s
        conn = await self._acquire(self._locks)
        try:
            async with conn.cursor(QuietCursor) as cur:
                await self._run(cur, "SELECT GET_LOCK(%s, %s)", (name, wait), timeout=wait + 2)
                if (await cur.fetchone() or (0,))[0] != 1:
                    raise EngineUnavailable(
                        "mysql: another process writes on this fixture for too long"
                    )
                try:
                    yield
                finally:
                    try:
                        await self._run(cur, "SELECT RELEASE_LOCK(%s)", (name,))
                        await cur.fetchall()
                    except (EngineUnavailable, pymysql.err.MySQLError):
                        conn.close()  # the server releases a dead session's locks
        except pymysql.err.MySQLError as exc:
            conn.close()
            raise EngineUnavailable(f"mysql: {exc!r}") from exc
        finally:
            self._locks.release(conn)

    async def _parse(self, sql: str, *, writes: bool) -> None:
        try:
            await self._prepare(MysqlFixture(EMPTY_SCHEMA), sql, writes=writes)
        except CheckFailed as failure:
            if failure.error_class in (ErrorClass.SYNTAX, ErrorClass.FORBIDDEN):
                raise

    async def _prepare(self, handle: MysqlFixture, sql: str, *, writes: bool) -> None:
        async with self._session(handle.database, writes=writes) as cur:
            await self._run(cur, "PREPARE sx_q FROM %s", (sql,))

    async def _execute(self, handle: MysqlFixture, sql: str, *, writes: bool) -> QueryResult:
        limit = self.settings.max_rows + 1
        budget = ResultBudget(self.settings.max_result_bytes)
        async with self._session(handle.database, writes=writes) as cur:
            conn = cur.connection
            # Timed from the statement on: waiting for a pooled connection and setting the
            # session up are queueing on a busy machine, not the statement's cost.
            began = time.perf_counter()
            await self._run(cur, "PREPARE sx_q FROM %s", (sql,))
            try:
                await within(cur.execute("EXECUTE sx_q"), self.backstop_s)
                if writes:
                    affected = max(cur.rowcount, 0)
                    await within(cur.fetchall(), self.backstop_s)
                    spent = ms_since(began)
                    tables = [await self._read_table(cur, t, budget) for t in handle.tables]
                    return QueryResult(affected=affected, tables=tables, engine_ms=spent)
                rows: list[Any] = []
                while len(rows) < limit:
                    # Streamed: rows arrive one packet at a time, counted as they come.
                    chunk = await within(
                        cur.fetchmany(budget.next_chunk(limit - len(rows))), self.backstop_s
                    )
                    budget.take(chunk)
                    rows.extend(chunk)
                    if not chunk:
                        break
                columns = tuple(d[0] for d in cur.description or ())
                # Rows beyond the cap: sql_select_limit stops them, or (an explicit larger
                # LIMIT) the statement timeout does while the cursor drains them on close.
                await within(cur.close(), self.backstop_s)
            except TimeoutError as exc:
                raise await self._timed_out(conn) from exc
            except CheckFailed:
                conn.close()  # a result left half-read: the connection cannot be reused
                raise
        return QueryResult(
            columns, list(rows), too_many=len(rows) >= limit, engine_ms=ms_since(began)
        )

    async def _read_table(
        self, cur: aiomysql.Cursor, table: str, budget: ResultBudget
    ) -> tuple[str, int, list[Any]]:
        # An explicit LIMIT overrides the session's sql_select_limit.
        await self._run(cur, f"SELECT * FROM {table} LIMIT {STATE_ROW_CAP + 1}")
        rows = list(await within(cur.fetchall(), self.backstop_s))
        budget.take(rows)
        if len(rows) > STATE_ROW_CAP:
            raise CheckFailed(ErrorClass.TOO_MANY_ROWS, f"{table} grew past {STATE_ROW_CAP} rows")
        return table, len(cur.description or ()), rows

    async def _timed_out(self, conn: aiomysql.Connection) -> CheckFailed:
        """Past the client deadline: KILL QUERY, then KILL CONNECTION, and drop the socket.

        A function that never looks at the kill flag (LOCATE() over megabytes) runs on until
        it returns; the check does not wait for it.
        """
        thread = int(conn.thread_id())
        conn.close()
        try:
            # A connection of its own: the pool may be full of statements just as stuck.
            killer = await asyncio.wait_for(aiomysql.connect(**self._query_args), 2.0)
        except (*_UNAVAILABLE, pymysql.err.MySQLError, TimeoutError) as exc:
            raise EngineUnavailable(f"mysql: not answering: {exc!r}") from exc
        try:
            async with killer.cursor(QuietCursor) as cur:
                for kill in (f"KILL QUERY {thread}", f"KILL CONNECTION {thread}"):
                    with contextlib.suppress(pymysql.err.MySQLError):  # it ended meanwhile
                        await asyncio.wait_for(cur.execute(kill), 2.0)
        except (*_UNAVAILABLE, TimeoutError) as exc:
            raise EngineUnavailable(f"mysql: not answering: {exc!r}") from exc
        finally:
            killer.close()
        return CheckFailed(
            ErrorClass.TIMEOUT,
            f"stopped at the {self.backstop_s:.1f} s deadline (killed)",
            killed=True,
        )

    async def _create_fixture(self, name: str, plan: FixturePlan) -> MysqlFixture:
        await self._create_fixture_role(name)
        await self._build_database(name, plan)
        return MysqlFixture(name, plan.tables, await self._read_counters(name))

    async def _build_database(self, name: str, plan: FixturePlan) -> None:
        wait = self.backstop_s * 3
        conn = await self._acquire(self._owner)
        try:
            async with conn.cursor(QuietCursor) as cur:
                # One builder per fixture across replicas; the control row marks it complete.
                await self._run(cur, "SELECT GET_LOCK(%s, %s)", (name, wait), timeout=wait + 2)
                if (await cur.fetchone() or (0,))[0] != 1:
                    raise EngineUnavailable(f"mysql: {name} is being built elsewhere, too long")
                try:
                    control = f"SELECT 1 FROM {self._control}.fixtures WHERE name = %s"
                    await self._run(cur, control, (name,))
                    if await cur.fetchone():
                        return
                    await self._run(cur, f"DROP DATABASE IF EXISTS {name}")  # half-built copy
                    await self._run(cur, f"CREATE DATABASE {name} {self.flavour.database_options}")
                    await self._run(cur, f"USE {name}")
                    await self._fill(cur, name, plan)
                finally:
                    if not conn.closed:
                        await self._run(cur, "SELECT RELEASE_LOCK(%s)", (name,))
        except pymysql.err.MySQLError as exc:
            raise classify_mysql(exc) from exc
        except _UNAVAILABLE as exc:
            conn.close()
            raise EngineUnavailable(f"mysql: {exc!r}") from exc
        finally:
            self._owner.release(conn)

    async def _fill(self, cur: aiomysql.Cursor, name: str, plan: FixturePlan) -> None:
        try:
            for statement in plan.statements:
                await self._run(cur, "PREPARE sx_ddl FROM %s", (statement,))
                await self._run(cur, "EXECUTE sx_ddl")
            for insert in plan.inserts:
                await within(cur.executemany(insert.sql, insert.rows), self.backstop_s)
            await self._check_fixture_size(cur, name, plan.tables)
            marker = f"INSERT INTO {self._control}.fixtures (name) VALUES (%s)"
            await self._run(cur, marker, (name,))
        except (pymysql.err.MySQLError, ValueError, TypeError, CheckFailed) as exc:
            with contextlib.suppress(pymysql.err.MySQLError):
                await self._run(cur, f"DROP DATABASE IF EXISTS {name}")
            if isinstance(exc, CheckFailed):
                raise
            if isinstance(exc, pymysql.err.MySQLError):
                raise classify_mysql(exc) from exc
            raise CheckFailed(ErrorClass.SCHEMA, f"row values: {exc}") from exc
        except TimeoutError as exc:
            raise EngineUnavailable(f"mysql: inserting rows into {name} stalled") from exc

    async def _check_fixture_size(
        self, cur: aiomysql.Cursor, name: str, tables: tuple[str, ...]
    ) -> None:
        """Stored bytes of the fixture's tables (fresh statistics first: InnoDB updates them
        in the background); past max_fixture_bytes the fixture is refused."""
        if tables:
            await self._run(cur, "ANALYZE TABLE " + ", ".join(tables))
            await within(cur.fetchall(), self.backstop_s)
        await self._run(
            cur,
            "SELECT COALESCE(SUM(data_length + index_length), 0) FROM information_schema.tables "
            "WHERE table_schema = %s",
            (name,),
        )
        size = int((await cur.fetchone() or (0,))[0])
        if size > self.settings.max_fixture_bytes:
            raise CheckFailed(
                ErrorClass.TOO_LARGE,
                f"fixture of {size} bytes, over {self.settings.max_fixture_bytes}",
            )

    async def _run_as_owner(
        self, sql: str, args: tuple[Any, ...] | None = None
    ) -> tuple[Any, ...] | None:
        conn = await self._acquire(self._owner)
        try:
            async with conn.cursor(QuietCursor) as cur:
                await self._run(cur, sql, args)
                row: tuple[Any, ...] | None = await cur.fetchone()
                return row
        except pymysql.err.MySQLError as exc:
            raise EngineUnavailable(f"mysql: {exc!r}") from exc
        except _UNAVAILABLE as exc:
            conn.close()
            raise EngineUnavailable(f"mysql: {exc!r}") from exc
        finally:
            self._owner.release(conn)

    async def _drop_fixture(self, handle: MysqlFixture) -> None:
        await self._run_as_owner(
            f"DELETE FROM {self._control}.fixtures WHERE name = %s", (handle.database,)
        )
        await self._run_as_owner(f"DROP DATABASE IF EXISTS {handle.database}")
        await self._run_as_admin(f"DROP ROLE IF EXISTS {handle.database}")

    async def _create_fixture_role(self, name: str) -> None:
        """The fixture's own role, the only grantee on its database; the query user holds it
        but runs with it only after SET ROLE (which our session does, per check)."""
        await self._run_as_admin(f"CREATE ROLE IF NOT EXISTS {name}")
        # EXECUTE: no routines exist there; without it an unknown function reads "execute
        # command denied" instead of "does not exist".
        await self._run_as_admin(
            f"GRANT SELECT, INSERT, UPDATE, DELETE, EXECUTE ON {name}.* TO {name}"
        )
        await self._run_as_admin(f"GRANT {name} TO '{self._query_args['user']}'@'%'")

    async def _run_as_admin(self, sql: str) -> None:
        conn = await self._acquire(self._admin)
        try:
            async with conn.cursor(QuietCursor) as cur:
                await self._run(cur, sql)
        except pymysql.err.MySQLError as exc:
            raise EngineUnavailable(f"mysql: {exc!r}") from exc
        finally:
            self._admin.release(conn)

    async def _read_counters(self, database: str) -> tuple[tuple[str, int], ...]:
        conn = await self._acquire(self._owner)
        try:
            async with conn.cursor(QuietCursor) as cur:
                await self._run(cur, COUNTERS_SQL, (database,))
                rows = await cur.fetchall()
        except pymysql.err.MySQLError as exc:
            raise EngineUnavailable(f"mysql: {exc!r}") from exc
        finally:
            self._owner.release(conn)
        return tuple((str(table), int(value)) for table, value in rows)

    async def _restore_after_write(self, handle: MysqlFixture) -> None:
        """AUTO_INCREMENT ignores ROLLBACK: put back counters a write check advanced."""
        if not handle.counters:
            return
        now = dict(await self._read_counters(handle.database))
        for table, value in handle.counters:
            if now.get(table) != value:
                await self._run_as_owner(
                    f"ALTER TABLE {handle.database}.`{table}` AUTO_INCREMENT = {int(value)}"
                )

    async def _exists(self, handle: MysqlFixture) -> bool:
        found = await self._run_as_owner(
            "SELECT 1 FROM information_schema.schemata WHERE schema_name = %s", (handle.database,)
        )
        return found is not None


def classify_mysql(exc: pymysql.err.MySQLError) -> CheckFailed:
    """Sort a server error: a final CheckFailed, or raise EngineUnavailable."""
    code = exc.args[0] if exc.args and isinstance(exc.args[0], int) else 0
    message = str(exc.args[1]) if len(exc.args) > 1 else str(exc)
    if code in MYSQL_ERRORS:
        error_class = MYSQL_ERRORS[code]
        if error_class is None:
            raise EngineUnavailable(f"mysql: {code} {message}") from exc
        return CheckFailed(error_class, message)
    return CheckFailed(ErrorClass.QUERY, message, missing=code in MYSQL_MISSING)
