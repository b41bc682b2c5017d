"""Rejection sampling of reasoning on the Claude path (EvolSQL §4.3, n = 4 by default).

For each record, n independent reasoning + SQL answers; each SQL is executed on the record's
fixture on every engine, and an answer is kept when its result equals the gold result on all
of them. The first kept answer's reasoning is stored; a record with none keeps no reasoning
(EvolSQL discards the instance; here the record stays in the dataset without a trace).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from shared.engines.validator import Validator
from shared.errors import SqlsynthError
from shared.export.records import gold_results
from shared.llm.client import LlmClient
from shared.pairs.build import judge, make_input, run_candidate
from shared.pairs.sources import extract_sql
from shared.reasoning.trace import derive_trace

INSTRUCTION = (
    "Reason step by step before answering: link the question to its tables and columns, then "
    "decide the joins, the filters, the grouping and the ordering. End with the final query in "
    "one ```sql block."
)
OFFLINE_SOURCE = "offline-trace"


@dataclass(frozen=True)
class ReasoningPlan:
    candidates: int = 4
    dialect: str = "sqlite"
    concurrency: int = 4


@dataclass
class ReasoningSummary:
    records: int = 0
    with_reasoning: int = 0
    candidates: int = 0
    correct: int = 0
    verdicts: dict[str, int] = field(default_factory=dict)

    @property
    def acceptance_rate(self) -> float | None:
        """Share of records with at least one execution-verified answer."""
        return self.with_reasoning / self.records if self.records else None

    @property
    def candidate_accuracy(self) -> float | None:
        return self.correct / self.candidates if self.candidates else None


def split_answer(text: str) -> tuple[str, str | None]:
    """(reasoning, sql): the reasoning is the text before the last ```sql block."""
    sql = extract_sql(text)
    marker = text.rfind("```sql")
    if marker < 0:
        marker = text.rfind("```")
    reasoning = text[:marker].strip() if marker >= 0 else ""
    return reasoning, sql


def offline_reasoning(
    rows: Sequence[dict[str, Any]], dialect: str = "sqlite"
) -> list[dict[str, Any]]:
    """A derived trace for every record whose SQL sqlglot reads; its SQL is the gold SQL."""
    out = []
    for row in rows:
        sql = (row.get("sql_by_dialect") or {}).get(dialect) or row["sql"]
        trace = derive_trace(sql, dialect)
        if trace:
            out.append(
                {
                    "id": row["id"],
                    "reasoning": trace,
                    "reasoning_sql": sql,
                    "source": OFFLINE_SOURCE,
                    "candidates": 0,
                    "correct": 0,
                }
            )
    return out


class ReasoningSampler:
    def __init__(self, client: LlmClient, validator: Validator, plan: ReasoningPlan) -> None:
        self.client = client
        self.validator = validator
        self.plan = plan
        self.summary = ReasoningSummary()

    async def sample_all(self, rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        gate = asyncio.Semaphore(self.plan.concurrency)

        async def one(row: dict[str, Any]) -> dict[str, Any]:
            async with gate:
                return await self.sample(row)

        return list(await asyncio.gather(*(one(row) for row in rows)))

    async def _answer(self, prompt: str) -> str | None:
        params = {
            "max_tokens": 2048,
            "messages": [{"role": "user", "content": f"{prompt}\n\n{INSTRUCTION}"}],
        }
        try:
            reply = await self.client.create(params, purpose="reasoning")
        except SqlsynthError:
            return None
        return "".join(b.text for b in reply.message.content if b.type == "text")

    async def sample(self, row: dict[str, Any]) -> dict[str, Any]:
        self.summary.records += 1
        item = make_input(row, self.plan.dialect)
        gold = gold_results(row)
        kept: tuple[str, str] | None = None
        correct = 0
        verdicts: list[str] = []
        for _ in range(self.plan.candidates):
            text = await self._answer(item.prompt)
            reasoning, sql = split_answer(text or "")
            if text is None:
                verdict = "llm_error"
            elif not sql or not reasoning:
                verdict = "no_sql" if not sql else "no_reasoning"
            else:
                checks = await run_candidate(self.validator, row, sql, self.plan.dialect)
                verdict = judge(checks, gold) or "engines_disagree"
            verdicts.append(verdict)
            self.summary.verdicts[verdict] = self.summary.verdicts.get(verdict, 0) + 1
            if verdict == "equivalent" and sql:
                correct += 1
                kept = kept or (reasoning, sql)
        self.summary.candidates += self.plan.candidates
        self.summary.correct += correct
        if kept:
            self.summary.with_reasoning += 1
        return {
            "id": row["id"],
            "reasoning": kept[0] if kept else None,
            "reasoning_sql": kept[1] if kept else None,
            "source": f"claude:{self.client.model}",
            "candidates": self.plan.candidates,
            "correct": correct,
            "verdicts": verdicts,
        }
