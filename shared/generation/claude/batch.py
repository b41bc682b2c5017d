"""Bulk generation on the Message Batches API: the same sections as the online engine, one batch
per section for all samples (a round), at half price, then a validate-then-fix round.

Round k asks every still-live sample for section k; its results are matched back by
custom_id (the sample key), validated like online answers and appended to each sample's
conversation. Prompts are deterministic, so a rerun with the same name rebuilds every
conversation from the stored results of finished rounds and resumes polling the round in flight
(BatchRunner) — nothing is submitted or paid twice. Parity with the online engine: a seed schema
is written on as given (the design may leave its DDL out); instead of agent tool calls (each tool
round trip would cost a whole batch round) every submitted query is run on its sample's data and
the failing or empty ones get one fix round with the error, as run_query would have shown it.
Still different: kept seed SQL (its verifier step stays online), and the avoid-settings list is
fixed when the job is built (see generate_many).

A provider failure never raises out of `generate_many`: a round that cannot be submitted or
polled, or requests the provider still failed after the retry batches, end those samples with
`retry_online` set and what they had spent, so the caller can generate them online instead.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from proto.sample import Blueprint, Draft, TokenCost
from shared.errors import GenerationError, SqlsynthError
from shared.generation.claude.conversation import (
    Conversation,
    force_tool,
    make_text_block,
    make_tool_result,
)
from shared.generation.claude.engine import ClaudeDraftEngine
from shared.generation.claude.generator import (
    SECTIONS,
    add_rows,
    assemble,
    derive_variation,
    describe_plan,
    keeps_seed_sql,
    to_table_rows,
)
from shared.generation.claude.judge import execute_on_fixture
from shared.generation.claude.prompts import SECTION_INSTRUCTIONS, TOOL_RESULT_OK
from shared.generation.claude.render import render_blueprint
from shared.generation.claude.schemas import (
    Answer,
    DesignAnswer,
    NewSchemaDesign,
    QueryAnswer,
)
from shared.generation.claude.steps import Spend, check_reply, validate_submission
from shared.llm.batches import BatchRunner

FIX_INSTRUCTION = (
    "Checked on the sample's data: {}. Fix the query (and the added rows, question and "
    "explanation if they must change) and call submit_query again with the whole input."
)


def check_queries(items: list[Pending]) -> dict[str, str]:
    """What is wrong with each sample's submitted query on its own data (SQLite), if anything."""
    findings: dict[str, str] = {}
    for item in items:
        draft = _draft(item)
        outcome = execute_on_fixture(draft.schema_ddl, list(draft.rows), draft.sql)
        if outcome.error is not None:
            findings[item.key] = f"the query fails: {outcome.error}"
        elif not outcome.changed_state and not outcome.rows:
            findings[item.key] = "the query returns no rows"
    return findings


def answer_type(section: str, blueprint: Blueprint) -> type[Answer]:
    """As online: a design on a seed schema may leave its DDL out, any other must write it."""
    if section == "design":
        return DesignAnswer if blueprint.seed_schema else NewSchemaDesign
    return QueryAnswer


@dataclass
class Pending:
    key: str
    blueprint: Blueprint
    conv: Conversation
    spend: Spend = field(default_factory=Spend)
    answers: dict[str, Answer] = field(default_factory=dict)
    call_id: str = ""  # the submit call of the last round, answered by the next user turn


@dataclass(frozen=True)
class BatchOutcome:
    """A draft and its cost, or the error that ended the sample (with what it had spent)."""

    key: str
    draft: Draft | None
    cost: TokenCost
    error: SqlsynthError | None = None
    # The provider failed, not the sample (whole round, or overloaded/expired after retries).
    retry_online: bool = False


def _draft(item: Pending) -> Draft:
    design, query = item.answers["design"], item.answers["query"]
    assert isinstance(design, DesignAnswer) and isinstance(query, QueryAnswer)
    return assemble(
        item.blueprint,
        # A seed's schema is the users' own, as online (it was asked again here before).
        ddl=item.blueprint.seed_schema or design.ddl or "",
        rows=add_rows(to_table_rows(design.rows), query.added_rows),
        sql=query.sql,
        question=query.question,
        explanation=query.explanation,
        reasoning=describe_plan(design, query),
    )


