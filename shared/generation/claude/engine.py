"""Claude as the generation and revision engine: the DraftEngine protocol plus a judge.

    engine = build_claude_engine()                      # settings from the environment
    draft, cost = await engine.generate(blueprint, seed=seed)
    draft, cost = await engine.repair(blueprint, draft, feedback, seed=seed)
    review, cost = await engine.review(envelope)        # the reviser's LLM judge
    draft, cost = await engine.back_translate(blueprint, schema_ddl=..., sql=..., seed=seed)

Failures raise the project's errors (shared.llm.errors): `LlmRateLimited` / `LlmUnavailable`
are retryable (delayed nak), `MalformedOutput` and other `GenerationError`s are final for the
attempt and say why. Every exception carries `cost`, what the operation had spent.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from proto.sample import Blueprint, Draft, Feedback, Review, SampleEnvelope, TableRows, TokenCost
from shared.errors import GenerationError, SqlsynthError
from shared.generation.claude.conversation import make_text_block
from shared.generation.claude.domains import SettingTally
from shared.generation.claude.generator import (
    BACK_TRANSLATION_INSTRUCTION,
    DraftWriter,
    assemble,
    derive_variation,
    keeps_seed_sql,
    to_table_rows,
)
from shared.generation.claude.prompts import SECTION_INSTRUCTIONS
from shared.generation.claude.render import render_blueprint, render_rows, tag
from shared.generation.claude.revise import Reviser
from shared.generation.claude.schemas import BackTranslationAnswer, RowsAnswer
from shared.generation.claude.steps import ReplyMemo, Spend, StepRunner
from shared.generation.claude.tools import RunQuery, sqlite_run_query
from shared.llm.api_rules import estimate_prefix
from shared.llm.client import LlmClient, ModelClient
from shared.llm.openai_settings import OpenAiSettings
from shared.llm.settings import LlmSettings


class ClaudeDraftEngine:
    # Reviewer guidelines (Turing's HITL guide) go into its prompt: see shared/pipeline/generate.py.
    accepts_guidelines = True
    name = "claude"

    def __init__(
        self,
        client: ModelClient,
        *,
        run_query: RunQuery | None = None,
        memo: ReplyMemo | None = None,
        tally: SettingTally | None = None,
    ) -> None:
        settings = client.settings
        self.client = client
        # "claude" or "openai": the same engine on either provider, named by it in records.
        self.name = client.engine_name
        # Replaceable after construction: the service injects one backed by the Validator.
        self.run_query: RunQuery = run_query or sqlite_run_query
        self.runner = StepRunner(
            client, memo or ReplyMemo(), settings.max_tokens, settings.answer_retries
        )
        self.writer = DraftWriter(
            self.runner,
            self._run_query,
            max_tool_calls=settings.max_tool_calls,
            tally=tally or SettingTally(),
            cache_ttl=settings.cache_ttl,
        )
        conv = self.writer.start_conversation()
        # Reported, and checked by the tests for every model in the table: a prefix below the
        # model's caching minimum would be billed in full on every call, silently.
        self.prefix_estimate = estimate_prefix(client.model, conv.system, conv.tools)
        self.reviser = Reviser(
            self.runner,
            self.writer.start_conversation,
            self._run_query,
            settings.max_tool_calls,
            client.model,
            label=client.engine_name,
        )

    async def _run_query(self, ddl: str, rows: list[TableRows], sql: str) -> str:
        return await self.run_query(ddl, rows, sql)

    @asynccontextmanager
    async def _operation(self, spend: Spend) -> AsyncIterator[None]:
        """Attach what was spent to any failure, so a rejection or retry still accounts it."""
        try:
            yield
        except SqlsynthError as exc:
            exc.cost = spend.total
            raise

    async def generate(
        self, blueprint: Blueprint, *, seed: int, guidelines: Sequence[str] = ()
    ) -> tuple[Draft, TokenCost]:
        spend = Spend()
        async with self._operation(spend):
            draft = await self.writer.write(blueprint, seed, spend, guidelines)
            if keeps_seed_sql(blueprint):
                await self._verify(blueprint, draft, spend)
        return draft.model_copy(update={"engine": self.name}), spend.total

    async def repair(
        self, blueprint: Blueprint, draft: Draft, feedback: list[Feedback], *, seed: int
    ) -> tuple[Draft, TokenCost]:
        spend = Spend()
        async with self._operation(spend):
            repaired = await self.reviser.repair(blueprint, draft, feedback, seed, spend)
        return repaired, spend.total

    async def review(self, envelope: SampleEnvelope) -> tuple[Review, TokenCost]:
        spend = Spend()
        async with self._operation(spend):
            review = await self.reviser.review(envelope, spend)
        return review, spend.total

    async def back_translate(
        self,
        blueprint: Blueprint,
        *,
        schema_ddl: str,
        sql: str,
        seed: int,
        rows: list[TableRows] | None = None,
    ) -> tuple[Draft, TokenCost]:
        """A SQL-only seed with its schema (SQL-Factory): rows if missing, then SQL-to-NL, then the
        consistency verifier; a pair the verifier rejects is a GenerationError with its reasons.
        """
        spend = Spend()
        async with self._operation(spend):
            conv = self.writer.start_conversation()
            parts = [
                render_blueprint(blueprint, derive_variation(seed), []),
                tag("schema", schema_ddl),
                tag("sql", sql),
            ]
            if rows:
                parts.append(tag("rows", render_rows(rows)))
            conv.user(make_text_block("\n".join(parts)))
            if not rows:
                conv.user(make_text_block(SECTION_INSTRUCTIONS["rows"]))
                answer = await self.runner.ask(conv, "rows", "submit_rows", RowsAnswer, spend=spend)
                rows = to_table_rows(answer.tables)
            conv.user(make_text_block(BACK_TRANSLATION_INSTRUCTION))
            pair = await self.runner.ask(
                conv,
                "back_translation",
                "submit_back_translation",
                BackTranslationAnswer,
                spend=spend,
                last=True,
            )
            draft = assemble(
                blueprint,
                ddl=schema_ddl,
                rows=rows,
                sql=sql,
                question=pair.question,
                explanation=pair.explanation,
                reasoning="SQL-only seed, question by back-translation",
            )
            await self._verify(blueprint, draft, spend)
        return draft.model_copy(update={"engine": self.name}), spend.total

    async def _verify(self, blueprint: Blueprint, draft: Draft, spend: Spend) -> None:
        verdict = await self.reviser.verify_pair(blueprint, draft, spend)
        if verdict.verdict == "fail":
            raise GenerationError(
                "back-translated question does not match its SQL: " + "; ".join(verdict.reasons)
            )

    async def aclose(self) -> None:
        await self.client.aclose()


def build_claude_engine(
    settings: LlmSettings | None = None, *, run_query: RunQuery | None = None
) -> ClaudeDraftEngine:
    """The engine with its client, from SQLSYNTH_LLM_* / ANTHROPIC_* settings."""
    return ClaudeDraftEngine(LlmClient(settings or LlmSettings()), run_query=run_query)


def build_openai_engine(
    settings: LlmSettings | None = None,
    endpoint: OpenAiSettings | None = None,
    *,
    run_query: RunQuery | None = None,
) -> ClaudeDraftEngine:
    """The same engine on an OpenAI-compatible endpoint (SQLSYNTH_OPENAI_* / OPENAI_* settings;
    the common knobs from SQLSYNTH_LLM_*)."""
    from shared.llm.openai_client import OpenAiClient

    client = OpenAiClient(settings or LlmSettings(), endpoint or OpenAiSettings())
    return ClaudeDraftEngine(client, run_query=run_query)
