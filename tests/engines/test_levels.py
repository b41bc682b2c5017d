"""The three levels of DataFramer on every engine: syntax, schema, full."""

from __future__ import annotations

import pytest

from proto.common import Engine, Level
from proto.sample import ErrorClass
from shared.engines.base import SqlEngine
from shared.engines.fixture import Fixture
from tests.engines.conftest import ALL, make_staff_fixture

pytestmark = pytest.mark.engines

FIXTURE = make_staff_fixture("levels")


@pytest.mark.parametrize("engine", ALL)
async def test_valid_query_passes_every_level(
    engines: dict[Engine, SqlEngine], engine: Engine
) -> None:
    sql = "SELECT name, salary FROM emp WHERE dept_id = 1"
    for level in Level:
        check = await engines[engine].check(FIXTURE, sql, level)
        assert check.ok, check
        assert (check.engine, check.level, check.sql) == (engine, level, sql)
    full = await engines[engine].check(FIXTURE, sql, Level.FULL)
    assert full.row_count == 3 and full.digest and full.digest.startswith("c2:")


@pytest.mark.parametrize("engine", ALL)
async def test_unknown_table_parses_but_does_not_prepare(
    engines: dict[Engine, SqlEngine], engine: Engine
) -> None:
    sql = "SELECT name FROM missing_table WHERE id = 1"
    syntax = await engines[engine].check(FIXTURE, sql, Level.SYNTAX)
    schema = await engines[engine].check(FIXTURE, sql, Level.SCHEMA)
    assert syntax.ok, syntax
    assert not schema.ok and schema.error_class is ErrorClass.QUERY
    assert "missing_table" in (schema.message or "")


@pytest.mark.parametrize("engine", ALL)
async def test_unknown_function_is_a_query_error(
    engines: dict[Engine, SqlEngine], engine: Engine
) -> None:
    check = await engines[engine].check(FIXTURE, "SELECT no_such_fn(name) FROM emp", Level.FULL)
    assert not check.ok and check.error_class is ErrorClass.QUERY, check
    assert "no_such_fn" in (check.message or "").lower()


@pytest.mark.parametrize("engine", ALL)
async def test_syntax_error_fails_at_every_level(
    engines: dict[Engine, SqlEngine], engine: Engine
) -> None:
    for level in Level:
        check = await engines[engine].check(FIXTURE, "SELECT name FROM emp WHERE", level)
        assert not check.ok and check.error_class is ErrorClass.SYNTAX, check


async def test_syntax_level_asks_the_engine_parser(engines: dict[Engine, SqlEngine]) -> None:
    # sqlglot reads FULL OUTER JOIN in every dialect; MariaDB's own parser does not have it.
    sql = "SELECT a.id FROM emp a FULL OUTER JOIN dept b ON a.dept_id = b.id"
    checks = {e: await engines[e].check(FIXTURE, sql, Level.SYNTAX) for e in ALL}
    assert checks[Engine.SQLITE].ok and checks[Engine.POSTGRES].ok
    assert not checks[Engine.MYSQL].ok and checks[Engine.MYSQL].error_class is ErrorClass.SYNTAX
    assert "syntax" in (checks[Engine.MYSQL].message or "").lower()


async def test_runtime_error_shows_only_at_full_level(engines: dict[Engine, SqlEngine]) -> None:
    # Division by zero is an error on PostgreSQL when the row is computed, NULL elsewhere.
    sql = "SELECT id / (id - id) FROM emp"
    pg = engines[Engine.POSTGRES]
    assert (await pg.check(FIXTURE, sql, Level.SCHEMA)).ok
    full = await pg.check(FIXTURE, sql, Level.FULL)
    assert not full.ok and full.error_class is ErrorClass.QUERY and "zero" in (full.message or "")


@pytest.mark.parametrize("engine", ALL)
async def test_broken_fixture_is_a_schema_error_at_schema_and_full(
    engines: dict[Engine, SqlEngine], engine: Engine
) -> None:
    broken = Fixture("CREATE TABLE dup (id INTEGER, id INTEGER)")
    for level in (Level.SCHEMA, Level.FULL):
        check = await engines[engine].check(broken, "SELECT id FROM dup", level)
        assert not check.ok and check.error_class is ErrorClass.SCHEMA, check
        assert check.message and check.message.startswith("fixture:")
    # The syntax level does not need the fixture.
    assert (await engines[engine].check(broken, "SELECT id FROM dup", Level.SYNTAX)).ok
    fixture_check = await engines[engine].check_fixture(broken)
    assert not fixture_check.ok and fixture_check.error_class is ErrorClass.SCHEMA


@pytest.mark.parametrize("engine", ALL)
async def test_bad_row_values_are_a_schema_error(
    engines: dict[Engine, SqlEngine], engine: Engine
) -> None:
    from proto.sample import TableRows

    rows = (TableRows(table="n", columns=["id", "d"], values=[[1, "not a date"]]),)
    fixture = Fixture("CREATE TABLE n (id INTEGER PRIMARY KEY, d DATE)", rows=rows)
    check = await engines[engine].check_fixture(fixture)
    if engine is Engine.SQLITE:
        assert check.ok  # SQLite stores any text in a DATE column
    else:
        assert not check.ok and check.error_class is ErrorClass.SCHEMA, check


async def test_check_fixture_reports_every_engine(validator: object) -> None:
    from shared.engines.validator import Validator

    assert isinstance(validator, Validator)
    checks = await validator.check_fixture(FIXTURE)
    assert set(checks) == set(ALL)
    assert all(c.ok and c.level is Level.SCHEMA for c in checks.values())
