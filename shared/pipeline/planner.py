"""Planner logic: how many blueprints to emit for a run, and when it is done.

Sample i of a run always gets blueprint `sampler.draw_at(i)` and id `<run>-<i>`, so planning is
idempotent: a planner that crashes after publishing and before saving its count republishes the
same ids, which JetStream deduplicates (Nats-Msg-Id). It plans the target up front (bounded by
an in-flight window) and one replacement for every duplicate or rejected sample, so the dataset
reaches exactly the target and every planned sample ends exactly once.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from proto import subjects
from proto.common import EvolutionOperator, ExpansionKind, Outcome, SeedMode, Stage
from proto.run import Growth, GrowthMode, GrowthRound, PatternSeed, RunPlan, RunRequest, RunStatus
from proto.sample import Blueprint, SampleEnvelope
from proto.seed import SeedEvent
from shared.evolution.plan_evolve import choose_operator
from shared.pipeline.budget import Spent, budget_reasons
from shared.pipeline.coverage import choose_anchor, coverage_key
from shared.pipeline.emit import Emit
from shared.pipeline.explore_expand import (
    GrowthConfig,
    close_round,
    decide,
    observe_accepted,
    preferred_kind,
    round_size,
    select_seeds,
)
from shared.pipeline.seed_plan import (
    back_translates,
    choose_seed,
    schema_examples,
    seed_blueprint,
    seed_domain,
    template_reach,
)
from shared.spec import BlueprintSampler, build_spec

# Give up planning replacements after this many samples per accepted one wanted (runaway guard:
# a spec no engine can satisfy must end the run with its rejections, not loop forever).
MAX_PLANNED_FACTOR = 4
MAX_PLANNED_SLACK = 100


def new_plan(request: RunRequest) -> RunPlan:
    return RunPlan(
        request=request,
        max_planned=request.count * MAX_PLANNED_FACTOR + MAX_PLANNED_SLACK,
    )


def sample_id(run_id: str, index: int) -> str:
    return f"{run_id}-{index:07d}"


# A saturated schema or region is planned around by drawing the sample again at a distant index
# (still a pure function of the index), at most this many times.
REDRAWS = 8
REDRAW_STRIDE = 1_000_000_007


def region_of(blueprint: Blueprint) -> str:
    """The saturation vocabulary (shared.pipeline.saturation.region_label) for a blueprint."""
    return f"{blueprint.domain}/{blueprint.task_type.value}/{blueprint.complexity.value}"


@dataclass(frozen=True)
class Avoid:
    """Schemas (domains, seed schemas) and regions whose recent samples are mostly redundant."""

    schemas: frozenset[str] = frozenset()
    regions: frozenset[str] = frozenset()

    @classmethod
    def of(cls, status: RunStatus | None) -> Avoid:
        if status is None:
            return cls()
        saturation = status.saturation
        return cls(frozenset(saturation.redundant_schemas), frozenset(saturation.redundant_regions))

    def allows(self, blueprint: Blueprint) -> bool:
        return blueprint.domain not in self.schemas and region_of(blueprint) not in self.regions


class RunPlanner:
    """Pure planning for one run; the service persists `plan` after publishing the emits.

    `seeds` are the run's seeds by id (the service loads them from the seed bucket for the ids
    fixed in the plan); with seeds, every sample starts from one (shared.pipeline.seed_plan).
    """

    def __init__(self, plan: RunPlan, seeds: Mapping[str, SeedEvent] | None = None) -> None:
        self.plan = plan
        request = plan.request
        self.sampler = BlueprintSampler(build_spec(request.spec), seed=request.seed)
        self.seeds = dict(seeds or {})
        self._schema_examples: dict[str, tuple[str, ...]] | None = None
        self.growth_config = GrowthConfig()

    def _draw(self, index: int, fits: Callable[[Blueprint], bool]) -> Blueprint:
        """Sample `index`'s blueprint, redrawn while it lands where the run is saturated."""
        first = self.sampler.draw_at(index)
        candidate = first
        for attempt in range(REDRAWS + 1):
            if attempt:
                candidate = self.sampler.draw_at(index + attempt * REDRAW_STRIDE)
            if fits(candidate):
                if attempt:
                    self.plan.shifted += 1
                return candidate
        return first  # nowhere unsaturated to go: keep the spec's draw

    def _blueprint(self, index: int, avoid: Avoid) -> Blueprint:
        if self.plan.seed_ids:
            return self._seeded(index, avoid)
        blueprint = self._draw(index, avoid.allows)
        # An LLM invents its schema: no table to anchor on. A single-table query is anchored by
        # the generator itself: a forced table may lack what the query needs (e.g. a column to
        # group by), while in a join the anchor is one table among several.
        if (
            self.plan.request.generator != "template"
            or blueprint.tables
            or blueprint.num_tables < 2
        ):
            return blueprint
        rng = random.Random(f"{self.plan.request.seed}:anchor:{index}")
        anchor = choose_anchor(blueprint.domain, self.plan.coverage, rng)
        if anchor is None:
            return blueprint
        key = coverage_key(blueprint.domain, anchor)
        self.plan.coverage[key] = self.plan.coverage.get(key, 0) + 1
        return blueprint.model_copy(update={"tables": [anchor]})

    def _seeded(self, index: int, avoid: Avoid) -> Blueprint:
        plan, request = self.plan, self.plan.request
        rng = random.Random(f"{request.seed}:seed:{index}")
        open_ids = [s for s in plan.seed_ids if seed_domain(self.seeds[s]) not in avoid.schemas]
        if len(open_ids) < len(plan.seed_ids):
            plan.shifted += 1
        chosen = choose_seed(open_ids or plan.seed_ids, plan.seed_uses, rng)
        assert chosen is not None, "a seeded plan has seed ids"
        seed = self.seeds[chosen]
        first_use = plan.seed_uses.get(chosen, 0) == 0
        plan.seed_uses[chosen] = plan.seed_uses.get(chosen, 0) + 1
        # The template engine writes new queries only: a kept SQL needs a model to word it.
        can_back_translate = request.generator != "template"
        if can_back_translate and back_translates(
            seed, request.back_translate_share, request.seed, first_use
        ):
            mode = SeedMode.BACK_TRANSLATE
        else:
            mode = SeedMode.EXPAND
        reach: int | None = None
        examples: tuple[str, ...] = ()
        if request.generator == "template":
            examples = self._examples().get(seed.schema_ddl or "", (seed.sql,))
            reach = template_reach(seed.schema_ddl or "", examples)
        drawn = self._draw(
            index, lambda d: avoid.allows(seed_blueprint(d, seed, mode, reach, examples))
        )
        return seed_blueprint(drawn, seed, mode, reach, examples)

    def use_seeds(self, seeds: Mapping[str, SeedEvent]) -> None:
        self.seeds = dict(seeds)
        self._schema_examples = None

    def _examples(self) -> dict[str, tuple[str, ...]]:
        if self._schema_examples is None:
            self._schema_examples = schema_examples(self.seeds)
        return self._schema_examples

    def _envelope(self, index: int, avoid: Avoid) -> SampleEnvelope:
        request = self.plan.request
        envelope = SampleEnvelope(
            run_id=request.run_id,
            sample_id=sample_id(request.run_id, index),
            max_attempts=request.max_attempts,
            engines=request.engines,
            level=request.level,
            policy=request.policy,
            review_mode=request.review,
            blueprint=self._blueprint(index, avoid),
        )
        return envelope.record(Stage.PLANNER, Outcome.PLANNED)

    def observe_accepted(self, envelope: SampleEnvelope) -> None:
        """An accepted sample of an explore-expand run: its round's evaluation, and a seed."""
        if self.plan.request.expand_ratio > 0:
            self.plan.growth = self.plan.growth or Growth()
            observe_accepted(self.plan.growth, envelope, self.growth_config)

    def _expansion(
        self,
        index: int,
        seed: PatternSeed,
        op: EvolutionOperator | None = None,
        kind: ExpansionKind | None = None,
    ) -> SampleEnvelope:
        """An accepted sample's pattern to re-instantiate: the generator varies its tables,
        columns or values, or applies the operator `op` chosen here (EvolSQL); no model call.
        One attempt: a repair would regenerate from the blueprint, an unrelated query; a
        failing variant is rejected with its reason."""
        request = self.plan.request
        update: dict[str, object] = {
            "seed_mode": SeedMode.PATTERN if op is None else SeedMode.EVOLVE,
            "seed_id": seed.sample_id,
            "parent_id": seed.sample_id,
        }
        if op is not None:
            update["evolution"] = [*seed.blueprint.evolution, op]
        if kind is not None:
            # The kind of variant tried first; the generator sets the kind it made.
            update["expansion"] = kind
        blueprint = seed.blueprint.model_copy(update=update)
        envelope = SampleEnvelope(
            run_id=request.run_id,
            sample_id=sample_id(request.run_id, index),
            max_attempts=1,
            engines=request.engines,
            level=request.level,
            policy=request.policy,
            review_mode=request.review,
            blueprint=blueprint,
            draft=seed.draft,
        )
        return envelope.record(Stage.PLANNER, Outcome.PLANNED, f"expand {seed.sample_id}")

    def _plan_round(self, status: RunStatus | None, needed: int, avoid: Avoid) -> list[Emit]:
        """The next round once the sink judged all of the last (explore_expand's rule)."""
        plan = self.plan
        growth = plan.growth = plan.growth or Growth()
        finished = status.finished if status else 0
        if growth.rounds and finished < plan.planned:
            return []  # the round is in flight: its evaluation is not known yet
        close_round(growth, status)
        if plan.planned >= needed:
            return []
        mode, reason = decide(growth, self.growth_config)
        if growth.rounds:
            growth.rounds[-1].decision = reason
        size = min(round_size(plan.request, self.growth_config), needed - plan.planned)
        wanted = int(size * plan.request.expand_ratio) if mode is GrowthMode.EXPAND else 0
        seeds = select_seeds(growth, wanted, avoid.schemas, self.growth_config.seed_uses)
        current = GrowthRound(index=len(growth.rounds), mode=mode, first=plan.planned)
        growth.rounds.append(current)
        evolving = round(len(seeds) * plan.request.evolve_share)
        emits: list[Emit] = []
        for position in range(size):
            index = plan.planned
            if position < len(seeds):
                seed = seeds[position]
                kind = preferred_kind(growth, seed)
                growth.used.append(seed.sample_id)
                op = choose_operator(seed.draft, growth.operators) if position < evolving else None
                if op is not None:
                    envelope = self._expansion(index, seed, op)
                    current.evolve += 1
                else:
                    envelope = self._expansion(index, seed, kind=kind)
                    current.expand += 1
            else:
                envelope = self._envelope(index, avoid)
                current.explore += 1
            emits.append(Emit(subjects.SAMPLE_PLANNED, envelope, Outcome.PLANNED))
            plan.planned += 1
        return emits

    def advance(self, status: RunStatus | None, spent: Spent | None = None) -> list[Emit]:
        """Plan what the status allows; mark the plan exhausted/done when it is.

        The status's saturation signal shifts new blueprints away from redundant schemas and
        regions, and ends planning for a run started with until_saturated (SQL-Factory).
        """
        plan, request = self.plan, self.plan.request
        if plan.waiting_for_seeds:
            return []
        finished = status.finished if status else 0
        replacements = (status.duplicate + status.rejected) if status else 0
        accepted = status.accepted if status else 0
        if request.until_saturated and status and status.saturation.stop_reasons:
            plan.saturated_reasons = plan.saturated_reasons or list(status.saturation.stop_reasons)
        if spent is not None and not plan.budget_reasons:
            plan.budget_reasons = budget_reasons(request, spent)
        stopped = (
            bool(plan.saturated_reasons)
            or bool(plan.budget_reasons)
            or (request.seed_pool is not None and not plan.seed_ids)
        )
        needed = plan.planned if stopped else min(request.count + replacements, plan.max_planned)
        avoid = Avoid.of(status)
        emits: list[Emit] = []
        if request.expand_ratio > 0:
            emits = self._plan_round(status, needed, avoid)
        while (
            request.expand_ratio == 0
            and plan.planned < needed
            and plan.planned - finished < request.max_in_flight
        ):
            envelope = self._envelope(plan.planned, avoid)
            emits.append(Emit(subjects.SAMPLE_PLANNED, envelope, Outcome.PLANNED))
            plan.planned += 1
        plan.exhausted = (
            not plan.saturated_reasons
            and not plan.budget_reasons
            and plan.planned >= plan.max_planned
            and accepted < request.count
        )
        plan.done = finished >= plan.planned and (
            accepted >= request.count or plan.exhausted or stopped
        )
        return emits
