"""Engines opened once per session on the private stack, plus fixtures shared by the tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from proto.common import Engine
from proto.sample import TableRows
from shared.engines.base import SqlEngine
from shared.engines.fixture import Fixture
from shared.engines.registry import close_engines, open_engines
from shared.engines.settings import EngineSettings
from shared.engines.validator import Validator
from shared.runtime.local import LocalStack

ALL = list(Engine)


# Tests of what a statement returns, not of how long it may take, get a budget a loaded 2-core
# machine (CI, or a run beside stress-ng) cannot exhaust: a GROUP BY on a warm PostgreSQL took
# 1.46 s there once. The 1 s budget is kept for the tests of timeouts and hostile statements,
# which ask for `tight_settings` / `tight_engines`.
ROOMY_TIMEOUT_MS = 15_000
TIGHT_TIMEOUT_MS = 1_000


def make_settings(stack: LocalStack, **overrides: object) -> EngineSettings:
    values: dict[str, object] = {
        "postgres_dsn": stack.dsn("postgres"),
        "mysql_dsn": stack.dsn("mysql"),
        "statement_timeout_ms": TIGHT_TIMEOUT_MS,
        "max_rows": 200,
    }
    values.update(overrides)
    return EngineSettings.model_validate(values)


@pytest.fixture(scope="session")
def engine_settings(stack: LocalStack) -> EngineSettings:
    return make_settings(stack, statement_timeout_ms=ROOMY_TIMEOUT_MS)


@pytest.fixture(scope="session")
def tight_settings(stack: LocalStack) -> EngineSettings:
    return make_settings(stack, statement_timeout_ms=TIGHT_TIMEOUT_MS)


async def _opened(settings: EngineSettings) -> AsyncIterator[dict[Engine, SqlEngine]]:
    opened = await open_engines(settings, ALL)
    try:
        yield opened
    finally:
        await close_engines(opened)


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def engines(engine_settings: EngineSettings) -> AsyncIterator[dict[Engine, SqlEngine]]:
    async for opened in _opened(engine_settings):
        yield opened


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def tight_engines(tight_settings: EngineSettings) -> AsyncIterator[dict[Engine, SqlEngine]]:
    async for opened in _opened(tight_settings):
        yield opened


@pytest.fixture(scope="session")
def validator(engines: dict[Engine, SqlEngine]) -> Validator:
    return Validator(engines)


def make_staff_fixture(tag: str = "") -> Fixture:
    """A small HR schema; `tag` makes a distinct fixture (its own scratch schema) per test."""
    ddl = (
        f"-- {tag}\n"
        "CREATE TABLE dept (id INTEGER PRIMARY KEY, name VARCHAR(20) NOT NULL);\n"
        "CREATE TABLE emp (id INTEGER PRIMARY KEY, name VARCHAR(40), dept_id INTEGER "
        "REFERENCES dept(id), salary DECIMAL(10,2), rating REAL, hired DATE);\n"
        "INSERT INTO dept (id, name) VALUES (1, 'eng'), (2, 'ops'), (3, 'hr');"
    )
    emp = TableRows(
        table="emp",
        columns=["id", "name", "dept_id", "salary", "rating", "hired"],
        values=[
            [1, "Ann", 1, 100.5, 4.5, "2020-01-02"],
            [2, "Bob", 1, 90, 3.25, "2021-03-04"],
            [3, "Cid", 2, 70.25, None, "2019-05-06"],
            [4, "Dee", 2, 70.25, 4.0, "2018-07-08"],
            [5, "Eve", 1, 120, 2.5, "2022-09-10"],
            [6, "Fay", None, 55.1, 3.0, "2023-11-12"],
        ],
    )
    return Fixture(ddl=ddl, rows=(emp,))
