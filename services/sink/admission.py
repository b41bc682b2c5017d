"""What the sink writes: only samples of a run the planner knows, with ids inside its plan.

A forged or stray envelope (another run's leftovers, a replay with a made-up id) would
otherwise land in the dataset — one run ended with 151 accepted for 150 requested. The plan
in the planner's KV bucket is the authority. The planner saves its plan just after publishing
a batch of samples, so a sample may arrive a moment before the plan that names it: the sink
asks again on later deliveries before it calls the sample a stray.
"""

from __future__ import annotations

from nats.js.errors import KeyNotFoundError
from nats.js.kv import KeyValue

from proto.run import RunPlan
from proto.sample import SampleEnvelope

# Deliveries an unknown sample is given for the planner's save to land, with growing delays
# (1, 2, 4, 8, 8 s: about 23 s, far above the planner's publish-then-save gap under load).
PATIENCE_DELIVERIES = 6


def patience_delay(delivered: int) -> float:
    return float(min(8, 2 ** max(0, delivered - 1)))


def sample_index(envelope: SampleEnvelope) -> int | None:
    """The plan index of a sample id (`<run_id>-<index:07d>`), None when it has none."""
    prefix, _, index = envelope.sample_id.rpartition("-")
    if prefix != envelope.run_id or not index.isdigit():
        return None
    return int(index)


class PlanBounds:
    def __init__(self, plans: KeyValue) -> None:
        self.plans = plans
        self.planned: dict[str, int] = {}

    async def _planned(self, run_id: str, *, fresh: bool) -> int | None:
        if fresh or run_id not in self.planned:
            try:
                entry = await self.plans.get(run_id)
            except KeyNotFoundError:
                return None
            if not entry.value:
                return None
            self.planned[run_id] = RunPlan.model_validate_json(entry.value).planned
        return self.planned[run_id]

    async def refusal(self, envelope: SampleEnvelope) -> str | None:
        """Why this sample is not the plan's, or None when it is."""
        index = sample_index(envelope)
        if index is None:
            return f"sample id {envelope.sample_id!r} is not an id of run {envelope.run_id!r}"
        planned = await self._planned(envelope.run_id, fresh=False)
        if planned is None or index >= planned:
            planned = await self._planned(envelope.run_id, fresh=True)
        if planned is None:
            return f"unknown run {envelope.run_id!r}: no plan for it"
        if index >= planned:
            return f"sample {envelope.sample_id} is outside the plan of {planned} samples"
        return None
