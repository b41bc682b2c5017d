"""Generator stage: blueprint → draft."""

from __future__ import annotations

from proto import subjects
from proto.common import Outcome, SeedMode, Stage
from proto.sample import Blueprint, Draft, ErrorClass, SampleEnvelope, TokenCost
from shared.errors import GenerationError
from shared.pipeline.emit import Emit, reject, sample_seed
from shared.pipeline.engine_protocol import BackTranslator, DraftEngine
from shared.pipeline.engines import spent_by


class GeneratorStage:
    def __init__(self, engine: DraftEngine) -> None:
        self.engine = engine

    async def __call__(self, envelope: SampleEnvelope) -> list[Emit]:
        try:
            draft, cost = await self._draft(envelope.blueprint, sample_seed(envelope))
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

    async def _draft(self, blueprint: Blueprint, seed: int) -> tuple[Draft, TokenCost]:
        """A new sample, or the seed's kept SQL worded by back-translation (SQL-Factory)."""
        if blueprint.seed_mode is not SeedMode.BACK_TRANSLATE:
            return await self.engine.generate(blueprint, seed=seed)
        if not isinstance(self.engine, BackTranslator):
            raise GenerationError(
                f"the {self.engine.name} engine cannot back-translate a seed's SQL into a "
                "question (it needs an LLM: run with --engine claude)"
            )
        if not blueprint.seed_sql or not blueprint.seed_schema:
            raise GenerationError("a back-translation blueprint needs the seed's SQL and schema")
        return await self.engine.back_translate(
            blueprint, schema_ddl=blueprint.seed_schema, sql=blueprint.seed_sql, seed=seed
        )
