"""Validate dataset records on engines and sum them up the way DataFramer's table does.

Per record and engine: "schema valid" = the fixture (DDL + rows) executes there; "query valid" =
the query passes the requested level there (at level full: it executes, whether or not it
returns rows, as in DataFramer); "non-empty" = it also returned at least one row. Each figure is
also given on `any` and on `all` of the engines that were run.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from proto.common import Engine, Level, Policy
from proto.sample import EngineCheck, ErrorClass, Validation
from shared.datasets.record import DatasetRecord, LoadError
from shared.record_scope import record_scope

if TYPE_CHECKING:
    from shared.engines.fixture import Fixture

ANY, ALL = "any", "all"
HAS_ROWS = re.compile(r"\bINSERT\s+INTO\b", re.I)


class RecordValidator(Protocol):
    """What we use of shared.engines.validator.Validator."""

    async def check_fixture(self, fixture: Fixture) -> dict[Engine, EngineCheck]: ...

    async def validate(
        self,
        fixture: Fixture,
        sql: str,
        *,
        sql_dialect: Engine,
        level: Level,
        policy: Policy,
        allow_writes: bool = ...,
    ) -> tuple[Validation, dict[Engine, str]]: ...


@dataclass
class RecordResult:
    record: DatasetRecord
    engines: list[Engine]
    schema: dict[Engine, EngineCheck] = field(default_factory=dict)
    validation: Validation | None = None
    sql_by_engine: dict[Engine, str] = field(default_factory=dict)
    # An exception while validating (an engine went away): no verdict for this record.
    error: str | None = None
    elapsed_ms: float = 0.0

    def query_checks(self, engine: Engine) -> list[EngineCheck]:
        if self.validation is None:
            return []
        return [check for check in self.validation.checks if check.engine is engine]

    def schema_ok(self, engine: Engine) -> bool:
        check = self.schema.get(engine)
        return check is not None and check.ok

    def query_ok(self, engine: Engine) -> bool:
        checks = self.query_checks(engine)
        return bool(checks) and all(check.ok for check in checks)

    def non_empty(self, engine: Engine) -> bool:
        checks = self.query_checks(engine)
        return self.query_ok(engine) and any((c.row_count or 0) > 0 for c in checks)

    def to_json(self) -> dict[str, Any]:
        record = self.record
        return {
            "id": record.id,
            "source": record.source,
            "line": record.line,
            "db_id": record.db_id,
            "sql_dialect": record.sql_dialect.value if record.sql_dialect else None,
            "schema_valid": {e.value: self.schema_ok(e) for e in self.engines},
            "query_valid": {e.value: self.query_ok(e) for e in self.engines},
            "non_empty": {e.value: self.non_empty(e) for e in self.engines},
            "schema_checks": [c.model_dump(mode="json") for c in self.schema.values()],
            "query_checks": (
                [c.model_dump(mode="json") for c in self.validation.checks]
                if self.validation
                else []
            ),
            "results_agree": self.validation.results_agree if self.validation else None,
            "sql_by_engine": {e.value: sql for e, sql in self.sql_by_engine.items()},
            "error": self.error,
            "elapsed_ms": round(self.elapsed_ms, 2),
        }


def fixture_for(record: DatasetRecord, default_dialect: Engine) -> Fixture:
    # Imported here: `shared.engines` loads every driver, and the CLI imports this module early.
    from shared.engines.fixture import Fixture

    return Fixture(
        record.schema_ddl or "",
        dialect=record.schema_dialect or record.sql_dialect or default_dialect,
        rows=record.rows,
    )


async def check_record(
    validator: RecordValidator,
    record: DatasetRecord,
    engines: list[Engine],
    *,
    level: Level,
    policy: Policy,
    default_dialect: Engine = Engine.SQLITE,
    allow_writes: bool = True,
) -> RecordResult:
    """Schema checks and query checks of one record; never raises for a bad record."""
    result = RecordResult(record, engines)
    started = time.perf_counter()
    fixture = fixture_for(record, default_dialect)
    # Imported here for the reason given in fixture_for.
    from shared.engines.validator import PartialChecks, PartialValidation

    # The schema check and the query checks of one record share its readings, and only
    # they do (#23: nothing is cached across records).
    with record_scope():
        try:
            try:
                result.schema = await validator.check_fixture(fixture)
            except PartialChecks as partial:  # the other engines' schema verdicts stay
                result.schema = partial.checks
                result.error = f"{type(partial).__name__}: {partial}"
            result.validation, result.sql_by_engine = await validator.validate(
                fixture,
                record.sql,
                sql_dialect=record.sql_dialect or default_dialect,
                level=level,
                policy=policy,
                allow_writes=allow_writes,
            )
        except PartialValidation as partial:
            # One engine failed under this record: its check says so, the others keep theirs.
            result.error = f"{type(partial).__name__}: {partial}"
            result.validation, result.sql_by_engine = partial.validation, partial.sql_by_engine
        except Exception as exc:  # an engine failure must cost one record, not the whole run
            result.error = f"{type(exc).__name__}: {exc}"
            result.validation = Validation(
                level=level,
                policy=policy,
                checks=[
                    EngineCheck(
                        engine=e,
                        level=level,
                        ok=False,
                        error_class=ErrorClass.ENGINE_UNAVAILABLE,
                        message=result.error[:500],
                    )
                    for e in engines
                ],
            )
    result.elapsed_ms = (time.perf_counter() - started) * 1000
    return result


async def check_records(
    validator: RecordValidator,
    records: list[DatasetRecord],
    engines: list[Engine],
    *,
    level: Level,
    policy: Policy,
    concurrency: int = 16,
    default_dialect: Engine = Engine.SQLITE,
    allow_writes: bool = True,
    on_result: Callable[[RecordResult], None] | None = None,
) -> list[RecordResult]:
    """Validate records with at most `concurrency` in flight; results come back in input order.

    Writes are allowed by default: data-manipulation rows (Gretel's "data manipulation" task
    type) are part of a dataset, and the engines run them in a transaction they roll back.
    """
    results: list[RecordResult | None] = [None] * len(records)
    queue: asyncio.Queue[int] = asyncio.Queue()
    for index in range(len(records)):
        queue.put_nowait(index)

    async def work() -> None:
        while True:
            try:
                index = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            result = await check_record(
                validator,
                records[index],
                engines,
                level=level,
                policy=policy,
                default_dialect=default_dialect,
                allow_writes=allow_writes,
            )
            results[index] = result
            if on_result is not None:
                on_result(result)

    workers = [asyncio.create_task(work()) for _ in range(max(1, min(concurrency, len(records))))]
    try:
        await asyncio.gather(*workers)
    finally:
        for task in workers:
            task.cancel()
    return [result for result in results if result is not None]


def fractions(
    results: list[RecordResult],
    engines: list[Engine],
    passes: Callable[[RecordResult, Engine], bool],
) -> dict[str, float | None]:
    """Per engine, then on any and on all engines; None when there is nothing to count."""
    total = len(results)
    out: dict[str, float | None] = {}
    for engine in engines:
        out[engine.value] = sum(passes(r, engine) for r in results) / total if total else None
    if not total or not engines:
        out[ANY] = out[ALL] = None
        return out
    out[ANY] = sum(any(passes(r, e) for e in engines) for r in results) / total
    out[ALL] = sum(all(passes(r, e) for e in engines) for r in results) / total
    return out


def has_rows(record: DatasetRecord) -> bool:
    return bool(record.rows) or bool(record.schema_ddl and HAS_ROWS.search(record.schema_ddl))


def summarise(
    results: Iterable[RecordResult],
    engines: list[Engine],
    level: Level,
    *,
    requested: list[Engine] | None = None,
) -> dict[str, Any]:
    """The seed-000 figures under stable keys (fractions in [0, 1]). Engines in `requested` but
    not in `engines` (they could not be run) appear with None, so the keys do not move."""
    done = list(results)
    total = len(done)
    order = requested or engines

    def figures(passes: Callable[[RecordResult, Engine], bool]) -> dict[str, float | None]:
        measured = fractions(done, engines, passes)
        return {e.value: measured.get(e.value) for e in order} | {
            ANY: measured[ANY],
            ALL: measured[ALL],
        }

    return {
        "rows": total,
        "schema_valid": figures(RecordResult.schema_ok),
        "query_valid": figures(RecordResult.query_ok),
        # Only level full runs the query, so only then is "returned rows" known.
        "non_empty": figures(RecordResult.non_empty) if level is Level.FULL else None,
        "with_rows": sum(has_rows(r.record) for r in done) / total if total else None,
        "results_agree": (
            sum(bool(r.validation and r.validation.results_agree) for r in done) / total
            if total and level is Level.FULL and len(engines) > 1
            else None
        ),
        "errors": sum(r.error is not None for r in done),
        "failures": {
            "schema": count_failures(
                done, engines, lambda r, e: [r.schema[e]] if e in r.schema else []
            ),
            "query": count_failures(done, engines, RecordResult.query_checks),
        },
    }


def count_failures(
    results: list[RecordResult],
    engines: list[Engine],
    checks_of: Callable[[RecordResult, Engine], list[EngineCheck]],
) -> dict[str, dict[str, int]]:
    """Failed checks per engine and error class, most frequent first (why figures are low)."""
    out: dict[str, dict[str, int]] = {}
    for engine in engines:
        counts: Counter[str] = Counter()
        for result in results:
            for check in checks_of(result, engine):
                if not check.ok:
                    counts[(check.error_class or ErrorClass.QUERY).value] += 1
        out[engine.value] = dict(counts.most_common())
    return out


def write_results(out: Path, results: list[RecordResult], errors: list[LoadError]) -> None:
    """One JSON line per record (its checks), then one per malformed row (`--out`)."""
    with out.open("w", encoding="utf-8") as handle:
        for result in results:
            handle.write(json.dumps({"kind": "record", **result.to_json()}) + "\n")
        for error in errors:
            handle.write(json.dumps({"kind": "malformed", **error.to_json()}) + "\n")
