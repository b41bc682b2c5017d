"""External proof (issue 15): BIRD mini-dev's gold SQL, text unchanged, each dialect on its own
engine. PostgreSQL at least 99% query-valid, and no failure on any engine caused by our
rendering: every failure is one of the gold SQL's own, classified (docs/validation.md)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from proto.common import Engine, Level, Policy
from shared.datasets import load_dataset
from shared.datasets.check import RecordResult, check_records
from shared.engines.base import SqlEngine
from shared.engines.registry import close_engines, open_engines
from shared.engines.validator import Validator
from shared.runtime.local import LocalStack
from tests.engines.conftest import make_settings

pytestmark = [pytest.mark.engines, pytest.mark.slow]

BIRD = Path(__file__).resolve().parents[3] / "shared" / "data" / "bird_minidev"
# The gold SQL's own failures, by engine: what a stock server rejects whatever the schema's
# spelling (a loose GROUP BY; an alias written `t` and used as `T`, case-sensitive on Linux;
# a division by zero that only the row-less BIRD schemas produce).
GOLD_OWN: dict[Engine, re.Pattern[str]] = {
    Engine.POSTGRES: re.compile(r"must appear in the GROUP BY clause|division by zero"),
    Engine.MYSQL: re.compile(
        r"isn't in GROUP BY|Mixing of GROUP columns|Unknown column '(T|T1|T2)\.\w+'"
    ),
    Engine.SQLITE: re.compile(r"^$"),
}
FILES = {
    Engine.POSTGRES: "mini_dev_postgresql.json",
    Engine.MYSQL: "mini_dev_mysql.json",
    Engine.SQLITE: "mini_dev_sqlite.json",
}


async def check_file(engine: Engine, runner: SqlEngine) -> list[RecordResult]:
    records = list(load_dataset(BIRD / FILES[engine]))
    assert len(records) == 500
    return await check_records(
        Validator({engine: runner}),
        records,
        [engine],
        level=Level.FULL,
        policy=Policy.PORTABLE,
        concurrency=4,
    )


@pytest_asyncio.fixture(loop_scope="session")
async def patient(stack: LocalStack) -> AsyncIterator[dict[Engine, SqlEngine]]:
    """A budget the gold SQL cannot exhaust on a loaded 2-core machine: this test asks whether
    it runs, not how fast (record 383 ran 10.3 s on PostgreSQL beside stress-ng, 10 s failed)."""
    opened = await open_engines(make_settings(stack, statement_timeout_ms=30_000), list(FILES))
    try:
        yield opened
    finally:
        await close_engines(opened)


@pytest.mark.parametrize("engine", list(FILES))
async def test_bird_gold_sql_runs_on_its_own_engine(
    patient: dict[Engine, SqlEngine], engine: Engine
) -> None:
    if not BIRD.is_dir():
        pytest.fail(f"BIRD mini-dev is missing: {BIRD}")
    results = await check_file(engine, patient[engine])
    assert all(r.schema and r.schema[engine].ok for r in results)
    failed = [
        (r.record.id, c.message or "")
        for r in results
        if r.validation is not None
        for c in r.validation.checks
        if not c.ok
    ]
    not_gold = [(i, m) for i, m in failed if not GOLD_OWN[engine].search(m)]
    assert not_gold == []
    valid = 1 - len(failed) / len(results)
    if engine is Engine.POSTGRES:
        assert valid >= 0.99