class BatchDraftGenerator:
    def __init__(self, engine: ClaudeDraftEngine, runner: BatchRunner, *, retries: int = 2) -> None:
        self.engine = engine
        self.runner = runner
        # Follow-up batches for requests the provider failed (overloaded, expired): not billed.
        self.retries = retries

    async def _round(
        self, name: str, section: str, live: list[Pending], outcomes: dict[str, BatchOutcome]
    ) -> list[Pending] | None:
        """One batch for every live sample; the survivors with their answers, or None when the
        provider failed the whole round (every live sample then goes online)."""
        max_tokens = self.engine.client.settings.max_tokens
        submit = f"submit_{section}"
        requests = {
            item.key: item.conv.params(
                max_tokens=max_tokens,
                tool_choice=force_tool(submit),
                cache_tail=section != SECTIONS[-1],
            )
            for item in live
        }
        try:
            results = await self.runner.run(name, requests)
            for retry in range(1, self.retries + 1):
                # Only this job's requests: a resumed subset finds all the round's results.
                again = {
                    k: requests[k] for k, r in results.items() if r.retryable and k in requests
                }
                if not again:
                    break
                results.update(await self.runner.run(f"{name}-retry{retry}", again))
        except SqlsynthError as exc:
            for item in live:
                outcome = BatchOutcome(item.key, None, item.spend.total, exc, retry_online=True)
                outcomes[item.key] = outcome
            return None
        survivors: list[Pending] = []
        for item in live:
            result = results[item.key]
            item.spend.add(result.cost)
            if result.message is None and result.retryable:
                error = GenerationError(f"batch request failed: {result.error}")
                outcomes[item.key] = BatchOutcome(
                    item.key, None, item.spend.total, error, retry_online=True
                )
                continue
            try:
                if result.message is None:
                    raise GenerationError(f"batch request failed: {result.error}")
                calls = item.conv.assistant(result.message)
                call = check_reply(result.message, calls, section, max_tokens, item.spend)
                if call.name != submit:
                    raise GenerationError(f"{section}: called {call.name} instead of {submit}")
                answer = validate_submission(
                    call, section, answer_type(section, item.blueprint), item.spend
                )
            except SqlsynthError as exc:
                outcomes[item.key] = BatchOutcome(item.key, None, item.spend.total, exc)
                continue
            if isinstance(answer, DesignAnswer) and section not in item.answers:
                await self.engine.writer.tally.record(item.blueprint.domain, answer.setting)
            item.answers[section] = answer
            item.call_id = call.id
            survivors.append(item)
        return survivors

    async def generate_many(
        self, name: str, items: list[tuple[str, Blueprint, int]]
    ) -> dict[str, BatchOutcome]:
        """Drafts for (key, blueprint, seed) items; `name` identifies the job for resuming."""
        outcomes: dict[str, BatchOutcome] = {}
        live: list[Pending] = []
        for key, blueprint, seed in items:
            if keeps_seed_sql(blueprint):
                error = GenerationError("SQL-only seeds are generated online, not in batches")
                outcomes[key] = BatchOutcome(key, None, TokenCost(), error)
                continue
            conv = self.engine.writer.start_conversation()
            # No "avoid settings" list: it changes as samples finish, and a resumed job must
            # rebuild byte-identical prompts.
            conv.user(make_text_block(render_blueprint(blueprint, derive_variation(seed), [])))
            live.append(Pending(key, blueprint, conv))
        for section in SECTIONS:
            for item in live:
                item.conv.user(make_text_block(SECTION_INSTRUCTIONS[section]))
            answered = await self._round(f"{name}-{section}", section, live, outcomes)
            if answered is None:
                return outcomes
            live = answered
            if section != SECTIONS[-1]:
                for item in live:
                    item.conv.user(make_tool_result(item.call_id, TOOL_RESULT_OK))
        # The validate-then-fix round: online, the model checks its query with run_query before
        # submitting; here each submitted query runs on the sample's data and the ones that
        # fail or return nothing get one more round with the error (only if there are any).
        findings = await asyncio.to_thread(check_queries, live)
        broken = [item for item in live if findings.get(item.key)]
        for item in broken:
            item.conv.user(
                make_tool_result(
                    item.call_id, FIX_INSTRUCTION.format(findings[item.key]), is_error=True
                )
            )
        if broken:
            # A failed round already gave its samples their outcomes (online); the others keep
            # their drafts.
            fixed = await self._round(f"{name}-fix", "query", broken, outcomes) or []
            lost = {item.key for item in broken} - {item.key for item in fixed}
            live = [item for item in live if item.key not in lost]
        for item in live:
            outcomes[item.key] = BatchOutcome(item.key, _draft(item), item.spend.total)
        return outcomes
