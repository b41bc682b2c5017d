"""The dataset check's bookkeeping with a stand-in validator: order, any/all, errors kept."""

from __future__ import annotations

import asyncio
import random

from proto.common import Engine, Level, Policy
from proto.sample import EngineCheck, ErrorClass, Validation
from shared.datasets import DatasetRecord
from shared.datasets.check import check_records, summarise
from shared.engines.fixture import Fixture

ENGINES = [Engine.SQLITE, Engine.POSTGRES, Engine.MYSQL]


class ScriptedValidator:
    """Verdicts read from the record: extra["schema"]/["query"]/["rows"] list the engines that
    pass; extra["boom"] makes the validator raise, like an engine that went away."""

    async def check_fixture(self, fixture: Fixture) -> dict[Engine, EngineCheck]:
        await asyncio.sleep(random.random() / 1000)
        passing = set(fixture.ddl.split(",")) if fixture.ddl else set()
        return {
            e: EngineCheck(engine=e, level=Level.SCHEMA, ok=e.value in passing) for e in ENGINES
        }

    async def validate(
        self,
        fixture: Fixture,
        sql: str,
        *,
        sql_dialect: Engine,
        level: Level,
        policy: Policy,
        allow_writes: bool = False,
    ) -> tuple[Validation, dict[Engine, str]]:
        await asyncio.sleep(random.random() / 1000)
        if sql == "boom":
            raise ConnectionError("server went away")
        query, rows = sql.split("|")
        checks = [
            EngineCheck(
                engine=e,
                level=level,
                ok=e.value in query.split(","),
                row_count=1 if e.value in rows.split(",") else 0,
                error_class=None if e.value in query.split(",") else ErrorClass.QUERY,
            )
            for e in ENGINES
        ]
        return Validation(level=level, policy=policy, checks=checks), dict.fromkeys(ENGINES, sql)


def make_record(index: int, schema: set[str], query: set[str], rows: set[str]) -> DatasetRecord:
    sql = ",".join(sorted(query)) + "|" + ",".join(sorted(rows))
    return DatasetRecord(id=str(index), sql=sql, schema_ddl=",".join(sorted(schema)) or None)


def planned(record: DatasetRecord) -> tuple[set[str], set[str], set[str]]:
    """The engines make_record asked to pass: schema, query, non-empty result."""
    query, rows = record.sql.split("|")
    schema_set, query_set, rows_set = (
        set(filter(None, part.split(","))) for part in (record.schema_ddl or "", query, rows)
    )
    return schema_set, query_set, rows_set


def random_records(count: int, rng: random.Random) -> list[DatasetRecord]:
    names = [e.value for e in ENGINES]
    records = []
    for index in range(count):
        schema = {n for n in names if rng.random() < 0.8}
        query = {n for n in schema if rng.random() < 0.7}
        rows = {n for n in query if rng.random() < 0.6}
        records.append(make_record(index, schema, query, rows))
    return records


async def test_results_keep_input_order_and_fractions_match_the_verdicts() -> None:
    rng = random.Random(7)
    records = random_records(200, rng)
    seen: list[str] = []
    results = await check_records(
        ScriptedValidator(),
        records,
        ENGINES,
        level=Level.FULL,
        policy=Policy.PORTABLE,
        concurrency=8,
        on_result=lambda r: seen.append(r.record.id),
    )
    assert [r.record.id for r in results] == [r.id for r in records]
    assert sorted(seen) == sorted(r.id for r in records)
    summary = summarise(results, ENGINES, Level.FULL)
    assert summary["rows"] == 200 and summary["errors"] == 0
    verdicts = [planned(r) for r in records]
    for position, key in enumerate(("schema_valid", "query_valid", "non_empty")):
        sets = [v[position] for v in verdicts]
        for engine in ENGINES:
            assert summary[key][engine.value] == sum(engine.value in s for s in sets) / 200
        assert summary[key]["any"] == sum(bool(s) for s in sets) / 200
        assert summary[key]["all"] == sum(len(s) == len(ENGINES) for s in sets) / 200
    failures = summary["failures"]["query"]
    for engine in ENGINES:
        failed = sum(engine.value not in v[1] for v in verdicts)
        assert failures[engine.value].get("query_error", 0) == failed


async def test_a_raising_validator_costs_one_record_not_the_run() -> None:
    records = [make_record(0, {"sqlite"}, {"sqlite"}, set())]
    records.append(DatasetRecord(id="1", sql="boom", schema_ddl="sqlite"))
    results = await check_records(
        ScriptedValidator(), records, ENGINES, level=Level.FULL, policy=Policy.PORTABLE
    )
    assert results[0].error is None and results[0].query_ok(Engine.SQLITE)
    assert results[1].error is not None and "server went away" in results[1].error
    assert not any(results[1].query_ok(e) for e in ENGINES)
    summary = summarise(results, ENGINES, Level.FULL)
    assert summary["errors"] == 1
    assert summary["failures"]["query"]["sqlite"] == {"engine_unavailable": 1}
    assert results[1].to_json()["error"] == results[1].error


async def test_levels_below_full_have_no_non_empty_figure() -> None:
    records = random_records(5, random.Random(1))
    results = await check_records(
        ScriptedValidator(), records, ENGINES, level=Level.SCHEMA, policy=Policy.PORTABLE
    )
    summary = summarise(results, ENGINES, Level.SCHEMA)
    assert summary["non_empty"] is None and summary["results_agree"] is None
    empty = summarise([], ENGINES, Level.FULL)
    assert empty["rows"] == 0 and empty["query_valid"]["any"] is None
