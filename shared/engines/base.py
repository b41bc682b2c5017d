"""The engine interface and the check flow every engine shares.

A check screens the SQL (sandbox.py), then per level: SYNTAX asks the engine's own parser in an
empty namespace (names never resolve there, so only syntax errors fail), SCHEMA builds the
fixture (once, cached) and prepares the query against it, FULL runs it with a row cap.

Error classes: SYNTAX — the text does not parse (sqlglot or the engine); SCHEMA — the fixture
(DDL + rows) failed on this engine; QUERY — the query parses but fails against the schema or
data (unknown column, type error, division by zero); FORBIDDEN — the sandbox or the engine's
privileges refused it; TIMEOUT — the statement timeout or another resource limit (temp files,
memory, blob size) stopped it; TOO_MANY_ROWS — more than max_rows rows. More rows is a
failure, not a truncation: on fixture-sized data it nearly always means a missing join
condition, and a digest of a truncated result could not be compared across engines anyway.
Invalid SQL is a failed EngineCheck; an engine that is down, hung or overloaded raises
EngineUnavailable (retryable). elapsed_ms is the time of the query itself, not of building
the fixture.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
import time
import weakref
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from proto.common import Engine, Level
from proto.sample import EngineCheck, ErrorClass
from shared.engines.budgets import (
    find_longest_row_value,
    measure_fixture_bytes,
)
from shared.engines.cache import FixtureCache, FixtureFailure
from shared.engines.digest import digest_rows, digest_tables, plan_order, resolve_keys
from shared.engines.failures import CheckFailed
from shared.engines.fixture import Fixture
from shared.engines.nesting import MAX_NESTING, is_nested_too_deeply
from shared.engines.render import (
    FixturePlan,
    FixtureRenderError,
    RenderedStatement,
    plan_fixture,
)
from shared.engines.sandbox import Screened, screen_fixture_statement, screen_query
from shared.engines.settings import EngineSettings
from shared.engines.strings import MAX_VALUE_CHARS, MIN_COLUMN_CHARS, round_column_chars
from shared.record_scope import record_scope, remember
from shared.sql.dialects import sqlglot_dialect

log = logging.getLogger(__name__)

# Tables read back after a write check, for the state digest; more rows is a failed check.
STATE_ROW_CAP = 20_000
# Fixture failures that keep their own class; every other one is a schema error.
_FIXTURE_OWN_CLASSES = frozenset({ErrorClass.FORBIDDEN, ErrorClass.TIMEOUT, ErrorClass.TOO_LARGE})
# Engines cut the text at a NUL (or refuse it in the protocol): it is the SQL's own error.
NUL = "\x00"
# Closing a pool waits this long for its connections to come back; then they are dropped
# (a connection a cancelled task still holds must not keep the process from exiting).
POOL_CLOSE_S = 2.0


class _FixtureVanished(Exception):
    """The fixture's schema is gone from the engine although the cache still lists it."""


@dataclass
class QueryResult:
    columns: tuple[str, ...] = ()
    rows: Sequence[Sequence[Any]] = ()
    # More than max_rows rows came back (only max_rows + 1 were fetched).
    too_many: bool = False
    affected: int | None = None
    # After a write: (table, column count, rows) for every fixture table, before rollback.
    tables: Sequence[tuple[str, int, Sequence[Sequence[Any]]]] = ()
    # The statement's own time apart from queueing (SQLite's worker; PostgreSQL and MariaDB
    # from the statement on, after the pooled connection and the session's set-up): the
    # deadline is judged on it, so a busy machine's queueing is no timeout; the reported
    # elapsed_ms stays the real wait.
    engine_ms: float | None = None


