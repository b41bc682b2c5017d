"""The sense checks as a pipeline step: a draft's verdict, and its error findings as feedback.

The validator runs them after execution (docs/sense.md): only a draft that already runs, agrees
across engines and conforms to its blueprint is checked for meaning, so every finding is about
meaning and not a symptom of a broken query.
"""

from __future__ import annotations

from proto.sample import Draft, ErrorClass, Feedback, SampleEnvelope
from proto.sense import SenseFinding, SenseVerdict
from shared.record_scope import record_scope
from shared.sense import Origin, SenseInput, SenseReport, analyse_record


def sense_input(envelope: SampleEnvelope, draft: Draft) -> SenseInput:
    return SenseInput(
        question=draft.question,
        sql=draft.sql,
        schema_ddl=draft.schema_ddl,
        sql_dialect=draft.sql_dialect,
        schema_dialect=draft.sql_dialect,
        rows=tuple(draft.rows),
        origin=Origin.GENERATED,
        planned_style=envelope.blueprint.prompt_style,
    )


def verdict_of(report: SenseReport) -> SenseVerdict:
    return SenseVerdict(
        findings=[
            SenseFinding(check=f.check, severity=f.severity, message=f.message)
            for f in report.findings
        ],
        not_applicable=sorted(g.value for g in report.not_applicable),
    )


def check_sense(envelope: SampleEnvelope, draft: Draft) -> SenseVerdict:
    """Pure and synchronous (SQLite in memory): callers run it in a worker process.

    Its own record scope: the worker outlives the record, and what it reads of this record's
    schema and query is remembered for this record only (#23: no check cached across records).
    """
    with record_scope():
        return verdict_of(analyse_record(sense_input(envelope, draft), stop_early=True))


def sense_feedback(verdict: SenseVerdict) -> list[Feedback]:
    """Error findings, as concrete reasons a repair can act on (the check named in each)."""
    return [
        Feedback(
            error_class=ErrorClass.SENSE, message=f"{f.check.value}: {f.message}", check=f.check
        )
        for f in verdict.errors
    ]
