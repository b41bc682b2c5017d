"""Generator stage: blueprint → draft."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol, cast

from proto import subjects
from proto.common import Outcome, SeedMode, Stage
from proto.sample import Blueprint, Draft, ErrorClass, SampleEnvelope, TokenCost
from shared.errors import GenerationError
from shared.pipeline.emit import Emit, reject, sample_seed
from shared.pipeline.engine_protocol import BackTranslator, DraftEngine
from shared.pipeline.engines import spent_by
from shared.pipeline.expand_stage import evolve_envelope, expand_envelope
from shared.review.guidelines import RunGuidelines, find_violations
from shared.sql.dialects import sqlglot_dialect

if TYPE_CHECKING:
    from shared.evolution.model_words import ModelEvolution

# Draws of a blueprint before a draft that breaks a reviewer's rule is rejected (Turing's
# guidelines as rules); each draw uses another seed, so the engine makes another choice.
GUIDELINE_DRAWS = 4


class GuidelineSource(Protocol):
    def for_run(self, run_id: str) -> RunGuidelines | None: ...


class GuidedDraftEngine(Protocol):
    """An engine that takes the run's reviewer guidelines (says so by `accepts_guidelines`)."""

    async def generate(
        self, blueprint: Blueprint, *, seed: int, guidelines: Sequence[str] = ()
    ) -> tuple[Draft, TokenCost]: ...


def evolution_model_for(engine: DraftEngine) -> ModelEvolution | None:
    """An LLM engine also words the planner's evolutions (EvolSQL appendix G); the offline
    engines leave them to the realizer. The Claude modules (the SDK: two seconds of import) are
    loaded only when the engine is Claude's, which has imported them already."""
    claude = sys.modules.get("shared.generation.claude.engine")
    if claude is None or not isinstance(engine, claude.ClaudeDraftEngine):
        return None
    from shared.evolution.model_words import ModelEvolution

    return ModelEvolution(engine.client)


class GeneratorStage:
    def __init__(self, engine: DraftEngine, guidelines: GuidelineSource | None = None) -> None:
        self.engine = engine
        self.guidelines = guidelines
        self.evolution_model = evolution_model_for(engine)

    async def __call__(self, envelope: SampleEnvelope) -> list[Emit]:
        if envelope.blueprint.seed_mode is SeedMode.PATTERN:
            return expand_envelope(envelope)
        if envelope.blueprint.seed_mode is SeedMode.EVOLVE:
            return await evolve_envelope(envelope, self.evolution_model)
        guidelines = self.guidelines.for_run(envelope.run_id) if self.guidelines else None
        try:
            draft, cost = await self._draft_within_rules(envelope, guidelines)
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

    async def _draft_within_rules(
        self, envelope: SampleEnvelope, guidelines: RunGuidelines | None
    ) -> tuple[Draft, TokenCost]:
        """A draft that breaks none of the run's guideline rules, within GUIDELINE_DRAWS."""
        texts = guidelines.texts if guidelines else ()
        rules = guidelines.rules if guidelines else []
        seed = sample_seed(envelope)
        spent = TokenCost()
        for draw in range(GUIDELINE_DRAWS):
            draft, cost = await self._draft(envelope.blueprint, seed + draw * 7919, texts)
            spent = spent.add(cost)
            broken = find_violations(draft.sql, rules, sqlglot_dialect(draft.sql_dialect))
            if not broken:
                return draft, spent
        error = GenerationError(
            f"every draft broke a reviewer guideline ({broken[0].guideline!r}: no "
            f"{broken[0].pattern}) in {GUIDELINE_DRAWS} draws",
            cost=spent,
        )
        raise error

    async def _draft(
        self, blueprint: Blueprint, seed: int, guidelines: Sequence[str] = ()
    ) -> tuple[Draft, TokenCost]:
        """A new sample, or the seed's kept SQL worded by back-translation (SQL-Factory)."""
        if blueprint.seed_mode is not SeedMode.BACK_TRANSLATE:
            if guidelines and getattr(self.engine, "accepts_guidelines", False):
                guided = cast(GuidedDraftEngine, self.engine)
                return await guided.generate(blueprint, seed=seed, guidelines=guidelines)
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
