"""An edited SQL goes through the pipeline's own checks before it can be saved: the same
fixture, level and policy on the same engines (shared/datasets/check.py over
shared/engines/validator.py), and the other dialects rendered by sqlglot for the reviewer."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from proto.common import Engine, Level, Policy
from proto.sample import EngineCheck, Validation
from shared.datasets.check import RecordValidator, check_record
from shared.datasets.record import DatasetRecord
from shared.engines.render import render_sql
from shared.sense import analyse_record
from shared.sense.findings import Finding, Origin
from shared.sense.record import SenseInput


@dataclass(frozen=True)
class Revalidation:
    sql: str
    dialect: Engine
    validation: Validation
    renderings: dict[Engine, str]
    error: str | None = None
    # The sense checks' error-level findings on the edited record (issue 12): as in the
    # pipeline, an edit that makes the record say something else cannot be saved.
    sense_errors: tuple[Finding, ...] = ()

    @property
    def passed(self) -> bool:
        """What the pipeline requires: every engine ran it, rows came back, they agree, and
        no sense check finds an error."""
        return (
            self.error is None
            and not self.sense_errors
            and bool(self.validation.checks)
            and (
                all(c.ok for c in self.validation.checks)
                and self.validation.non_empty is not False
                and self.validation.results_agree is not False
            )
        )

    @property
    def failures(self) -> list[EngineCheck]:
        return [c for c in self.validation.checks if not c.ok]


def record_dialect(record: Mapping[str, Any]) -> Engine:
    """The dialect the record's `sql` is written in (generated SQL is SQLite's reading)."""
    value = record.get("sql_dialect")
    return Engine(value) if value in {e.value for e in Engine} else Engine.SQLITE


def record_policy(record: Mapping[str, Any]) -> Policy:
    validation = record.get("validation")
    value = validation.get("policy") if isinstance(validation, dict) else None
    return Policy(value) if value in {p.value for p in Policy} else Policy.PORTABLE


def render_dialects(sql: str, dialect: Engine) -> dict[Engine, str]:
    return {engine: render_sql(sql, dialect, engine) for engine in Engine}


async def revalidate_sql(
    validator: RecordValidator,
    engines: Sequence[Engine],
    record: Mapping[str, Any],
    sql: str,
    question: str | None = None,
) -> Revalidation:
    """Run `sql` (with the reviewer's `question`, else the record's) as the pipeline would:
    the engines, then the sense checks that compare the question with the SQL."""
    dialect = record_dialect(record)
    candidate = DatasetRecord(
        id=str(record.get("id")),
        sql=sql,
        question=question if question is not None else str(record.get("sql_prompt") or ""),
        sql_dialect=dialect,
        schema_ddl=str(record.get("sql_context") or ""),
        schema_dialect=Engine.SQLITE,
    )
    result = await check_record(
        validator,
        candidate,
        list(engines),
        level=Level.FULL,
        policy=record_policy(record),
        default_dialect=dialect,
        allow_writes=record.get("sql_task_type") == "data manipulation",
    )
    sense = analyse_record(
        SenseInput(
            question=candidate.question or "",
            sql=sql,
            schema_ddl=candidate.schema_ddl or "",
            sql_dialect=dialect,
            evidence=str(record.get("evidence") or ""),
            origin=Origin.GENERATED,
        )
    )
    return Revalidation(
        sql=sql,
        dialect=dialect,
        validation=result.validation or Validation(),
        renderings=render_dialects(sql, dialect),
        error=result.error,
        sense_errors=sense.errors,
    )
