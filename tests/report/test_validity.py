"""Validity levels derived from one check's level and error class (docs/report.md)."""

from __future__ import annotations

import pytest

from proto.common import Engine, Level
from proto.sample import EngineCheck, ErrorClass, Validation
from shared.datasets import DatasetRecord
from shared.datasets.check import RecordResult
from shared.report.validity import check_passes, summarise_validity


def failed(error: ErrorClass, level: Level = Level.FULL) -> EngineCheck:
    return EngineCheck(engine=Engine.SQLITE, level=level, ok=False, error_class=error)


@pytest.mark.parametrize(
    ("check", "syntax", "schema", "full"),
    [
        (EngineCheck(engine=Engine.SQLITE, level=Level.FULL, ok=True), True, True, True),
        (failed(ErrorClass.SYNTAX), False, False, False),
        (failed(ErrorClass.FORBIDDEN), False, False, False),
        (failed(ErrorClass.SCHEMA), True, False, False),
        # A query error at level full is most often a name the schema lacks: schema fails.
        (failed(ErrorClass.QUERY), True, False, False),
        # These happen after the query ran, so it prepared.
        (failed(ErrorClass.TIMEOUT), True, True, False),
        (failed(ErrorClass.TOO_MANY_ROWS), True, True, False),
        (failed(ErrorClass.ENGINE_UNAVAILABLE), False, False, False),
        # Checked only at level schema: nothing is known about running it.
        (EngineCheck(engine=Engine.SQLITE, level=Level.SCHEMA, ok=True), True, True, False),
        (failed(ErrorClass.QUERY, Level.SCHEMA), True, False, False),
    ],
)
def test_check_passes(check: EngineCheck, syntax: bool, schema: bool, full: bool) -> None:
    assert check_passes(check, Level.SYNTAX) is syntax
    assert check_passes(check, Level.SCHEMA) is schema
    assert check_passes(check, Level.FULL) is full


def test_summary_per_engine_and_level() -> None:
    engines = [Engine.SQLITE, Engine.POSTGRES]
    verdicts = [
        (True, True),  # valid on both
        (True, False),  # PostgreSQL: a query error
        (False, False),  # a syntax error on both
        (True, True),
    ]
    results = []
    for number, (on_sqlite, on_postgres) in enumerate(verdicts):
        checks = []
        for engine, ok in zip(engines, (on_sqlite, on_postgres), strict=True):
            error = None if ok else (ErrorClass.QUERY if on_sqlite else ErrorClass.SYNTAX)
            checks.append(EngineCheck(engine=engine, level=Level.FULL, ok=ok, error_class=error))
        schema = {e: EngineCheck(engine=e, level=Level.SCHEMA, ok=True) for e in engines}
        record = DatasetRecord(id=str(number), sql="SELECT 1")
        validation = Validation(checks=checks)
        results.append(RecordResult(record, engines, schema=schema, validation=validation))
    summary = summarise_validity(results, engines, Level.FULL, "revalidated")
    assert summary["query_valid"] == {"sqlite": 0.75, "postgres": 0.5, "any": 0.75, "all": 0.5}
    # The PostgreSQL query error still parsed; the syntax error did not, anywhere.
    assert summary["levels"]["syntax"] == {
        "sqlite": 0.75,
        "postgres": 0.75,
        "any": 0.75,
        "all": 0.75,
    }
    assert summary["levels"]["full"] == summary["query_valid"]
    assert summary["schema_valid"]["all"] == 1.0
    assert summary["source"] == "revalidated" and summary["level"] == "full"
