"""Validity per engine and level, from the records' own checks or from a fresh validation.

Figures are DataFramer's (shared.datasets.check.summarise: schema valid, query valid, non-empty,
per engine, on any and on all engines). Levels below the one checked are derived from each
check's error class (docs/report.md): a syntax error fails every level; a schema error (the DDL
does not run) fails schema and full; any other failure at level full fails the schema level too
unless the query is known to have run (timeout, too many rows, empty result).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from pydantic import ValidationError

from proto.common import Engine, Level
from proto.sample import EngineCheck, ErrorClass, Validation
from shared.datasets.check import RecordResult, fractions, summarise
from shared.report.facts import RecordFacts

LEVEL_ORDER = (Level.SYNTAX, Level.SCHEMA, Level.FULL)
_RANK = {level: rank for rank, level in enumerate(LEVEL_ORDER)}
# Failures that mean the text was not accepted as SQL at all.
SYNTAX_FAILURES = frozenset({ErrorClass.SYNTAX, ErrorClass.FORBIDDEN, ErrorClass.MALFORMED})
# Failures that happen only after the query ran, so it prepared fine.
RAN_FAILURES = frozenset(
    {ErrorClass.TIMEOUT, ErrorClass.TOO_MANY_ROWS, ErrorClass.TOO_LARGE, ErrorClass.EMPTY_RESULT}
)


def check_passes(check: EngineCheck, level: Level) -> bool:
    """Would this check have passed at `level`? (derived for levels below check.level)"""
    if _RANK[level] > _RANK[check.level]:
        return False  # never checked that far
    if check.ok:
        return True
    error = check.error_class
    if error in SYNTAX_FAILURES or error is ErrorClass.ENGINE_UNAVAILABLE:
        return False
    if level is Level.SYNTAX:
        return True
    if level is Level.SCHEMA and check.level is Level.FULL:
        return error in RAN_FAILURES
    return False


def make_level_check(level: Level) -> Callable[[RecordResult, Engine], bool]:
    def passes(result: RecordResult, engine: Engine) -> bool:
        checks = result.query_checks(engine)
        return bool(checks) and all(check_passes(check, level) for check in checks)

    return passes


def summarise_validity(
    results: Sequence[RecordResult], engines: Sequence[Engine], level: Level, source: str
) -> dict[str, Any]:
    """validate's summary plus `levels`: query valid per level up to the one checked."""
    done = list(results)
    ran = list(engines)
    summary = summarise(done, ran, level)
    levels = {
        lv.value: fractions(done, ran, make_level_check(lv))
        for lv in LEVEL_ORDER[: _RANK[level] + 1]
    }
    return {
        "source": source,
        "level": level.value,
        "engines": [engine.value for engine in ran],
        **summary,
        "levels": levels,
    }


def validity_from_records(facts: Sequence[RecordFacts]) -> dict[str, Any] | None:
    """From our records' `validation` field; None when the dataset carries no checks."""
    results: list[RecordResult] = []
    levels: Counter[Level] = Counter()
    seen: set[Engine] = set()
    for fact in facts:
        raw = fact.record.extra.get("validation")
        if not isinstance(raw, dict):
            continue
        try:
            validation = Validation.model_validate(raw)
        except ValidationError:
            continue
        engines = [check.engine for check in validation.checks]
        seen.update(engines)
        levels[validation.level] += 1
        # The fixture ran unless the check blames the schema (its own schema check is not kept).
        schema = {
            c.engine: EngineCheck(
                engine=c.engine, level=Level.SCHEMA, ok=c.error_class is not ErrorClass.SCHEMA
            )
            for c in validation.checks
        }
        results.append(RecordResult(fact.record, engines, schema=schema, validation=validation))
    if not results:
        return None
    ordered = [engine for engine in Engine if engine in seen]
    return summarise_validity(results, ordered, levels.most_common(1)[0][0], "records")
