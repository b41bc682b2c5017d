"""The LLM path of evolution (EvolSQL appendix G): Claude (or the OpenAI-compatible engine)
rewrites an evolved sample's question for its evolved SQL, and may score the operators'
feasibility as the paper's strategy model does.

Both go through the project's one client (shared.llm: adaptive limiter, usage ledger, error
mapping) with a forced, validated tool answer (shared.generation.claude.evolve_prompts). Nothing
here can lose a sample: a refused, malformed or unavailable answer, or a question that fails
the sense checks, leaves the offline wording the trial run already gave (the reason goes into
the sample's history), and a failed scoring call leaves the programmatic feasibility. What
every call cost is returned, so it lands on the sample's envelope and the run's summary.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import TypeVar

from proto.common import EvolutionOperator
from proto.sample import TokenCost
from shared.errors import RetryableError, SqlsynthError
from shared.evolution.evolve import EvolvedDraft
from shared.evolution.model import Change
from shared.evolution.parents import Parent
from shared.generation.claude.conversation import Conversation, make_text_block
from shared.generation.claude.evolve_prompts import (
    EVOLVE_SYSTEM_PROMPT,
    OPERATOR_INSTRUCTIONS,
    OPERATOR_NAMES,
    REWRITE_INSTRUCTION,
    SCORE_INSTRUCTION,
    EvolvedQuestionAnswer,
    OperatorScoresAnswer,
    build_evolve_tools,
)
from shared.generation.claude.render import tag
from shared.generation.claude.steps import A, ReplyMemo, Spend, StepRunner
from shared.llm.client import ModelClient
from shared.sense import Origin, SenseInput, analyse_record

T = TypeVar("T")
# Tries of one call when the provider is rate-limited or unavailable: in one process there is
# no broker redelivery, so the limiter's pause is waited out here before falling back.
CALL_TRIES = 3
# The blueprint property naming the engine that worded an evolved question (absent: offline).
WORDING_PROPERTY = "question_wording"


@dataclass(frozen=True)
class Worded:
    """An evolved draft after the model's turn: its question and explanation are the model's
    (`by_model`) or still the offline ones, with `note` saying why."""

    evolved: EvolvedDraft
    cost: TokenCost
    by_model: bool
    note: str


@dataclass(frozen=True)
class Scored:
    """The strategy model's feasibility per operator, or None (and why) when it gave none."""

    scores: dict[EvolutionOperator, float] | None
    cost: TokenCost
    note: str = ""


def describe_change(change: Change) -> str:
    """The structured change, as facts for the prompt (not as the question's words)."""
    parts = [f"kind: {change.kind.value}"]
    for name in ("label", "noun", "op", "word"):
        if getattr(change, name):
            parts.append(f"{name}: {getattr(change, name)}")
    if change.values:
        parts.append("values: " + ", ".join(repr(v) for v in change.values))
    if change.negated:
        parts.append("negated: yes")
    return "; ".join(parts)


def render_rewrite(evolved: EvolvedDraft) -> str:
    parent, op = evolved.parent, evolved.evolution.operator
    return "\n".join(
        [
            tag("schema", parent.draft.schema_ddl.strip()),
            tag("style", parent.draft.prompt_style.value),
            tag("question", parent.draft.question),
            tag("sql", parent.draft.sql),
            tag("operator", f"{OPERATOR_NAMES[op]}: {OPERATOR_INSTRUCTIONS[op]}"),
            tag("change", describe_change(evolved.evolution.change)),
            tag("evolved_sql", evolved.evolution.sql),
        ]
    )


def render_scoring(parent: Parent) -> str:
    return "\n".join(
        [
            tag("schema", parent.draft.schema_ddl.strip()),
            tag("question", parent.draft.question),
            tag("sql", parent.draft.sql),
        ]
    )


def sense_error(evolved: EvolvedDraft, question: str) -> str | None:
    """The first error-level sense finding of the evolved SQL with `question`, or None."""
    draft = evolved.parent.draft
    verdict = analyse_record(
        SenseInput(
            question=question,
            sql=evolved.evolution.sql,
            schema_ddl=draft.schema_ddl,
            rows=tuple(draft.rows),
            origin=Origin.GENERATED,
            planned_style=draft.prompt_style,
        ),
        stop_early=True,
    )
    if verdict.error:
        return f"unparsable ({verdict.error})"
    return verdict.errors[0].check.value if verdict.errors else None


