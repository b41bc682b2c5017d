"""The reviser's two LLM jobs: judge a checked sample, repair a failed one.

Judge (SQL-Factory's consistency verifier, made independent): the judge sees the plan, schema,
rows, question and explanation — not the sample's SQL — and writes its own SQL for the question;
both run on the sample's data and a different result fails the sample with both results as the
reason (shared/generation/claude/judge.py). Its opinion (style, explanation, plan fit, with the
validator's measurements and sense findings as facts) is in the same answer, chain of thought
first. One call per review, as before; the execution costs no call.

Repair: the concrete feedback (engine errors per dialect, empty result, engines disagreeing,
conformance diffs, the reviewer's reasons) goes back to the model with the sample; it returns
only what it changes (a minimal edit), may check its SQL with the agent tools, and the result
becomes the next attempt. A repair that changes nothing cannot fix anything: it is an error.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from proto.common import Agreement, Engine
from proto.sample import Blueprint, Draft, Feedback, Review, SampleEnvelope, Validation
from shared.errors import GenerationError
from shared.generation.claude.conversation import Conversation, make_text_block
from shared.generation.claude.generator import derive_variation, to_table_rows
from shared.generation.claude.judge import CompareSql, Comparison, compare_on_sqlite
from shared.generation.claude.render import (
    render_blueprint,
    render_draft,
    render_feedback,
    render_review_request,
)
from shared.generation.claude.schemas import RepairAnswer, ReviewAnswer
from shared.generation.claude.steps import Spend, StepRunner
from shared.generation.claude.tools import RunQuery, ToolBox

REPAIR_INSTRUCTION = (
    "This sample failed. Fix every item of the feedback with the smallest change, keep "
    "everything else, and return only the changed parts (null for the rest). You may check a "
    "corrected query with run_query first. Call submit_repair."
)


def apply_repair(draft: Draft, answer: RepairAnswer) -> Draft:
    """The draft with the model's changes; raises if nothing actually changed."""
    update: dict[str, Any] = {}
    if answer.ddl is not None and answer.ddl.strip() != draft.schema_ddl.strip():
        update["schema_ddl"] = answer.ddl
        update["sql_context_by_dialect"] = {}
    if answer.rows is not None:
        rows = to_table_rows(answer.rows)
        if rows != draft.rows:
            update["rows"] = rows
            update["sql_context_by_dialect"] = {}
    if answer.sql is not None and answer.sql.strip() != draft.sql.strip():
        update["sql"] = answer.sql
        update["sql_by_dialect"] = {}
    if answer.question is not None and answer.question.strip() != draft.question.strip():
        update["question"] = answer.question
    if answer.explanation is not None and (answer.explanation.strip() != draft.explanation.strip()):
        update["explanation"] = answer.explanation
    if not update:
        raise GenerationError(f"repair changed nothing (diagnosis: {answer.diagnosis[:300]})")
    note = f"repair: {answer.diagnosis[:500]}"
    update["reasoning"] = f"{draft.reasoning}\n{note}" if draft.reasoning else note
    return draft.model_copy(update=update)


class Reviser:
    def __init__(
        self,
        runner: StepRunner,
        conversation: Callable[[], Conversation],
        run_query: RunQuery,
        max_tool_calls: int,
        model: str,
        compare: CompareSql = compare_on_sqlite,
        *,
        label: str = "claude",
    ) -> None:
        self.runner = runner
        self.label = label
        self.compare = compare
        self.start_conversation = conversation  # the writer's: same system prompt and tools (cache)
        self.run_query, self.max_tool_calls = run_query, max_tool_calls
        self.model = model

    async def repair(
        self, blueprint: Blueprint, draft: Draft, feedback: list[Feedback], seed: int, spend: Spend
    ) -> Draft:
        conv = self.start_conversation()
        conv.user(
            make_text_block(
                "\n".join(
                    [
                        render_blueprint(blueprint, derive_variation(seed), []),
                        render_draft(draft),
                        render_feedback(feedback),
                    ]
                )
            ),
            make_text_block(REPAIR_INSTRUCTION),
        )
        toolbox = ToolBox(
            self.run_query, self.max_tool_calls, ddl=draft.schema_ddl, rows=list(draft.rows)
        )
        answer = await self.runner.ask(
            conv, "repair", "submit_repair", RepairAnswer, spend=spend, toolbox=toolbox, last=True
        )
        try:
            return apply_repair(draft, answer)
        except GenerationError as exc:
            # Name what stays broken, so the rejection explains itself without the history.
            unresolved = "; ".join(
                f"{f.error_class.value}: {f.message[:120]}" for f in feedback[:3]
            )
            raise GenerationError(f"{exc}; unresolved: {unresolved}") from exc

    async def review(self, envelope: SampleEnvelope, spend: Spend) -> Review:
        if envelope.draft is None:
            return Review(verdict="fail", reasons=["no draft"], reviewer=self.reviewer)
        return await self.judge(envelope.blueprint, envelope.draft, envelope.validation, spend)

    async def verify_pair(self, blueprint: Blueprint, draft: Draft, spend: Spend) -> Review:
        """SQL-Factory's verifier for a back-translated pair (the SQL is fixed, the text new):
        the same independent judge, so a question that does not ask for the seed's result is
        found by execution."""
        return await self.judge(blueprint, draft, None, spend)

    async def judge(
        self, blueprint: Blueprint, draft: Draft, validation: Validation | None, spend: Spend
    ) -> Review:
        conv = self.start_conversation()
        conv.user(make_text_block(render_review_request(blueprint, draft, validation)))
        answer = await self.runner.ask(
            conv, "review", "submit_review", ReviewAnswer, spend=spend, last=True
        )
        opinion = answer.reasons if answer.verdict == "fail" else []
        reasons = [r.strip() for r in opinion if r.strip()]
        comparison = await self._compare(draft, answer.sql)
        if comparison.agreement is Agreement.DISAGREE:
            reasons.append(comparison.detail)
        return Review(
            verdict="fail" if reasons else "pass",
            reasons=reasons,
            reviewer=self.reviewer,
            judge_sql=answer.sql,
            agreement=comparison.agreement,
        )

    async def _compare(self, draft: Draft, judge_sql: str | None) -> Comparison:
        if not (judge_sql or "").strip():
            return Comparison(Agreement.INCONCLUSIVE, "the judge wrote no SQL")
        assert judge_sql is not None
        sample_sql = draft.sql_by_dialect.get(Engine.SQLITE) or draft.sql
        return await self.compare(draft.schema_ddl, list(draft.rows), sample_sql, judge_sql)

    @property
    def reviewer(self) -> str:
        return f"{self.label}:{self.model}"
