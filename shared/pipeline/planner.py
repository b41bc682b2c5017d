"""Planner logic: how many blueprints to emit for a run, and when it is done.

Sample i of a run always gets blueprint `sampler.draw_at(i)` and id `<run>-<i>`, so planning is
idempotent: a planner that crashes after publishing and before saving its count republishes the
same ids, which JetStream deduplicates (Nats-Msg-Id). It plans the target up front (bounded by
an in-flight window) and one replacement for every duplicate or rejected sample, so the dataset
reaches exactly the target and every planned sample ends exactly once.
"""

from __future__ import annotations

import random

from proto import subjects
from proto.common import Outcome, Stage
from proto.run import RunPlan, RunRequest, RunStatus
from proto.sample import Blueprint, SampleEnvelope
from shared.pipeline.coverage import choose_anchor, coverage_key
from shared.pipeline.emit import Emit
from shared.spec import BlueprintSampler, Spec

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


class RunPlanner:
    """Pure planning for one run; the service persists `plan` after publishing the emits."""

    def __init__(self, plan: RunPlan) -> None:
        self.plan = plan
        request = plan.request
        self.sampler = BlueprintSampler(Spec.from_document(request.spec), seed=request.seed)

    def _blueprint(self, index: int) -> Blueprint:
        blueprint = self.sampler.draw_at(index)
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

    def _envelope(self, index: int) -> SampleEnvelope:
        request = self.plan.request
        envelope = SampleEnvelope(
            run_id=request.run_id,
            sample_id=sample_id(request.run_id, index),
            max_attempts=request.max_attempts,
            engines=request.engines,
            level=request.level,
            policy=request.policy,
            blueprint=self._blueprint(index),
        )
        return envelope.record(Stage.PLANNER, Outcome.PLANNED)

    def advance(self, status: RunStatus | None) -> list[Emit]:
        """Plan what the status allows; mark the plan exhausted/done when it is."""
        plan, request = self.plan, self.plan.request
        finished = status.finished if status else 0
        replacements = (status.duplicate + status.rejected) if status else 0
        accepted = status.accepted if status else 0
        needed = min(request.count + replacements, plan.max_planned)
        emits: list[Emit] = []
        while plan.planned < needed and plan.planned - finished < request.max_in_flight:
            envelope = self._envelope(plan.planned)
            emits.append(Emit(subjects.SAMPLE_PLANNED, envelope, Outcome.PLANNED))
            plan.planned += 1
        plan.exhausted = plan.planned >= plan.max_planned and accepted < request.count
        plan.done = finished >= plan.planned and (accepted >= request.count or plan.exhausted)
        return emits
