"""Validator stage: execute on the engines, measure conformance, route to checked or failed."""

from __future__ import annotations

import asyncio
import os
from concurrent.futures import ProcessPoolExecutor

from proto import subjects
from proto.common import Engine, Outcome, Stage, TaskType
from proto.sample import (
    Disagreement,
    DisagreementKind,
    ErrorClass,
    Feedback,
    SampleEnvelope,
    Validation,
)
from shared.engines.fixture import fixture_from_draft
from shared.engines.render import render_contexts
from shared.engines.validator import PartialValidation, Validator
from shared.errors import EngineUnavailable
from shared.pipeline.emit import Emit, reject
from shared.pipeline.sense import check_sense, sense_feedback
from shared.record_scope import record_scope
from shared.sql.conformance import conformance_diffs
from shared.sql.features import analyze_query

# How each typed cause reads to the reviser (and a person): what differs and how to avoid it.
DISAGREEMENT_ADVICE: dict[DisagreementKind, str] = {
    DisagreementKind.TEXT_COLLATION: (
        "MySQL compares and sorts text case- and accent-insensitively (its default collation);"
        " avoid comparisons or orderings that depend on letter case or accents"
    ),
    DisagreementKind.NULL_ORDERING: (
        "PostgreSQL sorts NULLs last, SQLite and MySQL first: filter NULLs out or order by"
        " a CASE that places them"
    ),
    DisagreementKind.INTEGER_DIVISION: (
        "integer / integer truncates on SQLite and PostgreSQL but not on MySQL: multiply by"
        " 1.0 or CAST to a decimal first"
    ),
    DisagreementKind.UNEXPLAINED: "no known engine difference explains it",
}


def describe_disagreement(disagreement: Disagreement | None) -> str:
    if disagreement is None:
        return ""
    parts = [DISAGREEMENT_ADVICE[kind] for kind in disagreement.kinds]
    if disagreement.examples:
        parts.append("e.g. " + ", ".join(disagreement.examples))
    return "; ".join(parts)


def feedback_from(validation: Validation) -> list[Feedback]:
    """Turn every failed check into a concrete reason the reviser can act on."""
    items = [
        Feedback(
            error_class=check.error_class or ErrorClass.QUERY,
            message=check.message or "check failed",
            engine=check.engine,
        )
        for check in validation.checks
        if not check.ok
    ]
    if validation.non_empty is False:
        items.append(
            Feedback(error_class=ErrorClass.EMPTY_RESULT, message="the query returns no rows")
        )
    if validation.results_agree is False:
        digests = ", ".join(
            f"{c.engine.value}={c.digest}/{c.row_count} rows" for c in validation.checks
        )
        causes = describe_disagreement(validation.disagreement)
        items.append(
            Feedback(
                error_class=ErrorClass.ENGINE_MISMATCH,
                message=f"engines disagree: {digests}" + (f"; {causes}" if causes else ""),
            )
        )
    for diff in validation.conformance:
        items.append(
            Feedback(
                error_class=ErrorClass.NONCONFORMANT,
                message=f"{diff.property}: planned {diff.planned}, measured {diff.measured}",
            )
        )
    return items


# One process per validator replica: the checks take milliseconds; replicas scale the rest.
SENSE_WORKERS = 1
# Below the engines' priority: on a loaded machine the checks must not slow the statements the
# validator times (a run with the checks at normal priority lost a third of its samples to
# client-measured MySQL timeouts; the same run without the checks lost none).
SENSE_NICENESS = 10


class ValidatorStage:
    def __init__(self, validator: Validator, available: set[Engine], sense: bool = True) -> None:
        self.validator = validator
        self.available = available
        # Sense checks after execution (docs/sense.md); off only to measure their effect.
        self.sense = sense
        self._pool: ProcessPoolExecutor | None = None

    def _sense_pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=SENSE_WORKERS, initializer=os.nice, initargs=(SENSE_NICENESS,)
            )
        return self._pool

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    async def __call__(self, envelope: SampleEnvelope) -> list[Emit]:
        # One record: its checks and contexts share readings, nothing outlives it (#23).
        with record_scope():
            return await self._check(envelope)

    async def _check(self, envelope: SampleEnvelope) -> list[Emit]:
        draft = envelope.draft
        if draft is None:
            return [reject(envelope, Stage.VALIDATOR, "no draft to validate", ErrorClass.MALFORMED)]
        missing = set(envelope.engines) - self.available
        if missing:
            names = ", ".join(sorted(e.value for e in missing))
            raise EngineUnavailable(f"this validator has no {names} engine")
        fixture = fixture_from_draft(draft)
        try:
            validation, by_engine = await self.validator.validate(
                fixture,
                draft.sql,
                sql_dialect=draft.sql_dialect,
                level=envelope.level,
                policy=envelope.policy,
                allow_writes=draft.task_type is TaskType.MANIPULATION,
            )
        except PartialValidation as partial:
            # Still retried (an EngineUnavailable); if retries run out, the rejected sample
            # shows what each engine said, the unavailable one marked as such.
            envelope.validation = partial.validation
            raise
        analysis = analyze_query(draft.sql, draft.sql_dialect)
        if analysis.features is not None:
            validation.measured = analysis.features.summary()
            validation.conformance = conformance_diffs(envelope.blueprint, analysis.features)
        draft.sql_by_dialect = {e: by_engine[e] for e in envelope.engines if e in by_engine}
        draft.sql_context_by_dialect = render_contexts(fixture, draft.sql_by_dialect)
        envelope.validation = validation
        feedback = feedback_from(validation)
        if analysis.error:
            feedback.append(Feedback(error_class=ErrorClass.SYNTAX, message=analysis.error))
        if not feedback and self.sense:
            # Meaning is checked once the draft runs. In a worker process, not a thread: the
            # checks are pure Python (sqlglot) and would hold the GIL, starving the event loop
            # whose engine timings (statement timeouts are measured here) then look slow.
            loop = asyncio.get_running_loop()
            validation.sense = await loop.run_in_executor(
                self._sense_pool(), check_sense, envelope, draft
            )
            feedback = sense_feedback(validation.sense)
        if feedback:
            envelope.feedback = feedback
            checks = [f.check for f in feedback if f.check is not None]
            envelope.record(
                Stage.VALIDATOR,
                Outcome.FAILED,
                feedback[0].message[:300],
                feedback[0].error_class,
                checks=checks,
            )
            return [Emit(subjects.SAMPLE_FAILED, envelope, Outcome.FAILED)]
        envelope.feedback = []
        envelope.record(Stage.VALIDATOR, Outcome.CHECKED)
        return [Emit(subjects.SAMPLE_CHECKED, envelope, Outcome.CHECKED)]
