"""Execute weak candidates on the record's fixture and keep those that are wrong everywhere.

Rejected = on every engine that ran the gold SQL, the candidate fails or its result digest
differs from the gold one (SENSE Eq. 2: E(y') ≠ E(y)); chosen = the gold SQL. A candidate that
is right on one engine and wrong on another is dropped: the pair would teach an engine quirk.
Before offline mistakes are trusted, the gold SQL as sqlglot re-prints it must still give the
gold result (a round-trip control): otherwise a difference could come from the printer.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlglot
from sqlglot.errors import SqlglotError

from proto.common import Engine, Level, Policy
from proto.sample import EngineCheck
from shared.engines.fixture import Fixture
from shared.engines.patience import patiently
from shared.engines.validator import Validator
from shared.export.prompts import render_answer, render_prompt
from shared.export.records import gold_results
from shared.pairs.sources import Candidate, CandidateSource, PairInput


@dataclass(frozen=True)
class PairPlan:
    pairs_per_record: int = 3
    dialect: str = "sqlite"
    concurrency: int = 8


@dataclass
class PairsSummary:
    records: int = 0
    with_pairs: int = 0
    pairs: Counter[str] = field(default_factory=Counter)
    tried: Counter[str] = field(default_factory=Counter)
    # Candidates whose result equals the gold one on every engine (SENSE's positives).
    equivalent: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)


def make_input(row: dict[str, Any], dialect: str) -> PairInput:
    schema_dialect = row.get("schema_dialect") or "sqlite"
    by_dialect = row.get("sql_by_dialect") or {}
    sql = by_dialect.get(dialect) or row["sql"]
    return PairInput(
        record_id=row["id"],
        schema=row["sql_context"],
        schema_dialect=schema_dialect,
        question=row["sql_prompt"],
        evidence=row.get("evidence"),
        sql=sql,
        dialect=dialect,
        prompt=render_prompt(row["sql_context"], row["sql_prompt"], row.get("evidence"), dialect),
    )


def judge(checks: Sequence[EngineCheck], gold: dict[str, dict[str, Any] | None]) -> str | None:
    """ "error" / "wrong_result" when wrong on every engine, "equivalent" when right on every
    engine, None when the engines disagree."""
    verdicts = []
    for check in checks:
        expected = gold.get(check.engine.value)
        if expected is None:
            continue
        if not check.ok:
            verdicts.append("error")
        elif check.digest != expected["digest"]:
            verdicts.append("wrong_result")
        else:
            verdicts.append("equivalent")
    if not verdicts:
        return None
    if all(v == "equivalent" for v in verdicts):
        return "equivalent"
    if "equivalent" in verdicts:
        return None
    return "error" if all(v == "error" for v in verdicts) else "wrong_result"


async def run_candidate(
    validator: Validator, row: dict[str, Any], sql: str, dialect: str
) -> list[EngineCheck]:
    """Execute a candidate on the record's fixture (DDL + INSERTs), as the run checked gold."""
    fixture = Fixture(row["sql_context"], dialect=Engine(row.get("schema_dialect") or "sqlite"))
    policy = Policy((row.get("validation") or {}).get("policy") or "portable")
    validation, _ = await patiently(
        lambda: validator.validate(
            fixture,
            sql,
            sql_dialect=Engine(dialect),
            level=Level.FULL,
            policy=policy,
            allow_writes=True,
        )
    )
    return validation.checks


class PairBuilder:
    def __init__(
        self,
        validator: Validator,
        sources: Sequence[CandidateSource],
        plan: PairPlan | None = None,
    ) -> None:
        self.validator = validator
        self.sources = list(sources)
        self.plan = plan or PairPlan()
        self.summary = PairsSummary()

    async def build(self, rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        gate = asyncio.Semaphore(self.plan.concurrency)

        async def one(row: dict[str, Any]) -> list[dict[str, Any]]:
            async with gate:
                return await self.pairs_for(row)

        results = await asyncio.gather(*(one(row) for row in rows))
        return [pair for pairs in results for pair in pairs]

    async def _run(self, row: dict[str, Any], sql: str) -> list[EngineCheck]:
        return await run_candidate(self.validator, row, sql, self.plan.dialect)

    async def pairs_for(self, row: dict[str, Any]) -> list[dict[str, Any]]:
        self.summary.records += 1
        gold = gold_results(row)
        if not any(gold.values()):
            self.summary.skipped["no gold result"] += 1
            return []
        item = make_input(row, self.plan.dialect)
        if not await self._round_trips(row, item, gold):
            self.summary.skipped["gold changes when re-printed"] += 1
            return []
        candidates: list[Candidate] = []
        for source in self.sources:
            candidates += await source.propose(item)
        pairs: list[dict[str, Any]] = []
        done_kinds: set[str] = set()
        for candidate in _rotate(candidates, item.record_id):
            if len(pairs) >= self.plan.pairs_per_record:
                break
            if candidate.kind.value in done_kinds:
                continue
            self.summary.tried[candidate.kind.value] += 1
            checks = await self._run(row, candidate.sql)
            verdict = judge(checks, gold)
            if verdict == "equivalent":
                self.summary.equivalent[candidate.kind.value] += 1
            if verdict not in ("error", "wrong_result"):
                continue
            done_kinds.add(candidate.kind.value)
            self.summary.pairs[candidate.kind.value] += 1
            pairs.append(_pair(item, candidate, verdict, checks))
        if pairs:
            self.summary.with_pairs += 1
        return pairs

    async def _round_trips(
        self, row: dict[str, Any], item: PairInput, gold: dict[str, dict[str, Any] | None]
    ) -> bool:
        try:
            printed = sqlglot.parse_one(item.sql, read=item.dialect).sql(dialect=item.dialect)
        except SqlglotError:
            return False
        if printed == item.sql:
            return True
        return judge(await self._run(row, printed), gold) == "equivalent"


def _rotate(candidates: list[Candidate], record_id: str) -> list[Candidate]:
    """Start at a record-dependent kind, so pairs spread over the kinds instead of always
    taking the first kinds of the list."""
    kinds = list(dict.fromkeys(c.kind for c in candidates))
    if not kinds:
        return []
    start = int(hashlib.sha256(record_id.encode()).hexdigest(), 16) % len(kinds)
    order = {kind: (i - start) % len(kinds) for i, kind in enumerate(kinds)}
    return sorted(candidates, key=lambda c: order[c.kind])


def _pair(
    item: PairInput, candidate: Candidate, verdict: str, checks: Sequence[EngineCheck]
) -> dict[str, Any]:
    pair_id = hashlib.sha256(f"{item.record_id}\n{candidate.sql}".encode()).hexdigest()[:16]
    return {
        "id": item.record_id,
        "pair_id": pair_id,
        "prompt": item.prompt,
        "chosen": render_answer(item.sql, None),
        "rejected": render_answer(candidate.sql, None),
        "chosen_sql": item.sql,
        "rejected_sql": candidate.sql,
        "dialect": item.dialect,
        "error_kind": candidate.kind.value,
        "source": candidate.source,
        "outcome": verdict,
        "rejected_checks": {
            c.engine.value: {
                "ok": c.ok,
                "error_class": c.error_class.value if c.error_class else None,
                "row_count": c.row_count,
                "digest": c.digest,
            }
            for c in checks
        },
    }