class ModelEvolution:
    """Question rewriting and operator scoring on one model client (one per evolution run)."""

    def __init__(self, client: ModelClient, *, score: bool = False) -> None:
        settings = client.settings
        self.client = client
        self.score_operators = score
        self.runner = StepRunner(client, ReplyMemo(), settings.max_tokens, settings.answer_retries)
        self.tools = build_evolve_tools()
        self.cache_ttl = settings.cache_ttl

    @property
    def name(self) -> str:
        return f"{self.client.engine_name}:{self.client.model}"

    def _conversation(self, *texts: str) -> Conversation:
        conv = Conversation(EVOLVE_SYSTEM_PROMPT, self.tools, self.cache_ttl)
        conv.user(*(make_text_block(t) for t in texts))
        return conv

    async def _with_tries(self, call: Callable[[], Awaitable[T]]) -> T:
        for attempt in range(CALL_TRIES):
            try:
                return await call()
            except RetryableError:
                if attempt == CALL_TRIES - 1:
                    raise
        raise AssertionError("unreachable")

    async def _ask_tool(
        self, texts: tuple[str, str], purpose: str, tool: str, answer_type: type[A], spend: Spend
    ) -> A:
        """One forced-tool question (prompt, instruction) in a fresh conversation, with tries."""

        async def ask() -> A:
            conv = self._conversation(*texts)
            return await self.runner.ask(conv, purpose, tool, answer_type, spend=spend, last=True)

        return await self._with_tries(ask)

    async def score(self, parent: Parent) -> Scored:
        spend = Spend()
        try:
            answer = await self._ask_tool(
                (render_scoring(parent), SCORE_INSTRUCTION),
                "evolve_score",
                "submit_operator_scores",
                OperatorScoresAnswer,
                spend,
            )
        except SqlsynthError as exc:
            return Scored(None, spend.total, f"{type(exc).__name__}: {str(exc)[:200]}")
        return Scored(answer.by_operator(), spend.total)

    @staticmethod
    def _offline(evolved: EvolvedDraft, cost: TokenCost, note: str) -> Worded:
        """The offline wording kept, the reason on the draft (the record's `reasoning`)."""
        draft = evolved.draft.model_copy(update={"reasoning": note})
        # A parent the model worded passed its property on with its blueprint: this question
        # is not the model's.
        properties = {
            k: v for k, v in evolved.blueprint.properties.items() if k != WORDING_PROPERTY
        }
        blueprint = evolved.blueprint.model_copy(update={"properties": properties})
        return Worded(replace(evolved, draft=draft, blueprint=blueprint), cost, False, note)

    async def reword(self, evolved: EvolvedDraft) -> Worded:
        spend = Spend()
        try:
            answer = await self._ask_tool(
                (render_rewrite(evolved), REWRITE_INSTRUCTION),
                "evolve_question",
                "submit_evolved_question",
                EvolvedQuestionAnswer,
                spend,
            )
        except SqlsynthError as exc:
            note = f"question worded offline: the model gave none ({type(exc).__name__}: {exc})"
            return self._offline(evolved, spend.total, note[:400])
        problem = sense_error(evolved, answer.question)
        if problem is not None:
            note = f"question worded offline: the model's question failed the sense check {problem}"
            return self._offline(evolved, spend.total, note)
        draft = evolved.draft.model_copy(
            update={
                "question": answer.question,
                "explanation": answer.explanation,
                "reasoning": f"question by {self.name}: {answer.reasoning[:600]}",
            }
        )
        properties = {**evolved.blueprint.properties, WORDING_PROPERTY: self.client.engine_name}
        blueprint = evolved.blueprint.model_copy(update={"properties": properties})
        worded = replace(evolved, draft=draft, blueprint=blueprint)
        return Worded(worded, spend.total, True, f"question by {self.name}")
