"""Execution accuracy of predicted SQL against the dataset's gold results, per engine.

A prediction is correct on an engine when it runs and its result digest equals the record's
gold digest there (the digest the run recorded for the gold SQL). Order counts only when the
gold query orders: a prediction's top-level ORDER BY without LIMIT is dropped when the gold
result is unordered, as Spider's and BIRD's evaluators compare such results as sets. A record
without a prediction counts as wrong, and is reported.
"""

from __future__ import annotations

import asyncio
import functools
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from proto.common import Engine, Level
from proto.sample import ErrorClass
from shared.engines.base import SqlEngine
from shared.engines.fixture import Fixture
from shared.engines.patience import patiently

GROUPS = ("complexity", "prompt_style", "sql_complexity", "sense")


def align_order(sql: str, dialect: str, gold_ordered: bool) -> str:
    if gold_ordered:
        return sql
    try:
        tree = sqlglot.parse_one(sql, read=dialect)
    except SqlglotError:
        return sql
    if not isinstance(tree, exp.Query) or tree.args.get("order") is None:
        return sql
    if tree.args.get("limit") is not None or tree.args.get("offset") is not None:
        return sql  # the order picks the rows: keep it
    tree.set("order", None)
    return tree.sql(dialect=dialect)


@dataclass
class RecordScore:
    id: str
    groups: dict[str, str]
    correct: dict[str, bool] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    missing: bool = False


@dataclass
class ScoreReport:
    engines: list[str]
    records: list[RecordScore]

    def accuracy(self, rows: Sequence[RecordScore], engine: str) -> float | None:
        return sum(r.correct.get(engine, False) for r in rows) / len(rows) if rows else None

    def to_json(self) -> dict[str, Any]:
        overall = {e: self.accuracy(self.records, e) for e in self.engines}
        groups: dict[str, dict[str, dict[str, Any]]] = {}
        for name in GROUPS:
            by_value: dict[str, list[RecordScore]] = defaultdict(list)
            for record in self.records:
                by_value[record.groups.get(name) or "none"].append(record)
            groups[name] = {
                value: {"n": len(rows), **{e: self.accuracy(rows, e) for e in self.engines}}
                for value, rows in sorted(by_value.items())
            }
        return {
            "records": len(self.records),
            "missing_predictions": sum(r.missing for r in self.records),
            "execution_accuracy": overall,
            # Predictions that ran without error (right or wrong result), per engine.
            "executes": {
                e: (
                    sum(not r.missing and e not in r.errors for r in self.records)
                    / len(self.records)
                    if self.records
                    else None
                )
                for e in self.engines
            },
            "all_engines": (
                sum(all(r.correct.get(e, False) for e in self.engines) for r in self.records)
                / len(self.records)
                if self.records
                else None
            ),
            "by": groups,
        }


def group_values(record: dict[str, Any]) -> dict[str, str]:
    findings = record.get("sense_findings") or []
    return {
        "complexity": str(record.get("complexity") or "none"),
        "prompt_style": str(record.get("prompt_style") or "none"),
        "sql_complexity": str(record.get("sql_complexity") or "none"),
        "sense": ",".join(sorted(set(findings))) if findings else "none",
    }


async def score_record(
    engines: Mapping[Engine, SqlEngine],
    record: dict[str, Any],
    prediction: dict[str, str] | None,
    dialect: str,
) -> RecordScore:
    result = RecordScore(record["id"], group_values(record))
    if prediction is None:
        result.missing = True
        result.correct = dict.fromkeys((e.value for e in engines), False)
        return result
    fixture = Fixture(record["schema"], dialect=Engine(record.get("schema_dialect") or "sqlite"))
    gold = record.get("gold") or {}
    for engine in engines:
        expected = gold.get(engine.value)
        sql = prediction.get(engine.value) or prediction.get("*")
        if not expected or not sql:
            result.correct[engine.value] = False
            result.errors[engine.value] = "no gold result" if not expected else "no prediction"
            continue
        text = align_order(sql, dialect if "*" in prediction else engine.value, expected["ordered"])
        run = functools.partial(engines[engine].check, fixture, text, Level.FULL, allow_writes=True)
        check = await patiently(run)
        if not check.ok and check.error_class is ErrorClass.TIMEOUT:
            # On a loaded machine a simple query can miss the deadline once; a second miss
            # counts (BIRD's evaluator also scores a query past its time limit as wrong).
            check = await patiently(run)
        result.correct[engine.value] = check.ok and check.digest == expected["digest"]
        if not check.ok:
            result.errors[engine.value] = check.error_class.value if check.error_class else "error"
    return result


async def score_predictions(
    engines: Mapping[Engine, SqlEngine],
    records: Sequence[dict[str, Any]],
    predictions: dict[str, dict[str, str]],
    *,
    dialect: str = "sqlite",
    concurrency: int = 8,
) -> ScoreReport:
    gate = asyncio.Semaphore(concurrency)

    async def one(record: dict[str, Any]) -> RecordScore:
        async with gate:
            return await score_record(engines, record, predictions.get(record["id"]), dialect)

    scores = await asyncio.gather(*(one(r) for r in records))
    return ScoreReport([e.value for e in engines], list(scores))


def same_schema_baseline(records: Sequence[dict[str, Any]]) -> dict[str, dict[str, str]]:
    """A baseline: for each record, the gold SQL of the next record on the same base schema
    (a plausible query on the right tables that answers another question)."""
    by_schema: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for record in sorted(records, key=lambda r: r["id"]):
        by_schema[record["base_schema"]].append(record)
    out: dict[str, dict[str, str]] = {}
    for group in by_schema.values():
        if len(group) < 2:
            continue
        for index, record in enumerate(group):
            other = group[(index + 1) % len(group)]
            out[record["id"]] = {"*": other["sql"]}
    return out