class SqlEngine(ABC):
    """One engine: fixtures cached by key, checks sandboxed; subclasses speak the driver.

    A fixture handle is whatever the subclass needs to reach a built fixture (a schema name,
    a connection); the base class only passes it back.
    """

    engine: ClassVar[Engine]

    def __init__(self, settings: EngineSettings | None = None, *, screen: bool = True) -> None:
        # screen=False skips the parser layer: only for tests of the engine-side defences.
        self.settings = settings or EngineSettings()
        self._screen = screen
        self.fixtures: FixtureCache[Any] = FixtureCache(
            self.settings.schema_cache_size, self._build_fixture, self._drop_fixture
        )
        # One write check per fixture at a time: row locks and sequence restores never meet.
        self._write_locks: weakref.WeakValueDictionary[str, asyncio.Lock] = (
            weakref.WeakValueDictionary()
        )
        # Fixtures retired after a killed write (see _run_write): their copy number, and the
        # old copies, dropped at close once whatever still runs on them has ended.
        self._generations: dict[str, int] = {}
        self._retired: list[Any] = []
        # The longest string value of each fixture (rounded), by key: what the screen lets a
        # query's searches over its columns cost (strings.py).
        self._column_chars: dict[str, int] = {}

    @property
    def timeout_s(self) -> float:
        return self.settings.statement_timeout_ms / 1000

    @property
    def backstop_s(self) -> float:
        """Client-side deadline: the engine's own timeout plus slack for it to answer."""
        return self.timeout_s * 1.5 + 1.0

    @property
    def acquire_s(self) -> float:
        """Waiting longer than this for a pooled connection means the engine is overloaded."""
        return self.backstop_s * 4

    @abstractmethod
    async def start(self) -> None: ...

    @abstractmethod
    async def close(self) -> None: ...

    def scratch_name(self, fixture: Fixture) -> str:
        """The fixture's schema / database / file name, keyed by the run's secret: a record
        cannot name another record's fixture from its content alone."""
        secret = self.settings.fixture_secret.get_secret_value().encode()
        generation = self._generations.get(fixture.key, 0)
        message = fixture.key if not generation else f"{fixture.key}/{generation}"
        digest = hmac.new(secret, message.encode(), hashlib.sha256).hexdigest()
        return f"sx_{digest[:24]}"

    async def check(
        self, fixture: Fixture, sql: str, level: Level, *, allow_writes: bool = False
    ) -> EngineCheck:
        """Check SQL already rendered for this engine. Raises only EngineUnavailable.

        Within the caller's record scope (record_scope.py), or one of its own: measuring the
        fixture's strings and building it share the screen of its statements."""
        with record_scope():
            return await self._check(fixture, sql, level, allow_writes)

    async def _check(
        self, fixture: Fixture, sql: str, level: Level, allow_writes: bool
    ) -> EngineCheck:
        if NUL in sql:
            return self._failed(level, sql, ErrorClass.SYNTAX, "a NUL byte in the SQL text", 0.0)
        too_deep = f"SQL nested too deeply (over {MAX_NESTING} parentheses)"
        if is_nested_too_deeply(sql):
            return self._failed(level, sql, ErrorClass.SYNTAX, too_deep, 0.0)
        try:
            screened = self._screen_query(sql, allow_writes, self._measure_column_chars(fixture))
        except RecursionError:  # sqlglot recurses per nesting level
            return self._failed(level, sql, ErrorClass.SYNTAX, too_deep, 0.0)
        if not screened.ok:
            return self._failed(level, sql, screened.error_class, screened.message, 0.0)
        if level is Level.SYNTAX:
            started = time.perf_counter()
            try:
                await self._parse(sql, writes=screened.writes)
            except CheckFailed as failure:
                return self._failed(level, sql, failure.error_class, failure.message, started)
            return self._passed(level, sql, started)
        try:
            return await self._check_on_fixture(fixture, sql, level, screened)
        except _FixtureVanished:
            # Dropped behind our back (another replica's eviction, an operator): rebuild once.
            self.fixtures.forget(fixture)
            return await self._check_on_fixture(fixture, sql, level, screened, last_try=True)

    async def _check_on_fixture(
        self, fixture: Fixture, sql: str, level: Level, screened: Screened, last_try: bool = False
    ) -> EngineCheck:
        async with self.fixtures.lease(fixture) as handle:
            if isinstance(handle, FixtureFailure):
                message = f"fixture: {handle.message}"
                return self._failed(level, sql, handle.error_class, message, 0.0)
            started = time.perf_counter()
            try:
                if level is Level.SCHEMA:
                    await self._prepare(handle, sql, writes=screened.writes)
                    return self._passed(level, sql, started)
                if screened.writes:
                    result = await self._run_write(fixture, handle, sql)
                else:
                    result = await self._execute(handle, sql, writes=False)
            except CheckFailed as failure:
                if failure.missing and not last_try and not await self._exists(handle):
                    raise _FixtureVanished from failure
                return self._failed(level, sql, failure.error_class, failure.message, started)
        return self._judge_result(sql, screened, result, started)

    async def _run_write(self, fixture: Fixture, handle: Any, sql: str) -> QueryResult:
        """A write check, alone on its fixture, leaving nothing a later check could see.

        The transaction is rolled back; sequences and AUTO_INCREMENT counters, which ignore
        rollbacks, are put back (_restore_after_write). A write killed at the hard deadline
        may still hold row locks on the server: that copy of the fixture is retired, and the
        next record gets a fresh one under a new name.
        """
        lock = self._write_locks.setdefault(fixture.key, asyncio.Lock())
        # One writer per fixture in this process, then across processes (replicas share the
        # run's secret, so the same fixture has the same name on the server for all of them).
        async with lock, self._lock_writes(handle):
            try:
                return await self._execute(handle, sql, writes=True)
            except CheckFailed as failure:
                if failure.killed:
                    self._retire(fixture, handle)
                raise
            finally:
                if not self._is_retired(handle):
                    try:
                        await self._restore_after_write(handle)
                    except Exception as exc:  # a copy we cannot restore is a copy we retire
                        log.warning("restoring %s after a write failed: %s", handle, exc)
                        self._retire(fixture, handle)

    def _retire(self, fixture: Fixture, handle: Any) -> None:
        self._generations[fixture.key] = self._generations.get(fixture.key, 0) + 1
        self.fixtures.forget(fixture)
        self._retired.append(handle)

    def _is_retired(self, handle: Any) -> bool:
        return any(old is handle for old in self._retired)

    async def _drop_retired(self) -> None:
        """Best effort at close: a statement still running there may hold locks."""
        while self._retired:
            handle = self._retired.pop()
            try:
                await self._drop_fixture(handle)
            except Exception as exc:
                log.warning("dropping a retired fixture failed: %s", exc)

    async def _restore_after_write(self, handle: Any) -> None:
        """Put back what a rolled-back write changed anyway (engines with sequences)."""
        return None

    def _lock_writes(self, handle: Any) -> contextlib.AbstractAsyncContextManager[None]:
        """A server-side lock on the fixture for a write check and its restore, held against
        other processes; none where writes run on a private copy (SQLite)."""
        return contextlib.nullcontext()

    async def check_fixture(self, fixture: Fixture) -> EngineCheck:
        """Schema validity alone: do the DDL and rows execute on this engine?"""
        started = time.perf_counter()
        with record_scope():
            async with self.fixtures.lease(fixture) as handle:
                if isinstance(handle, FixtureFailure):
                    message = handle.message
                    return self._failed(Level.SCHEMA, "", handle.error_class, message, started)
        return self._passed(Level.SCHEMA, "", started)

    # --- what each engine implements -------------------------------------------------------

    @abstractmethod
    async def _parse(self, sql: str, *, writes: bool) -> None:
        """Raise CheckFailed(SYNTAX|FORBIDDEN) if the engine's parser rejects the SQL."""

    @abstractmethod
    async def _prepare(self, handle: Any, sql: str, *, writes: bool) -> None:
        """Prepare (compile, resolve names) without running; raise CheckFailed."""

    @abstractmethod
    async def _execute(self, handle: Any, sql: str, *, writes: bool) -> QueryResult:
        """Run read-only, or a write inside a transaction that is rolled back."""

    @abstractmethod
    async def _create_fixture(self, name: str, plan: FixturePlan) -> Any:
        """Build (or adopt an existing complete copy of) a fixture; raise CheckFailed."""

    @abstractmethod
    async def _drop_fixture(self, handle: Any) -> None: ...

    @abstractmethod
    async def _exists(self, handle: Any) -> bool:
        """Is the fixture still there (someone else may have dropped it)?"""

    # --- shared plumbing -------------------------------------------------------------------

    def _screen_query(
        self, sql: str, allow_writes: bool, column_chars: int = MIN_COLUMN_CHARS
    ) -> Screened:
        screened = screen_query(
            sql, self.engine, allow_writes=allow_writes, column_chars=column_chars
        )
        if screened.ok or self._screen:
            return screened
        try:  # parser layer off (tests): keep the parse for digests, let the engine judge
            tree = sqlglot.parse_one(sql, read=sqlglot_dialect(self.engine))
        except SqlglotError:
            tree = None
        writes = allow_writes and not isinstance(tree, exp.Select | exp.SetOperation)
        return Screened(tree, writes=writes)

    def _measure_column_chars(self, fixture: Fixture) -> int:
        """The fixture's longest string, as given (rows) or as its statements build it."""
        known = self._column_chars.get(fixture.key)
        if known is not None:
            return known
        longest = find_longest_row_value(fixture)
        if NUL not in fixture.ddl and not is_nested_too_deeply(fixture.ddl):
            try:
                for statement in plan_fixture(fixture, self.engine).rendered:
                    longest = max(longest, _fixture_statement_longest(statement, self.engine))
            except (FixtureRenderError, RecursionError):
                pass  # the fixture fails to build: its queries get no further than that
        if len(self._column_chars) >= 4 * self.settings.schema_cache_size:
            self._column_chars.clear()
        self._column_chars[fixture.key] = chars = round_column_chars(longest)
        return chars

    async def _build_fixture(self, fixture: Fixture) -> Any:
        size, limit = measure_fixture_bytes(fixture), self.settings.max_fixture_bytes
        if size > limit:
            return FixtureFailure(ErrorClass.TOO_LARGE, f"fixture of {size} bytes, over {limit}")
        longest = find_longest_row_value(fixture)
        if longest > MAX_VALUE_CHARS:
            # Every query's searches over it would be unbounded work (strings.py).
            return FixtureFailure(
                ErrorClass.TOO_LARGE,
                f"a string value of {longest} characters, over {MAX_VALUE_CHARS}",
            )
        if NUL in fixture.ddl:
            return FixtureFailure(ErrorClass.SCHEMA, "a NUL byte in the DDL text")
        if is_nested_too_deeply(fixture.ddl):
            return FixtureFailure(
                ErrorClass.SCHEMA, f"DDL nested too deeply (over {MAX_NESTING} parentheses)"
            )
        try:
            plan = plan_fixture(fixture, self.engine)
            if self._screen:
                for number, statement in enumerate(plan.rendered, start=1):
                    error_class, message = _fixture_statement_verdict(statement, self.engine)
                    if error_class is not None:
                        return _to_fixture_failure(error_class, f"statement {number}: {message}")
        except FixtureRenderError as exc:
            return FixtureFailure(ErrorClass.SCHEMA, str(exc))
        except RecursionError:
            return FixtureFailure(ErrorClass.SCHEMA, "DDL nested too deeply")
        try:
            return await self._create_fixture(self.scratch_name(fixture), plan)
        except CheckFailed as failure:
            return _to_fixture_failure(failure.error_class, failure.message)

    def _judge_result(
        self, sql: str, screened: Screened, result: QueryResult, started: float
    ) -> EngineCheck:
        elapsed = ms_since(started)
        spent = result.engine_ms if result.engine_ms is not None else elapsed
        if result.too_many:
            limit = self.settings.max_rows
            return self._failed(
                Level.FULL,
                sql,
                ErrorClass.TOO_MANY_ROWS,
                f"more than {limit} rows",
                started,
                row_count=limit + 1,
            )
        if spent >= self.settings.statement_timeout_ms:
            # Some engines stop a function at the deadline and return what they have
            # (MariaDB's SLEEP/BENCHMARK): past the deadline is a timeout either way.
            message = f"ran {spent:.0f} ms, past the {self.settings.statement_timeout_ms} ms limit"
            return self._failed(Level.FULL, sql, ErrorClass.TIMEOUT, message, started)
        if screened.writes:
            digest, ordered, count = digest_tables(result.tables), False, result.affected
        else:
            keys = resolve_keys(plan_order(screened.expression), result.columns)
            digest = digest_rows(result.rows, len(result.columns), keys)
            ordered, count = keys is not None, len(result.rows)
        return EngineCheck(
            engine=self.engine,
            level=Level.FULL,
            ok=True,
            sql=sql,
            row_count=count,
            digest=digest,
            ordered=ordered,
            elapsed_ms=elapsed,
        )

    def _passed(self, level: Level, sql: str, started: float) -> EngineCheck:
        return EngineCheck(
            engine=self.engine, level=level, ok=True, sql=sql, elapsed_ms=ms_since(started)
        )

    def _failed(
        self,
        level: Level,
        sql: str,
        error_class: ErrorClass | None,
        message: str | None,
        started: float,
        *,
        row_count: int | None = None,
    ) -> EngineCheck:
        return EngineCheck(
            engine=self.engine,
            level=level,
            ok=False,
            error_class=error_class or ErrorClass.QUERY,
            message=message,
            sql=sql,
            row_count=row_count,
            elapsed_ms=ms_since(started) if started else 0.0,
        )


