"""Generator stage: blueprint → draft."""

from __future__ import annotations

from proto import subjects
from proto.common import Outcome, Stage
from proto.sample import ErrorClass, SampleEnvelope
from shared.errors import GenerationError
from shared.pipeline.emit import Emit, reject, sample_seed
from shared.pipeline.engine_protocol import DraftEngine
from shared.pipeline.engines import spent_by


class GeneratorStage:
    def __init__(self, engine: DraftEngine) -> None:
        self.engine = engine

    async def __call__(self, envelope: SampleEnvelope) -> list[Emit]:
        try:
            draft, cost = await self.engine.generate(envelope.blueprint, seed=sample_seed(envelope))
        except GenerationError as exc:
            # The blueprint cannot be realised: regenerating it would fail the same way. What the
            # failed attempt spent (a malformed section after several paid ones) stays on the
            # sample, so the run's cost is what was billed.
            envelope.cost = envelope.cost.add(spent_by(exc))
            return [reject(envelope, Stage.GENERATOR, str(exc), ErrorClass.GENERATION)]
        envelope.draft = draft
        envelope.cost = envelope.cost.add(cost)
        envelope.record(Stage.GENERATOR, Outcome.DRAFTED, f"engine={self.engine.name}")
        return [Emit(subjects.SAMPLE_DRAFTED, envelope, Outcome.DRAFTED)]
