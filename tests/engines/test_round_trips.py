"""Round trips a check spends on PostgreSQL and MariaDB (#23): no fetch only to learn that a
result is over, no ROLLBACK that the session reset makes anyway; the verdicts stay the same."""

from __future__ import annotations

from typing import Any

import aiomysql
import pytest
from asyncpg.cursor import Cursor

from proto.common import Engine, Level
from shared.engines.base import SqlEngine
from shared.engines.postgres import QueryConnection, reset_unless_done
from shared.engines.validator import Validator
from tests.engines.conftest import make_staff_fixture

pytestmark = pytest.mark.engines

FIXTURE = make_staff_fixture("round-trips")
SNAPSHOT = "SELECT id, name, dept_id, salary FROM emp"


@pytest.mark.parametrize(
    ("sql", "rows"),
    [
        ("SELECT id FROM emp WHERE id > 100", 0),
        ("SELECT id FROM emp WHERE id <= 3", 3),  # under the first chunk (4)
        ("SELECT id FROM emp WHERE id <= 4", 4),  # exactly the first chunk
        ("SELECT id FROM emp", 6),  # the second chunk comes back short
        ("SELECT a.id FROM emp a CROSS JOIN emp b", 36),
    ],
)
async def test_postgres_stops_fetching_at_a_short_chunk(
    engines: dict[Engine, SqlEngine], monkeypatch: pytest.MonkeyPatch, sql: str, rows: int
) -> None:
    fetched: list[tuple[int, int]] = []
    real = Cursor.fetch

    async def counted(self: Cursor[Any], n: int, *, timeout: float | None = None) -> Any:
        chunk = await real(self, n, timeout=timeout)
        fetched.append((n, len(chunk)))
        return chunk

    monkeypatch.setattr(Cursor, "fetch", counted)
    check = await engines[Engine.POSTGRES].check(FIXTURE, sql, Level.FULL)
    assert check.ok, check
    assert check.row_count == rows
    # Every chunk but the last came back full; the last is the first short one (it may be
    # empty only when the one before it was full).
    assert all(got == asked for asked, got in fetched[:-1])
    assert fetched[-1][1] < fetched[-1][0]


async def test_postgres_still_sees_one_row_past_the_cap(
    engines: dict[Engine, SqlEngine],
) -> None:
    limit = engines[Engine.POSTGRES].settings.max_rows
    sql = "SELECT a.id FROM emp a CROSS JOIN emp b CROSS JOIN emp c"  # 216 rows
    assert limit < 6**3
    check = await engines[Engine.POSTGRES].check(FIXTURE, sql, Level.FULL)
    assert not check.ok and check.row_count == limit + 1


async def test_mariadb_resets_without_a_separate_rollback(
    validator: Validator, monkeypatch: pytest.MonkeyPatch
) -> None:
    rollbacks: list[object] = []
    real = aiomysql.Connection.rollback

    async def counted(self: aiomysql.Connection) -> None:
        rollbacks.append(self)
        await real(self)

    monkeypatch.setattr(aiomysql.Connection, "rollback", counted)
    before, _ = await validator.validate(FIXTURE, SNAPSHOT)
    write = "UPDATE emp SET salary = salary * 2 WHERE dept_id = 1"
    validation, _ = await validator.validate(FIXTURE, write, allow_writes=True)
    after, _ = await validator.validate(FIXTURE, SNAPSHOT)
    mysql = [c for c in validation.checks if c.engine is Engine.MYSQL]
    assert mysql and mysql[0].ok and mysql[0].row_count == 3
    # The write is gone for every later check: COM_RESET_CONNECTION rolled it back.
    assert [c.digest for c in after.checks] == [c.digest for c in before.checks]
    assert not rollbacks


async def test_postgres_ends_a_check_with_one_rollback_and_reset(
    engines: dict[Engine, SqlEngine], monkeypatch: pytest.MonkeyPatch
) -> None:
    sent: list[str] = []
    real = QueryConnection.execute

    async def recorded(self: QueryConnection, query: str, *args: Any, **kwargs: Any) -> Any:
        sent.append(query)
        return await real(self, query, *args, **kwargs)

    monkeypatch.setattr(QueryConnection, "execute", recorded)
    check = await engines[Engine.POSTGRES].check(FIXTURE, SNAPSHOT, Level.FULL)
    assert check.ok, check
    ends = [q for q in sent if q.startswith("ROLLBACK")]
    assert len(ends) == 1 and "RESET ALL" in ends[0]
    assert not any(q.startswith("SELECT pg_advisory_unlock_all") for q in sent)  # no 2nd reset


async def test_postgres_resets_a_session_whose_check_did_not_end(
    engines: dict[Engine, SqlEngine],
) -> None:
    """The pool's reset hook still resets a connection end_check did not reach."""
    pool = engines[Engine.POSTGRES]._query  # type: ignore[attr-defined]
    async with pool.acquire() as conn:
        await conn.execute("SET application_name = 'left-behind'")
        await reset_unless_done(conn)
        assert await conn.fetchval("SHOW application_name") != "left-behind"
