"""One check the evolution tests share: evolved SQL runs on SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

from collections.abc import Iterable

from proto.common import Engine
from shared.engines.fixture import Fixture
from shared.engines.registry import close_engines, open_engines
from shared.engines.settings import EngineSettings
from shared.engines.validator import Validator
from shared.runtime.local import LocalStack


async def assert_valid_on_three_engines(
    stack: LocalStack, schema: str, sqls: Iterable[str], *, agree: bool = True
) -> None:
    """Every statement passes every engine's checks on `schema` (and, with `agree`, no two
    engines give different results)."""
    settings = EngineSettings(postgres_dsn=stack.dsn("postgres"), mysql_dsn=stack.dsn("mysql"))
    engines = await open_engines(settings, list(Engine))
    try:
        validator = Validator(engines)
        fixture = Fixture(schema)
        for sql in sqls:
            validation, _ = await validator.validate(fixture, sql)
            assert all(c.ok for c in validation.checks), (sql, validation.checks)
            if agree:
                assert validation.results_agree is not False, sql
    finally:
        await close_engines(engines)
