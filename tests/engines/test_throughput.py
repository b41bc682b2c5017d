"""Checks per second per engine for a typical small query on a cached schema (a measurement;
run with -s to see the figures)."""

from __future__ import annotations

import asyncio
import time

import pytest

from proto.common import Engine, Level
from shared.engines.base import SqlEngine
from tests.engines.conftest import ALL, make_staff_fixture

pytestmark = [pytest.mark.engines, pytest.mark.slow]

SQL = (
    "SELECT dept_id, COUNT(*) AS n, AVG(salary) AS avg_salary FROM emp "
    "WHERE hired >= '{year}-01-01' GROUP BY dept_id ORDER BY dept_id"
)
CHECKS, CONCURRENCY = 400, 4


@pytest.mark.parametrize("engine", ALL)
async def test_checks_per_second_on_a_cached_schema(
    engines: dict[Engine, SqlEngine], engine: Engine
) -> None:
    runner = engines[engine]
    fixture = make_staff_fixture(f"throughput-{engine.value}")
    assert (await runner.check(fixture, SQL.format(year=2000), Level.FULL)).ok
    created = runner.fixtures.stats.created
    years = iter(range(1000, 1000 + CHECKS))  # distinct texts: no help from the parse cache

    async def worker() -> None:
        for year in years:
            check = await runner.check(fixture, SQL.format(year=year), Level.FULL)
            assert check.ok, check

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    rate = CHECKS / (time.perf_counter() - started)
    print(f"\n{engine.value}: {rate:.0f} checks/s ({CONCURRENCY} concurrent, full level)")
    assert runner.fixtures.stats.created == created  # every check reused the schema
