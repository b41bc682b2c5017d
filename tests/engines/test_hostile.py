"""Generated SQL is untrusted: hostile statements end as a clear rejection or a timeout, and
nothing outside the checked statement changes — other schemas, admin databases, files."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from proto.common import Engine, Level
from proto.sample import EngineCheck, ErrorClass, TableRows
from shared.engines.base import SqlEngine
from shared.engines.fixture import Fixture
from shared.engines.registry import ENGINE_CLASSES, close_engines
from shared.engines.settings import EngineSettings
from shared.engines.validator import Validator
from tests.engines.admin import fetch_mysql, fetch_pg
from tests.engines.conftest import ALL, make_staff_fixture

pytestmark = pytest.mark.engines

CLEAR = frozenset(
    {ErrorClass.FORBIDDEN, ErrorClass.TIMEOUT, ErrorClass.TOO_MANY_ROWS, ErrorClass.SYNTAX}
)


@dataclass(frozen=True)
class Hostile:
    sql: str
    expect: frozenset[ErrorClass] = CLEAR
    allow_writes: bool = False
    engines: tuple[Engine, ...] = tuple(ALL)
    # Would change or leak something if an engine ran it: must fail even without the parser.
    damaging: bool = True


def list_hostile_statements(tmp: Path) -> list[Hostile]:
    timeout = frozenset({ErrorClass.TIMEOUT})
    rows = frozenset({ErrorClass.TOO_MANY_ROWS})
    return [
        Hostile("SELECT 1; DROP TABLE t"),
        Hostile("SELECT * FROM t; DELETE FROM t"),
        Hostile("BEGIN; DROP TABLE t; COMMIT"),
        Hostile("DROP TABLE t"),
        Hostile("DROP TABLE t", allow_writes=True),
        Hostile("TRUNCATE TABLE t", allow_writes=True),
        Hostile("ALTER TABLE t ADD COLUMN z INT", allow_writes=True),
        Hostile("CREATE TABLE x (a INT)", allow_writes=True),
        Hostile("GRANT ALL ON t TO PUBLIC"),
        Hostile("SET GLOBAL max_connections = 1"),
        Hostile("DELETE FROM t"),
        Hostile("UPDATE t SET v = 'gone'"),
        Hostile("WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d"),
        Hostile("SELECT * INTO t_copy FROM t"),
        Hostile(f"ATTACH DATABASE '{tmp}/evil.db' AS evil"),
        Hostile("DETACH DATABASE main"),
        Hostile(f"SELECT load_extension('{tmp}/evil.so')"),
        Hostile("PRAGMA writable_schema = 1"),
        Hostile(f"COPY t TO PROGRAM 'touch {tmp}/pwned'"),
        Hostile("SELECT pg_read_file('/etc/passwd')"),
        Hostile("SELECT pg_ls_dir('.')"),
        Hostile("SELECT lo_import('/etc/passwd')"),
        Hostile("SELECT pg_sleep(30)"),
        Hostile("SELECT * FROM dblink('host=127.0.0.1', 'SELECT 1') AS x(a INT)"),
        Hostile("SELECT set_config('statement_timeout', '0', false)", damaging=False),
        Hostile("SELECT pg_terminate_backend(pg_backend_pid())"),
        Hostile("SELECT SLEEP(30)"),
        Hostile("SELECT BENCHMARK(1000000000, MD5('a'))"),
        Hostile("SELECT 1 /*!50000 , SLEEP(30) */", damaging=False),
        Hostile("LOAD DATA INFILE '/etc/passwd' INTO TABLE t"),
        Hostile(f"SELECT * FROM t INTO OUTFILE '{tmp}/out.txt'"),
        Hostile("SELECT LOAD_FILE('/etc/passwd')", damaging=False),
        Hostile("SELECT * FROM mysql.user"),
        Hostile("SELECT * FROM pg_catalog.pg_authid"),
        Hostile("KILL 1", damaging=False),
        Hostile("SHUTDOWN"),
        Hostile("SELECT * FROM t FOR UPDATE", damaging=False),
        Hostile("LOCK TABLE t", damaging=False),
        Hostile("VACUUM", damaging=False),
        Hostile("EXPLAIN ANALYZE DELETE FROM t"),
        Hostile("PREPARE x AS SELECT 1", damaging=False),
        Hostile("CALL p()", damaging=False),
        Hostile(
            "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) "
            "SELECT COUNT(*) FROM r",
            expect=timeout,
        ),
        Hostile(
            "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT n FROM r",
            expect=timeout | rows,
        ),
        Hostile("SELECT COUNT(*) FROM t a, t b, t c, t d, t e, t f, t g, t h", expect=timeout),
        Hostile("SELECT a.v FROM t a CROSS JOIN t b CROSS JOIN t c", expect=rows),
        # The screen refuses the 2 GB builder (strings.py); unscreened, the deadline ends it.
        Hostile(
            "SELECT zeroblob(2000000000)",
            expect=timeout | {ErrorClass.FORBIDDEN},
            engines=(Engine.SQLITE,),
        ),
        Hostile(
            "SELECT * FROM generate_series(1, 100000000000)",
            expect=timeout,
            engines=(Engine.POSTGRES,),
        ),
    ]


def make_victim(tag: str) -> Fixture:
    rows = TableRows(table="t", columns=["id", "v"], values=[[i, f"v{i}"] for i in range(30)])
    return Fixture(
        f"-- {tag}\nCREATE TABLE t (id INTEGER PRIMARY KEY, v VARCHAR(20))", rows=(rows,)
    )


async def snapshot_admin(settings: EngineSettings) -> dict[str, Any]:
    """What an escape would change: databases, accounts, global settings, sentinel rows."""
    return {
        "pg_databases": await fetch_pg(
            settings, "SELECT datname FROM pg_database ORDER BY 1", scratch=False
        ),
        "pg_roles": await fetch_pg(
            settings,
            "SELECT rolname, rolsuper, rolcreaterole, rolcreatedb FROM pg_roles ORDER BY 1",
            scratch=False,
        ),
        "pg_settings": await fetch_pg(
            settings, "SELECT current_setting('max_connections')", scratch=False
        ),
        "pg_sentinel": await fetch_pg(settings, "SELECT v FROM sx_sentinel", scratch=False),
        "my_databases": await fetch_mysql(settings, "SHOW DATABASES"),
        "my_users": await fetch_mysql(settings, "SELECT user, host FROM mysql.user ORDER BY 1, 2"),
        "my_settings": await fetch_mysql(
            settings,
            "SELECT @@global.max_connections, @@global.max_statement_time, @@global.read_only",
        ),
        "my_sentinel": await fetch_mysql(settings, "SELECT v FROM sentinel_admin.s"),
    }


# Hostile statements are stopped by the statement budget: this module runs them under the
# tight one, so a runaway costs 1 s and `elapsed_ms` is measured against it.
@pytest.fixture(scope="session")
def engine_settings(tight_settings: EngineSettings) -> EngineSettings:
    return tight_settings


@pytest.fixture(scope="session")
def engines(tight_engines: dict[Engine, SqlEngine]) -> dict[Engine, SqlEngine]:
    return tight_engines


@pytest_asyncio.fixture(loop_scope="session")
async def sentinels(engine_settings: EngineSettings) -> AsyncIterator[None]:
    await fetch_pg(engine_settings, "CREATE TABLE IF NOT EXISTS sx_sentinel (v INT)", scratch=False)
    await fetch_pg(engine_settings, "INSERT INTO sx_sentinel VALUES (42)", scratch=False)
    await fetch_mysql(engine_settings, "CREATE DATABASE IF NOT EXISTS sentinel_admin")
    await fetch_mysql(engine_settings, "CREATE TABLE IF NOT EXISTS sentinel_admin.s (v INT)")
    await fetch_mysql(engine_settings, "INSERT INTO sentinel_admin.s VALUES (42)")
    yield
    await fetch_pg(engine_settings, "DROP TABLE sx_sentinel", scratch=False)
    await fetch_mysql(engine_settings, "DROP DATABASE sentinel_admin")


async def run_hostile(
    engines: dict[Engine, SqlEngine], fixture: Fixture, statements: list[Hostile]
) -> list[tuple[Hostile, EngineCheck]]:
    results: list[tuple[Hostile, EngineCheck]] = []
    for item in statements:
        targets = [engines[e] for e in item.engines]
        checks = await asyncio.gather(
            *(
                t.check(fixture, item.sql, Level.FULL, allow_writes=item.allow_writes)
                for t in targets
            )
        )
        results.extend((item, check) for check in checks)
    return results


async def assert_intact(
    engines: dict[Engine, SqlEngine],
    settings: EngineSettings,
    snapshot: dict[str, Any],
    fixture: Fixture,
    data_before: dict[Engine, str | None],
    tmp: Path,
) -> None:
    reference = make_staff_fixture("hostile-reference")
    validator = Validator(engines)
    validation, _ = await validator.validate(reference, "SELECT name, salary FROM emp")
    assert all(c.ok for c in validation.checks) and validation.results_agree, validation
    data_after = {
        e: (await r.check(fixture, "SELECT * FROM t", Level.FULL)).digest
        for e, r in engines.items()
    }
    assert data_after == data_before
    assert await snapshot_admin(settings) == snapshot
    assert list(tmp.iterdir()) == []


async def test_hostile_statements_end_as_rejection_or_timeout(
    engines: dict[Engine, SqlEngine],
    engine_settings: EngineSettings,
    sentinels: None,
    tmp_path: Path,
) -> None:
    statements = list_hostile_statements(tmp_path)
    assert len(statements) >= 30
    fixture = make_victim("hostile-screened")
    reference = make_staff_fixture("hostile-reference")
    ref_before, _ = await Validator(engines).validate(reference, "SELECT name, salary FROM emp")
    data_before = {
        e: (await r.check(fixture, "SELECT * FROM t", Level.FULL)).digest
        for e, r in engines.items()
    }
    snapshot = await snapshot_admin(engine_settings)

    results = await run_hostile(engines, fixture, statements)

    unclear = [
        (item.sql, check.engine.value, check.error_class, check.message)
        for item, check in results
        if check.ok or check.error_class not in item.expect
    ]
    assert unclear == []
    slow = [
        (item.sql, check.engine.value, check.elapsed_ms)
        for item, check in results
        if check.elapsed_ms > 10 * engine_settings.statement_timeout_ms  # stopped, not run out
    ]
    assert slow == []
    await assert_intact(engines, engine_settings, snapshot, fixture, data_before, tmp_path)
    ref_after, _ = await Validator(engines).validate(reference, "SELECT name, salary FROM emp")
    assert [c.digest for c in ref_after.checks] == [c.digest for c in ref_before.checks]


async def test_engine_defences_hold_without_the_parser(
    engine_settings: EngineSettings, sentinels: None, tmp_path: Path
) -> None:
    """The parser layer switched off: roles, read-only transactions, the authorizer and the
    timeouts alone must still stop every damaging statement."""
    bare: dict[Engine, SqlEngine] = {
        e: ENGINE_CLASSES[e](engine_settings, screen=False) for e in ALL
    }
    await asyncio.gather(*(e.start() for e in bare.values()))
    try:
        fixture = make_victim("hostile-bare")
        data_before = {
            e: (await r.check(fixture, "SELECT * FROM t", Level.FULL)).digest
            for e, r in bare.items()
        }
        snapshot = await snapshot_admin(engine_settings)
        statements = [s for s in list_hostile_statements(tmp_path) if s.damaging]
        results = await run_hostile(bare, fixture, statements)
        ran = [(item.sql, check.engine.value) for item, check in results if check.ok]
        assert ran == []
        await assert_intact(bare, engine_settings, snapshot, fixture, data_before, tmp_path)
    finally:
        await close_engines(bare)
