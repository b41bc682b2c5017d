"""A schema is created once per engine and reused; evicted, dropped, rebuilt when lost."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from proto.common import Engine, Level
from proto.sample import ErrorClass
from shared.engines.base import SqlEngine
from shared.engines.fixture import Fixture
from shared.engines.registry import close_engines, open_engines
from shared.engines.settings import EngineSettings
from shared.engines.sqlite import SqliteEngine
from shared.runtime.local import LocalStack
from tests.engines.admin import count_scratch_copies, fetch_mysql, fetch_pg
from tests.engines.conftest import ALL, make_settings, make_staff_fixture

pytestmark = pytest.mark.engines

SQL = "SELECT dept_id, COUNT(*) FROM emp GROUP BY dept_id"


@pytest.mark.parametrize("engine", ALL)
async def test_concurrent_checks_create_the_schema_once(
    engines: dict[Engine, SqlEngine], engine_settings: EngineSettings, engine: Engine
) -> None:
    fixture = make_staff_fixture(f"cache-once-{engine.value}")
    runner = engines[engine]
    before = runner.fixtures.stats.created
    checks = await asyncio.gather(*(runner.check(fixture, SQL, Level.FULL) for _ in range(12)))
    checks += [await runner.check(fixture, SQL, level) for level in Level]
    assert all(c.ok for c in checks)
    assert len({c.digest for c in checks if c.digest}) == 1
    assert runner.fixtures.stats.created - before == 1
    if engine is not Engine.SQLITE:
        assert (await count_scratch_copies(engine_settings, runner.scratch_name(fixture)))[
            engine.value
        ] == 1


async def test_eviction_drops_the_oldest_schema(stack: LocalStack) -> None:
    settings = make_settings(stack, schema_cache_size=2)
    opened = await open_engines(settings, ALL)
    fixtures = [make_staff_fixture(f"evict-{i}") for i in range(3)]
    try:
        for fixture in fixtures:
            for runner in opened.values():
                assert (await runner.check(fixture, SQL, Level.FULL)).ok
        names = [opened[Engine.POSTGRES].scratch_name(f) for f in fixtures]
        assert await count_scratch_copies(settings, names[0]) == {"postgres": 0, "mysql": 0}
        assert await count_scratch_copies(settings, names[2]) == {"postgres": 1, "mysql": 1}
        for runner in opened.values():
            assert runner.fixtures.stats.evicted == 1 and len(runner.fixtures) == 2
            assert (await runner.check(fixtures[0], SQL, Level.FULL)).ok  # rebuilt on demand
            assert runner.fixtures.stats.created == 4
    finally:
        await close_engines(opened)
    # drop_on_close: the scratch schemas were only a cache.
    assert await count_scratch_copies(settings, names[2]) == {"postgres": 0, "mysql": 0}


async def test_a_schema_dropped_behind_our_back_is_rebuilt(
    engines: dict[Engine, SqlEngine], engine_settings: EngineSettings
) -> None:
    fixture = make_staff_fixture("dropped-behind")
    first = {e: await engines[e].check(fixture, SQL, Level.FULL) for e in ALL}
    name = engines[Engine.POSTGRES].scratch_name(fixture)
    await fetch_pg(engine_settings, f"DROP SCHEMA {name} CASCADE")
    await fetch_mysql(engine_settings, f"DROP DATABASE {name}")
    await fetch_mysql(
        engine_settings,
        f"DELETE FROM {engine_settings.sandbox_prefix}_ctl.fixtures WHERE name = %s",
        name,
    )
    for engine in (Engine.POSTGRES, Engine.MYSQL):
        again = await engines[engine].check(fixture, SQL, Level.FULL)
        assert again.ok and again.digest == first[engine].digest, again


@pytest.mark.parametrize(
    "dropped_by_another",
    [
        # Another engine sharing the run's secret evicted it: schema, then role.
        ('DROP SCHEMA "{name}" CASCADE', 'DROP ROLE "{name}"'),
        # ...and rebuilt it for its own query account: the role is there, ours is no member.
        ('REVOKE "{name}" FROM {query}',),
    ],
    ids=["schema-and-role", "membership"],
)
async def test_a_postgres_fixture_role_lost_behind_our_back_is_rebuilt(
    engines: dict[Engine, SqlEngine],
    engine_settings: EngineSettings,
    dropped_by_another: tuple[str, ...],
) -> None:
    runner = engines[Engine.POSTGRES]
    fixture = make_staff_fixture(f"role-lost-{len(dropped_by_another)}")
    first = await runner.check(fixture, SQL, Level.FULL)
    name, query = runner.scratch_name(fixture), f"{engine_settings.sandbox_prefix}_query"
    for statement in dropped_by_another:
        await fetch_pg(engine_settings, statement.format(name=name, query=query))
    again = await runner.check(fixture, SQL, Level.FULL)
    assert first.ok and again.ok and again.digest == first.digest, again


async def test_a_mysql_fixture_dropped_with_its_role_behind_our_back_is_rebuilt(
    engines: dict[Engine, SqlEngine], engine_settings: EngineSettings
) -> None:
    runner = engines[Engine.MYSQL]
    fixture = make_staff_fixture("mysql-role-lost")
    first = await runner.check(fixture, SQL, Level.FULL)
    name = runner.scratch_name(fixture)
    control = f"{engine_settings.sandbox_prefix}_ctl.fixtures"
    await fetch_mysql(engine_settings, f"DELETE FROM {control} WHERE name = %s", name)
    for statement in (f"DROP DATABASE {name}", f"DROP ROLE {name}"):
        await fetch_mysql(engine_settings, statement)
    again = await runner.check(fixture, SQL, Level.FULL)
    assert first.ok and again.ok and again.digest == first.digest, again


@pytest.mark.parametrize("engine", ALL)
async def test_a_failed_fixture_is_answered_from_the_cache(
    engines: dict[Engine, SqlEngine], engine: Engine
) -> None:
    broken = Fixture(
        f"CREATE TABLE t_{engine.value} (a INTEGER REFERENCES nowhere_at_all(id) , a INT)"
    )
    runner = engines[engine]
    failed = runner.fixtures.stats.failed
    first = await runner.check(broken, "SELECT 1", Level.FULL)
    second = await runner.check(broken, "SELECT 1", Level.FULL)
    assert first.error_class is ErrorClass.SCHEMA and second.message == first.message
    assert runner.fixtures.stats.failed == failed + 1


async def test_sqlite_dir_keeps_fixture_files(tmp_path: Path) -> None:
    fixture = make_staff_fixture("sqlite-files")
    settings = EngineSettings(sqlite_dir=str(tmp_path), drop_on_close=False)
    first = SqliteEngine(settings)
    name = first.scratch_name(fixture)
    await first.start()
    check = await first.check(fixture, SQL, Level.FULL)
    await first.close()
    assert check.ok and [p.name for p in tmp_path.iterdir()] == [f"{name}.sqlite"]
    # A second process reuses the file instead of building the fixture again.
    # Replicas of one run share the run's secret, so they find each other's fixtures.
    shared = EngineSettings(sqlite_dir=str(tmp_path), fixture_secret=settings.fixture_secret)
    second = SqliteEngine(shared)
    await second.start()
    again = await second.check(fixture, SQL, Level.FULL)
    assert again.digest == check.digest
    await second.close()
    assert list(tmp_path.iterdir()) == []  # drop_on_close (the default) removes it