def _to_fixture_failure(error_class: ErrorClass, message: str) -> FixtureFailure:
    kept = error_class if error_class in _FIXTURE_OWN_CLASSES else ErrorClass.SCHEMA
    return FixtureFailure(kept, message)


def ms_since(started: float) -> float:
    """Milliseconds since a perf_counter reading, rounded to microseconds."""
    return round((time.perf_counter() - started) * 1000, 3)


def _screen_fixture_statement_once(
    statement: RenderedStatement, engine: Engine
) -> tuple[ErrorClass | None, str, int]:
    """Screen a fixture statement once per record (record_scope.py: measuring the fixture's
    strings and building it both ask): its verdict and the longest string it stores, both
    from the one reading. Another record's fixture is screened again."""
    return remember(
        ("screen_fixture_statement", statement, engine),
        lambda: _screen_fixture_statement_afresh(statement, engine),
    )


def _screen_fixture_statement_afresh(
    statement: RenderedStatement, engine: Engine
) -> tuple[ErrorClass | None, str, int]:
    written_from = statement.written_from(engine)
    screened = screen_fixture_statement(statement.sql, engine, written_from=written_from)
    if screened.ok or screened.error_class is None:
        return None, "", screened.longest_string
    return screened.error_class, screened.message or "", screened.longest_string


def _fixture_statement_verdict(
    statement: RenderedStatement, engine: Engine
) -> tuple[ErrorClass | None, str]:
    error_class, message, _ = _screen_fixture_statement_once(statement, engine)
    return error_class, message


def _fixture_statement_longest(statement: RenderedStatement, engine: Engine) -> int:
    """The longest string a fixture statement stores (a refused one stores nothing)."""
    return _screen_fixture_statement_once(statement, engine)[2]
