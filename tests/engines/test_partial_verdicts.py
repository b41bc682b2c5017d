"""One engine down does not discard the others' verdicts; the validator service still retries.

A real PostgreSQL (private, stopped mid-test) next to the real SQLite engine: SQLite keeps its
own verdict and digest, PostgreSQL's check is marked ENGINE_UNAVAILABLE, and the exception is
still an EngineUnavailable (the service's retry path).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
import pytest_asyncio

from proto import Blueprint, Draft, PromptStyle, SampleEnvelope, TableRows
from proto.common import Complexity, Engine, Level, Policy, TaskType
from proto.sample import ErrorClass
from shared.datasets.check import check_record, fixture_for, summarise
from shared.datasets.record import DatasetRecord
from shared.engines.base import SqlEngine
from shared.engines.fixture import Fixture
from shared.engines.registry import close_engines, open_engines
from shared.engines.settings import EngineSettings
from shared.engines.validator import PartialChecks, PartialValidation, Validator
from shared.errors import EngineUnavailable, is_retryable
from shared.pipeline.validate import ValidatorStage
from shared.runtime.local import LocalStack

pytestmark = [pytest.mark.engines, pytest.mark.slow]

DDL = "CREATE TABLE orders (id INTEGER PRIMARY KEY, total DECIMAL(12,2));"
ROWS = [TableRows(table="orders", columns=["id", "total"], values=[[1, 9.5], [2, 3.25]])]
SQL = "SELECT id FROM orders ORDER BY id"


@dataclass
class HalfDown:
    """SQLite and a PostgreSQL whose private server has been stopped."""

    engines: dict[Engine, SqlEngine]
    validator: Validator
    sqlite_digest: str


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def half_down() -> AsyncIterator[HalfDown]:
    private = await asyncio.to_thread(LocalStack.start, ["postgres"])
    try:
        assert not private.unavailable, private.unavailable
        settings = EngineSettings(postgres_dsn=private.dsn("postgres"), connect_timeout_s=2)
        engines = await open_engines(settings, [Engine.SQLITE, Engine.POSTGRES])
        try:
            validator = Validator(engines)
            record = make_record()
            clean, _ = await validator.validate(record_fixture(record), SQL)
            assert all(check.ok for check in clean.checks), clean.checks
            digest = clean.checks[0].digest
            assert digest is not None
            await asyncio.to_thread(private.stop)
            yield HalfDown(engines, validator, digest)
        finally:
            await close_engines(engines)
    finally:
        await asyncio.to_thread(private.stop)


def make_record(tag: str = "") -> DatasetRecord:
    """`tag` names a fixture not built yet: a cached one would not need the server."""
    return DatasetRecord(
        id="r1", source="test", line=1, sql=SQL, schema_ddl=f"-- {tag}\n{DDL}", rows=tuple(ROWS)
    )


def record_fixture(record: DatasetRecord) -> Fixture:
    return fixture_for(record, Engine.SQLITE)


async def test_validate_keeps_the_available_engines_verdicts(half_down: HalfDown) -> None:
    with pytest.raises(PartialValidation) as caught:
        await half_down.validator.validate(record_fixture(make_record()), SQL)
    partial = caught.value
    assert isinstance(partial, EngineUnavailable) and is_retryable(partial)
    assert set(partial.unavailable) == {Engine.POSTGRES}
    sqlite, postgres = partial.validation.checks
    assert sqlite.engine is Engine.SQLITE and sqlite.ok
    assert sqlite.digest == half_down.sqlite_digest and sqlite.row_count == 2
    assert postgres.engine is Engine.POSTGRES and not postgres.ok
    assert postgres.error_class is ErrorClass.ENGINE_UNAVAILABLE
    assert postgres.message and postgres.message.startswith("postgres:")
    # One engine's digest is no agreement, and no disagreement either.
    assert partial.validation.results_agree is None
    assert partial.sql_by_engine[Engine.SQLITE] == SQL


async def test_check_fixture_keeps_the_available_engines_verdicts(half_down: HalfDown) -> None:
    with pytest.raises(PartialChecks) as caught:
        await half_down.validator.check_fixture(record_fixture(make_record("schema")))
    checks = caught.value.checks
    assert checks[Engine.SQLITE].ok
    assert checks[Engine.POSTGRES].error_class is ErrorClass.ENGINE_UNAVAILABLE


async def test_a_dataset_record_reports_each_engines_own_verdict(half_down: HalfDown) -> None:
    engines = [Engine.SQLITE, Engine.POSTGRES]
    result = await check_record(
        half_down.validator,
        make_record("record"),
        engines,
        level=Level.FULL,
        policy=Policy.PORTABLE,
    )
    assert result.error is not None and "postgres" in result.error
    assert result.schema_ok(Engine.SQLITE) and not result.schema_ok(Engine.POSTGRES)
    assert result.query_ok(Engine.SQLITE) and not result.query_ok(Engine.POSTGRES)
    assert result.non_empty(Engine.SQLITE)
    row = result.to_json()
    assert row["query_valid"] == {"sqlite": True, "postgres": False}
    classes = {c["engine"]: c["error_class"] for c in row["query_checks"]}
    assert classes == {"sqlite": None, "postgres": "engine_unavailable"}
    summary = summarise([result], engines, Level.FULL)
    assert summary["errors"] == 1
    assert summary["query_valid"]["sqlite"] == 1.0 and summary["query_valid"]["postgres"] == 0.0


async def test_the_validator_stage_still_retries_with_the_verdicts_on_the_sample(
    half_down: HalfDown,
) -> None:
    draft = Draft(
        domain="retail",
        schema_ddl=DDL,
        rows=ROWS,
        sql=SQL,
        question="Which order ids are there, in order?",
        prompt_style=PromptStyle.DIRECT,
        explanation="Lists every order id.",
        task_type=TaskType.RETRIEVAL,
        complexity=Complexity.EASY,
    )
    envelope = SampleEnvelope(
        run_id="r",
        sample_id="r-1",
        engines=[Engine.SQLITE, Engine.POSTGRES],
        blueprint=Blueprint(domain="retail"),
        draft=draft,
    )
    stage = ValidatorStage(half_down.validator, set(half_down.engines), sense=False)
    try:
        with pytest.raises(EngineUnavailable):  # the delivery policy naks and retries it
            await stage(envelope)
    finally:
        stage.close()
    assert envelope.validation is not None
    verdicts = {c.engine: c.error_class for c in envelope.validation.checks}
    assert verdicts == {Engine.SQLITE: None, Engine.POSTGRES: ErrorClass.ENGINE_UNAVAILABLE}
