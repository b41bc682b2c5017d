"""Reviser stage: review checked samples; repair failed ones or reject them after N attempts."""

from __future__ import annotations

from proto import subjects
from proto.common import Outcome, Stage
from proto.sample import ErrorClass, Feedback, SampleEnvelope
from shared.errors import GenerationError
from shared.pipeline.emit import Emit, reject, sample_seed
from shared.pipeline.engine_protocol import DraftEngine
from shared.pipeline.engines import spent_by
from shared.pipeline.review import Judge, review_sample


def summarize_feedback(feedback: list[Feedback]) -> str:
    parts = [
        f"[{f.error_class.value}{'@' + f.engine.value if f.engine else ''}] {f.message}"
        for f in feedback
    ]
    return "; ".join(parts)[:2000] or "unknown failure"


class ReviserStage:
    def __init__(self, engine: DraftEngine) -> None:
        self.engine = engine
        # The template engine has no judge: its review is the rules alone.
        self.judge: Judge | None = engine if isinstance(engine, Judge) else None

    async def review(self, envelope: SampleEnvelope) -> list[Emit]:
        result = await review_sample(envelope, self.judge)
        verdict = result.review
        envelope.review = verdict
        envelope.cost = envelope.cost.add(result.cost)
        if verdict.verdict == "pass":
            note = result.note[:300] if result.note else None
            envelope.record(Stage.REVISER, Outcome.REVIEWED, note)
            return [Emit(subjects.SAMPLE_REVIEWED, envelope, Outcome.REVIEWED)]
        envelope.feedback = [
            Feedback(error_class=ErrorClass.REVIEW, message=r) for r in verdict.reasons
        ]
        envelope.record(
            Stage.REVISER, Outcome.FAILED, "; ".join(verdict.reasons)[:300], ErrorClass.REVIEW
        )
        return await self.repair(envelope)

    async def repair(self, envelope: SampleEnvelope) -> list[Emit]:
        reason = summarize_feedback(envelope.feedback)
        first_class = envelope.feedback[0].error_class if envelope.feedback else ErrorClass.QUERY
        if envelope.attempt >= envelope.max_attempts:
            return [
                reject(
                    envelope,
                    Stage.REVISER,
                    f"still failing after {envelope.attempt} attempts: {reason}",
                    first_class,
                )
            ]
        if envelope.draft is None:
            return [reject(envelope, Stage.REVISER, "nothing to repair", ErrorClass.MALFORMED)]
        envelope.attempt += 1
        try:
            draft, cost = await self.engine.repair(
                envelope.blueprint, envelope.draft, envelope.feedback, seed=sample_seed(envelope)
            )
        except GenerationError as exc:
            envelope.cost = envelope.cost.add(spent_by(exc))
            return [
                reject(envelope, Stage.REVISER, f"repair impossible: {exc}", ErrorClass.GENERATION)
            ]
        envelope.draft = draft
        envelope.cost = envelope.cost.add(cost)
        envelope.validation = None
        envelope.review = None
        envelope.record(Stage.REVISER, Outcome.REPAIRED, reason[:300], first_class)
        return [Emit(subjects.SAMPLE_DRAFTED, envelope, Outcome.REPAIRED)]
