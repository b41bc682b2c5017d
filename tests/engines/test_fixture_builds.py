"""A fixture is built once per engine and reused by every record on it (#23): write checks leave
the next record the rows as built; PostgreSQL builds in fewer round trips with the same result."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from proto.common import Engine, Level
from proto.sample import TableRows
from shared.engines.base import SqlEngine
from shared.engines.fixture import Fixture
from shared.engines.postgres import PgFixture
from shared.engines.validator import Validator
from tests.engines.conftest import ALL, make_staff_fixture

pytestmark = pytest.mark.engines

SNAPSHOT = "SELECT id, name, dept_id, salary FROM emp"


def make_counter_fixture(tag: str) -> Fixture:
    """A table whose ids come from a sequence (SERIAL on PostgreSQL), filled by the rows."""
    ddl = f"-- {tag}\nCREATE TABLE tally (id SERIAL PRIMARY KEY, label VARCHAR(10) NOT NULL);"
    rows = TableRows(table="tally", columns=["label"], values=[["a"], ["b"], ["c"]])
    return Fixture(ddl=ddl, dialect=Engine.POSTGRES, rows=(rows,))


@pytest.mark.parametrize(
    ("first", "second", "affected"),
    [
        ("DELETE FROM emp", "UPDATE emp SET salary = 0", 6),
        ("UPDATE emp SET dept_id = 3", "DELETE FROM emp WHERE dept_id = 1", 3),
        ("INSERT INTO emp (id, name) VALUES (7, 'Gus')", "DELETE FROM emp WHERE id > 5", 1),
    ],
)
async def test_a_second_write_record_sees_the_rows_as_built(
    validator: Validator,
    engines: dict[Engine, SqlEngine],
    first: str,
    second: str,
    affected: int,
) -> None:
    fixture = make_staff_fixture(f"second-write-{first[:6]}")
    created = {engine: runner.fixtures.stats.created for engine, runner in engines.items()}
    before, _ = await validator.validate(fixture, SNAPSHOT)
    one, _ = await validator.validate(fixture, first, allow_writes=True)
    two, _ = await validator.validate(fixture, second, allow_writes=True)
    after, _ = await validator.validate(fixture, SNAPSHOT)
    assert all(c.ok for c in one.checks + two.checks), (one.checks, two.checks)
    # Had the first write stayed, the second would have matched another number of rows.
    assert {c.row_count for c in two.checks} == {affected}
    assert two.results_agree is True
    assert [c.digest for c in after.checks] == [c.digest for c in before.checks]
    # One instance of the schema per engine served all four records.
    assert {e: r.fixtures.stats.created - created[e] for e, r in engines.items()} == dict.fromkeys(
        ALL, 1
    )


async def test_a_write_record_after_another_gets_the_same_new_id(
    validator: Validator,
) -> None:
    fixture = make_counter_fixture("second-insert")
    sql = "INSERT INTO tally (label) VALUES ('d')"
    one, _ = await validator.validate(fixture, sql, allow_writes=True)
    two, _ = await validator.validate(fixture, sql, allow_writes=True)
    assert all(c.ok and c.row_count == 1 for c in one.checks + two.checks)
    # The table after the write (the new row's id included) is the same both times: the id
    # counter was put back after the first.
    assert [c.digest for c in two.checks] == [c.digest for c in one.checks]


@pytest.fixture
def postgres_requests(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """Requests that wait for the server's answer, written to any socket while the test runs:
    a simple query ('Q'), or messages ending in Sync ('S') or Flush ('H'), asyncpg's prepare.
    Each is one round trip; a write that ends otherwise is sent along with a later one."""
    from asyncio import selector_events

    requests: list[int] = []
    transport: Any = getattr(selector_events, "_SelectorSocketTransport")  # noqa: B009
    real_write = transport.write

    def write(self: Any, data: Any) -> None:
        sent = bytes(data)
        if sent[:1] == b"Q" or sent[-5:] in (b"S\x00\x00\x00\x04", b"H\x00\x00\x00\x04"):
            requests.append(1)
        real_write(self, data)

    monkeypatch.setattr(transport, "write", write)
    yield requests


async def test_postgres_builds_a_fixture_in_few_round_trips(
    engines: dict[Engine, SqlEngine], postgres_requests: list[int]
) -> None:
    runner = engines[Engine.POSTGRES]
    fixture = make_staff_fixture("few-round-trips")
    await asyncio.sleep(0)
    postgres_requests.clear()
    check = await runner.check_fixture(fixture)
    assert check.ok, check
    # Three statements (two CREATEs, the DDL's INSERT) and one table of rows: two round trips
    # each; then the role, the schema's set-up, the size and sequences (two), the grants
    # with the commit and the session reset. Before #23's batching it took 22.
    assert len(postgres_requests) <= 2 * (3 + 1) + 5, len(postgres_requests)
    assert (await runner.check(fixture, SNAPSHOT, Level.FULL)).row_count == 6


async def test_postgres_adopts_a_complete_copy_with_its_sequences(
    engines: dict[Engine, SqlEngine],
) -> None:
    runner = engines[Engine.POSTGRES]
    fixture = make_counter_fixture("adopted")
    async with runner.fixtures.lease(fixture) as built:
        assert isinstance(built, PgFixture)
    runner.fixtures.forget(fixture)  # the schema stays: the next lease finds it there
    async with runner.fixtures.lease(fixture) as adopted:
        assert isinstance(adopted, PgFixture)
    assert adopted.schema == built.schema
    assert adopted.sequences == built.sequences
    assert [last for _, last, _ in built.sequences] == [3]


@pytest.mark.parametrize("engine", ALL)
async def test_rows_that_break_a_key_fail_the_fixture(
    engines: dict[Engine, SqlEngine], engine: Engine
) -> None:
    ddl = "CREATE TABLE pair (id INTEGER PRIMARY KEY, note VARCHAR(10));"
    rows = TableRows(table="pair", columns=["id", "note"], values=[[1, "a"], [1, "b"]])
    fixture = Fixture(ddl=f"-- dup-key {engine.value}\n{ddl}", rows=(rows,))
    check = await engines[engine].check_fixture(fixture)
    assert not check.ok, check
    query = await engines[engine].check(fixture, "SELECT note FROM pair", Level.FULL)
    assert not query.ok and query.message and query.message.startswith("fixture:"), query
