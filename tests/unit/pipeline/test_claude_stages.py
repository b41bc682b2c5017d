"""Generator and reviser stages with an engine that judges and spends (as Claude does):
the judge runs after the rules, its verdict drives repair, an unusable verdict falls back to
the rules, and every cent a stage or a failure spent ends on the envelope."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from proto import subjects
from proto.common import Outcome, Stage
from proto.sample import (
    Blueprint,
    Draft,
    ErrorClass,
    Feedback,
    Review,
    SampleEnvelope,
    TokenCost,
)
from shared.errors import GenerationError
from shared.llm.errors import LlmRateLimited, MalformedOutput
from shared.pipeline.generate import GeneratorStage
from shared.pipeline.review import Judge, review_sample
from shared.pipeline.revise import ReviserStage
from shared.pipeline.template_adapter import TemplateDraftEngine
from tests.unit.pipeline.conftest import make_envelope


def cost(calls: int) -> TokenCost:
    return TokenCost(calls=calls, input_tokens=100 * calls, output_tokens=10 * calls, usd=calls)


@dataclass
class SpendingEngine:
    """Scripted engine: each operation costs a known amount, or fails with what it spent."""

    verdict: Review | Exception = field(default_factory=lambda: Review(verdict="pass"))
    repair_error: Exception | None = None
    generate_error: Exception | None = None
    name: str = "spending"
    reviews: int = 0
    repairs: list[list[Feedback]] = field(default_factory=list)

    async def generate(self, blueprint: Blueprint, *, seed: int) -> tuple[Draft, TokenCost]:
        if self.generate_error is not None:
            raise self.generate_error
        draft = make_envelope().draft
        assert draft is not None
        return draft, cost(6)

    async def repair(
        self, blueprint: Blueprint, draft: Draft, feedback: list[Feedback], *, seed: int
    ) -> tuple[Draft, TokenCost]:
        self.repairs.append(feedback)
        if self.repair_error is not None:
            raise self.repair_error
        return draft.model_copy(update={"sql": draft.sql + " -- fixed"}), cost(1)

    async def review(self, envelope: SampleEnvelope) -> tuple[Review, TokenCost]:
        self.reviews += 1
        if isinstance(self.verdict, Exception):
            raise self.verdict
        return self.verdict.model_copy(update={"reviewer": "claude:test"}), cost(1)


def checked(**overrides: object) -> SampleEnvelope:
    envelope = make_envelope()  # passes the rules review
    envelope.cost = cost(6)
    return envelope.model_copy(update=overrides)


def test_only_engines_with_a_review_method_are_judges() -> None:
    assert isinstance(SpendingEngine(), Judge)
    assert not isinstance(TemplateDraftEngine(), Judge)
    assert ReviserStage(TemplateDraftEngine()).judge is None


async def test_a_judge_pass_is_reviewed_and_paid_for() -> None:
    engine = SpendingEngine()
    [emit] = await ReviserStage(engine).review(checked())
    assert emit.subject == subjects.SAMPLE_REVIEWED and engine.reviews == 1
    envelope = emit.envelope
    assert envelope.review is not None and envelope.review.reviewer == "rules+claude:test"
    assert envelope.cost == cost(6).add(cost(1))
    assert envelope.history[-1].reason is None


async def test_a_judge_fail_becomes_review_feedback_and_a_repair() -> None:
    reasons = ["the question asks for totals, the SQL counts rows", "explanation omits the join"]
    engine = SpendingEngine(verdict=Review(verdict="fail", reasons=reasons))
    [emit] = await ReviserStage(engine).review(checked(max_attempts=3))
    assert emit.subject == subjects.SAMPLE_DRAFTED and emit.outcome is Outcome.REPAIRED
    [feedback] = engine.repairs
    assert [f.message for f in feedback] == reasons
    assert {f.error_class for f in feedback} == {ErrorClass.REVIEW}
    envelope = emit.envelope
    failed = [h for h in envelope.history if h.outcome is Outcome.FAILED]
    assert failed[-1].error_class is ErrorClass.REVIEW and reasons[0] in (failed[-1].reason or "")
    assert envelope.attempt == 2 and envelope.review is None
    assert envelope.cost == cost(6).add(cost(1)).add(cost(1))  # draft + judge + repair


@pytest.mark.parametrize(
    "error",
    [
        MalformedOutput("review", "verdict: Field required", cost(1)),
        GenerationError("the model refused the review step"),
    ],
)
async def test_an_unusable_verdict_falls_back_to_the_rules(error: Exception) -> None:
    engine = SpendingEngine(verdict=error)
    [emit] = await ReviserStage(engine).review(checked())
    envelope = emit.envelope
    assert emit.subject == subjects.SAMPLE_REVIEWED
    assert envelope.review is not None and envelope.review.reviewer == "rules (judge failed)"
    last = envelope.history[-1]
    assert last.outcome is Outcome.REVIEWED and str(error)[:40] in (last.reason or "")
    spent = getattr(error, "cost", TokenCost())
    assert envelope.cost == cost(6).add(spent)


async def test_rate_limits_of_the_judge_reach_the_delivery_policy() -> None:
    engine = SpendingEngine(verdict=LlmRateLimited("429", status=429, retry_after_s=2))
    envelope = checked()
    with pytest.raises(LlmRateLimited):
        await ReviserStage(engine).review(envelope)
    assert [h.outcome for h in envelope.history] == []


async def test_a_draft_the_rules_fail_is_not_sent_to_the_judge() -> None:
    engine = SpendingEngine()
    envelope = checked()
    assert envelope.draft is not None
    envelope.draft.explanation = "Counts."
    result = await review_sample(envelope, engine)
    assert result.review.verdict == "fail" and result.review.reviewer == "rules"
    assert engine.reviews == 0 and result.cost == TokenCost()


async def test_a_failed_repair_keeps_what_it_spent() -> None:
    engine = SpendingEngine(repair_error=MalformedOutput("repair", "sql: Field required", cost(2)))
    envelope = checked(max_attempts=3)
    envelope.feedback = [Feedback(error_class=ErrorClass.QUERY, message="no such column: x")]
    [emit] = await ReviserStage(engine).repair(envelope)
    assert emit.subject == subjects.SAMPLE_REJECTED
    last = emit.envelope.history[-1]
    assert last.error_class is ErrorClass.GENERATION
    assert (last.reason or "").startswith("repair impossible: malformed repair answer")
    assert emit.envelope.cost == cost(6).add(cost(2))


async def test_a_failed_generation_keeps_what_it_spent() -> None:
    engine = SpendingEngine(generate_error=MalformedOutput("rows", "bad widths", cost(3)))
    envelope = SampleEnvelope(run_id="r", sample_id="s", blueprint=Blueprint(domain="retail"))
    [emit] = await GeneratorStage(engine)(envelope)
    assert emit.subject == subjects.SAMPLE_REJECTED
    assert emit.envelope.history[-1].stage is Stage.GENERATOR
    assert emit.envelope.cost == cost(3)


async def test_a_generation_error_without_cost_costs_nothing() -> None:
    engine = SpendingEngine(generate_error=GenerationError("no catalogue table fits"))
    envelope = SampleEnvelope(run_id="r", sample_id="s", blueprint=Blueprint(domain="retail"))
    [emit] = await GeneratorStage(engine)(envelope)
    assert emit.subject == subjects.SAMPLE_REJECTED and emit.envelope.cost == TokenCost()
